"""Checks of one shard: its framing, its index file, and each of its records.

`check_shard_task` is the unit of parallel work: a pure module-level function of a
small picklable `ShardCheckTask` (paths and settings, no records) that returns a
`ShardCheckResult`, the per-shard summary the directory check merges (counts, file
names, the first failures, a few thumbnails). It reads the shard with tf.data, which
checks every record's length and masked CRC32C and stops at the first bad one
(docs/FORMAT.md, "Shards"); bytes after the last whole record, which tf.data ignores,
are reported too. The index file, where there is one, must list each record's
`offset size` (docs/FORMAT.md, "Index files").

This module imports TensorFlow on first use only, so that a worker process starts
small.
"""

import collections
import dataclasses
import io
import os
import re
from typing import Dict, List, Optional, Sequence, Set, Tuple

from google.protobuf import message as protobuf_message
from PIL import Image

from inception import core
from inception import records
from inception.check import _failures
from inception.check import _record_checks

THUMBNAIL_SIZE = 160
_MAX_FAILURES_PER_SHARD = 20
_DATA_LOSS = re.compile(r'(corrupted|truncated) record at (\d+)')


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
    synsets_file: the label files the records are compared against; None for none.
    metadata_file: image/class/text of each synset, or None.
    validation_labels_file: the synset of each validation image, or None.
    sample_fraction: share of the images fully decoded.
    samples_per_shard: thumbnails to keep from each shard, for the contact sheet.
  """
  schema: str
  synsets_file: Optional[str]
  metadata_file: Optional[str]
  validation_labels_file: Optional[str]
  sample_fraction: float
  samples_per_shard: int


@dataclasses.dataclass(frozen=True)
class ShardCheckTask:
  """One shard to check: where it and its index file are, and how to check it."""
  path: str
  shard: records.ShardName
  index_path: Optional[str]
  settings: CheckSettings


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
  filenames: List[str] = dataclasses.field(default_factory=list)
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


def check_shard_task(task: ShardCheckTask, report_progress=None) -> ShardCheckResult:
  """Checks every record of one shard, and its index file; see the module docstring.

  The runner's work function (`report_progress` is unused: results come per shard).
  """
  del report_progress
  import tensorflow as tf  # pylint: disable=g-import-not-at-top  (on first use)
  name = task.shard.name
  settings = task.settings
  labels = (_record_checks.read_label_files(settings.synsets_file,
                                            settings.metadata_file,
                                            settings.validation_labels_file)
            if settings.synsets_file else None)
  result = ShardCheckResult(name=name, split=task.shard.split)
  log = _FailureLog(name)
  try:
    result.num_bytes = _file_size(task.path)
  except core.error_types() as e:
    log.add(_failures.FRAMING, None, 'cannot read the shard: %s' %
            _failures.first_line(str(e)))
    result.framing_ok = False
    return _finish(result, log)
  positions: List[Tuple[int, int]] = []
  offset = 0
  try:
    for record in tf.data.TFRecordDataset(task.path, buffer_size=4 << 20):
      serialized = record.numpy()
      index = len(positions)
      positions.append((offset, len(serialized) + records.RECORD_OVERHEAD))
      offset += len(serialized) + records.RECORD_OVERHEAD
      _check_record(settings, labels, result, log, index, serialized)
  except tf.errors.DataLossError as e:
    result.framing_ok = False
    log.add(_failures.FRAMING, len(positions), 'at byte offset %d: %s' %
            (offset, _describe_data_loss(e.message)))
  except tf.errors.OpError as e:
    result.framing_ok = False
    log.add(_failures.FRAMING, len(positions), 'cannot read: %s' %
            _failures.first_line(e.message))
  else:
    if offset != result.num_bytes:
      result.framing_ok = False
      log.add(_failures.FRAMING, len(positions),
              '%d bytes after the last complete record at byte offset %d (a record '
              'cut short)' % (result.num_bytes - offset, offset))
  result.num_records = len(positions)
  if task.index_path:
    for message in check_index(task.index_path, positions, result.framing_ok):
      log.add(_failures.INDEX, None, message)
  return _finish(result, log)


def _file_size(path: str) -> int:
  with core.open_file(path, 'rb') as f:
    f.seek(0, os.SEEK_END)
    return f.tell()


def _finish(result: ShardCheckResult, log: _FailureLog) -> ShardCheckResult:
  result.failures = log.failures
  result.failures_by_kind = dict(log.by_kind)
  return result


def _check_record(settings: CheckSettings,
                  labels: Optional[_record_checks.LabelFiles],
                  result: ShardCheckResult, log: _FailureLog, index: int,
                  serialized: bytes) -> None:
  fields, problems = _record_checks.check_example(serialized, settings.schema, labels,
                                                  result.split)
  decode = _record_checks.in_sample(result.name, index, settings.sample_fraction)
  image_problems, decoded = _record_checks.check_image(fields, decode)
  problems.extend(image_problems)
  for kind, message in problems:
    log.add(kind, index, message)
  result.num_decoded += decoded
  result.filenames.append(fields.filename)
  if fields.label is not None:
    result.class_counts[fields.label] = result.class_counts.get(fields.label, 0) + 1
    result.class_keys.setdefault(fields.label, set()).add((fields.synset, fields.text))
  result.num_boxes += len(fields.boxes)
  result.num_images_with_boxes += bool(fields.boxes)
  if len(result.samples) < settings.samples_per_shard and not image_problems:
    sample = _make_sample(result.name, index, fields)
    if sample is not None:
      result.samples.append(sample)


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


def _describe_data_loss(message: str) -> str:
  match = _DATA_LOSS.search(message or '')
  if not match:
    return 'unreadable record: %s' % _failures.first_line(message)
  if match.group(1) == 'corrupted':
    return 'corrupted record (CRC32C mismatch in its length or data)'
  return 'truncated record (the file ends inside it)'


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
  import tensorflow as tf  # pylint: disable=g-import-not-at-top  (on first use)
  for path in paths:
    try:
      for record in tf.data.TFRecordDataset(path).take(1):
        return _record_checks.detect_schema(record.numpy())
    except (tf.errors.OpError, protobuf_message.DecodeError):
      continue
  return _record_checks.IMAGENET_SCHEMA
