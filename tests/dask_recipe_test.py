"""README's Dask recipe, run as written: the scheduler and two workers, then the binaries.

The scheduler and worker commands are read from README.md ("A Dask cluster of several
machines") and run with only these changes: `.venv/bin/dask` is the `dask` of a venv
made as tools/setup.sh makes it (tests/dask_clusters.py: an editable install of this
checkout), the hosts are 127.0.0.1, the port a free one, `$(nproc)` is 1 (two worker
commands, so two single-threaded workers); each runs in an empty directory of its own
with no PYTHONPATH. The launcher is README's command with this test's paths and 4 + 2
shards (the defaults, 1024 + 128, would make 1,152 tasks of a few images) and a
--labels_file of 20 of the 1000 classes (every class directory is listed on the store:
1000 would take minutes on the emulator), and its bucket this test's. The data are
only in S3: moto's server on 127.0.0.1, started once for this file, reached by the
launcher and every worker through the standard AWS variables alone
(tests/object_stores.py), the secret key a string no output may hold.
Its shards, manifest and output lines must be a local run's, with the documented flag
and with the Beam flags kept from before; the checker and the driver run their tasks
there too.
"""

import os
import re
import secrets
import shlex
import tempfile

from absl.testing import absltest
import distributed
import fsspec
from PIL import Image

from inception import label_files
from tests import binaries
from tests import dask_clusters
from tests import file_trees
from tests import object_stores

_README_SECTION = '### A Dask cluster of several machines'
_JOB_SECONDS = 240
_README_BUCKET = 'my-bucket'
_BUCKET = 'inception-dask'
_SECRET = 'secret-' + secrets.token_hex(12)
_NUM_CLASSES = 20


def _readme_commands():
  """The scheduler and worker commands and the launcher's arguments in README.md."""
  with open(os.path.join(dask_clusters.SOURCE_ROOT, 'README.md')) as f:
    text = f.read()
  section = text[text.index(_README_SECTION):]
  block = section[section.index('```\n') + 4:]
  block = block[:block.index('```')].replace('\\\n', ' ')
  lines = [line.strip() for line in block.splitlines()
           if line.strip() and not line.startswith('#')]
  scheduler = [line for line in lines if line.startswith('.venv/bin/dask scheduler')]
  worker = [line for line in lines if line.startswith('.venv/bin/dask worker')]
  launcher = [line for line in lines
              if line.startswith('bazel run //inception:build_imagenet_data -- ')]
  assert len(scheduler) == len(worker) == len(launcher) == 1, lines
  return scheduler[0], worker[0], launcher[0]


def _substituted(command: str, bin_dir: str, port: int):
  command = command.replace('.venv/bin/dask', os.path.join(bin_dir, 'dask'))
  for host in ('0.0.0.0', '10.0.0.1'):
    command = command.replace(host, '127.0.0.1')
  command = command.replace(':8786', ':%d' % port).replace('--port 8786',
                                                          '--port %d' % port)
  command = command.replace('s3://%s/' % _README_BUCKET, 's3://%s/' % _BUCKET)
  return shlex.split(command.replace('$(nproc)', '1'))


def setUpModule():
  global _DIRECTORY, _BIN, _CLUSTER, _CLIENT, _LAUNCHER, _ADDRESS, _STORE
  _DIRECTORY = tempfile.mkdtemp(dir=absltest.TEST_TMPDIR.value)
  _BIN = dask_clusters.project_venv(_DIRECTORY)
  scheduler, worker, launcher = _readme_commands()
  port = dask_clusters.free_port()
  _STORE = object_stores.s3(os.path.join(_DIRECTORY, 'moto.log'))
  aws = object_stores.aws_environment(_STORE.url, _SECRET)
  os.environ.update(aws)  # this process's s3fs and the launcher's, as a user's shell
  fsspec.filesystem('s3').mkdir(_BUCKET)
  _CLUSTER = dask_clusters.Cluster(os.path.join(_DIRECTORY, 'cluster'), aws)
  try:
    _ADDRESS = _CLUSTER.start_scheduler(_substituted(scheduler, _BIN, port), port,
                                        'tcp://127.0.0.1:%d' % port)
    for _ in range(2):
      _CLUSTER.start_worker(_substituted(worker, _BIN, port))
    _CLIENT = _CLUSTER.client()
    _CLIENT.wait_for_workers(2, timeout=dask_clusters.START_SECONDS)
  except BaseException:
    tearDownModule()
    raise
  _LAUNCHER = _substituted(launcher, _BIN, port)[4:]  # after `bazel run //... --`


def tearDownModule():
  client = globals().get('_CLIENT')
  if client is not None:
    client.close()
  _CLUSTER.__exit__()
  _STORE.stop()


def _synsets_file(root: str) -> str:
  return os.path.join(root, 'synsets.txt')


