"""Image bytes → the JPEG bytes and pixel size that go into a record (docs/FORMAT.md:
"Records", "Semantics").

The original pipeline decoded every JPEG fully only to learn its size and matched its
PNG and CMYK files by name. Here the content decides, and only the header is read:
- a baseline or progressive JPEG with 1 (grayscale) or 3 components is kept byte for
  byte; its size comes from the frame header (SOF), read by the same pass over the
  markers that checks the structure, with no PIL image built (PIL reads the header
  only where something is unusual: a CMYK, broken or multi-picture file, say, so
  that every such file gets the decision and the message it always got);
- a JPEG with 4 components (CMYK or YCCK; PIL mode 'CMYK'), a PNG (by its magic bytes)
  or any other format PIL reads is decoded and re-encoded as an RGB JPEG at quality 100
  with 4:4:4 chroma (REENCODE_OPTIONS).

Every JPEG's marker structure is also walked (`jpeg_structure_error`, the default
--validate_images=structure): a truncated file, or garbage inside the scan data, is
refused without decoding a pixel (docs/FORMAT.md, "Semantics").

This module imports no TensorFlow at load time, so the shard workers stay small; only
`check_decodes` (the --validate_images=full option) imports it, on first use.
"""

from __future__ import annotations  # PIL's Image in annotations, imported on use

import io
import re
from typing import TYPE_CHECKING, NamedTuple, Optional, Tuple

if TYPE_CHECKING:
  from PIL import Image

from inception.records import _scan_bounds

JPEG_MAGIC = b'\xff\xd8\xff'
PNG_MAGIC = b'\x89PNG\r\n\x1a\n'
# How a PNG, CMYK or other non-JPEG image is re-encoded (PIL's JPEG options): quality
# 100 with 4:4:4 chroma (subsampling=0; PIL's default 4:2:0 halves the colour
# resolution: the demo's CMYK image landed a mean 4.63 and at most 38 levels from its
# source, at 4:4:4 0.47 and 4, docs/FORMAT.md). They change the re-encoded records'
# bytes, so they enter the conversion plan's fingerprint (records.plan_fingerprint):
# shards re-encoded otherwise are not resumed as if they were of the same plan.
REENCODE_OPTIONS = {'quality': 100, 'subsampling': 0}

# How much of each image is checked, cheapest first; each mode includes the ones before.
# none: the header only (PIL Image.open), the pipeline's behaviour before 2026-11;
# structure: also walk every JPEG's markers and scan data (jpeg_structure_error);
# full: also decode the record's JPEG with TensorFlow (check_decodes).
VALIDATE_IMAGES = ('none', 'structure', 'full')
DEFAULT_VALIDATE_IMAGES = 'structure'

# The JPEG markers the walk tells apart (ITU T.81, B.1.1.3; libjpeg's jdmarker.c).
_SOI, _EOI, _SOS, _TEM = 0xD8, 0xD9, 0xDA, 0x01
_RST0 = 0xD0
_DQT, _APP0, _APP2, _APP14 = 0xDB, 0xE0, 0xE2, 0xEE
_MARKER = re.compile(rb'\xff[^\x00\xff]')
_PIL_CHECKED_SEGMENTS = frozenset((_DQT, _APP0, _APP2, _APP14))
_SOF_MARKERS = frozenset(range(0xC0, 0xD0)) - {0xC4, 0xC8, 0xCC}  # not DHT, JPG, DAC
_SEGMENT_MARKERS = _SOF_MARKERS | {0xC4, 0xCC, 0xDA, 0xDB, 0xDC, 0xDD, 0xFE} | frozenset(
    range(0xE0, 0xF0))

# JPEG colour layouts kept as they are: readers decode them with channels=3.
_KEPT_JPEG_MODES = ('L', 'RGB')
_KEPT_COMPONENTS = (1, 3)  # PIL's modes 'L' and 'RGB'
_SIXTEEN_BIT_MODES = ('I;16', 'I;16B', 'I;16L', 'I;16N', 'I')
_OBJECT_REPR = re.compile(r'\s*<[^<>]* at 0x[0-9a-fA-F]+>')


class ImageError(ValueError):
  """An image that cannot go into a record: unreadable, corrupt or unsupported."""

  def __init__(self, name: str, reason: str):
    super().__init__('%s: %s' % (name, reason))
    self.name = name
    self.reason = reason

  def __reduce__(self):
    return (type(self), (self.name, self.reason))


class PreparedImage(NamedTuple):
  """The bytes and size that go into a record.

  Attributes:
    encoded: JPEG bytes, the input's own bytes unless `reencoded_from` is set.
    height: pixel rows.
    width: pixel columns.
    reencoded_from: None when the bytes are the input's, else what the input was
      ('png', 'cmyk', or PIL's lower-case format name such as 'gif', 'bmp').
  """
  encoded: bytes
  height: int
  width: int
  reencoded_from: Optional[str] = None


