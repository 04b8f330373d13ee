"""What a file to fetch must be (`Archive`), and md5sum-format checksums files.

The caller knows its data set's archives (inception.imagenet's catalogue, flowers'
pinned tarball); acquire fetches and verifies whatever archives it is given.
"""

import dataclasses
import os
import re
from typing import Dict, Optional, Tuple

from inception import core
from inception.acquire import _verification

_CHECKSUM_LINE = re.compile(r'^([0-9a-fA-F]{32}) [ *](.+)$')


@dataclasses.dataclass(frozen=True)
class Archive:
  """One file to fetch: its name, byte size (None if unknown) and MD5.

  Attributes:
    name: the file's name in the download directory and at the source.
    size: its byte size, checked before and after the transfer; None if unknown.
    md5: its MD5 hex digest, checked in the stream that fetches or first reads it.
    other_names: names a source directory may hold it under instead (the first of
      `names` present is taken).
  """
  name: str
  size: Optional[int]
  md5: str
  other_names: Tuple[str, ...] = ()

  @property
  def names(self) -> Tuple[str, ...]:
    """Its name, then its other names."""
    return (self.name,) + tuple(self.other_names)

  @property
  def expected(self) -> _verification.Expected:
    """The size and MD5 its verification checks."""
    return _verification.Expected(self.size, self.md5)


def parse_checksums_file(text: str, path: str = '<checksums>') -> Dict[str, str]:
  """Parses md5sum output (`<md5>  <name>` or `<md5> *<name>`) into {basename: md5}.

  Blank lines and `#` comments are skipped; any other malformed line is an error
  naming `path` and the line number.
  """
  checksums = {}
  for number, line in enumerate(text.splitlines(), 1):
    stripped = line.strip()
    if not stripped or stripped.startswith('#'):
      continue
    match = _CHECKSUM_LINE.match(stripped)
    if not match:
      raise ValueError('%s:%d: not an md5sum line ("<32 hex digits>  <name>"): %r' %
                       (path, number, line[:200]))
    checksums[os.path.basename(match.group(2))] = match.group(1).lower()
  return checksums


def read_checksums_file(path: str) -> Dict[str, str]:
  """The {basename: md5} of an md5sum-format file (see parse_checksums_file)."""
  return parse_checksums_file(core.read_text(path), path)
