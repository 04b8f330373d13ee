"""Extracting a tar of class tars (`<class>.tar` members, each a tar of plain files)
into <root>/<dirname>/<class>/, in one pass.

The outer tar is read once, front to back; each class tar inside it is unpacked from
where it lies (only its headers are read to check it first: _members). A class
already extracted is recognised from those headers (same names and sizes on disk)
and costs no writes. Each class directory is built in staging and renamed into place
(_staging); the archive is stamped done at the end.
"""

import os
import shutil
import tarfile
from typing import Dict, List, Tuple

from absl import logging

from inception import core
from inception.acquire import _members
from inception.acquire import _staging
from inception.acquire import _tar_headers

# Bytes read at a time while a class tar's headers are walked: its files are read
# next, so reading past the headers costs only a copy from the page cache.
_HEADER_READ_BYTES = 1 << 20


def extract_class_tars(archive_path: str, root: str, dirname: str,
                       progress_interval: float = 10.0, stream=None) -> Dict[str, int]:
  """Unpacks a tar of class tars into root/dirname/<class>/, in one pass.

  With `stream` (_streaming.Stream: `archive_path` is still downloading), the bytes
  are read from the download as they land, and the download's MD5 decides before the
  extraction is stamped.

  Returns:
    {class: number of files}, in archive order.

  Raises:
    UnsafeArchiveError: a member of the outer tar or of a class tar is refused
      (nothing of that class is kept).
    ExtractionError: an unreadable archive, or a member that is not `<class>.tar`.
  """
  _members.require_extraction_filters()
  label = os.path.basename(archive_path)
  classes_dir = os.path.join(root, dirname)
  stamp = None if stream else _staging.trusted_stamp(root, archive_path)
  if stamp and all(_staging.count_files(os.path.join(classes_dir, name)) == count
                   for name, count in stamp['counts'].items()):
    logging.info('%s: already extracted to %s (%d classes)', label, classes_dir,
                 len(stamp['counts']))
    return dict(stamp['counts'])
  os.makedirs(classes_dir, exist_ok=True)
  staging_root = _staging.fresh_staging(root, dirname)
  counts = {}
  total = stream.size if stream else os.path.getsize(archive_path)
  tracker = core.Progress('extract %s' % label, total=total, unit='bytes',
                          interval=progress_interval)

  written = []

  def discard() -> str:
    # Everything in root/dirname comes from this tarball, extracted now or by an
    # earlier run of it (unverified as well).
    _staging.remove(classes_dir)
    _staging.remove(staging_root)
    return 'everything extracted from it (%s) was removed' % classes_dir

  def drop() -> str:
    # What this read wrote; classes it found complete were there before.
    for class_dir in written:
      _staging.remove(class_dir)
    _staging.remove(staging_root)
    return 'the %d classes extracted now were removed' % len(written)

  try:
    with _staging.opened(archive_path, discard, stream, drop) as f:
      _extract_classes(f, archive_path, classes_dir, staging_root, counts, tracker,
                       written)
  finally:
    _staging.remove_empty_staging(root)
  tracker.finish()
  if not counts:
    raise _members.ExtractionError('%s: holds no class tars' % label)
  _staging.write_stamp(root, archive_path, counts=counts)
  return counts


def _extract_classes(f, archive_path: str, classes_dir: str, staging_root: str,
                     counts: Dict[str, int], tracker: core.Progress,
                     written_dirs: List[str]) -> None:
  """The member loop of extract_class_tars over the open tar `f`; fills `counts`,
  and `written_dirs` with the class directories it wrote."""
  label = os.path.basename(archive_path)
  extracted = skipped = 0
  try:
    outer = tarfile.open(fileobj=f, mode='r:')
  except (OSError, tarfile.TarError) as e:
    raise _members.open_error(archive_path, e) from None
  with outer:
    position = 0
    seen = set()
    try:
      for member in outer:
        name = _members.plain_member_name(label, member, classes_dir, seen=seen)
        class_name = _members.class_of_member(label, name)
        class_dir = os.path.join(classes_dir, class_name)
        with outer.extractfile(member) as class_file:
          counts[class_name], written = _extract_class(
              class_file, archive_path, '%s:%s' % (label, name), class_dir,
              os.path.join(staging_root, class_name))
        extracted += written
        skipped += not written
        if written:
          written_dirs.append(class_dir)
        tracker.description = 'extract %s (%d classes: %d written, %d complete)' % (
            label, len(counts), extracted, skipped)
        # outer.offset is where the next header starts: progress in archive bytes.
        tracker.update(outer.offset - position, member.size)
        position = outer.offset
      _members.check_end_of_archive(archive_path, outer, label)
    except tarfile.TarError as e:
      raise _members.corrupt_archive(archive_path, e, label) from None
  if tracker.total is not None:
    tracker.update(max(0, tracker.total - position))  # The end-of-archive padding.


def _extract_class(class_file, archive_path: str, label: str, class_dir: str,
                   staging: str) -> Tuple[int, bool]:
  """Unpacks one class tar; returns (file count, False if it was already complete)."""
  names, offsets, sizes = _class_members(class_file, archive_path, label, staging)
  if (os.path.isdir(class_dir) and
      _staging.files_on_disk(class_dir) == dict(zip(names, sizes))):
    return len(names), False
  _staging.remove(staging)
  os.makedirs(staging)
  try:
    with _staging.PlainFileWriter(staging) as writer:
      for name, offset, size in zip(names, offsets, sizes):
        class_file.seek(offset)
        writer.write(name, _members.read_exactly(class_file, name, size,
                                                 archive_path, label))
  except BaseException:
    shutil.rmtree(staging, ignore_errors=True)
    raise
  _staging.replace_dir(staging, class_dir)
  return len(names), True


def _class_members(class_file, archive_path: str, label: str,
                   staging: str) -> _tar_headers.Members:
  """A class tar's members (names, data offsets, sizes), each a plain file: by the
  fast header reader (tarfile's TarInfo per member was a third of the extraction's
  CPU on tiny files), or, for anything it leaves to tarfile, by tarfile with every
  check and error of _members."""
  try:
    return _tar_headers.members(_tar_headers.Blocks(class_file, _HEADER_READ_BYTES))
  except _tar_headers.NotPlain:
    class_file.seek(0)
  try:  # Headers only: data is skipped by seeking.
    members = tarfile.open(fileobj=class_file, mode='r:').getmembers()
  except tarfile.TarError as e:
    raise _members.open_error(archive_path, e, label) from None
  seen = set()
  names = [_members.plain_member_name(label, member, staging, seen=seen)
           for member in members]
  return _tar_headers.Members(names, [m.offset_data for m in members],
                              [m.size for m in members])