def is_jpeg(data: bytes) -> bool:
  return data[:3] == JPEG_MAGIC


def is_png(data: bytes) -> bool:
  return data[:8] == PNG_MAGIC


def prepare_image(data: bytes, name: str,
                  validate: str = DEFAULT_VALIDATE_IMAGES) -> PreparedImage:
  """Returns the record's JPEG bytes and size for one image file's bytes.

  Args:
    data: the file's bytes.
    name: how to name the file in an error (its path).
    validate: one of VALIDATE_IMAGES: how much of the image is checked.

  Raises:
    ImageError: the bytes are not an image PIL can read, the header is corrupt, or
      the check `validate` asks for fails.
  """
  if not data:
    raise ImageError(name, 'empty file')
  image = _prepare(data, name, validate == 'structure')
  if validate == 'full':
    check_decodes(image, name)  # TensorFlow's reason first, as this mode always gave
    _check_structure(data, name)  # then what TensorFlow lets by (see bench/README.md)
  return image


def _prepare(data: bytes, name: str, check_structure: bool) -> PreparedImage:
  if not is_jpeg(data):
    return _reencode(data, name, 'png' if is_png(data) else None)
  error, frame = _walk_jpeg(data, to_end=check_structure)
  if error is None and frame is not None and frame.components in _KEPT_COMPONENTS:
    return PreparedImage(data, frame.height, frame.width)  # one pass, no PIL
  # A CMYK file, a broken one or an unusual header: PIL reads it, and names what is
  # wrong exactly as it always did (the header's fault first, then the structure's).
  mode, width, height = _read_header(data, name)
  if check_structure:
    _check_structure(data, name)  # before a CMYK file's re-encoding decodes it
  if mode in _KEPT_JPEG_MODES:
    return PreparedImage(data, height, width)
  if mode != 'CMYK':
    raise ImageError(name, 'unsupported JPEG colour mode %r' % mode)
  return _reencode(data, name, 'cmyk')


def jpeg_structure_error(data: bytes) -> Optional[str]:
  """Why a JPEG's structure is broken, or None: its markers walked from SOI to EOI.

  As libjpeg reads them, short of decoding: one frame header (SOF) before the first
  scan; every segment within the data; scan data (after each SOS, so every scan of a
  progressive JPEG) holding only stuffed 0xFF 0x00 pairs and RST0..RST7 markers in
  cycling order up to the marker that ends the scan; after the first scan, segments
  back to back; an EOI after at least one scan. A truncated file has no EOI, and
  garbled scan data nearly always breaks the stuffing or the segments after it.
  Bytes after the EOI are allowed: decoders stop at EOI, and cameras and editors
  append data there (the record keeps the file's bytes as they are). Bytes between
  header segments are allowed too (libjpeg skips them with a warning).
  And the frame header may not claim more pixels than the scan data can hold: each
  scan's coded bytes reach the least its blocks take (`_scan_bounds`); the coding
  processes without such a bound (lossless, hierarchical, arithmetic-coded) are refused.
  Costs one regular-expression search per marker: ~0.03 ms for an 84 KB photo.
  """
  return _walk_jpeg(data, to_end=True)[0]


class _Frame(NamedTuple):
  """What the frame header (SOF) says: the size, and 1 (gray), 3 or 4 components."""
  components: int
  width: int
  height: int


