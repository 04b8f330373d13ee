"""The Dask engine on real clusters of this machine: results, progress and faults.

A scheduler and two single-threaded workers (`dask scheduler`, `dask worker` from a
venv holding an editable install of this checkout, each in an empty directory, no
PYTHONPATH) start once for the file; the scheduler allows one death per task
(`distributed.scheduler.allowed-failures`: 1), so that the repeated-kill case ends
after two. The tests that lose every worker, or need TLS, start their own. The work is
the converter's: records.write_shard per shard, through convert.convert_split.
"""

import concurrent.futures
import contextlib
import errno
import io
import os
import signal
import subprocess
import tempfile
import time

from absl.testing import absltest
import dask
import distributed

from inception import convert
from inception import core
from inception import records
from tests import binaries
from tests import conversion_fixtures as fixtures
from tests import dask_clusters
from tests import file_trees

SYNSETS = fixtures.synset_names(4)
_JOB_SECONDS = 90
_ONE_RETRY = {'DASK_DISTRIBUTED__SCHEDULER__ALLOWED_FAILURES': '1'}


def setUpModule():
  global _DIRECTORY, _BIN, _CLUSTER, _CLIENT
  _DIRECTORY = tempfile.mkdtemp(dir=absltest.TEST_TMPDIR.value)
  _BIN = dask_clusters.project_venv(_DIRECTORY)
  _CLUSTER = dask_clusters.Cluster(os.path.join(_DIRECTORY, 'cluster'), _ONE_RETRY)
  try:
    port = dask_clusters.free_port()
    address = _CLUSTER.start_scheduler(dask_clusters.scheduler_command(_BIN, port), port,
                                       'tcp://127.0.0.1:%d' % port)
    for name in ('w0', 'w1'):
      _CLUSTER.start_worker(dask_clusters.worker_command(_BIN, address, '--name', name))
    _CLIENT = _CLUSTER.client()
    _CLIENT.wait_for_workers(2, timeout=dask_clusters.START_SECONDS)
  except BaseException:
    tearDownModule()
    raise


def tearDownModule():
  client = globals().get('_CLIENT')
  if client is not None:
    client.close()
  _CLUSTER.__exit__()


def _split(root: str, per_class: int):
  fixtures.make_imagenet_split(os.path.join(root, 'train'), SYNSETS, per_class)
  return convert.find_class_entries(
      os.path.join(root, 'train'),
      [convert.ImageClass(s, s, 'text %s' % s) for s in SYNSETS])


def _convert(entries, num_shards: int, output: str, workers: core.Workers, **options):
  with contextlib.redirect_stdout(io.StringIO()):
    return convert.convert_split('train', entries, num_shards, output,
                                 options=convert.ConvertOptions(workers=workers, **options))


def _on(address: str, timeout: float = 30.0) -> core.Workers:
  return core.Workers(dask=core.DaskCluster(address, timeout))


def _make_fifo(path: str) -> bytes:
  """Replaces the image at `path` by a FIFO (its reader blocks until the test writes
  into it); returns the image's bytes."""
  with open(path, 'rb') as f:
    data = f.read()
  os.remove(path)
  os.mkfifo(path)
  return data


def _open_writer(fifo: str) -> int:
  """Opens `fifo` for writing once a worker opens it to read (its open() then returns,
  and its read blocks until the test writes)."""
  def try_open():
    try:
      return os.open(fifo, os.O_WRONLY | os.O_NONBLOCK)
    except OSError as e:
      if e.errno != errno.ENXIO:  # ENXIO: no reader yet
        raise
      return None
  return dask_clusters.wait_for(try_open, 'a worker to open ' + fifo, _JOB_SECONDS)


def _page_faults_of_reads(path: str, reads: int) -> int:
  """Minor page faults of `reads` reads of `path` through a 256 KiB os.read buffer (as
  the converter reads an image), in the process that runs it."""
  import resource  # pylint: disable=g-import-not-at-top  (runs on a worker)
  before = resource.getrusage(resource.RUSAGE_SELF).ru_minflt
  for _ in range(reads):
    fd = os.open(path, os.O_RDONLY)
    while os.read(fd, 1 << 18):
      pass
    os.close(fd)
  return resource.getrusage(resource.RUSAGE_SELF).ru_minflt - before


