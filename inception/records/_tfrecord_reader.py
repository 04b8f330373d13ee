"""Reads a TFRecord shard record by record, checking every CRC, without TensorFlow.

The framing (docs/FORMAT.md, "Shards"): uint64 little-endian length, masked CRC32C of
the length, the data, masked CRC32C of the data. `read_records` checks both CRCs of
every record as tf.data's TFRecordDataset does, and stops at the first bad record with
a `FramingError` that says where and why; bytes after the last whole record too short
to hold a record's header (which tf.data ignores) are a `FramingError` too. Reading
with plain I/O instead of tf.data, a megabyte at a time, costs a few microseconds per
record instead of ~150, and keeps TensorFlow out of the checking processes (for local
paths).
"""

import struct
from typing import BinaryIO, Iterator, Tuple

from inception.records import _shards

HEADER_SIZE = 12  # uint64 length + masked crc32c of it
FOOTER_SIZE = 4  # masked crc32c of the data
# Bytes read at a time: many records per read, and a buffer far below the memory a
# check may take (a 140 MB shard is read in 140 pieces).
CHUNK_SIZE = 1 << 20
_HEADER = struct.Struct('<QI')  # the length, and its masked CRC32C
_CRC = struct.Struct('<I')


class FramingError(ValueError):
  """A shard's framing is broken at record `index`, which starts at byte `offset`."""

  def __init__(self, index: int, offset: int, message: str):
    super().__init__(message)
    self.index = index
    self.offset = offset
    self.message = message

  def __reduce__(self):
    return (type(self), (self.index, self.offset, self.message))


def read_records(stream: BinaryIO, size: int,
                 chunk_size: int = CHUNK_SIZE) -> Iterator[Tuple[int, bytes]]:
  """Yields (offset, data) of each record of a shard of `size` bytes read from `stream`.

  The shard is read `chunk_size` bytes at a time (more for a longer record), and each
  record's data is cut from that buffer: one read per many records, not two per record.

  Raises:
    FramingError: a CRC does not match, the file ends inside a record, or 1 to 11
      bytes follow the last whole record.
  """
  buffer, at = b'', 0  # what was read, and where the next record starts in it
  offset = index = 0
  while True:
    if len(buffer) - at < HEADER_SIZE:
      buffer, at = _refill(stream, buffer, at, HEADER_SIZE, chunk_size)
      left = len(buffer) - at
      if not left:
        return
      if left < HEADER_SIZE:
        raise FramingError(index, offset, '%d bytes after the last complete record at '
                           'byte offset %d (a record cut short)' % (left, offset))
    length, length_crc = _HEADER.unpack_from(buffer, at)
    if _shards.masked_crc32c(buffer[at:at + 8]) != length_crc:
      raise FramingError(index, offset, 'at byte offset %d: corrupted record (CRC32C '
                         'mismatch in its length or data)' % offset)
    record_size = HEADER_SIZE + length + FOOTER_SIZE
    if offset + record_size > size:
      raise FramingError(index, offset, 'at byte offset %d: truncated record (the file '
                         'ends inside it)' % offset)
    if len(buffer) - at < record_size:
      buffer, at = _refill(stream, buffer, at, record_size, chunk_size)
      if len(buffer) - at < record_size:
        raise FramingError(index, offset, 'at byte offset %d: truncated record (the '
                           'file ends inside it)' % offset)
    data_end = at + HEADER_SIZE + length
    data = buffer[at + HEADER_SIZE:data_end]
    if _shards.masked_crc32c(data) != _CRC.unpack_from(buffer, data_end)[0]:
      raise FramingError(index, offset, 'at byte offset %d: corrupted record (CRC32C '
                         'mismatch in its length or data)' % offset)
    yield offset, data
    offset += record_size
    at += record_size
    index += 1


def _refill(stream: BinaryIO, buffer: bytes, at: int, needed: int,
            chunk_size: int) -> Tuple[bytes, int]:
  """The bytes of `buffer` from `at` on, then more from `stream` until they hold
  `needed` bytes or the stream ends (reading at least `chunk_size` at a time), and 0:
  where they start."""
  parts = [buffer[at:]]
  have = len(parts[0])
  while have < needed:
    piece = stream.read(max(chunk_size, needed - have))
    if not piece:
      break
    parts.append(piece)
    have += len(piece)
  return b''.join(parts), 0
