"""Tests of inception.reader._record_streams: shards on a store TensorFlow cannot open
(fsspec's memory://, in this process) read as tf.data reads local ones."""

import os

from absl.testing import absltest
import numpy as np
import tensorflow as tf

from inception import core
from inception import reader
from inception.reader import _record_streams
from tests.reader import reader_fixtures

SIZE = 24


class RecordStreamsTest(reader_fixtures.ShardsTestCase):

  def copy_to_memory(self, name: str) -> str:
    directory = 'memory://record_streams_test/' + name
    for shard in os.listdir(self.imagenet.directory):
      path = os.path.join(self.imagenet.directory, shard)
      if os.path.isfile(path):
        with open(path, 'rb') as f:
          core.write_bytes(directory + '/' + shard, f.read())
    return directory

  def test_which_paths_tensorflow_reads(self):
    self.assertTrue(_record_streams.read_by_tensorflow('/data/train-00000-of-00001'))
    self.assertTrue(_record_streams.read_by_tensorflow('gs://b/train-00000-of-00001'))
    self.assertFalse(_record_streams.read_by_tensorflow('s3://b/train-00000-of-00001'))
    self.assertFalse(_record_streams.read_by_tensorflow('az://c/train-00000-of-00001'))

  def test_the_records_and_the_dataset_are_those_of_the_local_shards(self):
    directory = self.copy_to_memory('same')
    local = reader.data_files(self.imagenet.directory, 'train')
    remote = reader.data_files(directory, 'train')
    self.assertEqual([os.path.basename(p) for p in remote],
                     [os.path.basename(p) for p in local])
    for local_path, remote_path in zip(local, remote):
      self.assertEqual(
          [r.numpy() for r in _record_streams.record_dataset(tf.constant(remote_path))],
          [r.numpy() for r in tf.data.TFRecordDataset(local_path)])
    local_pairs = list(reader.dataset(self.imagenet.directory, 'train', image_size=SIZE))
    remote_pairs = list(reader.dataset(directory, 'train', image_size=SIZE))
    self.assertLen(remote_pairs, len(local_pairs))
    for (a, label_a), (b, label_b) in zip(local_pairs, remote_pairs):
      np.testing.assert_array_equal(a.numpy(), b.numpy())
      self.assertEqual(int(label_a), int(label_b))

  def test_a_corrupted_record_stops_the_dataset(self):
    directory = self.copy_to_memory('corrupted')
    path = reader.data_files(directory, 'train')[0]
    data = bytearray(core.read_bytes(path))
    data[40] ^= 0xff
    core.write_bytes(path, bytes(data))
    with self.assertRaisesRegex(tf.errors.InvalidArgumentError,
                                '%s: at byte offset 0: corrupted record' % path):
      list(_record_streams.record_dataset(tf.constant(path)))


if __name__ == '__main__':
  absltest.main()
