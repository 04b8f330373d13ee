"""Extracts the ILSVRC2012 tarballs into <data_dir>/raw-data (core's layout), safely.

  <data_dir>/raw-data/train/<wnid>/*.JPEG      one directory per class tar inside
                                               ILSVRC2012_img_train.tar
  <data_dir>/raw-data/validation/*.JPEG        ILSVRC2012_img_val.tar (the relabel step
                                               later moves them into <synset>/)
  <data_dir>/raw-data/test/*.JPEG              ILSVRC2012_img_test_v10102019.tar
                                               (--with_test; unlabelled)
  <data_dir>/raw-data/bounding_boxes/<wnid>/*.xml   ILSVRC2012_bbox_train_v2.tar.gz
  <data_dir>/raw-data/validation_bounding_boxes/val/*.xml
                                               ILSVRC2012_bbox_val_v3.tgz

The devkit is not extracted (nothing downstream reads it).

Safety (CVE-2007-4559): every member is checked before anything is written. An
absolute name, a `..` component, a link, a device or other special file, (in the
image archives) anything but a plain file name, or a file name seen before in the
archive is refused with an error naming the archive and the member; tarfile's 'data'
extraction filter (PEP 706) then guards the write itself. Nothing is ever written
outside the destination. The same check (`plain_member_name`) guards the tar index
(--no_extract) and the box tarball reader, so both modes accept the same archives.

Completeness: tarfile ends silently where a cut leaves no next header, so an archive
must reach its end-of-archive marker; a truncated or unreadable archive raises
`CorruptArchiveError`, which names the file (a fresh copy may cure it).

One pass: the train tar is read once, front to back; each class tar inside it is
unpacked from where it lies (only its headers are read to check it first). A class
already extracted is recognised from those headers (same names and sizes on disk)
and costs no writes.

Atomic and idempotent: each class directory (and the validation and box directories
as a whole) is built under raw-data/.extracting/ and renamed into place when
complete, so a directory in the layout is complete or absent; the staging left by an
interrupted run is deleted, never mixed in. When an archive is done, a stamp
raw-data/.<archive>.extracted (archive size, mtime and counts) lets a re-run skip it
without reading it. For validation the stamp alone decides (with the directory still
present), because the relabel step moves the files afterwards.
"""

import json
import os
import shutil
import sys
import tarfile
from typing import Dict, List, NamedTuple, Optional, Set, Tuple

from absl import logging

from inception import core
from inception.acquire import _verification

STAGING_DIRNAME = '.extracting'
# Checks need a destination; a reader that writes nothing passes this one.
NOWHERE = os.path.join(os.sep, 'nowhere')


class ExtractionError(Exception):
  """An archive cannot be extracted; the message names it (and the member)."""


class UnsafeArchiveError(ExtractionError):
  """A member would write outside the destination, or is not a plain file."""

  def __init__(self, archive: str, member_name: str, problem: str):
    self.archive = archive
    self.member_name = member_name
    super().__init__('%s: member %r %s; refusing to extract it (CVE-2007-4559)' %
                     (archive, member_name, problem))


class CorruptArchiveError(ExtractionError):
  """An archive is unreadable or truncated: its copy is bad, a fresh one may be fine."""

  def __init__(self, archive_path: str, problem: str, label: Optional[str] = None):
    self.archive_path = archive_path
    super().__init__('%s: %s' % (label or archive_path, problem))


class ExtractResult(NamedTuple):
  """What `extract_all` produced; None for an archive that was not given."""
  raw_dir: str
  train_counts: Optional[Dict[str, int]]
  num_validation_images: Optional[int]
  num_bounding_box_files: Optional[int]
  num_validation_bounding_box_files: Optional[int]
  num_test_images: Optional[int] = None


def require_extraction_filters() -> None:
  """Raises unless this Python's tarfile has extraction filters (PEP 706)."""
  if not hasattr(tarfile, 'data_filter'):
    raise ExtractionError(
        'this Python (%s) lacks tarfile extraction filters (PEP 706), needed to '
        'extract archives safely; use Python >= 3.11.4' %
        '.'.join(map(str, sys.version_info[:3])))


