"""Checks of one record: its schema, label, boxes and image (docs/FORMAT.md, "Records").

Two schemas are recognised (`detect_schema`): `imagenet`, the 15 keys of the inception
format, and `generic`, the 9 keys of the original build_image_data.py (no synset and no
boxes). `check_example` checks the keys and value types, the constant fields, the label
against the label files (`LabelFiles`) and the boxes; `check_image` checks that
image/encoded is a JPEG whose frame header (`jpeg_header`) has the recorded size and 1
or 3 components and claims no more pixels than its scan data can hold (the converter's
bound, `records.jpeg_size_error`: TensorFlow decodes such a file to the size claimed,
filling it with grey), and, for the records `in_sample` chooses, that it decodes to
that size: with Pillow (PILLOW, the sample of a quick check: no TensorFlow in the
process) or with TensorFlow's `tf.io.decode_jpeg(channels=3)` (TENSORFLOW, the full
check: the decoder the training readers use), as `decoder_for` chooses. Both accept
and refuse the same files (tests/check/record_checks_test.py, DecodersAgreeTest): the
demo's CMYK, grayscale, progressive and EXIF JPEGs and its PNG bytes decode in both
(the check refuses the PNG and CMYK records before any decode); files cut anywhere
(even just before the end-of-image marker), headers without data and garbled scan
data are refused by both; a frame header claiming more rows than the data holds
decodes in both, the rest grey (the scan bound refuses it: jpeg_size_error).

Each check returns (kind, message) problems; the shard check gives them a location.
Records are read without TensorFlow: straight from their bytes when they are in the
usual layout (`_wire_values`), else parsed by upb (`_example_proto`), which names the
fault; both give the same values (`fields_and_problems` checks them). The frame
header and the scan bound come from one walk (`records.jpeg_frame`). TensorFlow is
imported on first use only, by TENSORFLOW's first decode.
"""

import dataclasses
import functools
import io
import re
import zlib
from typing import Any, Callable, Dict, List, Optional, Sequence, Tuple

from google.protobuf import message as protobuf_message
from PIL import Image

from inception import label_files
from inception import records
from inception.check import _example_proto
from inception.check import _failures
from inception.check import _wire_values

IMAGENET_SCHEMA = 'imagenet'
GENERIC_SCHEMA = 'generic'

# How sampled images are decoded (decoder_for): Pillow in the worker, or TensorFlow.
PILLOW = 'pillow'
TENSORFLOW = 'tensorflow'
DECODERS = (PILLOW, TENSORFLOW)

_BYTES = 'bytes_list'
_INT64 = 'int64_list'
_FLOAT = 'float_list'
_BOX_COORDINATE_KEYS = ('image/object/bbox/xmin', 'image/object/bbox/ymin',
                        'image/object/bbox/xmax', 'image/object/bbox/ymax')
_BOX_LABEL_KEY = 'image/object/bbox/label'
IMAGENET_FEATURES: Dict[str, str] = {
    'image/encoded': _BYTES,
    'image/height': _INT64,
    'image/width': _INT64,
    'image/colorspace': _BYTES,
    'image/channels': _INT64,
    'image/format': _BYTES,
    'image/filename': _BYTES,
    'image/class/label': _INT64,
    'image/class/synset': _BYTES,
    'image/class/text': _BYTES,
    **{key: _FLOAT for key in _BOX_COORDINATE_KEYS},
    _BOX_LABEL_KEY: _INT64,
}
GENERIC_FEATURES: Dict[str, str] = {
    key: kind for key, kind in IMAGENET_FEATURES.items()
    if key != 'image/class/synset' and not key.startswith('image/object/')
}
FEATURES_BY_SCHEMA = {IMAGENET_SCHEMA: IMAGENET_FEATURES,
                      GENERIC_SCHEMA: GENERIC_FEATURES}
_LIST_KEYS = frozenset(_BOX_COORDINATE_KEYS + (_BOX_LABEL_KEY,))
# How check_example reads the records of each schema in the usual layout.
LAYOUTS = {schema: _wire_values.Layout(
    features, list_keys=_LIST_KEYS, raw_keys=('image/encoded',),
    varying_keys=frozenset(('image/encoded', 'image/filename') + _BOX_COORDINATE_KEYS))
            for schema, features in FEATURES_BY_SCHEMA.items()}

