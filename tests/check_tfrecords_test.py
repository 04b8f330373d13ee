"""Tests the check_tfrecords binary as users run it: the built binary, from another
working directory, with relative paths and a user's environment, on a real
converter output."""

import functools
import json
import os
import shutil
import struct

from absl.testing import absltest
from PIL import Image

from inception import convert
from inception import core
from inception import imagenet
from inception import label_files
from tests import binaries
from tests import conversion_fixtures as fixtures

_BINARY = 'check_tfrecords'
_SYNSETS = fixtures.synset_names(3)
_TRAIN_PER_CLASS = 4
_NUM_VALIDATION = 6
_LABEL_ARGS = ['--synsets_file=labels/synsets.txt',
               '--metadata_file=labels/metadata.txt',
               '--validation_labels_file=labels/validation_labels.txt']
_REPORTS = {'json': 'check_report.json', 'markdown': 'check_report.md',
            'class_histogram': 'class_histogram.png',
            'contact_sheet': 'contact_sheet.png'}
_DAMAGED_SHARD = 'train-00001-of-00003'


def _make_converted_tree(root: str) -> None:
  """Images, label files and the converter's output, all under `root`.

  Validation images carry ILSVRC2012_val names so the validation label file matters.
  """
  fixtures.make_imagenet_split(os.path.join(root, 'raw', 'train'), _SYNSETS,
                               _TRAIN_PER_CLASS, special={
                                   '%s_0.JPEG' % _SYNSETS[0]:
                                       fixtures.image_bytes(7, 'cmyk'),
                                   '%s_1.JPEG' % _SYNSETS[1]:
                                       fixtures.image_bytes(8, 'png')})
  validation_labels = [_SYNSETS[i % len(_SYNSETS)] for i in range(_NUM_VALIDATION)]
  for number, synset in enumerate(validation_labels, 1):
    fixtures.write(os.path.join(root, 'raw', 'validation', synset,
                                'ILSVRC2012_val_%08d.JPEG' % number),
                   fixtures.image_bytes(100 + number))
  synsets_file, metadata_file = fixtures.write_label_files(
      os.path.join(root, 'labels'), _SYNSETS)
  fixtures.write(os.path.join(root, 'labels', 'validation_labels.txt'),
                 ''.join(s + '\n' for s in validation_labels).encode())
  imagenet.convert_imagenet(
      imagenet.SplitSources(convert.SplitPaths(
          train=os.path.join(root, 'raw', 'train'),
          validation=os.path.join(root, 'raw', 'validation'))),
      os.path.join(root, 'out'), convert.ConvertOptions(workers=core.Workers(1)),
      label_files.LabelFiles(synsets_file, metadata_file),
      shards=convert.ShardCounts(train=3, validation=2))


@functools.lru_cache(maxsize=None)
def _converted_tree() -> str:
  """The tree of _make_converted_tree, made once for every test."""
  root = os.path.join(absltest.get_default_test_tmpdir(), 'converted')
  _make_converted_tree(root)
  return root


def _flip_byte_in_first_record(path: str) -> None:
  """Inverts one byte in the middle of the first record's data (not its framing)."""
  with open(path, 'r+b') as f:
    (length,) = struct.unpack('<Q', f.read(8))
    offset = 8 + 4 + length // 2
    f.seek(offset)
    value = f.read(1)[0]
    f.seek(offset)
    f.write(bytes([value ^ 0xFF]))


def _cut_after_records(path: str, count: int) -> None:
  """Truncates a shard right after its first `count` records (at a record boundary)."""
  with open(path, 'r+b') as f:
    offset = 0
    for _ in range(count):
      f.seek(offset)
      (length,) = struct.unpack('<Q', f.read(8))
      offset += 8 + 4 + length + 4
    f.truncate(offset)


class _ConvertedCopyTestCase(absltest.TestCase):
  """Each test has its own copy of the converted tree as its working directory."""

  def setUp(self):
    super().setUp()
    self.cwd = os.path.join(self.create_tempdir('user').full_path, 'work')
    shutil.copytree(_converted_tree(), self.cwd)
    self.output = os.path.join(os.path.realpath(self.cwd), 'out')


