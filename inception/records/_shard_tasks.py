"""One unit of conversion work: write one whole shard from its planned entries.

A `ShardTask` is plain, picklable data (what to write and where); `write_shard(task)` is
a pure function of it, so any runner can map it over a plan: the local process pool
(inception.core's), or an Apache Beam pipeline with one element per shard. The same
task always gives the same bytes, whichever process runs it and in which order.

Imports no TensorFlow (workers stay small and start fast), unless an output or input
path is remote or `validate_images='full'`, which import it on first use.
"""

import os
import time
from typing import Any, NamedTuple, Optional, Tuple

from inception import core
from inception.records import _example_records
from inception.records import _formats
from inception.records import _image_coding
from inception.records import _shards

Boxes = Tuple[Tuple[float, float, float, float], ...]  # (xmin, ymin, xmax, ymax) each

_PROGRESS_INTERVAL_SECONDS = 0.5
_READ_CHUNK_BYTES = 1 << 18  # most ImageNet JPEGs (~110 KB) in one read


class ImageEntry(NamedTuple):
  """One image of a split.

  Attributes:
    source: the image file's path (local or any tf.io.gfile path), or any picklable
      object with a `read_bytes()` method (e.g. a member of a tar archive).
    filename: the basename stored as image/filename, e.g. 'n01440764_10026.JPEG'.
    label: 1 + the class's index in the labels file (0 is background).
    synset: the class's wnid ('' for a generic folder-per-class set).
    text: the class's human text (generic sets: the directory name).
  """
  source: Any
  filename: str
  label: int
  synset: str
  text: str


class ShardTask(NamedTuple):
  """Everything needed to write one shard; picklable.

  Attributes:
    split: 'train', 'validation', ...
    index: the shard's number, 0-based.
    num_shards: how many shards the split has.
    output_path: the shard's final path.
    entries: the shard's images, in record order.
    boxes: per entry, its boxes as (xmin, ymin, xmax, ymax) tuples (empty: none).
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
  entries: Tuple[ImageEntry, ...]
  boxes: Tuple[Boxes, ...]
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


def describe_source(source: Any) -> str:
  """How errors and reports name an entry's source (a path, or the object's str)."""
  return source if isinstance(source, str) else str(source)


def read_source_bytes(source: Any) -> bytes:
  """Reads an entry's bytes: a path, or an object with read_bytes().

  Raises:
    _image_coding.ImageError: the source cannot be read.
  """
  try:
    if not isinstance(source, str):
      return source.read_bytes()
    if core.is_remote(source):
      return core.read_bytes(source)  # TensorFlow only for a remote path
    return _read_local_file(source)
  except _image_coding.ImageError:
    raise
  except Exception as e:  # OSError, tf.errors.*, tar errors
    raise _image_coding.ImageError(describe_source(source),
                                  'unreadable (%s: %s)' % (type(e).__name__, e)) from None


def _read_local_file(path: str) -> bytes:
  """A local file's bytes with plain system calls: no file object, no stat; for small
  files a third of `open().read()`'s cost, which is most of the converter's reading."""
  fd = os.open(path, os.O_RDONLY | getattr(os, 'O_CLOEXEC', 0))
  try:
    chunks = []
    while True:
      chunk = os.read(fd, _READ_CHUNK_BYTES)
      if not chunk:
        return chunks[0] if len(chunks) == 1 else b''.join(chunks)
      chunks.append(chunk)
  finally:
    os.close(fd)


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
    for entry, boxes in zip(task.entries, task.boxes):
      try:
        data = read_source_bytes(entry.source)
        input_bytes += len(data)
        unreported_bytes += len(data)
        writer.write(_record(task, entry, boxes, data))
      except _image_coding.ImageError as e:
        if not task.skip_bad_images:
          raise
        skipped.append(SkippedImage(describe_source(entry.source), entry.filename,
                                    entry.label, e.reason, task.index))
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


def _record(task: ShardTask, entry: ImageEntry, boxes: Boxes, data: bytes) -> bytes:
  image = _image_coding.prepare_image(data, describe_source(entry.source),
                                      task.validate_images)
  if task.record_format == _formats.GENERIC_FORMAT:
    return _example_records.generic_example(image.encoded, entry.filename, image.height,
                                           image.width, entry.label, entry.text)
  return _example_records.imagenet_example(image.encoded, entry.filename, image.height,
                                          image.width, entry.label, entry.synset,
                                          entry.text, boxes)
