"""Serialized tf.train.Example records in the inception format (docs/FORMAT.md, "Records").

The protobuf wire format is written directly: the bytes equal TensorFlow's
`tf.train.Example(...).SerializeToString(deterministic=True)` (features sorted by key,
each list written as the original `_bytes_feature`/`_float_feature`/`_int64_feature`
helpers built it), so shards are byte-identical on any machine and the shard workers
need no TensorFlow. tests/example_records_test.py checks the equality against TF.

`imagenet_example` writes exactly the 15 keys of docs/FORMAT.md, "Records"; `generic_example` writes the
9 keys of the original build_image_data.py (no synset, no boxes). A box is any
sequence (xmin, ymin, xmax, ymax) in relative coordinates: a bounding_boxes.Box or a
plain tuple in the same order (the workers get plain tuples; this module imports nothing
that imports TensorFlow). The image comes whole, as prepare_image returns it: its JPEG
bytes and pixel size (a PreparedImage).
"""

import functools
import struct
from typing import List, Sequence, Tuple

from inception.records import _image_coding

COLORSPACE = b'RGB'
CHANNELS = 3
IMAGE_FORMAT = b'JPEG'

IMAGENET_KEYS = (
    'image/channels',
    'image/class/label',
    'image/class/synset',
    'image/class/text',
    'image/colorspace',
    'image/encoded',
    'image/filename',
    'image/format',
    'image/height',
    'image/object/bbox/label',
    'image/object/bbox/xmax',
    'image/object/bbox/xmin',
    'image/object/bbox/ymax',
    'image/object/bbox/ymin',
    'image/width',
)

# The generic format (build_image_data): ImageNet's keys less the synset and boxes.
GENERIC_KEYS = tuple(key for key in IMAGENET_KEYS
                     if key != 'image/class/synset' and
                     not key.startswith('image/object/'))

BoxCoordinates = Sequence[float]  # (xmin, ymin, xmax, ymax), e.g. bounding_boxes.Box


def imagenet_example(image: _image_coding.PreparedImage, filename: str, label: int,
                     synset: str, text: str,
                     boxes: Sequence[BoxCoordinates] = ()) -> bytes:
  """One ImageNet record: the 15 keys of docs/FORMAT.md, "Records".

  Args:
    image: the JPEG bytes and their pixel size (prepare_image's result).
    filename: the image's basename, e.g. 'n01440764_10026.JPEG'.
    label: 1..1000, 1 + the synset's line index in the synsets file.
    synset: the wnid, e.g. 'n01440764'.
    text: the class's human text, e.g. 'tench, Tinca tinca'.
    boxes: relative boxes (xmin, ymin, xmax, ymax); the four bbox lists are present and
      empty without any, and image/object/bbox/label repeats `label` once per box.
  """
  # In key order, as deterministic serialization sorts map keys. What depends only on
  # the class, a size or a box count is built once (the lru_caches below).
  encoded = image.encoded
  name = filename.encode('utf-8')
  return _example([
      _imagenet_class_entries(label, synset, text),  # channels .. colorspace
      _bytes_entry_head(_ENCODED_KEY, len(encoded)), encoded,
      _bytes_entry_head(_FILENAME_KEY, len(name)), name,
      _CONSTANT_FORMAT,
      _size_entry(_HEIGHT_KEY, image.height),
      _box_entries(label, boxes) if boxes else _NO_BOXES,
      _size_entry(_WIDTH_KEY, image.width),
  ])


def generic_example(image: _image_coding.PreparedImage, filename: str, label: int,
                    text: str) -> bytes:
  """One folder-per-class record, with the keys of the original build_image_data.py."""
  encoded = image.encoded
  name = filename.encode('utf-8')
  return _example([  # in key order
      _generic_class_entries(label, text),  # channels .. colorspace
      _bytes_entry_head(_ENCODED_KEY, len(encoded)), encoded,
      _bytes_entry_head(_FILENAME_KEY, len(name)), name,
      _CONSTANT_FORMAT,
      _size_entry(_HEIGHT_KEY, image.height),
      _size_entry(_WIDTH_KEY, image.width),
  ])


