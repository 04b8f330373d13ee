"""Extraction's bookkeeping: staging directories, done stamps, and direct writes.

Atomic: each output directory <root>/<dirname> (or, for a tar of class tars, each
class directory in it) is built under <root>/.extracting/ and renamed into place when
complete, so a directory of the output is complete or absent; the staging left by an
interrupted run is deleted, never mixed in.

Idempotent: when an archive is done, a stamp <root>/.<archive>.extracted (the
archive's size, mtime and counts) lets a re-run skip it without reading it, unless
the archive awaits verification (_verification): then it is read, and checked, again.

Checked plain files (_members.plain_member_name) are written directly
(`PlainFileWriter`), not through tarfile.extract.
"""

import json
import os
import shutil
from typing import Dict, Optional

from inception import core
from inception.acquire import _members
from inception.acquire import _verification

STAGING_DIRNAME = '.extracting'


def stamp_path(root: str, archive_path: str) -> str:
  """<root>/.<archive>.extracted: the stamp of an archive extracted under `root`."""
  return os.path.join(root, '.%s.extracted' % os.path.basename(archive_path))


def _archive_key(archive_path: str) -> Dict[str, int]:
  stat = os.stat(archive_path)
  return {'size': stat.st_size, 'mtime_ns': stat.st_mtime_ns}


def _read_stamp(root: str, archive_path: str) -> Optional[dict]:
  """The stamp's content if it was written for this very archive file."""
  try:
    with open(stamp_path(root, archive_path)) as f:
      stamp = json.load(f)
  except (OSError, ValueError):
    return None
  if stamp.get('archive') != _archive_key(archive_path):
    return None
  return stamp


def trusted_stamp(root: str, archive_path: str) -> Optional[dict]:
  """The extraction stamp, unless the archive awaits verification: then it is read
  (and checked) again, whatever was extracted from it before."""
  if _verification.pending_expectation(archive_path) is not None:
    return None
  return _read_stamp(root, archive_path)


def write_stamp(root: str, archive_path: str, **content) -> None:
  """Stamps `archive_path` extracted under `root`, with `content` (its counts)."""
  content['archive'] = _archive_key(archive_path)
  core.write_text(stamp_path(root, archive_path),
                  json.dumps(content, sort_keys=True) + '\n')


def remove(path: str) -> None:
  """Deletes a file, a symlink (not its target) or a directory tree, if present."""
  if os.path.isdir(path) and not os.path.islink(path):
    shutil.rmtree(path)
  elif os.path.lexists(path):
    os.remove(path)


def fresh_staging(root: str, *parts: str) -> str:
  """An empty staging directory <root>/.extracting/<parts> (old content deleted)."""
  path = os.path.join(root, STAGING_DIRNAME, *parts)
  remove(path)
  os.makedirs(path)
  return path


def replace_dir(staging: str, final: str) -> None:
  """Moves a complete staging directory to `final`, replacing what was there."""
  if os.path.lexists(final):
    old = staging.rstrip('/') + '.old'
    remove(old)
    os.rename(final, old)
    os.rename(staging, final)
    remove(old)
  else:
    os.rename(staging, final)


def remove_empty_staging(root: str) -> None:
  """Deletes <root>/.extracting when nothing is left in it."""
  staging = os.path.join(root, STAGING_DIRNAME)
  for directory, _, _ in sorted(os.walk(staging), reverse=True):
    try:
      os.rmdir(directory)
    except OSError:
      pass


def files_on_disk(directory: str) -> Dict[str, int]:
  """{name: size} of the regular files directly in `directory`."""
  with os.scandir(directory) as entries:
    return {entry.name: entry.stat().st_size for entry in entries
            if entry.is_file(follow_symlinks=False)}


def count_files(directory: str) -> int:
  """The number of regular files directly in `directory`; -1 if it is missing."""
  if not os.path.isdir(directory):
    return -1
  return len(files_on_disk(directory))


def opened(archive_path: str, discard, stream, drop=None):
  """The reading of an archive that reads it whole: of the download still writing it
  (`stream`), else of the file, verifying it on the way if it awaits verification."""
  if stream is not None:
    return stream.open(discard, drop)
  return _verification.verifying_read(archive_path, discard,
                                      (_members.ExtractionError,))


class PlainFileWriter(object):
  """Writes files of checked plain names (plain_member_name: a regular file, no
  '/', no '..', each once) into a fresh directory, directly.

  This replaces tarfile.extract for those members (the profile: its data filter
  resolves the whole destination path with realpath, and it checks and creates the
  parent directory, for every member). A name can only land in `directory`:
  O_EXCL|O_NOFOLLOW refuse anything already there, a symlink included; the
  directory is held open, so each file is created relative to it.
  """

  _FLAGS = (os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW |
            getattr(os, 'O_CLOEXEC', 0))

  def __init__(self, directory: str):
    self._directory = directory
    self._dir_fd = os.open(directory, os.O_RDONLY | getattr(os, 'O_DIRECTORY', 0))

  def __enter__(self) -> 'PlainFileWriter':
    return self

  def __exit__(self, *unused) -> None:
    os.close(self._dir_fd)

  def write(self, name: str, data: bytes) -> None:
    if '/' in name or name in ('', '.', '..'):  # plain_member_name let it through?
      raise ValueError('not a plain file name: %r' % name)
    with core.naming_write_errors(os.path.join(self._directory, name)):
      fd = os.open(name, self._FLAGS, 0o666, dir_fd=self._dir_fd)
      try:
        view = memoryview(data)
        while view:
          view = view[os.write(fd, view):]
      finally:
        os.close(fd)
