"""File operations on a local or remote path, without TensorFlow for local ones.

A path with a scheme (`gs://...`, `ram://...`: `_user_paths.is_remote`) goes through
tf.io.gfile, imported on first use only; any other path through `open`/`os`, which is
faster and keeps TensorFlow (~500 MiB of RSS) out of processes that only touch local
files, such as the converter's workers.

Behaviour is the same on both sides where callers rely on it: text is UTF-8 with no
newline translation (as tf.io.gfile.GFile), `rename` replaces the target atomically
(os.replace locally), `listdir` returns names only, and a missing file raises an
OSError locally or a tf.errors.OpError remotely.
"""

import ctypes
import os
import shutil
import sys
from typing import IO, Iterator, List, Optional, Tuple, Type

from inception.core import _user_paths


def _gfile():
  """The tf.io.gfile module (imports TensorFlow: for remote paths only)."""
  import tensorflow as tf  # pylint: disable=g-import-not-at-top  (remote paths only)
  return tf.io.gfile


_SYNC_FILE_RANGE_WRITE = 2  # <linux/fs.h>: start writeback, do not wait for it


def _load_sync_file_range() -> Optional[object]:
  """libc's sync_file_range (Linux), or None where there is none."""
  try:
    function = ctypes.CDLL(None, use_errno=True).sync_file_range
  except (OSError, AttributeError):
    return None
  function.argtypes = [ctypes.c_int, ctypes.c_int64, ctypes.c_int64, ctypes.c_uint]
  function.restype = ctypes.c_int
  return function


_sync_file_range = _load_sync_file_range()


def start_writeback(f: IO[bytes], offset: int, length: int) -> bool:
  """Flushes local file `f` and asks the kernel to start writing `length` bytes at
  `offset` to disk now, without waiting (Linux's sync_file_range).

  A file that is fsync-ed when complete (a shard before its rename) then has little
  left to flush by then: the disk writes while the writer goes on computing, instead of
  the writer waiting for all of it at the end. Durability still comes from the fsync
  alone. Returns False (and does nothing but flush) where the call is unavailable or
  refused.
  """
  f.flush()
  if _sync_file_range is None:
    return False
  return _sync_file_range(f.fileno(), offset, length, _SYNC_FILE_RANGE_WRITE) == 0


def error_types() -> Tuple[Type[BaseException], ...]:
  """The exceptions a file operation may raise: OSError, and tf.errors.OpError once
  TensorFlow is loaded (it cannot have raised one before)."""
  tensorflow = sys.modules.get('tensorflow')
  if tensorflow is None or not hasattr(tensorflow, 'errors'):
    return (OSError,)
  return (OSError, tensorflow.errors.OpError)


def open_file(path: str, mode: str = 'r') -> IO:
  """Opens `path` like tf.io.gfile.GFile: 'r', 'w', 'a' (UTF-8 text) or with 'b'."""
  if _user_paths.is_remote(path):
    return _gfile().GFile(path, mode)
  if 'b' in mode:
    return open(path, mode)
  return open(path, mode, encoding='utf-8', newline='')


def read_text(path: str) -> str:
  with open_file(path, 'r') as f:
    return f.read()


def read_bytes(path: str) -> bytes:
  with open_file(path, 'rb') as f:
    return f.read()


def exists(path: str) -> bool:
  if _user_paths.is_remote(path):
    return _gfile().exists(path)
  return os.path.exists(path)


def isdir(path: str) -> bool:
  if _user_paths.is_remote(path):
    return _gfile().isdir(path)
  return os.path.isdir(path)


def listdir(path: str) -> List[str]:
  """The names in directory `path` (not paths), in no particular order."""
  if _user_paths.is_remote(path):
    return _gfile().listdir(path)
  return os.listdir(path)


def makedirs(path: str) -> None:
  """Creates `path` and its parents; nothing if it is already a directory."""
  if _user_paths.is_remote(path):
    _gfile().makedirs(path)
  else:
    os.makedirs(path, exist_ok=True)


def remove(path: str, missing_ok: bool = False) -> None:
  """Deletes the file `path`; with `missing_ok`, a missing file is not an error."""
  if _user_paths.is_remote(path):
    if not missing_ok or _gfile().exists(path):
      _gfile().remove(path)
    return
  try:
    os.remove(path)
  except FileNotFoundError:
    if not missing_ok:
      raise


def remove_tree(path: str) -> None:
  """Deletes the directory `path` and everything below it; nothing if it is missing."""
  if _user_paths.is_remote(path):
    if _gfile().exists(path):
      _gfile().rmtree(path)
    return
  try:
    shutil.rmtree(path)
  except FileNotFoundError:
    pass


def rename(source: str, target: str, overwrite: bool = True) -> None:
  """Renames `source` to `target` (atomically for local paths).

  An existing `target` is replaced, or with `overwrite=False` is an error
  (FileExistsError) and nothing is renamed.
  """
  if _user_paths.is_remote(source):
    _gfile().rename(source, target, overwrite=overwrite)
    return
  if not overwrite and os.path.lexists(target):
    raise FileExistsError('%s already exists; %s was not renamed' % (target, source))
  os.replace(source, target)


def walk(top: str) -> Iterator[Tuple[str, List[str], List[str]]]:
  """(directory, subdirectory names, file names) for `top` and below, top first."""
  if _user_paths.is_remote(top):
    return iter(_gfile().walk(top))
  return os.walk(top)


def join(directory: str, *names: str) -> str:
  """Joins path parts; a remote path always with '/'."""
  if _user_paths.is_remote(directory):
    return '/'.join([directory.rstrip('/')] + list(names))
  return os.path.join(directory, *names)
