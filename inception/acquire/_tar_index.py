"""Where each file lies inside a tar, for converting without extracting.

`index_train_tar` reads a train tar of class tars (one `<class>.tar` per class) once,
front to back, and only its headers: for every class tar inside it, the headers of
its members, skipping the file data by seeking. A file's bytes are then `size` bytes
at `offset` of the outer archive (outer member data offset + inner member data
offset), so the converter can read them directly with no 140 GB copy on disk.
`index_flat_tar` does the same for a tar of plain files.

Member names are checked as for extraction (`_members.plain_member_name`): plain file
names of regular files only, each once, so a crafted archive cannot smuggle paths or
links in, nor a file in twice. As extraction does, an archive must reach its
end-of-archive marker (`_members.check_end_of_archive`): a truncated one raises
`_members.CorruptArchiveError`, never a shorter index.
Remote paths (s3://, gs://, ...) go through fsspec; local ones through plain files, which
read tar headers several times faster (inception.core).

Headers are read by `_tar_headers` (no tarfile.TarInfo per member: several times
faster) when the whole archive is the common case; at anything else the archive is
read again with tarfile, which gives every error and refusal as it always has.

A tarball that awaits verification (linked, not hashed yet: _verification) is read
whole by its index, hashed on the way and checked at the end; a wrong one gives no
index (ChecksumMismatch, the tarball moved aside), so no shard is written from it.
"""

import contextlib
import itertools
import os
import tarfile
from typing import ContextManager, Dict, IO, List, NamedTuple, Optional

from inception import core
from inception.acquire import _members
from inception.acquire import _tar_headers
from inception.acquire import _verification

# The pieces a tarball read whole (hashed on the way) is read in.
_READ_AHEAD_PIECE = 4 << 20


class TarMember(NamedTuple):
  """One file inside an archive: `size` bytes at byte `offset` of `archive_path`.

  `class_tar` is the inner tar that holds it in a tar of class tars ('' in a flat
  tar). Errors and reports name it ARCHIVE:MEMBER (str), e.g.
  'train.tar:n01440764.tar:n01440764_10026.JPEG'.
  """
  archive_path: str
  offset: int
  size: int
  name: str
  class_tar: str = ''

  def __str__(self) -> str:
    return ':'.join(part for part in (os.path.basename(self.archive_path),
                                      self.class_tar, self.name) if part)


def _index_members(tar: tarfile.TarFile, archive_path: str, label: str,
                   base_offset: int, class_tar: str = '') -> List[TarMember]:
  """TarMembers for a tar of plain files whose data starts at `base_offset` (the
  class tar `class_tar` of the archive, or the archive itself)."""
  members = []
  seen = set()
  for member in tar:
    name = _members.plain_member_name(label, member, seen=seen)
    members.append(TarMember(archive_path, base_offset + member.offset_data,
                             member.size, name, class_tar))
  return members


def _open_tar(fileobj: IO[bytes], archive_path: str, label: str) -> tarfile.TarFile:
  try:
    return tarfile.open(fileobj=fileobj, mode='r:')
  except tarfile.TarError as e:
    raise _members.open_error(archive_path, e, label) from None


def _blocks(f: IO[bytes]) -> ContextManager[_tar_headers.Blocks]:
  """The blocks of `f`: read ahead in large pieces by a second thread if it is read
  whole anyway (hashed on the way), else a little from each header on."""
  if isinstance(f, _verification.HashingReader):
    return _tar_headers.ReadAhead(f, _READ_AHEAD_PIECE)
  return contextlib.nullcontext(_tar_headers.Blocks(f))


def _tar_members(archive_path: str, members: _tar_headers.Members,
                 class_tar: str = '') -> List[TarMember]:
  """TarMembers of _tar_headers' members (made in C: no Python call per member)."""
  return list(map(tuple.__new__, itertools.repeat(TarMember), zip(
      itertools.repeat(archive_path), members.offsets, members.sizes, members.names,
      itertools.repeat(class_tar))))


