"""Checks a directory of converted TFRecord shards and says, with proof, if it is right.

What is checked (SPEC §2, §8):
  framing     every record's length and masked CRC32C (tf.data checks both and stops at
              the first bad record; the shard and record index are reported, and bytes
              left after the last record, which tf.data ignores, are reported too);
  shard_names `<split>-%05d-of-%05d`: no gap, no extra, one `-of-` total per split;
  count       records per split against the expected number (a flag, else the
              conversion manifest, else the ImageNet numbers when the shard totals are
              1024/128), records per shard against the manifest, no empty shard;
  class_count images per class against the manifest, or against ImageNet's
              (732..1300 per train class, 50 per validation class);
  schema      the keys and value types of every tf.train.Example;
  label       label 1..N equals 1 + the synset's line in the synsets file, the text is
              the metadata file's; the `nXXXXXXXX_` prefix of a train file name and the
              validation label file agree with the synset; without label files, each
              label has one synset and text across the output;
  box         boxes in [0, 1] with min < max, bbox/label equal to the class label;
  image       `image/encoded` is a JPEG (magic bytes) whose frame header has the
              recorded height and width and 1 or 3 components (a CMYK JPEG must have
              been re-encoded); a `sample_fraction` of them is also fully decoded with
              tf.io.decode_jpeg(channels=3) and must give (height, width, 3);
  duplicate   no file name twice, within or across splits;
  index       `index/<shard>.idx` (DALI, `offset size` per record), where present,
              matches its shard, and every shard has one if any has;
  manifest    the conversion manifest (inception.conversion_manifest), where present,
              is readable and says each split is complete: after a failed or
              interrupted conversion, the split and its shards without a count.

Two schemas are recognised from the first readable record: `imagenet` (the 15 keys of
SPEC §2) and `generic` (the 9 keys of the original build_image_data.py: no synset and no
boxes). The generic schema is checked the same way without the synset and box rules,
and label files are not used for it (each label must still have one text).

Shards are checked in parallel by a process pool (spawn); each worker returns a small
per-shard summary, and the parent merges them. `check_directory` returns a
`CheckReport` and writes, into `report_dir`, a JSON report and one for people: a
Markdown summary with the counts and shard size tables, a class histogram PNG and a
contact sheet PNG of sample images with their label text and boxes drawn.
"""

import collections
import dataclasses
import io
import json
import math
import multiprocessing
import os
import re
import statistics
import struct
import time
import zlib
from typing import Any, Dict, Iterable, List, Optional, Sequence, Set, Tuple

from absl import logging
from google.protobuf import message as protobuf_message
from PIL import Image, ImageDraw, ImageFont
import tensorflow as tf

from inception import core
from inception import label_files
from inception import records as records_lib

# Failure kinds.
FRAMING = 'framing'
SHARD_NAMES = 'shard_names'
COUNT = 'count'
CLASS_COUNT = 'class_count'
SCHEMA = 'schema'
LABEL = 'label'
BOX = 'box'
IMAGE = 'image'
DUPLICATE = 'duplicate'
INDEX = 'index'
MANIFEST = 'manifest'

IMAGENET_SCHEMA = 'imagenet'
GENERIC_SCHEMA = 'generic'

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
_FEATURES_BY_SCHEMA = {IMAGENET_SCHEMA: IMAGENET_FEATURES,
                       GENERIC_SCHEMA: GENERIC_FEATURES}
_LIST_KEYS = frozenset(_BOX_COORDINATE_KEYS + (_BOX_LABEL_KEY,))

# ImageNet 2012 (SPEC §1, §5): shards per split, images per split and per class.
IMAGENET_NUM_SHARDS = {'train': 1024, 'validation': 128}
IMAGENET_NUM_IMAGES = {'train': 1281167, 'validation': 50000}
IMAGENET_CLASS_COUNT_RANGE = {'train': (732, 1300), 'validation': (50, 50)}
IMAGENET_NUM_CLASSES = 1000

DEFAULT_REPORT_DIRECTORY = 'check_report'
REPORT_JSON = 'check_report.json'
REPORT_MARKDOWN = 'check_report.md'
CLASS_HISTOGRAM_PNG = 'class_histogram.png'
CONTACT_SHEET_PNG = 'contact_sheet.png'
# Share of images fully decoded in the driver's quick check; everything else is
# checked for every record in both modes.
QUICK_SAMPLE_FRACTION = 0.02

_RECORD_OVERHEAD = 16  # uint64 length + crc of length + crc of data (SPEC §8)
_JPEG_MAGIC = b'\xff\xd8\xff'
_SHARD_LIKE_NAME = re.compile(r'^(?P<split>.+)-(?P<index>\d+)-of-(?P<total>\d+)$')
_WNID_PREFIX = re.compile(r'^(n\d{8})_')
_VALIDATION_NAME = re.compile(r'^ILSVRC2012_val_(\d{8})\.JPEG$')
_DATA_LOSS = re.compile(r'(corrupted|truncated) record at (\d+)')
_MAX_FAILURES_PER_SHARD = 20
_MAX_REPORTED_FAILURES = 1000
_CONTACT_SHEET_SAMPLES = 24
_THUMBNAIL_SIZE = 160


@dataclasses.dataclass(frozen=True)
class Failure:
  """One thing wrong: its kind (see the constants above), where, and what."""
  kind: str
  location: str
  message: str

  def __str__(self) -> str:
    return '%s: %s [%s]' % (self.location, self.message, self.kind)


@dataclasses.dataclass(frozen=True)
class ShardName:
  split: str
  index: int
  total: int

  @property
  def name(self) -> str:
    return format_shard_name(self.split, self.index, self.total)


@dataclasses.dataclass(frozen=True)
class SplitExpectation:
  """What a split should hold; None where nothing is known."""
  source: str
  num_records: Optional[int] = None
  num_shards: Optional[int] = None
  # Records per shard in index order; None for a shard not known.
  shard_records: Optional[Tuple[Optional[int], ...]] = None
  # Images per class, keyed by label digits, or by synset (imagenet schema) / text.
  class_counts: Optional[Dict[str, int]] = None
  class_count_range: Optional[Tuple[int, int]] = None
  num_classes: Optional[int] = None
  record_format: Optional[str] = None  # the schema the converter says it wrote
  complete: Optional[bool] = None  # False: the conversion did not finish


@dataclasses.dataclass(frozen=True)
class LabelFiles:
  """The class list a check compares records against (label i+1 is synsets[i])."""
  synsets: Tuple[str, ...]
  texts: Optional[Tuple[str, ...]] = None
  validation_labels: Optional[Tuple[str, ...]] = None


@dataclasses.dataclass(frozen=True)
class Sample:
  """A thumbnail of one record, with what the contact sheet writes next to it."""
  shard: str
  record: int
  filename: str
  label: int
  synset: str
  text: str
  boxes: Tuple[Tuple[float, float, float, float], ...]
  thumbnail_size: Tuple[int, int]
  thumbnail_rgb: bytes


@dataclasses.dataclass
class ShardSummary:
  """What a worker learned about one shard: small enough to send back."""
  name: str
  split: str
  num_records: int = 0
  num_bytes: int = 0
  num_boxes: int = 0
  num_images_with_boxes: int = 0
  num_decoded: int = 0
  framing_ok: bool = True
  class_counts: Dict[int, int] = dataclasses.field(default_factory=dict)
  class_keys: Dict[int, Set[Tuple[str, str]]] = dataclasses.field(default_factory=dict)
  filenames: List[str] = dataclasses.field(default_factory=list)
  failures: List[Failure] = dataclasses.field(default_factory=list)
  failures_by_kind: Dict[str, int] = dataclasses.field(default_factory=dict)
  samples: List[Sample] = dataclasses.field(default_factory=list)


