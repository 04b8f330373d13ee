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

The component tables and scan headers of a data set are few (photos differ in size,
hardly in layout), so what follows from them alone is computed once each (cached):
the bound costs ~1-2 us a file.
"""

import functools
from typing import Dict, Tuple

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
    ValueError: the SOS segment does not fit its component count, or a scan with a
      bound names a component the frame header lacks (libjpeg refuses both).
  """
  bits, across, down, per_mcu = _scan_shape(frame[5:], marker == _PROGRESSIVE, scan)
  if not bits:
    return 0
  blocks = (_ceil_div(((frame[3] << 8) | frame[4]) * across[0], across[1]) *
            _ceil_div(((frame[1] << 8) | frame[2]) * down[0], down[1]) * per_mcu)
  return _ceil_div(blocks * bits, 8)


def shortfall(frame: bytes, header_at: int, coded: int, least: int) -> str:
  """Why a scan with `coded` bytes of coded data, `least` at the least, is refused."""
  width, height = (frame[3] << 8) | frame[4], (frame[1] << 8) | frame[2]
  return ('corrupt JPEG: the frame header claims %dx%d pixels (width x height), more '
          'than the scan data holds: the scan at byte %d has %d bytes of coded data, at '
          'least %d at that size' % (width, height, header_at, coded, least))


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
  """What a scan's bound needs besides the size: (bits a block, 0 for no bound;
  (H, 8 Hmax); (V, 8 Vmax); blocks an MCU). The scan codes ceil(width H / (8 Hmax)) x
  ceil(height V / (8 Vmax)) MCUs of that many blocks; an interleaved scan has H = V = 1
  here, its MCU holding H x V blocks of each of its components."""
  count = scan[0] if scan else 0
  if not 1 <= count <= _MAX_SCAN_COMPONENTS or len(scan) != 4 + 2 * count:
    raise ValueError('corrupt JPEG: a scan header of %d bytes for %d components' %
                     (len(scan) + 2, count))
  if progressive and (scan[1 + 2 * count] or scan[3 + 2 * count] >> 4):
    return 0, (0, 1), (0, 1), 0  # an AC scan (Ss > 0) or a refining one (Ah > 0)
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


def _ceil_div(numerator: int, denominator: int) -> int:
  return -(-numerator // denominator)