_WNID_PREFIX = re.compile(r'^(n\d{8})_')
_VALIDATION_PREFIX = 'ILSVRC2012_val_'  # (what _VALIDATION_NAME starts with)
_VALIDATION_NAME = re.compile(r'^ILSVRC2012_val_(\d{8})\.JPEG$')

Problems = List[Tuple[str, str]]  # (failure kind, message)
Box = Tuple[float, float, float, float]  # xmin, ymin, xmax, ymax


@dataclasses.dataclass(frozen=True)
class LabelFiles:
  """The class list a check compares records against (label i+1 is synsets[i])."""
  synsets: Tuple[str, ...]
  texts: Optional[Tuple[str, ...]] = None
  validation_labels: Optional[Tuple[str, ...]] = None


@functools.lru_cache(maxsize=1)
def read_label_files(synsets_file: str, metadata_file: Optional[str],
                     validation_labels_file: Optional[str]) -> LabelFiles:
  """Reads the label files once per process (each shard check of a run needs them).

  Raises:
    ValueError: a label file is malformed.
  """
  synsets = label_files.read_synsets(synsets_file)
  texts = None
  if metadata_file:
    texts = tuple(label_files.class_texts(
        synsets, label_files.read_metadata(metadata_file), source=metadata_file))
  validation_labels = None
  if validation_labels_file:
    validation_labels = tuple(label_files.read_validation_labels(validation_labels_file))
  return LabelFiles(tuple(synsets), texts, validation_labels)


@dataclasses.dataclass
class RecordFields:
  """The values of one Example that the checks and the summary use."""
  filename: str = ''
  label: Optional[int] = None
  synset: str = ''
  text: str = ''
  height: Optional[int] = None
  width: Optional[int] = None
  encoded: bytes = b''
  boxes: List[Box] = dataclasses.field(default_factory=list)


def detect_schema(serialized: bytes) -> str:
  """`imagenet` when a record has a synset or box key, else `generic`."""
  keys = _example_proto.Example.FromString(serialized).features.feature.keys()
  if any(k == 'image/class/synset' or k.startswith('image/object/') for k in keys):
    return IMAGENET_SCHEMA
  return GENERIC_SCHEMA


def check_example(serialized: bytes, schema: str = IMAGENET_SCHEMA,
                  labels: Optional[LabelFiles] = None,
                  split: Optional[str] = None) -> Tuple[RecordFields, Problems]:
  """Checks one serialized Example against the schema and the label files.

  A record of the test split (records.TEST) must be unlabelled: label
  records.UNLABELLED, no synset, text or box; any other split's labels start at 1.

  Returns:
    The fields read (those that could be read), and (kind, message) problems.
  """
  values = _wire_values.read_values(serialized, LAYOUTS[schema])
  if values is None:  # not in the usual layout: upb parses it, and finds the fault
    try:
      example = _example_proto.Example.FromString(serialized)
    except protobuf_message.DecodeError as e:
      return RecordFields(), [(_failures.SCHEMA, 'not a tf.train.Example: %s' % e)]
    values, problems = parsed_values(example, schema)
  else:
    problems = []
  return fields_and_problems(values, problems, schema, labels, split)