def _filter_problem(error: Exception) -> str:
  """A short description of a tarfile.FilterError."""
  if isinstance(error, tarfile.AbsolutePathError):
    return 'has an absolute path'
  if isinstance(error, tarfile.OutsideDestinationError):
    return 'would be written outside the destination'
  if isinstance(error, tarfile.SpecialFileError):
    return 'is a device or other special file'
  if isinstance(error, tarfile.AbsoluteLinkError):
    return 'is a link to the absolute path %r' % error.tarinfo.linkname
  if isinstance(error, tarfile.LinkOutsideDestinationError):
    return 'is a link leading outside the destination (to %r)' % (
        error.tarinfo.linkname)
  return 'is refused by the data filter (%s)' % error


def plain_member_name(archive: str, member: tarfile.TarInfo, dest_path: str = NOWHERE,
                      allow_subdirectories: bool = False,
                      seen: Optional[Set[str]] = None) -> str:
  """Checks one member before anything is written or read; returns its relative name.

  The one rule for members, applied by extraction, the tar index and the box
  tarball reader alike.

  Args:
    archive: the archive's name, for messages (e.g. 'train.tar:n01440764.tar').
    member: the member to check.
    dest_path: the directory it would be extracted into (NOWHERE when reading).
    allow_subdirectories: False for the image archives, whose members are plain
      file names; True for the box archives (`<wnid>/<name>.xml`, and directories).
    seen: the file names of the archive's members so far; this one is added.
      Extracted, a second member of one name would replace the first; indexed, it
      would be converted twice.

  Returns:
    The member's name without a leading './'.

  Raises:
    UnsafeArchiveError: absolute name, '..', link, special file, sparse file, or a
      path where a plain name is expected.
    ExtractionError: a file name already in `seen`.
  """
  name = member.name
  if name.startswith(('/', '\\')) or os.path.isabs(name) or (
      len(name) > 1 and name[1] == ':'):
    raise UnsafeArchiveError(archive, name, 'has an absolute path')
  if '..' in name.replace('\\', '/').split('/'):
    raise UnsafeArchiveError(archive, name, "climbs out of the destination with '..'")
  if not (member.isreg() or member.isdir()):
    # Links and special files: tarfile's own verdict names the problem precisely.
    # (Plain files and directories pass it once the checks above hold; extraction
    # applies it again anyway.)
    try:
      tarfile.data_filter(member, dest_path)
    except tarfile.FilterError as e:
      raise UnsafeArchiveError(archive, name, _filter_problem(e)) from None
  if member.issym() or member.islnk():
    raise UnsafeArchiveError(archive, name, 'is a link (to %r); the archives this tool '
                             'reads hold only files' % member.linkname)
  if member.issparse():
    raise UnsafeArchiveError(archive, name, 'is a sparse file')
  relative = name[2:] if name.startswith('./') else name
  relative = relative.rstrip('/')
  if not relative or relative == '.':
    raise UnsafeArchiveError(archive, name, 'has an empty name')
  if member.isdir():
    if not allow_subdirectories:
      raise UnsafeArchiveError(archive, name, 'is a directory; expected plain files')
  elif not member.isreg():
    raise UnsafeArchiveError(archive, name, 'is not a regular file')
  if not allow_subdirectories and '/' in relative:
    raise UnsafeArchiveError(archive, name, 'is not a plain file name')
  if seen is not None and member.isreg():
    if relative in seen:
      raise ExtractionError('%s: member %r appears twice' % (archive, relative))
    seen.add(relative)
  return relative


def check_end_of_archive(archive_path: str, tar: tarfile.TarFile,
                         label: Optional[str] = None) -> None:
  """Raises CorruptArchiveError unless `tar`, read to its last member, goes on to its
  end-of-archive marker (two zero blocks).

  tarfile stops without a word where a cut leaves no next header; reading the marker
  tells a complete archive from one cut on a member boundary.
  """
  end = tar.offset  # Where the member loop found no further header.
  first_block = tar.fileobj.tell() - end  # tarfile read the block at `end`, if any.
  if (first_block < tarfile.BLOCKSIZE or
      tar.fileobj.read(tarfile.BLOCKSIZE) != tarfile.NUL * tarfile.BLOCKSIZE):
    raise CorruptArchiveError(
        archive_path, 'truncated: it ends at byte %d, before its end-of-archive '
        'marker' % end, label)


