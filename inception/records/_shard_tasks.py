"""One unit of conversion work: write one whole shard from its planned entries.

A `ShardTask` is plain, picklable data (what to write and where); `write_shard(task)` is
a pure function of it, so any runner can map it over a plan: the local process pool
(inception.core's), or an Apache Beam pipeline with one element per shard. The same
task always gives the same bytes, whichever process runs it and in which order.

Imports no TensorFlow (workers stay small and start fast), unless an output or input
path is remote or `validate_images='full'`, which import it on first use.
"""

import array
import bisect
import collections.abc
import os
import time
from typing import Any, Dict, Iterator, Mapping, NamedTuple, Optional, Sequence, Tuple

from inception import core
from inception.records import _example_records
from inception.records import _formats
from inception.records import _image_coding
from inception.records import _shards

Boxes = Tuple[Tuple[float, float, float, float], ...]  # (xmin, ymin, xmax, ymax) each
_Class = Tuple[str, str, Optional[str]]  # synset, text, the images' path prefix or None

_PROGRESS_INTERVAL_SECONDS = 0.5
_READ_CHUNK_BYTES = 1 << 18  # most ImageNet JPEGs (~110 KB) in one read
_LIST_AT_ONCE = 1 << 16  # file names ShardEntries.filenames splits at once, at most


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


_MEMBER_FIELDS = ('archive_path', 'offset', 'size', 'name')


def _is_member(source: Any) -> bool:
  """Whether `source` is a tar member record (acquire.TarMember or alike): a
  NamedTuple of (archive_path, offset, size, name)."""
  return getattr(type(source), '_fields', None) == _MEMBER_FIELDS


class _Members(NamedTuple):
  """Tar members as columns: the archive once, each member's offset and size."""
  member_type: type  # the members' class (pickled by reference), to name them
  archive_path: str
  offsets: array.array
  sizes: array.array

  def member(self, index: int, name: str) -> Any:
    return self.member_type(self.archive_path, self.offsets[index], self.sizes[index],
                            name)

  def take(self, indices: Sequence[int]) -> '_Members':
    offsets, sizes = self.offsets, self.sizes
    return self._replace(offsets=array.array('q', [offsets[i] for i in indices]),
                         sizes=array.array('q', [sizes[i] for i in indices]))


def _joined(strings: Sequence[str], what: str) -> str:
  """The strings '\\0'-joined. Raises ValueError if one holds a NUL."""
  joined = '\0'.join(strings)
  if joined.count('\0') != max(0, len(strings) - 1):
    raise ValueError('a %s holds a NUL character: %r' %
                     (what, next(s for s in strings if '\0' in s)))
  return joined


def _starts(joined: str, count: int) -> array.array:
  """Where each of the `count` '\\0'-separated strings of `joined` starts, and one past
  the end (count + 1 numbers)."""
  starts = array.array('q', [0])
  find = joined.find
  position = -1
  for _ in range(count - 1):
    position = find('\0', position + 1)
    starts.append(position + 1)
  starts.append(len(joined) + 1)
  return starts