def _fast_train_index(blocks: _tar_headers.Blocks, train_tar: str,
                      tracker: core.Progress) -> Optional[Dict[str, List[TarMember]]]:
  """index_train_tar's index by _tar_headers; None if the archive is not the common
  case (it is then read with tarfile)."""
  index = {}
  try:
    for name, members in _tar_headers.class_tars(
        blocks, lambda offset: tracker.update(offset - tracker.done, 0)):
      if not name.endswith('.tar') or name == '.tar':
        return None  # class_of_member's error, from tarfile's reading.
      index[name[:-len('.tar')]] = _tar_members(train_tar, members, name)
  except _tar_headers.NotPlain:
    return None
  return index


def _no_output() -> str:
  return 'no index (and so no shard) was made from it'


def _tarfile_train_index(f: IO[bytes], train_tar: str, label: str,
                         tracker: core.Progress) -> Dict[str, List[TarMember]]:
  """index_train_tar's index by tarfile, with every check and error."""
  index = {}
  f.seek(0)  # From the start again, after a fast reading that gave up.
  outer = _open_tar(f, train_tar, label)
  with outer:
    seen = set()
    try:
      for member in outer:
        # outer.offset is where the next header starts: progress in archive bytes
        # (past what a fast reading that gave up has counted already).
        tracker.update(max(0, outer.offset - tracker.done), 0)
        name = _members.plain_member_name(label, member, seen=seen)
        class_name = _members.class_of_member(label, name)
        inner_label = '%s:%s' % (label, name)
        with outer.extractfile(member) as class_file:
          with _open_tar(class_file, train_tar, inner_label) as inner:
            index[class_name] = _index_members(inner, train_tar, inner_label,
                                               member.offset_data, name)
      _members.check_end_of_archive(train_tar, outer, label)
    except tarfile.TarError as e:
      raise _members.corrupt_archive(train_tar, e, label) from None
  return index


def index_train_tar(train_tar: str, progress_interval: float = 10.0,
                    record: Optional[str] = None) -> Dict[str, List[TarMember]]:
  """{class: [TarMember of each file]} for a train tar of per-class tars.

  `record`: for a tarball read in place from a store, the path its verification
  records are named after (_store); None: the tarball's own.

  One sequential pass over headers only; the image data is never read (unless the
  tarball is still to be verified, which reads it all once). Logs progress in archive
  bytes, with rate and ETA (minutes for ImageNet's 140 GB when verifying).

  Raises:
    _members.UnsafeArchiveError: a member name or type is refused.
    _members.CorruptArchiveError: an unreadable or truncated archive.
    _members.ExtractionError: a member that is not <class>.tar, or one seen before.
  """
  label = os.path.basename(train_tar)
  total = core.size(train_tar)
  tracker = core.Progress('index %s' % label, total=total,
                          unit='bytes', interval=progress_interval)
  with _verification.verifying_read(train_tar, _no_output,
                                    (_members.ExtractionError,), record) as f:
    with _blocks(f) as blocks:
      index = _fast_train_index(blocks, train_tar, tracker)
    if index is None:
      index = _tarfile_train_index(f, train_tar, label, tracker)
  if total is not None:
    tracker.update(max(0, total - tracker.done))  # The end-of-archive padding.
  tracker.finish()
  if not index:
    raise _members.ExtractionError('%s: holds no class tars' % label)
  return index


def index_flat_tar(tar_path: str, record: Optional[str] = None) -> List[TarMember]:
  """[TarMember] of an uncompressed tar of plain files (e.g. the validation tar);
  `record` as for index_train_tar."""
  label = os.path.basename(tar_path)
  with _verification.verifying_read(tar_path, _no_output,
                                    (_members.ExtractionError,), record) as f:
    try:
      with _blocks(f) as blocks:
        return _tar_members(tar_path, _tar_headers.members(blocks))
    except _tar_headers.NotPlain:
      return _tarfile_flat_index(f, tar_path, label)


def _tarfile_flat_index(f: IO[bytes], tar_path: str, label: str) -> List[TarMember]:
  """index_flat_tar's index by tarfile, with every check and error."""
  f.seek(0)  # From the start again, after a fast reading that gave up.
  with _open_tar(f, tar_path, label) as tar:
    try:
      members = _index_members(tar, tar_path, label, 0)
      _members.check_end_of_archive(tar_path, tar, label)
    except tarfile.TarError as e:
      raise _members.corrupt_archive(tar_path, e, label) from None
  return members
