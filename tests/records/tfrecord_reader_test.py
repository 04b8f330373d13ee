"""Tests of inception.records._tfrecord_reader: shards of records' writer and of TF."""

import io
import os

from absl.testing import absltest
import tensorflow as tf

from inception import records
from inception.records import _tfrecord_reader


def _read(path: str):
  with open(path, 'rb') as f:
    return list(_tfrecord_reader.read_records(f, os.path.getsize(path)))


class TfrecordReaderTest(absltest.TestCase):

  def setUp(self):
    super().setUp()
    self.directory = self.create_tempdir().full_path
    self.payloads = [b'', b'x', os.urandom(300), os.urandom(70000), b'\x00' * 5]

  def write_with_records(self) -> str:
    path = os.path.join(self.directory, 'train-00000-of-00001')
    with records.ShardWriter(path) as writer:
      for payload in self.payloads:
        writer.write(payload)
    return path

  def test_reads_what_records_and_tensorflow_wrote_as_tf_data_does(self):
    ours = self.write_with_records()
    theirs = os.path.join(self.directory, 'tf')
    with tf.io.TFRecordWriter(theirs) as writer:
      for payload in self.payloads:
        writer.write(payload)
    for path in (ours, theirs):
      read = _read(path)
      self.assertEqual([data for _, data in read],
                       [r.numpy() for r in tf.data.TFRecordDataset(path)])
      self.assertEqual([data for _, data in read], self.payloads)
      self.assertEqual([offset for offset, _ in read],
                       [offset for offset, _ in records.record_spans(path)])

  def test_a_flipped_byte_in_the_data_or_the_length_is_found(self):
    path = self.write_with_records()
    spans = records.record_spans(path)
    with open(path, 'rb') as f:
      good = f.read()
    for at, record in ((spans[2][0] + 12 + 100, 2), (spans[3][0] + 3, 3),
                       (spans[1][0] + 12 + 1 + 2, 1)):  # data, length, data crc
      damaged = bytearray(good)
      damaged[at] ^= 0x04
      with self.assertRaises(_tfrecord_reader.FramingError) as raised:
        list(_tfrecord_reader.read_records(io.BytesIO(bytes(damaged)), len(damaged)))
      self.assertEqual((raised.exception.index, raised.exception.offset),
                       (record, spans[record][0]))
      self.assertIn('corrupted record', raised.exception.message)
      # tf.data refuses the same bytes.
      damaged_path = os.path.join(self.directory, 'damaged')
      with open(damaged_path, 'wb') as f:
        f.write(damaged)
      with self.assertRaises(tf.errors.DataLossError):
        list(tf.data.TFRecordDataset(damaged_path))

  def test_a_cut_record_and_trailing_bytes(self):
    path = self.write_with_records()
    with open(path, 'rb') as f:
      good = f.read()
    last = records.record_spans(path)[-1][0]
    with self.assertRaisesRegex(_tfrecord_reader.FramingError,
                                'byte offset %d: truncated record' % last):
      list(_tfrecord_reader.read_records(io.BytesIO(good[:-2]), len(good) - 2))
    with self.assertRaisesRegex(_tfrecord_reader.FramingError,
                                '3 bytes after the last complete record at byte '
                                'offset %d' % len(good)):
      list(_tfrecord_reader.read_records(io.BytesIO(good + b'abc'), len(good) + 3))

  def test_a_length_beyond_the_file_is_truncated_not_read(self):
    length = (1 << 40).to_bytes(8, 'little')
    header = length + records.masked_crc32c(length).to_bytes(4, 'little')
    with self.assertRaisesRegex(_tfrecord_reader.FramingError, 'truncated record'):
      list(_tfrecord_reader.read_records(io.BytesIO(header + b'abcd'), 16))

  def test_any_chunk_size_reads_the_same_records_and_errors(self):
    # Records cut across reads, longer than a read, and every damage of the other
    # tests: the same records, or the same error, whatever the size of a read.
    path = self.write_with_records()
    with open(path, 'rb') as f:
      good = f.read()
    spans = records.record_spans(path)
    damaged = bytearray(good)
    damaged[spans[3][0] + 12 + 500] ^= 0x04
    cases = [good, good[:-2], good + b'abc', bytes(damaged), good[:spans[2][0] + 5]]

    def outcome(data, chunk_size):
      try:
        return list(_tfrecord_reader.read_records(io.BytesIO(data), len(data),
                                                  chunk_size))
      except _tfrecord_reader.FramingError as e:
        return (e.index, e.offset, e.message)

    for data in cases:
      expected = outcome(data, _tfrecord_reader.CHUNK_SIZE)
      for chunk_size in (1, 5, 12, 13, 300, 4096, 70016, 70017):
        self.assertEqual(outcome(data, chunk_size), expected, chunk_size)
    self.assertEqual([d for _, d in outcome(good, 7)], self.payloads)

  def test_the_error_crosses_processes(self):
    import pickle  # pylint: disable=g-import-not-at-top
    error = pickle.loads(pickle.dumps(_tfrecord_reader.FramingError(2, 40, 'why')))
    self.assertEqual((error.index, error.offset, error.message), (2, 40, 'why'))


if __name__ == '__main__':
  absltest.main()