@dataclasses.dataclass
class SplitStats:
  """Merged numbers of one split."""
  name: str
  num_shards: int = 0
  num_records: int = 0
  num_bytes: int = 0
  expected_records: Optional[int] = None
  expected_source: str = ''
  shard_records: List[int] = dataclasses.field(default_factory=list)
  shard_bytes: List[int] = dataclasses.field(default_factory=list)
  class_counts: Dict[int, int] = dataclasses.field(default_factory=dict)
  num_boxes: int = 0
  num_images_with_boxes: int = 0
  num_decoded: int = 0


@dataclasses.dataclass
class CheckReport:
  """The verdict on a directory: ok is True only when there is no failure."""
  directory: str
  ok: bool
  schema: str
  sample_fraction: float
  failures: List[Failure]
  num_failures: int
  failures_by_kind: Dict[str, int]
  warnings: List[str]
  splits: Dict[str, SplitStats]
  class_names: Dict[int, str]
  report_files: Dict[str, str] = dataclasses.field(default_factory=dict)

  def failure_kinds(self) -> Set[str]:
    return set(self.failures_by_kind)

  def summary_line(self) -> str:
    counts = ', '.join('%s %d' % (s.name, s.num_records) for s in self.splits.values())
    if self.ok:
      return 'Check passed: %s (%s).' % (self.directory, counts or 'no records')
    return 'Check FAILED: %s: %d failures (%s); records: %s.' % (
        self.directory, self.num_failures,
        ', '.join('%s %d' % kv for kv in sorted(self.failures_by_kind.items())),
        counts or 'none')

  def to_json(self) -> Dict[str, Any]:
    """A JSON-ready dict (the report file sorts its keys)."""
    splits = {}
    for name, stats in self.splits.items():
      splits[name] = {
          'num_shards': stats.num_shards,
          'num_records': stats.num_records,
          'num_bytes': stats.num_bytes,
          'expected_records': stats.expected_records,
          'expected_source': stats.expected_source,
          'shard_records': stats.shard_records,
          'shard_bytes': stats.shard_bytes,
          'shard_records_spread': _spread(stats.shard_records),
          'shard_bytes_spread': _spread(stats.shard_bytes),
          'class_counts': {str(k): v for k, v in sorted(stats.class_counts.items())},
          'class_counts_spread': _spread(list(stats.class_counts.values())),
          'num_classes': len(stats.class_counts),
          'num_boxes': stats.num_boxes,
          'num_images_with_boxes': stats.num_images_with_boxes,
          'num_images_decoded': stats.num_decoded,
      }
    return {
        'directory': self.directory,
        'ok': self.ok,
        'schema': self.schema,
        'sample_fraction': self.sample_fraction,
        'num_failures': self.num_failures,
        'failures_by_kind': dict(sorted(self.failures_by_kind.items())),
        'failures': [dataclasses.asdict(f) for f in self.failures],
        'warnings': self.warnings,
        'splits': splits,
        'class_names': {str(k): v for k, v in sorted(self.class_names.items())},
    }


# ----------------------------------------------------------------------------
# Shard names.


def format_shard_name(split: str, index: int, total: int) -> str:
  """The shard name SPEC §2 fixes: '%s-%.5d-of-%.5d'."""
  return '%s-%.5d-of-%.5d' % (split, index, total)


def parse_shard_name(name: str) -> Optional[ShardName]:
  """Parses a name that looks like a shard (`x-N-of-M`); None for anything else."""
  match = _SHARD_LIKE_NAME.match(name)
  if not match:
    return None
  return ShardName(match.group('split'), int(match.group('index')),
                   int(match.group('total')))


def split_total(shards: Sequence[ShardName]) -> int:
  """The `-of-` total most of a split's shard names carry (the larger on a tie)."""
  totals = collections.Counter(shard.total for shard in shards)
  return max(totals, key=lambda total: (totals[total], total))


def check_shard_names(
    names: Iterable[str]) -> Tuple[Dict[str, List[ShardName]], List[Failure]]:
  """Groups shard file names by split; reports gaps, extras and mixed totals.

  Args:
    names: file names (not paths) in the output directory. Names that do not look
      like `<split>-<index>-of-<total>` are ignored, as are temporaries.

  Returns:
    The shards of each split sorted by index, and the failures found.
  """
  by_split: Dict[str, List[ShardName]] = collections.defaultdict(list)
  failures = []
  for name in sorted(names):
    if core.is_temporary_path(name):
      continue
    shard = parse_shard_name(name)
    if shard is None:
      continue
    if shard.name != name:
      failures.append(Failure(SHARD_NAMES, name, 'not a shard name of the form %s' %
                              format_shard_name(shard.split, shard.index, shard.total)))
      continue
    by_split[shard.split].append(shard)
  for split, shards in sorted(by_split.items()):
    totals = collections.Counter(shard.total for shard in shards)
    total = split_total(shards)
    if len(totals) > 1:
      described = ', '.join('%d say -of-%05d' % (totals[t], t) for t in sorted(totals))
      failures.append(Failure(SHARD_NAMES, split,
                              'shard names disagree on the total: %s' % described))
    present = {shard.index for shard in shards if shard.total == total}
    missing = [format_shard_name(split, i, total) for i in range(total)
               if i not in present]
    if missing:
      failures.append(Failure(SHARD_NAMES, split, '%d of %d shards missing: %s' % (
          len(missing), total, _first_items(missing))))
    extra = [shard.name for shard in shards if shard.index >= shard.total]
    if extra:
      failures.append(Failure(SHARD_NAMES, split, 'shard index beyond the total: %s' %
                              _first_items(extra)))
    by_split[split] = sorted(shards, key=lambda s: (s.index, s.total))
  return dict(sorted(by_split.items())), failures


# ----------------------------------------------------------------------------
# Expected counts.


def parse_expected_counts(text: str) -> Dict[str, int]:
  """Parses the `--expected_counts` flag: `train=1281167,validation=50000`."""
  counts = {}
  for item in filter(None, (part.strip() for part in text.split(','))):
    split, separator, value = item.partition('=')
    if not separator or not split.strip() or not value.strip().isdigit():
      raise ValueError('expected counts: %r is not split=N (e.g. train=1281167)' % item)
    counts[split.strip()] = int(value)
  return counts


def read_manifest(directory: str) -> Optional[Dict[str, SplitExpectation]]:
  """Reads `<directory>/conversion_manifest.json` into per-split expectations.

  The file is read by inception.conversion_manifest (which documents its keys); of a
  split's record this uses "record_format", "num_shards", "shard_counts" (null for a
  shard not written yet), "complete", "num_images" (null until complete) and
  "class_counts" ({"<label>": n}, empty until complete). A missing or null value means
  nothing is known about it; a failed or interrupted conversion leaves `complete`
  false, which the checks report as such.

  Returns:
    None when there is no manifest.

  Raises:
    ValueError: the manifest exists but cannot be read as one.
  """
  path = core.manifest_path(directory)
  if not core.exists(path):
    return None
  manifest = records_lib.read_manifest(directory)
  try:
    expectations = {}
    for split, entry in sorted(manifest.get('splits', {}).items()):
      shard_counts = entry.get('shard_counts')
      class_counts = entry.get('class_counts')
      expectations[split] = SplitExpectation(
          source='manifest',
          num_records=_optional_int(entry.get('num_images')),
          num_shards=_optional_int(entry.get('num_shards')),
          shard_records=(tuple(_optional_int(n) for n in shard_counts)
                         if shard_counts is not None else None),
          class_counts=({str(k): int(v) for k, v in class_counts.items()}
                        if class_counts else None),
          record_format=entry.get('record_format'),
          complete=entry.get('complete'))
    return expectations
  except (ValueError, TypeError, AttributeError) as e:
    raise ValueError('%s is not a conversion manifest: %s' % (path, e)) from e


