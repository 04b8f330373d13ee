"""Tests of inception.convert._converting: whole splits, in the original's order."""

import contextlib
import io
import os

from absl.testing import absltest
import tensorflow as tf

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


class GfilePathTest(absltest.TestCase):
  """Input and output through tf.io.gfile (ram:// stands in for gs://; it lives in
  this process's memory, hence one worker)."""

  def test_ram_filesystem_in_and_out_with_resume(self):
    labels_file = fixtures.write(
        os.path.join(self.create_tempdir().full_path, 'labels.txt'),
        ''.join(s + '\n' for s in SYNSETS).encode())
    for synset in SYNSETS:
      for n in range(3):
        with tf.io.gfile.GFile('ram://raw/train/%s/%s_%d.JPEG' % (synset, synset, n),
                               'wb') as f:
          f.write(fixtures.image_bytes(n, 'png' if n == 2 else None))
    options = convert.ConvertOptions(workers=core.Workers(1), write_index=True)
    for expected_reused in (0, 2):
      with contextlib.redirect_stdout(io.StringIO()):
        result = _converting.convert_generic(
            convert.SplitPaths(train='ram://raw/train'), 'ram://out', labels_file,
            convert.ShardCounts(train=2, validation=1), options)['train']
      self.assertEqual((result.num_images, result.num_reused_shards),
                       (9, expected_reused))
    self.assertCountEqual(tf.io.gfile.listdir('ram://out'),
                          ['conversion_manifest.json', 'index', 'train-00000-of-00002',
                           'train-00001-of-00002'])
    records = list(tf.data.TFRecordDataset(tf.io.gfile.glob('ram://out/train-*')))
    self.assertLen(records, 9)
    spans = records_lib.record_spans('ram://out/train-00000-of-00002')
    with tf.io.gfile.GFile('ram://out/index/train-00000-of-00002.idx') as f:
      self.assertEqual(records_lib.index_text(spans), f.read())


if __name__ == '__main__':
  absltest.main()
