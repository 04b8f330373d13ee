"""Tests for inception.shards: names, boundaries, the atomic writer, framing, index."""

import json
import os
import struct
import subprocess

from absl.testing import absltest
import tensorflow as tf

from inception import core
from inception.records import _shards
from tests.core import full_disk

# In a child process: write 800 KB of records to the shard argv[1] with the index
# argv[2]; print the error's file and text.
_WRITE_TOO_MUCH = """
import json, sys
from inception.records import _shards
try:
  with _shards.ShardWriter(sys.argv[1], sys.argv[2]) as writer:
    for _ in range(100):
      writer.write(bytes(8000))
except OSError as e:
  print(json.dumps([e.filename, e.strerror]))
"""


def _records(count, seed=0):
  return [bytes([(seed + i) % 251]) * (1 + (i * 7919) % 3000) for i in range(count)]


class NamesAndRangesTest(absltest.TestCase):

  def test_shard_names(self):
    self.assertEqual(_shards.shard_name('train', 42, 1024), 'train-00042-of-01024')
    self.assertEqual(_shards.shard_name('validation', 0, 128),
                     'validation-00000-of-00128')

  def test_imagenet_shard_sizes(self):
    for count, num_shards, sizes in ((1281167, 1024, {1251, 1252}),
                                     (50000, 128, {390, 391})):
      ranges = _shards.shard_ranges(count, num_shards)
      self.assertLen(ranges, num_shards)
      self.assertEqual({end - start for start, end in ranges}, sizes)
      self.assertEqual(ranges[0][0], 0)
      self.assertEqual(ranges[-1][1], count)
      self.assertTrue(all(a[1] == b[0] for a, b in zip(ranges, ranges[1:])))

  def test_boundaries_depend_on_counts_only(self):
    self.assertEqual(_shards.shard_ranges(10, 3), [(0, 3), (3, 6), (6, 10)])
    self.assertEqual(_shards.shard_ranges(2, 4), [(0, 0), (0, 1), (1, 1), (1, 2)])

  def test_bad_counts(self):
    with self.assertRaisesRegex(ValueError, 'at least 1'):
      _shards.shard_ranges(10, 0)
    with self.assertRaisesRegex(ValueError, 'negative'):
      _shards.shard_ranges(-1, 2)