def resolve_expectations(
    shard_totals: Dict[str, int],
    expected_counts: Optional[Dict[str, int]] = None,
    manifest: Optional[Dict[str, SplitExpectation]] = None,
) -> Dict[str, SplitExpectation]:
  """Chooses what each split should hold: flag > manifest > ImageNet defaults.

  The ImageNet defaults apply, without a manifest, when every split found is `train`
  or `validation` with ImageNet's shard total (1024 and 128).
  """
  expectations: Dict[str, SplitExpectation] = {}
  if manifest is not None:
    expectations.update(manifest)
  elif shard_totals and all(IMAGENET_NUM_SHARDS.get(split) == total
                            for split, total in shard_totals.items()):
    for split in shard_totals:
      expectations[split] = SplitExpectation(
          source='ImageNet defaults',
          num_records=IMAGENET_NUM_IMAGES[split],
          num_shards=IMAGENET_NUM_SHARDS[split],
          class_count_range=IMAGENET_CLASS_COUNT_RANGE[split],
          num_classes=IMAGENET_NUM_CLASSES)
  for split, count in (expected_counts or {}).items():
    previous = expectations.get(split, SplitExpectation(source='flag'))
    expectations[split] = dataclasses.replace(previous, num_records=count,
                                              source='flag')
  return dict(sorted(expectations.items()))


# ----------------------------------------------------------------------------
# One record.


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
  boxes: List[Tuple[float, float, float, float]] = dataclasses.field(
      default_factory=list)


def detect_schema(serialized: bytes) -> str:
  """`imagenet` when a record has a synset or box key, else `generic`."""
  keys = tf.train.Example.FromString(serialized).features.feature.keys()
  if any(k == 'image/class/synset' or k.startswith('image/object/') for k in keys):
    return IMAGENET_SCHEMA
  return GENERIC_SCHEMA


def check_example(
    serialized: bytes,
    schema: str = IMAGENET_SCHEMA,
    labels: Optional[LabelFiles] = None,
) -> Tuple[RecordFields, List[Tuple[str, str]]]:
  """Checks one serialized Example against the schema and the label files.

  Returns:
    The fields read (those that could be read), and (kind, message) problems.
  """
  fields = RecordFields()
  problems: List[Tuple[str, str]] = []
  try:
    example = tf.train.Example.FromString(serialized)
  except protobuf_message.DecodeError as e:
    return fields, [(SCHEMA, 'not a tf.train.Example: %s' % e)]
  features = example.features.feature
  expected = _FEATURES_BY_SCHEMA[schema]
  missing = sorted(set(expected) - set(features.keys()))
  extra = sorted(set(features.keys()) - set(expected))
  if missing:
    problems.append((SCHEMA, 'missing keys: %s' % ', '.join(missing)))
  if extra:
    problems.append((SCHEMA, 'unexpected keys: %s' % ', '.join(extra)))
  values: Dict[str, Any] = {}
  for key, kind in expected.items():
    if key not in features:
      continue
    actual = features[key].WhichOneof('kind')
    if actual != kind:
      problems.append((SCHEMA, '%s is a %s, expected a %s' % (key, actual or 'feature '
                                                              'without values', kind)))
      continue
    value_list = list(getattr(features[key], kind).value)
    if key in _LIST_KEYS:
      values[key] = value_list
    elif len(value_list) != 1:
      problems.append((SCHEMA, '%s holds %d values, expected 1' % (key, len(value_list))))
    elif kind == _BYTES and key != 'image/encoded':
      try:
        values[key] = value_list[0].decode('utf-8')
      except UnicodeDecodeError:
        problems.append((SCHEMA, '%s is not UTF-8: %r' % (key, value_list[0][:40])))
    else:
      values[key] = value_list[0]

  fields.filename = values.get('image/filename', '')
  fields.label = values.get('image/class/label')
  fields.synset = values.get('image/class/synset', '')
  fields.text = values.get('image/class/text', '')
  fields.height = values.get('image/height')
  fields.width = values.get('image/width')
  fields.encoded = values.get('image/encoded', b'')
  problems.extend(_check_constants(values))
  if 'image/filename' in values and (not fields.filename or '/' in fields.filename):
    problems.append((SCHEMA, 'image/filename %r is not a base name' % fields.filename))
  for key in ('image/height', 'image/width'):
    if key in values and values[key] <= 0:
      problems.append((SCHEMA, '%s is %d' % (key, values[key])))
  problems.extend(_check_label(fields, schema, labels))
  if schema == IMAGENET_SCHEMA:
    box_problems, fields.boxes = _check_boxes(values, fields.label)
    problems.extend(box_problems)
  return fields, problems


def _check_constants(values: Dict[str, Any]) -> List[Tuple[str, str]]:
  problems = []
  for key, expected in (('image/colorspace', 'RGB'), ('image/format', 'JPEG'),
                        ('image/channels', 3)):
    if key in values and values[key] != expected:
      problems.append((SCHEMA, '%s is %r, expected %r' % (key, values[key], expected)))
  return problems


def _check_label(fields: RecordFields, schema: str,
                 labels: Optional[LabelFiles]) -> List[Tuple[str, str]]:
  """Label against the label files, and the file name against the synset."""
  problems = []
  label = fields.label
  if label is None:
    return problems
  if label < 1:
    problems.append((LABEL, 'image/class/label is %d; labels start at 1 (0 is the '
                     'background class)' % label))
    return problems
  if schema != IMAGENET_SCHEMA:
    return problems
  if labels is not None:
    if label > len(labels.synsets):
      problems.append((LABEL, 'image/class/label %d is beyond the %d classes of the '
                       'synsets file' % (label, len(labels.synsets))))
      return problems
    synset = labels.synsets[label - 1]
    if fields.synset and fields.synset != synset:
      problems.append((LABEL, 'label %d is %s in the synsets file, but '
                       'image/class/synset is %s' % (label, synset, fields.synset)))
    elif labels.texts is not None and fields.text != labels.texts[label - 1]:
      problems.append((LABEL, 'image/class/text of %s is %r, the metadata file says '
                       '%r' % (synset, fields.text, labels.texts[label - 1])))
    validation = _VALIDATION_NAME.match(fields.filename)
    if validation and labels.validation_labels and fields.synset:
      number = int(validation.group(1))
      if number > len(labels.validation_labels):
        problems.append((LABEL, '%s is beyond the %d lines of the validation label '
                         'file' % (fields.filename, len(labels.validation_labels))))
      elif labels.validation_labels[number - 1] != fields.synset:
        problems.append((LABEL, 'the validation label file says %s is %s, the record '
                         'says %s' % (fields.filename,
                                      labels.validation_labels[number - 1],
                                      fields.synset)))
  prefix = _WNID_PREFIX.match(fields.filename)
  if prefix and fields.synset and prefix.group(1) != fields.synset:
    problems.append((LABEL, 'file name %s is of class %s, the record says %s' %
                     (fields.filename, prefix.group(1), fields.synset)))
  return problems


def _check_boxes(
    values: Dict[str, Any], label: Optional[int]
) -> Tuple[List[Tuple[str, str]], List[Tuple[float, float, float, float]]]:
  """Boxes: equal list lengths, coordinates in [0, 1], min < max, labels equal."""
  coordinates = [values.get(key) for key in _BOX_COORDINATE_KEYS]
  box_labels = values.get(_BOX_LABEL_KEY)
  if any(c is None for c in coordinates) or box_labels is None:
    return [], []
  lengths = [len(c) for c in coordinates] + [len(box_labels)]
  if len(set(lengths)) != 1:
    return [(BOX, 'box lists differ in length (xmin, ymin, xmax, ymax, label): %s' %
             ', '.join(map(str, lengths)))], []
  problems = []
  boxes = []
  for i, (xmin, ymin, xmax, ymax) in enumerate(zip(*coordinates)):
    box = (xmin, ymin, xmax, ymax)
    if not all(0.0 <= v <= 1.0 for v in box):  # also rejects NaN
      problems.append((BOX, 'box %d %s is not within [0, 1]' % (i, _format_box(box))))
    elif not (xmin < xmax and ymin < ymax):
      problems.append((BOX, 'box %d %s does not have min < max' % (i, _format_box(box))))
    else:
      boxes.append(box)
  wrong = [b for b in box_labels if b != label]
  if label is not None and wrong:
    problems.append((BOX, 'image/object/bbox/label holds %s, expected the class label '
                     '%d' % (sorted(set(wrong))[:5], label)))
  return problems, boxes


