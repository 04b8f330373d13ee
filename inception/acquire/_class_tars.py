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
  try:
    inner = tarfile.open(fileobj=class_file, mode='r:')
    members = inner.getmembers()  # Headers only: data is skipped by seeking.
  except tarfile.TarError as e:
    raise _members.open_error(archive_path, e, label) from None
  sizes = {}
  seen = set()
  names = []
  for member in members:
    names.append(_members.plain_member_name(label, member, staging, seen=seen))
    sizes[names[-1]] = member.size
  if os.path.isdir(class_dir) and _staging.files_on_disk(class_dir) == sizes:
    return len(sizes), False
  _staging.remove(staging)
  os.makedirs(staging)
  try:
    with _staging.PlainFileWriter(staging) as writer:
      for name, member in zip(names, members):
        class_file.seek(member.offset_data)
        writer.write(name, _members.read_member(class_file, member, archive_path,
                                                label))
  except BaseException:
    shutil.rmtree(staging, ignore_errors=True)
    raise
  _staging.replace_dir(staging, class_dir)
  return len(sizes), True
