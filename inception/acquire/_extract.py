"""Extracting an archive safely, by its layout, where the caller says (`Extraction`).

An archive's layout decides how it is extracted:
  CLASS_TARS  a tar of `<class>.tar` tars of plain files → <root>/<dirname>/<class>/*
              (_class_tars: one pass, each class tar unpacked from where it lies);
  FLAT        plain files only → <root>/<dirname>/* (_tree);
  TREE        files and directories → <root>/<dirname>/..., as the archive holds them
              (_tree).
Every member is checked first (_members: nothing is ever written outside the
destination, a truncated archive is an error); each output directory is built in
staging and renamed into place, and a stamp lets a re-run skip a done archive
(_staging). The caller may check the set of member names as well
(`Extraction.check_members`, FLAT and TREE), before anything is moved into place. A tarball awaiting verification is hashed by the extraction that reads
it (_verification); one still downloading is read as its bytes land (`stream`:
_streaming).
"""

import dataclasses
from typing import Dict, Optional, Union

from inception.acquire import _class_tars
from inception.acquire import _tree

CLASS_TARS = 'class_tars'
FLAT = 'flat'
TREE = 'tree'
_EXTRACTORS = {CLASS_TARS: _class_tars.extract_class_tars,
               FLAT: _tree.extract_flat,
               TREE: _tree.extract_tree}


@dataclasses.dataclass(frozen=True)
class Extraction:
  """How and where one archive is extracted.

  Attributes:
    layout: CLASS_TARS, FLAT or TREE (see the module docstring).
    root: the directory holding the output directory, the staging directory
      (.extracting/) and the archive's stamp (.<archive>.extracted).
    dirname: the output directory's name in `root`.
    check_members: FLAT and TREE: called as check_members(archive_path, names) with
      the names of the files extracted (member names, '/'-separated) once the archive
      is read whole, before they are moved into place; a problem it returns (a
      message naming the archive) refuses the archive, and nothing of it is kept
      (ExtractionError). None: no check.
  """
  layout: str
  root: str
  dirname: str
  check_members: Optional[_tree.MembersCheck] = None

  def __post_init__(self):
    if self.layout not in _EXTRACTORS:
      raise ValueError('layout must be one of %s, got %r' %
                       (sorted(_EXTRACTORS), self.layout))
    if self.check_members is not None and self.layout == CLASS_TARS:
      raise ValueError('check_members is for the %s and %s layouts' % (FLAT, TREE))


def extract(archive_path: str, extraction: Extraction,
            progress_interval: float = 10.0,
            stream=None) -> Union[Dict[str, int], int]:
  """Extracts `archive_path` as `extraction` says.

  With `stream` (_streaming.Stream: the archive is still downloading), its bytes are
  read as they land and the download's MD5 decides before the extraction is stamped.

  Returns:
    For CLASS_TARS, {class: number of files} in archive order; else the number of
    files.
  """
  check = () if extraction.check_members is None else (extraction.check_members,)
  return _EXTRACTORS[extraction.layout](archive_path, extraction.root,
                                        extraction.dirname, progress_interval,
                                        stream, *check)
