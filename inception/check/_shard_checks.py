"""Checks of one shard: its framing, its index file, and each of its records.

`check_shard_task` is the unit of parallel work: a pure module-level function of a
small picklable `ShardCheckTask` (paths and settings, no records) and the label
data that returns a
`ShardCheckResult`, the per-shard summary the directory check merges (counts, file
names packed in one value, the first failures, the thumbnails its task asks for):
per shard, never per record, crosses the process boundary. It reads the shard with
`records.read_records`, which checks every record's length and masked CRC32C as tf.data
does and stops at the first bad one (docs/FORMAT.md, "Shards"); bytes after the last
whole record, which tf.data ignores, are reported too. The index file, where there is
one, must list each record's `offset size` (docs/FORMAT.md, "Index files").

TensorFlow is imported only by the first record chosen for a full decode with
TensorFlow's decoder (a full check; a sample is decoded with Pillow), and for a
remote path, so that a worker of a quick check starts in a fraction of a second.
"""

import collections
import dataclasses
import io
import os
from typing import Dict, List, Optional, Sequence, Set, Tuple

from google.protobuf import message as protobuf_message
from PIL import Image

from inception import core
from inception import records
from inception.check import _failures
from inception.check import _file_names
from inception.check import _record_checks

THUMBNAIL_SIZE = 160
_MAX_FAILURES_PER_SHARD = 20


@dataclasses.dataclass(frozen=True)
class Sample:
  """A thumbnail of one record, with what the contact sheet writes next to it."""
  shard: str
  record: int
  filename: str
  label: int
  synset: str
  text: str
  boxes: Tuple[_record_checks.Box, ...]
  thumbnail_size: Tuple[int, int]
  thumbnail_rgb: bytes


@dataclasses.dataclass(frozen=True)
class CheckSettings:
  """What every shard of a check is checked with.

  Attributes:
    schema: the directory's schema (`_record_checks.IMAGENET_SCHEMA` or `GENERIC_SCHEMA`).
    sample_fraction: share of the images fully decoded.
    decoder: how they are decoded (`_record_checks.DECODERS`).
  """
  schema: str
  sample_fraction: float
  decoder: str = _record_checks.TENSORFLOW


@dataclasses.dataclass(frozen=True)
class ShardCheckTask:
  """One shard to check: where it and its index file are, and how to check it.

  `num_samples` is how many thumbnails this shard gives the contact sheet (the first
  records without an image problem); most shards give none.
  """
  path: str
  shard: records.ShardName
  index_path: Optional[str]
  settings: CheckSettings
  num_samples: int = 0


@dataclasses.dataclass
class ShardCheckResult:
  """What the check of one shard learned: small enough to send back from a worker."""
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
  filenames: _file_names.PackedNames = _file_names.PackedNames()
  failures: List[_failures.Failure] = dataclasses.field(default_factory=list)
  failures_by_kind: Dict[str, int] = dataclasses.field(default_factory=dict)
  samples: List[Sample] = dataclasses.field(default_factory=list)


class _FailureLog(object):
  """Keeps the first failures of a shard and counts all of them."""

  def __init__(self, shard: str, limit: int = _MAX_FAILURES_PER_SHARD):
    self.shard = shard
    self.limit = limit
    self.failures: List[_failures.Failure] = []
    self.by_kind: Dict[str, int] = collections.Counter()

  def add(self, kind: str, record: Optional[int], message: str) -> None:
    self.by_kind[kind] += 1
    if len(self.failures) < self.limit:
      location = self.shard if record is None else '%s record %d' % (self.shard, record)
      self.failures.append(_failures.Failure(kind, location, message))