class CheckTfrecordsBinaryTest(_ConvertedCopyTestCase):

  def test_the_converters_flag_names_and_data_dir_flag(self):
    # What build_imagenet_data took: --labels_file, --imagenet_metadata_file.
    result = binaries.run(_BINARY, [
        '--data_dir=out', '--labels_file=labels/synsets.txt',
        '--imagenet_metadata_file=labels/metadata.txt',
        '--validation_labels_file=labels/validation_labels.txt', '--num_threads=1'],
        self.cwd)
    self.assertEqual(result.returncode, 0, result.stderr[-3000:])
    self.assertRegex(result.stdout.splitlines()[-1],
                     r'^Check passed: %s \(.*\)\.$' % self.output)

  def test_good_output_passes_and_writes_the_reports(self):
    result = binaries.run(_BINARY, ['out'] + _LABEL_ARGS, self.cwd)
    self.assertEqual(result.returncode, 0, result.stderr[-3000:])
    report_dir = os.path.join(self.output, 'check_report')
    paths = {name: os.path.join(report_dir, basename)
             for name, basename in _REPORTS.items()}
    stdout = result.stdout.splitlines()
    self.assertEqual(stdout[:-1], ['%s: %s' % item for item in sorted(paths.items())])
    self.assertRegex(stdout[-1], r'^Check passed: %s \(.*\)\.$' % self.output)
    self.assertIn('train %d' % (_TRAIN_PER_CLASS * len(_SYNSETS)), stdout[-1])
    self.assertIn('validation %d' % _NUM_VALIDATION, stdout[-1])
    self.assertCountEqual(os.listdir(report_dir), _REPORTS.values())

    with open(paths['json']) as f:
      report = json.load(f)
    self.assertTrue(report['ok'])
    self.assertEqual(report['num_failures'], 0)
    self.assertEqual(report['schema'], 'imagenet')
    self.assertEqual(report['splits']['train']['num_records'],
                     _TRAIN_PER_CLASS * len(_SYNSETS))
    self.assertEqual(report['splits']['validation']['num_records'], _NUM_VALIDATION)
    self.assertEqual(report['class_names'],
                     {str(i): '%s class %s, number %d' % (s, s[-3:], i - 1)
                      for i, s in enumerate(_SYNSETS, 1)})
    with open(paths['markdown']) as f:
      self.assertEqual(f.readline(), '# TFRecord check: PASSED\n')
    for name in ('class_histogram', 'contact_sheet'):
      with Image.open(paths[name]) as image:
        self.assertEqual(image.format, 'PNG')
        self.assertGreater(min(image.size), 50)

  def test_wrong_validation_label_file_fails(self):
    with open(os.path.join(self.cwd, 'labels', 'validation_labels.txt')) as f:
      labels = f.read().split()
    labels[0], labels[1] = labels[1], labels[0]
    with open(os.path.join(self.cwd, 'labels', 'validation_labels.txt'), 'w') as f:
      f.write(''.join(s + '\n' for s in labels))
    # In this process (the other tests cover the worker pool): faster.
    result = binaries.run(_BINARY, ['out', '--num_workers=1'] + _LABEL_ARGS, self.cwd)
    self.assertNotEqual(result.returncode, 0)
    self.assertIn('Check FAILED: %s' % self.output, result.stderr)
    self.assertIn('failures (label 2)', result.stderr)
    self.assertIn('the validation label file says ILSVRC2012_val_00000001.JPEG is %s, '
                  'the record says %s [label]' % (labels[0], labels[1]), result.stderr)

  def test_flipped_byte_fails_naming_the_shard(self):
    _flip_byte_in_first_record(os.path.join(self.cwd, 'out', _DAMAGED_SHARD))
    result = binaries.run(_BINARY, ['out'] + _LABEL_ARGS, self.cwd)
    self.assertNotEqual(result.returncode, 0)
    self.assertIn('Check FAILED: %s' % self.output, result.stderr)
    framing = [line for line in result.stderr.splitlines()
               if line.strip().endswith('[framing]')]
    self.assertLen(framing, 1, result.stderr[-3000:])
    self.assertIn(_DAMAGED_SHARD, framing[0])
    with open(os.path.join(self.output, 'check_report', _REPORTS['json'])) as f:
      report = json.load(f)
    self.assertFalse(report['ok'])
    self.assertIn('framing', report['failures_by_kind'])
    self.assertEqual({f['location'].split(' ')[0] for f in report['failures']
                      if f['kind'] == 'framing'}, {_DAMAGED_SHARD})


  def test_a_copy_and_a_short_shard_fail_without_the_manifest(self):
    shutil.copy(os.path.join(self.output, _DAMAGED_SHARD),
                os.path.join(self.output, _DAMAGED_SHARD + '.copy'))
    _cut_after_records(os.path.join(self.output, _DAMAGED_SHARD), 3)
    os.remove(os.path.join(self.output, 'conversion_manifest.json'))
    result = binaries.run(_BINARY, ['out', '--num_workers=1'] + _LABEL_ARGS, self.cwd)
    self.assertNotEqual(result.returncode, 0)
    self.assertIn('Check FAILED: %s' % self.output, result.stderr)
    self.assertIn('%s.copy: matches train-*, the glob readers use for the train shards, '
                  'but is not one of its shards' % _DAMAGED_SHARD, result.stderr)
    self.assertIn('%s: 3 records; no total gives the shard sizes found; the closest '
                  "plan, of 12 records, in 3 shards (the converter's plan) gives it 4 "
                  '[count]' % _DAMAGED_SHARD, result.stderr)


class RunLockTest(_ConvertedCopyTestCase):
  """The checker holds the directory's run lock shared (issue 24): with other
  checkers, never while a run writes there; the lock file is no failure."""

  def check(self):
    return binaries.run(_BINARY, ['out', '--num_workers=1'] + _LABEL_ARGS, self.cwd)

  def test_refused_while_a_run_writes_the_directory(self):
    writer = ['build_imagenet_data', '--output_directory=out']
    with core.hold_directory(self.output, command=writer):
      result = self.check()
    self.assertEqual(result.returncode, 1)
    self.assertEqual(result.stderr, 'check_tfrecords: error: %s is in use by another run '
                     '(pid %d: build_imagenet_data --output_directory=out); wait for it '
                     'to end, or stop it\n' % (self.output, os.getpid()))
    self.assertEqual(result.stdout, '')
    self.assertFalse(os.path.exists(os.path.join(self.output, 'check_report')))

  def test_checkers_go_together_and_pass_beside_the_lock_file(self):
    with core.hold_directory(self.output, shared=True, command=['check_tfrecords']):
      result = self.check()
    self.assertEqual(result.returncode, 0, result.stderr[-3000:])
    self.assertTrue(os.path.isfile(core.lock_path(self.output)))
    with open(os.path.join(self.output, 'check_report', _REPORTS['json'])) as f:
      report = json.load(f)
    self.assertTrue(report['ok'])
    self.assertEqual(report['warnings'], [])  # nothing about the lock file


if __name__ == '__main__':
  absltest.main()
