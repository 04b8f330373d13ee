"""Tests the build_imagenet_data binary as users run it (exit status, output, flags)."""

import os
import re
import shlex
import signal
import subprocess
import time

from absl.testing import absltest
from PIL import Image
import tensorflow as tf

from inception import label_files
from tests import binaries
from tests import conversion_fixtures as fixtures
from tests.core import full_disk

_BINARY = 'build_imagenet_data'
_POOL_WORKER = b'inception.core._pool_worker'


def _tiny_jpeg(path, shade):
  os.makedirs(os.path.dirname(path), exist_ok=True)
  Image.new('RGB', (9, 7), (shade % 256, 40, 90)).save(path, 'JPEG', quality=80)


class ShippedLabelFilesTest(absltest.TestCase):

  def test_all_1000_classes_with_default_label_files_and_relative_paths(self):
    root = self.create_tempdir().full_path
    synsets = label_files.read_synsets()
    self.assertLen(synsets, 1000)
    for index, synset in enumerate(synsets):
      _tiny_jpeg(os.path.join(root, 'raw', 'train', synset, '%s_1.JPEG' % synset), index)
      _tiny_jpeg(os.path.join(root, 'raw', 'validation', synset,
                              'ILSVRC2012_val_%08d.JPEG' % (index + 1)), index)
    with open(os.path.join(root, 'raw', 'boxes.csv'), 'w') as f:
      f.write('n01440764_1.JPEG,0.1000,0.2000,0.3000,0.4000\n')
    elsewhere = self.create_tempdir().full_path
    result = binaries.run(_BINARY, ['--train_directory=raw/train', '--validation_directory=raw/validation',
                   '--output_directory=out', '--bounding_box_file=raw/boxes.csv',
                   '--train_shards=4', '--validation_shards=2', '--num_threads=2'],
                  cwd=elsewhere, BUILD_WORKING_DIRECTORY=root)
    self.assertEqual(result.returncode, 0, result.stderr[-3000:])
    self.assertEqual(result.stdout.splitlines(),
                     ['Finished writing all 1000 images in data set.'] * 2)
    self.assertIn('ETA', result.stderr)  # progress lines with rate and ETA
    output = os.path.join(root, 'out')
    self.assertEqual(sorted(n for n in os.listdir(output) if '-of-' in n),
                     ['train-%05d-of-00004' % i for i in range(4)] +
                     ['validation-00000-of-00002', 'validation-00001-of-00002'])
    found = 0
    for serialized in tf.data.TFRecordDataset(
        [os.path.join(output, 'train-%05d-of-00004' % i) for i in range(4)]):
      feature = tf.train.Example.FromString(serialized.numpy()).features.feature
      if feature['image/filename'].bytes_list.value[0] == b'n01440764_1.JPEG':
        found += 1
        self.assertEqual(feature['image/class/label'].int64_list.value, [1])
        self.assertEqual(feature['image/class/text'].bytes_list.value,
                         [b'tench, Tinca tinca'])
        self.assertLen(feature['image/object/bbox/xmin'].float_list.value, 1)
      if feature['image/filename'].bytes_list.value[0] == b'n15075141_1.JPEG':
        self.assertEqual(feature['image/class/label'].int64_list.value, [1000])
    self.assertEqual(found, 1)