def _format_box(box: Sequence[float]) -> str:
  return '(%s)' % ', '.join('%.4g' % v for v in box)


def jpeg_header(data: bytes) -> Tuple[int, int, int]:
  """Returns (height, width, components) from a JPEG's frame (SOFn) header.

  Raises:
    ValueError: the bytes are not a JPEG, or end before the frame header.
  """
  if data[:2] != b'\xff\xd8':
    raise ValueError('no JPEG start-of-image marker (starts with %r)' % data[:4])
  position = 2
  while position + 4 <= len(data):
    if data[position] != 0xFF:
      raise ValueError('no JPEG marker at byte %d' % position)
    marker = data[position + 1]
    if marker == 0xFF:  # fill byte
      position += 1
      continue
    if marker == 0x01 or 0xD0 <= marker <= 0xD8:  # markers without a length
      position += 2
      continue
    if marker in (0xD9, 0xDA):
      raise ValueError('JPEG scan or end before any frame header')
    length = struct.unpack('>H', data[position + 2:position + 4])[0]
    if 0xC0 <= marker <= 0xCF and marker not in (0xC4, 0xC8, 0xCC):
      if length < 8 or position + 10 > len(data):
        raise ValueError('JPEG frame header cut short at byte %d' % position)
      _, height, width, components = struct.unpack(
          '>BHHB', data[position + 4:position + 10])
      return height, width, components
    position += 2 + length
  raise ValueError('JPEG ends at byte %d before its frame header' % len(data))


def check_image(fields: RecordFields, decode: bool) -> Tuple[List[Tuple[str, str]],
                                                             bool]:
  """Checks image/encoded: JPEG magic, header size and components, optional decode.

  Returns:
    (kind, message) problems, and whether a full decode was done and succeeded.
  """
  encoded = fields.encoded
  if not encoded:
    return [(IMAGE, 'image/encoded is empty')], False
  if not encoded.startswith(_JPEG_MAGIC):
    kind = 'PNG' if encoded.startswith(b'\x89PNG') else 'not JPEG'
    return [(IMAGE, 'image/encoded is not a JPEG (%s, starts with %r)' %
             (kind, encoded[:4]))], False
  try:
    height, width, components = jpeg_header(encoded)
  except ValueError as e:
    return [(IMAGE, 'image/encoded: %s' % e)], False
  problems = []
  if (fields.height, fields.width) != (height, width):
    problems.append((IMAGE, 'JPEG is %dx%d (height x width), the record says %sx%s' %
                     (height, width, fields.height, fields.width)))
  if components not in (1, 3):
    problems.append((IMAGE, 'JPEG has %d components (CMYK?); it should have been '
                     're-encoded as RGB' % components))
  if not decode:
    return problems, False
  try:
    shape = tuple(tf.io.decode_jpeg(encoded, channels=3).shape)
  except (tf.errors.InvalidArgumentError, tf.errors.UnknownError) as e:
    problems.append((IMAGE, 'image/encoded does not decode: %s' % _first_line(e.message)))
    return problems, False
  if shape != (fields.height, fields.width, 3):
    problems.append((IMAGE, 'decodes to shape %s, the record says (%s, %s, 3)' %
                     (shape, fields.height, fields.width)))
  return problems, not problems


def in_sample(shard: str, record: int, fraction: float) -> bool:
  """Whether a record is fully decoded: a fixed pseudo-random `fraction` of them."""
  if fraction >= 1.0:
    return True
  if fraction <= 0.0:
    return False
  return zlib.crc32(('%s/%d' % (shard, record)).encode()) < fraction * 2**32


# ----------------------------------------------------------------------------
# One shard (runs in a worker process).


@dataclasses.dataclass(frozen=True)
class _Context:
  schema: str
  labels: Optional[LabelFiles]
  sample_fraction: float
  samples_per_shard: int


@dataclasses.dataclass(frozen=True)
class _ShardTask:
  path: str
  shard: ShardName
  index_path: Optional[str]


class _FailureLog(object):
  """Keeps the first failures of a shard and counts all of them."""

  def __init__(self, shard: str, limit: int = _MAX_FAILURES_PER_SHARD):
    self.shard = shard
    self.limit = limit
    self.failures: List[Failure] = []
    self.by_kind: Dict[str, int] = collections.Counter()

  def add(self, kind: str, record: Optional[int], message: str) -> None:
    self.by_kind[kind] += 1
    if len(self.failures) < self.limit:
      location = self.shard if record is None else '%s record %d' % (self.shard, record)
      self.failures.append(Failure(kind, location, message))


def check_shard(path: str, shard: ShardName, schema: str = IMAGENET_SCHEMA,
                labels: Optional[LabelFiles] = None, sample_fraction: float = 1.0,
                index_path: Optional[str] = None,
                samples_per_shard: int = 0) -> ShardSummary:
  """Checks every record of one shard; see the module docstring for what."""
  context = _Context(schema, labels, sample_fraction, samples_per_shard)
  return _check_shard(context, _ShardTask(path, shard, index_path))


def _check_shard(context: _Context, task: _ShardTask) -> ShardSummary:
  name = task.shard.name
  summary = ShardSummary(name=name, split=task.shard.split)
  log = _FailureLog(name)
  try:
    summary.num_bytes = tf.io.gfile.stat(task.path).length
  except tf.errors.OpError as e:
    log.add(FRAMING, None, 'cannot read the shard: %s' % _first_line(e.message))
    summary.framing_ok = False
    return _finish_summary(summary, log)
  positions: List[Tuple[int, int]] = []
  offset = 0
  try:
    for record in tf.data.TFRecordDataset(task.path, buffer_size=4 << 20):
      serialized = record.numpy()
      index = len(positions)
      positions.append((offset, len(serialized) + _RECORD_OVERHEAD))
      offset += len(serialized) + _RECORD_OVERHEAD
      _check_record(context, summary, log, index, serialized)
  except tf.errors.DataLossError as e:
    summary.framing_ok = False
    log.add(FRAMING, len(positions), 'at byte offset %d: %s' %
            (offset, _describe_data_loss(e.message)))
  except tf.errors.OpError as e:
    summary.framing_ok = False
    log.add(FRAMING, len(positions), 'cannot read: %s' % _first_line(e.message))
  else:
    if offset != summary.num_bytes:
      summary.framing_ok = False
      log.add(FRAMING, len(positions),
              '%d bytes after the last complete record at byte offset %d (a record '
              'cut short)' % (summary.num_bytes - offset, offset))
  summary.num_records = len(positions)
  if task.index_path:
    for message in check_index(task.index_path, positions, summary.framing_ok):
      log.add(INDEX, None, message)
  return _finish_summary(summary, log)


def _finish_summary(summary: ShardSummary, log: _FailureLog) -> ShardSummary:
  summary.failures = log.failures
  summary.failures_by_kind = dict(log.by_kind)
  return summary


