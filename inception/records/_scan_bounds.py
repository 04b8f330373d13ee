"""The fewest coded bytes a JPEG scan can hold for the size its frame header claims.

A frame header (SOF) can claim up to 65535x65535 pixels over a few bytes of scan data:
decoders fill the missing blocks with grey, warning only, and a reader that trusts the
header allocates for the claim (12 GiB for 65535x65535 RGB). Huffman coding gives
every 8x8 block of a scan's components at least one code of at least one bit each
(ITU T.81, F.1.2 and G.1.2):
- a sequential scan (SOF0 baseline, SOF1 extended): a DC code, then an AC code or an
  end-of-block code, so at least 2 bits a block;
- a progressive DC-first scan (SOF2, Ss = 0, Ah = 0): a DC code, at least 1 bit;
- the other progressive scans: no bound (one end-of-band run codes up to 32767 blocks).
The blocks of each component follow from the sampling factors (T.81, A.2): an
interleaved scan covers ceil(width / (8 Hmax)) x ceil(height / (8 Vmax)) MCUs of H x V
blocks of each of its components; a one-component scan ceil(width H / (8 Hmax)) x
ceil(height V / (8 Vmax)) blocks. So a scan's coded bytes (between its SOS segment
and the marker that ends it, less its restart markers) must reach ceil(bits / 8).
Stuffed 0xFF 0x00 pairs are counted as two bytes, which only errs towards letting a
file by. Honest files reach the bound at worst: a solid-colour JPEG with optimized
tables codes each block in exactly 2 bits (4000x3000 4:2:0: 70,503 bytes against
70,500; 4:4:4 at quality 1: 140,625 against 140,625).

The other coding processes (lossless, hierarchical, arithmetic-coded) have no such
bound here and are refused.

The structure walk (`_image_coding.jpeg_structure_error`) checks every scan's bound
as it passes the scan data: ~2 us more a baseline JPEG, ~5 us a progressive one of 10
scans (README, "Performance"). `jpeg_size_error` checks the first scan's alone for
readers of every record (the checker), searching only as many of its bytes as the
bound asks for: ~5 us a file, where the whole walk takes ~40 us for an 84 KB photo.
The component tables and scan headers of a data set are few (photos differ in size,
hardly in layout), so what follows from them alone is computed once each (cached).
"""

import functools
import re
from typing import Dict, Optional, Tuple

_BASELINE, _PROGRESSIVE = 0xC0, 0xC2
# The SOF markers of the processes refused, by what they are (T.81, table B.1).
_REFUSED_PROCESSES = {
    0xC3: 'lossless', 0xC5: 'differential sequential',
    0xC6: 'differential progressive', 0xC7: 'differential lossless',
    0xC9: 'arithmetic-coded extended sequential', 0xCA: 'arithmetic-coded progressive',
    0xCB: 'arithmetic-coded lossless',
    0xCD: 'arithmetic-coded differential sequential',
    0xCE: 'arithmetic-coded differential progressive',
    0xCF: 'arithmetic-coded differential lossless',
}
_SOS, _EOI, _TEM, _RST0, _RST7 = 0xDA, 0xD9, 0x01, 0xD0, 0xD7
_SOF_MARKERS = frozenset(range(0xC0, 0xD0)) - {0xC4, 0xC8, 0xCC}  # not DHT, JPG, DAC
_MARKER = re.compile(rb'\xff[^\x00\xff]')  # as the structure walk finds them
_MAX_SAMPLING = 4
_MAX_SCAN_COMPONENTS = 4
_CACHE_SIZE = 256


def check_frame(marker: int, content: bytes) -> None:
  """Checks that the SOF segment FF<marker>, `content` after its length, has a bound.

  Raises:
    ValueError: a process other than Huffman-coded baseline, extended or progressive,
      or a header libjpeg refuses too (no component, a length that does not fit the
      component count, a sampling factor outside 1..4); the message says which.
  """
  if marker in _REFUSED_PROCESSES:
    raise ValueError('unsupported JPEG: %s (SOF%d); only Huffman-coded baseline, '
                     'extended and progressive JPEGs are kept' %
                     (_REFUSED_PROCESSES[marker], marker - _BASELINE))
  count = content[5] if len(content) > 5 else 0
  if not count or len(content) != 6 + 3 * count:
    raise ValueError('corrupt JPEG: a frame header of %d bytes for %d components' %
                     (len(content) + 2, count))
  _sampling(content[5:])


