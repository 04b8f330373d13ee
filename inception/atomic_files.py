"""Atomic file output: write under a temporary name, rename when complete.

A reader never sees a half-written file under its final name, and an interrupted run
leaves only `*.incomplete-*` files, which the next run replaces. Paths go through
tf.io.gfile so they may be local or gs://.
"""

import contextlib
import os
from typing import Iterator, IO

import tensorflow as tf

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
    with tf.io.gfile.GFile(temporary, mode) as f:
      yield f
      f.flush()
    tf.io.gfile.rename(temporary, path, overwrite=True)
  except BaseException:
    if tf.io.gfile.exists(temporary):
      tf.io.gfile.remove(temporary)
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
  if not tf.io.gfile.isdir(directory):
    return 0
  removed = 0
  for name in tf.io.gfile.listdir(directory):
    if is_temporary_path(name):
      tf.io.gfile.remove(os.path.join(directory, name))
      removed += 1
  return removed
