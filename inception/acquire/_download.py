"""Fetches the ILSVRC2012 tarballs into a directory: resumable, verified, safe.

Sources (docs/FORMAT.md, "Pipeline", step 2): a base URL (http or https; files are `<base>/<name>`, sent
with HTTP basic auth when credentials are given) or a local directory of tarballs,
copied or symlinked. Every file is verified by size (when known) and MD5 (docs/FORMAT.md, "Data facts", or
a checksums file for mirrors and fixtures) in the stream that copies or downloads it,
before it gets its final name. A file named in `verify_on_first_read` that is
symlinked or found in place is not hashed here: it gets a pending record, and the
first extraction or index that reads it whole checks it (_verification), so that each
tarball is read once. An image tarball downloaded with fetch_all's
`stream_extract_into` is extracted while it downloads, from the .partial file as it
grows (_streaming): one pass over the bytes, the download's MD5 deciding.

Files in the download directory:
  <name>                    complete and verified; never fetched again.
  <name>.partial            an interrupted download or copy; the next run continues it
                            (HTTP Range request) instead of starting over.
  <name>.md5-verified       stamp '<md5> <size> <mtime_ns>' written when <name> passed
                            verification. While <name> keeps that size and mtime, a
                            re-run trusts the stamp instead of re-reading 140 GB.
  <name>.md5-pending        '<md5> <expected size> <size> <mtime_ns>': linked or found
                            in place, to be verified by its first full read.
  <name>.bad-md5-<md5>      a file that failed verification, moved aside (never used).
  <name>.corrupt-<md5>      a verified file that extraction or indexing found truncated
                            or unreadable (a source whose checksum was made from a bad
                            copy), moved aside so that the next run fetches it again.

Credentials: a `Credentials` object never shows its access key in repr/str; the key is
only ever put in the Authorization header. No message, log line or file written here
contains it. The server's answer to the first request of a file is checked before any
body is read: 401/403 raises `CredentialsRefused` at once.
"""

import hashlib
import netrc
import os
import re
import time
import urllib.parse
from typing import (Callable, Collection, Dict, List, Mapping, NamedTuple, Optional,
                    Sequence, Tuple)

from absl import logging
import urllib3

from inception import core
from inception.acquire import _extract
from inception.acquire import _streaming
from inception.acquire import _verification

# Verification lives in _verification (extraction and the index verify too).
BAD_MD5_INFIX = _verification.BAD_MD5_INFIX
PENDING_SUFFIX = _verification.PENDING_SUFFIX
STAMP_SUFFIX = _verification.STAMP_SUFFIX
ChecksumMismatch = _verification.ChecksumMismatch
DownloadError = _verification.DownloadError
Expected = _verification.Expected
_move_aside = _verification.move_aside
_remove_if_exists = _verification.remove_if_exists
_stamp_matches = _verification.stamp_matches
_stamp_path = _verification.stamp_path
_write_stamp = _verification.write_stamp

DEFAULT_BASE_URL = 'https://image-net.org/data/ILSVRC/2012/'
USERNAME_ENV = 'IMAGENET_USERNAME'
ACCESS_KEY_ENV = 'IMAGENET_ACCESS_KEY'

TRAIN_TAR = 'ILSVRC2012_img_train.tar'
VALIDATION_TAR = 'ILSVRC2012_img_val.tar'
BBOX_TRAIN_TAR_GZ = 'ILSVRC2012_bbox_train_v2.tar.gz'
BBOX_VALIDATION_TGZ = 'ILSVRC2012_bbox_val_v3.tgz'
DEVKIT_TAR_GZ = 'ILSVRC2012_devkit_t12.tar.gz'
# The unlabelled test images (flat, as the validation tar): image-net.org's name since
# 2019, and the name TFDS's imagenet2012 reads. No MD5 of it is published (TFDS 4.9.10's
# imagenet2012/checksums.tsv lists only the train and validation tars), so a checksums
# file must give one.
TEST_TAR = 'ILSVRC2012_img_test_v10102019.tar'
TFDS_TEST_TAR = 'ILSVRC2012_img_test.tar'
# A file's other names, which a source directory or a checksums file may use instead.
OTHER_NAMES = {TEST_TAR: (TFDS_TEST_TAR,)}

LINK_MODES = ('copy', 'symlink')
PARTIAL_SUFFIX = '.partial'
CORRUPT_INFIX = '.corrupt-'

_CHUNK_SIZE = 1 << 20
# Hashing shorter files logs no final progress line.
_LOG_HASHING_ABOVE = 64 << 20
_RETRY_STATUSES = (500, 502, 503, 504)
_MD5_PATTERN = re.compile(r'^[0-9a-f]{32}$')
_CHECKSUM_LINE = re.compile(r'^([0-9a-fA-F]{32}) [ *](.+)$')
_CONTENT_RANGE = re.compile(r'^bytes\s+(?:(\d+)-(\d+)|\*)/(\d+|\*)$')


