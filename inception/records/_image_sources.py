"""An image entry's bytes: from a path (local or remote) or a `read_bytes()` object.

`read_source_bytes` reads one source; `entries_with_bytes` reads a shard's entries in
order, its archive members (a tar's, or a zip's, inflated and checked) through one
open archive (`_Archive`: os.pread for a local one). What cannot be read becomes an
ImageError that names the source, as a bad image does. Imports no TensorFlow.

Sources in a store (a remote path, or the members of a remote archive) are read
`STORE_READS_IN_FLIGHT` at a time by a small thread pool, the next images of the
shard fetched while the worker encodes the current one, and handed on in the shard's
order (the same records, byte for byte). Each read is one request of exactly the
image's bytes, so a store's latency is paid about once per STORE_READS_IN_FLIGHT
images instead of once per image (docs/OBJECT_STORAGE.md, "What a run costs").
Local sources are read in the worker's own thread, as before.
"""

import collections
import concurrent.futures
import itertools
import os
from typing import Any, Callable, Iterator, Sequence, Tuple

from inception import core
from inception.records import _entries
from inception.records import _image_coding
from inception.records import _zip_members

_READ_CHUNK_BYTES = 1 << 18  # most ImageNet JPEGs (~110 KB) in one read

# Reads of a shard's images from a store in flight at once, per worker: 8 hide a
# store's ~20 ms per request behind the encoding (bench/bench_store_reads.py) and hold
# at most 8 images in memory beside the one being encoded; s3fs's connection pool
# (10) serves them all at once.
STORE_READS_IN_FLIGHT = 8

# (entry index in the shard, entry) -> its bytes, or an ImageError naming it.
_Read = Callable[[int, _entries.ImageEntry], Any]


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
  order; a shard's archive members are read through one open archive, and sources in
  a store STORE_READS_IN_FLIGHT at a time."""
  members = entries.members_of() if isinstance(entries, _entries.ShardEntries) else None
  if members is None:
    read = lambda index, entry: _bytes_or_error(entry.source, read_source_bytes,
                                                entry.source)
    if _first_source_is_remote(entries):
      yield from _read_ahead(entries, read)
    else:
      yield from ((entry, read(index, entry)) for index, entry in enumerate(entries))
    return
  if core.is_remote(members.archive_path):
    archive = _RemoteArchive(members.archive_path)
    yield from _read_ahead(entries, lambda index, entry: _bytes_or_error(
        entry.source, _read_member, archive, members, index, entry))
    return
  try:
    local_archive = _Archive(members.archive_path)
  except Exception as e:  # pylint: disable=broad-except
    for entry in entries:  # as each member's own read would fail
      yield entry, _unreadable(entry.source, e)
    return
  with local_archive:
    for index, entry in enumerate(entries):
      yield entry, _bytes_or_error(entry.source, _read_member, local_archive,
                                   members, index, entry)


def _bytes_or_error(source: Any, read: Callable[..., bytes], *args: Any) -> Any:
  """`read(*args)`, or the ImageError naming `source` that says why it cannot be
  read (returned, not raised: a shard may skip it)."""
  try:
    return read(*args)
  except _image_coding.ImageError as e:  # a zip member's, or read_source_bytes'
    return e
  except Exception as e:  # pylint: disable=broad-except
    return _unreadable(source, e)


def _first_source_is_remote(entries: Sequence[_entries.ImageEntry]) -> bool:
  """Whether the shard's sources are in a store: a split's images are under one
  directory, so its first entry tells (a mixed shard is still read right, serially)."""
  first = next(iter(entries), None)
  return (first is not None and isinstance(first.source, str) and
          core.is_remote(first.source))


def _read_ahead(entries: Sequence[_entries.ImageEntry], read: _Read
                ) -> Iterator[Tuple[_entries.ImageEntry, Any]]:
  """`(entry, read(index, entry))` in order, with up to STORE_READS_IN_FLIGHT reads
  running ahead in threads while the caller works on the one given; reads not yet
  needed when the caller stops are cancelled (the running ones end first)."""
  numbered = enumerate(entries)
  with concurrent.futures.ThreadPoolExecutor(
      STORE_READS_IN_FLIGHT, thread_name_prefix='store-read') as pool:
    pending = collections.deque(
        (entry, pool.submit(read, index, entry))
        for index, entry in itertools.islice(numbered, STORE_READS_IN_FLIGHT))
    try:
      while pending:
        entry, future = pending.popleft()
        data = future.result()
        for index, following in itertools.islice(numbered, 1):
          pending.append((following, pool.submit(read, index, following)))
        yield entry, data
    finally:
      for _, future in pending:
        future.cancel()


def _read_member(archive: Any, members: Any, index: int,
                 entry: _entries.ImageEntry) -> bytes:
  """The bytes of `entry`, member `index` of `members` (entries' columns), read with
  `archive.read(offset, size)` (an _Archive or a _RemoteArchive): a tar member's as
  they are, a zip member's inflated and checked.

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


class _RemoteArchive:
  """An archive in a store, read at offsets: one ranged GET of exactly the bytes
  asked for (core.read_range: no HEAD, no read-ahead, safe from several threads)."""

  def __init__(self, path: str):
    self.path = path

  def read(self, offset: int, size: int) -> bytes:
    return core.read_range(self.path, offset, size)


class _Archive:
  """A local archive open for reading members at offsets: os.pread, one system call
  a member."""

  def __init__(self, path: str):
    self._fd = os.open(path, os.O_RDONLY | getattr(os, 'O_CLOEXEC', 0))

  def read(self, offset: int, size: int) -> bytes:
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
    os.close(self._fd)