def _walk_jpeg(data: bytes, to_end: bool) -> Tuple[Optional[str], Optional[_Frame]]:
  """The structure walk of `jpeg_structure_error`, reading the frame header on the way.

  Args:
    to_end: walk to the EOI; else stop at the first scan (the header only, unchecked).

  Returns:
    (why the structure is broken or None, the frame header or None). The frame is
    given only where PIL's `Image.open` would read the same header without error and
    as a JPEG (one 8-bit SOF, a non-empty size, well-formed quantization tables and
    JFIF/Adobe segments, no multi-picture (MPF) segment, only markers PIL knows), so
    that a header read here and one read by PIL never differ; else PIL reads it.
  """
  # Names bound locally: this loop runs ~10 times an image, most of a tiny image's cost.
  search, segment_markers, sof_markers = _MARKER.search, _SEGMENT_MARKERS, _SOF_MARKERS
  position, size = 2, len(data)
  frames = scans = 0
  frame, plain = None, True
  next_restart = None  # the RST number due inside a scan; None outside scans
  # With to_end: the frame header's content and the scan under way: the byte of its
  # header, its coded data's start, its restart markers' bytes, the fewest it must have.
  frame_marker, frame_content = 0, b''
  scan_at = scan_start = restart_bytes = least = 0
  while True:
    found = search(data, position)  # _next_marker, inlined
    if found is None:
      return 'truncated JPEG: %d bytes and no end-of-image marker' % size, None
    at = found.start()
    marker = data[at + 1]
    if (scans and next_restart is None and at > position and
        data.count(b'\xff', position, at) < at - position):
      return 'corrupt JPEG: stray bytes before the marker at byte %d' % at, None
    position = at + 2
    if marker == _EOI:
      if not scans:
        return 'corrupt JPEG: end-of-image marker before any scan', None
      if next_restart is not None and at - scan_start - restart_bytes < least:
        return _scan_bounds.shortfall(frame_content, scan_at,
                                      at - scan_start - restart_bytes, least), None
      return None, frame if plain else None
    if _RST0 <= marker <= _RST0 + 7:
      if next_restart is not None:
        if marker != _RST0 + next_restart:
          return ('corrupt JPEG scan data: restart marker RST%d at byte %d where RST%d '
                  'is due' % (marker - _RST0, at, next_restart)), None
        next_restart = (next_restart + 1) % 8
        restart_bytes += 2
      continue
    if marker == _TEM:
      plain = plain and scans > 0  # PIL's header reader knows no TEM
      continue
    is_frame = marker in sof_markers
    if marker not in segment_markers or (is_frame and (frames or scans)):
      kind = ('second start-of-image' if marker == _SOI else 'second frame header'
              if is_frame else 'unknown')
      return 'corrupt JPEG%s: %s marker FF%02X at byte %d' % (
          _where(next_restart), kind, marker, at), None
    if position + 2 > size:
      return ('truncated JPEG: ends inside the FF%02X segment at byte %d' %
              (marker, at)), None
    length = (data[position] << 8) | data[position + 1]
    if length < 2 or position + length > size:
      return ('%s JPEG%s: the FF%02X segment at byte %d has length %d, %d bytes left' %
              ('corrupt' if length < 2 else 'truncated', _where(next_restart), marker,
               at, length, size - position)), None
    if next_restart is not None and at - scan_start - restart_bytes < least:
      return _scan_bounds.shortfall(frame_content, scan_at,
                                    at - scan_start - restart_bytes, least), None
    if not scans:
      if is_frame:
        frame = _frame(data, position + 2, length - 2)
        plain = plain and frame is not None
        if to_end:
          frame_marker, frame_content = marker, data[position + 2:position + length]
          try:
            _scan_bounds.check_frame(marker, frame_content)
          except ValueError as e:
            return '%s, at byte %d' % (e, at), None
      elif marker in _PIL_CHECKED_SEGMENTS:
        plain = plain and _pil_reads_segment(marker, data[position + 2:position + length])
    position += length
    frames += is_frame
    if marker == _SOS:
      if not frames:
        return 'corrupt JPEG: a scan at byte %d before any frame header' % at, None
      if not to_end:
        return None, frame if plain else None
      try:
        least = _scan_bounds.least_scan_bytes(frame_marker, frame_content,
                                              data[at + 4:position])
      except ValueError as e:
        return '%s, at byte %d' % (e, at), None
      scan_at, scan_start, restart_bytes = at, position, 0
      scans += 1
      next_restart = 0
    else:
      next_restart = None


def _where(next_restart: Optional[int]) -> str:
  """Where the walk is, for a message: inside a scan's data, or between segments."""
  return ' scan data' if next_restart is not None else ''


def _frame(data: bytes, start: int, length: int) -> Optional[_Frame]:
  """The SOF segment's content at data[start:start + length], if PIL reads it alike."""
  if length < 6 or data[start] != 8:
    return None  # PIL refuses other precisions
  height = (data[start + 1] << 8) | data[start + 2]
  width = (data[start + 3] << 8) | data[start + 4]
  components = data[start + 5]
  if not width or not height or components not in (1, 3, 4):
    return None
  return _Frame(components, width, height)


def _pil_reads_segment(marker: int, content: bytes) -> bool:
  """False where PIL's header reader would fail on, or treat specially, a segment."""
  if marker == _DQT:
    while content:  # each table: precision/id byte, then 64 values of 1 or 2 bytes
      table_length = 65 if content[0] < 16 else 129
      if len(content) < table_length:
        return False
      content = content[table_length:]
    return True
  if marker == _APP0 and content.startswith(b'JFIF'):
    return len(content) >= 7
  if marker == _APP14 and content.startswith(b'Adobe'):
    return len(content) >= 7
  return not (marker == _APP2 and content.startswith(b'MPF\0'))  # maybe an MPO