class FailureTest(absltest.TestCase):

  def setUp(self):
    super().setUp()
    self.root = self.create_tempdir().full_path
    self.synsets = fixtures.synset_names(2)
    self.bad = os.path.join(self.root, 'train', self.synsets[1], '%s_1.JPEG' %
                            self.synsets[1])
    fixtures.make_imagenet_split(os.path.join(self.root, 'train'), self.synsets, 3,
                                 special={os.path.basename(self.bad): b'GIF89a broken'})
    fixtures.make_imagenet_split(os.path.join(self.root, 'validation'), self.synsets, 2,
                                 name_format='val_%(synset)s_%(n)d.JPEG')
    self.labels = fixtures.write_label_files(self.root, self.synsets)

  def _args(self, *extra):
    return ['--train_directory=%s/train' % self.root,
            '--validation_directory=%s/validation' % self.root,
            '--output_directory=%s/out' % self.root,
            '--labels_file=%s' % self.labels[0],
            '--imagenet_metadata_file=%s' % self.labels[1],
            '--train_shards=2', '--validation_shards=1', '--num_threads=1'] + list(extra)

  def test_bad_image_exits_non_zero_naming_it(self):
    result = binaries.run(_BINARY, self._args('--bounding_box_file='), cwd=self.root)
    self.assertNotEqual(result.returncode, 0)
    self.assertIn(self.bad, result.stderr)
    self.assertEqual(result.stdout, 'Finished writing all 4 images in data set.\n')

  def test_skip_bad_images_exits_zero_with_honest_counts(self):
    result = binaries.run(_BINARY, self._args('--bounding_box_file=', '--skip_bad_images',
                             '--write_index'), cwd=self.root)
    self.assertEqual(result.returncode, 0, result.stderr[-3000:])
    self.assertEqual(result.stdout.splitlines(),
                     ['Finished writing all 4 images in data set.',
                      'Finished writing all 5 images in data set.'])
    with open(os.path.join(self.root, 'out', 'bad_images-train.txt')) as f:
      self.assertTrue(f.read().startswith(self.bad + '\t'))
    self.assertLen(os.listdir(os.path.join(self.root, 'out', 'index')), 3)

  def test_more_shards_than_images_warns_once_how_many_are_empty(self):
    # Issue 24, item 8: 6 train images in 8 shards: 2 are empty, said in one line.
    result = binaries.run(_BINARY, self._args('--bounding_box_file=', '--skip_bad_images',
                                              '--train_shards=8'), cwd=self.root)
    self.assertEqual(result.returncode, 0, result.stderr[-3000:])
    warnings = [line for line in result.stderr.splitlines() if 'will be empty' in line]
    self.assertLen(warnings, 1, result.stderr)
    self.assertTrue(warnings[0].endswith(
        'train: 8 shards for 6 images: 2 shards will be empty (written all the same, so '
        'that every shard name exists)'), warnings[0])
    self.assertLen([n for n in os.listdir(os.path.join(self.root, 'out'))
                    if n.startswith('train-')], 8)

  def test_lying_frame_headers_are_refused_or_skipped_naming_each_file(self):
    # Issue 24: JPEGs whose frame header claims more pixels than their scan data can
    # hold (each 16x16 data), which passed the default validation before.
    synset = self.synsets[0]
    lying = {'%s_%d.JPEG' % (synset, n): fixtures.lying_jpeg(*size)
             for n, size in enumerate(fixtures.LYING_SIZES)}
    fixtures.make_imagenet_split(os.path.join(self.root, 'train'), self.synsets, 3,
                                 special=lying)  # and no longer the broken GIF
    paths = [os.path.join(self.root, 'train', synset, name) for name in sorted(lying)]
    result = binaries.run(_BINARY, self._args('--bounding_box_file='), cwd=self.root)
    self.assertNotEqual(result.returncode, 0)
    self.assertRegex(result.stderr, r'(%s): corrupt JPEG header \(DecompressionBomb|'
                     r'(%s|%s): corrupt JPEG: the frame header claims' %
                     tuple(re.escape(p) for p in paths))
    result = binaries.run(_BINARY, self._args('--bounding_box_file=', '--skip_bad_images'),
                          cwd=self.root)
    self.assertEqual(result.returncode, 0, result.stderr[-3000:])
    self.assertEqual(result.stdout.splitlines()[-1],
                     'Finished writing all 3 images in data set.')
    with open(os.path.join(self.root, 'out', 'bad_images-train.txt')) as f:
      listed = dict(line.split('\t', 1) for line in f.read().splitlines())
    self.assertEqual(sorted(listed), paths)
    for path, (width, height) in zip(paths, fixtures.LYING_SIZES):
      if width * height > Image.MAX_IMAGE_PIXELS:
        self.assertRegex(listed[path], r'^corrupt JPEG header \(DecompressionBombError')
      else:
        self.assertTrue(listed[path].startswith(
            'corrupt JPEG: the frame header claims %dx%d pixels (width x height), more '
            'than the scan data holds: the scan at byte' % (width, height)),
                        listed[path])

  def test_missing_default_bounding_box_file(self):
    result = binaries.run(_BINARY, self._args(), cwd=self.root)
    self.assertNotEqual(result.returncode, 0)
    self.assertIn('imagenet_2012_bounding_boxes.csv does not exist', result.stderr)
    self.assertIn('--bounding_box_file=', result.stderr)
    self.assertEqual(result.stdout, '')


