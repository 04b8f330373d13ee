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
Remote paths (gs://...) go through tf.io.gfile; local ones through plain files, which
read tar headers several times faster (inception.core).

A tarball that awaits verification (linked, not hashed yet: _verification) is read
whole by its index, hashed on the way and checked at the end; a wrong one gives no
index (ChecksumMismatch, the tarball moved aside), so no shard is written from it.
"""

import os
import tarfile
from typing import Dict, IO, List, NamedTuple

from inception import core
from inception.acquire import _members
from inception.acquire import _verification


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


def _no_output() -> str:
  return 'no index (and so no shard) was made from it'


def index_train_tar(train_tar: str,
                    progress_interval: float = 10.0) -> Dict[str, List[TarMember]]:
  """{class: [TarMember of each file]} for a train tar of per-class tars.

  One sequential pass over headers only; the image data is never read (unless the
  tarball is still to be verified, which reads it all once). Logs progress in archive
  bytes, with rate and ETA (minutes for ImageNet's 140 GB when verifying).

  Raises:
    _members.UnsafeArchiveError: a member name or type is refused.
    _members.CorruptArchiveError: an unreadable or truncated archive.
    _members.ExtractionError: a member that is not <class>.tar, or one seen before.
  """
  label = os.path.basename(train_tar)
  index = {}
  total = None if core.is_remote(train_tar) else os.path.getsize(train_tar)
  tracker = core.Progress('index %s' % label, total=total,
                          unit='bytes', interval=progress_interval)
  with _verification.verifying_read(train_tar, _no_output,
                                    (_members.ExtractionError,)) as f:
    outer = _open_tar(f, train_tar, label)
    with outer:
      seen = set()
      try:
        for member in outer:
          # outer.offset is where the next header starts: progress in archive bytes.
          tracker.update(outer.offset - tracker.done, 0)
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
  if total is not None:
    tracker.update(max(0, total - tracker.done))  # The end-of-archive padding.
  tracker.finish()
  if not index:
    raise _members.ExtractionError('%s: holds no class tars' % label)
  return index


def index_flat_tar(tar_path: str) -> List[TarMember]:
  """[TarMember] of an uncompressed tar of plain files (e.g. the validation tar)."""
  label = os.path.basename(tar_path)
  with _verification.verifying_read(tar_path, _no_output,
                                    (_members.ExtractionError,)) as f:
    with _open_tar(f, tar_path, label) as tar:
      try:
        members = _index_members(tar, tar_path, label, 0)
        _members.check_end_of_archive(tar_path, tar, label)
      except tarfile.TarError as e:
        raise _members.corrupt_archive(tar_path, e, label) from None
  return members