def fields_and_problems(values: Dict[str, Any], problems: Problems, schema: str,
                        labels: Optional[LabelFiles],
                        split: Optional[str]) -> Tuple[RecordFields, Problems]:
  """check_example's result from a record's values and schema problems, however
  they were read (`_wire_values`, or upb's message: `parsed_values`)."""
  fields = RecordFields()
  fields.filename = values.get('image/filename', '')
  fields.label = values.get('image/class/label')
  fields.synset = values.get('image/class/synset', '')
  fields.text = values.get('image/class/text', '')
  fields.height = values.get('image/height')
  fields.width = values.get('image/width')
  fields.encoded = values.get('image/encoded', b'')
  problems.extend(_check_constants(values))
  if 'image/filename' in values and (not fields.filename or '/' in fields.filename):
    problems.append((_failures.SCHEMA, 'image/filename %r is not a base name' %
                     fields.filename))
  for key in ('image/height', 'image/width'):
    if key in values and values[key] <= 0:
      problems.append((_failures.SCHEMA, '%s is %d' % (key, values[key])))
  problems.extend(_check_unlabelled(fields) if split == records.TEST
                  else _check_label(fields, schema, labels))
  if schema == IMAGENET_SCHEMA:
    box_problems, fields.boxes = _check_boxes(values, fields.label)
    problems.extend(box_problems)
    if split == records.TEST and fields.boxes:
      problems.append((_failures.BOX, '%d bounding boxes; a test record has none' %
                       len(fields.boxes)))
  return fields, problems


def parsed_values(example, schema: str) -> Tuple[Dict[str, Any], Problems]:
  """The values of a parsed Example's expected features, and the schema's problems:
  keys missing or unexpected, a value of the wrong kind or count, a text not UTF-8."""
  problems: Problems = []
  features = dict(example.features.feature.items())
  expected = FEATURES_BY_SCHEMA[schema]
  if features.keys() != expected.keys():
    missing = sorted(expected.keys() - features.keys())
    extra = sorted(features.keys() - expected.keys())
    if missing:
      problems.append((_failures.SCHEMA, 'missing keys: %s' % ', '.join(missing)))
    if extra:
      problems.append((_failures.SCHEMA, 'unexpected keys: %s' % ', '.join(extra)))
  values: Dict[str, Any] = {}
  for key, kind in expected.items():
    feature = features.get(key)
    if feature is None:
      continue
    actual = feature.WhichOneof('kind')
    if actual != kind:
      problems.append((_failures.SCHEMA, '%s is a %s, expected a %s' % (
          key, actual or 'feature without values', kind)))
      continue
    value_list = getattr(feature, kind).value
    if key in _LIST_KEYS:
      values[key] = list(value_list)
    elif len(value_list) != 1:
      problems.append((_failures.SCHEMA, '%s holds %d values, expected 1' % (
          key, len(value_list))))
    elif kind == _BYTES and key != 'image/encoded':
      try:
        values[key] = value_list[0].decode('utf-8')
      except UnicodeDecodeError:
        problems.append((_failures.SCHEMA, '%s is not UTF-8: %r' % (
            key, value_list[0][:40])))
    else:
      values[key] = value_list[0]

  return values, problems


def _check_constants(values: Dict[str, Any]) -> Problems:
  problems = []
  for key, expected in (('image/colorspace', 'RGB'), ('image/format', 'JPEG'),
                        ('image/channels', 3)):
    if key in values and values[key] != expected:
      problems.append((_failures.SCHEMA, '%s is %r, expected %r' % (
          key, values[key], expected)))
  return problems


def _check_unlabelled(fields: RecordFields) -> Problems:
  """A test record: label records.UNLABELLED, empty synset and text."""
  problems = []
  if fields.label is not None and fields.label != records.UNLABELLED:
    problems.append((_failures.LABEL, 'image/class/label is %d; a test record is '
                     'unlabelled (%d)' % (fields.label, records.UNLABELLED)))
  for key, value in (('synset', fields.synset), ('text', fields.text)):
    if value:
      problems.append((_failures.LABEL, 'image/class/%s is %r; a test record has '
                       'none' % (key, value)))
  return problems


