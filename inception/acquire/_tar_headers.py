"""A fast reader of the headers of plain tars, for the tar index and extraction.

tarfile builds a TarInfo per member, parsing and decoding every field of its header
(about 100 us each): ImageNet's train tar holds 1.28 M members, and indexing it ran
at a fraction of `md5sum`'s speed. Here a tar is walked header to header by its size
fields alone, seeking past the data (or, for a file hashed on the way, reading it
whole in large pieces in a second thread: ReadAhead), and the headers walked are then
checked together,
a few thousand at a time: one regular expression for the common header, numpy for
the checksums. The fast reader answers only when every header is the common case
that tarfile and `_members.plain_member_name` accept as they are:

- a ustar or GNU header (magic 'ustar\\x0000' or 'ustar  \\x00') of a regular file
  (type '0' or NUL) with no ustar name prefix;
- its unsigned checksum right, every number field octal digits (padded with spaces,
  ended by a NUL or the field's end: what tarfile's `nti` parses, base-256 aside);
- a plain printable ASCII file name (an optional './' before it; no '/', '\\\\' or
  ':'; not '.' nor '..'), each name once in its tar;
- the members followed by the end-of-archive marker: for a whole file, two zero
  blocks (what `_members.check_end_of_archive` requires); for a tar inside another
  (a class tar), one zero block within its bounds (where tarfile stops reading it).

Headers as tarfile and GNU tar write them (digits and a NUL in each number field)
are checked at once; any other that may still be plain, one by one in Python. At
anything else (pax or GNU long-name headers, links, directories, base-256 numbers,
a bad checksum, a truncated or empty tar, a name seen twice) it raises `NotPlain`,
and the caller reads that archive with tarfile instead, so that every rule and every
error message stays tarfile's and `_members`' own. Where the fast reader answers,
it gives exactly what tarfile would: the same names, data offsets and sizes, in the
same order (tests/acquire/tar_headers_test.py compares them on every kind of tar).
"""
import io
import queue
import re
import sys
import threading
from typing import TYPE_CHECKING, Callable, IO, Iterator, List, NamedTuple, Tuple

if TYPE_CHECKING:
  import numpy as np

BLOCK_SIZE = 512
ZERO_BLOCK = bytes(BLOCK_SIZE)
# Headers checked at once: a few MB of them.
_BATCH = 8192
# The GIL switch interval while a ReadAhead reads (s; Python's default is 0.005).
_SWITCH_INTERVAL = 0.0002

# Header fields (tarfile's frombuf): [start, end) in the block.
_NAME_END = 100
SIZE_FIELD = (124, 136)
_CHECKSUM = (148, 156)
_TYPE = 156
_MAGIC = 257
_PREFIX = 345
_MAGICS = (b'ustar\x0000', b'ustar  \x00')
_NUMBER_FIELDS = ((100, 108), (108, 116), (116, 124), (136, 148), (329, 337),
                  (337, 345))  # mode, uid, gid, mtime, devmajor, devminor.


def header_pattern(name: bytes, member_type: bytes) -> 're.Pattern[bytes]':
  """The common header, a whole block, its name field matched by the lookahead
  `name` and its type flag by `member_type` (_COMMON_HEADER; _tar_stream's)."""
  return re.compile(
      name + rb'.{100}'
      rb'(?:[0-7]{7}\x00){3}[0-7]{11}\x00[0-7]{11}\x00[0-7]{6}\x00 ' + member_type +
      rb'.{100}ustar(?:\x0000|  \x00).{64}(?:[0-7\x00]{7}\x00){2}\x00.{166}',
      re.DOTALL)


# The common header, a whole block: a plain name (printable ASCII but '/', '\\' and
# ':', an optional './' before it) ended by a NUL; the number fields as tarfile and
# GNU tar write them (mode, uid, gid, size, mtime: octal digits and a NUL; the
# checksum: 6 digits, NUL, space); a regular file; either magic; devmajor and
# devminor octal digits or NULs; no prefix. Group 1: the name.
_COMMON_HEADER = header_pattern(rb'(?=(?:\./)?([ -.0-9;-\[\]-~]{1,99})\x00)',
                                rb'[0\x00]')
_CHECKSUM_WEIGHTS = tuple(8 ** k for k in range(5, -1, -1))  # of its 6 octal digits
# A number field that tarfile's nti parses as octal: the part before the first NUL
# stripped of spaces is octal digits (or nothing, which is 0).
_OCTAL = re.compile(rb' *[0-7]* *(?:\x00.*)?', re.DOTALL)
# A plain file name field, as in _COMMON_HEADER, or filling the field.
_PLAIN_NAME = re.compile(rb'(?:\./)?([ -.0-9;-\[\]-~]+)(?:\x00|\Z)')


