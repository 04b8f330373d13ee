"""Where each file lies inside a zip, from its central directory, for reading in place.

`index_zip(path)` reads the end-of-central-directory record at the zip's end (and a
zip64 archive's zip64 record, which holds what no longer fits in 16 or 32 bits), then
the central directory once, in chunks; the files' data is never read. Each member's
numbers (its local header's offset, compressed and uncompressed sizes, CRC-32 and
method, zip64 extra fields included) are kept as columns and the names by folder, so
that an index of Kaggle's 1.4 million members stays compact (no object per member, as
zipfile.ZipInfo would be). A member is then read by its offset
(records.read_zip_member, which parses its local header and checks its CRC-32).

A zip whose directory cannot be read is a CorruptArchiveError; a member name seen twice
an ExtractionError naming it.
"""

import array
import os
import struct
from typing import Dict, Iterator, List, Optional, Tuple

from inception import core
from inception import records
from inception.acquire import _members

_END = struct.Struct('<IHHHHIIH')  # 22 bytes, then the zip's comment
_END_SIGNATURE = b'PK\x05\x06'
_ZIP64_LOCATOR = struct.Struct('<IIQI')  # 20 bytes, just before the end record
_ZIP64_LOCATOR_SIGNATURE = 0x07064b50
_ZIP64_END = struct.Struct('<IQHHIIQQQQ')  # 56 bytes
_ZIP64_END_SIGNATURE = 0x06064b50
_CENTRAL = struct.Struct('<IHHHHHHIIIHHHHHII')  # 46 bytes, then name, extra, comment
_CENTRAL_SIGNATURE = 0x02014b50
_ZIP64_EXTRA_ID = 0x0001
_EXTRA_HEADER = struct.Struct('<HH')
_UTF8_FLAG = 0x800
_MAX_COMMENT = 0xffff
_CHUNK_BYTES = 1 << 24  # the central directory read 16 MiB at a time


class ZipIndex:
  """A zip's members as columns, their names by folder ('a/b' for 'a/b/c.JPEG';
  '' for the top).

  Folders exist as the members' names imply (a member 'a/b/c' makes 'a/b' and 'a'),
  or by a directory entry ('a/b/').
  """

  def __init__(self, path: str):
    self.path = path
    self._folders: Dict[str, Dict[str, int]] = {}
    # offset, compressed size, size, CRC-32, method: records.ZipMember's numbers.
    self._columns = tuple(array.array('q') for _ in range(5))

  def __len__(self) -> int:
    return len(self._columns[0])

  def _folder(self, folder: str) -> Dict[str, int]:
    names = self._folders.get(folder)
    if names is None:
      names = self._folders[folder] = {}
      if folder:
        self._folder(folder.rpartition('/')[0])
    return names

  def _add_all(self, members: Iterator[Tuple[str, Tuple[int, ...]]]) -> None:
    """Adds (name, numbers) of each member, in directory order."""
    columns = self._columns
    folder, names = None, {}  # the last member's: most zips list folder by folder
    for name, numbers in members:
      if name.endswith('/'):  # a directory entry
        self._folder(name.rstrip('/'))
        continue
      member_folder, _, base = name.rpartition('/')
      if member_folder != folder:
        folder, names = member_folder, self._folder(member_folder)
      if base in names:
        raise _members.ExtractionError('%s: member %s appears twice' %
                                       (self.path, name))
      names[base] = len(columns[0])
      for column, value in zip(columns, numbers):
        column.append(value)

  def listdir(self, folder: str) -> Optional[List[str]]:
    """The names of the files directly in `folder`, sorted; None if there is no such
    folder."""
    names = self._folders.get(folder.strip('/'))
    return None if names is None else sorted(names)

  def member(self, name: str) -> Optional[records.ZipMember]:
    """The member `name` ('a/b/c.JPEG'), named by its base name and folder; None if
    absent."""
    folder, _, base = name.rpartition('/')
    row = self._folders.get(folder, {}).get(base)
    if row is None:
      return None
    return records.ZipMember(self.path, *[column[row] for column in self._columns],
                             base, folder)

  def names_under(self, folder: str) -> List[str]:
    """Every member name under `folder`, at any depth, sorted."""
    prefix = folder.strip('/') + '/' if folder.strip('/') else ''
    return sorted(name_folder + '/' + base if name_folder else base
                  for name_folder, names in self._folders.items()
                  if name_folder == prefix.rstrip('/') or name_folder.startswith(prefix)
                  for base in names)

  def read(self, name: str) -> bytes:
    """Member `name`'s bytes, checked (records.read_zip_member).

    Raises:
      FileNotFoundError: no such member.
      records.ZipMemberError: it cannot be read.
    """
    member = self.member(name)
    if member is None:
      raise FileNotFoundError('%s holds no member %s' % (self.path, name))
    return member.read_bytes()


def index_zip(path: str) -> ZipIndex:
  """The index of the zip at `path`: one read of its central directory.

  Raises:
    CorruptArchiveError: no end-of-central-directory record, a damaged directory, or
      a zip split over several disks.
    ExtractionError: a member name appears twice.
  """
  index = ZipIndex(path)
  # In a store, each read is one ranged GET of exactly its bytes: the end record's
  # tail, then the directory in 16 MiB pieces; the members' data is never fetched.
  with core.open_file(path, 'rb', ranged=True) as f:
    f.seek(0, os.SEEK_END)
    size = f.tell()
    index._add_all(  # pylint: disable=protected-access
        _central_records(f, path, *_central_directory(f, path, size)))
  return index