def _reader(workers, fifo: str, exclude=()) -> int:
  """The pid of the worker process holding `fifo` open (waits for one; the test holds
  the writing end)."""
  def find():
    for worker in workers:
      for pid in dask_clusters.Cluster.process_ids(worker):
        if pid not in exclude and dask_clusters.opens(pid, fifo):
          return pid
    return None
  return dask_clusters.wait_for(find, 'a worker to read ' + fifo, _JOB_SECONDS)


class DaskRunnerTest(absltest.TestCase):

  def setUp(self):
    super().setUp()
    self.root = self.create_tempdir().full_path
    _CLIENT.wait_for_workers(2, timeout=dask_clusters.START_SECONDS)

  def assert_same_tree(self, written, expected):
    self.assertEqual(sorted(written), sorted(expected))  # no temporary file left
    for name, data in expected.items():
      self.assertEqual(written[name], data, '%s differs' % name)

  def test_shards_results_and_progress_match_the_local_engine(self):
    entries = _split(self.root, 6)
    local = os.path.join(self.root, 'local')
    _convert(entries, 8, local, core.Workers(1), write_index=True)
    output = os.path.join(self.root, 'dask')
    result = _convert(entries, 8, output, _on(_CLUSTER.address), write_index=True)
    self.assertEqual(result.summary_line(), 'Finished writing all 24 images in data set.')
    self.assert_same_tree(file_trees.file_contents(output),
                          file_trees.file_contents(local))
    # Progress: every image and input byte once; results streamed, in any order.
    plan = convert.plan_split('train', entries, 8, os.path.join(self.root, 'again'))
    os.makedirs(plan.output_directory)
    progress, results = [0, 0], []

    def on_progress(units, num_bytes):
      progress[0] += units
      progress[1] += num_bytes

    runner = _on(_CLUSTER.address).runner(
        records.write_shard, describe=lambda task: 'writing ' + task.output_path)
    runner.run(iter(plan.tasks), results.append, on_progress)
    self.assertEqual(sorted(r.index for r in results), list(range(8)))
    self.assertEqual(progress, [24, sum(r.num_input_bytes for r in results)])

  def test_a_worker_that_ran_a_task_keeps_read_buffers_in_its_heap(self):
    # dask's nanny starts workers with MALLOC_TRIM_THRESHOLD_ set: without the
    # thresholds a task sets, each read buffer is a fresh mmap (~4 faults a read).
    entries = _split(self.root, 2)
    with distributed.get_task_stream(client=_CLIENT) as stream:
      _convert(entries, 4, os.path.join(self.root, 'out'), _on(_CLUSTER.address))
    ran = sorted({record['worker'] for record in stream.data})
    self.assertNotEmpty(ran)
    faults = _CLIENT.run(_page_faults_of_reads, entries[0].source, 1000, workers=ran)
    self.assertLen(faults, len(ran))
    for worker, count in faults.items():
      self.assertLess(count, 100, worker)

  def test_a_worker_killed_mid_shard_has_its_shard_rerun_elsewhere(self):
    entries = _split(self.root, 4)
    local = os.path.join(self.root, 'local')
    _convert(entries, 8, local, core.Workers(1))
    blocking = entries[5].source
    image = _make_fifo(blocking)
    output = os.path.join(self.root, 'dask')
    pool = self.enter_context(concurrent.futures.ThreadPoolExecutor(1))
    job = pool.submit(_convert, entries, 8, output, _on(_CLUSTER.address))
    writer = _open_writer(blocking)
    try:
      killed = _reader(_CLUSTER.workers, blocking)
      os.kill(killed, signal.SIGKILL)
      _reader(_CLUSTER.workers, blocking, exclude=(killed,))  # the re-run
      os.write(writer, image)
    finally:
      os.close(writer)
    result = job.result(timeout=_JOB_SECONDS)
    self.assertEqual(result.summary_line(), 'Finished writing all 16 images in data set.')
    self.assert_same_tree(file_trees.file_contents(output),
                          file_trees.file_contents(local))

  def test_a_shard_that_kills_its_workers_fails_the_job_naming_it(self):
    entries = _split(self.root, 2)
    blocking = entries[3].source
    _make_fifo(blocking)
    output = os.path.join(self.root, 'dask')
    pool = self.enter_context(concurrent.futures.ThreadPoolExecutor(1))
    job = pool.submit(_convert, entries, 4, output, _on(_CLUSTER.address))
    killed = []
    writer = _open_writer(blocking)
    try:
      for _ in range(2):  # allowed-failures 1: the second death fails the task
        killed.append(_reader(_CLUSTER.workers, blocking, exclude=killed))
        os.kill(killed[-1], signal.SIGKILL)
    finally:
      os.close(writer)
    with self.assertRaisesRegex(
        convert.ConversionError,
        r'^writing %s/train-0000\d-of-00004: every Dask worker that ran it died \(2, '
        % output) as raised:
      job.result(timeout=_JOB_SECONDS)
    self.assertNotIn('\n', str(raised.exception))

  def assert_third_worker_refused(self, name: str, pythonpath: str, message: str):
    """Starts a third worker importing `pythonpath` first; a run fails with
    `message` (a pattern after the worker's address and name); the worker leaves."""
    worker = _CLUSTER.start_worker(
        dask_clusters.worker_command(_BIN, _CLUSTER.address, '--name', name),
        PYTHONPATH=pythonpath)
    try:
      _CLIENT.wait_for_workers(3, timeout=dask_clusters.START_SECONDS)
      entries = _split(self.root, 1)
      with self.assertRaisesRegex(
          convert.ConversionError,
          r'^the Dask worker tcp://127\.0\.0\.1:\d+ \(%s\) %s' % (name, message)):
        _convert(entries, 2, os.path.join(self.root, 'out'), _on(_CLUSTER.address))
    finally:
      _CLUSTER.stop(worker)
      dask_clusters.wait_for(lambda: len(_CLIENT.scheduler_info()['workers']) == 2,
                             'the %s worker to leave' % name)

  def test_a_worker_of_other_sources_is_refused_naming_it(self):
    other = dask_clusters.copy_sources(os.path.join(self.root, 'other'))
    with open(os.path.join(other, 'inception', 'records', '__init__.py'), 'a') as f:
      f.write('# changed\n')
    self.assert_third_worker_refused(
        'odd', other, 'runs other inception sources than this launcher')

  def test_a_worker_without_the_project_is_refused_naming_it(self):
    broken = os.path.join(self.root, 'broken')
    fixtures.write(os.path.join(broken, 'inception', '__init__.py'),
                   b'raise ImportError("not this project")\n')
    self.assert_third_worker_refused(
        'bare', broken, r'cannot give its fingerprint \(is the project installed '
        r'there\?\): .*not this project.*tools/setup\.sh')

  def test_ctrl_c_cancels_the_jobs_tasks(self):
    entries = _split(self.root, 2)
    blocking = entries[3].source
    image = _make_fifo(blocking)
    fixtures.write(os.path.join(self.root, 'labels.txt'),
                   ''.join(s + '\n' for s in SYNSETS).encode())
    binary = subprocess.Popen(
        [binaries.path('build_image_data'), '--train_directory=train',
         '--validation_directory=', '--labels_file=labels.txt', '--train_shards=4',
         '--output_directory=out', '--dask_address=' + _CLUSTER.address],
        cwd=self.root, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
        stderr=subprocess.PIPE, env=binaries.user_environment(), text=True)
    writer = _open_writer(blocking)
    try:
      _reader(_CLUSTER.workers, blocking)  # a worker of the cluster, not a local one
      binary.send_signal(signal.SIGINT)
      _, stderr = binary.communicate(timeout=_JOB_SECONDS)
    finally:
      os.write(writer, image)  # lets the worker's cancelled task end
      os.close(writer)
    self.assertEqual(binary.returncode, 130, stderr[-3000:])
    self.assertIn('build_image_data: interrupted.', stderr)
    dask_clusters.wait_for(lambda: not _CLIENT.run_on_scheduler(
        lambda dask_scheduler: len(dask_scheduler.tasks)), 'the tasks to be released')

  def test_a_scheduler_that_does_not_answer_is_one_line(self):
    entries = _split(self.root, 1)
    address = 'tcp://127.0.0.1:%d' % dask_clusters.free_port()
    with dask.config.set({'distributed.comm.timeouts.connect': '2s'}):
      with self.assertRaisesRegex(
          convert.ConversionError,
          r'^the Dask cluster at %s does not answer: ' % address) as raised:
        _convert(entries, 2, os.path.join(self.root, 'out'), _on(address))
    self.assertNotIn('\n', str(raised.exception))


