"""Atomic file output: write under a temporary name, rename when complete.

A reader never sees a half-written file under its final name, and an interrupted run
leaves only `*.incomplete-*` files, which the next run replaces. Paths may be local
(os.replace: an atomic rename) or gs:// (tf.io.gfile), through _file_io, so this
module does not import TensorFlow for local paths.

A write that fails for want of room (a full disk or quota, ENOSPC / EDQUOT, or a file
size limit, EFBIG) raises an OSError that names no file; `naming_write_errors` gives it
the file being written and its directory, so that the binaries' one-line error says
where (every writer here and records.ShardWriter use it).
"""

import contextlib
import os
from typing import Iterator, IO

from inception.core import _file_io

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


@contextlib.contextmanager
def atomic_output(path: str, mode: str = 'wb') -> Iterator[IO]:
  """Yields a file to write; renames it to `path` only if the block succeeds."""
  temporary = temporary_path(path)
  try:
    with naming_write_errors(path), _file_io.open_file(temporary, mode) as f:
      yield f
      f.flush()
    _file_io.rename(temporary, path)
  except BaseException:
    _file_io.remove(temporary, missing_ok=True)
    raise


def write_bytes(path: str, data: bytes) -> None:
  """Writes `data` to `path` atomically."""
  with atomic_output(path, 'wb') as f:
    f.write(data)


def write_text(path: str, text: str) -> None:
  """Writes `text` to `path` atomically."""
  with atomic_output(path, 'w') as f:
    f.write(text)


def remove_stale_temporaries(directory: str) -> int:
  """Deletes `*.incomplete-*` files an interrupted run left in `directory`."""
  if not _file_io.isdir(directory):
    return 0
  removed = 0
  for name in _file_io.listdir(directory):
    if is_temporary_path(name):
      _file_io.remove(_file_io.join(directory, name))
      removed += 1
  return removed
