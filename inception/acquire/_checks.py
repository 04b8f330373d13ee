"""What fetching checks: a file found in place, a fetched file's size and MD5, and a
fetched file found corrupt later, moved aside.

A file at its final name with a matching verified stamp is trusted; one awaiting its
first read (a pending record: _verification) counts as fetched while unchanged; any
other is hashed now, and a wrong one moved aside to `<name>.bad-md5-<md5>` and
fetched again. A fetched file that extraction or indexing finds truncated or
unreadable (a source whose checksum was made from a bad copy) is moved aside to
`<name>.corrupt-<md5>`, so that the next run fetches it again.
"""

import hashlib
import os
from typing import Optional, Tuple

from absl import logging

from inception import core
from inception.acquire import _members
from inception.acquire import _verification

CORRUPT_INFIX = '.corrupt-'
# Hashing shorter files logs no final progress line.
_LOG_HASHING_ABOVE = 64 << 20
Expected = _verification.Expected


def hash_file(path: str, size: Optional[int] = None, description: str = '',
               interval: float = 10.0) -> Tuple['hashlib._Hash', int]:
  """An MD5 hasher fed the first `size` bytes of `path` (all if None), and the count.

  The hasher (not just its digest) is returned so a resumed transfer can go on
  feeding it.
  """
  hasher = hashlib.md5()
  done = 0
  total = size if size is not None else os.path.getsize(path)
  tracker = core.Progress(description or 'verify %s' % os.path.basename(path),
                          total=total, unit='bytes', interval=interval)
  with open(path, 'rb') as f:
    while size is None or done < size:
      want = (_verification.CHUNK_SIZE if size is None
              else min(_verification.CHUNK_SIZE, size - done))
      chunk = f.read(want)
      if not chunk:
        break
      hasher.update(chunk)
      done += len(chunk)
      tracker.update(len(chunk), len(chunk))
  if total > _LOG_HASHING_ABOVE:
    tracker.finish()
  return hasher, done


def truncate(path: str) -> None:
  """Empties the file `path` (creating it if missing)."""
  with open(path, 'wb'):
    pass


def check(name: str, expected: Expected, size: int, md5: str, path: str,
           final_path: str, move: bool = True) -> None:
  """Raises ChecksumMismatch (moving `path` aside if `move`) unless size and MD5 fit."""
  if expected.size is not None and size != expected.size:
    aside = _verification.move_aside(path, md5, final_path) if move else None
    raise _verification.ChecksumMismatch(name, 'size', '%d bytes' % expected.size,
                           '%d bytes' % size, aside)
  if md5 != expected.md5:
    aside = _verification.move_aside(path, md5, final_path) if move else None
    raise _verification.ChecksumMismatch(name, 'MD5', expected.md5, md5, aside)


def move_aside_corrupt(path: str) -> str:
  """Renames a fetched file found truncated or unreadable to `<name>.corrupt-<md5>`.

  Nothing is deleted (a symlink is moved, not its target); with the file gone from
  its name, the next fetch gets it again. Returns the new name.
  """
  try:
    with open(_verification.stamp_path(path)) as f:
      md5 = f.read().split(' ')[0]
  except OSError:
    md5 = ''
  if not _verification.stamp_matches(path, md5):
    md5 = hash_file(path)[0].hexdigest()
  _verification.remove_if_exists(_verification.stamp_path(path))
  _verification.remove_if_exists(_verification.pending_path(path))
  return _verification.move_aside(path, md5, path, CORRUPT_INFIX)


def set_aside_corrupt(error: _members.CorruptArchiveError,
                      data_dir: str) -> Optional[str]:
  """Moves an archive of the download directory `data_dir` that extraction or indexing
  found corrupt aside (move_aside_corrupt); returns the message saying so and what to
  do, or None for an archive elsewhere (the user's, left alone)."""
  path = error.archive_path
  if (os.path.dirname(os.path.abspath(path)) != os.path.abspath(data_dir) or
      not os.path.lexists(path)):
    return None
  aside = move_aside_corrupt(path)
  return ('%s; moved aside to %s. The next run fetches it again (if the source copy '
          'is bad too, replace it and its line in the checksums file first)' %
          (error, aside))


def is_verified(path: str, expected: Expected) -> bool:
  """True if `path` exists and its stamp says it matched `expected` (no hashing)."""
  return os.path.exists(path) and _verification.stamp_matches(path, expected.md5)


def is_fetched(path: str, expected: Expected) -> bool:
  """True if `path` is verified, or awaits its first read to be verified against
  `expected` and has not changed since (no hashing)."""
  return is_verified(path, expected) or (
      os.path.exists(path) and _verification.is_pending(path, expected))


def defer_verification(name: str, path: str, expected: Expected) -> str:
  """Leaves `path`'s MD5 to its first full read (a pending record); the action."""
  _verification.write_pending(path, expected)
  logging.info('%s: not hashed now; the first extraction or index that reads it '
               'checks its MD5', name)
  return 'MD5 checked when first read'


def size_fits(path: str, expected: Expected) -> bool:
  """True if `path` has the expected size (or none is expected)."""
  return expected.size is None or os.path.getsize(path) == expected.size


def verify_existing(name: str, path: str, expected: Expected, interval: float,
                     defer: bool = False) -> Optional[str]:
  """Checks a file already at its final name; returns what was done, or None when
  it must be fetched (a bad one was moved aside).

  With `defer`, a file of the right size is not hashed but left to its first read
  (a pending record).
  """
  if not os.path.lexists(path):
    return None
  if not os.path.exists(path):  # A dangling symlink.
    logging.warning('%s: %s is a dangling symlink; removing it', name, path)
    os.remove(path)
    return None
  if _verification.stamp_matches(path, expected.md5):
    return 'already verified'
  if defer and _verification.is_pending(path, expected):
    return 'already there, MD5 checked when first read'
  if defer and size_fits(path, expected):
    return defer_verification(name, path, expected)
  hasher, size = hash_file(path, interval=interval)
  md5 = hasher.hexdigest()
  try:
    check(name, expected, size, md5, path, path)
  except _verification.ChecksumMismatch as e:
    logging.warning('%s; fetching it again', e)
    _verification.remove_if_exists(_verification.stamp_path(path))
    _verification.remove_if_exists(_verification.pending_path(path))
    return None
  _verification.write_stamp(path, expected.md5)
  return 'verified'


def adopt_short_file(name: str, path: str, partial: str, expected: Expected) -> None:
  """Continues a file shorter than the published size (e.g. an interrupted wget).

  Only for a regular file with no stamp and no partial download: it becomes the
  partial download, so its bytes are not fetched again (the MD5 still decides).
  """
  if (expected.size is not None and os.path.isfile(path) and
      not os.path.islink(path) and not os.path.exists(partial) and
      not _verification.stamp_matches(path, expected.md5) and
      os.path.getsize(path) < expected.size):
    logging.info('%s: %s is shorter than %d bytes; continuing it', name, path,
                 expected.size)
    os.replace(path, partial)
