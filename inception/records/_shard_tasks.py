"""One unit of conversion work: write one whole shard from its planned entries.

A `ShardTask` is plain, picklable data (what to write and where); `write_shard(task)` is
a pure function of it, so any runner can map it over a plan: the local process pool
(inception.core's), or an Apache Beam pipeline with one element per shard. The same
task always gives the same bytes, whichever process runs it and in which order.

Imports no TensorFlow (workers stay small and start fast), unless an output or input
path is remote or `validate_images='full'`, which import it on first use.
"""

import time
from typing import NamedTuple, Optional, Sequence, Tuple

from inception import core
from inception.records import _boxes
from inception.records import _entries
from inception.records import _example_records
from inception.records import _formats
from inception.records import _image_coding
from inception.records import _image_sources
from inception.records import _shards

_PROGRESS_INTERVAL_SECONDS = 0.5


class ShardTask(NamedTuple):
  """Everything needed to write one shard; picklable.

  Attributes:
    split: 'train', 'validation', ...
    index: the shard's number, 0-based.
    num_shards: how many shards the split has.
    output_path: the shard's final path.
    entries: the shard's images, in record order: a ShardEntries (as plans make
      them) or any sequence of ImageEntry.
    boxes: per entry, its boxes as (xmin, ymin, xmax, ymax) tuples (empty: none): a
      ShardBoxes (as plans make them) or any sequence.
    record_format: IMAGENET_FORMAT or GENERIC_FORMAT.
    index_path: where to write the DALI/tfrecord index, or None for no index.
    validate_images: one of VALIDATE_IMAGES: 'none' (header only), 'structure' (also
      walk each JPEG's markers and scan data) or 'full' (also decode with TensorFlow).
    skip_bad_images: leave bad images out (listed in the result) instead of failing.
  """
  split: str
  index: int
  num_shards: int
  output_path: str
  entries: Sequence[_entries.ImageEntry]
  boxes: Sequence[_boxes.Boxes]
  record_format: str = _formats.IMAGENET_FORMAT
  index_path: Optional[str] = None
  validate_images: str = _image_coding.DEFAULT_VALIDATE_IMAGES
  skip_bad_images: bool = False


class SkippedImage(NamedTuple):
  """An image left out under skip_bad_images, and why."""
  source: str
  filename: str
  label: int
  reason: str
  shard: int


class ShardResult(NamedTuple):
  """What writing (or reusing) one shard produced."""
  split: str
  index: int
  output_path: str
  num_records: int
  num_input_bytes: int
  num_output_bytes: int
  skipped: Tuple[SkippedImage, ...] = ()
  reused: bool = False
  seconds: float = 0.0


def validate_task(task: ShardTask) -> None:
  """Raises ValueError on a task no worker could run."""
  if task.record_format not in _formats.RECORD_FORMATS:
    raise ValueError('unknown record format %r (expected one of %s)' %
                     (task.record_format, ', '.join(_formats.RECORD_FORMATS)))
  if task.validate_images not in _image_coding.VALIDATE_IMAGES:
    raise ValueError('validate_images must be one of %s, got %r' %
                     (', '.join(_image_coding.VALIDATE_IMAGES), task.validate_images))
  if len(task.boxes) != len(task.entries):
    raise ValueError('shard %s: %d entries but %d box lists' %
                     (task.output_path, len(task.entries), len(task.boxes)))


def write_shard(task: ShardTask,
                on_progress: Optional[core.ProgressCallback] = None) -> ShardResult:
  """Writes one shard atomically; returns its counts.

  Streams one image at a time: memory does not grow with the shard.

  Raises:
    _image_coding.ImageError: a bad image (unless task.skip_bad_images); the message
      names its path. Nothing is left under the shard's final name.
  """
  validate_task(task)
  start = time.monotonic()
  skipped = []
  input_bytes = 0
  unreported_images = unreported_bytes = 0
  last_report = start
  with _shards.ShardWriter(task.output_path, task.index_path) as writer:
    for (entry, data), boxes in zip(_image_sources.entries_with_bytes(task.entries),
                                    task.boxes):
      try:
        if isinstance(data, _image_coding.ImageError):
          raise data
        input_bytes += len(data)
        unreported_bytes += len(data)
        writer.write(_record(task, entry, boxes, data))
      except _image_coding.ImageError as e:
        if not task.skip_bad_images:
          raise
        skipped.append(SkippedImage(_image_sources.describe_source(entry.source),
                                    entry.filename, entry.label, e.reason, task.index))
      unreported_images += 1
      if on_progress is not None:
        now = time.monotonic()
        if now - last_report >= _PROGRESS_INTERVAL_SECONDS:
          on_progress(unreported_images, unreported_bytes)
          unreported_images = unreported_bytes = 0
          last_report = now
  if on_progress is not None and (unreported_images or unreported_bytes):
    on_progress(unreported_images, unreported_bytes)
  return ShardResult(task.split, task.index, task.output_path, writer.num_records,
                     input_bytes, writer.num_bytes, tuple(skipped), False,
                     time.monotonic() - start)


def _record(task: ShardTask, entry: _entries.ImageEntry, boxes: _boxes.Boxes,
            data: bytes) -> bytes:
  try:  # the source named only for a failure: naming a tar member costs a format
    image = _image_coding.prepare_image(data, '', task.validate_images)
  except _image_coding.ImageError as e:
    raise _image_coding.ImageError(_image_sources.describe_source(entry.source),
                                   e.reason) from None
  if task.record_format == _formats.GENERIC_FORMAT:
    return _example_records.generic_example(image, entry.filename, entry.label,
                                           entry.text)
  return _example_records.imagenet_example(image, entry.filename, entry.label,
                                          entry.synset, entry.text, boxes)
