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
(_staging). A tarball awaiting verification is hashed by the extraction that reads
it (_verification); one still downloading is read as its bytes land (`stream`:
_streaming).
"""

import dataclasses
from typing import Dict, Union

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
  """
  layout: str
  root: str
  dirname: str

  def __post_init__(self):
    if self.layout not in _EXTRACTORS:
      raise ValueError('layout must be one of %s, got %r' %
                       (sorted(_EXTRACTORS), self.layout))


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
  return _EXTRACTORS[extraction.layout](archive_path, extraction.root,
                                        extraction.dirname, progress_interval,
                                        stream)