def _check_record(context: _Context, summary: ShardSummary, log: _FailureLog,
                  index: int, serialized: bytes) -> None:
  fields, problems = check_example(serialized, context.schema, context.labels)
  decode = in_sample(summary.name, index, context.sample_fraction)
  image_problems, decoded = check_image(fields, decode)
  problems.extend(image_problems)
  for kind, message in problems:
    log.add(kind, index, message)
  summary.num_decoded += decoded
  summary.filenames.append(fields.filename)
  if fields.label is not None:
    summary.class_counts[fields.label] = summary.class_counts.get(fields.label, 0) + 1
    summary.class_keys.setdefault(fields.label, set()).add((fields.synset, fields.text))
  summary.num_boxes += len(fields.boxes)
  summary.num_images_with_boxes += bool(fields.boxes)
  if len(summary.samples) < context.samples_per_shard and not image_problems:
    sample = _make_sample(summary.name, index, fields)
    if sample is not None:
      summary.samples.append(sample)


def _make_sample(shard: str, index: int, fields: RecordFields) -> Optional[Sample]:
  try:
    with Image.open(io.BytesIO(fields.encoded)) as image:
      image.draft('RGB', (_THUMBNAIL_SIZE, _THUMBNAIL_SIZE))
      thumbnail = image.convert('RGB')
    thumbnail.thumbnail((_THUMBNAIL_SIZE, _THUMBNAIL_SIZE))
  except (OSError, ValueError):
    return None
  return Sample(shard=shard, record=index, filename=fields.filename,
                label=fields.label if fields.label is not None else -1,
                synset=fields.synset, text=fields.text, boxes=tuple(fields.boxes),
                thumbnail_size=thumbnail.size, thumbnail_rgb=thumbnail.tobytes())


def check_index(index_path: str, positions: Sequence[Tuple[int, int]],
                complete: bool = True) -> List[str]:
  """Compares an index file (`offset size` per record) with the shard's records.

  Args:
    index_path: the index file.
    positions: (offset, size) of each record read from the shard.
    complete: False when the shard could not be read to its end; then only the
      records read are compared.
  """
  name = os.path.basename(index_path)
  try:
    with tf.io.gfile.GFile(index_path, 'r') as f:
      lines = [line for line in f.read().splitlines() if line.strip()]
  except tf.errors.OpError as e:
    return ['cannot read index %s: %s' % (name, _first_line(e.message))]
  problems = []
  for number, (line, (offset, size)) in enumerate(zip(lines, positions), 1):
    parts = line.split()
    if parts != [str(offset), str(size)]:
      problems.append('index %s line %d is %r, but record %d is at offset %d with size '
                      '%d' % (name, number, line, number - 1, offset, size))
      break
  if complete and len(lines) != len(positions):
    problems.append('index %s has %d entries, the shard has %d records' %
                    (name, len(lines), len(positions)))
  return problems


# ----------------------------------------------------------------------------
# Worker pool.

_WORKER_CONTEXT: Optional[_Context] = None


def _init_worker(context: _Context) -> None:
  global _WORKER_CONTEXT
  _WORKER_CONTEXT = context
  # One process per core already: keep each worker's TensorFlow to one thread.
  tf.config.threading.set_intra_op_parallelism_threads(1)
  tf.config.threading.set_inter_op_parallelism_threads(1)


def _run_worker_task(task: _ShardTask) -> ShardSummary:
  return _check_shard(_WORKER_CONTEXT, task)


def _run_shards(context: _Context, tasks: List[_ShardTask],
                num_workers: int, description: str) -> List[ShardSummary]:
  tracker = core.Progress(description, total=len(tasks), unit='shards')
  summaries = []
  if num_workers <= 1 or len(tasks) <= 1:
    for task in tasks:
      summaries.append(_check_shard(context, task))
      tracker.update(1, summaries[-1].num_bytes)
  else:
    pool_context = multiprocessing.get_context('spawn')
    with pool_context.Pool(num_workers, initializer=_init_worker,
                           initargs=(context,)) as pool:
      for summary in pool.imap_unordered(_run_worker_task, tasks):
        summaries.append(summary)
        tracker.update(1, summary.num_bytes)
  tracker.finish()
  order = {task.shard.name: i for i, task in enumerate(tasks)}
  return sorted(summaries, key=lambda s: order[s.name])


# ----------------------------------------------------------------------------
# The whole directory.


def check_directory(directory: str, *,
                    expected_counts: Optional[Dict[str, int]] = None,
                    synsets_file: Optional[str] = None,
                    metadata_file: Optional[str] = None,
                    validation_labels_file: Optional[str] = None,
                    sample_fraction: float = 1.0,
                    num_workers: Optional[int] = None,
                    report_dir: Optional[str] = None) -> CheckReport:
  """Checks every shard in `directory` and writes the reports.

  Args:
    directory: the converter's output directory (local or gs://).
    expected_counts: records per split; overrides the manifest and ImageNet defaults.
    synsets_file: label i+1 is line i; None checks only that each label has one
      synset and text across the output. Used for the imagenet schema only.
    metadata_file: `wnid<TAB>text`, checks image/class/text (needs synsets_file).
    validation_labels_file: checks `ILSVRC2012_val_%08d.JPEG` records' synsets.
    sample_fraction: share of images fully decoded (all headers are always read).
    num_workers: processes; default one per core; 1 checks in this process.
    report_dir: where the reports go; default `<directory>/check_report`.

  Returns:
    The report; `ok` is False on any failure.

  Raises:
    FileNotFoundError: `directory` does not exist.
    ValueError: a label file is malformed.
  """
  started = time.monotonic()
  if not tf.io.gfile.isdir(directory):
    raise FileNotFoundError('%s is not a directory' % directory)
  if not 0.0 <= sample_fraction <= 1.0:
    raise ValueError('sample_fraction must be in [0, 1], got %r' % sample_fraction)
  names = [n.rstrip('/') for n in tf.io.gfile.listdir(directory)]
  shards_by_split, failures = check_shard_names(names)
  warnings = ['leftover temporary file %s (an interrupted run?)' % n
              for n in sorted(names) if core.is_temporary_path(n)]
  shards = [s for split_shards in shards_by_split.values() for s in split_shards]
  if not shards:
    failures.append(Failure(SHARD_NAMES, directory, 'no shards found'))

  try:
    manifest = read_manifest(directory)
  except ValueError as e:
    failures.append(Failure(MANIFEST, core.manifest_path(directory),
                            str(e)))
    manifest = None
  shard_totals = {split: split_total(split_shards)
                  for split, split_shards in shards_by_split.items()}
  expectations = resolve_expectations(shard_totals, expected_counts, manifest)

  schema = _peek_schema(directory, shards)
  labels = None
  if schema == IMAGENET_SCHEMA and synsets_file:
    labels = _read_label_files(synsets_file, metadata_file, validation_labels_file)
  index_paths, index_failures = _index_paths(directory, shards)
  failures.extend(index_failures)

  tasks = [_ShardTask(os.path.join(directory, s.name), s, index_paths.get(s.name))
           for s in shards]
  samples_per_shard = (min(8, math.ceil(_CONTACT_SHEET_SAMPLES / len(tasks)))
                       if tasks else 0)
  context = _Context(schema, labels, sample_fraction, samples_per_shard)
  num_workers = num_workers or os.cpu_count() or 1
  summaries = _run_shards(context, tasks, min(num_workers, max(1, len(tasks))),
                          'check %s' % directory)

  # Failures in order: names and files, then each shard's, then what the merge finds.
  by_kind = collections.Counter(f.kind for f in failures)
  for summary in summaries:
    failures.extend(summary.failures)
    by_kind.update(summary.failures_by_kind)
  splits = _merge_splits(summaries, shards_by_split, expectations)
  merged = _expectation_failures(splits, shards_by_split, expectations, summaries,
                                 schema)
  if labels is None:
    merged.extend(_consistency_failures(summaries))
  merged.extend(_duplicate_failures(summaries))
  failures.extend(merged)
  by_kind.update(f.kind for f in merged)
  warnings.extend(_shard_size_warnings(splits))
  num_failures = sum(by_kind.values())

  report = CheckReport(
      directory=directory, ok=num_failures == 0, schema=schema,
      sample_fraction=sample_fraction, failures=failures[:_MAX_REPORTED_FAILURES],
      num_failures=num_failures, failures_by_kind=dict(sorted(by_kind.items())),
      warnings=warnings,
      splits=splits, class_names=_class_names(summaries, labels))
  report_dir = report_dir or os.path.join(directory, DEFAULT_REPORT_DIRECTORY)
  samples = _choose_samples(summaries, _CONTACT_SHEET_SAMPLES)
  report.report_files = write_reports(report, samples, report_dir)
  logging.info('%s (%.1f s)', report.summary_line(), time.monotonic() - started)
  return report