def corrupt_archive(archive_path: str, error: Exception,
                    label: Optional[str] = None) -> CorruptArchiveError:
  """The error for tarfile failing in the middle of an archive."""
  return CorruptArchiveError(archive_path, 'corrupt archive (%s)' % error, label)


# Stamps and staging.


def _stamp_path(raw_dir: str, archive_path: str) -> str:
  return os.path.join(raw_dir, '.%s.extracted' % os.path.basename(archive_path))


def _archive_key(archive_path: str) -> Dict[str, int]:
  stat = os.stat(archive_path)
  return {'size': stat.st_size, 'mtime_ns': stat.st_mtime_ns}


def _read_stamp(raw_dir: str, archive_path: str) -> Optional[dict]:
  """The stamp's content if it was written for this very archive file."""
  try:
    with open(_stamp_path(raw_dir, archive_path)) as f:
      stamp = json.load(f)
  except (OSError, ValueError):
    return None
  if stamp.get('archive') != _archive_key(archive_path):
    return None
  return stamp


def _trusted_stamp(raw_dir: str, archive_path: str) -> Optional[dict]:
  """The extraction stamp, unless the archive awaits verification: then it is read
  (and checked) again, whatever was extracted from it before."""
  if _verification.pending_expectation(archive_path) is not None:
    return None
  return _read_stamp(raw_dir, archive_path)


def _write_stamp(raw_dir: str, archive_path: str, **content) -> None:
  content['archive'] = _archive_key(archive_path)
  core.write_text(_stamp_path(raw_dir, archive_path),
                          json.dumps(content, sort_keys=True) + '\n')


def _remove(path: str) -> None:
  """Deletes a file, a symlink (not its target) or a directory tree, if present."""
  if os.path.isdir(path) and not os.path.islink(path):
    shutil.rmtree(path)
  elif os.path.lexists(path):
    os.remove(path)


def _fresh_staging(raw_dir: str, *parts: str) -> str:
  """An empty staging directory raw-data/.extracting/<parts> (old content deleted)."""
  path = os.path.join(raw_dir, STAGING_DIRNAME, *parts)
  _remove(path)
  os.makedirs(path)
  return path


def _replace_dir(staging: str, final: str) -> None:
  """Moves a complete staging directory to `final`, replacing what was there."""
  if os.path.lexists(final):
    old = staging.rstrip('/') + '.old'
    _remove(old)
    os.rename(final, old)
    os.rename(staging, final)
    _remove(old)
  else:
    os.rename(staging, final)


def _remove_empty_staging(raw_dir: str) -> None:
  """Deletes raw-data/.extracting when nothing is left in it."""
  root = os.path.join(raw_dir, STAGING_DIRNAME)
  for directory, _, _ in sorted(os.walk(root), reverse=True):
    try:
      os.rmdir(directory)
    except OSError:
      pass


def _files_on_disk(directory: str) -> Dict[str, int]:
  """{name: size} of the regular files directly in `directory`."""
  with os.scandir(directory) as entries:
    return {entry.name: entry.stat().st_size for entry in entries
            if entry.is_file(follow_symlinks=False)}


def _count_files(directory: str) -> int:
  if not os.path.isdir(directory):
    return -1
  return len(_files_on_disk(directory))


def open_error(archive_path: str, error: Exception,
               label: Optional[str] = None) -> CorruptArchiveError:
  """The error for an archive that tarfile cannot open."""
  return CorruptArchiveError(archive_path, 'not a readable tar archive (%s)' % error,
                             label)


def _opened(archive_path: str, discard, stream, drop=None):
  """The reading of an archive that reads it whole: of the download still writing it
  (`stream`), else of the file, verifying it on the way if it awaits verification."""
  if stream is not None:
    return stream.open(discard, drop)
  return _verification.verifying_read(archive_path, discard, (ExtractionError,))


# Train.


