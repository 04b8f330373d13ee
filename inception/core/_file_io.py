"""File operations on a local or remote path, without TensorFlow for either.

A path with a scheme (`s3://...`, `gs://...`, `az://...`, `memory://...`:
`_user_paths.is_remote`) goes through fsspec (`_object_store`), imported on first use
only; any other path through `open`/`os`, which is faster and keeps even fsspec out of
processes that only touch local files, such as the converter's workers.

Behaviour is the same on both sides where callers rely on it: text is UTF-8 with no
newline translation, `listdir` returns names only, a missing file raises
FileNotFoundError, and a remote failure is an OSError naming the URL (the store
library's own exceptions included: missing credentials, an unreachable endpoint).
Writes that must appear whole go through `_atomic_files` (a temporary name and a
rename locally; an upload committed on success remotely).
"""

import contextlib
import ctypes
import errno
import io
import os
import posixpath
import shutil
import sys
from typing import IO, Iterator, List, Optional, Tuple, Type

from inception.core import _object_store
from inception.core import _user_paths


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
  """The exceptions a file operation may raise: OSError, the store libraries' own
  once one is loaded, and tf.errors.OpError once TensorFlow is (for tf.data readers)."""
  types = (OSError,) + _object_store.library_errors()
  tensorflow = sys.modules.get('tensorflow')
  if tensorflow is None or not hasattr(tensorflow, 'errors'):
    return types
  return types + (tensorflow.errors.OpError,)


@contextlib.contextmanager
def _naming(path: str) -> Iterator[None]:
  """Re-raises a remote operation's failure as an OSError naming `path`."""
  try:
    yield
  except _object_store.remote_errors() as e:
    raise _object_store.naming_error(e, path) from None


def open_file(path: str, mode: str = 'r', ranged: bool = False) -> IO:
  """Opens `path`: 'r', 'w', 'a' (UTF-8 text) or with 'b'.

  `ranged`: a remote file read in small pieces at scattered offsets (archive members):
  each read is one ranged request for exactly its bytes, with no read-ahead.
  """
  if not _user_paths.is_remote(path):
    if 'b' in mode:
      return open(path, mode)
    return open(path, mode, encoding='utf-8', newline='')
  with _naming(path):
    fs, name = _object_store.filesystem(path)
    options = dict(_object_store.RANGED) if ranged else {}
    binary = fs.open(name, mode.replace('t', '').replace('b', '') + 'b', **options)
  if 'b' in mode:
    return binary
  return io.TextIOWrapper(binary, encoding='utf-8', newline='')


def read_text(path: str) -> str:
  return read_bytes(path).decode('utf-8')


def read_bytes(path: str) -> bytes:
  """The whole file (remote: one GET)."""
  if not _user_paths.is_remote(path):
    with open(path, 'rb') as f:
      return f.read()
  with _naming(path):
    fs, name = _object_store.filesystem(path)
    return fs.cat_file(name, **_object_store.whole_read_options(fs))


def read_range(path: str, offset: int, size: int) -> bytes:
  """`size` bytes at `offset` (fewer at the file's end); remotely one ranged GET of
  exactly them, no HEAD, no read-ahead. Safe to call from several threads at once
  (an async store's requests then overlap on its event loop)."""
  if not _user_paths.is_remote(path):
    fd = os.open(path, os.O_RDONLY | getattr(os, 'O_CLOEXEC', 0))
    try:
      return os.pread(fd, size, offset)
    finally:
      os.close(fd)
  with _naming(path):
    fs, name = _object_store.filesystem(path)
    return fs.cat_file(name, start=offset, end=offset + size)


def size(path: str) -> int:
  """The file's size in bytes."""
  if not _user_paths.is_remote(path):
    return os.path.getsize(path)
  with _naming(path):
    fs, name = _object_store.filesystem(path)
    return int(fs.size(name))


# What a store's listing calls an object's version, in order of preference (S3's
# ETag, GCS's generation, Azure's etag); `created` for memory://.
_VERSION_FIELDS = ('ETag', 'etag', 'generation', 'version_id', 'created', 'mtime')


def object_version(path: str) -> Tuple[int, str]:
  """(size, version) of a file: remotely the store's ETag (or GCS's generation) as
  fsspec's info gives it, locally the modification time in ns. Either changes when
  the file's content is replaced, so a record of it tells a changed file (one HEAD)."""
  if not _user_paths.is_remote(path):
    stat = os.stat(path)
    return stat.st_size, str(stat.st_mtime_ns)
  with _naming(path):
    fs, name = _object_store.filesystem(path)
    fs.invalidate_cache(name)
    info = fs.info(name)
  if info.get('type') == 'directory':
    raise IsADirectoryError(errno.EISDIR, 'a directory, not an object', path)
  version = next((info[field] for field in _VERSION_FIELDS if info.get(field)), '')
  return int(info['size']), ''.join(str(version).split())