def _peek_schema(directory: str, shards: Sequence[ShardName]) -> str:
  """The schema of the first record that can be read."""
  for shard in shards:
    try:
      for record in tf.data.TFRecordDataset(os.path.join(directory, shard.name)).take(1):
        return detect_schema(record.numpy())
    except (tf.errors.OpError, protobuf_message.DecodeError):
      continue
  return IMAGENET_SCHEMA


def _read_label_files(synsets_file: str, metadata_file: Optional[str],
                      validation_labels_file: Optional[str]) -> LabelFiles:
  synsets = label_files.read_synsets(synsets_file)
  texts = None
  if metadata_file:
    texts = tuple(label_files.class_texts(synsets, label_files.read_metadata(metadata_file),
                                         source=metadata_file))
  validation_labels = None
  if validation_labels_file:
    validation_labels = tuple(label_files.read_validation_labels(validation_labels_file))
  return LabelFiles(tuple(synsets), texts, validation_labels)


def index_path(directory: str, shard: str) -> str:
  """Where the converter writes a shard's DALI index (SPEC §8)."""
  return core.index_path(directory, shard)


def _index_paths(directory: str, shards: Sequence[ShardName]
                 ) -> Tuple[Dict[str, str], List[Failure]]:
  """The index file of each shard that has one; failures for missing and extra ones."""
  index_dir = core.index_dir(directory)
  if not tf.io.gfile.isdir(index_dir):
    return {}, []
  suffix = core.INDEX_SUFFIX
  indexed = {n[:-len(suffix)] for n in tf.io.gfile.listdir(index_dir)
             if n.endswith(suffix) and not core.is_temporary_path(n)}
  if not indexed:
    return {}, []
  shard_names = [s.name for s in shards]
  failures = []
  missing = [n for n in shard_names if n not in indexed]
  if missing:
    failures.append(Failure(INDEX, index_dir, '%d of %d shards have no index file: %s' %
                            (len(missing), len(shard_names), _first_items(missing))))
  extra = sorted(indexed - set(shard_names))
  if extra:
    failures.append(Failure(INDEX, index_dir, 'index files without a shard: %s' %
                            _first_items([n + suffix for n in extra])))
  return {n: index_path(directory, n) for n in shard_names if n in indexed}, failures


def _merge_splits(summaries: Sequence[ShardSummary],
                  shards_by_split: Dict[str, List[ShardName]],
                  expectations: Dict[str, SplitExpectation]) -> Dict[str, SplitStats]:
  splits = {name: SplitStats(name=name) for name in shards_by_split}
  for summary in summaries:
    stats = splits[summary.split]
    stats.num_shards += 1
    stats.num_records += summary.num_records
    stats.num_bytes += summary.num_bytes
    stats.shard_records.append(summary.num_records)
    stats.shard_bytes.append(summary.num_bytes)
    for label, count in summary.class_counts.items():
      stats.class_counts[label] = stats.class_counts.get(label, 0) + count
    stats.num_boxes += summary.num_boxes
    stats.num_images_with_boxes += summary.num_images_with_boxes
    stats.num_decoded += summary.num_decoded
  for name, stats in splits.items():
    stats.class_counts = dict(sorted(stats.class_counts.items()))
    expectation = expectations.get(name)
    if expectation is not None:
      stats.expected_records = expectation.num_records
      stats.expected_source = expectation.source
  return splits


def _expectation_failures(splits: Dict[str, SplitStats],
                          shards_by_split: Dict[str, List[ShardName]],
                          expectations: Dict[str, SplitExpectation],
                          summaries: Sequence[ShardSummary],
                          schema: str) -> List[Failure]:
  """Counts per split, per shard and per class against what was expected."""
  failures = []
  for split, expectation in expectations.items():
    if expectation.complete is False:
      failures.append(Failure(MANIFEST, split, _incomplete_message(split, expectation)))
    stats = splits.get(split)
    if stats is None:
      failures.append(Failure(COUNT, split, 'no shards of this split (expected from '
                              '%s)' % expectation.source))
      continue
    total = split_total(shards_by_split[split])
    if expectation.record_format not in (None, schema):
      failures.append(Failure(SCHEMA, split, 'the %s says the records are %s, they are %s'
                              % (expectation.source, expectation.record_format, schema)))
    if expectation.num_shards is not None and expectation.num_shards != total:
      failures.append(Failure(SHARD_NAMES, split, 'shard names say -of-%05d, the %s '
                              'says %d shards' % (total, expectation.source,
                                                  expectation.num_shards)))
    if (expectation.num_records is not None and
        stats.num_records != expectation.num_records):
      failures.append(Failure(COUNT, split, '%d records, expected %d (from %s)' % (
          stats.num_records, expectation.num_records, expectation.source)))
    if expectation.shard_records is not None:
      failures.extend(_shard_record_failures(split, expectation, summaries))
    failures.extend(_class_count_failures(split, stats, expectation, summaries, schema))
  for split, stats in splits.items():
    empty = [s.name for s in summaries if s.split == split and s.num_records == 0]
    if empty and stats.num_records >= stats.num_shards:
      failures.append(Failure(COUNT, split, 'empty shards: %s' % _first_items(empty)))
  return failures


def _incomplete_message(split: str, expectation: SplitExpectation) -> str:
  """Says that the conversion of `split` did not finish, and which shards it lacks."""
  message = ('the conversion manifest says this split is not complete (a failed, '
             'interrupted or running conversion)')
  counts = expectation.shard_records
  if counts is None:
    return message
  unwritten = [format_shard_name(split, index, len(counts))
               for index, count in enumerate(counts) if count is None]
  if unwritten:
    return '%s: %d of %d shards have no count: %s' % (
        message, len(unwritten), len(counts), _first_items(unwritten))
  return ('%s: all %d shards have a count, but the run stopped before it finished the '
          'split' % (message, len(counts)))


def _shard_record_failures(split: str, expectation: SplitExpectation,
                           summaries: Sequence[ShardSummary]) -> List[Failure]:
  failures = []
  split_summaries = [s for s in summaries if s.split == split]
  expected = expectation.shard_records
  by_index = {parse_shard_name(s.name).index: s for s in split_summaries}
  for index, count in enumerate(expected):
    summary = by_index.get(index)
    if summary is not None and count is not None and summary.num_records != count:
      failures.append(Failure(COUNT, summary.name, '%d records, the %s says %d' % (
          summary.num_records, expectation.source, count)))
  return failures


