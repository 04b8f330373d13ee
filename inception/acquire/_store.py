"""Archives in object storage (s3://, gs://, az://), read in place: nothing copied.

A store source's "fetch" records each archive object (its URL, size and version:
S3's ETag, GCS's generation, Azure's etag; core.object_version) and leaves it where
it is; the steps after read it at its URL (tar members by ranged reads). Its MD5 is
checked once, in a streamed pass: for an archive in FetchOptions.verify_on_first_read
by the first index or extraction that reads it whole (a pending record), for any
other (the small box archives) here, by reading it. The records are named after the
archive's name in the download directory (`<dir>/<name>.md5-verified`,
`<dir>/<name>.md5-pending`: _verification's `record`), never beside the object, which
is the user's and may be read-only; each holds the object's size and version, so an
object replaced since no longer matches them.

A wrong size or MD5 is a ChecksumMismatch naming the object, which is left as it is.
"""

import hashlib
import time
from typing import Any, Dict, Optional

from inception import core
from inception.acquire import _archive
from inception.acquire import _options
from inception.acquire import _verification

# The keys of an object's record (`record_of`), as the driver's state file keeps them.
URL_KEY = 'url'
SIZE_KEY = 'size'
VERSION_KEY = 'version'


def is_store_url(source: str) -> bool:
  """True for an object-store URL (s3://, gs://, az://, ...): not http(s), not local."""
  scheme = source.split('://', 1)[0].lower() if '://' in source else ''
  return bool(scheme) and scheme not in ('http', 'https', 'file')


def object_url(source: str, archive: _archive.Archive) -> str:
  """The object of a store source holding `archive`: the first of its names present
  (Archive.names), else the URL under its name (which then names it as missing)."""
  urls = [core.join(source, name) for name in archive.names]
  return next((url for url in urls[1:] if core.exists(url)), urls[0])


def record_of(url: str) -> Dict[str, Any]:
  """{url, size, version} of an object now (one HEAD)."""
  size, version = core.object_version(url)
  return {URL_KEY: url, SIZE_KEY: size, VERSION_KEY: version}


def changed_object(recorded: Dict[str, Any],
                   recorder: str = 'the download step') -> Optional[str]:
  """Why an object recorded by `record_of` (by `recorder`, for the message) is no
  longer that object (replaced, resized, deleted), in one line naming it; None if
  it is the same."""
  url = recorded[URL_KEY]
  try:
    now = record_of(url)
  except FileNotFoundError:
    return '%s: gone since %s recorded it' % (url, recorder)
  if now == recorded:
    return None
  return ('%s: changed since %s recorded it (size %s, version %s; now size %s, '
          'version %s)' % (url, recorder, recorded[SIZE_KEY], recorded[VERSION_KEY],
                           now[SIZE_KEY], now[VERSION_KEY]))


def _hash_object(url: str, interval: float) -> _verification.Expected:
  """(size, MD5) of an object, streamed once."""
  hasher = hashlib.md5()
  size = 0
  tracker = core.Progress('verify %s' % url, total=core.size(url), unit='bytes',
                          interval=interval)
  with core.open_file(url, 'rb') as f:
    for chunk in iter(lambda: f.read(_verification.CHUNK_SIZE), b''):
      hasher.update(chunk)
      size += len(chunk)
      tracker.update(len(chunk), len(chunk))
  tracker.finish()
  return _verification.Expected(size, hasher.hexdigest())


def fetch_store_object(url: str, record: str, archive: _archive.Archive,
                       options: _options.FetchOptions) -> _options.FileResult:
  """Records the object `url` holding `archive`, verified or awaiting its first read
  (records named after `record`, its path in the download directory); copies nothing.

  Raises:
    DownloadError: the object is missing.
    ChecksumMismatch: its size, or (hashed now) its MD5, is not the expected one.
  """
  start = time.monotonic()
  name = archive.name
  expected = archive.expected
  try:
    size, _ = core.object_version(url)
  except FileNotFoundError:
    raise _verification.DownloadError('%s: not found in the source (%s)' %
                                      (name, url)) from None
  if expected.size is not None and size != expected.size:
    raise _verification.ChecksumMismatch(url, 'size', '%d bytes' % expected.size,
                                         '%d bytes' % size, None)
  if _verification.stamp_matches(url, expected.md5, record):
    action = 'in place, already verified'
  elif name in options.verify_on_first_read:
    if not _verification.is_pending(url, expected, record):
      _verification.write_pending(url, expected, record)
    action = 'in place, MD5 checked when first read'
  else:
    found = _hash_object(url, options.progress_interval)
    if found.md5 != expected.md5:
      raise _verification.ChecksumMismatch(url, 'MD5', expected.md5, found.md5, None)
    _verification.write_stamp(url, expected.md5, record)
    action = 'in place, verified'
  return _options.FileResult(name, url, action, 0, time.monotonic() - start)
