"""Atomic file output: a file appears under its final name only complete.

Locally it is written under a temporary name and renamed when complete (os.replace),
so an interrupted run leaves only `*.incomplete-*` files, which the next run replaces.
On an object store (no rename there; a copy would double the bytes) it is uploaded
straight to its final name with the upload committed last (`_object_store`), so a
failed or killed writer leaves no object under the name (`PendingOutput`).

A write that fails for want of room (a full disk or quota, ENOSPC / EDQUOT, or a file
size limit, EFBIG) raises an OSError that names no file; `naming_write_errors` gives it
the file being written and its directory, so that the binaries' one-line error says
where (every writer here and records.ShardWriter use it).
"""

import contextlib
import io
import os
from typing import Iterator, IO

from inception.core import _file_io
from inception.core import _object_store
from inception.core import _user_paths

INCOMPLETE_MARKER = '.incomplete-'


def temporary_path(path: str) -> str:
  """The name a file is written under until it is complete (unique per process)."""
  return '%s%s%d' % (path, INCOMPLETE_MARKER, os.getpid())


def is_temporary_path(path: str) -> bool:
  return INCOMPLETE_MARKER in os.path.basename(path)


def write_error(error: OSError, path: str) -> OSError:
  """`error` if it names a file, else the same error naming `path` and its directory."""
  if error.filename is not None:
    return error
  directory = os.path.dirname(path) or '.'
  return OSError(error.errno, '%s (writing into directory %s)' % (
      error.strerror or error, directory), path)


@contextlib.contextmanager
def naming_write_errors(path: str) -> Iterator[None]:
  """Re-raises an OSError of the block that names no file as `write_error(e, path)`."""
  try:
    yield
  except OSError as e:
    named = write_error(e, path)
    if named is e:
      raise
    raise named from e


class PendingOutput:
  """A file being written for `path`, which appears there only at `commit()`.

  `file` takes the writes ('wb' or 'w': UTF-8 text). `commit(durable=True)` also
  fsyncs a local file before its rename; `discard()` drops everything written.
  """

  def __init__(self, path: str, mode: str = 'wb'):
    self.path = path
    self._remote = _user_paths.is_remote(path)
    self._temporary = None if self._remote else temporary_path(path)
    with naming_write_errors(path):
      if self._remote:
        self._upload = _object_store.open_uncommitted(path)
        self.file = (self._upload if 'b' in mode else
                     io.TextIOWrapper(self._upload, encoding='utf-8', newline=''))
      else:
        self._upload = None
        self.file = _file_io.open_file(self._temporary, mode)

  def commit(self, durable: bool = False) -> None:
    """Publishes the file under `path`, whole; on failure nothing is published."""
    try:
      with naming_write_errors(self.path):
        self.file.flush()
        if self._remote:
          _object_store.commit(self._upload)
          return
        if durable:
          os.fsync(self.file.fileno())
        self.file.close()
        _file_io.rename(self._temporary, self.path)
    except BaseException:
      self.discard()
      raise

  def discard(self) -> None:
    """Drops what was written; `path` keeps what it held before (or stays absent)."""
    if self._remote:
      _object_store.discard(self._upload)
      return
    try:
      self.file.close()
    except OSError:
      pass  # the failure being raised is the one to report (a full disk, say)
    finally:
      _file_io.remove(self._temporary, missing_ok=True)


@contextlib.contextmanager
def atomic_output(path: str, mode: str = 'wb') -> Iterator[IO]:
  """Yields a file to write; it appears as `path` only if the block succeeds."""
  output = PendingOutput(path, mode)
  try:
    with naming_write_errors(path):
      yield output.file
  except BaseException:
    output.discard()
    raise
  output.commit()


def write_bytes(path: str, data: bytes) -> None:
  """Writes `data` to `path` atomically."""
  with atomic_output(path, 'wb') as f:
    f.write(data)


def write_text(path: str, text: str) -> None:
  """Writes `text` to `path` atomically."""
  with atomic_output(path, 'w') as f:
    f.write(text)


def remove_stale_temporaries(directory: str) -> int:
  """Deletes `*.incomplete-*` files an interrupted run left in `directory` (an object
  store has none: its unfinished uploads never became objects)."""
  if _user_paths.is_remote(directory) or not _file_io.isdir(directory):
    return 0
  removed = 0
  for name in _file_io.listdir(directory):
    if is_temporary_path(name):
      _file_io.remove(_file_io.join(directory, name))
      removed += 1
  return removed
