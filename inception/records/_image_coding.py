"""Image bytes → the JPEG bytes and pixel size that go into a record (docs/FORMAT.md:
"Records", "Semantics").

The original pipeline decoded every JPEG fully only to learn its size and matched its
PNG and CMYK files by name. Here the content decides, and only the header is read:
- a baseline or progressive JPEG with 1 (grayscale) or 3 components is kept byte for
  byte; its size comes from the header (PIL's Image.open stops at the scan data);
- a JPEG with 4 components (CMYK or YCCK; PIL mode 'CMYK'), a PNG (by its magic bytes)
  or any other format PIL reads is decoded and re-encoded as an RGB JPEG at quality 100.

This module imports no TensorFlow at load time, so the shard workers stay small; only
`check_decodes` (the --validate_images=full option) imports it, on first use.
"""

import io
import re
from typing import NamedTuple, Optional

from PIL import Image

JPEG_MAGIC = b'\xff\xd8\xff'
PNG_MAGIC = b'\x89PNG\r\n\x1a\n'
REENCODE_QUALITY = 100

# JPEG colour layouts kept as they are: readers decode them with channels=3.
_KEPT_JPEG_MODES = ('L', 'RGB')
_SIXTEEN_BIT_MODES = ('I;16', 'I;16B', 'I;16L', 'I;16N', 'I')


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


def prepare_image(data: bytes, name: str) -> PreparedImage:
  """Returns the record's JPEG bytes and size for one image file's bytes.

  Args:
    data: the file's bytes.
    name: how to name the file in an error (its path).

  Raises:
    ImageError: the bytes are not an image PIL can read, or the header is corrupt.
  """
  if not data:
    raise ImageError(name, 'empty file')
  if is_jpeg(data):
    mode, width, height = _read_header(data, name)
    if mode in _KEPT_JPEG_MODES:
      return PreparedImage(data, height, width)
    if mode != 'CMYK':
      raise ImageError(name, 'unsupported JPEG colour mode %r' % mode)
    return _reencode(data, name, 'cmyk')
  kind = 'png' if is_png(data) else None
  return _reencode(data, name, kind)


def _read_header(data: bytes, name: str) -> (str, int, int):
  """Reads mode and size from the header only (no pixel decoding)."""
  try:
    with Image.open(io.BytesIO(data)) as image:
      if image.format != 'JPEG':
        raise ImageError(name, 'starts like a JPEG but PIL reads it as %s' % image.format)
      width, height = image.size
      mode = image.mode
  except ImageError:
    raise
  except Exception as e:  # PIL raises OSError, SyntaxError, ValueError, struct.error...
    raise ImageError(name, 'corrupt JPEG header (%s: %s)' %
                     (type(e).__name__, e)) from None
  if width <= 0 or height <= 0:
    raise ImageError(name, 'JPEG header gives an empty size %dx%d' % (width, height))
  return mode, width, height


def _reencode(data: bytes, name: str, kind: Optional[str]) -> PreparedImage:
  """Decodes any image PIL reads and encodes it as an RGB JPEG at quality 100."""
  try:
    with Image.open(io.BytesIO(data)) as image:
      kind = kind or (image.format or 'unknown').lower()
      image.load()
      rgb = _to_rgb(image)
  except Exception as e:
    raise ImageError(name, 'not a decodable image (%s: %s)' %
                     (type(e).__name__, e)) from None
  output = io.BytesIO()
  rgb.save(output, format='JPEG', quality=REENCODE_QUALITY)
  width, height = rgb.size
  return PreparedImage(output.getvalue(), height, width, kind)


def _to_rgb(image: Image.Image) -> Image.Image:
  """Converts to 8-bit RGB; 16-bit grayscale is scaled, not clipped."""
  if image.mode in _SIXTEEN_BIT_MODES:
    import numpy as np  # pylint: disable=g-import-not-at-top  (rare; keeps workers lean)
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
