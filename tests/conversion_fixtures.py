"""Small real images and image folders for the converter's tests.

Every image is real bytes from PIL: plain, grayscale, progressive and EXIF JPEGs, a
CMYK JPEG, PNGs, a BMP, and broken files. Images are small (tens of pixels) so the
tests stay fast.
"""

import io
import os
from typing import Dict, List, Optional, Sequence

import numpy as np
from PIL import Image

HARD_KINDS = ('png', 'cmyk', 'grayscale', 'progressive', 'exif')


def picture(seed: int, width: int = 48, height: int = 32) -> Image.Image:
  """A smooth RGB picture (a gradient plus a little noise)."""
  rng = np.random.default_rng(seed)
  y, x = np.mgrid[0:height, 0:width]
  base = np.stack([x * 255 // max(1, width - 1), y * 255 // max(1, height - 1),
                   np.full_like(x, int(rng.integers(0, 256)))], axis=-1)
  noise = rng.integers(-12, 13, size=(height, width, 3))
  return Image.fromarray(np.clip(base + noise, 0, 255).astype(np.uint8), 'RGB')


def encode(image: Image.Image, kind: Optional[str] = None, quality: int = 90) -> bytes:
  """Plain JPEG (kind None) or one of the hard kinds, or 'bmp', 'rgba_png',
  'palette_png', 'gray16_png'."""
  out = io.BytesIO()
  if kind is None:
    image.save(out, 'JPEG', quality=quality)
  elif kind == 'png':
    image.save(out, 'PNG')
  elif kind == 'rgba_png':
    image.convert('RGBA').save(out, 'PNG')
  elif kind == 'palette_png':
    image.convert('P').save(out, 'PNG')
  elif kind == 'gray16_png':
    pixels = np.asarray(image.convert('L'), dtype=np.uint16) * 257
    Image.fromarray(pixels).save(out, 'PNG')
  elif kind == 'cmyk':
    image.convert('CMYK').save(out, 'JPEG', quality=quality)
  elif kind == 'grayscale':
    image.convert('L').save(out, 'JPEG', quality=quality)
  elif kind == 'progressive':
    image.save(out, 'JPEG', quality=quality, progressive=True)
  elif kind == 'exif':
    exif = Image.Exif()
    exif[0x010F] = 'Canon'
    exif[0x0112] = 6  # Orientation: rotated; the stored size must still be reported.
    image.save(out, 'JPEG', quality=quality, exif=exif.tobytes())
  elif kind == 'bmp':
    image.save(out, 'BMP')
  else:
    raise ValueError('unknown kind %r' % kind)
  return out.getvalue()


def image_bytes(seed: int, kind: Optional[str] = None, width: int = 48,
                height: int = 32) -> bytes:
  return encode(picture(seed, width, height), kind)


def truncated_jpeg(seed: int = 0) -> bytes:
  """A JPEG cut inside its header: Image.open fails."""
  return image_bytes(seed)[:120]


def truncated_scan_jpeg(seed: int = 0) -> bytes:
  """A JPEG whose header is whole but whose scan data stops early: only a full
  decode finds it."""
  data = image_bytes(seed, width=160, height=120)
  return data[:len(data) * 2 // 3]


def damaged_jpeg(damage: str, kind: Optional[str] = None, seed: int = 0) -> bytes:
  """A 320x240 JPEG (kind None or 'progressive') damaged past its header, as issue 12
  found them: 'half' keeps the first half of the file; 'garbled' overwrites 2,000
  bytes in the middle of the scan data with random bytes. PIL's Image.open reads
  both headers."""
  data = bytearray(image_bytes(seed, kind, width=320, height=240))
  if damage == 'half':
    return bytes(data[:len(data) // 2])
  if damage != 'garbled':
    raise ValueError('unknown damage %r' % damage)
  middle = (data.find(b'\xff\xda') + len(data)) // 2
  data[middle - 1000:middle + 1000] = np.random.default_rng(seed).bytes(2000)
  return bytes(data)


# The sizes issue 24 found lying frame headers claiming over 16x16 scan data
# (width, height): each passed the structure walk and the quick check before.
LYING_SIZES = ((65535, 65535), (16, 20000), (2000, 16))


def lying_jpeg(width: int, height: int, kind: Optional[str] = None) -> bytes:
  """A real 16x16 JPEG (kind None, 'grayscale' or 'progressive') whose frame header
  (SOF) is rewritten to claim width x height: PIL and TensorFlow read the claimed
  size, and TensorFlow decodes the missing blocks as grey."""
  data = bytearray(image_bytes(1, kind, width=16, height=16))
  sof = data.find(b'\xff\xc2' if kind == 'progressive' else b'\xff\xc0')
  data[sof + 5:sof + 9] = height.to_bytes(2, 'big') + width.to_bytes(2, 'big')
  return bytes(data)


def write(path: str, data: bytes) -> str:
  os.makedirs(os.path.dirname(path), exist_ok=True)
  with open(path, 'wb') as f:
    f.write(data)
  return path


def synset_names(count: int) -> List[str]:
  return ['n%08d' % (1440764 + 17 * i) for i in range(count)]


def make_imagenet_split(directory: str, synsets: Sequence[str], per_class: int,
                        seed: int = 0,
                        special: Optional[Dict[str, bytes]] = None,
                        name_format: str = '%(synset)s_%(n)d.JPEG') -> Dict[str, bytes]:
  """Writes `<directory>/<synset>/<synset>_<n>.JPEG`; returns {filename: bytes}.

  Image sizes vary (width 40..71, height 30..45) so size mix-ups show. `special`
  replaces the bytes of given file names (e.g. hard cases or corrupt files).
  """
  files = {}
  for class_index, synset in enumerate(synsets):
    for n in range(per_class):
      name = name_format % {'synset': synset, 'n': n}
      number = seed * 100000 + class_index * 1000 + n
      data = image_bytes(number, width=40 + number % 32, height=30 + number % 16)
      if special and name in special:
        data = special[name]
      write(os.path.join(directory, synset, name), data)
      files[name] = data
  return files


def write_label_files(directory: str, synsets: Sequence[str]) -> (str, str):
  """Writes a synsets file and a metadata file for `synsets`; returns their paths."""
  os.makedirs(directory, exist_ok=True)
  synsets_file = os.path.join(directory, 'synsets.txt')
  metadata_file = os.path.join(directory, 'metadata.txt')
  with open(synsets_file, 'w') as f:
    f.write(''.join(s + '\n' for s in synsets))
  with open(metadata_file, 'w') as f:
    f.write('n99999999\tunused class\n')
    f.write(''.join('%s\tclass %s, number %d\n' % (s, s[-3:], i)
                    for i, s in enumerate(synsets)))
  return synsets_file, metadata_file
