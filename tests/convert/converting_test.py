"""Tests of inception.convert._converting: whole splits, in the original's order."""

import contextlib
import io
import os

from absl.testing import absltest

from inception import convert
from inception import core
from inception import records as records_lib
from inception.convert import _converting
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