class Members(NamedTuple):
  """The members of a tar, in order: their names, data offsets and sizes."""
  names: List[str]
  offsets: List[int]
  sizes: List[int]


class NotPlain(Exception):
  """The tar holds something the fast reader leaves to tarfile."""


class Blocks(object):
  """The 512-byte blocks of a binary file, read `read_size` bytes at a time from
  each block asked for that is not read yet: a little to seek past the member data
  beyond (which is then never read), a lot for a file read whole anyway (hashed on
  the way: _verification.HashingReader hashes what a seek skips)."""

  def __init__(self, f: IO[bytes], read_size: int = io.DEFAULT_BUFFER_SIZE):
    self._file = f
    self._read_size = max(read_size, BLOCK_SIZE)
    self._buffer = b''
    self._start = 0

  def at(self, offset: int) -> Tuple[bytes, int]:
    """(buffer, position): the block at `offset` is buffer[position:position + 512].

    Raises:
      NotPlain: the file ends before the block does.
    """
    position = offset - self._start
    if position < 0 or position + BLOCK_SIZE > len(self._buffer):
      self._file.seek(offset)
      self._buffer, self._start = self._file.read(self._read_size), offset
      position = 0
      if len(self._buffer) < BLOCK_SIZE:
        raise NotPlain('the file ends in a header')
    return self._buffer, position


class _FastSwitching(object):
  """The GIL switch interval at _SWITCH_INTERVAL while any ReadAhead runs.

  A reader thread takes the GIL back after each read and each update of the hash:
  at the default 5 ms interval it would wait for the walk about that long each time,
  more than hashing a piece takes. Counted, so that read-aheads in several threads
  restore the interval only when the last one ends.
  """

  def __init__(self):
    self._lock = threading.Lock()
    self._users = 0
    self._saved = None

  def enter(self) -> None:
    with self._lock:
      if not self._users:
        self._saved = sys.getswitchinterval()
        sys.setswitchinterval(min(self._saved, _SWITCH_INTERVAL))
      self._users += 1

  def exit(self) -> None:
    with self._lock:
      self._users -= 1
      if not self._users:
        sys.setswitchinterval(self._saved)


_SWITCHING = _FastSwitching()


class ReadAhead(Blocks):
  """The blocks of a binary file read whole, front to back: a second thread reads it
  in `piece_size` pieces, `depth` pieces ahead, while the caller walks the headers.

  For a file hashed on the way (_verification.HashingReader), the reading and the
  hashing, which release the GIL, then overlap the walk, which holds it: on two cores
  the MD5 is mostly hidden behind the walk. Blocks are asked for in increasing order
  (the walk's). A context manager: the thread has stopped once it exits, so the file
  is the caller's again (to read with tarfile, or to hash the rest).
  """

  def __init__(self, f: IO[bytes], piece_size: int, depth: int = 4):
    super().__init__(f)
    self._piece_size = piece_size
    self._pieces = queue.Queue(depth)
    self._stopping = threading.Event()
    self._thread = threading.Thread(target=self._read, name='tar-read-ahead',
                                    daemon=True)

  def __enter__(self) -> 'ReadAhead':
    _SWITCHING.enter()
    self._thread.start()
    return self

  def __exit__(self, *unused_exc_info) -> None:
    self._stopping.set()
    while self._thread.is_alive():
      try:  # Room for a last piece the reader may be putting.
        self._pieces.get_nowait()
      except queue.Empty:
        pass
      self._thread.join(0.01)
    _SWITCHING.exit()

  def _read(self) -> None:
    try:
      while not self._stopping.is_set():
        piece = self._file.read(self._piece_size)
        self._pieces.put(piece)
        if not piece:
          return
    except BaseException as e:  # pylint: disable=broad-except
      self._pieces.put(e)  # Raised in the walk.

  def _next_piece(self) -> bytes:
    """The piece after the buffer; NotPlain at the end of the file."""
    piece = self._pieces.get()
    if isinstance(piece, BaseException):
      raise piece
    if not piece:
      raise NotPlain('the file ends in a header')
    return piece

  def at(self, offset: int) -> Tuple[bytes, int]:
    position = offset - self._start
    if position < 0:
      raise ValueError('read ahead: block %d asked for after %d' % (
          offset, self._start))
    while position >= len(self._buffer):  # Past the buffer: the pieces on.
      self._start += len(self._buffer)
      position -= len(self._buffer)
      self._buffer = self._next_piece()
    if position + BLOCK_SIZE <= len(self._buffer):
      return self._buffer, position
    block = self._buffer[position:]  # The block goes on in the next pieces.
    while len(block) < BLOCK_SIZE:
      self._start += len(self._buffer)
      self._buffer = self._next_piece()
      block += self._buffer[:BLOCK_SIZE - len(block)]
    return block, 0