# Wire format (tensorflow/core/example/{example,feature}.proto):
#   Example{1: Features}; Features{1: repeated MapEntry}; MapEntry{1: key, 2: Feature};
#   Feature{1: BytesList | 2: FloatList | 3: Int64List}; XList{1: values, numbers packed}.
# An entry is a (head, tail) pair of bytes: head holds every header, tail the value
# bytes of a BytesList (the image is only referenced until the final join).
_BYTES_LIST, _FLOAT_LIST, _INT64_LIST = 1, 2, 3
_Entry = Tuple[bytes, bytes]


def _example(pieces: List[bytes]) -> bytes:
  """The Example message around its map entries' bytes, given as pieces in order (the
  list is consumed)."""
  pieces.insert(0, _header(1, sum(map(len, pieces))))
  return b''.join(pieces)


def _joined(entry: _Entry) -> bytes:
  head, tail = entry
  return head + tail


@functools.lru_cache(maxsize=4096)
def _imagenet_class_entries(label: int, synset: str, text: str) -> bytes:
  return b''.join((_CONSTANT_CHANNELS, _joined(_int64_entry('image/class/label', (label,))),
                   _joined(_bytes_entry('image/class/synset', synset.encode('utf-8'))),
                   _joined(_bytes_entry('image/class/text', text.encode('utf-8'))),
                   _CONSTANT_COLORSPACE))


@functools.lru_cache(maxsize=4096)
def _generic_class_entries(label: int, text: str) -> bytes:
  return b''.join((_CONSTANT_CHANNELS, _joined(_int64_entry('image/class/label', (label,))),
                   _joined(_bytes_entry('image/class/text', text.encode('utf-8'))),
                   _CONSTANT_COLORSPACE))


@functools.lru_cache(maxsize=16384)
def _size_entry(key: str, value: int) -> bytes:
  return _joined(_int64_entry(key, (value,)))


@functools.lru_cache(maxsize=1 << 14)
def _bytes_entry_head(key_field: bytes, size: int) -> bytes:
  """The head of a one-value BytesList entry whose value has `size` bytes (_entry's
  arithmetic, unrolled: the image and the file name of every record take it)."""
  value_header = _header(1, size)
  list_length = len(value_header) + size
  feature = _header(_BYTES_LIST, list_length) + value_header
  feature_header = _header(2, len(feature) + size)
  return (_header(1, len(key_field) + len(feature_header) + len(feature) + size) +
          key_field + feature_header + feature)


def _box_entries(label: int, boxes: Sequence[BoxCoordinates]) -> bytes:
  """The five bbox entries (label, xmax, xmin, ymax, ymin), in key order, for one box
  or more: the heads per (label, box count) built once, the four float lists packed
  in one call (the bytes of _encoded_box_entries, which builds them in full)."""
  count = len(boxes)
  if count == 1:
    box = boxes[0]
    values = (box[2], box[0], box[3], box[1])
  else:
    values = ([box[2] for box in boxes] + [box[0] for box in boxes] +
              [box[3] for box in boxes] + [box[1] for box in boxes])
  payload = _float_packer(count).pack(*values)
  label_entry, xmax_head, xmin_head, ymax_head, ymin_head = _box_heads(label, count)
  size = 4 * count
  return b''.join((label_entry, xmax_head, payload[:size], xmin_head,
                   payload[size:2 * size], ymax_head, payload[2 * size:3 * size],
                   ymin_head, payload[3 * size:]))


@functools.lru_cache(maxsize=64)
def _float_packer(count: int) -> struct.Struct:
  """Packs the four float lists of `count` boxes, one after the other."""
  return struct.Struct('<%df' % (4 * count))


