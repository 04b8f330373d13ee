"""Tests of inception.convert._converting: whole splits, in the original's order."""

import contextlib
import io
import os
import threading

from absl.testing import absltest

from inception import convert
from inception import core
from inception import records as records_lib
from inception.convert import _converting
from inception.convert import _finding
from tests import conversion_fixtures as fixtures

SYNSETS = fixtures.synset_names(3)


class SplitsInOrderTest(absltest.TestCase):

  def test_validation_first_then_train_then_test_each_given_one(self):
    shards = convert.ShardCounts(train=4, validation=2, test=3)
    self.assertEqual(
        _converting.splits_in_order(
            convert.SplitPaths(train='/t', validation='/v', test='/x'), shards),
        [('validation', '/v', 2), ('train', '/t', 4), ('test', '/x', 3)])
    self.assertEqual(
        _converting.splits_in_order(convert.SplitPaths(train='/t', validation=''),
                                    shards),
        [('train', '/t', 4)])

  def test_a_folder_per_class_set_has_no_test_split(self):
    with self.assertRaisesRegex(ValueError, 'no test split'):
      _converting.convert_generic(
          convert.SplitPaths(train='/t', test='/x'), '/out', '/labels.txt',
          convert.ShardCounts(2, 2), convert.ConvertOptions())


class SplitsOverlapTest(absltest.TestCase):
  """Each split is found and planned while the one before it is written."""

  def setUp(self):
    super().setUp()
    self.raw = self.create_tempdir().full_path
    self.out = self.create_tempdir().full_path
    self.labels = fixtures.write(os.path.join(self.raw, 'labels.txt'),
                                 ''.join(s + '\n' for s in SYNSETS).encode())
    for split in ('validation', 'train'):
      for synset in SYNSETS:
        for n in range(2):
          fixtures.write(os.path.join(self.raw, split, synset, '%s_%s_%d.JPEG' % (
              synset, split, n)), fixtures.image_bytes(n))
    self.labels_table = _finding.read_generic_labels(self.labels)
    self.sources = [('validation', os.path.join(self.raw, 'validation'), 1),
                    ('train', os.path.join(self.raw, 'train'), 2)]

  def test_the_next_split_is_found_while_the_one_before_is_written(self):
    train_found = threading.Event()
    seen = []

    def find_entries(split, directory):
      entries = convert.find_generic_entries(directory, self.labels_table)
      if split == 'train':
        train_found.set()
      return entries

    def on_split_finished(result):
      # validation's shards are written; train was found meanwhile (or is being).
      seen.append((result.split, train_found.wait(timeout=60)))

    with contextlib.redirect_stdout(io.StringIO()):
      results = _converting.convert_splits(
          self.sources, find_entries, self.out, None,
          convert.ConvertOptions(workers=core.Workers(1)),
          records_lib.GENERIC_FORMAT, on_split_finished)
    self.assertEqual(seen, [('validation', True), ('train', True)])
    self.assertEqual({s: r.num_images for s, r in results.items()},
                     {'validation': 6, 'train': 6})

  def test_the_next_splits_failure_comes_after_the_one_before_is_done(self):
    finished = []

    def find_entries(split, directory):
      if split == 'train':
        raise convert.ConversionError('no train images here')
      return convert.find_generic_entries(directory, self.labels_table)

    with self.assertRaisesRegex(convert.ConversionError, 'no train images here'):
      with contextlib.redirect_stdout(io.StringIO()):
        _converting.convert_splits(
            self.sources, find_entries, self.out, None,
            convert.ConvertOptions(workers=core.Workers(1)),
            records_lib.GENERIC_FORMAT, lambda result: finished.append(result.split))
    self.assertEqual(finished, ['validation'])


class RemotePathTest(absltest.TestCase):
  """Input and output through fsspec (memory:// stands in for an object store; it
  lives in this process's memory, hence one worker; tests/object_storage_test.py runs
  the binaries on S3 and GCS emulators)."""

  def test_memory_filesystem_in_and_out_with_resume(self):
    labels_file = fixtures.write(
        os.path.join(self.create_tempdir().full_path, 'labels.txt'),
        ''.join(s + '\n' for s in SYNSETS).encode())
    local_train = os.path.join(self.create_tempdir().full_path, 'train')
    for synset in SYNSETS:
      for n in range(3):
        data = fixtures.image_bytes(n, 'png' if n == 2 else None)
        name = '%s/%s_%d.JPEG' % (synset, synset, n)
        core.write_bytes('memory://raw/train/' + name, data)
        os.makedirs(os.path.join(local_train, synset), exist_ok=True)
        fixtures.write(os.path.join(local_train, name), data)
    options = convert.ConvertOptions(workers=core.Workers(1), write_index=True)
    shards = convert.ShardCounts(train=2, validation=1)
    local_out = self.create_tempdir().full_path
    with contextlib.redirect_stdout(io.StringIO()):
      _converting.convert_generic(convert.SplitPaths(train=local_train), local_out,
                                  labels_file, shards, options)
    for expected_reused in (0, 2):
      with contextlib.redirect_stdout(io.StringIO()):
        result = _converting.convert_generic(
            convert.SplitPaths(train='memory://raw/train'), 'memory://out', labels_file,
            shards, options)['train']
      self.assertEqual((result.num_images, result.num_reused_shards),
                       (9, expected_reused))
    self.assertCountEqual(core.listdir('memory://out'),
                          ['conversion_manifest.json', 'index', 'train-00000-of-00002',
                           'train-00001-of-00002'])
    for name in ('train-00000-of-00002', 'train-00001-of-00002',
                 'index/train-00000-of-00002.idx'):
      with open(os.path.join(local_out, name), 'rb') as f:
        self.assertEqual(core.read_bytes('memory://out/' + name), f.read(), name)
    spans = records_lib.record_spans('memory://out/train-00000-of-00002')
    self.assertEqual(records_lib.index_text(spans),
                     core.read_text('memory://out/index/train-00000-of-00002.idx'))


if __name__ == '__main__':
  absltest.main()
