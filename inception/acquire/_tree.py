"""Extracting an archive whose members land in one directory: flat (plain files
only) or a tree (files in subdirectories, as the archive holds them).

`extract_flat` and `extract_tree` stream an archive (any compression) into
<root>/<dirname>/ atomically and once (_staging): built in staging, renamed into
place, stamped done. Every member passes _members.plain_member_name first; the
caller's `check_members`, if any, sees the names of all before any is in place.
"""

import os
import shutil
import tarfile
from typing import Callable, List, Optional, Sequence

# check_members(archive_path, file names) -> the problem that refuses them, or None.
MembersCheck = Callable[[str, Sequence[str]], Optional[str]]

from absl import logging

from inception import core
from inception.acquire import _members
from inception.acquire import _staging


def _extract_into(archive_path: str, root: str, dirname: str,
                  allow_subdirectories: bool, progress_interval: float,
                  stream=None, check_members: Optional[MembersCheck] = None) -> int:
  """Streams `archive_path` (any compression) into root/dirname atomically.

  Returns the number of files. Skips the archive if its stamp is valid and the
  directory exists. With `stream`, reads the download still writing it (as
  _class_tars.extract_class_tars). A problem `check_members` finds in the names
  raises ExtractionError, nothing kept.
  """
  _members.require_extraction_filters()
  label = os.path.basename(archive_path)
  final = os.path.join(root, dirname)
  stamp = None if stream else _staging.trusted_stamp(root, archive_path)
  if stamp and os.path.isdir(final):
    logging.info('%s: already extracted to %s (%d files)', label, final,
                 stamp['count'])
    return stamp['count']
  staging = _staging.fresh_staging(root, dirname)
  tracker = core.Progress('extract %s' % label, unit='files',
                          interval=progress_interval)

  def discard() -> str:
    shutil.rmtree(staging, ignore_errors=True)
    return 'nothing extracted from it was kept'

  names = [] if check_members is not None else None
  try:
    with _staging.opened(archive_path, discard, stream) as f:
      count = _stream_members(f, archive_path, staging, allow_subdirectories,
                              tracker, names)
    problem = check_members(archive_path, names) if check_members else None
    if problem:
      raise _members.ExtractionError('%s; nothing extracted from it was kept' %
                                     problem)
  except BaseException:
    shutil.rmtree(staging, ignore_errors=True)
    _staging.remove_empty_staging(root)
    raise
  tracker.finish()
  if not count:
    shutil.rmtree(staging)
    _staging.remove_empty_staging(root)
    raise _members.ExtractionError('%s: holds no files' % label)
  _staging.replace_dir(staging, final)
  _staging.write_stamp(root, archive_path, count=count)
  _staging.remove_empty_staging(root)
  return count


def _stream_members(f, archive_path: str, staging: str, allow_subdirectories: bool,
                    tracker: core.Progress, names: Optional[List[str]] = None) -> int:
  """Extracts the archive open as `f` (any compression) into `staging`, streaming;
  returns the number of files, whose names it appends to `names` if given."""
  label = os.path.basename(archive_path)
  count = 0
  try:
    archive = tarfile.open(fileobj=f, mode='r|*')
  except (OSError, tarfile.TarError) as e:
    raise _members.open_error(archive_path, e) from None
  try:
    with archive, _staging.PlainFileWriter(staging) as writer:
      seen = set()
      while True:
        member = archive.next()
        if member is None:
          break
        name = _members.plain_member_name(label, member, staging,
                                          allow_subdirectories, seen)
        if member.isreg() and '/' not in name:
          writer.write(name, _members.read_member(archive.extractfile(member), member,
                                                  archive_path, label))
        else:
          with core.naming_write_errors(os.path.join(staging, member.name)):
            archive.extract(member, staging, set_attrs=False, filter='data')
        # Streaming keeps every header in `members`; 500k files would pile up.
        archive.members.clear()
        if member.isreg():
          count += 1
          tracker.update(1, member.size)
          if names is not None:
            names.append(name)
      _members.check_end_of_archive(archive_path, archive, label)
  except tarfile.TarError as e:
    raise _members.corrupt_archive(archive_path, e, label) from None
  return count


def extract_flat(archive_path: str, root: str, dirname: str,
                 progress_interval: float = 10.0, stream=None,
                 check_members: Optional[MembersCheck] = None) -> int:
  """An archive of plain files (no subdirectory) → root/dirname/*. Returns the file
  count.

  `stream`: as for _class_tars.extract_class_tars; `check_members`: as for
  _extract.Extraction."""
  return _extract_into(archive_path, root, dirname, allow_subdirectories=False,
                       progress_interval=progress_interval, stream=stream,
                       check_members=check_members)


def extract_tree(archive_path: str, root: str, dirname: str,
                 progress_interval: float = 10.0, stream=None,
                 check_members: Optional[MembersCheck] = None) -> int:
  """Any tarball (any compression) → root/<dirname>/ in the archive's own layout.

  With the member checks, atomically and once (a stamp skips it next time). Returns
  the number of files. `stream`: as for _class_tars.extract_class_tars;
  `check_members`: as for _extract.Extraction.
  """
  return _extract_into(archive_path, root, dirname, allow_subdirectories=True,
                       progress_interval=progress_interval, stream=stream,
                       check_members=check_members)