class OwnClusterTest(absltest.TestCase):
  """Cases that start a cluster of their own: one worker, lost; TLS."""

  def setUp(self):
    super().setUp()
    self.root = self.create_tempdir().full_path

  def test_losing_every_worker_fails_within_the_timeout_naming_the_cluster(self):
    cluster = self.enter_context(dask_clusters.Cluster(os.path.join(self.root, 'c')))
    port = dask_clusters.free_port()
    address = cluster.start_scheduler(dask_clusters.scheduler_command(_BIN, port), port,
                                      'tcp://127.0.0.1:%d' % port)
    worker = cluster.start_worker(dask_clusters.worker_command(_BIN, address))
    client = self.enter_context(cluster.client())
    client.wait_for_workers(1, timeout=dask_clusters.START_SECONDS)
    entries = _split(self.root, 2)
    _make_fifo(entries[3].source)
    pool = self.enter_context(concurrent.futures.ThreadPoolExecutor(1))
    job = pool.submit(_convert, entries, 4, os.path.join(self.root, 'out'),
                      _on(address, timeout=3))
    os.close(_open_writer(entries[3].source))  # a worker is in the shard: lose it
    cluster.stop(worker)
    gone = time.monotonic()
    with self.assertRaisesRegex(
        convert.ConversionError,
        r'^the Dask cluster at %s has had no workers for 3 s '
        r'\(--dask_no_workers_timeout\)' % address):
      job.result(timeout=_JOB_SECONDS)
    self.assertLess(time.monotonic() - gone, 3 + 15)

  def test_tls_passes_through_dasks_security_configuration(self):
    security = distributed.Security.temporary()
    files = {}
    for name, pem in (('ca', security.tls_ca_file), ('cert', security.tls_scheduler_cert),
                      ('key', security.tls_scheduler_key)):
      files[name] = os.path.join(self.root, name + '.pem')
      with open(files[name], 'w') as f:
        f.write(pem)
    tls = ['--tls-ca-file', files['ca'], '--tls-cert', files['cert'],
           '--tls-key', files['key']]
    cluster = self.enter_context(dask_clusters.Cluster(os.path.join(self.root, 'c')))
    port = dask_clusters.free_port()
    address = cluster.start_scheduler(
        dask_clusters.scheduler_command(_BIN, port, '--protocol', 'tls', *tls), port,
        'tls://127.0.0.1:%d' % port)
    cluster.start_worker(dask_clusters.worker_command(_BIN, address, *tls))
    entries = _split(self.root, 2)
    local = os.path.join(self.root, 'local')
    _convert(entries, 3, local, core.Workers(1))
    with dask.config.set({'distributed.comm.tls.ca-file': files['ca'],
                          'distributed.comm.tls.client.cert': files['cert'],
                          'distributed.comm.tls.client.key': files['key'],
                          'distributed.comm.require-encryption': True}):
      result = _convert(entries, 3, os.path.join(self.root, 'tls'),
                        _on(address, timeout=dask_clusters.START_SECONDS))
    self.assertEqual(result.summary_line(), 'Finished writing all 8 images in data set.')
    self.assertEqual(file_trees.file_contents(os.path.join(self.root, 'tls')),
                     file_trees.file_contents(local))