class ShardEntries(collections.abc.Sequence):
  """Image entries as columns: a read-only sequence of ImageEntry.

  The converter holds a split's entries in one (the finders build it), and each shard
  task a slice of it (`take`), which a worker receives in the task's pickle: a few
  objects per shard, not a NamedTuple (and its strings) per image. The file names are
  one '\\0'-joined string and the labels one array; each label's synset, text and
  image path prefix are in a table that the entries of a split share (`classes`). The
  sources are one of:
  - None: each is its label's prefix + its file name (`<dir>/<class>/<file>`);
  - a str: the paths, '\\0'-joined (other layouts);
  - tar members (`acquire.TarMember`-like: archive_path, offset, size, name) of one
    archive with name = file name: the archive once, offsets and sizes as arrays
    (`members_of`: a worker reads them through one open file);
  - a tuple: any other objects, as they are.
  Entries are made on access, equal to the ones it was built from (`from_entries`).
  """

  __slots__ = ('_filenames', '_labels', '_classes', '_sources', '_name_starts',
               '_source_starts')

  def __init__(self, filenames: str, labels: array.array, classes: Dict[int, _Class],
               sources: Any = None):
    self._filenames = filenames
    self._labels = labels
    self._classes = classes
    self._sources = sources
    self._name_starts = self._source_starts = None  # computed on first random access

  @classmethod
  def from_entries(cls, entries: Sequence[ImageEntry],
                   classes: Optional[Dict[int, _Class]] = None) -> 'ShardEntries':
    """The compact form of `entries`.

    Args:
      classes: the table of {label: (synset, text, path prefix)} to use and extend:
        give the shards of one split the same dict, and it is held once.

    Raises:
      ValueError: a file name holds a NUL character, or one label has two classes.
    """
    if isinstance(entries, ShardEntries) and classes is None:
      return entries
    classes = {} if classes is None else classes
    derived = True
    for entry in entries:
      known = classes.get(entry.label)
      if known is None:
        prefix = (os.path.dirname(entry.source) + os.sep
                  if isinstance(entry.source, str) else None)
        known = classes[entry.label] = (entry.synset, entry.text, prefix)
      elif known[0] != entry.synset or known[1] != entry.text:
        raise ValueError('label %d is both %r and %r' % (
            entry.label, known[:2], (entry.synset, entry.text)))
      if derived and (known[2] is None or
                      entry.source != known[2] + entry.filename):
        derived = False
    filenames = _joined([e.filename for e in entries], 'file name')
    sources = None
    if not derived:
      sources = tuple([e.source for e in entries])
      if all(isinstance(source, str) for source in sources):
        joined = '\0'.join(sources)
        sources = joined if joined.count('\0') == len(sources) - 1 else sources
      elif all(_is_member(s) for s in sources) and len(
          {(type(s), s.archive_path) for s in sources}) == 1 and all(
              s.name == e.filename for s, e in zip(sources, entries)):
        sources = _Members(type(sources[0]), sources[0].archive_path,
                           array.array('q', [s.offset for s in sources]),
                           array.array('q', [s.size for s in sources]))
    return cls(filenames, array.array('q', [e.label for e in entries]), classes,
               sources)

  @property
  def labels(self) -> array.array:
    """Each entry's label (do not modify)."""
    return self._labels

  @property
  def classes(self) -> Dict[int, _Class]:
    """{label: (synset, text, path prefix or None)} (do not modify)."""
    return self._classes

  def members_of(self) -> Optional[_Members]:
    """The sources as tar-member columns, or None if they are not."""
    return self._sources if isinstance(self._sources, _Members) else None

  def filenames(self) -> Iterator[str]:
    """Each entry's file name, in order (a split's one at a time: no list of them
    all)."""
    count = len(self._labels)
    if not count:
      return iter(())
    if count <= _LIST_AT_ONCE:
      return iter(self._filenames.split('\0'))
    return self._filenames_in_chunks()

  def _filenames_in_chunks(self) -> Iterator[str]:
    starts, names, count = self._starts(), self._filenames, len(self._labels)
    for first in range(0, count, _LIST_AT_ONCE):
      last = min(count, first + _LIST_AT_ONCE)
      yield from names[starts[first]:starts[last] - 1].split('\0')

  def filename(self, index: int) -> str:
    starts = self._starts()
    return self._filenames[starts[index]:starts[index + 1] - 1]

  def _starts(self) -> array.array:
    if self._name_starts is None:
      self._name_starts = _starts(self._filenames, len(self._labels))
    return self._name_starts

  def sorted_order(self) -> array.array:
    """The indices of the entries sorted by (label, filename) (stable); without
    building a key per entry when they are in that order already, as the finders
    list them."""
    labels, name = self._labels, self.filename
    previous_label, previous_name = None, None
    for label, current in zip(labels, self.filenames()):
      if previous_label is not None and (label < previous_label or (
          label == previous_label and current < previous_name)):
        break
      previous_label, previous_name = label, current
    else:
      return array.array('q', range(len(labels)))
    return array.array('q', sorted(range(len(labels)),
                                   key=lambda i: (labels[i], name(i))))

  def take(self, indices: Sequence[int]) -> 'ShardEntries':
    """The entries at `indices`, in that order (sharing the class table)."""
    starts, joined = self._starts(), self._filenames
    names = '\0'.join([joined[starts[i]:starts[i + 1] - 1] for i in indices])
    labels = self._labels
    sources = self._sources
    if isinstance(sources, str):
      if self._source_starts is None:
        self._source_starts = _starts(sources, len(labels))
      starts = self._source_starts
      sources = '\0'.join([sources[starts[i]:starts[i + 1] - 1] for i in indices])
    elif isinstance(sources, _Members):
      sources = sources.take(indices)
    elif sources is not None:
      sources = tuple([sources[i] for i in indices])
    return ShardEntries(names, array.array('q', [labels[i] for i in indices]),
                        self._classes, sources)

  def _sources_list(self, filenames: Sequence[str]) -> Sequence[Any]:
    sources, classes = self._sources, self._classes
    if sources is None:
      return [classes[label][2] + filename
              for label, filename in zip(self._labels, filenames)]
    if isinstance(sources, str):
      return sources.split('\0')
    if isinstance(sources, _Members):
      return [sources.member(i, filename) for i, filename in enumerate(filenames)]
    return sources

  def __len__(self) -> int:
    return len(self._labels)

  def __iter__(self) -> Iterator[ImageEntry]:
    if not self._labels:
      return iter(())
    filenames = self._filenames.split('\0')
    classes = self._classes
    return (ImageEntry(source, filename, label, *classes[label][:2])
            for source, filename, label in zip(self._sources_list(filenames),
                                                filenames, self._labels))

  def __getitem__(self, index):
    if isinstance(index, slice):
      return self.take(range(*index.indices(len(self))))
    if index < 0:
      index += len(self)
    if not 0 <= index < len(self):
      raise IndexError('entry index out of range')
    return next(iter(self.take((index,))))

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