class KnownFile(NamedTuple):
  """What a published ILSVRC2012 file must be: byte size (None if unpublished), MD5."""
  name: str
  size: Optional[int]
  md5: str


KNOWN_FILES: Dict[str, KnownFile] = {
    known.name: known for known in (
        KnownFile(TRAIN_TAR, 147897477120, '1d675b47d978889d74fa0da5fadfb00e'),
        KnownFile(VALIDATION_TAR, 6744924160, '29b22e2961454d5413ddabcf34fc5622'),
        KnownFile(BBOX_TRAIN_TAR_GZ, None, '9271167e2176350e65cfe4e546f14b17'),
        KnownFile(BBOX_VALIDATION_TGZ, None, 'f4cd18b5ea29fe6bbea62ec9c20d80f0'),
        KnownFile(DEVKIT_TAR_GZ, None, 'fa75699e90414af021442c21a62c3abf'),
    )
}
# Smallest first, so that a refused login or a missing file shows up within seconds.
DEFAULT_FILES = (BBOX_TRAIN_TAR_GZ, VALIDATION_TAR, TRAIN_TAR)
OPTIONAL_FILES = (BBOX_VALIDATION_TGZ, DEVKIT_TAR_GZ)
# The image tarballs: extraction or the --no_extract index reads each whole, so either
# can verify it (fetch_all's verify_on_first_read). The box tarballs are small, and
# with --no_extract read by annotations, so they are hashed when fetched.
IMAGE_TARS = (TRAIN_TAR, VALIDATION_TAR, TEST_TAR)
# How fetch_all's stream_extract_into extracts each image tarball as it downloads.
_STREAM_EXTRACTORS = {TRAIN_TAR: _extract.extract_train,
                      VALIDATION_TAR: _extract.extract_validation,
                      TEST_TAR: _extract.extract_test}


class CredentialsRefused(DownloadError):
  """The server answered 401 or 403."""


class Credentials(object):
  """An ImageNet username and access key; repr and str never show the key."""

  __slots__ = ('username', '_access_key')

  def __init__(self, username: str, access_key: str):
    self.username = username
    self._access_key = access_key

  @property
  def access_key(self) -> str:
    return self._access_key

  def authorization_headers(self) -> Dict[str, str]:
    """The HTTP basic auth header carrying these credentials."""
    return urllib3.util.make_headers(
        basic_auth='%s:%s' % (self.username, self._access_key))

  def __eq__(self, other) -> bool:
    return (isinstance(other, Credentials) and self.username == other.username and
            self._access_key == other._access_key)

  def __repr__(self) -> str:
    return 'Credentials(username=%r, access_key=<hidden>)' % self.username

  __str__ = __repr__

  def __reduce__(self):
    raise TypeError('Credentials are not picklable, so they never reach a file')


class FileResult(NamedTuple):
  """What fetching one file did. `action` is one of: downloaded, resumed, copied,
  symlinked, verified (was there, hashed now), already verified (stamp trusted)."""
  name: str
  path: str
  action: str
  bytes_transferred: int
  seconds: float


class FetchSummary(NamedTuple):
  """The results of `fetch_all`, one per file in the order fetched."""
  files: List[FileResult]

  @property
  def paths(self) -> Dict[str, str]:
    return {result.name: result.path for result in self.files}

  @property
  def bytes_transferred(self) -> int:
    return sum(result.bytes_transferred for result in self.files)


def files_to_fetch(with_bbox_val: bool = False, with_devkit: bool = False,
                   with_test: bool = False) -> List[str]:
  """The default files, plus the optional ones asked for."""
  names = list(DEFAULT_FILES)
  if with_bbox_val:
    names.append(BBOX_VALIDATION_TGZ)
  if with_devkit:
    names.append(DEVKIT_TAR_GZ)
  if with_test:
    names.append(TEST_TAR)
  return names


def file_names(name: str) -> Tuple[str, ...]:
  """A file's name, then its other names (OTHER_NAMES)."""
  return (name,) + OTHER_NAMES.get(name, ())


def is_url(source: str) -> bool:
  """True for http(s) URLs; anything else is taken as a local directory."""
  return urllib.parse.urlsplit(source).scheme.lower() in ('http', 'https')