class ShardWriterTest(absltest.TestCase):

  def setUp(self):
    super().setUp()
    self.directory = self.create_tempdir().full_path
    self.path = os.path.join(self.directory, 'train-00000-of-00001')

  def _write_as_tensorflow_does(self, records):
    """Writes `records` with ShardWriter, checks the shard is the one TensorFlow's
    writer makes of them; returns the writer."""
    with _shards.ShardWriter(self.path) as writer:
      for record in records:
        writer.write(record)
    reference = os.path.join(self.directory, 'reference')
    with tf.io.TFRecordWriter(reference) as tf_writer:
      for record in records:
        tf_writer.write(record)
    with open(self.path, 'rb') as mine, open(reference, 'rb') as theirs:
      self.assertEqual(mine.read(), theirs.read())
    return writer

  def test_same_bytes_as_tensorflow_writer_and_readable_by_tf_data(self):
    records = _records(25)
    writer = self._write_as_tensorflow_does(records)
    read_back = [r.numpy() for r in tf.data.TFRecordDataset(self.path)]
    self.assertEqual(read_back, records)
    self.assertEqual(writer.num_records, 25)
    self.assertEqual(writer.num_bytes, os.path.getsize(self.path))

  def test_a_shard_handed_to_the_disk_while_written_keeps_its_bytes(self):
    # Records of 1 MiB: the writer starts the disk's writeback at least every
    # WRITEBACK_BYTES, between records; what lands must be exactly TensorFlow's shard.
    records = [bytes([i]) * (1 << 20) + b'%d' % i for i in range(20)]
    self.assertGreater(sum(map(len, records)), 2 * _shards.WRITEBACK_BYTES)
    writer = self._write_as_tensorflow_does(records)
    self.assertGreaterEqual(writer._writeback_offset, 2 * _shards.WRITEBACK_BYTES)

  def test_small_records_gathered_into_writes_keep_their_bytes(self):
    # Records of ~500 bytes, gathered into writes of WRITE_BYTES at least: the shard
    # is TensorFlow's, cut at no record boundary of its own.
    records = [bytes([i % 251]) * (i % 997) for i in range(3000)]
    self.assertGreater(sum(map(len, records)), 3 * _shards.WRITE_BYTES)
    writer = self._write_as_tensorflow_does(records)
    self.assertEqual(writer.num_bytes, os.path.getsize(self.path))

  def test_index_matches_record_offsets(self):
    records = _records(9, seed=3)
    index = core.index_path(self.directory, 'train-00000-of-00001')
    os.makedirs(os.path.dirname(index))
    with _shards.ShardWriter(self.path, index) as writer:
      for record in records:
        writer.write(record)
    with open(index) as f:
      lines = [tuple(map(int, line.split())) for line in f]
    self.assertLen(lines, 9)
    with open(self.path, 'rb') as f:
      data = f.read()
    offset = 0
    for (start, size), record in zip(lines, records):
      self.assertEqual(start, offset)
      self.assertEqual(size, 8 + 4 + len(record) + 4)
      (length,) = struct.unpack('<Q', data[start:start + 8])
      self.assertEqual(data[start + 12:start + 12 + length], record)
      offset += size
    self.assertEqual(offset, len(data))
    self.assertEqual(_shards.index_text(_shards.record_spans(self.path)),
                     open(index).read())

  def test_nothing_under_final_names_until_complete(self):
    index = os.path.join(self.directory, 'shard.idx')
    with _shards.ShardWriter(self.path, index) as writer:
      writer.write(b'abc')
      self.assertFalse(os.path.exists(self.path))
      self.assertFalse(os.path.exists(index))
      partial = sorted(os.listdir(self.directory))
      self.assertLen(partial, 2)
      self.assertTrue(all(core.is_temporary_path(n) for n in partial))
    self.assertEqual(sorted(os.listdir(self.directory)),
                     ['shard.idx', 'train-00000-of-00001'])

  def test_failure_leaves_nothing(self):
    with self.assertRaisesRegex(RuntimeError, 'boom'):
      with _shards.ShardWriter(self.path, os.path.join(self.directory, 'i.idx')) as w:
        w.write(b'abc')
        raise RuntimeError('boom')
    self.assertEqual(os.listdir(self.directory), [])


  def test_a_full_disk_names_the_shard_and_leaves_nothing(self):
    with full_disk.small_directory(self.directory) as (directory, limit):
      path = os.path.join(directory, 'train-00000-of-00001')
      command, env = full_disk.python_command(_WRITE_TOO_MUCH)
      output = subprocess.run(command + [path, os.path.join(directory, 'shard.idx')],
                              env=env, preexec_fn=limit, check=True,
                              capture_output=True, text=True).stdout
      self.assertEqual(os.listdir(directory), [])
    filename, strerror = json.loads(output)
    self.assertEqual(filename, path)
    self.assertIn('writing into directory %s' % directory, strerror)


class RecordSpansTest(absltest.TestCase):

  def _write(self, records):
    path = os.path.join(self.create_tempdir().full_path, 'shard')
    with _shards.ShardWriter(path) as writer:
      for record in records:
        writer.write(record)
    return path

  def test_spans_of_a_good_shard(self):
    path = self._write([b'a' * 10, b'', b'b' * 300])
    self.assertEqual(_shards.record_spans(path), [(0, 26), (26, 16), (42, 316)])

  def test_empty_shard_has_no_records(self):
    self.assertEqual(_shards.record_spans(self._write([])), [])

  def test_truncated_shard_is_corrupt(self):
    path = self._write(_records(5))
    size = os.path.getsize(path)
    for cut in (size - 1, size - 300, 5):
      with open(path, 'rb') as f:
        data = f.read()
      with open(path, 'wb') as f:
        f.write(data[:cut])
      with self.assertRaisesRegex(_shards.CorruptShardError, path):
        _shards.record_spans(path)
      with open(path, 'wb') as f:
        f.write(data)

  def test_trailing_garbage_is_corrupt(self):
    path = self._write(_records(3))
    with open(path, 'ab') as f:
      f.write(b'\x01\x02\x03')
    with self.assertRaises(_shards.CorruptShardError):
      _shards.record_spans(path)


if __name__ == '__main__':
  absltest.main()