def padded(offset: int) -> int:
  """`offset` rounded up to a whole block: where a header follows data ending there."""
  return -(-offset // BLOCK_SIZE) * BLOCK_SIZE


def _number(field: bytes) -> int:
  """The value of an octal field, as tarfile's nti reads it."""
  if not _OCTAL.fullmatch(field):
    raise NotPlain('not an octal number')
  return int(field.split(b'\x00', 1)[0].strip() or b'0', 8)


def _unsigned_checksum(block: bytes) -> int:
  """The header's unsigned checksum (tarfile's calc_chksums): the sum of its bytes
  with the checksum field taken as 8 spaces."""
  return sum(block) - sum(block[_CHECKSUM[0]:_CHECKSUM[1]]) + 8 * ord(' ')


def _other_header(block: bytes) -> Tuple[str, int]:
  """(name, size) of a header that is not the common one, if it is still plain."""
  if (not block.startswith(_MAGICS, _MAGIC) or block[_PREFIX] or
      block[_TYPE] not in b'0\x00' or
      _number(block[_CHECKSUM[0]:_CHECKSUM[1]]) != _unsigned_checksum(block)):
    raise NotPlain('not a plain header')
  for start, end in _NUMBER_FIELDS:
    _number(block[start:end])
  name = _PLAIN_NAME.match(block, 0, _NAME_END)
  if name is None:
    raise NotPlain('not a plain name')
  return name.group(1).decode('ascii'), _number(block[SIZE_FIELD[0]:SIZE_FIELD[1]])


def wrong_checksums(headers: bytes) -> 'np.ndarray':
  """Per header (blocks one after another, each checksum field 6 octal digits as in
  the common header): whether its unsigned checksum is not the field's."""
  # Imported here: numpy is a tenth of a binary's start-up, and only a tar's index or
  # extraction walks headers.
  import numpy as np  # pylint: disable=g-import-not-at-top
  block = np.frombuffer(headers, np.uint8).reshape(-1, BLOCK_SIZE)
  checksum = block[:, _CHECKSUM[0]:_CHECKSUM[1]]
  weights = np.array(_CHECKSUM_WEIGHTS, np.int64)
  return (block.sum(axis=1, dtype=np.int64) - checksum.sum(axis=1, dtype=np.int64) +
          8 * ord(' ') != (checksum[:, :6] - ord('0')) @ weights)


def _names(headers: bytes, sizes: List[int]) -> List[str]:
  """The names of the headers (blocks one after another) if each is plain and has
  the size it was walked by; raises NotPlain.

  One regular expression finds the common headers: if it finds as many as there are
  blocks, each of its fixed-width matches is one of them. Their checksums are
  summed in numpy.
  """
  import numpy as np  # pylint: disable=g-import-not-at-top  (as wrong_checksums)
  names = _COMMON_HEADER.findall(headers)
  common = None  # All of them.
  if len(names) != len(sizes):
    matches = [_COMMON_HEADER.match(headers, start)
               for start in range(0, len(headers), BLOCK_SIZE)]
    common = np.array([match is not None for match in matches])
    names = [match and match.group(1) for match in matches]
  wrong = wrong_checksums(headers)
  if (wrong if common is None else wrong & common).any():
    raise NotPlain('not the unsigned checksum')
  names = [name and name.decode('ascii') for name in names]
  if common is not None:
    for i in np.flatnonzero(~common).tolist():
      names[i], size = _other_header(headers[i * BLOCK_SIZE:(i + 1) * BLOCK_SIZE])
      if size != sizes[i]:
        raise NotPlain('a size read two ways')
  return names


class _Batch(object):
  """Headers walked (by their size fields alone) and not checked yet."""

  def __init__(self, blocks: Blocks):
    self._blocks = blocks
    self._headers = []
    self.offsets = []  # Of the data.
    self.sizes = []

  def __len__(self) -> int:
    return len(self.sizes)

  def _add(self, header: bytes, offset: int) -> int:
    """Takes in `header`, found at `offset`; returns where the next one is."""
    try:
      size = int(header[SIZE_FIELD[0]:SIZE_FIELD[1] - 1], 8)
    except ValueError:
      size = _number(header[SIZE_FIELD[0]:SIZE_FIELD[1]])
    if size < 0:
      raise NotPlain('a negative size')
    self._headers.append(header)
    self.offsets.append(offset + BLOCK_SIZE)
    self.sizes.append(size)
    return offset + BLOCK_SIZE + padded(size)

  def take(self, offset: int) -> bool:
    """Takes in the header at `offset`; False if it is a zero block instead."""
    buffer, position = self._blocks.at(offset)
    header = buffer[position:position + BLOCK_SIZE]
    if header == ZERO_BLOCK:
      return False
    self._add(header, offset)
    return True

  def walk(self, start: int, end: int) -> int:
    """Takes in the headers of the tar in [start, end) of the file up to its first
    zero block; returns the offset of that block.

    The loop of the whole index, kept to few steps per header: the common size
    field (11 digits and a NUL) is read in place; any other, by `_add`.
    """
    try:
      return self._walk(start, end)
    except ValueError:  # int() of digits 8 or 9.
      raise NotPlain('not an octal size') from None

  def _walk(self, start: int, end: int) -> int:
    headers, offsets, sizes = self._headers, self.offsets, self.sizes
    buffer, buffer_start = b'', start
    offset = start
    while offset + BLOCK_SIZE <= end:
      position = offset - buffer_start
      if position + BLOCK_SIZE > len(buffer):
        buffer, position = self._blocks.at(offset)
        buffer_start = offset - position
      if not buffer[position]:  # A zero block? (A plain name's first byte is not.)
        if buffer[position:position + BLOCK_SIZE] == ZERO_BLOCK:
          return offset
      digits = buffer[position + SIZE_FIELD[0]:position + SIZE_FIELD[1] - 1]
      if digits.isdigit() and not buffer[position + SIZE_FIELD[1] - 1]:
        size = int(digits, 8)
        headers.append(buffer[position:position + BLOCK_SIZE])
        offset += BLOCK_SIZE
        offsets.append(offset)
        sizes.append(size)
        offset += (size + BLOCK_SIZE - 1) & -BLOCK_SIZE
      else:
        offset = self._add(buffer[position:position + BLOCK_SIZE], offset)
    raise NotPlain('no end-of-archive marker within the tar')

  def members(self) -> Members:
    """The members taken in so far, checked; the batch is then empty."""
    found = Members(_names(b''.join(self._headers), self.sizes), self.offsets,
                    self.sizes)
    self._headers, self.offsets, self.sizes = [], [], []
    return found


def _unique(members: Members) -> Members:
  """`members`, each name a plain one of its own (no name twice, no '.' or '..')."""
  names = set(members.names)
  if len(names) != len(members.names) or names & {'.', '..'}:
    raise NotPlain('a name seen twice, or a dot name')
  return members


def _check_end(blocks: Blocks, end_of_members: int) -> None:
  """A whole-file tar's end-of-archive marker: a second zero block."""
  buffer, position = blocks.at(end_of_members + BLOCK_SIZE)
  if buffer[position:position + BLOCK_SIZE] != ZERO_BLOCK:
    raise NotPlain('one zero block only')


def members(blocks: Blocks) -> Members:
  """The members of the tar that is the file, in order, as tarfile and
  `_members.plain_member_name` give them.

  Raises:
    NotPlain: anything but the common case (module docstring).
  """
  batch = _Batch(blocks)
  end_of_members = batch.walk(0, sys.maxsize)
  if not batch:
    raise NotPlain('no members')
  _check_end(blocks, end_of_members)
  return _unique(batch.members())


def class_tars(blocks: Blocks, progress: Callable[[int], None],
               batch_size: int = _BATCH) -> Iterator[Tuple[str, Members]]:
  """(name, members) of each tar in the tar of tars that is the file, in order.

  Calls `progress(offset)` with the offset of the next outer header after each tar.
  Checks the headers `batch_size` or a little more at a time.

  Raises:
    NotPlain: anything but the common case (module docstring), found before or
      after some tars were yielded: the caller reads the file with tarfile.
  """
  batch = _Batch(blocks)
  seen = set()
  counts = []  # Of the members of each tar walked since the last check.
  offset = 0
  while batch.take(offset):
    outer = len(batch) - 1
    start, size = batch.offsets[outer], batch.sizes[outer]
    batch.walk(start, start + size)
    counts.append(len(batch) - outer - 1)
    if not counts[-1]:
      raise NotPlain('no members')
    offset = padded(start + size)
    progress(offset)
    if len(batch) >= batch_size:
      yield from _split(batch.members(), counts, seen)
      counts = []
  if offset == 0:
    raise NotPlain('no members')
  _check_end(blocks, offset)
  yield from _split(batch.members(), counts, seen)


def _split(found: Members, counts: List[int],
           seen: set) -> Iterator[Tuple[str, Members]]:
  """(outer name, its members) of checked members: each outer one followed by its
  `counts` inner ones."""
  names, offsets, sizes = found
  i = 0
  for count in counts:
    name = names[i]
    if name in seen or name in ('.', '..'):
      raise NotPlain('a name seen twice, or a dot name')
    seen.add(name)
    j = i + 1 + count
    yield name, _unique(Members(names[i + 1:j], offsets[i + 1:j], sizes[i + 1:j]))
    i = j
