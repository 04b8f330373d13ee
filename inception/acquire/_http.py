"""Downloading one file over HTTP(S): resumable, retried, verified as it streams.

A file goes to `<name>.partial` first: an interrupted download is continued with an
HTTP Range request (in the same run after a broken transfer, or by the next run),
and a server that ignores Range restarts the file cleanly. The MD5 is computed over
the bytes as they are written (and over a partial file's bytes once), so the file is
checked when its last byte lands and renamed to its final name only if it matches.

The server's answer to the first request of a file is checked before any body is
read: 401/403 raises `CredentialsRefused` at once, 404 and other errors raise
DownloadError; connection errors and 5xx answers are retried with backoff.
Credentials are only ever put in the Authorization header.
"""

import hashlib
import os
import re
import time
from typing import Dict, Optional, Tuple

from absl import logging
import urllib3

from inception import core
from inception.acquire import _archive
from inception.acquire import _checks
from inception.acquire import _options
from inception.acquire import _streaming
from inception.acquire import _verification

_RETRY_STATUSES = (500, 502, 503, 504)
_CONTENT_RANGE = re.compile(r'^bytes\s+(?:(\d+)-(\d+)|\*)/(\d+|\*)$')


class CredentialsRefused(_verification.DownloadError):
  """The server answered 401 or 403."""


class TransferError(_verification.DownloadError):
  """The transfer could not start or broke off (the connection, a 5xx answer), after
  the retries: what arrived is kept, and a later run resumes from there."""


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


def _parse_content_range(value: Optional[str]) -> Tuple[Optional[int], Optional[int]]:
  """(first byte, total size) from a Content-Range header; None where unknown."""
  match = _CONTENT_RANGE.match((value or '').strip())
  if not match:
    return None, None
  first = int(match.group(1)) if match.group(1) is not None else None
  total = int(match.group(3)) if match.group(3) != '*' else None
  return first, total


class _Transfer(object):
  """The state of one download into `<name>.partial`: bytes on disk and their MD5.

  A `listener` (_streaming.Feed: an extraction reading the file as it grows) is told
  of every byte flushed to disk and of every start over from byte 0.
  """

  def __init__(self, name: str, partial: str, expected: _verification.Expected,
               interval: float, listener: Optional[_streaming.Feed] = None):
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
      self.restart('%s was longer than the file' % self.partial)
      return 0
    if size != self.hashed:
      # Bytes from an earlier run: hash them once, so the end needs no second pass.
      self.hasher, self.hashed = (
          _checks.hash_file(self.partial, size, 'hash partial %s' % self.name,
                            self.interval)
          if size else (hashlib.md5(), 0))
    if self.listener is not None:
      self.listener.on_disk(size)
    return size

  def restart(self, reason: str) -> None:
    """Empties the partial file; `reason` says why, to the listener."""
    if self.listener is not None:
      self.listener.restarting(reason)  # Before the bytes it may be reading go.
    _checks.truncate(self.partial)
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
    raise TransferError('%s: cannot download %s: %s' % (name, url, e)) from None


def _refusal(name: str, status: int, url: str,
             options: _options.FetchOptions) -> CredentialsRefused:
  """The error for a 401 or 403: credentials refused, or needed and not given."""
  login = options.login
  if options.credentials:
    return CredentialsRefused(
        '%s: the server refused the %scredentials (HTTP %d) for %s; check the '
        'username and access key' %
        (name, login.site + ' ' if login else '', status, url))
  how = ('; set %s and %s, add the host to ~/.netrc, or run from a terminal to be '
         'asked' % (login.username_env, login.access_key_env) if login else '')
  return CredentialsRefused('%s: the server requires credentials (HTTP %d) for %s%s'
                            % (name, status, url, how))


def _check_status(response: urllib3.BaseHTTPResponse, url: str, name: str,
                  options: _options.FetchOptions) -> None:
  """Turns a refused, missing or failed answer into an error, before any body."""
  status = response.status
  if status in (401, 403):
    raise _refusal(name, status, url, options)
  if status == 404:
    raise _verification.DownloadError('%s: not found at %s (HTTP 404)' % (name, url))
  if status not in (200, 206, 416):
    error = TransferError if status >= 500 else _verification.DownloadError
    raise error('%s: HTTP %d %s from %s' % (name, status, response.reason or '', url))


