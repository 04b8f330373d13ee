"""One unit of conversion work: write one whole shard from its planned entries.

A `ShardTask` is plain, picklable data (what to write and where); `write_shard(task)` is
a pure function of it, so any runner can map it over a plan: the local process pool
(inception.core's), or an Apache Beam pipeline with one element per shard. The same
task always gives the same bytes, whichever process runs it and in which order.

Imports no TensorFlow (workers stay small and start fast), unless an output or input
path is remote or `validate_images='full'`, which import it on first use.
"""

import array
import collections.abc
import os
import time
from typing import Any, Dict, Iterator, NamedTuple, Optional, Sequence, Tuple

from inception import core
from inception.records import _example_records
from inception.records import _formats
from inception.records import _image_coding
from inception.records import _shards

Boxes = Tuple[Tuple[float, float, float, float], ...]  # (xmin, ymin, xmax, ymax) each
_Class = Tuple[str, str, Optional[str]]  # synset, text, the images' directory or None

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


class ShardEntries(collections.abc.Sequence):
  """A shard's entries in compact form: a read-only sequence of ImageEntry.

  A plan holds one per shard, and a worker receives it in the task's pickle: a few
  objects per shard, not a NamedTuple (and its strings) per image. The file names are
  one '\\0'-joined string and the labels one array; each label's synset, text and
  image directory are in a table the shards of a split share (`classes`). A source
  that is not `<its label's directory>/<filename>` (another layout, a tar member) is
  stored as it is: paths as one joined string, other objects in a tuple. Entries are
  made on access, equal to the ones it was built from (`from_entries`).
  """

  __slots__ = ('_filenames', '_labels', '_classes', '_sources')

  def __init__(self, filenames: str, labels: array.array, classes: Dict[int, _Class],
               sources: Any = None):
    self._filenames = filenames
    self._labels = labels
    self._classes = classes
    self._sources = sources  # None: each is its label's directory + os.sep + filename

  @classmethod
  def from_entries(cls, entries: Sequence[ImageEntry],
                   classes: Optional[Dict[int, _Class]] = None) -> 'ShardEntries':
    """The compact form of `entries`.

    Args:
      classes: the table of {label: (synset, text, directory)} to use and extend:
        give the shards of one split the same dict, and it is held once.

    Raises:
      ValueError: a file name holds a NUL character, or one label has two classes.
    """
    classes = {} if classes is None else classes
    derived = True
    for entry in entries:
      known = classes.get(entry.label)
      if known is None:
        directory = (os.path.dirname(entry.source) if isinstance(entry.source, str)
                     else None)
        known = classes[entry.label] = (entry.synset, entry.text, directory)
      elif known[0] != entry.synset or known[1] != entry.text:
        raise ValueError('label %d is both %r and %r' % (
            entry.label, known[:2], (entry.synset, entry.text)))
      if derived and (known[2] is None or
                      entry.source != known[2] + os.sep + entry.filename):
        derived = False
    filenames = '\0'.join([e.filename for e in entries])
    if filenames.count('\0') != max(0, len(entries) - 1):
      raise ValueError('a file name holds a NUL character: %r' %
                       next(e.filename for e in entries if '\0' in e.filename))
    sources = None
    if not derived:
      sources = tuple([e.source for e in entries])
      if all(isinstance(source, str) for source in sources):
        joined = '\0'.join(sources)
        sources = joined if joined.count('\0') == len(sources) - 1 else sources
    return cls(filenames, array.array('q', [e.label for e in entries]), classes,
               sources)

  def __len__(self) -> int:
    return len(self._labels)

  def __iter__(self) -> Iterator[ImageEntry]:
    if not self._labels:
      return iter(())
    filenames = self._filenames.split('\0')
    classes = self._classes
    if self._sources is None:
      sources = [classes[label][2] + os.sep + filename
                 for label, filename in zip(self._labels, filenames)]
    elif isinstance(self._sources, str):
      sources = self._sources.split('\0')
    else:
      sources = self._sources
    return (ImageEntry(source, filename, label, *classes[label][:2])
            for source, filename, label in zip(sources, filenames, self._labels))

  def __getitem__(self, index):
    if isinstance(index, slice):
      return tuple(self)[index]
    return tuple(self)[index]

  def __eq__(self, other) -> bool:
    if not isinstance(other, collections.abc.Sequence):
      return NotImplemented
    return len(self) == len(other) and all(a == b for a, b in zip(self, other))

  def __hash__(self) -> int:
    return hash(tuple(self))

  def __repr__(self) -> str:
    return 'ShardEntries(%d entries)' % len(self)

  def __reduce__(self):
    return (type(self), (self._filenames, self._labels, self._classes, self._sources))


class ShardTask(NamedTuple):
  """Everything needed to write one shard; picklable.

  Attributes:
    split: 'train', 'validation', ...
    index: the shard's number, 0-based.
    num_shards: how many shards the split has.
    output_path: the shard's final path.
    entries: the shard's images, in record order: a ShardEntries (as plans make
      them) or any sequence of ImageEntry.
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
  entries: Sequence[ImageEntry]
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
