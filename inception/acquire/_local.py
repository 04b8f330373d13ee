"""Fetching a file from a local directory: copied (resumably) or symlinked, verified.

A copy goes to `<name>.partial` first and is hashed as it is written, so it is
checked when complete and renamed to its final name only if it matches. A symlink's
target is hashed before the link is made, unless its verification is left to its
first full read (_verification: a pending record). A source file that fails
verification is never moved (it is the user's).
"""

import hashlib
import os
import time
from typing import Tuple

from inception import core
from inception.acquire import _archive
from inception.acquire import _checks
from inception.acquire import _options
from inception.acquire import _verification


def local_source(directory: str, archive: _archive.Archive) -> str:
  """The file of a source directory holding `archive`: the first of its names present
  (Archive.names), else the path under its name (which then names it as missing)."""
  paths = [os.path.join(directory, name) for name in archive.names]
  return next((path for path in paths if os.path.isfile(path)), paths[0])


def _copy_with_resume(source: str, partial: str, name: str,
                      interval: float) -> Tuple[str, int, int]:
  """Copies `source` into `partial`, continuing a shorter partial copy.

  Returns (md5, size, bytes copied now).
  """
  source_size = os.path.getsize(source)
  offset = os.path.getsize(partial) if os.path.exists(partial) else 0
  if offset > source_size:
    _checks.truncate(partial)
    offset = 0
  hasher = hashlib.md5()
  if offset:
    hasher, offset = _checks.hash_file(partial, offset, 'hash partial %s' % name,
                                       interval)
  tracker = core.Progress('copy %s' % name, total=source_size - offset,
                          unit='bytes', interval=interval)
  copied = 0
  with open(source, 'rb') as src, open(partial, 'ab' if offset else 'wb') as dst:
    src.seek(offset)
    for chunk in iter(lambda: src.read(_verification.CHUNK_SIZE), b''):
      with core.naming_write_errors(partial):
        dst.write(chunk)
      hasher.update(chunk)
      copied += len(chunk)
      tracker.update(len(chunk), len(chunk))
  tracker.finish()
  return hasher.hexdigest(), offset + copied, copied


def fetch_local(source_path: str, path: str, archive: _archive.Archive,
                options: _options.FetchOptions = _options.FetchOptions()
               ) -> _options.FileResult:
  """Copies or symlinks (options.link_mode) a local tarball to `path`, verified.

  A source file that fails verification is never moved (it is the user's); the
  error names it and nothing is linked. A bad copy is moved aside. For an archive
  verified on its first read (options.verify_on_first_read), a symlink (or a file
  found in place) of the right size is not hashed: its first read verifies it, and
  a mismatch then moves the link aside.
  """
  link_mode = options.link_mode
  if link_mode not in _options.LINK_MODES:
    raise ValueError('link_mode must be one of %s, got %r' % (_options.LINK_MODES,
                                                               link_mode))
  name = os.path.basename(path)
  expected = archive.expected
  interval = options.progress_interval
  defer = archive.name in options.verify_on_first_read
  start = time.monotonic()
  action = _checks.verify_existing(name, path, expected, interval, defer)
  if action:
    return _options.FileResult(name, path, action, 0, time.monotonic() - start)
  if not os.path.isfile(source_path):
    raise _verification.DownloadError('%s: not found in the source directory (%s)' %
                                      (name, source_path))
  if link_mode == 'symlink' and defer and _checks.size_fits(source_path, expected):
    os.symlink(os.path.abspath(source_path), path)
    action = 'symlinked, ' + _checks.defer_verification(name, path, expected)
    return _options.FileResult(name, path, action, 0, time.monotonic() - start)
  if link_mode == 'symlink':
    hasher, size = _checks.hash_file(source_path, interval=interval)
    md5 = hasher.hexdigest()
    _checks.check(source_path, expected, size, md5, source_path, source_path,
                  move=False)
    os.symlink(os.path.abspath(source_path), path)
    _verification.write_stamp(path, expected.md5)
    return _options.FileResult(name, path, 'symlinked', 0, time.monotonic() - start)
  partial = path + _options.PARTIAL_SUFFIX
  md5, size, copied = _copy_with_resume(source_path, partial, name, interval)
  _checks.check(name, expected, size, md5, partial, path)
  os.replace(partial, path)
  _verification.write_stamp(path, expected.md5)
  return _options.FileResult(name, path, 'copied', copied, time.monotonic() - start)
