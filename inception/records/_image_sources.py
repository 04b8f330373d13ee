"""An image entry's bytes: from a path (local or remote) or a `read_bytes()` object.

`read_source_bytes` reads one source; `entries_with_bytes` reads a shard's entries in
order, its archive members (a tar's, or a zip's, inflated and checked) through one
open archive (`_Archive`: os.pread for a local one). What cannot be read becomes an
ImageError that names the source, as a bad image does. Imports no TensorFlow (only a
remote path loads it, through core).
"""

import os
from typing import Any, Iterator, Sequence, Tuple

from inception import core
from inception.records import _entries
from inception.records import _image_coding
from inception.records import _zip_members

_READ_CHUNK_BYTES = 1 << 18  # most ImageNet JPEGs (~110 KB) in one read


def describe_source(source: Any) -> str:
  """How errors and reports name an entry's source (a path, or the object's str)."""
  return source if isinstance(source, str) else str(source)


def read_source_bytes(source: Any) -> bytes:
  """Reads an entry's bytes: a path, or an object with read_bytes().

  Raises:
    _image_coding.ImageError: the source cannot be read.
  """
  try:
    if not isinstance(source, str):
      return source.read_bytes()
    if core.is_remote(source):
      return core.read_bytes(source)  # one GET through fsspec
    return _read_local_file(source)
  except _image_coding.ImageError:
    raise
  except Exception as e:  # OSError, a store library's errors, tar errors
    raise _unreadable(source, e) from None


def _read_local_file(path: str) -> bytes:
  """A local file's bytes with plain system calls: no file object, no stat; for small
  files a third of `open().read()`'s cost, which is most of the converter's reading."""
  fd = os.open(path, os.O_RDONLY | getattr(os, 'O_CLOEXEC', 0))
  try:
    chunks = []
    while True:
      chunk = os.read(fd, _READ_CHUNK_BYTES)
      if not chunk:
        return chunks[0] if len(chunks) == 1 else b''.join(chunks)
      chunks.append(chunk)
  finally:
    os.close(fd)


def entries_with_bytes(entries: Sequence[_entries.ImageEntry]
                       ) -> Iterator[Tuple[_entries.ImageEntry, Any]]:
  """(entry, its bytes or the ImageError that names why they cannot be read), in
  order; a shard's archive members are read through one open archive."""
  members = entries.members_of() if isinstance(entries, _entries.ShardEntries) else None
  if members is None:
    for entry in entries:
      try:
        yield entry, read_source_bytes(entry.source)
      except _image_coding.ImageError as e:
        yield entry, e
    return
  try:
    archive = _Archive(members.archive_path)
  except Exception as e:  # pylint: disable=broad-except
    for entry in entries:  # as each member's own read would fail
      yield entry, _unreadable(entry.source, e)
    return
  with archive:
    for index, entry in enumerate(entries):
      try:
        data = _read_member(archive, members, index, entry)
      except _image_coding.ImageError as e:  # a zip member's, naming it
        data = e
      except Exception as e:  # pylint: disable=broad-except
        data = _unreadable(entry.source, e)
      yield entry, data


def _read_member(archive: '_Archive', members: Any, index: int,
                 entry: _entries.ImageEntry) -> bytes:
  """The bytes of `entry`, member `index` of `members` (entries' columns): a tar
  member's as they are, a zip member's inflated and checked.

  Raises:
    IOError: a tar member cut short.
    _zip_members.ZipMemberError: a zip member that cannot be read.
  """
  if members.is_zip():
    return _zip_members.read_zip_member(
        archive.read, members.member(index, entry.filename, entry.label))
  offset, size = members.offsets[index], members.sizes[index]
  data = archive.read(offset, size)
  if len(data) != size:
    raise IOError('%s: member %s is truncated: %d of %d bytes at offset %d' %
                  (members.archive_path, entry.filename, len(data), size, offset))
  return data


def _unreadable(source: Any, error: Exception) -> _image_coding.ImageError:
  return _image_coding.ImageError(describe_source(source), 'unreadable (%s: %s)' %
                                  (type(error).__name__, error))


class _Archive:
  """An archive open for reading members at offsets: a local one with os.pread (one
  system call a member), a remote one through core.open_file: one ranged request a
  member, no read-ahead."""

  def __init__(self, path: str):
    self._fd = self._file = None
    if core.is_remote(path):
      self._file = core.open_file(path, 'rb', ranged=True)  # one GET a member
    else:
      self._fd = os.open(path, os.O_RDONLY | getattr(os, 'O_CLOEXEC', 0))

  def read(self, offset: int, size: int) -> bytes:
    if self._file is not None:
      self._file.seek(offset)
      return self._file.read(size)
    data = os.pread(self._fd, size, offset)
    if len(data) == size or not data:
      return data
    chunks = [data]
    got = len(data)
    while got < size:
      chunk = os.pread(self._fd, size - got, offset + got)
      if not chunk:
        break
      chunks.append(chunk)
      got += len(chunk)
    return b''.join(chunks)

  def __enter__(self) -> '_Archive':
    return self

  def __exit__(self, *unused) -> None:
    if self._file is not None:
      self._file.close()
    else:
      os.close(self._fd)

