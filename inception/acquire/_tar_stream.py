"""The regular files of a tree-shaped tar read front to back as a stream (a box
archive's `<wnid>/<name>.xml`), by their headers' size fields alone where every
header is the common case.

tarfile builds a TarInfo per member (its checksums, every field decoded: ~70 us),
more than parsing the small XML that follows it takes. Here the stream is read in
large pieces, the headers walked by their size fields, and the headers of up to
_BATCH members checked at once (one regular expression, numpy for the checksums)
before their files are given. The reader answers only for the common case that
tarfile and `_members.plain_member_name(allow_subdirectories=True)` accept as they
are:

- a ustar or GNU header (_tar_headers.header_pattern: its unsigned checksum right,
  its number fields as tarfile and GNU tar write them, no ustar prefix) of a regular
  file (type '0' or NUL) or of a directory (type '5', size 0);
- a relative name of printable ASCII segments but '\\\\' and ':', joined by '/'
  (none empty, none '.' or '..', no './' before it; a file's not ending in '/'),
  each file name once in the tar;
- the members followed by the end-of-archive marker, two zero blocks.

At anything else it raises `_tar_headers.NotPlain`, having given the files of the
batches checked before; the caller then reads the tar again with tarfile from its
start, skipping the files already given, so that every rule and every error message
stays tarfile's and `_members`' own (tests/acquire/tar_stream_test.py compares the
two on every kind of tar).
"""

import re
from typing import IO, Iterator, List, Set, Tuple

from inception.acquire import _tar_headers

# Read from the stream at a time (a gzip stream inflates it in C).
_PIECE_SIZE = 4 << 20
# Headers checked at once.
_BATCH = 4096

# Group 1: the name (at most 99 characters and a NUL); group 2: the type flag.
_TREE_HEADER = _tar_headers.header_pattern(
    rb'(?=(?=[^\x00]{1,99}\x00)([ -.0-9;-\[\]-~]+(?:/[ -.0-9;-\[\]-~]+)*/?)\x00)',
    rb'([0\x005])')
_DOT_SEGMENT = re.compile(r'(?:^|/)\.\.?(?:/|$)', re.MULTILINE)
_DIRECTORY = b'5'


class _Pieces(object):
  """A binary stream read front to back in large pieces."""

  def __init__(self, stream: IO[bytes], piece_size: int):
    self._stream = stream
    self._piece_size = piece_size
    self._buffer = b''
    self._position = 0

  def take(self, size: int) -> Tuple[bytes, int]:
    """(buffer, start): the next `size` bytes are buffer[start:start + size].

    Raises:
      NotPlain: the stream ends first.
    """
    end = self._position + size
    if end > len(self._buffer):
      parts = [self._buffer[self._position:]]
      have = len(parts[0])
      while have < size:
        piece = self._stream.read(max(self._piece_size, size - have))
        if not piece:
          raise _tar_headers.NotPlain('the stream ends in a member')
        parts.append(piece)
        have += len(piece)
      self._buffer, self._position, end = b''.join(parts), 0, size
    start, self._position = self._position, end
    return self._buffer, start

  def drain(self) -> None:
    """Reads the stream to its end (a gzip stream's CRC is checked there)."""
    while self._stream.read(self._piece_size):
      pass


def plain_tree_files(stream: IO[bytes], piece_size: int = _PIECE_SIZE,
                     batch_size: int = _BATCH) -> Iterator[Tuple[str, bytes]]:
  """(name, data) of each regular file of the tar `stream`, read from its start to
  its end, in archive order; `piece_size` bytes read at a time, the headers of
  `batch_size` members checked at once.

  Raises:
    NotPlain: anything but the common case (module docstring), found before or
      after some files were given.
  """
  pieces = _Pieces(stream, piece_size)
  seen: Set[str] = set()
  members = 0
  ended = False
  while not ended:
    headers, sizes, data = [], [], []
    while len(headers) < batch_size:
      buffer, start = pieces.take(_tar_headers.BLOCK_SIZE)
      header = buffer[start:start + _tar_headers.BLOCK_SIZE]
      if header == _tar_headers.ZERO_BLOCK:
        ended = True
        break
      size = _size(header)
      buffer, start = pieces.take(_tar_headers.padded(size))
      headers.append(header)
      sizes.append(size)
      data.append(buffer[start:start + size])
    members += len(headers)
    if headers:
      yield from _checked(headers, sizes, data, seen)
  buffer, start = pieces.take(_tar_headers.BLOCK_SIZE)
  if not members or (buffer[start:start + _tar_headers.BLOCK_SIZE] !=
                     _tar_headers.ZERO_BLOCK):
    raise _tar_headers.NotPlain('no members, or one zero block only')
  pieces.drain()


def _size(header: bytes) -> int:
  """The size field of a header, in the common form (11 octal digits and a NUL)."""
  start, end = _tar_headers.SIZE_FIELD
  digits = header[start:end - 1]
  if not digits.isdigit() or header[end - 1]:
    raise _tar_headers.NotPlain('not a common size field')
  try:
    return int(digits, 8)
  except ValueError:  # digits 8 or 9
    raise _tar_headers.NotPlain('not an octal size') from None


def _checked(headers: List[bytes], sizes: List[int], data: List[bytes],
             seen: Set[str]) -> List[Tuple[str, bytes]]:
  """The files among the members walked, if every header is the common case."""
  joined = b''.join(headers)
  found = _TREE_HEADER.findall(joined)
  if len(found) != len(headers) or _tar_headers.wrong_checksums(joined).any():
    raise _tar_headers.NotPlain('not a common header')
  names = [name.decode('ascii') for name, _ in found]
  if _DOT_SEGMENT.search('\n'.join(names)):
    raise _tar_headers.NotPlain("a '.' or '..' in a name")
  files = []
  for name, (_, member_type), size, content in zip(names, found, sizes, data):
    if member_type == _DIRECTORY:
      if size:
        raise _tar_headers.NotPlain('a directory with data')
      continue
    if name.endswith('/') or name in seen:
      raise _tar_headers.NotPlain('a file name ending in / or seen twice')
    seen.add(name)
    files.append((name, content))
  return files