def parse_checksums_file(text: str, path: str = '<checksums>') -> Dict[str, str]:
  """Parses md5sum output (`<md5>  <name>` or `<md5> *<name>`) into {basename: md5}.

  Blank lines and `#` comments are skipped; any other malformed line is an error
  naming `path` and the line number.
  """
  checksums = {}
  for number, line in enumerate(text.splitlines(), 1):
    stripped = line.strip()
    if not stripped or stripped.startswith('#'):
      continue
    match = _CHECKSUM_LINE.match(stripped)
    if not match:
      raise ValueError('%s:%d: not an md5sum line ("<32 hex digits>  <name>"): %r' %
                       (path, number, line[:200]))
    checksums[os.path.basename(match.group(2))] = match.group(1).lower()
  return checksums


def read_checksums_file(path: str) -> Dict[str, str]:
  """The {basename: md5} of an md5sum-format file (see parse_checksums_file)."""
  return parse_checksums_file(core.read_text(path), path)


def expected_checksums(names: Sequence[str],
                       overrides: Optional[Mapping[str, str]] = None
                      ) -> Dict[str, Expected]:
  """Size and MD5 to check for each name: docs/FORMAT.md's "Data facts", or an override (MD5 only).

  An override means other content (a mirror's repack, the mini fixture), so the
  published size no longer applies. An override may use one of the file's other names.
  """
  overrides = overrides or {}
  expected = {}
  for name in names:
    given = [other for other in file_names(name) if other in overrides]
    if given:
      md5 = overrides[given[0]].lower()
      if not _MD5_PATTERN.match(md5):
        raise ValueError('%s: checksum %r is not an MD5 (32 hex digits)' % (name, md5))
      expected[name] = Expected(None, md5)
    elif name in KNOWN_FILES:
      expected[name] = Expected(KNOWN_FILES[name].size, KNOWN_FILES[name].md5)
    else:
      raise ValueError('%s: no checksum known (none is published); give its MD5 in a '
                       'checksums file (--checksums_file, md5sum format: "<md5>  %s")' %
                       (name, name))
  return expected


def resolve_credentials(environ: Mapping[str, str], netrc_path: Optional[str],
                        prompt: bool, input_fn: Callable[[str], str] = input,
                        getpass_fn: Optional[Callable[[str], str]] = None,
                        host: str = 'image-net.org') -> Optional[Credentials]:
  """Finds credentials: environment, then ~/.netrc, then (if `prompt`) asks once.

  Args:
    environ: where IMAGENET_USERNAME / IMAGENET_ACCESS_KEY are looked up.
    netrc_path: a netrc file to search for `host` (None or missing: skipped).
    prompt: whether asking on the terminal is allowed.
    input_fn: reads the username.
    getpass_fn: reads the access key without echo (default getpass.getpass).
    host: the machine name looked up in the netrc file.

  Returns:
    Credentials, or None when none are configured and the user gave no username
    (a mirror may need none).

  Raises:
    DownloadError: only a username is set and asking is not allowed, or the netrc
      file cannot be parsed (the message never quotes its content).
  """
  username = environ.get(USERNAME_ENV, '').strip()
  access_key = environ.get(ACCESS_KEY_ENV, '')
  if username and access_key:
    return Credentials(username, access_key)
  if netrc_path and os.path.isfile(netrc_path):
    try:
      entry = netrc.netrc(netrc_path).authenticators(host)
    except netrc.NetrcParseError as e:
      raise DownloadError('%s: cannot parse line %s' % (netrc_path, e.lineno)) from None
    if entry and entry[2] and (not username or entry[0] == username):
      return Credentials(entry[0] or username, entry[2])
  if not prompt:
    if username:
      raise DownloadError('%s is set but %s is not, and there is no terminal to ask '
                          'for it' % (USERNAME_ENV, ACCESS_KEY_ENV))
    return None
  if not username:
    username = input_fn('ImageNet username (empty if the source needs none): ').strip()
    if not username:
      return None
  if getpass_fn is None:
    import getpass  # pylint: disable=g-import-not-at-top
    getpass_fn = getpass.getpass
  return Credentials(username, getpass_fn('ImageNet access key for %s: ' % username))


def make_pool(retries: int = 5, backoff_seconds: float = 1.0,
              connect_timeout: float = 30.0,
              read_timeout: float = 120.0) -> urllib3.PoolManager:
  """An HTTP pool that retries connection errors and 5xx answers with backoff."""
  retry = urllib3.Retry(
      total=retries, connect=retries, read=retries, status=retries, other=retries,
      backoff_factor=backoff_seconds, status_forcelist=_RETRY_STATUSES,
      allowed_methods=frozenset(['GET']), raise_on_status=False,
      respect_retry_after_header=True)
  return urllib3.PoolManager(
      retries=retry, timeout=urllib3.Timeout(connect=connect_timeout,
                                             read=read_timeout),
      headers={'User-Agent': 'inception-imagenet-download/1.0',
               'Accept-Encoding': 'identity'})


# Verification.