def _class_count_failures(split: str, stats: SplitStats,
                          expectation: SplitExpectation,
                          summaries: Sequence[ShardSummary],
                          schema: str) -> List[Failure]:
  failures = []
  if expectation.class_count_range is not None:
    low, high = expectation.class_count_range
    num_classes = expectation.num_classes or max(stats.class_counts, default=0)
    outside = [(label, stats.class_counts.get(label, 0))
               for label in range(1, num_classes + 1)
               if not low <= stats.class_counts.get(label, 0) <= high]
    extra = sorted(label for label in stats.class_counts if label > num_classes)
    if outside:
      failures.append(Failure(CLASS_COUNT, split, '%d classes outside %d..%d images '
                              '(from %s): %s' % (
                                  len(outside), low, high, expectation.source,
                                  _first_items(['label %d: %d' % o for o in outside]))))
    if extra:
      failures.append(Failure(CLASS_COUNT, split, 'labels beyond %d: %s' % (
          num_classes, _first_items([str(label) for label in extra]))))
  if expectation.class_counts is not None:
    actual = _class_counts_by_key(split, summaries, schema,
                                  keys=expectation.class_counts.keys())
    differing = ['%s: %d, expected %d' % (key, actual.get(key, 0), count)
                 for key, count in sorted(expectation.class_counts.items())
                 if actual.get(key, 0) != count]
    differing += ['%s: %d, expected none' % (key, count)
                  for key, count in sorted(actual.items())
                  if key not in expectation.class_counts]
    if differing:
      failures.append(Failure(CLASS_COUNT, split, '%d classes differ from the %s: %s' % (
          len(differing), expectation.source, _first_items(differing))))
  return failures


def _class_counts_by_key(split: str, summaries: Sequence[ShardSummary], schema: str,
                         keys: Iterable[str]) -> Dict[str, int]:
  """Images per class keyed like the manifest: label digits, or synset/text."""
  by_label = all(str(k).isdigit() for k in keys)
  counts: Dict[str, int] = collections.Counter()
  for summary in (s for s in summaries if s.split == split):
    for label, count in summary.class_counts.items():
      if by_label:
        counts[str(label)] += count
      else:
        # A label with several names is reported elsewhere; count it under its first.
        synset, text = sorted(summary.class_keys[label])[0]
        counts[synset if schema == IMAGENET_SCHEMA else text] += count
  return dict(counts)


def _consistency_failures(summaries: Sequence[ShardSummary]) -> List[Failure]:
  """Without label files: each label one (synset, text), each synset one label."""
  names: Dict[int, Set[Tuple[str, str]]] = collections.defaultdict(set)
  for summary in summaries:
    for label, keys in summary.class_keys.items():
      names[label].update(keys)
  failures = []
  labels_of: Dict[str, Set[int]] = collections.defaultdict(set)
  for label, keys in sorted(names.items()):
    if len(keys) > 1:
      failures.append(Failure(LABEL, 'label %d' % label, 'has several classes: %s' %
                              _first_items(['%s %r' % k for k in sorted(keys)])))
    for synset, text in keys:
      labels_of[synset or text].add(label)
  for key, labels in sorted(labels_of.items()):
    if len(labels) > 1:
      failures.append(Failure(LABEL, key, 'has several labels: %s' %
                              ', '.join(map(str, sorted(labels)))))
  return failures


def _duplicate_failures(summaries: Sequence[ShardSummary]) -> List[Failure]:
  """No image/filename twice, within or across splits."""
  first_seen: Dict[str, int] = {}
  duplicates: Dict[str, List[int]] = collections.defaultdict(list)
  for shard_number, summary in enumerate(summaries):
    for record, filename in enumerate(summary.filenames):
      if not filename:
        continue
      position = (shard_number << 32) | record
      previous = first_seen.setdefault(filename, position)
      if previous != position:
        duplicates[filename].append(position)

  def where(position: int) -> str:
    return '%s record %d' % (summaries[position >> 32].name, position & 0xFFFFFFFF)

  failures = []
  for filename, positions in sorted(duplicates.items(), key=lambda kv: kv[1][0]):
    failures.append(Failure(DUPLICATE, filename, 'file name appears %d times: %s' % (
        len(positions) + 1, _first_items([where(first_seen[filename])] +
                                          [where(p) for p in positions]))))
  return failures


def _shard_size_warnings(splits: Dict[str, SplitStats]) -> List[str]:
  warnings = []
  for name, stats in splits.items():
    if stats.shard_records and max(stats.shard_records) - min(stats.shard_records) > 1:
      warnings.append('%s: shard sizes range from %d to %d records; the converter\'s '
                      'boundaries make them differ by at most 1' %
                      (name, min(stats.shard_records), max(stats.shard_records)))
  return warnings


def _class_names(summaries: Sequence[ShardSummary],
                 labels: Optional[LabelFiles]) -> Dict[int, str]:
  """label → 'synset text' (or text) for the report, from the files or the records."""
  names: Dict[int, str] = {}
  if labels is not None:
    for label, synset in enumerate(labels.synsets, 1):
      text = labels.texts[label - 1] if labels.texts else ''
      names[label] = ('%s %s' % (synset, text)).strip()
  for summary in summaries:
    for label, keys in summary.class_keys.items():
      if label not in names:
        names[label] = ('%s %s' % sorted(keys)[0]).strip()
  return dict(sorted(names.items()))


def _choose_samples(summaries: Sequence[ShardSummary], count: int) -> List[Sample]:
  """Up to `count` samples spread evenly over the shards, in shard order."""
  samples = [sample for summary in summaries for sample in summary.samples]
  if len(samples) <= count:
    return samples
  step = len(samples) / count
  return [samples[int(i * step)] for i in range(count)]


# ----------------------------------------------------------------------------
# Reports.


def write_reports(report: CheckReport, samples: Sequence[Sample],
                  report_dir: str) -> Dict[str, str]:
  """Writes the JSON, Markdown and PNG reports atomically; returns their paths."""
  tf.io.gfile.makedirs(report_dir)
  paths = {
      'json': os.path.join(report_dir, REPORT_JSON),
      'markdown': os.path.join(report_dir, REPORT_MARKDOWN),
      'class_histogram': os.path.join(report_dir, CLASS_HISTOGRAM_PNG),
      'contact_sheet': os.path.join(report_dir, CONTACT_SHEET_PNG),
  }
  core.write_bytes(paths['class_histogram'],
                           _png_bytes(render_class_histogram(report)))
  core.write_bytes(paths['contact_sheet'],
                           _png_bytes(render_contact_sheet(samples, report.class_names)))
  core.write_text(paths['markdown'], render_markdown(report))
  core.write_text(paths['json'],
                          json.dumps(report.to_json(), indent=2, sort_keys=True) + '\n')
  return paths


def render_markdown(report: CheckReport) -> str:
  """The report for people: verdict, counts, shard sizes, classes, failures."""
  lines = ['# TFRecord check: %s' % ('PASSED' if report.ok else 'FAILED'), '',
           '- directory: `%s`' % report.directory,
           '- schema: %s (%d keys)' % (report.schema,
                                       len(_FEATURES_BY_SCHEMA[report.schema])),
           '- images fully decoded: %d of %d (sample fraction %g); every JPEG header '
           'read' % (sum(s.num_decoded for s in report.splits.values()),
                     sum(s.num_records for s in report.splits.values()),
                     report.sample_fraction),
           '- failures: %d' % report.num_failures, '',
           '## Counts', '',
           '| split | shards | records | expected | from | classes | boxes | images '
           'with boxes | bytes |',
           '|---|---:|---:|---:|---|---:|---:|---:|---:|']
  for stats in report.splits.values():
    lines.append('| %s | %d | %s | %s | %s | %d | %s | %s | %s |' % (
        stats.name, stats.num_shards, '{:,}'.format(stats.num_records),
        '{:,}'.format(stats.expected_records)
        if stats.expected_records is not None else 'unknown',
        stats.expected_source or '-', len(stats.class_counts),
        '{:,}'.format(stats.num_boxes), '{:,}'.format(stats.num_images_with_boxes),
        _human_bytes(stats.num_bytes)))
  lines += ['', '## Shard sizes', '',
            '| split | records min | median | max | bytes min | median | max |',
            '|---|---:|---:|---:|---:|---:|---:|']
  for stats in report.splits.values():
    records = _spread(stats.shard_records)
    sizes = _spread(stats.shard_bytes)
    lines.append('| %s | %s | %s | %s | %s | %s | %s |' % (
        stats.name, records['min'], records['median'], records['max'],
        _human_bytes(sizes['min']), _human_bytes(sizes['median']),
        _human_bytes(sizes['max'])))
  lines += ['', '## Images per class', '',
            '| split | min | median | max | fewest (label: images) |',
            '|---|---:|---:|---:|---|']
  for stats in report.splits.values():
    counts = _spread(list(stats.class_counts.values()))
    fewest = sorted(stats.class_counts.items(), key=lambda kv: (kv[1], kv[0]))[:3]
    lines.append('| %s | %s | %s | %s | %s |' % (
        stats.name, counts['min'], counts['median'], counts['max'],
        ', '.join('%d %s: %d' % (label, report.class_names.get(label, '')[:30], n)
                  for label, n in fewest)))
  lines += ['', '![images per class](%s)' % CLASS_HISTOGRAM_PNG, '',
            '![sample images](%s)' % CONTACT_SHEET_PNG, '']
  if report.failures:
    lines += ['## Failures (first %d of %d)' % (len(report.failures),
                                                report.num_failures), '']
    lines += ['- %s' % _markdown_escape(str(f)) for f in report.failures]
    lines.append('')
  if report.warnings:
    lines += ['## Warnings', ''] + ['- %s' % _markdown_escape(w)
                                    for w in report.warnings] + ['']
  return '\n'.join(lines)