def least_scan_bytes(marker: int, frame: bytes, scan: bytes) -> int:
  """The fewest coded bytes of a scan.

  Args:
    marker, frame: the SOF segment's marker and content, passed by check_frame.
    scan: the content of the scan's SOS segment.

  Raises:
    ValueError: a scan with a bound whose SOS segment does not fit its component
      count, or names a component the frame header lacks (libjpeg refuses both).
  """
  progressive = marker == _PROGRESSIVE
  if progressive and len(scan) > 3 and (scan[-3] or scan[-1] >> 4):
    return 0  # an AC scan (Ss > 0) or a refining one (Ah > 0): no bound
  bits, across, down, per_mcu = _scan_shape(frame[5:], progressive, scan)
  # -(-a // b) is ceil(a / b).
  blocks = (-(-((frame[3] << 8) | frame[4]) * across[0] // across[1]) *
            -(-((frame[1] << 8) | frame[2]) * down[0] // down[1]) * per_mcu)
  return -(-blocks * bits // 8)


def shortfall(frame: bytes, header_at: int, coded: int, least: int) -> str:
  """Why a scan with `coded` bytes of coded data, `least` at the least, is refused."""
  width, height = (frame[3] << 8) | frame[4], (frame[1] << 8) | frame[2]
  return ('corrupt JPEG: the frame header claims %dx%d pixels (width x height), more '
          'than the scan data holds: the scan at byte %d has %d bytes of coded data, at '
          'least %d at that size' % (width, height, header_at, coded, least))


def jpeg_size_error(data: bytes) -> Optional[str]:
  """Why a JPEG's frame header claims more pixels than its first scan can hold, or None.

  The header's segments are read back to back up to the first scan (as the checker's
  header reader, `jpeg_frame`, reads them: a header it cannot read gives None here,
  its own reader naming the fault), and only as many bytes of that scan as its blocks
  take at the least are searched for a marker that would end it. A header that lies
  fails there, since every component's blocks grow with the size it claims; faults
  further on are the structure walk's to find.
  """
  position = 2
  while position + 4 <= len(data) and data[position] == 0xFF:
    marker = data[position + 1]
    if marker == 0xFF or marker == _TEM or _RST0 <= marker <= 0xD8:
      position += 1 if marker == 0xFF else 2  # a fill byte, a marker without a length
      continue
    if marker == _EOI:
      break
    end = position + 2 + ((data[position + 2] << 8) | data[position + 3])
    if end > len(data):
      break  # cut short: the header reader's fault to name
    if marker in _SOF_MARKERS and end > position + 4:  # an empty one is passed by
      return _first_scan_error(data, end, marker, data[position + 4:end])
    position = end
  return None


def jpeg_frame(data: bytes) -> Tuple[int, int, int, Optional[str]]:
  """(height, width, components) from a JPEG's frame (SOFn) header, and
  `jpeg_size_error(data)`, from one walk of the header's segments (the checker reads
  both from every record).

  Raises:
    ValueError: the bytes are not a JPEG, or end before the frame header.
  """
  if data[:2] != b'\xff\xd8':
    raise ValueError('no JPEG start-of-image marker (starts with %r)' % data[:4])
  position, size = 2, len(data)
  while True:
    if position + 4 > size:
      raise ValueError('JPEG ends at byte %d before its frame header' % size)
    if data[position] != 0xFF:
      raise ValueError('no JPEG marker at byte %d' % position)
    marker = data[position + 1]
    if marker == 0xFF or marker == _TEM or _RST0 <= marker <= 0xD8:
      position += 1 if marker == 0xFF else 2  # a fill byte, a marker without a length
      continue
    if marker == _EOI or marker == _SOS:
      raise ValueError('JPEG scan or end before any frame header')
    length = (data[position + 2] << 8) | data[position + 3]
    if marker in _SOF_MARKERS:
      break
    position += 2 + length
  if length < 8 or position + 10 > size:
    raise ValueError('JPEG frame header cut short at byte %d' % position)
  height = (data[position + 5] << 8) | data[position + 6]
  width = (data[position + 7] << 8) | data[position + 8]
  components = data[position + 9]
  end = position + 2 + length
  if end > size:  # cut short: jpeg_size_error reads no further either
    return height, width, components, None
  return (height, width, components,
          _first_scan_error(data, end, marker, data[position + 4:end]))


def _first_scan_error(data: bytes, position: int, frame_marker: int,
                      frame: bytes) -> Optional[str]:
  """jpeg_size_error from the segment after the frame header (`frame_marker`,
  `frame` its content) at `position` on: the first scan's shortfall, if any."""
  while position + 4 <= len(data) and data[position] == 0xFF:
    marker = data[position + 1]
    if marker == 0xFF or marker == _TEM or _RST0 <= marker <= 0xD8:
      position += 1 if marker == 0xFF else 2
      continue
    if marker == _EOI:
      break
    end = position + 2 + ((data[position + 2] << 8) | data[position + 3])
    if end > len(data):
      break
    if marker == _SOS:
      try:
        check_frame(frame_marker, frame)
        least = least_scan_bytes(frame_marker, frame, data[position + 4:end])
      except ValueError as e:
        return '%s, at byte %d' % (e, position)
      scan_end, restart_bytes = _scan_end_within(data, end, least)
      if scan_end is None:
        return None
      return shortfall(frame, position, scan_end - end - restart_bytes, least)
    position = end
  return None


def _scan_end_within(data: bytes, start: int, least: int) -> Tuple[Optional[int], int]:
  """Where a scan whose coded data starts at `start` ends within its first `least`
  bytes (restart markers not counted; the file's end, if sooner), or None; and the
  bytes of the restart markers before that."""
  position, restart_bytes = start, 0
  while True:
    window_end = start + least + restart_bytes
    found = _MARKER.search(data, position, window_end + 1)
    if found is None:
      return (len(data) if len(data) < window_end else None), restart_bytes
    if not _RST0 <= data[found.start() + 1] <= _RST7:
      return found.start(), restart_bytes
    position = found.start() + 2
    restart_bytes += 2


@functools.lru_cache(maxsize=_CACHE_SIZE)
def _sampling(components: bytes) -> Tuple[Dict[int, Tuple[int, int]], int, int]:
  """({component id: (H, V)}, Hmax, Vmax) of a frame's component table: the SOF
  content after the size (the count, then id, H << 4 | V and a quantization table
  each; T.81, B.2.2)."""
  sampling = {}
  for start in range(1, len(components), 3):
    horizontal, vertical = components[start + 1] >> 4, components[start + 1] & 15
    if not (0 < horizontal <= _MAX_SAMPLING and 0 < vertical <= _MAX_SAMPLING):
      raise ValueError('corrupt JPEG: component %d has sampling factors %dx%d (each '
                       'must be 1 to %d)' % (components[start], horizontal, vertical,
                                             _MAX_SAMPLING))
    sampling[components[start]] = (horizontal, vertical)
  return (sampling, max(h for h, _ in sampling.values()),
          max(v for _, v in sampling.values()))


@functools.lru_cache(maxsize=_CACHE_SIZE)
def _scan_shape(components: bytes, progressive: bool, scan: bytes
                ) -> Tuple[int, Tuple[int, int], Tuple[int, int], int]:
  """What a scan's bound needs besides the size: (bits a block; (H, 8 Hmax);
  (V, 8 Vmax); blocks an MCU). The scan codes ceil(width H / (8 Hmax)) x
  ceil(height V / (8 Vmax)) MCUs of that many blocks; an interleaved scan has H = V = 1
  here, its MCU holding H x V blocks of each of its components."""
  count = scan[0] if scan else 0
  if not 1 <= count <= _MAX_SCAN_COMPONENTS or len(scan) != 4 + 2 * count:
    raise ValueError('corrupt JPEG: a scan header of %d bytes for %d components' %
                     (len(scan) + 2, count))
  sampling, max_horizontal, max_vertical = _sampling(components)
  factors = []
  for component in scan[1:1 + 2 * count:2]:
    if component not in sampling:
      raise ValueError('corrupt JPEG: a scan of component %d, which the frame header '
                       'lacks' % component)
    factors.append(sampling[component])
  bits = 1 if progressive else 2
  if count == 1:  # not interleaved: the component's own blocks
    (horizontal, vertical), = factors
    return (bits, (horizontal, 8 * max_horizontal), (vertical, 8 * max_vertical), 1)
  return (bits, (1, 8 * max_horizontal), (1, 8 * max_vertical),
          sum(h * v for h, v in factors))

