"""The one rule for an archive's members, and the errors of reading archives.

Safety (CVE-2007-4559): every member is checked before anything is written or read.
An absolute name, a `..` component, a link, a device or other special file, (where
plain files are expected) anything but a plain file name, or a file name seen before
in the archive is refused with an error naming the archive and the member
(`plain_member_name`); tarfile's 'data' extraction filter (PEP 706) then guards each
write itself. Extraction, the tar index and the box tarball reader all apply it, so
every mode accepts the same archives.

Completeness: tarfile ends silently where a cut leaves no next header, so an archive
must reach its end-of-archive marker (`check_end_of_archive`); a truncated or
unreadable archive raises `CorruptArchiveError`, which names the file (a fresh copy
may cure it).
"""

import os
import sys
import tarfile
from typing import Optional, Set

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
    allow_subdirectories: False for archives of plain file names (a flat archive,
      a class tar); True for a tree (e.g. `<wnid>/<name>.xml`, and directories).
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


def open_error(archive_path: str, error: Exception,
               label: Optional[str] = None) -> CorruptArchiveError:
  """The error for an archive that tarfile cannot open."""
  return CorruptArchiveError(archive_path, 'not a readable tar archive (%s)' % error,
                             label)


def class_of_member(label: str, name: str) -> str:
  """The class of a member `<class>.tar` (a wnid, in a train tar) of a tar of class
  tars; an error for another name."""
  if not name.endswith('.tar') or len(name) <= len('.tar'):
    raise ExtractionError('%s: member %r is not a class tar (<wnid>.tar)' %
                          (label, name))
  return name[:-len('.tar')]


def read_member(f, member: tarfile.TarInfo, archive_path: str, label: str) -> bytes:
  """A regular member's bytes, read from `f` at its position; a short read is a
  truncated archive."""
  return read_exactly(f, member.name, member.size, archive_path, label)


def read_exactly(f, name: str, size: int, archive_path: str, label: str) -> bytes:
  """`size` bytes of member `name`, read from `f` at its position; a short read is a
  truncated archive."""
  data = f.read(size)
  if len(data) != size:
    raise CorruptArchiveError(
        archive_path, 'truncated: member %r has %d of its %d bytes' %
        (name, len(data), size), label)
  return data