def _check_label(fields: RecordFields, schema: str,
                 labels: Optional[LabelFiles]) -> Problems:
  """Label against the label files, and the file name against the synset."""
  problems = []
  label = fields.label
  if label is None:
    return problems
  if label < 1:
    problems.append((_failures.LABEL, 'image/class/label is %d; labels start at 1 (0 '
                     'is the background class)' % label))
    return problems
  if schema != IMAGENET_SCHEMA:
    return problems
  if labels is not None:
    if label > len(labels.synsets):
      problems.append((_failures.LABEL, 'image/class/label %d is beyond the %d classes '
                       'of the synsets file' % (label, len(labels.synsets))))
      return problems
    synset = labels.synsets[label - 1]
    if fields.synset and fields.synset != synset:
      problems.append((_failures.LABEL, 'label %d is %s in the synsets file, but '
                       'image/class/synset is %s' % (label, synset, fields.synset)))
    elif labels.texts is not None and fields.text != labels.texts[label - 1]:
      problems.append((_failures.LABEL, 'image/class/text of %s is %r, the metadata '
                       'file says %r' % (synset, fields.text, labels.texts[label - 1])))
    validation = (fields.filename.startswith(_VALIDATION_PREFIX) and
                  _VALIDATION_NAME.match(fields.filename))
    if validation and labels.validation_labels and fields.synset:
      number = int(validation.group(1))
      if number > len(labels.validation_labels):
        problems.append((_failures.LABEL, '%s is beyond the %d lines of the validation '
                         'label file' % (fields.filename, len(labels.validation_labels))))
      elif labels.validation_labels[number - 1] != fields.synset:
        problems.append((_failures.LABEL, 'the validation label file says %s is %s, '
                         'the record says %s' % (fields.filename,
                                                 labels.validation_labels[number - 1],
                                                 fields.synset)))
  prefix = _WNID_PREFIX.match(fields.filename)
  if prefix and fields.synset and prefix.group(1) != fields.synset:
    problems.append((_failures.LABEL, 'file name %s is of class %s, the record says %s'
                     % (fields.filename, prefix.group(1), fields.synset)))
  return problems


def _check_boxes(values: Dict[str, Any],
                 label: Optional[int]) -> Tuple[Problems, List[Box]]:
  """Boxes: equal list lengths, coordinates in [0, 1], min < max, labels equal."""
  coordinates = [values.get(key) for key in _BOX_COORDINATE_KEYS]
  box_labels = values.get(_BOX_LABEL_KEY)
  if box_labels is None or None in coordinates:
    return [], []
  if not box_labels and not any(coordinates):  # no box: most records
    return [], []
  lengths = [len(c) for c in coordinates] + [len(box_labels)]
  if len(set(lengths)) != 1:
    return [(_failures.BOX, 'box lists differ in length (xmin, ymin, xmax, ymax, '
             'label): %s' % ', '.join(map(str, lengths)))], []
  problems = []
  boxes = []
  for i, box in enumerate(zip(*coordinates)):
    xmin, ymin, xmax, ymax = box
    if not (0.0 <= xmin <= 1.0 and 0.0 <= ymin <= 1.0 and 0.0 <= xmax <= 1.0 and
            0.0 <= ymax <= 1.0):  # also rejects NaN
      problems.append((_failures.BOX, 'box %d %s is not within [0, 1]' % (
          i, _format_box(box))))
    elif not (xmin < xmax and ymin < ymax):
      problems.append((_failures.BOX, 'box %d %s does not have min < max' % (
          i, _format_box(box))))
    else:
      boxes.append(box)
  if label is not None:
    wrong = [b for b in box_labels if b != label]
    if wrong:
      problems.append((_failures.BOX, 'image/object/bbox/label holds %s, expected the '
                       'class label %d' % (sorted(set(wrong))[:5], label)))
  return problems, boxes


def _format_box(box: Sequence[float]) -> str:
  return '(%s)' % ', '.join('%.4g' % v for v in box)


def jpeg_header(data: bytes) -> Tuple[int, int, int]:
  """Returns (height, width, components) from a JPEG's frame (SOFn) header.

  Raises:
    ValueError: the bytes are not a JPEG, or end before the frame header.
  """
  return records.jpeg_frame(data)[:3]


def decoder_for(sample_fraction: float) -> str:
  """TENSORFLOW for a full check (every image decoded, --check=full), else PILLOW:
  a sample needs no TensorFlow, whose import costs each worker seconds."""
  return TENSORFLOW if sample_fraction >= 1.0 else PILLOW