def extract_train(train_tar: str, raw_dir: str, progress_interval: float = 10.0,
                  stream=None) -> Dict[str, int]:
  """Unpacks the tar of per-class tars into raw_dir/train/<wnid>/, in one pass.

  With `stream` (_streaming.Stream: `train_tar` is still downloading), the bytes are
  read from the download as they land, and the download's MD5 decides before the
  extraction is stamped.

  Returns:
    {wnid: number of images}, in archive order.

  Raises:
    UnsafeArchiveError: a member of the outer tar or of a class tar is refused
      (nothing of that class is kept).
    ExtractionError: an unreadable archive, or a member that is not `<wnid>.tar`.
  """
  require_extraction_filters()
  label = os.path.basename(train_tar)
  train_dir = os.path.join(raw_dir, core.TRAIN_DIRNAME)
  stamp = None if stream else _trusted_stamp(raw_dir, train_tar)
  if stamp and all(_count_files(os.path.join(train_dir, wnid)) == count
                   for wnid, count in stamp['counts'].items()):
    logging.info('%s: already extracted to %s (%d classes)', label, train_dir,
                 len(stamp['counts']))
    return dict(stamp['counts'])
  os.makedirs(train_dir, exist_ok=True)
  staging_root = _fresh_staging(raw_dir, core.TRAIN_DIRNAME)
  counts = {}
  tracker = core.Progress('extract %s' % label,
                          total=stream.size if stream else os.path.getsize(train_tar),
                          unit='bytes', interval=progress_interval)

  written = []

  def discard() -> str:
    # Everything in train/ comes from this tarball, extracted now or by an earlier
    # run of it (unverified as well).
    _remove(train_dir)
    _remove(staging_root)
    return 'everything extracted from it (%s) was removed' % train_dir

  def drop() -> str:
    # What this read wrote; classes it found complete were there before.
    for class_dir in written:
      _remove(class_dir)
    _remove(staging_root)
    return 'the %d classes extracted now were removed' % len(written)

  try:
    with _opened(train_tar, discard, stream, drop) as f:
      _extract_classes(f, train_tar, train_dir, staging_root, counts, tracker,
                       written)
  finally:
    _remove_empty_staging(raw_dir)
  tracker.finish()
  if not counts:
    raise ExtractionError('%s: holds no class tars' % label)
  _write_stamp(raw_dir, train_tar, counts=counts)
  return counts


def _extract_classes(f, train_tar: str, train_dir: str, staging_root: str,
                     counts: Dict[str, int], tracker: core.Progress,
                     written_dirs: List[str]) -> None:
  """The member loop of extract_train over the open train tar `f`; fills `counts`,
  and `written_dirs` with the class directories it wrote."""
  label = os.path.basename(train_tar)
  extracted = skipped = 0
  try:
    outer = tarfile.open(fileobj=f, mode='r:')
  except (OSError, tarfile.TarError) as e:
    raise open_error(train_tar, e) from None
  with outer:
    position = 0
    seen = set()
    try:
      for member in outer:
        name = plain_member_name(label, member, train_dir, seen=seen)
        wnid = class_tar_wnid(label, name)
        class_dir = os.path.join(train_dir, wnid)
        with outer.extractfile(member) as class_file:
          counts[wnid], written = _extract_class(
              class_file, train_tar, '%s:%s' % (label, name), class_dir,
              os.path.join(staging_root, wnid))
        extracted += written
        skipped += not written
        if written:
          written_dirs.append(class_dir)
        tracker.description = 'extract %s (%d classes: %d written, %d complete)' % (
            label, len(counts), extracted, skipped)
        # outer.offset is where the next header starts: progress in archive bytes.
        tracker.update(outer.offset - position, member.size)
        position = outer.offset
      check_end_of_archive(train_tar, outer, label)
    except tarfile.TarError as e:
      raise corrupt_archive(train_tar, e, label) from None
  if tracker.total is not None:
    tracker.update(max(0, tracker.total - position))  # The end-of-archive padding.


def class_tar_wnid(label: str, name: str) -> str:
  """The wnid of a member `<wnid>.tar` of the train tar; an error for another name."""
  if not name.endswith('.tar') or len(name) <= len('.tar'):
    raise ExtractionError('%s: member %r is not a class tar (<wnid>.tar)' %
                          (label, name))
  return name[:-len('.tar')]


