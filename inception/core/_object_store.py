"""Remote paths (s3://, gs://, az://, abfs://, memory://, http(s)://...) through fsspec.

fsspec and the store's library (s3fs, gcsfs, adlfs) are imported when the first such
path is used, never for local work, and none of them imports TensorFlow: the
converter's workers stay small for every scheme. Credentials and endpoints come only
from each library's standard places (the AWS chain and AWS_ENDPOINT_URL, Google's ADC
and STORAGE_EMULATOR_HOST, Azure's AZURE_STORAGE_* variables); nothing here reads,
logs or passes one (docs/OBJECT_STORAGE.md).

Writes are published whole: `open_uncommitted` opens the final name with fsspec's
autocommit off, so the data goes up (S3: a multipart upload; GCS: a resumable one)
and appears under the name only at `commit`, while `discard` (or a killed process)
leaves no object there (an object store has no rename; a copy would double the bytes).
"""

import errno
import functools
import logging
import os
import sys
from typing import IO, Any, Optional, Tuple, Type

# gcsfs probes each bucket's type over gRPC first, which an emulator cannot answer
# (each bucket then stalls 60 s); the JSON API alone is what an emulator serves.
_GCS_EMULATOR = 'STORAGE_EMULATOR_HOST'
_GCS_BUCKET_TYPE_PROBE = 'GCSFS_EXPERIMENTAL_ZB_HNS_SUPPORT'

# The libraries whose own exceptions (not OSError) a remote operation may raise, by
# top-level module: credentials missing, an endpoint unreachable, an HTTP error.
_LIBRARY_ERRORS = (
    ('botocore.exceptions', ('BotoCoreError', 'ClientError')),
    ('aiohttp', ('ClientError',)),
    ('gcsfs.retry', ('HttpError',)),
    ('google.auth.exceptions', ('GoogleAuthError',)),
    ('azure.core.exceptions', ('AzureError',)),
)

# Reading a member of an archive in place: exactly the bytes asked for, one ranged GET
# per read, no read-ahead (the seeded shuffle scatters a shard's members over the
# whole archive, so read-ahead would only fetch bytes no one uses).
_BUCKETED_SCHEMES = ('s3', 's3a', 'gs', 'gcs', 'az', 'abfs', 'abfss')

RANGED = {'cache_type': 'none'}

# s3fs reads a whole object with a HEAD first (its size, to cut a large one into
# concurrent ranged GETs); a file read whole here (an image, a manifest) is small,
# and one GET is all it needs: half the requests of reading images from a store.
_ONE_GET = {'max_concurrency': 1}


def whole_read_options(fs: Any) -> dict:
  """`fs.cat_file`'s options that read a whole object in one request."""
  protocols = (fs.protocol,) if isinstance(fs.protocol, str) else fs.protocol
  return dict(_ONE_GET) if 's3' in protocols else {}


def _set_emulator_defaults(environ=os.environ) -> None:
  """GCSFS_EXPERIMENTAL_ZB_HNS_SUPPORT=false when an emulator is named and the user
  has not chosen (before gcsfs is imported: it reads the variable then)."""
  if environ.get(_GCS_EMULATOR) and _GCS_BUCKET_TYPE_PROBE not in environ:
    environ[_GCS_BUCKET_TYPE_PROBE] = 'false'


# Libraries that log every request or credential lookup at INFO (the Azure SDK logs
# each request's headers): WARNING and above only, unless the user set a level.
_CHATTY_LOGGERS = ('azure', 'botocore', 'aiobotocore', 'gcsfs', 's3fs', 'adlfs')


def _quiet_library_logs() -> None:
  for name in _CHATTY_LOGGERS:
    logger = logging.getLogger(name)
    if logger.level == logging.NOTSET:
      logger.setLevel(logging.WARNING)


@functools.lru_cache(maxsize=None)
def _filesystem_for(protocol: str, pid: int) -> Any:  # pylint: disable=unused-argument
  """One file system per scheme and process (`pid`: a forked child, whose copy of the
  parent's event loop thread is gone, makes its own, as fsspec's own cache does)."""
  import fsspec  # pylint: disable=g-import-not-at-top  (remote paths only)
  _set_emulator_defaults()
  _quiet_library_logs()
  return fsspec.filesystem(protocol)


