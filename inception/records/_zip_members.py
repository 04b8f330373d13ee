"""A zip member's bytes, read in place by its offset (as a tar member is).

A `ZipMember` is what the zip's central directory says of one file (acquire indexes
it): where its local header starts, its compressed and uncompressed sizes, its CRC-32
and its compression method. `read_zip_member` reads the local header there (its name
and extra field have their own lengths, a zip64 one included), then the data, inflates
a deflated member and checks its size and CRC-32; anything wrong is a
`ZipMemberError` naming the zip and the member. Only stored and deflated members are
read (what zip writers use, Kaggle's included). Imports no TensorFlow: the workers
read members with it.
"""

import os
import struct
from typing import Callable, NamedTuple
import zlib

from inception import core
from inception.records import _image_coding

STORED = 0
DEFLATED = 8

_LOCAL_HEADER = struct.Struct('<IHHHHHIIIHH')  # 30 bytes, then the name and extra
_LOCAL_HEADER_SIGNATURE = 0x04034b50
_ENCRYPTED_FLAG = 0x1
_UTF8_FLAG = 0x800
# Read with the header, so that one read usually holds the name and extra field too.
_HEADER_SLACK = 512

ReadAt = Callable[[int, int], bytes]  # (offset, size) -> at most size bytes


class ZipMemberError(_image_coding.ImageError):
  """A zip member that cannot be read: its name is ZIP:MEMBER (the zip's base name,
  the member's whole name)."""


class ZipMember(NamedTuple):
  """One file of a zip, as its central directory gives it.

  Attributes:
    archive_path: the zip.
    offset: where the member's local header starts.
    compressed_size: the bytes stored after the local header.
    size: the bytes once inflated.
    crc: the CRC-32 of those.
    method: STORED or DEFLATED (other methods are refused when read).
    name: the file name a record stores (the member's base name).
    folder: the member's folder in the zip ('a/b' for 'a/b/c.JPEG').
  Errors and reports name it ZIP:MEMBER (str), e.g.
  'imagenet-object-localization-challenge.zip:ILSVRC/Data/CLS-LOC/val/x.JPEG'.
  """
  archive_path: str
  offset: int
  compressed_size: int
  size: int
  crc: int
  method: int
  name: str
  folder: str = ''

  def __str__(self) -> str:
    return '%s:%s' % (os.path.basename(self.archive_path),
                      '/'.join(part for part in (self.folder, self.name) if part))

  def read_bytes(self) -> bytes:
    """The member's bytes, the zip opened for this read only."""
    with core.open_file(self.archive_path, 'rb') as f:

      def read_at(offset: int, size: int) -> bytes:
        f.seek(offset)
        return f.read(size)

      return read_zip_member(read_at, self)


def read_zip_member(read_at: ReadAt, member: ZipMember) -> bytes:
  """The member's bytes: its local header parsed, the data inflated and checked.

  Args:
    read_at: reads the zip: (offset, size) -> the bytes there (fewer at its end).
    member: what the central directory says of it.

  Raises:
    ZipMemberError: no local header at the offset, an encrypted member, an unknown
      compression method, data cut short, a size or CRC-32 that does not match.
  """

  def error(name: str, problem: str) -> ZipMemberError:
    return ZipMemberError('%s:%s' % (os.path.basename(member.archive_path), name),
                          problem)

  data = read_at(member.offset, _LOCAL_HEADER.size + _HEADER_SLACK +
                 member.compressed_size)
  if (len(data) < _LOCAL_HEADER.size or
      _LOCAL_HEADER.unpack_from(data)[0] != _LOCAL_HEADER_SIGNATURE):
    raise error(str(member).partition(':')[2],
                'no local file header at offset %d (a damaged zip?)' % member.offset)
  fields = _LOCAL_HEADER.unpack_from(data)
  flags, name_length, extra_length = fields[2], fields[9], fields[10]
  name_end = _LOCAL_HEADER.size + name_length
  name = data[_LOCAL_HEADER.size:name_end].decode(
      'utf-8' if flags & _UTF8_FLAG else 'cp437', 'replace')
  if flags & _ENCRYPTED_FLAG:
    raise error(name, 'encrypted; an encrypted zip cannot be read')
  start = name_end + extra_length
  end = start + member.compressed_size
  if end > len(data):
    data += read_at(member.offset + len(data), end - len(data))
  if end > len(data):
    raise error(name, 'cut short: %d of its %d bytes at offset %d' % (
        max(0, len(data) - start), member.compressed_size, member.offset + start))
  data = data[start:end]
  if member.method == DEFLATED:
    data = _inflate(data, error, name)
  elif member.method != STORED:
    raise error(name, 'compression method %d; only stored (0) and deflated (8) '
                'members can be read' % member.method)
  if len(data) != member.size:
    raise error(name, '%d bytes once inflated, where the zip\'s directory says %d' %
                (len(data), member.size))
  crc = zlib.crc32(data)
  if crc != member.crc:
    raise error(name, 'bad CRC-32: its bytes give %08x, the zip\'s directory says '
                '%08x (a damaged copy)' % (crc, member.crc))
  return data


def _inflate(data: bytes, error: Callable[[str, str], ZipMemberError],
             name: str) -> bytes:
  """Raw deflate data inflated, which must end where the member's data ends."""
  inflater = zlib.decompressobj(-zlib.MAX_WBITS)
  try:
    inflated = inflater.decompress(data)
  except zlib.error as e:
    raise error(name, 'its deflated data is corrupt (%s)' % e) from None
  if not inflater.eof:
    raise error(name, 'its deflated data is cut short')
  return inflated