def _write_set(root: str) -> None:
  """A tiny image per class of the first _NUM_CLASSES of the shipped synsets, in
  train and validation, and the box CSV: under `root/raw-data/`, and copied to
  s3://BUCKET/raw-data/; their synsets file `_synsets_file(root)`."""
  synsets = label_files.read_synsets()[:_NUM_CLASSES]
  with open(_synsets_file(root), 'w') as f:
    f.write(''.join(synset + '\n' for synset in synsets))
  for index, synset in enumerate(synsets):
    for split, name in (('train', '%s_1.JPEG' % synset),
                        ('validation', 'ILSVRC2012_val_%08d.JPEG' % (index + 1))):
      path = os.path.join(root, 'raw-data', split, synset, name)
      os.makedirs(os.path.dirname(path), exist_ok=True)
      Image.new('RGB', (9, 7), (index % 256, 40, 90)).save(path, 'JPEG', quality=80)
  with open(os.path.join(root, 'raw-data', 'imagenet_2012_bounding_boxes.csv'), 'w') as f:
    f.write('n01440764_1.JPEG,0.1000,0.2000,0.3000,0.4000\n')
  fsspec.filesystem('s3').put(os.path.join(root, 'raw-data'), _BUCKET + '/raw-data',
                              recursive=True)


def _launcher_arguments(root: str, output: str):
  """README's launcher arguments writing to s3://BUCKET/`output`, with few shards
  and classes."""
  arguments = [a.replace('s3://%s/tfrecords' % _BUCKET, 's3://%s/%s' % (_BUCKET, output))
               for a in _LAUNCHER]
  return arguments + ['--train_shards=4', '--validation_shards=2',
                      '--labels_file=' + _synsets_file(root)]


def _local_arguments(root: str, output: str):
  """The same job on this machine's pool: the local copy of the set, into `output`."""
  return [a.replace('s3://%s/raw-data' % _BUCKET, os.path.join(root, 'raw-data'))
          for a in _launcher_arguments(root, '') if not a.startswith(
              ('--dask_address', '--output_directory'))] + [
                  '--output_directory=' + output, '--num_threads=2']


def _objects(prefix: str):
  """{name below s3://BUCKET/prefix/: bytes} of what a run wrote there, but its run
  lock and the check's report (as file_trees.output_contents)."""
  return {name: data for name, data in object_stores.s3_objects(_BUCKET, prefix).items()
          if name != 'inception-run.lock' and not name.startswith('check_report')}


class ReadmeRecipeTest(absltest.TestCase):

  def run_binary(self, name: str, arguments, cwd: str):
    result = binaries.run(name, arguments, cwd=cwd, timeout=_JOB_SECONDS)
    self.assertEqual(result.returncode, 0, result.stderr[-3000:])
    self.assertNotIn(_SECRET, result.stdout + result.stderr)
    return result

  def test_the_documented_and_the_beam_flags_give_the_local_shards(self):
    root = self.create_tempdir().full_path
    _write_set(root)
    self.assertIn('--dask_address=%s' % _ADDRESS, _LAUNCHER)
    self.assertIn('--output_directory=s3://%s/tfrecords' % _BUCKET, _LAUNCHER)
    documented = _launcher_arguments(root, 'dask')
    local = _local_arguments(root, os.path.join(root, 'local'))
    beam = [a for a in _launcher_arguments(root, 'beam')
            if not a.startswith('--dask_address')] + [
                '--runner=DaskRunner',
                '--beam_pipeline_options=dask_client_address=' + _ADDRESS]
    outputs = {}
    with distributed.get_task_stream(client=_CLIENT) as stream:
      for name, arguments in (('local', local), ('dask', documented), ('beam', beam)):
        result = self.run_binary('build_imagenet_data', arguments, root)
        self.assertEqual(result.stdout.splitlines(), [
            'Finished writing all %d images in data set.' % _NUM_CLASSES] * 2)
        self.assertRegex(result.stderr, r'train: %d/%d images \(100\.0%%\)' % (
            _NUM_CLASSES, _NUM_CLASSES))
        if name == 'local':
          outputs[name] = file_trees.output_contents(os.path.join(root, name))
        else:
          outputs[name] = _objects(name)
          self.assertIn('to write with the Dask cluster at ' + _ADDRESS, result.stderr)
    self.assertGreater(len(outputs['local']), 6)
    self.assertEqual(outputs['dask'], outputs['local'])
    self.assertEqual(outputs['beam'], outputs['local'])
    for name in ('scheduler', 'worker0', 'worker1'):
      self.assertNotIn(_SECRET, _CLUSTER.log(name))
    shard_workers = {t['worker'] for t in stream.data
                     if str(t['key']).startswith('write_shard-')}
    self.assertLen(shard_workers, 2)  # both workers wrote shards
    with distributed.get_task_stream(client=_CLIENT) as stream:
      # (the validation names here are not the label file's: no validation labels)
      self.run_binary('check_tfrecords', ['--dask_address=' + _ADDRESS,
                                          '--nolabel_files',
                                          's3://%s/dask' % _BUCKET], root)
    self.assertTrue(any(str(t['key']).startswith('check_shard_task-')
                        for t in stream.data))

  def test_the_driver_runs_its_boxes_convert_and_check_steps_on_the_cluster(self):
    root = self.create_tempdir().full_path
    with distributed.get_task_stream(client=_CLIENT) as stream:
      result = self.run_binary('download_and_preprocess_imagenet',
                               ['--demo', '--dask_address=' + _ADDRESS, 'data'], root)
    self.assertRegex(result.stdout.splitlines()[-1],
                     r'^Finished writing all \d+ images in data set\.$')
    prefixes = {re.sub(r'-\d+-[0-9a-f]+$', '', str(t['key'])) for t in stream.data}
    self.assertContainsSubset({'process_chunk', 'write_shard', 'check_shard_task'},
                              prefixes)


if __name__ == '__main__':
  absltest.main()