def _extract_class(class_file, train_tar: str, label: str, class_dir: str,
                   staging: str) -> Tuple[int, bool]:
  """Unpacks one class tar; returns (image count, False if it was already complete)."""
  try:
    inner = tarfile.open(fileobj=class_file, mode='r:')
    members = inner.getmembers()  # Headers only: data is skipped by seeking.
  except tarfile.TarError as e:
    raise open_error(train_tar, e, label) from None
  sizes = {}
  seen = set()
  names = []
  for member in members:
    names.append(plain_member_name(label, member, staging, seen=seen))
    sizes[names[-1]] = member.size
  if os.path.isdir(class_dir) and _files_on_disk(class_dir) == sizes:
    return len(sizes), False
  _remove(staging)
  os.makedirs(staging)
  try:
    with _PlainFileWriter(staging) as writer:
      for name, member in zip(names, members):
        class_file.seek(member.offset_data)
        writer.write(name, _read_member(class_file, member, train_tar, label))
  except BaseException:
    shutil.rmtree(staging, ignore_errors=True)
    raise
  _replace_dir(staging, class_dir)
  return len(sizes), True


def _read_member(f, member: tarfile.TarInfo, archive_path: str, label: str) -> bytes:
  """A regular member's bytes, read from `f` at its position; a short read is a
  truncated archive."""
  data = f.read(member.size)
  if len(data) != member.size:
    raise CorruptArchiveError(
        archive_path, 'truncated: member %r has %d of its %d bytes' %
        (member.name, len(data), member.size), label)
  return data


class _PlainFileWriter(object):
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

  def __enter__(self) -> '_PlainFileWriter':
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


# Flat archives: validation images and bounding boxes.


def _extract_tree(archive_path: str, raw_dir: str, dirname: str,
                  allow_subdirectories: bool, progress_interval: float,
                  stream=None) -> int:
  """Streams `archive_path` (any compression) into raw_dir/dirname atomically.

  Returns the number of files. Skips the archive if its stamp is valid and the
  directory exists. With `stream`, reads the download still writing it (as
  extract_train).
  """
  require_extraction_filters()
  label = os.path.basename(archive_path)
  final = os.path.join(raw_dir, dirname)
  stamp = None if stream else _trusted_stamp(raw_dir, archive_path)
  if stamp and os.path.isdir(final):
    logging.info('%s: already extracted to %s (%d files)', label, final,
                 stamp['count'])
    return stamp['count']
  staging = _fresh_staging(raw_dir, dirname)
  tracker = core.Progress('extract %s' % label, unit='files',
                              interval=progress_interval)

  def discard() -> str:
    shutil.rmtree(staging, ignore_errors=True)
    return 'nothing extracted from it was kept'

  try:
    with _opened(archive_path, discard, stream) as f:
      count = _stream_members(f, archive_path, staging, allow_subdirectories,
                              tracker)
  except BaseException:
    shutil.rmtree(staging, ignore_errors=True)
    _remove_empty_staging(raw_dir)
    raise
  tracker.finish()
  if not count:
    shutil.rmtree(staging)
    _remove_empty_staging(raw_dir)
    raise ExtractionError('%s: holds no files' % label)
  _replace_dir(staging, final)
  _write_stamp(raw_dir, archive_path, count=count)
  _remove_empty_staging(raw_dir)
  return count


def _stream_members(f, archive_path: str, staging: str, allow_subdirectories: bool,
                    tracker: core.Progress) -> int:
  """Extracts the archive open as `f` (any compression) into `staging`, streaming;
  returns the number of files."""
  label = os.path.basename(archive_path)
  count = 0
  try:
    archive = tarfile.open(fileobj=f, mode='r|*')
  except (OSError, tarfile.TarError) as e:
    raise open_error(archive_path, e) from None
  try:
    with archive, _PlainFileWriter(staging) as writer:
      seen = set()
      while True:
        member = archive.next()
        if member is None:
          break
        name = plain_member_name(label, member, staging, allow_subdirectories, seen)
        if member.isreg() and '/' not in name:
          writer.write(name, _read_member(archive.extractfile(member), member,
                                          archive_path, label))
        else:
          with core.naming_write_errors(os.path.join(staging, member.name)):
            archive.extract(member, staging, set_attrs=False, filter='data')
        # Streaming keeps every header in `members`; 500k box files would pile up.
        archive.members.clear()
        if member.isreg():
          count += 1
          tracker.update(1, member.size)
      check_end_of_archive(archive_path, archive, label)
  except tarfile.TarError as e:
    raise corrupt_archive(archive_path, e, label) from None
  return count