def _hash_file(path: str, size: Optional[int] = None, description: str = '',
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
      chunk = f.read(_CHUNK_SIZE if size is None else min(_CHUNK_SIZE, size - done))
      if not chunk:
        break
      hasher.update(chunk)
      done += len(chunk)
      tracker.update(len(chunk), len(chunk))
  if total > _LOG_HASHING_ABOVE:
    tracker.finish()
  return hasher, done


def _check(name: str, expected: Expected, size: int, md5: str, path: str,
           final_path: str, move: bool = True) -> None:
  """Raises ChecksumMismatch (moving `path` aside if `move`) unless size and MD5 fit."""
  if expected.size is not None and size != expected.size:
    aside = _move_aside(path, md5, final_path) if move else None
    raise ChecksumMismatch(name, 'size', '%d bytes' % expected.size,
                           '%d bytes' % size, aside)
  if md5 != expected.md5:
    aside = _move_aside(path, md5, final_path) if move else None
    raise ChecksumMismatch(name, 'MD5', expected.md5, md5, aside)


def move_aside_corrupt(path: str) -> str:
  """Renames a fetched file found truncated or unreadable to `<name>.corrupt-<md5>`.

  Nothing is deleted (a symlink is moved, not its target); with the file gone from
  its name, the next fetch gets it again. Returns the new name.
  """
  try:
    with open(_stamp_path(path)) as f:
      md5 = f.read().split(' ')[0]
  except OSError:
    md5 = ''
  if not _stamp_matches(path, md5):
    md5 = _hash_file(path)[0].hexdigest()
  _remove_if_exists(_stamp_path(path))
  _remove_if_exists(_verification.pending_path(path))
  return _move_aside(path, md5, path, CORRUPT_INFIX)


def set_aside_corrupt(error: _extract.CorruptArchiveError,
                      data_dir: str) -> Optional[str]:
  """Moves an archive of the download directory `data_dir` that extraction or indexing
  found corrupt aside (move_aside_corrupt); returns the message saying so and what to
  do, or None for an archive elsewhere (the user's, left alone)."""
  path = error.archive_path
  if (os.path.dirname(os.path.abspath(path)) != os.path.abspath(data_dir) or
      not os.path.lexists(path)):
    return None
  aside = move_aside_corrupt(path)
  return ('%s; moved aside to %s. Run the same command again to fetch it again (if '
          'the source copy is bad too, replace it and its line in the checksums file '
          'first)' % (error, aside))


def is_verified(path: str, expected: Expected) -> bool:
  """True if `path` exists and its stamp says it matched `expected` (no hashing)."""
  return os.path.exists(path) and _stamp_matches(path, expected.md5)


def is_fetched(path: str, expected: Expected) -> bool:
  """True if `path` is verified, or awaits its first read to be verified against
  `expected` and has not changed since (no hashing)."""
  return is_verified(path, expected) or (
      os.path.exists(path) and _verification.is_pending(path, expected))


def _defer_verification(name: str, path: str, expected: Expected) -> str:
  """Leaves `path`'s MD5 to its first full read (a pending record); the action."""
  _verification.write_pending(path, expected)
  logging.info('%s: not hashed now; the first extraction or index that reads it '
               'checks its MD5', name)
  return 'MD5 checked when first read'


def _size_fits(path: str, expected: Expected) -> bool:
  return expected.size is None or os.path.getsize(path) == expected.size


def _verify_existing(name: str, path: str, expected: Expected, interval: float,
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
  if _stamp_matches(path, expected.md5):
    return 'already verified'
  if defer and _verification.is_pending(path, expected):
    return 'already there, MD5 checked when first read'
  if defer and _size_fits(path, expected):
    return _defer_verification(name, path, expected)
  hasher, size = _hash_file(path, interval=interval)
  md5 = hasher.hexdigest()
  try:
    _check(name, expected, size, md5, path, path)
  except ChecksumMismatch as e:
    logging.warning('%s; fetching it again', e)
    _remove_if_exists(_stamp_path(path))
    _remove_if_exists(_verification.pending_path(path))
    return None
  _write_stamp(path, expected.md5)
  return 'verified'



def _adopt_short_file(name: str, path: str, partial: str, expected: Expected) -> None:
  """Continues a file shorter than the published size (e.g. an interrupted wget).

  Only for a regular file with no stamp and no partial download: it becomes the
  partial download, so its bytes are not fetched again (the MD5 still decides).
  """
  if (expected.size is not None and os.path.isfile(path) and
      not os.path.islink(path) and not os.path.exists(partial) and
      not _stamp_matches(path, expected.md5) and
      os.path.getsize(path) < expected.size):
    logging.info('%s: %s is shorter than %d bytes; continuing it', name, path,
                 expected.size)
    os.replace(path, partial)


# HTTP.


def _parse_content_range(value: Optional[str]) -> Tuple[Optional[int], Optional[int]]:
  """(first byte, total size) from a Content-Range header; None where unknown."""
  match = _CONTENT_RANGE.match((value or '').strip())
  if not match:
    return None, None
  first = int(match.group(1)) if match.group(1) is not None else None
  total = int(match.group(3)) if match.group(3) != '*' else None
  return first, total


def _truncate(path: str) -> None:
  with open(path, 'wb'):
    pass


class _Transfer(object):
  """The state of one download into `<name>.partial`: bytes on disk and their MD5.

  A `listener` (_streaming.Feed: an extraction reading the file as it grows) is told
  of every byte flushed to disk and of every start over from byte 0.
  """

  def __init__(self, name: str, partial: str, expected: Expected, interval: float,
               listener: Optional[_streaming.Feed] = None):
    self.listener = listener
    self.name = name
    self.partial = partial
    self.expected = expected
    self.interval = interval
    self.hasher = hashlib.md5()
    self.hashed = 0
    self.transferred = 0
    self.resumed = False
    self.complete = False

  def offset(self) -> int:
    """Bytes already on disk; drops a partial file longer than the expected size."""
    size = os.path.getsize(self.partial) if os.path.exists(self.partial) else 0
    if self.expected.size is not None and size > self.expected.size:
      logging.warning('%s: %s is longer than the file; starting over', self.name,
                      self.partial)
      self.restart()
      return 0
    if size != self.hashed:
      # Bytes from an earlier run: hash them once, so the end needs no second pass.
      self.hasher, self.hashed = (
          _hash_file(self.partial, size, 'hash partial %s' % self.name, self.interval)
          if size else (hashlib.md5(), 0))
    if self.listener is not None:
      self.listener.on_disk(size)
    return size

  def restart(self) -> None:
    if self.listener is not None:
      self.listener.restarting()  # Before the bytes it may be reading go.
    _truncate(self.partial)
    self.hasher, self.hashed = hashlib.md5(), 0

  def write(self, f, chunk: bytes) -> None:
    f.write(chunk)
    self.hasher.update(chunk)
    self.hashed += len(chunk)
    self.transferred += len(chunk)
    if self.listener is not None:
      f.flush()
      self.listener.on_disk(self.hashed)


def _request(pool: urllib3.PoolManager, url: str, name: str,
             headers: Dict[str, str]) -> urllib3.BaseHTTPResponse:
  try:
    return pool.request('GET', url, headers=headers, preload_content=False,
                        decode_content=False)
  except urllib3.exceptions.HTTPError as e:
    raise DownloadError('%s: cannot download %s: %s' % (name, url, e)) from None


def _check_status(response: urllib3.BaseHTTPResponse, url: str, name: str,
                  has_credentials: bool) -> None:
  """Turns a refused, missing or failed answer into an error, before any body."""
  status = response.status
  if status in (401, 403):
    if has_credentials:
      raise CredentialsRefused(
          '%s: the server refused the ImageNet credentials (HTTP %d) for %s; check '
          'the username and access key' % (name, status, url))
    raise CredentialsRefused(
        '%s: the server requires credentials (HTTP %d) for %s; set %s and %s, add '
        'the host to ~/.netrc, or run from a terminal to be asked' %
        (name, status, url, USERNAME_ENV, ACCESS_KEY_ENV))
  if status == 404:
    raise DownloadError('%s: not found at %s (HTTP 404)' % (name, url))
  if status not in (200, 206, 416):
    raise DownloadError('%s: HTTP %d %s from %s' %
                        (name, status, response.reason or '', url))


def _download_attempt(pool: urllib3.PoolManager, url: str, transfer: _Transfer,
                      auth_headers: Dict[str, str], chunk_size: int) -> None:
  """One GET from the current offset to the end (or an exception).

  Raises urllib3 errors for a broken transfer (the caller retries), DownloadError for
  answers that retrying cannot fix.
  """
  name, expected = transfer.name, transfer.expected
  offset = transfer.offset()
  if offset and expected.size is not None and offset == expected.size:
    transfer.complete = True
    return
  headers = dict(auth_headers)
  if offset:
    headers['Range'] = 'bytes=%d-' % offset
  response = _request(pool, url, name, headers)
  try:
    _check_status(response, url, name, bool(auth_headers))
    if response.status == 416:
      _, total = _parse_content_range(response.headers.get('Content-Range'))
      if offset and total == offset:
        transfer.complete = transfer.resumed = True  # The partial file holds it all.
        return
      logging.warning('%s: the server cannot resume at byte %d (HTTP 416); starting '
                      'over', name, offset)
      transfer.restart()
      raise urllib3.exceptions.ProtocolError('range not satisfiable')
    if response.status == 206:
      first, total = _parse_content_range(response.headers.get('Content-Range'))
      if first != offset:
        logging.warning('%s: asked for byte %d on, the server sent %s; starting over',
                        name, offset, response.headers.get('Content-Range'))
        transfer.restart()
        raise urllib3.exceptions.ProtocolError('unexpected Content-Range')
      mode = 'ab'
      transfer.resumed = True
    else:  # 200: the whole file.
      length = response.headers.get('Content-Length')
      total = int(length) if length and length.isdigit() else None
    if expected.size is not None and total is not None and total != expected.size:
      raise DownloadError(
          '%s: %s offers %d bytes, expected %d (a different file, or a login page?)' %
          (name, url, total, expected.size))
    if response.status == 200:
      if offset:
        logging.warning('%s: the server ignored the Range request; restarting the file '
                        'from byte 0', name)
      transfer.restart()
      offset, mode = 0, 'wb'
    tracker = core.Progress(
        'download %s%s' % (name, ' (from byte %d)' % offset if offset else ''),
        total=(total - offset) if total is not None else None, unit='bytes',
        interval=transfer.interval)
    with core.naming_write_errors(transfer.partial), open(transfer.partial, mode) as f:
      while True:
        chunk = response.read1(chunk_size, decode_content=False)
        if not chunk:
          break
        transfer.write(f, chunk)
        tracker.update(len(chunk), len(chunk))
    tracker.finish()
    if total is not None and transfer.hashed != total:
      raise urllib3.exceptions.ProtocolError(
          'connection closed after %d of %d bytes' % (transfer.hashed, total))
    transfer.complete = True
  finally:
    response.close()


def fetch_url(url: str, path: str, expected: Expected, *,
              pool: Optional[urllib3.PoolManager] = None,
              credentials: Optional[Credentials] = None,
              chunk_size: int = _CHUNK_SIZE, max_attempts: int = 5,
              backoff_seconds: float = 1.0,
              progress_interval: float = 10.0,
              defer_verification: bool = False,
              listener: Optional[_streaming.Feed] = None) -> FileResult:
  """Downloads `url` to `path` via `path.partial`, resuming, and verifies it.

  A complete verified file is not fetched again; with `defer_verification`, neither
  is a file found in place with the right size (its first read verifies it). A broken transfer is retried from
  where it stopped (HTTP Range) up to `max_attempts` times in a row without progress,
  with exponential backoff; a server that ignores Range restarts the file cleanly.
  A `listener` follows the partial file as it grows (_streaming); it also does the
  waiting between attempts, so that it can stop the download.

  Raises:
    CredentialsRefused: HTTP 401/403 (raised on the first answer, before any body).
    ChecksumMismatch: the downloaded file is wrong; it was moved aside.
    DownloadError: 404, other HTTP errors, or retries exhausted (the partial file is
      kept for the next run).
  """
  name = os.path.basename(path)
  start = time.monotonic()
  partial = path + PARTIAL_SUFFIX
  _adopt_short_file(name, path, partial, expected)
  action = _verify_existing(name, path, expected, progress_interval,
                            defer_verification)
  if action:
    return FileResult(name, path, action, 0, time.monotonic() - start)
  pool = pool or make_pool(backoff_seconds=backoff_seconds)
  transfer = _Transfer(name, partial, expected, progress_interval, listener)
  sleep = listener.sleep if listener is not None else time.sleep
  auth_headers = credentials.authorization_headers() if credentials else {}
  failures = 0
  while not transfer.complete:
    before = transfer.transferred
    try:
      _download_attempt(pool, url, transfer, auth_headers, chunk_size)
    except (urllib3.exceptions.HTTPError, ConnectionError) as e:
      failures = 1 if transfer.transferred > before else failures + 1
      if failures >= max_attempts:
        raise DownloadError(
            '%s: the transfer from %s broke %d times in a row (last: %s); the %d bytes '
            'received are kept in %s and the next run resumes from there' %
            (name, url, failures, e, transfer.hashed, partial)) from None
      delay = min(backoff_seconds * 2 ** (failures - 1), 120.0)
      logging.warning('%s: transfer broke at byte %d (%s); retrying in %.1f s', name,
                      transfer.hashed, e, delay)
      sleep(delay)
  md5 = transfer.hasher.hexdigest()
  _check(name, expected, transfer.hashed, md5, partial, path)
  os.replace(partial, path)
  _write_stamp(path, expected.md5)
  return FileResult(name, path, 'resumed' if transfer.resumed else 'downloaded',
                    transfer.transferred, time.monotonic() - start)


def fetch_url_extracting(url: str, path: str, expected: Expected, raw_dir: str,
                         extractor: Callable[..., object], *,
                         progress_interval: float = 10.0,
                         **fetch_options) -> Tuple[FileResult, object]:
  """Downloads `url` to `path` as fetch_url does, and extracts it into `raw_dir` as it
  downloads (_streaming): `extractor` (_extract.extract_train, extract_validation,
  extract_test) reads the bytes from `path.partial` as they land.

  The download's MD5 decides: a wrong one moves the file aside, removes what was
  extracted and raises ChecksumMismatch; a failed download raises its error, keeps
  the partial file for the next run and removes what this run extracted. On success
  the tarball is stamped verified and the extraction stamped done, so an extraction
  of `path` afterwards finds it done without reading it.

  Returns:
    (the FileResult, what `extractor` returned).
  """
  name = os.path.basename(path)

  def download(feed: _streaming.Feed) -> FileResult:
    return fetch_url(url, path, expected, progress_interval=progress_interval,
                     listener=feed, **fetch_options)

  def extract(stream: _streaming.Stream):
    return extractor(path, raw_dir, progress_interval, stream=stream)

  result, extracted = _streaming.extract_while_downloading(
      download, path + PARTIAL_SUFFIX, name, expected.size, extract,
      check_after=(_extract.ExtractionError,))
  return result._replace(action=result.action + ', extracted as it came'), extracted


# Local sources.


def _copy_with_resume(source: str, partial: str, name: str,
                      interval: float) -> Tuple[str, int, int]:
  """Copies `source` into `partial`, continuing a shorter partial copy.

  Returns (md5, size, bytes copied now).
  """
  source_size = os.path.getsize(source)
  offset = os.path.getsize(partial) if os.path.exists(partial) else 0
  if offset > source_size:
    _truncate(partial)
    offset = 0
  hasher = hashlib.md5()
  if offset:
    hasher, offset = _hash_file(partial, offset, 'hash partial %s' % name, interval)
  tracker = core.Progress('copy %s' % name, total=source_size - offset,
                              unit='bytes', interval=interval)
  copied = 0
  with open(source, 'rb') as src, open(partial, 'ab' if offset else 'wb') as dst:
    src.seek(offset)
    for chunk in iter(lambda: src.read(_CHUNK_SIZE), b''):
      with core.naming_write_errors(partial):
        dst.write(chunk)
      hasher.update(chunk)
      copied += len(chunk)
      tracker.update(len(chunk), len(chunk))
  tracker.finish()
  return hasher.hexdigest(), offset + copied, copied


def fetch_local(source_path: str, path: str, expected: Expected,
                link_mode: str = 'copy', progress_interval: float = 10.0,
                defer_verification: bool = False) -> FileResult:
  """Copies or symlinks a local tarball to `path`, verified.

  A source file that fails verification is never moved (it is the user's); the
  error names it and nothing is linked. A bad copy is moved aside. With
  `defer_verification`, a symlink (or a file found in place) of the right size is
  not hashed: its first read verifies it, and a mismatch then moves the link aside.
  """
  if link_mode not in LINK_MODES:
    raise ValueError('link_mode must be one of %s, got %r' % (LINK_MODES, link_mode))
  name = os.path.basename(path)
  start = time.monotonic()
  action = _verify_existing(name, path, expected, progress_interval,
                            defer_verification)
  if action:
    return FileResult(name, path, action, 0, time.monotonic() - start)
  if not os.path.isfile(source_path):
    raise DownloadError('%s: not found in the source directory (%s)' %
                        (name, source_path))
  if link_mode == 'symlink' and defer_verification and _size_fits(source_path,
                                                                 expected):
    os.symlink(os.path.abspath(source_path), path)
    action = 'symlinked, ' + _defer_verification(name, path, expected)
    return FileResult(name, path, action, 0, time.monotonic() - start)
  if link_mode == 'symlink':
    hasher, size = _hash_file(source_path, interval=progress_interval)
    md5 = hasher.hexdigest()
    _check(source_path, expected, size, md5, source_path, source_path, move=False)
    os.symlink(os.path.abspath(source_path), path)
    _write_stamp(path, expected.md5)
    return FileResult(name, path, 'symlinked', 0, time.monotonic() - start)
  partial = path + PARTIAL_SUFFIX
  md5, size, copied = _copy_with_resume(source_path, partial, name, progress_interval)
  _check(name, expected, size, md5, partial, path)
  os.replace(partial, path)
  _write_stamp(path, expected.md5)
  return FileResult(name, path, 'copied', copied, time.monotonic() - start)


# Everything.


def files_needing_fetch(data_dir: str, names: Sequence[str],
                        checksums: Optional[Mapping[str, str]] = None) -> List[str]:
  """The names without a trusted verified copy in `data_dir`, nor one awaiting its
  first read to be verified (no hashing)."""
  expected = expected_checksums(names, checksums)
  return [name for name in names
          if not is_fetched(os.path.join(data_dir, name), expected[name])]


def _format_bytes(count: int) -> str:
  for unit, scale in (('GB', 1e9), ('MB', 1e6), ('KB', 1e3)):
    if count >= scale:
      return '%.1f %s' % (count / scale, unit)
  return '%d bytes' % count


def log_summary(summary: FetchSummary) -> None:
  """One line per file, and the total transferred."""
  for result in summary.files:
    rate = (' (%s/s)' % _format_bytes(int(result.bytes_transferred / result.seconds))
            if result.bytes_transferred and result.seconds > 0 else '')
    logging.info('%s: %s, %s in %s%s', result.name, result.action,
                 _format_bytes(result.bytes_transferred),
                 core.format_duration(result.seconds), rate)
  logging.info('Fetched %d files, %s transferred.', len(summary.files),
               _format_bytes(summary.bytes_transferred))


def local_source(directory: str, name: str) -> str:
  """The file of a source directory holding `name`: the first of its names present
  (file_names), else the path under `name` itself (which then names it as missing)."""
  paths = [os.path.join(directory, other) for other in file_names(name)]
  return next((path for path in paths if os.path.isfile(path)), paths[0])


def fetch_all(data_dir: str, source: str, files: Sequence[str],
              credentials: Optional[Credentials] = None,
              checksums: Optional[Mapping[str, str]] = None,
              link_mode: str = 'copy', *,
              pool: Optional[urllib3.PoolManager] = None,
              chunk_size: int = _CHUNK_SIZE, max_attempts: int = 5,
              backoff_seconds: float = 1.0,
              progress_interval: float = 10.0,
              verify_on_first_read: Collection[str] = (),
              stream_extract_into: Optional[str] = None) -> FetchSummary:
  """Fetches `files` from `source` into `data_dir`, verified, and logs a summary.

  Args:
    data_dir: local directory the tarballs go to (created if missing).
    source: an http(s) base URL, or a local directory holding the tarballs (under
      any of their names: local_source).
    files: basenames to fetch, e.g. `files_to_fetch()`.
    credentials: sent as HTTP basic auth to a URL source.
    checksums: {name: md5} adding to or overriding the "Data facts" (see expected_checksums).
    link_mode: for a directory source, 'copy' or 'symlink'.
    verify_on_first_read: names (e.g. IMAGE_TARS) whose MD5, when the file is
      symlinked or found in place, is checked by the first extraction or index that
      reads it whole rather than by a read of its own here.
    stream_extract_into: a raw-data directory: from a URL source, each image tarball
      (IMAGE_TARS) that is not in `data_dir` yet is extracted into it as it
      downloads (fetch_url_extracting), so that a later extract_all finds it done.
      Nothing changes for a directory source (a copy or link is read once anyway).
    pool, chunk_size, max_attempts, backoff_seconds, progress_interval: transfer
      settings (see fetch_url); tests make them small.

  Returns:
    A FetchSummary; `summary.paths[name]` is where each file is.
  """
  if '://' in data_dir:
    raise ValueError('the download directory must be local, got %s' % data_dir)
  if link_mode not in LINK_MODES:
    raise ValueError('link_mode must be one of %s, got %r' % (LINK_MODES, link_mode))
  expected = expected_checksums(files, checksums)
  os.makedirs(data_dir, exist_ok=True)
  url_source = is_url(source)
  if not url_source and '://' in source:
    raise ValueError('unsupported source %s: give an http(s) URL or a local directory'
                     % source)
  if not url_source and not os.path.isdir(source):
    raise DownloadError('source directory %s does not exist' % source)
  if url_source and pool is None:
    pool = make_pool(retries=max_attempts, backoff_seconds=backoff_seconds)
  results = []
  for name in files:
    path = os.path.join(data_dir, name)
    if url_source:
      url = source.rstrip('/') + '/' + urllib.parse.quote(name)
      options = dict(pool=pool, credentials=credentials, chunk_size=chunk_size,
                     max_attempts=max_attempts, backoff_seconds=backoff_seconds,
                     progress_interval=progress_interval)
      if (stream_extract_into and name in _STREAM_EXTRACTORS and
          not os.path.lexists(path)):
        result, _ = fetch_url_extracting(url, path, expected[name],
                                         stream_extract_into,
                                         _STREAM_EXTRACTORS[name], **options)
      else:
        result = fetch_url(url, path, expected[name],
                           defer_verification=name in verify_on_first_read, **options)
    else:
      result = fetch_local(local_source(source, name), path, expected[name],
                           link_mode, progress_interval,
                           defer_verification=name in verify_on_first_read)
    results.append(result)
  summary = FetchSummary(results)
  log_summary(summary)
  return summary