def _process_reading(path: str) -> int:
  """The pid of another process that has `path` open, or 0."""
  for pid in filter(str.isdigit, os.listdir('/proc')):
    if int(pid) == os.getpid():
      continue
    try:
      fds = os.listdir('/proc/%s/fd' % pid)
      if any(os.readlink('/proc/%s/fd/%s' % (pid, fd)) == path for fd in fds):
        return int(pid)
    except OSError:  # gone, or not ours to look at
      continue
  return 0


class DiskAndWorkerFailureTest(absltest.TestCase):
  """A full disk and a killed worker: one line naming the file, no traceback."""

  def setUp(self):
    super().setUp()
    self.root = self.create_tempdir().full_path
    self.synsets = fixtures.synset_names(3)
    self.files = fixtures.make_imagenet_split(os.path.join(self.root, 'train'),
                                              self.synsets, 30)
    self.labels = fixtures.write_label_files(self.root, self.synsets)

  def _command(self, output, num_shards):
    return [binaries.path(_BINARY), '--train_directory=%s/train' % self.root,
            '--validation_directory=', '--output_directory=%s' % output,
            '--labels_file=%s' % self.labels[0],
            '--imagenet_metadata_file=%s' % self.labels[1], '--bounding_box_file=',
            '--train_shards=%d' % num_shards, '--num_threads=2']

  def test_full_disk_is_one_line_naming_the_shard_and_its_directory(self):
    # ~130 KB of images in two shards; the directory holds 64 KB.
    with full_disk.small_directory(self.root, 64 << 10) as (small, limit):
      output = os.path.join(small, 'out')
      result = subprocess.run(self._command(output, 2), cwd=self.root,
                              stdin=subprocess.DEVNULL, capture_output=True,
                              text=True, env=binaries.user_environment(),
                              preexec_fn=limit, timeout=120)
      left = os.listdir(output)
    self.assertNotEqual(result.returncode, 0)
    self.assertNotIn('Traceback', result.stderr)
    self.assertRegex(result.stderr.splitlines()[-1],
                     r'^build_imagenet_data: error: %s/train-0000[01]-of-00002: .+ '
                     r'\(writing into directory %s\)$' % (re.escape(output),
                                                          re.escape(output)))
    self.assertEqual(sorted(left), ['conversion_manifest.json', 'inception-run.lock'])
    self.assertEqual(result.stdout, '')

  def test_killed_worker_is_one_line_naming_the_shard_and_status(self):
    # One image is a FIFO that this test holds open and never writes: the worker
    # reading it blocks there, and is killed.
    fifo = os.path.join(self.root, 'train', self.synsets[1], '%s_4.JPEG' %
                        self.synsets[1])
    os.remove(fifo)
    os.mkfifo(fifo)
    held = os.open(fifo, os.O_RDWR | os.O_NONBLOCK)
    self.addCleanup(os.close, held)
    output = os.path.join(self.root, 'out')
    child = subprocess.Popen(self._command(output, 4), cwd=self.root,
                             stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                             stderr=subprocess.PIPE, text=True,
                             env=binaries.user_environment())
    self.addCleanup(child.kill)
    deadline = time.monotonic() + 60
    worker = 0
    while not worker:
      self.assertIsNone(child.poll(), 'the run ended before its worker was killed')
      self.assertLess(time.monotonic(), deadline, 'no worker read the FIFO')
      time.sleep(0.05)
      worker = _process_reading(fifo)
    with open('/proc/%d/cmdline' % worker, 'rb') as f:
      self.assertIn(_POOL_WORKER, f.read())
    os.kill(worker, signal.SIGKILL)
    stdout, stderr = child.communicate(timeout=60)
    self.assertNotEqual(child.returncode, 0)
    self.assertNotIn('Traceback', stderr)
    match = re.match(r'^build_imagenet_data: error: worker process %d exited \(status '
                     r'-9\) while writing %s/(train-\d{5}-of-00004): killed by SIGKILL'
                     % (worker, re.escape(output)), stderr.splitlines()[-1])
    self.assertIsNotNone(match, stderr[-2000:])
    self.assertNotIn(match.group(1), os.listdir(output))
    self.assertEqual(stdout, '')