def _corrupt(path: str, problem: str) -> _members.CorruptArchiveError:
  return _members.CorruptArchiveError(path, 'not a readable zip (%s)' % problem)


def _central_directory(f, path: str, size: int) -> Tuple[int, int, int]:
  """(members, offset, size) of the central directory, from the end record (or the
  zip64 end record it points to)."""
  tail_start = max(0, size - _END.size - _MAX_COMMENT)
  f.seek(tail_start)
  tail = f.read()
  position = tail.rfind(_END_SIGNATURE)
  while position >= 0 and (len(tail) - position < _END.size or
                           position + _END.size + _END.unpack_from(tail, position)[7]
                           != len(tail)):
    position = tail.rfind(_END_SIGNATURE, 0, position)
  if position < 0:
    raise _corrupt(path, 'no end-of-central-directory record; cut short?')
  _, disk, directory_disk, _, count, directory_size, directory_offset, _ = (
      _END.unpack_from(tail, position))
  end_offset = tail_start + position
  locator = position - _ZIP64_LOCATOR.size
  if (locator >= 0 and
      _ZIP64_LOCATOR.unpack_from(tail, locator)[0] == _ZIP64_LOCATOR_SIGNATURE):
    zip64_offset = _ZIP64_LOCATOR.unpack_from(tail, locator)[2]
    f.seek(zip64_offset)
    record = f.read(_ZIP64_END.size)
    if (len(record) < _ZIP64_END.size or
        _ZIP64_END.unpack_from(record)[0] != _ZIP64_END_SIGNATURE):
      raise _corrupt(path, 'no zip64 end record at offset %d' % zip64_offset)
    (_, _, _, _, disk, directory_disk, _, count, directory_size,
     directory_offset) = _ZIP64_END.unpack_from(record)
    end_offset = zip64_offset
  if disk or directory_disk:
    raise _corrupt(path, 'a zip split over several disks')
  if directory_offset + directory_size != end_offset:
    raise _corrupt(path, 'its central directory (%d bytes at offset %d) does not end '
                   'where its end record starts (%d)' %
                   (directory_size, directory_offset, end_offset))
  return count, directory_offset, directory_size


def _central_records(f, path: str, count: int, offset: int, size: int
                     ) -> Iterator[Tuple[str, Tuple[int, ...]]]:
  """(name, (offset, compressed size, size, CRC-32, method)) of each of the `count`
  central directory records, read a chunk at a time."""
  f.seek(offset)
  buffer = b''
  position = left = found = 0
  remaining = size
  while True:
    if left < _CENTRAL.size or left < _record_length(buffer, position):
      chunk = f.read(min(_CHUNK_BYTES, remaining)) if remaining else b''
      remaining -= len(chunk)
      if not chunk:
        break
      buffer = buffer[position:] + chunk
      position, left = 0, len(buffer)
      continue
    fields = _CENTRAL.unpack_from(buffer, position)
    if fields[0] != _CENTRAL_SIGNATURE:
      raise _corrupt(path, 'a damaged central directory record at offset %d' %
                     (offset + size - remaining - left))
    flags, method = fields[3], fields[4]
    crc, compressed, uncompressed = fields[7:10]
    name_length, extra_length, comment_length = fields[10:13]
    start = position + _CENTRAL.size
    name = buffer[start:start + name_length].decode(
        'utf-8' if flags & _UTF8_FLAG else 'cp437')
    extra = buffer[start + name_length:start + name_length + extra_length]
    numbers = _zip64_numbers(extra, uncompressed, compressed, fields[16], path, name)
    yield name, (numbers[2], numbers[1], numbers[0], crc, method)
    found += 1
    length = _CENTRAL.size + name_length + extra_length + comment_length
    position += length
    left -= length
  if left:
    raise _corrupt(path, 'its central directory ends inside a record')
  if found != count:
    raise _corrupt(path, 'its central directory holds %d members, its end record '
                   'says %d' % (found, count))


def _record_length(buffer: bytes, position: int) -> int:
  """The length of the central directory record at `position` (its fixed part
  whole in `buffer`)."""
  fields = _CENTRAL.unpack_from(buffer, position)
  return _CENTRAL.size + fields[10] + fields[11] + fields[12]


def _zip64_numbers(extra: bytes, uncompressed: int, compressed: int, offset: int,
                   path: str, name: str) -> List[int]:
  """[size, compressed size, offset], those saturated at 0xffffffff taken from the
  zip64 extra field, in that order."""
  numbers = [uncompressed, compressed, offset]
  wanted = [i for i, value in enumerate(numbers) if value == 0xffffffff]
  if not wanted:
    return numbers
  position = 0
  while position + _EXTRA_HEADER.size <= len(extra):
    kind, length = _EXTRA_HEADER.unpack_from(extra, position)
    position += _EXTRA_HEADER.size
    if kind == _ZIP64_EXTRA_ID and length >= 8 * len(wanted):
      values = struct.unpack_from('<%dQ' % len(wanted), extra, position)
      for i, value in zip(wanted, values):
        numbers[i] = value
      return numbers
    position += length
  raise _corrupt(path, 'member %s lacks the zip64 extra field its sizes need' % name)