def render_class_histogram(report: CheckReport) -> Image.Image:
  """One bar chart of images per class for each split (PIL only)."""
  font = ImageFont.load_default()
  num_classes = max([max(s.class_counts, default=0) for s in report.splits.values()] +
                    [max(report.class_names, default=0), 1])
  left, right, top, panel_height, plot_height = 60, 20, 30, 250, 180
  bar_width = max(1, max(720, num_classes) // num_classes)
  gap = 1 if bar_width > 3 else 0
  width = left + right + bar_width * num_classes
  splits = list(report.splits.values()) or [SplitStats(name='no shards')]
  image = Image.new('RGB', (width, panel_height * len(splits)), 'white')
  draw = ImageDraw.Draw(image)
  for panel, stats in enumerate(splits):
    y0 = panel * panel_height + top
    baseline = y0 + plot_height
    counts = [stats.class_counts.get(label, 0) for label in range(1, num_classes + 1)]
    highest = max(counts + [1])
    present = [c for c in counts if c]
    draw.text((left, y0 - 22), '%s: %s images in %d classes; per class min %d, max %d'
              % (stats.name, '{:,}'.format(stats.num_records), len(present),
                 min(counts), max(counts)), fill='black', font=font)
    for i, count in enumerate(counts):
      x = left + i * bar_width
      if count:
        bar_top = baseline - max(1, round(plot_height * count / highest))
        draw.rectangle((x, bar_top, x + bar_width - 1 - gap, baseline),
                       fill=(70, 110, 180))
      else:  # a full-height column, at least 3 px wide, so one missing class shows
        middle = x + (bar_width - 1) // 2
        draw.rectangle((min(x, middle - 1), y0, max(x + bar_width - 1 - gap, middle + 1),
                        baseline), fill=(240, 120, 120))
    draw.line((left - 2, y0, left - 2, baseline), fill='black')
    draw.line((left - 2, baseline, left + bar_width * num_classes, baseline),
              fill='black')
    draw.text((4, y0 - 4), str(highest), fill='black', font=font)
    draw.text((4, baseline - 8), '0', fill='black', font=font)
    step = max(1, math.ceil(num_classes / 10))
    for label in sorted({1, num_classes} | set(range(step, num_classes, step))):
      x = left + (label - 1) * bar_width + bar_width // 2
      draw.line((x, baseline, x, baseline + 3), fill='black')
      draw.text((x - 6, baseline + 5), str(label), fill='black', font=font)
    draw.text((left, baseline + 20), 'class label (a red column: a class without '
              'images)', fill='black', font=font)
  return image


def render_contact_sheet(samples: Sequence[Sample],
                         class_names: Dict[int, str]) -> Image.Image:
  """Sample thumbnails in a grid, each with its boxes and label text drawn."""
  font = ImageFont.load_default()
  cell, text_height, margin, columns = _THUMBNAIL_SIZE, 40, 6, 6
  rows = max(1, math.ceil(len(samples) / columns))
  image = Image.new('RGB', (columns * (cell + margin) + margin,
                            rows * (cell + text_height + margin) + margin), 'white')
  draw = ImageDraw.Draw(image)
  if not samples:
    draw.text((margin, margin), 'no decodable sample images', fill='black', font=font)
  for i, sample in enumerate(samples):
    x0 = margin + (i % columns) * (cell + margin)
    y0 = margin + (i // columns) * (cell + text_height + margin)
    thumbnail = Image.frombytes('RGB', sample.thumbnail_size, sample.thumbnail_rgb)
    scale = min(cell / thumbnail.width, cell / thumbnail.height)
    if scale > 1:  # small images are shown larger, to be seen
      thumbnail = thumbnail.resize((max(1, round(thumbnail.width * scale)),
                                    max(1, round(thumbnail.height * scale))),
                                   Image.Resampling.BICUBIC)
    width, height = thumbnail.size
    left, top = x0 + (cell - width) // 2, y0 + (cell - height) // 2
    image.paste(thumbnail, (left, top))
    for xmin, ymin, xmax, ymax in sample.boxes:
      draw.rectangle((left + xmin * (width - 1), top + ymin * (height - 1),
                      left + xmax * (width - 1), top + ymax * (height - 1)),
                     outline=(255, 30, 30), width=2)
    text = sample.text or class_names.get(sample.label, '')
    caption = ['%d %s' % (sample.label, sample.synset), text, sample.filename]
    for line_number, line in enumerate(caption):
      draw.text((x0, y0 + cell + 2 + 12 * line_number), _fit(draw, line, font, cell),
                fill='black', font=font)
  return image


def _fit(draw: ImageDraw.ImageDraw, text: str, font: Any, width: int) -> str:
  """Cuts `text` to fit in `width` pixels."""
  if draw.textlength(text, font=font) <= width:
    return text
  while text and draw.textlength(text + '...', font=font) > width:
    text = text[:-1]
  return text + '...'


def _png_bytes(image: Image.Image) -> bytes:
  buffer = io.BytesIO()
  image.save(buffer, format='PNG')
  return buffer.getvalue()


# ----------------------------------------------------------------------------
# Small helpers.


def _spread(values: Sequence[float]) -> Dict[str, float]:
  if not values:
    return {'min': 0, 'median': 0, 'max': 0}
  return {'min': min(values), 'median': statistics.median(values), 'max': max(values)}


def _human_bytes(count: float) -> str:
  units = ('B', 'kB', 'MB', 'GB', 'TB')
  exponent = min(len(units) - 1, int(math.log10(max(count, 1)) // 3))
  if exponent == 0:
    return '%d B' % count
  return '%.1f %s' % (count / 1000**exponent, units[exponent])


def _first_items(items: Sequence[str], limit: int = 5) -> str:
  shown = ', '.join(items[:limit])
  return shown + (' and %d more' % (len(items) - limit) if len(items) > limit else '')


def _first_line(text: str) -> str:
  return (text or '').strip().splitlines()[0] if (text or '').strip() else ''


def _describe_data_loss(message: str) -> str:
  match = _DATA_LOSS.search(message or '')
  if not match:
    return 'unreadable record: %s' % _first_line(message)
  if match.group(1) == 'corrupted':
    return 'corrupted record (CRC32C mismatch in its length or data)'
  return 'truncated record (the file ends inside it)'


def _optional_int(value: Any) -> Optional[int]:
  return None if value is None else int(value)


def _markdown_escape(text: str) -> str:
  return text.replace('|', '\\|')