def exists(path: str) -> bool:
  if not _user_paths.is_remote(path):
    return os.path.exists(path)
  with _naming(path):
    fs, name = _object_store.filesystem(path)
    return fs.exists(name)


def isdir(path: str) -> bool:
  """Locally a directory; remotely a prefix holding at least one object."""
  if not _user_paths.is_remote(path):
    return os.path.isdir(path)
  with _naming(path):
    fs, name = _object_store.filesystem(path)
    return fs.isdir(name)


def listdir(path: str) -> List[str]:
  """The names in directory `path` (not paths), in no particular order."""
  if not _user_paths.is_remote(path):
    return os.listdir(path)
  with _naming(path):
    fs, name = _object_store.filesystem(path)
    fs.invalidate_cache(name)
    try:
      children = fs.ls(name, detail=False)
    except FileNotFoundError:
      # A prefix holds no object yet: on an object store, an empty directory.
      bucket = _object_store.bucket_of(path)
      if bucket is None or bucket == name.strip('/') or not fs.exists(bucket):
        raise
      return []
    return [posixpath.basename(child.rstrip('/'))
            for child in children if child.rstrip('/') != name.rstrip('/')]


def makedirs(path: str) -> None:
  """Creates `path` and its parents; nothing if it is already a directory (on an
  object store, where prefixes need no creating, nothing but a missing bucket's
  error)."""
  if not _user_paths.is_remote(path):
    os.makedirs(path, exist_ok=True)
    return
  with _naming(path):
    fs, name = _object_store.filesystem(path)
    bucket = _object_store.bucket_of(path)
    if bucket is None:
      fs.makedirs(name, exist_ok=True)
    elif not fs.exists(bucket):
      raise FileNotFoundError(errno.ENOENT, 'no such bucket or container: %s' % bucket,
                              path)


def remove(path: str, missing_ok: bool = False) -> None:
  """Deletes the file `path`; with `missing_ok`, a missing file is not an error."""
  if not _user_paths.is_remote(path):
    try:
      os.remove(path)
    except FileNotFoundError:
      if not missing_ok:
        raise
    return
  with _naming(path):
    fs, name = _object_store.filesystem(path)
    if not fs.exists(name):
      if missing_ok:
        return
      raise FileNotFoundError(errno.ENOENT, 'No such file', path)
    fs.rm_file(name)


def remove_tree(path: str) -> None:
  """Deletes the directory `path` and everything below it; nothing if it is missing."""
  if not _user_paths.is_remote(path):
    try:
      shutil.rmtree(path)
    except FileNotFoundError:
      pass
    return
  with _naming(path):
    fs, name = _object_store.filesystem(path)
    if fs.exists(name):
      fs.rm(name, recursive=True)


def rename(source: str, target: str, overwrite: bool = True) -> None:
  """Renames `source` to `target` (atomically for local paths; remotely a copy, then
  a delete: shards never take this way, see `_atomic_files`).

  An existing `target` is replaced, or with `overwrite=False` is an error
  (FileExistsError) and nothing is renamed.
  """
  if not overwrite and exists(target):
    raise FileExistsError('%s already exists; %s was not renamed' % (target, source))
  if not _user_paths.is_remote(source):
    os.replace(source, target)
    return
  with _naming(source):
    fs, name = _object_store.filesystem(source)
    fs.mv(name, _object_store.filesystem(target)[1])


def walk(top: str) -> Iterator[Tuple[str, List[str], List[str]]]:
  """(directory, subdirectory names, file names) for `top` and below, top first."""
  if not _user_paths.is_remote(top):
    return os.walk(top)
  return _walk_remote(top)


def _walk_remote(top: str) -> Iterator[Tuple[str, List[str], List[str]]]:
  with _naming(top):
    fs, name = _object_store.filesystem(top)
    prefix = name.rstrip('/')
    for directory, subdirectories, files in fs.walk(name):
      yield (top.rstrip('/') + directory.rstrip('/')[len(prefix):],
             sorted(subdirectories), sorted(files))


def join(directory: str, *names: str) -> str:
  """Joins path parts; a remote path always with '/'."""
  if _user_paths.is_remote(directory):
    return '/'.join([directory.rstrip('/')] + list(names))
  return os.path.join(directory, *names)