def check_shard_task(labels: Optional[_record_checks.LabelFiles], task: ShardCheckTask,
                     report_progress=None) -> ShardCheckResult:
  """Checks every record of one shard, and its index file; see the module docstring.

  The runner's work function: `labels` (the label files' contents, read once by the
  launcher; None for none) is the runner's `shared` input, so that a worker of another
  machine needs no label file; `report_progress` is unused: results come per shard.
  """
  del report_progress
  name = task.shard.name
  result = ShardCheckResult(name=name, split=task.shard.split)
  log = _FailureLog(name)
  positions: List[Tuple[int, int]] = []
  filenames: List[str] = []
  try:
    stream = core.open_file(task.path, 'rb')
    result.num_bytes = _stream_size(stream)
  except core.error_types() as e:
    log.add(_failures.FRAMING, None, 'cannot read the shard: %s' %
            _failures.first_line(str(e)))
    result.framing_ok = False
    return _finish(result, log)
  checker = _RecordChecker(task, labels, result, log)
  try:
    with stream:
      for offset, serialized in records.read_records(stream, result.num_bytes):
        index = len(positions)
        positions.append((offset, len(serialized) + records.RECORD_OVERHEAD))
        filenames.append(checker.check(index, serialized))
  except records.FramingError as e:
    result.framing_ok = False
    log.add(_failures.FRAMING, e.index, e.message)
  except core.error_types() as e:
    result.framing_ok = False
    log.add(_failures.FRAMING, len(positions), 'cannot read: %s' %
            _failures.first_line(str(e)))
  result.num_records = len(positions)
  result.filenames = _file_names.pack_names(filenames)
  if task.index_path:
    for message in check_index(task.index_path, positions, result.framing_ok):
      log.add(_failures.INDEX, None, message)
  return _finish(result, log)


def _stream_size(stream) -> int:
  stream.seek(0, os.SEEK_END)
  size = stream.tell()
  stream.seek(0)
  return size


def _finish(result: ShardCheckResult, log: _FailureLog) -> ShardCheckResult:
  result.failures = log.failures
  result.failures_by_kind = dict(log.by_kind)
  return result


class _RecordChecker(object):
  """Checks the records of one shard into its `result` and `log`, one at a time."""

  def __init__(self, task: ShardCheckTask,
               labels: Optional[_record_checks.LabelFiles],
               result: ShardCheckResult, log: _FailureLog):
    self.settings = task.settings
    self.num_samples = task.num_samples
    self.labels = labels
    self.result = result
    self.log = log
    self.in_sample = _record_checks.sample_chooser(result.name,
                                                   task.settings.sample_fraction)

  def check(self, index: int, serialized: bytes) -> str:
    """Checks record `index`; returns its file name."""
    result = self.result
    fields, problems = _record_checks.check_example(
        serialized, self.settings.schema, self.labels, result.split)
    image_problems, decoded = _record_checks.check_image(
        fields, self.in_sample(index), self.settings.decoder)
    problems.extend(image_problems)
    for kind, message in problems:
      self.log.add(kind, index, message)
    result.num_decoded += decoded
    label = fields.label
    if label is not None:
      counts = result.class_counts
      counts[label] = counts.get(label, 0) + 1
      keys = result.class_keys.get(label)
      if keys is None:
        result.class_keys[label] = {(fields.synset, fields.text)}
      else:
        keys.add((fields.synset, fields.text))
    if fields.boxes:
      result.num_boxes += len(fields.boxes)
      result.num_images_with_boxes += 1
    if len(result.samples) < self.num_samples and not image_problems:
      sample = _make_sample(result.name, index, fields)
      if sample is not None:
        result.samples.append(sample)
    return fields.filename


def _make_sample(shard: str, index: int,
                 fields: _record_checks.RecordFields) -> Optional[Sample]:
  try:
    with Image.open(io.BytesIO(fields.encoded)) as image:
      image.draft('RGB', (THUMBNAIL_SIZE, THUMBNAIL_SIZE))
      thumbnail = image.convert('RGB')
    thumbnail.thumbnail((THUMBNAIL_SIZE, THUMBNAIL_SIZE))
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
    lines = [line for line in core.read_text(index_path).splitlines() if line.strip()]
  except core.error_types() as e:
    return ['cannot read index %s: %s' % (name, _failures.first_line(str(e)))]
  except UnicodeDecodeError as e:
    return ['index %s is not UTF-8 text (byte %d), not `offset size` lines' %
            (name, e.start)]
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


def peek_schema(paths: Sequence[str]) -> str:
  """The schema of the first record of these shards that can be read."""
  for path in paths:
    try:
      with core.open_file(path, 'rb') as stream:
        for _, serialized in records.read_records(stream, _stream_size(stream)):
          return _record_checks.detect_schema(serialized)
    except core.error_types() + (records.FramingError,
                                 protobuf_message.DecodeError):
      continue
  return _record_checks.IMAGENET_SCHEMA
