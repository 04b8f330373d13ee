"""Tar archives built in memory, for the tests of code that reads them."""

import io
import tarfile
from typing import Iterable, Tuple, Union

Member = Union[tarfile.TarInfo, Tuple[str, bytes]]


def tar_bytes(members: Iterable[Member], mode: str = 'w',
              tar_format: int = tarfile.GNU_FORMAT) -> bytes:
  """A tar (mode 'w') or tar.gz ('w:gz') of (name, bytes) files, or of TarInfos as they
  are (links, devices, odd names: what the safety checks must refuse), in
  `tar_format` (tarfile's GNU, USTAR or PAX)."""
  out = io.BytesIO()
  with tarfile.open(fileobj=out, mode=mode, format=tar_format) as tar:
    for member in members:
      if isinstance(member, tarfile.TarInfo):
        tar.addfile(member)
      else:
        name, data = member
        info = tarfile.TarInfo(name)
        info.size = len(data)
        tar.addfile(info, io.BytesIO(data))
  return out.getvalue()


def cut_before_member(data: bytes, index: int) -> bytes:
  """The tar `data` cut just before member `index`: on a header boundary, where
  tarfile alone ends without a word."""
  with tarfile.open(fileobj=io.BytesIO(data)) as tar:
    return data[:tar.getmembers()[index].offset]
