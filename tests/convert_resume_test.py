"""Resuming: complete shards are kept, a killed run resumes to identical output,
shards of another plan are refused, and bad images stop or are skipped honestly."""

import contextlib
import io
import json
import os
import signal
import subprocess
import sys
import time

from absl.testing import absltest

from inception import convert
from inception import conversion_manifest
from inception import image_coding
from tests import conversion_fixtures as fixtures

SYNSETS = fixtures.synset_names(3)


def _tree(directory):
  files = {}
  for parent, _, names in os.walk(directory):
    for name in names:
      path = os.path.join(parent, name)
      with open(path, 'rb') as f:
        files[os.path.relpath(path, directory)] = f.read()
  return files


class ResumeTest(absltest.TestCase):

  def setUp(self):
    super().setUp()
    self.root = self.create_tempdir().full_path
    self.train = os.path.join(self.root, 'train')
    self.files = fixtures.make_imagenet_split(self.train, SYNSETS, 8)
    self.labels = fixtures.write_label_files(os.path.join(self.root, 'labels'), SYNSETS)

  def convert(self, output, num_shards=6, **options):
    options.setdefault('num_workers', 1)
    with contextlib.redirect_stdout(io.StringIO()) as stdout:
      result = convert.convert_imagenet(self.train, None, output, *self.labels,
                                        train_shards=num_shards,
                                        options=convert.ConvertOptions(**options))
    self.stdout = stdout.getvalue()
    return result.get('train')

  def test_rerun_keeps_complete_shards(self):
    output = os.path.join(self.root, 'out')
    self.convert(output)
    before = {n: os.stat(os.path.join(output, n)).st_ino for n in os.listdir(output)
              if '-of-' in n}
    contents = _tree(output)
    result = self.convert(output, write_index=True)
    self.assertEqual(result.num_reused_shards, 6)
    self.assertEqual(self.stdout, 'Finished writing all 24 images in data set.\n')
    for name, inode in before.items():
      self.assertEqual(os.stat(os.path.join(output, name)).st_ino, inode)
    after = _tree(output)
    self.assertLen([n for n in after if n.startswith('index/')], 6)  # added on reuse
    self.assertEqual({n: b for n, b in after.items() if not n.startswith('index/')},
                     contents)
    result = self.convert(output, overwrite=True)
    self.assertEqual(result.num_reused_shards, 0)
    self.assertEqual(_tree(output), contents)  # and the index files of no use are gone

  def test_corrupt_or_missing_shard_is_rewritten(self):
    output = os.path.join(self.root, 'out')
    self.convert(output)
    contents = _tree(output)
    with open(os.path.join(output, 'train-00002-of-00006'), 'r+b') as f:
      f.truncate(100)
    os.remove(os.path.join(output, 'train-00004-of-00006'))
    result = self.convert(output)
    self.assertEqual(result.num_reused_shards, 4)
    self.assertEqual(_tree(output), contents)

  def test_killed_run_resumes_to_identical_output(self):
    reference = os.path.join(self.root, 'reference')
    self.convert(reference)
    # Block one image (a FIFO never written) so the run is mid-way when killed.
    plan = convert.plan_split('train', convert.find_imagenet_entries(
        self.train, SYNSETS, ['t'] * 3), 6, '/unused')
    blocked_shard = 3
    blocked = plan.tasks[blocked_shard].entries[1].source
    os.remove(blocked)
    os.mkfifo(blocked)
    output = os.path.join(self.root, 'out')
    code = ('from inception import convert\n'
            'convert.convert_imagenet(%r, None, %r, %r, %r, train_shards=6,\n'
            '    options=convert.ConvertOptions(num_workers=2))\n' %
            ((self.train, output) + tuple(self.labels)))
    env = dict(os.environ, PYTHONPATH=os.pathsep.join(p for p in sys.path if p))
    child = subprocess.Popen([sys.executable, '-c', code], env=env,
                             start_new_session=True, stdout=subprocess.PIPE,
                             stderr=subprocess.DEVNULL)
    others = ['train-%05d-of-00006' % i for i in range(6) if i != blocked_shard]
    deadline = time.monotonic() + 50
    while not all(os.path.exists(os.path.join(output, n)) for n in others):
      self.assertIsNone(child.poll(), 'the run ended before it was killed')
      self.assertLess(time.monotonic(), deadline, 'the run did not get far enough')
      time.sleep(0.05)
    os.killpg(child.pid, signal.SIGKILL)
    child.wait()
    self.assertNotIn(b'Finished', child.stdout.read())
    child.stdout.close()
    names = os.listdir(output)
    self.assertNotIn('train-00003-of-00006', names)
    self.assertTrue(any('train-00003-of-00006.incomplete-' in n for n in names), names)

    os.remove(blocked)
    fixtures.write(blocked, self.files[os.path.basename(blocked)])
    result = self.convert(output)
    self.assertEqual(result.num_reused_shards, 5)
    self.assertEqual(_tree(output), _tree(reference))

  def test_shards_of_another_plan_are_refused_unless_overwrite(self):
    output = os.path.join(self.root, 'out')
    self.convert(output, num_shards=2)
    with self.assertRaisesRegex(convert.ConversionError, 'another plan'):
      self.convert(output, num_shards=3)
    fixtures.write(os.path.join(self.train, SYNSETS[0], 'extra.JPEG'),
                   fixtures.image_bytes(77))
    with self.assertRaisesRegex(convert.ConversionError, 'different plan'):
      self.convert(output, num_shards=2)
    self.convert(output, num_shards=3, overwrite=True)
    self.assertEqual(sorted(n for n in os.listdir(output) if '-of-' in n),
                     ['train-%05d-of-00003' % i for i in range(3)])
    self.assertEqual(self.stdout, 'Finished writing all 25 images in data set.\n')

  def test_shards_without_a_manifest_are_refused(self):
    output = os.path.join(self.root, 'out')
    fixtures.write(os.path.join(output, 'train-00000-of-00006'), b'')
    with self.assertRaisesRegex(convert.ConversionError, 'no record of their plan'):
      self.convert(output)