class EntriesBuilder:
  """Builds a split's ShardEntries class by class, with no per-image object kept.

  `add_directory` adds a class's images of one directory (sources: prefix + name),
  `add_member` one tar member; a split uses one kind (tar members of one archive), or
  the sources are kept as they are.
  """

  def __init__(self):
    self._chunks = []  # '\0'-joined file names, a chunk per call
    self._labels = array.array('q')
    self._classes = {}
    self._members = None  # [member type, archive path, offsets, sizes]
    self._objects = None  # sources kept as they are, when not one archive's members
    self._directories = False

  def _add_class(self, label: int, synset: str, text: str,
                 prefix: Optional[str]) -> None:
    known = self._classes.get(label)
    if known is None:
      self._classes[label] = (synset, text, prefix)
    elif known != (synset, text, prefix):
      raise ValueError('label %d is both %r and %r' % (label, known,
                                                       (synset, text, prefix)))

  def add_directory(self, label: int, synset: str, text: str, directory: str,
                    filenames: Sequence[str]) -> None:
    """The images `filenames` of `directory` (sources: os.path.join of the two)."""
    self._check_open()
    if self._members is not None or self._objects is not None:
      raise ValueError('a split\'s entries are all files or all tar members')
    self._directories = True
    self._add_class(label, synset, text, os.path.join(directory, ''))
    if filenames:
      self._chunks.append(_joined(filenames, 'file name'))
      self._labels.extend([label] * len(filenames))

  def add_member(self, label: int, synset: str, text: str, member: Any) -> None:
    """One tar member (acquire.TarMember-like), its file name its member name."""
    self._check_open()
    if self._directories:
      raise ValueError('a split\'s entries are all files or all tar members')
    self._add_class(label, synset, text, None)
    if '\0' in member.name:
      raise ValueError('a file name holds a NUL character: %r' % member.name)
    self._chunks.append(member.name)
    self._labels.append(label)
    if self._objects is not None:
      self._objects.append(member)
      return
    if self._members is None and _is_member(member):
      self._members = [type(member), member.archive_path, array.array('q'),
                       array.array('q')]
    members = self._members
    if (members is not None and type(member) is members[0] and
        member.archive_path == members[1]):
      members[2].append(member.offset)
      members[3].append(member.size)
      return
    # Not one archive's members: keep the sources as they are.
    self._objects = [] if members is None else [
        members[0](members[1], offset, size, name) for offset, size, name in zip(
            members[2], members[3], '\0'.join(self._chunks[:-1]).split('\0'))]
    self._members = None
    self._objects.append(member)

  def build(self) -> ShardEntries:
    """The entries (once)."""
    self._check_open()
    sources = None
    if self._objects is not None:
      sources = tuple(self._objects)
    elif self._members is not None:
      sources = _Members(*self._members)
    entries = ShardEntries('\0'.join(self._chunks), self._labels, self._classes,
                           sources)
    self._chunks = None  # built: adding more is refused
    return entries

  def _check_open(self) -> None:
    if self._chunks is None:
      raise ValueError('these entries are built already')