def extract_validation(validation_tar: str, raw_dir: str,
                       progress_interval: float = 10.0, stream=None) -> int:
  """ILSVRC2012_img_val.tar → raw_dir/validation/*.JPEG. Returns the image count.

  `stream`: as for extract_train."""
  return _extract_tree(validation_tar, raw_dir, core.VALIDATION_DIRNAME,
                       allow_subdirectories=False, progress_interval=progress_interval,
                       stream=stream)


def extract_test(test_tar: str, raw_dir: str, progress_interval: float = 10.0,
                 stream=None) -> int:
  """The test tar → raw_dir/test/*.JPEG (flat, unlabelled). Returns the image count.

  `stream`: as for extract_train."""
  return _extract_tree(test_tar, raw_dir, core.TEST_DIRNAME, allow_subdirectories=False,
                       progress_interval=progress_interval, stream=stream)


def extract_bounding_boxes(tar_gz: str, raw_dir: str,
                           dirname: str = core.BOUNDING_BOXES_DIRNAME,
                           progress_interval: float = 10.0) -> int:
  """A box archive → raw_dir/<dirname>/ with the archive's own layout.

  The train boxes give bounding_boxes/<wnid>/*.xml; the validation boxes (v3) give
  validation_bounding_boxes/val/*.xml. Returns the number of files.
  """
  return _extract_tree(tar_gz, raw_dir, dirname, allow_subdirectories=True,
                       progress_interval=progress_interval)


def extract_tree(archive_path: str, raw_dir: str, dirname: str,
                 progress_interval: float = 10.0) -> int:
  """Any tarball (any compression) → raw_dir/<dirname>/ in the archive's own layout.

  With the member checks, atomically and once (a stamp skips it next time), as the
  box archives; for data sets other than ImageNet. Returns the number of files.
  """
  return _extract_tree(archive_path, raw_dir, dirname, allow_subdirectories=True,
                       progress_interval=progress_interval)


def extract_all(data_dir: str, train_tar: Optional[str] = None,
                validation_tar: Optional[str] = None,
                bbox_train_tar_gz: Optional[str] = None,
                bbox_validation_tgz: Optional[str] = None,
                progress_interval: float = 10.0,
                test_tar: Optional[str] = None) -> ExtractResult:
  """Extracts the given archives into data_dir/raw-data, smallest first."""
  if '://' in data_dir:
    raise ValueError('extraction needs a local directory, got %s' % data_dir)
  raw_dir = core.raw_data_dir(data_dir)
  os.makedirs(raw_dir, exist_ok=True)
  boxes = validation_boxes = validation = train = test = None
  if bbox_train_tar_gz:
    boxes = extract_bounding_boxes(bbox_train_tar_gz, raw_dir,
                                   core.BOUNDING_BOXES_DIRNAME, progress_interval)
  if bbox_validation_tgz:
    validation_boxes = extract_bounding_boxes(
        bbox_validation_tgz, raw_dir, core.VALIDATION_BOUNDING_BOXES_DIRNAME,
        progress_interval)
  if validation_tar:
    validation = extract_validation(validation_tar, raw_dir, progress_interval)
  if test_tar:
    test = extract_test(test_tar, raw_dir, progress_interval)
  if train_tar:
    train = extract_train(train_tar, raw_dir, progress_interval)
  result = ExtractResult(raw_dir, train, validation, boxes, validation_boxes, test)
  logging.info('Extracted into %s: %s', raw_dir, ', '.join(
      '%s %d' % (what, count) for what, count in (
          ('train classes', len(train) if train is not None else None),
          ('train images', sum(train.values()) if train is not None else None),
          ('validation images', validation), ('box files', boxes),
          ('validation box files', validation_boxes), ('test images', test))
      if count is not None))
  return result
