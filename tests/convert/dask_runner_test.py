"""The Dask runner on a real dask.distributed cluster of this machine.

Each test starts a scheduler and two single-threaded worker processes on 127.0.0.1
(random ports, no nanny, so that SIGKILL really kills a worker), runs the converter
with --runner=DaskRunner against it and stops every process at the end.
"""

import concurrent.futures
import contextlib
import errno
import io
import json
import os
import signal
import subprocess
import sys
import tempfile
import time

from absl.testing import absltest
import distributed

from inception import convert
from inception import core
from inception import records
from inception.convert import _beam_runner
from inception.convert import _dask_cluster
from tests import binaries
from tests import conversion_fixtures as fixtures
from tests import file_trees

SYNSETS = fixtures.synset_names(4)
_START_SECONDS = 30
_JOB_SECONDS = 60
# The directory holding the `inception` package: what the workers import.
_SOURCE_ROOT = os.path.abspath(os.path.join(os.path.dirname(convert.__file__), '..', '..'))


def _wait_for(condition, what: str, timeout: float = _START_SECONDS):
  deadline = time.monotonic() + timeout
  while time.monotonic() < deadline:
    value = condition()
    if value:
      return value
    time.sleep(0.05)
  raise AssertionError('timed out waiting for ' + what)


class _Cluster(object):
  """A dask scheduler and two worker processes on 127.0.0.1, stopped on exit."""

  def __init__(self, directory: str):
    self._directory = directory
    self._processes = []
    self.workers = []  # the worker processes, in start order

  def __enter__(self) -> '_Cluster':
    try:
      self._start()
    except BaseException:
      self.__exit__()
      raise
    return self

  def _start(self) -> None:
    scheduler_file = os.path.join(self._directory, 'scheduler.json')
    self._spawn('distributed.cli.dask_scheduler', '--host=127.0.0.1', '--port=0',
                '--no-dashboard', '--scheduler-file=' + scheduler_file)
    _wait_for(lambda: os.path.exists(scheduler_file), 'the scheduler file')
    self.address = _wait_for(lambda: _read_address(scheduler_file), 'the address')
    for name in ('w0', 'w1'):
      self.workers.append(self._spawn(
          'distributed.cli.dask_worker', self.address, '--name=' + name,
          '--nthreads=1', '--no-nanny', '--host=127.0.0.1', '--no-dashboard',
          '--local-directory=' + os.path.join(self._directory, name)))
    self.client = distributed.Client(self.address, timeout=_START_SECONDS)
    self.client.wait_for_workers(2, timeout=_START_SECONDS)
    self.client.get_task_stream()  # starts the scheduler's task recording

  def _spawn(self, module: str, *args: str) -> subprocess.Popen:
    log = open(os.path.join(self._directory, module.rsplit('.', 1)[-1] + '-%d.log' %
                            len(self._processes)), 'wb')
    environ = dict(os.environ, PYTHONPATH=_SOURCE_ROOT)
    process = subprocess.Popen([sys.executable, '-m', module] + list(args),
                               stdin=subprocess.DEVNULL, stdout=log,
                               stderr=subprocess.STDOUT, env=environ)
    log.close()
    self._processes.append(process)
    return process

  def workers_that_ran_shards(self, since: float) -> set:
    """The workers that ran a shard-writing task (a partition of the DoFn step)."""
    return {t['worker'] for t in self.client.get_task_stream(start=since)
            if 'apply_dofn_to_bundle' in str(t['key'])}

  def __exit__(self, *unused_exc_info) -> None:
    client = getattr(self, 'client', None)
    if client is not None:
      client.close(timeout=10)
    for process in reversed(self._processes):
      if process.poll() is None:
        process.terminate()
    for process in self._processes:
      try:
        process.wait(timeout=10)
      except subprocess.TimeoutExpired:
        process.kill()
        process.wait(timeout=10)


def _read_address(scheduler_file: str):
  try:
    with open(scheduler_file) as f:
      return json.load(f)['address']
  except ValueError:  # still being written
    return None


def _dask_options(address: str, **extra) -> convert.ConvertOptions:
  return convert.ConvertOptions(
      runner='DaskRunner',
      beam_pipeline_args=('--dask_client_address=' + address,), **extra)


def _split(root: str, per_class: int, special=None):
  fixtures.make_imagenet_split(os.path.join(root, 'train'), SYNSETS, per_class,
                               special=special)
  return convert.find_class_entries(
      os.path.join(root, 'train'),
      [convert.ImageClass(s, s, 'text %s' % s) for s in SYNSETS])