def _check_structure(data: bytes, name: str) -> None:
  error = jpeg_structure_error(data) if is_jpeg(data) else None
  if error:
    raise ImageError(name, error)


def _next_marker(data: bytes, position: int) -> int:
  """The offset of the next marker's 0xFF at or after `position`, or -1 if none.

  A marker is 0xFF followed by a byte other than 0x00 (0xFF 0x00 is a stuffed data
  byte) and 0xFF (a fill byte, which may precede a marker). One regular-expression
  search in C skips all stuffed bytes of the scan data between two markers.
  """
  found = _MARKER.search(data, position)
  return found.start() if found else -1


def _read_header(data: bytes, name: str) -> (str, int, int):
  """Reads mode and size from the header only (no pixel decoding)."""
  # Imported here: PIL is a fifth of a shard worker's imports, and the structure walk
  # (the default) reads the header without it.
  from PIL import Image  # pylint: disable=g-import-not-at-top
  try:
    with Image.open(io.BytesIO(data)) as image:
      if image.format != 'JPEG':
        raise ImageError(name, 'starts like a JPEG but PIL reads it as %s' % image.format)
      width, height = image.size
      mode = image.mode
  except ImageError:
    raise
  except Exception as e:  # PIL raises OSError, SyntaxError, ValueError, struct.error...
    raise ImageError(name, 'corrupt JPEG header (%s)' % _describe(e)) from None
  if width <= 0 or height <= 0:
    raise ImageError(name, 'JPEG header gives an empty size %dx%d' % (width, height))
  return mode, width, height


def _reencode(data: bytes, name: str, kind: Optional[str]) -> PreparedImage:
  """Decodes any image PIL reads and encodes it as an RGB JPEG (REENCODE_OPTIONS)."""
  from PIL import Image  # pylint: disable=g-import-not-at-top  (as _read_header)
  try:
    with Image.open(io.BytesIO(data)) as image:
      kind = kind or (image.format or 'unknown').lower()
      image.load()
      rgb = _to_rgb(image)
  except Exception as e:
    raise ImageError(name, 'not a decodable image (%s)' % _describe(e)) from None
  output = io.BytesIO()
  rgb.save(output, format='JPEG', **REENCODE_OPTIONS)
  width, height = rgb.size
  return PreparedImage(output.getvalue(), height, width, kind)


def _describe(error: Exception) -> str:
  """'Type: message' without object reprs such as PIL's '<_io.BytesIO object at
  0x7f...>', which differ from run to run: the same file always gets the same reason."""
  message = _OBJECT_REPR.sub('', str(error)).strip()
  return '%s: %s' % (type(error).__name__, message) if message else type(error).__name__


def _to_rgb(image: Image.Image) -> Image.Image:
  """Converts to 8-bit RGB; 16-bit grayscale is scaled, not clipped."""
  if image.mode in _SIXTEEN_BIT_MODES:
    import numpy as np  # pylint: disable=g-import-not-at-top  (rare; keeps workers lean)
    from PIL import Image  # pylint: disable=g-import-not-at-top  (as _read_header)
    pixels = np.asarray(image, dtype=np.uint32)
    if image.mode != 'I' or pixels.max() > 255:
      pixels = pixels >> 8
    image = Image.fromarray(pixels.astype(np.uint8), mode='L')
  return image.convert('RGB')


def check_decodes(image: PreparedImage, name: str) -> None:
  """Fully decodes the record's JPEG with TensorFlow (--validate_images=full).

  Raises:
    ImageError: TensorFlow cannot decode it, or the decoded size differs from the
      header's.
  """
  tf = _tensorflow()
  try:
    shape = tuple(tf.io.decode_jpeg(image.encoded, channels=3).shape)
  except Exception as e:  # tf.errors.InvalidArgumentError and friends
    message = re.sub(r'\{\{[^}]*\}\}\s*|\s*\[Op:\w+\]', '', str(e)).strip()
    raise ImageError(name, 'TensorFlow cannot decode it (%s)' %
                     (message or type(e).__name__)) from None
  if shape != (image.height, image.width, 3):
    raise ImageError(name, 'decodes to %s, header says %dx%d' %
                     ('x'.join(map(str, shape)), image.height, image.width))


_tf_module = None


def _tensorflow():
  """Imports TensorFlow on first use, single-threaded (one worker per core already)."""
  global _tf_module
  if _tf_module is None:
    import tensorflow as tf  # pylint: disable=g-import-not-at-top
    try:
      tf.config.threading.set_intra_op_parallelism_threads(1)
      tf.config.threading.set_inter_op_parallelism_threads(1)
    except RuntimeError:
      pass  # TensorFlow was already initialised by this process; keep its setting.
    _tf_module = tf
  return _tf_module