class PathsTest(absltest.TestCase):

  def test_loopback_addresses_are_local(self):
    for address in ('tcp://127.0.0.1:8786', '127.0.0.1:8786', 'localhost:8786',
                    'tcp://127.5.0.2:1', 'tcp://[::1]:8786'):
      self.assertTrue(core.is_local_address(address), address)
    for address in ('tcp://10.0.0.7:8786', '192.168.1.2:8786',
                    'tls://scheduler.example.com:8786'):
      self.assertFalse(core.is_local_address(address), address)

  def test_a_remote_cluster_refuses_local_paths(self):
    root = self.create_tempdir().full_path
    entries = _split(root, 1)
    with self.assertRaisesRegex(ValueError, 'cannot see this machine.s files.*gs://'):
      _convert(entries, 1, os.path.join(root, 'out'), _on('tcp://10.0.0.7:8786'))

  def test_addresses(self):
    self.assertEqual(core.DaskCluster('10.0.0.1:8786').address, 'tcp://10.0.0.1:8786')
    for bad in ('http://10.0.0.1:8786', 'tcp://10.0.0.1', 'tcp://:8786'):
      with self.assertRaisesRegex(ValueError, 'not a Dask scheduler address'):
        core.DaskCluster(bad)
    with self.assertRaisesRegex(ValueError, 'timeout must be > 0'):
      core.DaskCluster('tcp://127.0.0.1:1', 0)


if __name__ == '__main__':
  absltest.main()