class TwoRunsTest(absltest.TestCase):
  """Two runs into one output directory: the second is refused at once, in one line
  naming the directory and the run that holds it (issue 24)."""

  def setUp(self):
    super().setUp()
    self.root = self.create_tempdir().full_path
    self.output = os.path.join(self.root, 'out')
    self.synsets = fixtures.synset_names(3)
    files = fixtures.make_imagenet_split(os.path.join(self.root, 'train'),
                                         self.synsets, 10)
    fixtures.make_imagenet_split(os.path.join(self.root, 'validation'), self.synsets, 2,
                                 name_format='val_%(synset)s_%(n)d.JPEG')
    self.labels = fixtures.write_label_files(self.root, self.synsets)
    # One train image is a FIFO: the run that holds the lock blocks on it until the
    # test writes the image's bytes, so that it is still running when the other tries.
    name = '%s_4.JPEG' % self.synsets[1]
    self.fifo = os.path.join(self.root, 'train', self.synsets[1], name)
    self.fifo_image = files[name]
    os.remove(self.fifo)
    os.mkfifo(self.fifo)

  def command(self, train_shards):
    return [binaries.path(_BINARY), '--train_directory=%s/train' % self.root,
            '--validation_directory=%s/validation' % self.root,
            '--output_directory=' + self.output, '--labels_file=' + self.labels[0],
            '--imagenet_metadata_file=' + self.labels[1], '--bounding_box_file=',
            '--train_shards=%d' % train_shards, '--validation_shards=1',
            '--num_threads=2', '--overwrite']

  def start(self, train_shards):
    """Starts a run in a process group of its own (killed with its workers at the
    end of the test, were it blocked still)."""
    process = subprocess.Popen(self.command(train_shards), cwd=self.root,
                               stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                               stderr=subprocess.PIPE, text=True,
                               env=binaries.user_environment(), start_new_session=True)
    self.addCleanup(binaries.kill_group, process)
    return process

  def feed_fifo(self):
    with open(self.fifo, 'wb') as f:  # waits for the reader, then gives it EOF
      f.write(self.fifo_image)

  def assert_checker_passes(self, num_shards):
    self.assertEqual(sorted(n for n in os.listdir(self.output) if '-of-' in n),
                     ['train-%05d-of-%05d' % (i, num_shards) for i in range(num_shards)]
                     + ['validation-00000-of-00001'])
    result = binaries.run('check_tfrecords', [
        '--labels_file=' + self.labels[0], '--imagenet_metadata_file=' + self.labels[1],
        '--validation_labels_file=', self.output], self.root)
    self.assertEqual(result.returncode, 0, result.stderr[-3000:])

  def test_two_overwrite_runs_at_once_leave_one_plan_and_refuse_the_other(self):
    runs = {4: self.start(4), 8: self.start(8)}
    deadline = time.monotonic() + 120
    while all(run.poll() is None for run in runs.values()):
      self.assertLess(time.monotonic(), deadline, 'neither run was refused')
      time.sleep(0.05)
    (refused_shards, refused), = [(n, r) for n, r in runs.items() if r.poll() is not None]
    (held_shards, holder), = [(n, r) for n, r in runs.items() if r is not refused]
    stdout, stderr = refused.communicate()
    self.assertEqual(refused.returncode, 1, stderr[-3000:])
    self.assertEqual(stderr, 'build_imagenet_data: error: %s is in use by another run '
                     '(pid %d: build_imagenet_data %s); wait for it to end, or stop '
                     'it\n' % (self.output, holder.pid, shlex.join(holder.args[1:])))
    self.assertEqual(stdout, '')
    self.feed_fifo()
    stdout, stderr = holder.communicate(timeout=120)
    self.assertEqual(holder.returncode, 0, stderr[-3000:])
    self.assertEqual(stdout.splitlines(), ['Finished writing all 6 images in data set.',
                                           'Finished writing all 30 images in data set.'])
    self.assertNotEqual(refused_shards, held_shards)
    self.assert_checker_passes(held_shards)

  def test_a_run_killed_with_9_leaves_no_lock_behind(self):
    killed = self.start(8)
    binaries.wait_for_lock(killed, self.output)
    os.killpg(killed.pid, signal.SIGKILL)  # the run and its workers
    killed.communicate()
    os.remove(self.fifo)  # now a plain image: the next run does not block on it
    fixtures.write(self.fifo, self.fifo_image)
    result = subprocess.run(self.command(4), cwd=self.root, stdin=subprocess.DEVNULL,
                            capture_output=True, text=True,
                            env=binaries.user_environment(), timeout=120)
    self.assertEqual(result.returncode, 0, result.stderr[-3000:])
    self.assert_checker_passes(4)


if __name__ == '__main__':
  absltest.main()
