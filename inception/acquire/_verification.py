"""A tarball's size and MD5, checked once: in the stream that fetches it or first reads it.

Files beside a tarball <name> in the download directory:
  <name>.md5-verified   '<md5> <size> <mtime_ns>': <name> passed verification. While it
                        keeps that size and mtime, nothing hashes it again.
  <name>.md5-pending    '<md5> <expected size or -> <size> <mtime_ns>': <name> was
                        linked or found in place and not hashed yet; the first stream
                        that reads it whole (extraction, or the index for --no_extract)
                        hashes it on the way (`verifying_read`), then writes the
                        verified stamp, or on a mismatch discards what it produced and
                        moves <name> aside.
  <name>.bad-md5-<md5>  a file that failed verification, moved aside (never used).

A copy or a download hashes the bytes as it writes them, so it gets the verified stamp
at once; only a symlink (the user's 140 GB file) or a file found in place waits for
its first read, which then is the one read of it.

An object read in place from a store (_store) has the same two records, named after
its name in the download directory (a `record` path: the object is the user's) and
holding its ETag (or generation) where a file's hold its mtime; a wrong one is left
where it is, not moved aside.
"""

import contextlib
import hashlib
import os
from typing import Callable, IO, Iterator, NamedTuple, Optional, Tuple, Type

from inception import core

STAMP_SUFFIX = '.md5-verified'
PENDING_SUFFIX = '.md5-pending'
BAD_MD5_INFIX = '.bad-md5-'

CHUNK_SIZE = 1 << 20


class DownloadError(Exception):
  """A file could not be fetched or verified; the message names it."""


class ChecksumMismatch(DownloadError):
  """A file's size or MD5 is not the expected one."""

  def __init__(self, name: str, what: str, expected: str, actual: str,
               moved_to: Optional[str], consequence: str = ''):
    self.name = name
    self.what = what
    self.expected = expected
    self.actual = actual
    self.moved_to = moved_to
    where = ('; the file was moved aside to %s' % moved_to) if moved_to else ''
    super().__init__('%s: %s mismatch: expected %s, actual %s%s%s' %
                     (name, what, expected, actual, where, consequence))


class Expected(NamedTuple):
  """What one file must be after fetching."""
  size: Optional[int]
  md5: str


# The verified stamp. `record` is the path the stamps are named after: the file
# itself, or for an object read in place from a store (which is the user's, and may be
# read-only) its name in the download directory (`<downloads>/<name>.md5-verified`).


def stamp_path(path: str) -> str:
  return path + STAMP_SUFFIX


def _identity(path: str) -> str:
  """'<size> <version>' of a file: its mtime in ns, or a store object's ETag."""
  return '%d %s' % core.object_version(path)


def _stamp_text(md5: str, path: str) -> str:
  return '%s %s\n' % (md5, _identity(path))


def _read_small(path: str) -> Optional[str]:
  try:
    if core.is_remote(path):
      return core.read_text(path)[:200] if core.exists(path) else None
    with open(path) as f:
      return f.read(200)
  except OSError:
    return None


def stamp_matches(path: str, md5: str, record: Optional[str] = None) -> bool:
  """True if `path` was verified against `md5` and has not changed since."""
  stamp = _read_small(stamp_path(record or path))
  try:
    return stamp is not None and stamp == _stamp_text(md5, path)
  except OSError:
    return False


def write_stamp(path: str, md5: str, record: Optional[str] = None) -> None:
  """Records `path` as verified against `md5` (and drops a pending record)."""
  core.write_text(stamp_path(record or path), _stamp_text(md5, path))
  remove_if_exists(pending_path(record or path))


def remove_if_exists(path: str) -> None:
  if core.is_remote(path):
    core.remove(path, missing_ok=True)
  elif os.path.lexists(path):
    os.remove(path)


def move_aside(path: str, actual_md5: str, final_path: str,
               infix: str = BAD_MD5_INFIX) -> str:
  """Renames a bad file (a symlink itself, not its target) to `<final><infix><md5>`."""
  aside = '%s%s%s' % (final_path, infix, actual_md5)
  os.replace(path, aside)
  return aside


# The pending record.


def pending_path(path: str) -> str:
  return path + PENDING_SUFFIX


def write_pending(path: str, expected: Expected, record: Optional[str] = None) -> None:
  """Records that `path` must still be checked against `expected` by its first read."""
  record = record or path
  remove_if_exists(stamp_path(record))
  core.write_text(pending_path(record), '%s %s %s\n' % (
      expected.md5, '-' if expected.size is None else expected.size,
      _identity(path)))


def _read_pending(record: str) -> Optional[Tuple[Expected, str]]:
  """(what the file must be, the size and version it had) from its pending record."""
  text = _read_small(pending_path(record))
  fields = (text or '').split()
  if len(fields) != 4:
    return None
  md5, size, file_size, version = fields
  return (Expected(None if size == '-' else int(size), md5),
          '%s %s' % (file_size, version))


def is_pending(path: str, expected: Expected, record: Optional[str] = None) -> bool:
  """True if `path` awaits its first read to be checked against `expected`, and has
  not changed since it was linked or found (no hashing)."""
  pending = _read_pending(record or path)
  try:
    return (pending is not None and pending[0] == expected and
            pending[1] == _identity(path))
  except OSError:
    return False


def pending_expectation(path: str,
                        record: Optional[str] = None) -> Optional[Expected]:
  """What a tarball awaiting verification must be; None if it awaits none
  (verified, fetched elsewhere, or remote with no `record` of its own).

  A pending record applies even if the file changed since: reading it checks it.
  """
  if record is None and core.is_remote(path):
    return None
  pending = _read_pending(record or path)
  if pending is None or stamp_matches(path, pending[0].md5, record):
    return None
  return pending[0]