def check_image(fields: RecordFields, decode: bool,
                decoder: str = TENSORFLOW) -> Tuple[Problems, bool]:
  """Checks image/encoded: JPEG magic, header size and components, optional decode
  with `decoder` (one of DECODERS).

  Each message names the image's source file (image/filename), to find and replace it.

  Returns:
    (kind, message) problems, and whether a full decode was done and succeeded.
  """
  problems, decoded = _image_problems(fields, decode, decoder)
  source = 'image/filename %s' % (fields.filename or '(none)')
  return [(kind, '%s: %s' % (source, message)) for kind, message in problems], decoded


def _image_problems(fields: RecordFields, decode: bool,
                    decoder: str) -> Tuple[Problems, bool]:
  encoded = fields.encoded
  if not encoded:
    return [(_failures.IMAGE, 'image/encoded is empty')], False
  if not records.is_jpeg(encoded):
    kind = 'PNG' if records.is_png(encoded) else 'not JPEG'
    return [(_failures.IMAGE, 'image/encoded is not a JPEG (%s, starts with %r)' %
             (kind, encoded[:4]))], False
  try:
    height, width, components, size_error = records.jpeg_frame(encoded)
  except ValueError as e:
    return [(_failures.IMAGE, 'image/encoded: %s' % e)], False
  problems = []
  if (fields.height, fields.width) != (height, width):
    problems.append((_failures.IMAGE, 'JPEG is %dx%d (height x width), the record says '
                     '%sx%s' % (height, width, fields.height, fields.width)))
  if components not in (1, 3):
    problems.append((_failures.IMAGE, 'JPEG has %d components (CMYK?); it should have '
                     'been re-encoded as RGB' % components))
  if size_error:
    problems.append((_failures.IMAGE, 'image/encoded: %s' % size_error))
  if not decode:
    return problems, False
  try:
    shape = decoded_shape(encoded, decoder)
  except ValueError as e:
    problems.append((_failures.IMAGE, 'image/encoded does not decode: %s' % e))
    return problems, False
  if shape != (fields.height, fields.width, 3):
    problems.append((_failures.IMAGE, 'decodes to shape %s, the record says (%s, %s, 3)'
                     % (shape, fields.height, fields.width)))
  return problems, not problems


def decoded_shape(encoded: bytes, decoder: str) -> Tuple[int, int, int]:
  """(height, width, 3): what `decoder` (one of DECODERS) decodes the image to.

  Raises:
    ValueError: it does not decode; the decoder's reason, on one line.
  """
  return _DECODE[decoder](encoded)


def _pillow_shape(encoded: bytes) -> Tuple[int, int, int]:
  try:
    with Image.open(io.BytesIO(encoded)) as image:
      image.load()  # every pixel; a truncated file raises (LOAD_TRUNCATED_IMAGES off)
      width, height = image.size
  except Exception as e:  # PIL raises OSError, SyntaxError, ValueError, ...
    message = _failures.first_line(str(e).split(' <_io.BytesIO')[0])
    raise ValueError(message or type(e).__name__) from None
  return height, width, 3


def _tensorflow_shape(encoded: bytes) -> Tuple[int, int, int]:
  import tensorflow as tf  # pylint: disable=g-import-not-at-top  (on first use)
  try:
    return tuple(tf.io.decode_jpeg(encoded, channels=3).shape)
  except (tf.errors.InvalidArgumentError, tf.errors.UnknownError) as e:
    raise ValueError(_failures.first_line(e.message)) from None


_DECODE = {PILLOW: _pillow_shape, TENSORFLOW: _tensorflow_shape}


def in_sample(shard: str, record: int, fraction: float) -> bool:
  """Whether a record is fully decoded: a fixed pseudo-random `fraction` of them."""
  return sample_chooser(shard, fraction)(record)


def sample_chooser(shard: str, fraction: float) -> Callable[[int], bool]:
  """`in_sample(shard, record, fraction)` as a function of the record: the CRC-32 of
  `<shard>/<record>` below `fraction` of its range, the shard's part computed once."""
  if fraction >= 1.0:
    return lambda record: True
  if fraction <= 0.0:
    return lambda record: False
  shard_crc = zlib.crc32(('%s/' % shard).encode())
  threshold = fraction * 2**32
  return lambda record: zlib.crc32(b'%d' % record, shard_crc) < threshold