def filesystem(path: str) -> Tuple[Any, str]:
  """(the fsspec file system of `path`'s scheme, `path` as that file system names it).

  One instance per scheme and process, configured only by the environment.
  """
  protocol = path.split('://', 1)[0].lower()
  fs = _filesystem_for(protocol, os.getpid())
  if protocol in ('http', 'https'):
    return fs, path
  return fs, fs._strip_protocol(path)  # pylint: disable=protected-access


def bucket_of(path: str) -> Optional[str]:
  """The bucket (container) of an object-store URL, None for other schemes."""
  protocol, rest = path.split('://', 1)
  if protocol.lower() not in _BUCKETED_SCHEMES:
    return None
  return rest.split('/', 1)[0].split('@', 1)[0]


def library_errors() -> Tuple[Type[BaseException], ...]:
  """The store libraries' own exception types, among those already imported."""
  found = []
  for module_name, names in _LIBRARY_ERRORS:
    module = sys.modules.get(module_name)
    for name in names:
      error = getattr(module, name, None) if module else None
      if isinstance(error, type) and issubclass(error, BaseException):
        found.append(error)
  return tuple(found)


def _errno_of(error: BaseException) -> int:
  text = str(error)
  if isinstance(error, FileNotFoundError) or 'NoSuchBucket' in text:
    return errno.ENOENT
  if isinstance(error, PermissionError) or 'AccessDenied' in text or (
      'credentials' in text.lower()):
    return errno.EACCES
  return getattr(error, 'errno', None) or errno.EIO


def _describe(error: BaseException) -> str:
  """The library's message in one line, with its type when the message is bare."""
  text = ' '.join(str(error).split())
  if isinstance(error, OSError) and error.strerror:
    text = ' '.join(str(error.strerror).split())
    if ' ' not in text and error.errno:  # s3fs gives the key as the message
      text = os.strerror(error.errno)
  name = type(error).__name__
  if not text:
    return name
  code = _service_code(error)
  if code and code.lower() not in text.replace(' ', '').lower():
    text = '%s (%s)' % (text, code)  # e.g. SlowDown, still throttled after retries
  return text if isinstance(error, OSError) else '%s: %s' % (name, text)


def _service_code(error: BaseException) -> str:
  """The store's error code (S3's `SlowDown`, `AccessDenied`...) of `error` or of the
  library error it was translated from, if any."""
  for candidate in (error, error.__cause__):
    response = getattr(candidate, 'response', None)
    if isinstance(response, dict):
      return str(response.get('Error', {}).get('Code') or '')
  return ''


def naming_error(error: BaseException, path: str) -> OSError:
  """`error` of a remote operation as an OSError naming `path` (the URL the user
  gave), for the binaries' one-line message; the library's text says what is wrong."""
  if isinstance(error, OSError) and error.filename is not None and (
      '://' in str(error.filename)):
    return error
  if 'NoSuchBucket' in str(error) or 'bucket does not exist' in str(error).lower():
    return OSError(errno.ENOENT, 'no such bucket (%s)' % _describe(error), path)
  return OSError(_errno_of(error), _describe(error), path)


def remote_errors() -> Tuple[Type[BaseException], ...]:
  """What a remote operation may raise, to be turned by `naming_error`."""
  return (OSError,) + library_errors()


def open_uncommitted(path: str, mode: str = 'wb') -> IO[bytes]:
  """A binary file for writing `path` that publishes nothing until `commit(file)`."""
  fs, name = filesystem(path)
  if fs.protocol == 'memory' or 'memory' in fs.protocol:
    # memory:// publishes a file at open whatever autocommit says: a file of its own
    # published at commit behaves as a store's upload does.
    from fsspec.implementations import memory  # pylint: disable=g-import-not-at-top
    return memory.MemoryFile(fs, name)
  return fs.open(name, mode, autocommit=False)


def commit(f: Any) -> None:
  """Finishes the upload of a file from `open_uncommitted`: `path` appears, whole."""
  try:
    f.close()
    f.commit()
  finally:
    _forget(f)


def discard(f: Any) -> None:
  """Cancels the upload of a file from `open_uncommitted`: nothing appears."""
  try:
    f.discard()
  finally:
    _forget(f)
    if not f.closed:
      try:
        f.closed = True
      except AttributeError:  # a BytesIO (memory://): closing it would lose nothing
        pass


def _forget(f: Any) -> None:
  """Drops `f` from the list fsspec keeps of files opened with autocommit off (it
  expects a transaction to end; here each file is committed or discarded alone)."""
  files = getattr(getattr(f.fs, '_transaction', None), 'files', None)
  if files is not None:
    try:
      files.remove(f)
    except ValueError:
      pass