class BadImageTest(absltest.TestCase):

  def setUp(self):
    super().setUp()
    self.root = self.create_tempdir().full_path
    self.train = os.path.join(self.root, 'train')
    self.bad_name = '%s_2.JPEG' % SYNSETS[1]
    self.bad_path = os.path.join(self.train, SYNSETS[1], self.bad_name)
    fixtures.make_imagenet_split(self.train, SYNSETS, 5,
                                 special={self.bad_name: fixtures.truncated_jpeg()})
    self.labels = fixtures.write_label_files(os.path.join(self.root, 'labels'), SYNSETS)
    self.output = os.path.join(self.root, 'out')

  def convert(self, **options):
    with contextlib.redirect_stdout(io.StringIO()) as stdout:
      try:
        return convert.convert_imagenet(self.train, None, self.output, *self.labels,
                                        train_shards=3,
                                        options=convert.ConvertOptions(**options))
      finally:
        self.stdout = stdout.getvalue()

  def test_default_stops_naming_the_image(self):
    with self.assertRaises(image_coding.ImageError) as raised:
      self.convert(num_workers=2)
    self.assertIn(self.bad_path, str(raised.exception))
    self.assertEqual(self.stdout, '')
    plan = convert.plan_split('train', convert.find_imagenet_entries(
        self.train, SYNSETS, ['t'] * 3), 3, self.output)
    (bad_task,) = [t for t in plan.tasks
                   if self.bad_name in [e.filename for e in t.entries]]
    self.assertFalse(os.path.exists(bad_task.output_path))
    self.assertEqual([n for n in os.listdir(self.output) if 'incomplete' in n], [])
    record = conversion_manifest.read_manifest(self.output)['splits']['train']
    self.assertFalse(record['complete'])
    self.assertIsNone(record['shard_counts'][bad_task.index])

  def test_skip_lists_the_image_and_counts_honestly(self):
    result = self.convert(num_workers=2, skip_bad_images=True)['train']
    self.assertEqual(self.stdout, 'Finished writing all 14 images in data set.\n')
    self.assertEqual(result.num_images, 14)
    self.assertEqual([(s.source, s.filename) for s in result.skipped],
                     [(self.bad_path, self.bad_name)])
    with open(os.path.join(self.output, 'bad_images-train.txt')) as f:
      lines = f.read().splitlines()
    self.assertLen(lines, 1)
    self.assertTrue(lines[0].startswith(self.bad_path + '\tcorrupt JPEG header'))
    with open(os.path.join(self.output, 'conversion_manifest.json')) as f:
      record = json.load(f)['splits']['train']
    self.assertEqual((record['num_images'], record['num_skipped']), (14, 1))
    self.assertEqual(sum(record['shard_counts']), 14)
    self.assertEqual(record['class_counts'], {'1': 5, '2': 4, '3': 5})
    self.assertEqual(record['skipped_images'][0]['filename'], self.bad_name)

    # A resumed skip run keeps everything; a strict run redoes the shard and fails.
    again = self.convert(num_workers=1, skip_bad_images=True)['train']
    self.assertEqual((again.num_reused_shards, again.num_images, len(again.skipped)),
                     (3, 14, 1))
    with self.assertRaisesRegex(image_coding.ImageError, self.bad_name):
      self.convert(num_workers=1)

  def test_full_validation_finds_cut_scan_data(self):
    fixtures.write(self.bad_path, fixtures.truncated_scan_jpeg())
    self.assertEqual(self.convert(num_workers=1)['train'].num_images, 15)
    with self.assertRaisesRegex(image_coding.ImageError, 'TensorFlow cannot decode'):
      self.convert(num_workers=2, validate_images='full', overwrite=True)


if __name__ == '__main__':
  absltest.main()
