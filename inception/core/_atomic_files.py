"""Atomic file output: write under a temporary name, rename when complete.

A reader never sees a half-written file under its final name, and an interrupted run
leaves only `*.incomplete-*` files, which the next run replaces. Paths may be local
(os.replace: an atomic rename) or gs:// (tf.io.gfile), through _file_io, so this
module does not import TensorFlow for local paths.
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


@contextlib.contextmanager
def atomic_output(path: str, mode: str = 'wb') -> Iterator[IO]:
  """Yields a file to write; renames it to `path` only if the block succeeds."""
  temporary = temporary_path(path)
  try:
    with _file_io.open_file(temporary, mode) as f:
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