def _download_attempt(pool: urllib3.PoolManager, url: str, transfer: _Transfer,
                      options: _options.FetchOptions) -> None:
  """One GET from the current offset to the end (or an exception).

  Raises urllib3 errors for a broken transfer (the caller retries), DownloadError for
  answers that retrying cannot fix.
  """
  name, expected = transfer.name, transfer.expected
  offset = transfer.offset()
  if offset and expected.size is not None and offset == expected.size:
    transfer.complete = True
    return
  headers = (options.credentials.authorization_headers() if options.credentials
             else {})
  if offset:
    headers['Range'] = 'bytes=%d-' % offset
  response = _request(pool, url, name, headers)
  try:
    _check_status(response, url, name, options)
    if response.status == 416:
      _, total = _parse_content_range(response.headers.get('Content-Range'))
      if offset and total == offset:
        transfer.complete = transfer.resumed = True  # The partial file holds it all.
        return
      reason = 'the server cannot resume at byte %d (HTTP 416)' % offset
      logging.warning('%s: %s; starting over', name, reason)
      transfer.restart(reason)
      raise urllib3.exceptions.ProtocolError('range not satisfiable')
    if response.status == 206:
      first, total = _parse_content_range(response.headers.get('Content-Range'))
      if first != offset:
        reason = 'asked for byte %d on, the server sent %s' % (
            offset, response.headers.get('Content-Range'))
        logging.warning('%s: %s; starting over', name, reason)
        transfer.restart(reason)
        raise urllib3.exceptions.ProtocolError('unexpected Content-Range')
      logging.info('%s: resuming the download at byte %d of %s', name, offset,
                   transfer.partial)
      mode = 'ab'
      transfer.resumed = True
    else:  # 200: the whole file.
      length = response.headers.get('Content-Length')
      total = int(length) if length and length.isdigit() else None
    if expected.size is not None and total is not None and total != expected.size:
      raise _verification.DownloadError(
          '%s: %s offers %d bytes, expected %d (a different file, or a login page?)' %
          (name, url, total, expected.size))
    if response.status == 200:
      if offset:
        logging.warning('%s: the server ignored the Range request; restarting the file '
                        'from byte 0', name)
      transfer.restart('the server ignored the Range request for byte %d on' % offset
                       if offset else 'the server sent the whole file')
      offset, mode = 0, 'wb'
    tracker = core.Progress(
        'download %s%s' % (name, ' (from byte %d)' % offset if offset else ''),
        total=(total - offset) if total is not None else None, unit='bytes',
        interval=transfer.interval)
    with core.naming_write_errors(transfer.partial), open(transfer.partial, mode) as f:
      while True:
        chunk = response.read1(options.chunk_size, decode_content=False)
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


def fetch_url(url: str, path: str, archive: _archive.Archive,
              options: _options.FetchOptions = _options.FetchOptions(),
              pool: Optional[urllib3.PoolManager] = None,
              listener: Optional[_streaming.Feed] = None) -> _options.FileResult:
  """Downloads `url` to `path` via `path.partial`, resuming, and verifies it.

  A complete verified file is not fetched again; nor is a file found in place with
  the right size whose verification waits for its first read (options.
  verify_on_first_read). A broken transfer is retried from where it stopped (HTTP
  Range) up to options.max_attempts times in a row without progress, with
  exponential backoff; a server that ignores Range restarts the file cleanly. A
  `listener` follows the partial file as it grows (_streaming); it also does the
  waiting between attempts, so that it can stop the download.

  Raises:
    CredentialsRefused: HTTP 401/403 (raised on the first answer, before any body).
    ChecksumMismatch: the downloaded file is wrong; it was moved aside.
    DownloadError: 404, other HTTP errors, or retries exhausted (the partial file is
      kept for the next run).
  """
  name = os.path.basename(path)
  expected = archive.expected
  start = time.monotonic()
  partial = path + _options.PARTIAL_SUFFIX
  _checks.adopt_short_file(name, path, partial, expected)
  action = _checks.verify_existing(name, path, expected, options.progress_interval,
                                   archive.name in options.verify_on_first_read)
  if action:
    return _options.FileResult(name, path, action, 0, time.monotonic() - start)
  pool = pool or make_pool(backoff_seconds=options.backoff_seconds)
  transfer = _Transfer(name, partial, expected, options.progress_interval, listener)
  sleep = listener.sleep if listener is not None else time.sleep
  failures = 0
  while not transfer.complete:
    before = transfer.transferred
    try:
      _download_attempt(pool, url, transfer, options)
    except (urllib3.exceptions.HTTPError, ConnectionError) as e:
      failures = 1 if transfer.transferred > before else failures + 1
      if failures >= options.max_attempts:
        raise TransferError(
            '%s: the transfer from %s broke %d times in a row (last: %s); the %d bytes '
            'received are kept in %s and the next run resumes from there' %
            (name, url, failures, e, transfer.hashed, partial)) from None
      delay = min(options.backoff_seconds * 2 ** (failures - 1), 120.0)
      logging.warning('%s: transfer broke at byte %d (%s); retrying in %.1f s', name,
                      transfer.hashed, e, delay)
      sleep(delay)
  md5 = transfer.hasher.hexdigest()
  _checks.check(name, expected, transfer.hashed, md5, partial, path)
  os.replace(partial, path)
  _verification.write_stamp(path, expected.md5)
  return _options.FileResult(name, path,
                             'resumed' if transfer.resumed else 'downloaded',
                             transfer.transferred, time.monotonic() - start)