class ShardBoxes(collections.abc.Sequence):
  """Per entry of a shard, its boxes ((xmin, ymin, xmax, ymax) tuples), packed: one
  array of coordinates and one of where each entry's start; a sequence of tuples."""

  __slots__ = ('_starts', '_coordinates')

  def __init__(self, starts: array.array, coordinates: array.array):
    self._starts = starts  # len(entries) + 1 box numbers
    self._coordinates = coordinates  # 4 per box

  def __len__(self) -> int:
    return len(self._starts) - 1

  def __getitem__(self, index):
    if isinstance(index, slice):
      return tuple(self)[index]
    if index < 0:
      index += len(self)
    if not 0 <= index < len(self):
      raise IndexError('entry index out of range')
    return self._boxes(self._starts[index], self._starts[index + 1])

  def _boxes(self, start: int, end: int) -> Boxes:
    c = self._coordinates
    return tuple(tuple(c[4 * b:4 * b + 4]) for b in range(start, end))

  def __iter__(self) -> Iterator[Boxes]:
    starts = self._starts
    for index in range(len(starts) - 1):
      start, end = starts[index], starts[index + 1]
      yield self._boxes(start, end) if end > start else ()

  def __eq__(self, other) -> bool:
    if not isinstance(other, collections.abc.Sequence):
      return NotImplemented
    return len(self) == len(other) and all(
        tuple(map(tuple, a)) == tuple(map(tuple, b)) for a, b in zip(self, other))

  def __hash__(self) -> int:
    return hash(tuple(self))

  def __repr__(self) -> str:
    return 'ShardBoxes(%d entries, %d boxes)' % (len(self), len(self._coordinates) // 4)

  def __reduce__(self):
    return (type(self), (self._starts, self._coordinates))


class BoxTable(collections.abc.Mapping):
  """{image file name: its boxes}, packed: the names '\\0'-joined, the coordinates in
  one array, a hash index for look-ups; no object per image or box (ImageNet: ~48 MiB
  instead of ~160). Build with `add` (names in insertion order), then look up with
  `index` and attach a shard's boxes with `shard_boxes`.
  """

  def __init__(self):
    self._chunks = []
    self._names = ''
    self._name_starts = None
    self._box_starts = array.array('q', [0])
    self._coordinates = array.array('d')
    self._hashes = array.array('q')
    self._order = array.array('q')
    self._count = 0
    self._joined = 0  # how many names self._names holds
    self._indexed = 0  # how many names the hash index covers

  @classmethod
  def from_mapping(cls, boxes: Mapping[str, Sequence[Sequence[float]]]) -> 'BoxTable':
    if isinstance(boxes, BoxTable):
      return boxes
    table = cls()
    for name, image_boxes in boxes.items():
      table.add(name, image_boxes)
    return table

  def add(self, name: str, boxes: Sequence[Sequence[float]]) -> None:
    """Adds an image's boxes (anything of 4 numbers each). The caller keeps the names
    unique (`index` finds the first)."""
    if '\0' in name:
      raise ValueError('a file name holds a NUL character: %r' % name)
    self._chunks.append(name)
    for box in boxes:
      self._coordinates.extend((float(box[0]), float(box[1]), float(box[2]),
                                float(box[3])))
    self._box_starts.append(len(self._coordinates) // 4)
    self._count += 1

  def _flush(self) -> None:
    if self._chunks:
      parts = ([self._names] if self._joined else []) + self._chunks
      self._names = '\0'.join(parts)
      self._joined = self._count
      self._chunks = []
      self._name_starts = None
    if self._indexed == self._count:
      return
    name = self._name
    hashes = [hash(name(i)) for i in range(self._count)]
    order = sorted(range(self._count), key=hashes.__getitem__)
    self._hashes = array.array('q', [hashes[i] for i in order])
    self._order = array.array('q', order)
    self._indexed = self._count

  def _name(self, index: int) -> str:
    if self._name_starts is None:
      self._name_starts = _starts(self._names, self._count)
    starts = self._name_starts
    return self._names[starts[index]:starts[index + 1] - 1]

  def name(self, index: int) -> str:
    """The name of row `index`."""
    self._flush()
    return self._name(index)

  def names(self) -> Iterator[str]:
    """The names in insertion order."""
    self._flush()
    return iter(self._names.split('\0') if self._count else ())

  def index(self, name: str) -> int:
    """The row of `name`, or -1."""
    self._flush()
    h = hash(name)
    hashes, order = self._hashes, self._order
    position = bisect.bisect_left(hashes, h)
    while position < len(hashes) and hashes[position] == h:
      row = order[position]
      if self._name(row) == name:
        return row
      position += 1
    return -1

  def boxes(self, row: int) -> Boxes:
    start, end = self._box_starts[row], self._box_starts[row + 1]
    c = self._coordinates
    return tuple(tuple(c[4 * b:4 * b + 4]) for b in range(start, end))

  def shard_boxes(self, rows: Sequence[int]) -> ShardBoxes:
    """The boxes of each row (-1: none), packed for a shard task."""
    starts = array.array('q', [0])
    coordinates = array.array('d')
    box_starts, c = self._box_starts, self._coordinates
    for row in rows:
      if row >= 0:
        coordinates.extend(c[4 * box_starts[row]:4 * box_starts[row + 1]])
      starts.append(len(coordinates) // 4)
    return ShardBoxes(starts, coordinates)

  @property
  def num_boxes(self) -> int:
    return len(self._coordinates) // 4

  def __len__(self) -> int:
    return self._count

  def __iter__(self) -> Iterator[str]:
    return self.names()

  def __getitem__(self, name: str) -> Boxes:
    row = self.index(name)
    if row < 0:
      raise KeyError(name)
    return self.boxes(row)

  def __contains__(self, name) -> bool:
    return isinstance(name, str) and self.index(name) >= 0


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
  entries: Sequence[ImageEntry]
  boxes: Sequence[Boxes]
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
    raise _unreadable(source, e) from None


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


def _entries_with_bytes(entries: Sequence[ImageEntry]
                        ) -> Iterator[Tuple[ImageEntry, Any]]:
  """(entry, its bytes or the ImageError that names why they cannot be read), in
  order; a shard's tar members are read through one open archive."""
  members = entries.members_of() if isinstance(entries, ShardEntries) else None
  if members is None:
    for entry in entries:
      try:
        yield entry, read_source_bytes(entry.source)
      except _image_coding.ImageError as e:
        yield entry, e
    return
  try:
    archive = _Archive(members.archive_path)
  except Exception as e:  # pylint: disable=broad-except
    for entry in entries:  # as each member's own read would fail
      yield entry, _unreadable(entry.source, e)
    return
  with archive:
    offsets, sizes = members.offsets, members.sizes
    for index, entry in enumerate(entries):
      offset, size = offsets[index], sizes[index]
      try:
        data = archive.read(offset, size)
      except Exception as e:  # pylint: disable=broad-except
        yield entry, _unreadable(entry.source, e)
        continue
      if len(data) != size:
        yield entry, _unreadable(entry.source, IOError(
            '%s: member %s is truncated: %d of %d bytes at offset %d' %
            (members.archive_path, entry.filename, len(data), size, offset)))
        continue
      yield entry, data


def _unreadable(source: Any, error: Exception) -> _image_coding.ImageError:
  return _image_coding.ImageError(describe_source(source), 'unreadable (%s: %s)' %
                                  (type(error).__name__, error))


class _Archive:
  """An archive open for reading members at offsets: a local one with os.pread (one
  system call a member), a remote one through core.open_file."""

  def __init__(self, path: str):
    self._fd = self._file = None
    if core.is_remote(path):
      self._file = core.open_file(path, 'rb')
    else:
      self._fd = os.open(path, os.O_RDONLY | getattr(os, 'O_CLOEXEC', 0))

  def read(self, offset: int, size: int) -> bytes:
    if self._file is not None:
      self._file.seek(offset)
      return self._file.read(size)
    data = os.pread(self._fd, size, offset)
    if len(data) == size or not data:
      return data
    chunks = [data]
    got = len(data)
    while got < size:
      chunk = os.pread(self._fd, size - got, offset + got)
      if not chunk:
        break
      chunks.append(chunk)
      got += len(chunk)
    return b''.join(chunks)

  def __enter__(self) -> '_Archive':
    return self

  def __exit__(self, *unused) -> None:
    if self._file is not None:
      self._file.close()
    else:
      os.close(self._fd)


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
    for (entry, data), boxes in zip(_entries_with_bytes(task.entries), task.boxes):
      try:
        if isinstance(data, _image_coding.ImageError):
          raise data
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