# Hashing in the reading stream.


class PositionedReader(object):
  """The file interface of a read-only binary reader that keeps its own position
  (`tell`, `seek`, `seekable`, `readable`, `name`, `mode`), for tarfile; a subclass
  gives `read` and the file's current size (`_size`, for seeks from the end)."""

  def __init__(self, name: str, position: int = 0):
    self.name = name
    self.mode = 'rb'
    self._position = position

  def _size(self) -> int:
    raise NotImplementedError

  def tell(self) -> int:
    return self._position

  def seekable(self) -> bool:
    return True

  def readable(self) -> bool:
    return True

  def seek(self, offset: int, whence: int = os.SEEK_SET) -> int:
    if whence == os.SEEK_SET:
      self._position = offset
    elif whence == os.SEEK_CUR:
      self._position += offset
    elif whence == os.SEEK_END:
      self._position = self._size() + offset
    else:
      raise ValueError('invalid whence %r' % whence)
    return self._position


class HashingReader(PositionedReader):
  """A seekable binary reader over `f` that feeds an MD5 every byte of the file, once,
  in order.

  The hashed prefix grows to whatever was read: reading again inside it (a backward
  seek) costs no hashing; a read past it (after a forward seek, as tarfile skips
  member data) first hashes the gap, reading it. `finish` hashes the rest to the end.
  """

  def __init__(self, f: IO[bytes], name: str):
    super().__init__(name, f.tell())
    self._file = f
    self._file_position = self._position
    self._hasher = hashlib.md5()
    self._hashed = 0

  def _size(self) -> int:
    size = getattr(self._file, 'size', None)  # a store's file (fsspec) knows it
    return size if isinstance(size, int) else os.fstat(self._file.fileno()).st_size

  def _raw_read(self, position: int, size: int) -> bytes:
    if self._file_position != position:
      self._file.seek(position)
    data = self._file.read(size)
    self._file_position = position + len(data)
    return data

  def _hash_until(self, end: Optional[int]) -> None:
    """Hashes from the hashed prefix's end to `end` (None: the end of the file)."""
    while end is None or self._hashed < end:
      want = CHUNK_SIZE if end is None else min(CHUNK_SIZE, end - self._hashed)
      chunk = self._raw_read(self._hashed, want)
      if not chunk:
        return
      self._hasher.update(chunk)
      self._hashed += len(chunk)

  def read(self, size: int = -1) -> bytes:
    if self._position > self._hashed:
      self._hash_until(self._position)
    data = self._raw_read(self._position, size)
    end = self._position + len(data)
    if end > self._hashed:
      self._hasher.update(memoryview(data)[self._hashed - self._position:])
      self._hashed = end
    self._position = end
    return data

  def finish(self) -> Tuple[int, str]:
    """Hashes what was not read yet; returns (file size, MD5 hex digest)."""
    self._hash_until(None)
    return self._hashed, self._hasher.hexdigest()

  def close(self) -> None:
    self._file.close()


def _problem(expected: Expected, size: int,
             md5: str) -> Optional[Tuple[str, str, str]]:
  """(what, expected, actual) if a file of `size` bytes and `md5` is not `expected`."""
  if expected.size is not None and size != expected.size:
    return 'size', '%d bytes' % expected.size, '%d bytes' % size
  if md5 != expected.md5:
    return 'MD5', expected.md5, md5
  return None


def _settle(path: str, expected: Expected, reader: HashingReader,
            discard: Callable[[], str],
            record: Optional[str] = None) -> Optional[ChecksumMismatch]:
  """Finishes hashing a read tarball: writes its verified stamp, or returns the error
  for a wrong one after discarding what its stream produced and moving it aside (a
  store object read in place, the user's, is left where it is)."""
  size, md5 = reader.finish()
  problem = _problem(expected, size, md5)
  if problem is None:
    write_stamp(path, md5, record)
    return None
  discarded = discard()
  remove_if_exists(pending_path(record or path))
  if record is not None and record != path:
    return ChecksumMismatch(
        path, problem[0], problem[1], problem[2], None,
        ' (found while reading it); %s. The object is left as it is: replace it (or '
        'its line in the checksums file), then run again' % discarded)
  aside = move_aside(path, md5, path)
  return ChecksumMismatch(
      path, problem[0], problem[1], problem[2], aside,
      ' (found while reading it); %s. The next run fetches it again (if the source '
      'copy is bad too, replace it first)' % discarded)


@contextlib.contextmanager
def verifying_read(path: str, discard: Callable[[], str],
                   check_after: Tuple[Type[BaseException], ...] = (),
                   record: Optional[str] = None) -> Iterator[IO[bytes]]:
  """Opens a tarball for the stream that reads it whole, verifying it on the way if
  it awaits verification (pending_expectation).

  When the body ends, the rest of the file is hashed and compared: a match writes the
  verified stamp (nothing reads the file to verify it again); a mismatch calls
  `discard()`, which removes what the stream produced and says what, moves the
  tarball aside and raises ChecksumMismatch. If the body raises one of `check_after`
  (a corrupt archive, say), the file is checked as well and a mismatch is the error
  raised. Verified tarballs, and remote ones without a `record` (the path their
  stamps are named after), are read as they are.
  """
  expected = pending_expectation(path, record)
  if expected is None:
    with core.open_file(path, 'rb') as f:
      yield f
    return
  with core.open_file(path, 'rb') as f:
    reader = HashingReader(f, path)
    try:
      yield reader
    except check_after as failure:
      error = _settle(path, expected, reader, discard, record)
      if error is None:
        raise
      raise error from failure
    error = _settle(path, expected, reader, discard, record)
  if error is not None:
    raise error
