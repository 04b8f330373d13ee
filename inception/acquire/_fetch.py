"""Fetches archives into a directory: resumable, verified, safe (`fetch_all`).

Sources: a base URL (http or https; files are `<base>/<name>`, sent with HTTP basic
auth when credentials are given: _http), a local directory of tarballs, copied or
symlinked (_local), or a prefix in object storage (s3://, gs://, az://), whose
objects are recorded and read in place, never copied (_store). Every file is verified by size (when known) and MD5 (the
caller's `Archive`) in the stream that copies or downloads it, before it gets its
final name. A file named in FetchOptions.verify_on_first_read that is symlinked or
found in place is not hashed here: it gets a pending record, and the first
extraction or index that reads it whole checks it (_verification), so that each
tarball is read once. An archive named in FetchOptions.extract_while_downloading is
extracted while it downloads, from the .partial file as it grows (_streaming): one
pass over the bytes, the download's MD5 deciding.

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
"""

import os
import urllib.parse
from typing import List, Optional, Sequence, Tuple

from absl import logging
import urllib3

from inception import core
from inception.acquire import _archive
from inception.acquire import _checks
from inception.acquire import _extract
from inception.acquire import _http
from inception.acquire import _local
from inception.acquire import _members
from inception.acquire import _options
from inception.acquire import _store
from inception.acquire import _streaming
from inception.acquire import _verification


def is_url(source: str) -> bool:
  """True for http(s) URLs; anything else is taken as a local directory."""
  return urllib.parse.urlsplit(source).scheme.lower() in ('http', 'https')


def files_needing_fetch(data_dir: str,
                        archives: Sequence[_archive.Archive]) -> List[str]:
  """The names of the archives without a trusted verified copy in `data_dir`, nor
  one awaiting its first read to be verified (no hashing)."""
  return [archive.name for archive in archives
          if not _checks.is_fetched(os.path.join(data_dir, archive.name),
                                    archive.expected)]


def _format_bytes(count: int) -> str:
  for unit, scale in (('GB', 1e9), ('MB', 1e6), ('KB', 1e3)):
    if count >= scale:
      return '%.1f %s' % (count / scale, unit)
  return '%d bytes' % count


def log_summary(summary: _options.FetchSummary) -> None:
  """One line per file, and the total transferred."""
  for result in summary.files:
    rate = (' (%s/s)' % _format_bytes(int(result.bytes_transferred / result.seconds))
            if result.bytes_transferred and result.seconds > 0 else '')
    logging.info('%s: %s, %s in %s%s', result.name, result.action,
                 _format_bytes(result.bytes_transferred),
                 core.format_duration(result.seconds), rate)
  logging.info('Fetched %d files, %s transferred.', len(summary.files),
               _format_bytes(summary.bytes_transferred))


def fetch_url_extracting(url: str, path: str, archive: _archive.Archive,
                         extraction: _extract.Extraction,
                         options: _options.FetchOptions = _options.FetchOptions(),
                         pool: Optional[urllib3.PoolManager] = None
                        ) -> Tuple[_options.FileResult, object]:
  """Downloads `url` to `path` as _http.fetch_url does, and extracts it as
  `extraction` says while it downloads (_streaming): the extraction reads the bytes
  from `path.partial` as they land.

  The download's MD5 decides: a wrong one moves the file aside, removes what was
  extracted and raises ChecksumMismatch; a failed download raises its error, keeps
  the partial file for the next run and removes what this run extracted. On success
  the tarball is stamped verified and the extraction stamped done, so an extraction
  of `path` afterwards finds it done without reading it.

  Returns:
    (the FileResult, what the extraction returned).
  """
  name = os.path.basename(path)

  def download(feed: _streaming.Feed) -> _options.FileResult:
    return _http.fetch_url(url, path, archive, options, pool, listener=feed)

  def extract(stream: _streaming.Stream):
    return _extract.extract(path, extraction, options.progress_interval,
                            stream=stream)

  result, extracted = _streaming.extract_while_downloading(
      download, path + _options.PARTIAL_SUFFIX, name, archive.size, extract,
      check_after=(_members.ExtractionError,))
  return result._replace(action=result.action + ', extracted as it came'), extracted


def fetch_all(data_dir: str, source: str, archives: Sequence[_archive.Archive],
              options: _options.FetchOptions = _options.FetchOptions()
             ) -> _options.FetchSummary:
  """Fetches `archives` from `source` into `data_dir`, verified, and logs a summary.

  Args:
    data_dir: local directory the tarballs go to (created if missing); for a store
      source, where their verification records go (local or in a store).
    source: an http(s) base URL, or a local directory holding the tarballs (under
      any of their names: Archive.names), or a store prefix holding them (each
      object recorded and left in place: its path is its URL).
    archives: what to fetch, in order: each one's name, size and MD5.
    options: how (FetchOptions: credentials, link mode, verification on first read,
      extraction while downloading, retries, progress).

  Returns:
    A FetchSummary; `summary.paths[name]` is where each file is.
  """
  if _store.is_store_url(source):
    return _fetch_from_store(data_dir, source, archives, options)
  if '://' in data_dir:
    raise ValueError('the download directory %s is in object storage: only tarballs '
                     'in object storage too (--source=s3://...) are read from there '
                     'in place; %s would be copied' % (data_dir, source))
  if options.link_mode not in _options.LINK_MODES:
    raise ValueError('link_mode must be one of %s, got %r' % (_options.LINK_MODES,
                                                               options.link_mode))
  os.makedirs(data_dir, exist_ok=True)
  url_source = is_url(source)
  if not url_source and '://' in source:
    raise ValueError('unsupported source %s: give an http(s) URL, a local directory '
                     'or an object-store prefix (s3://, gs://, az://)' % source)
  if not url_source and not os.path.isdir(source):
    raise _verification.DownloadError('source directory %s does not exist' % source)
  pool = None
  if url_source:
    pool = _http.make_pool(retries=options.max_attempts,
                           backoff_seconds=options.backoff_seconds)
  extractions = options.extract_while_downloading or {}
  results = []
  for archive in archives:
    path = os.path.join(data_dir, archive.name)
    if url_source:
      url = source.rstrip('/') + '/' + urllib.parse.quote(archive.name)
      if archive.name in extractions and not os.path.lexists(path):
        result, _ = fetch_url_extracting(url, path, archive,
                                         extractions[archive.name], options, pool)
      else:
        result = _http.fetch_url(url, path, archive, options, pool)
    else:
      result = _local.fetch_local(_local.local_source(source, archive), path, archive,
                                  options)
    results.append(result)
  summary = _options.FetchSummary(results)
  log_summary(summary)
  return summary


def _fetch_from_store(data_dir: str, source: str,
                      archives: Sequence[_archive.Archive],
                      options: _options.FetchOptions) -> _options.FetchSummary:
  """fetch_all for a store prefix: each archive recorded in place (_store)."""
  core.makedirs(data_dir)
  results = [_store.fetch_store_object(_store.object_url(source, archive),
                                       core.join(data_dir, archive.name), archive,
                                       options)
             for archive in archives]
  summary = _options.FetchSummary(results)
  log_summary(summary)
  return summary