@functools.lru_cache(maxsize=4096)
def _box_heads(label: int, count: int) -> Tuple[bytes, ...]:
  """The bbox label entry of `count` boxes, and the heads of the four float entries
  (xmax, xmin, ymax, ymin) whose values follow each."""
  values_head = _header(1, 4 * count)
  placeholder = bytes(4 * count)
  return ((_joined(_int64_entry('image/object/bbox/label', (label,) * count)),) +
          tuple(_entry('image/object/bbox/' + key, _FLOAT_LIST, values_head,
                       placeholder)[0]
                for key in ('xmax', 'xmin', 'ymax', 'ymin')))


def _encoded_box_entries(label: int, boxes: Sequence[BoxCoordinates]) -> bytes:
  return b''.join(map(_joined, (
      _int64_entry('image/object/bbox/label', (label,) * len(boxes)),
      _float_entry('image/object/bbox/xmax', [b[2] for b in boxes]),
      _float_entry('image/object/bbox/xmin', [b[0] for b in boxes]),
      _float_entry('image/object/bbox/ymax', [b[3] for b in boxes]),
      _float_entry('image/object/bbox/ymin', [b[1] for b in boxes]))))


def _entry(key: str, kind: int, list_head: bytes, tail: bytes = b'') -> _Entry:
  list_length = len(list_head) + len(tail)
  feature = _header(kind, list_length) + list_head
  key_field = _KEY_FIELDS.get(key) or _key_field(key)
  value_header = _header(2, len(feature) + len(tail))
  entry_length = len(key_field) + len(value_header) + len(feature) + len(tail)
  return _header(1, entry_length) + key_field + value_header + feature, tail


def _bytes_entry(key: str, value: bytes) -> _Entry:
  return _bytes_entry_head(_KEY_FIELDS.get(key) or _key_field(key), len(value)), value


def _int64_entry(key: str, values: Sequence[int]) -> _Entry:
  if not values:
    return _entry(key, _INT64_LIST, b'')
  payload = b''.join([_varint(v & 0xFFFFFFFFFFFFFFFF) for v in values])
  return _entry(key, _INT64_LIST, _header(1, len(payload)) + payload)


def _float_entry(key: str, values: Sequence[float]) -> _Entry:
  if not values:
    return _entry(key, _FLOAT_LIST, b'')
  payload = struct.pack('<%df' % len(values), *values)
  return _entry(key, _FLOAT_LIST, _header(1, len(payload)) + payload)


def _header(number: int, length: int) -> bytes:
  """Tag and length of a length-delimited field."""
  return _SMALL_VARINTS[number << 3 | 2] + _varint(length)


def _varint(value: int) -> bytes:
  if value < _TABLED_VARINTS:
    return _VARINTS[value]
  out = bytearray()
  while value >= 0x80:
    out.append((value & 0x7F) | 0x80)
    value >>= 7
  out.append(value)
  return bytes(out)


def _key_field(key: str) -> bytes:
  key_bytes = key.encode('utf-8')
  return _header(1, len(key_bytes)) + key_bytes


_SMALL_VARINTS = tuple(bytes((v,)) for v in range(0x80))
# Every varint of one or two bytes, built once: record and value lengths of tiny
# images and of every file name (~0.6 MB).
_TABLED_VARINTS = 1 << 14
_VARINTS = _SMALL_VARINTS + tuple(bytes(((v & 0x7F) | 0x80, v >> 7))
                                  for v in range(0x80, _TABLED_VARINTS))
_KEY_FIELDS = {key: _key_field(key) for key in IMAGENET_KEYS}
_ENCODED_KEY = _KEY_FIELDS['image/encoded']
_FILENAME_KEY = _KEY_FIELDS['image/filename']
_HEIGHT_KEY = 'image/height'
_WIDTH_KEY = 'image/width'
_CONSTANT_CHANNELS = _joined(_int64_entry('image/channels', (CHANNELS,)))
_CONSTANT_COLORSPACE = _joined(_bytes_entry('image/colorspace', COLORSPACE))
_CONSTANT_FORMAT = _joined(_bytes_entry('image/format', IMAGE_FORMAT))
_NO_BOXES = _encoded_box_entries(0, ())  # present and empty