def _write_labels(root: str) -> None:
  """labels.txt naming the split's folders, for build_image_data."""
  fixtures.write(os.path.join(root, 'labels.txt'),
                 ''.join(s + '\n' for s in SYNSETS).encode())


def _local_engine_output(root: str, entries, num_shards: int, **options):
  """The local engine's output tree for the same plan: the bytes to match."""
  output = os.path.join(root, 'local')
  with contextlib.redirect_stdout(io.StringIO()):
    convert.convert_split('train', entries, num_shards, output,
                          options=convert.ConvertOptions(workers=core.Workers(1), **options))
  return file_trees.file_contents(output)


def _opens(pid: int, path: str) -> bool:
  """True when process `pid` holds `path` open."""
  directory = '/proc/%d/fd' % pid
  try:
    names = os.listdir(directory)
  except FileNotFoundError:
    return False
  for name in names:
    with contextlib.suppress(OSError):
      if os.readlink(os.path.join(directory, name)) == path:
        return True
  return False


def _make_fifo(path: str) -> str:
  """Replaces the file at `path` by a FIFO: its reader blocks until the test writes."""
  os.remove(path)
  os.mkfifo(path)
  return path


def _open_writer_when_read(fifo: str) -> int:
  """Opens the FIFO for writing once a reader holds it (then its read blocks)."""

  def try_open():
    try:
      return os.open(fifo, os.O_WRONLY | os.O_NONBLOCK)
    except OSError as e:
      if e.errno != errno.ENXIO:  # ENXIO: no reader yet
        raise
      return None

  return _wait_for(try_open, 'a worker to open ' + fifo, _JOB_SECONDS)


class _ClusterTestCase(absltest.TestCase):
  """Tests sharing one cluster (starting it and the workers' imports take seconds)."""

  @classmethod
  def setUpClass(cls):
    super().setUpClass()
    directory = tempfile.mkdtemp(dir=absltest.TEST_TMPDIR.value)
    cls.cluster = cls.enter_context(_Cluster(directory))

  def setUp(self):
    super().setUp()
    self.root = self.create_tempdir().full_path

  def _assert_same_tree(self, written, expected):
    self.assertEqual(sorted(written), sorted(expected))  # no staging or temporary file
    for name, data in expected.items():
      self.assertEqual(written[name], data, '%s differs' % name)


class DaskClusterTest(_ClusterTestCase):

  def test_shards_match_the_local_engine_and_both_workers_write_them(self):
    entries = _split(self.root, 6)
    expected = _local_engine_output(self.root, entries, 8, write_index=True)
    output = os.path.join(self.root, 'dask')
    options = convert.ConvertOptions(
        runner=_dask_cluster.DASK_RUNNER, write_index=True,
        beam_pipeline_args=('--dask_client_address=' + self.cluster.address,))
    start = time.time()
    with contextlib.redirect_stdout(io.StringIO()):
      result = convert.convert_split('train', entries, 8, output, options=options)
    self.assertEqual(result.summary_line(), 'Finished writing all 24 images in data set.')
    self.assertEqual(len(self.cluster.workers_that_ran_shards(start)), 2)
    self._assert_same_tree(file_trees.file_contents(output), expected)

  def test_corrupt_image_fails_the_job_naming_it(self):
    corrupt = '%s_1.JPEG' % SYNSETS[2]
    entries = _split(self.root, 3, special={corrupt: fixtures.truncated_jpeg()})
    output = os.path.join(self.root, 'dask')
    with contextlib.redirect_stdout(io.StringIO()):
      with self.assertRaises(records.ImageError) as raised:
        convert.convert_split('train', entries, 4, output,
                              options=_dask_options(self.cluster.address))
    self.assertIn(os.path.join(self.root, 'train', SYNSETS[2], corrupt),
                  str(raised.exception))
    self.assertEqual([n for n in os.listdir(output) if
                      n.startswith(_beam_runner.STAGING_PREFIX) or '.incomplete-' in n],
                     [])



  def test_ctrl_c_cancels_the_jobs_tasks(self):
    entries = _split(self.root, 2)
    blocking = _make_fifo(entries[3].source)
    _write_labels(self.root)
    binary = subprocess.Popen(
        [binaries.path('build_image_data'), '--train_directory=train',
         '--validation_directory=', '--labels_file=labels.txt', '--train_shards=4',
         '--output_directory=out', '--runner=DaskRunner',
         '--beam_pipeline_options=dask_client_address=' + self.cluster.address],
        cwd=self.root, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
        stderr=subprocess.PIPE, env=binaries.user_environment(), text=True)
    writer = _open_writer_when_read(blocking)
    try:
      binary.send_signal(signal.SIGINT)
      _, stderr = binary.communicate(timeout=_JOB_SECONDS)
    finally:
      os.close(writer)  # lets the worker's cancelled task end
    self.assertEqual(binary.returncode, 130, stderr[-3000:])
    self.assertIn('build_image_data: interrupted.', stderr)
    _wait_for(lambda: not self.cluster.client.run_on_scheduler(
        lambda dask_scheduler: len(dask_scheduler.tasks)), 'the tasks to be released')
    self.assertEqual([n for n in os.listdir(os.path.join(self.root, 'out'))
                      if n.startswith(_beam_runner.STAGING_PREFIX)], [])


class KilledWorkerTest(_ClusterTestCase):
  """Kills a worker of its own cluster."""

  def test_killed_worker_has_its_shard_rerun_elsewhere(self):
    # One image is a FIFO: the worker reading it blocks there, mid-shard, until the
    # test writes the image. That worker is killed; the other one re-runs the shard.
    entries = _split(self.root, 4)
    expected = _local_engine_output(self.root, entries, 8)
    blocking = entries[5].source
    with open(blocking, 'rb') as f:
      image = f.read()
    _make_fifo(blocking)
    output = os.path.join(self.root, 'dask')
    pool = self.enter_context(concurrent.futures.ThreadPoolExecutor(1))
    with contextlib.redirect_stdout(io.StringIO()):
      job = pool.submit(convert.convert_split, 'train', entries, 8, output,
                        options=_dask_options(self.cluster.address))
      writer = _open_writer_when_read(blocking)
      try:
        reader = _wait_for(lambda: next((w for w in self.cluster.workers
                                         if _opens(w.pid, blocking)), None),
                           'the reading worker')
        [other] = [w for w in self.cluster.workers if w is not reader]
        os.kill(reader.pid, signal.SIGKILL)
        reader.wait(timeout=10)
        _wait_for(lambda: _opens(other.pid, blocking), 'the re-run', _JOB_SECONDS)
        os.write(writer, image)
      finally:
        os.close(writer)
      result = job.result(timeout=_JOB_SECONDS)
    self.assertEqual(result.summary_line(), 'Finished writing all 16 images in data set.')
    self._assert_same_tree(file_trees.file_contents(output), expected)


class PathsTest(absltest.TestCase):

  def test_loopback_addresses_are_local(self):
    for address in ('tcp://127.0.0.1:8786', '127.0.0.1:8786', 'localhost:8786',
                    'tcp://127.5.0.2:1', 'tcp://[::1]:8786'):
      self.assertTrue(_dask_cluster.is_local_address(address), address)
    for address in ('tcp://10.0.0.7:8786', '192.168.1.2:8786',
                    'tls://scheduler.example.com:8786'):
      self.assertFalse(_dask_cluster.is_local_address(address), address)

  def test_a_remote_cluster_refuses_local_paths(self):
    root = self.create_tempdir().full_path
    entries = _split(root, 1)
    with self.assertRaisesRegex(ValueError, 'cannot see this machine.s files.*gs://'):
      convert.convert_split('train', entries, 1, os.path.join(root, 'out'),
                            options=_dask_options('tcp://10.0.0.7:8786'))

  def test_runner_names(self):
    for name in ('DaskRunner', 'dask', ' daskrunner ', _dask_cluster.DASK_RUNNER):
      self.assertTrue(_dask_cluster.is_dask_runner(name), name)
    self.assertFalse(_dask_cluster.is_dask_runner('DirectRunner'))


class LocalClusterTest(absltest.TestCase):

  def test_binary_without_an_address_runs_a_local_cluster(self):
    root = self.create_tempdir().full_path
    _split(root, 2)
    _write_labels(root)
    trees = {}
    for runner in ('local', 'DaskRunner'):
      result = binaries.run(
          'build_image_data',
          ['--train_directory=train', '--validation_directory=', '--train_shards=3',
           '--labels_file=labels.txt', '--num_threads=2', '--runner=' + runner,
           '--output_directory=' + runner],
          cwd=root, timeout=_JOB_SECONDS)
      self.assertEqual(result.returncode, 0, result.stderr[-3000:])
      self.assertEqual(result.stdout.splitlines(),
                       ['Finished writing all 8 images in data set.'])
      trees[runner] = file_trees.output_contents(os.path.join(root, runner))
    self.assertEqual(trees['DaskRunner'], trees['local'])
    self.assertEqual(len([n for n in trees['local'] if '-of-' in n]), 3)


if __name__ == '__main__':
  absltest.main()
