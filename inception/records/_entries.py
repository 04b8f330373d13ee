"""A split's image entries as columns: `ImageEntry`, `ShardEntries`, `EntriesBuilder`.

The finders build a split's ShardEntries with an EntriesBuilder, class by class; each
shard task carries a slice of it (`take`): a few objects per shard, not one per image.
"""

import array
import collections.abc
import os
from typing import Any, Dict, Iterator, List, NamedTuple, Optional, Sequence, Tuple

from inception.records import _string_columns

_Class = Tuple[str, str, Optional[str]]  # synset, text, the images' path prefix or None

_LIST_AT_ONCE = 1 << 16  # file names ShardEntries.filenames splits at once, at most


class ImageEntry(NamedTuple):
  """One image of a split.

  Attributes:
    source: the image file's path (local, or a URL core opens: s3://, gs://, ...), or any picklable
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


# The archive members a split's sources may be: NamedTuples of (archive_path, their
# numbers, name, a text shared by a label's members): a tar member (acquire.TarMember:
# its class tar) and a zip member (ZipMember, from acquire's zip index: its folder).
_TAR_MEMBER_FIELDS = ('archive_path', 'offset', 'size', 'name', 'class_tar')
_ZIP_MEMBER_FIELDS = ('archive_path', 'offset', 'compressed_size', 'size', 'crc',
                      'method', 'name', 'folder')


def _is_member(source: Any) -> bool:
  """Whether `source` is an archive member record: a tar member's
  (archive_path, offset, size, name, class_tar) or a zip member's."""
  return getattr(type(source), '_fields', None) in (_TAR_MEMBER_FIELDS,
                                                     _ZIP_MEMBER_FIELDS)


class _Members(NamedTuple):
  """Archive members as columns: the archive once, each member's numbers an array (a
  tar member's offset and size; a zip member's also its compressed size, CRC-32 and
  method), and what a label's members share (per class, not per image: a tar
  member's class tar, a zip member's folder)."""
  member_type: type  # the members' class (pickled by reference), to name them
  archive_path: str
  columns: Tuple[array.array, ...]  # one per field between archive_path and name
  label_fields: Dict[int, str]  # {label: its members' last field ('' for none)}

  @property
  def offsets(self) -> array.array:
    return self.columns[0]

  @property
  def sizes(self) -> array.array:
    return self.columns[self.member_type._fields.index('size') - 1]

  def is_zip(self) -> bool:
    return self.member_type._fields == _ZIP_MEMBER_FIELDS

  def member(self, index: int, name: str, label: int) -> Any:
    """Member `index`, given its file name (its name) and label."""
    return self.member_type(self.archive_path,
                            *[column[index] for column in self.columns], name,
                            self.label_fields[label])

  def members(self, filenames: Sequence[str], labels: Sequence[int]) -> List[Any]:
    """The member records, given each one's file name (its name) and label."""
    member_type, archive, label_fields = (self.member_type, self.archive_path,
                                          self.label_fields)
    return [member_type(archive, *numbers, name, label_fields[label])
            for numbers, name, label in zip(zip(*self.columns), filenames, labels)]

  def take(self, indices: Sequence[int]) -> '_Members':
    return self._replace(columns=tuple(
        array.array('q', [column[i] for i in indices]) for column in self.columns))


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
  - archive members of one archive with name = file name and one last field per
    label: tar members (`acquire.TarMember`-like: archive_path, offset, size, name,
    class_tar) or zip members (ZipMember: ..., name, folder); the archive once, their
    numbers as arrays, the last field per label (`members_of`: a worker reads them
    through one open file);
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
    filenames = _string_columns.join([e.filename for e in entries], 'file name')
    sources = None
    if not derived:
      sources = tuple([e.source for e in entries])
      if all(isinstance(source, str) for source in sources):
        joined = '\0'.join(sources)
        sources = joined if joined.count('\0') == len(sources) - 1 else sources
      else:
        sources = _as_members(sources, entries) or sources
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
    """The sources as archive-member columns, or None if they are not."""
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
      self._name_starts = _string_columns.starts(self._filenames, len(self._labels))
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
        self._source_starts = _string_columns.starts(sources, len(labels))
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
      return sources.members(filenames, self._labels)
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
    # A shard's pickle (its task, sent to a worker) carries its own labels' classes,
    # not the split's whole table: at 1000 classes the table was 60 % of a 10 %-scale
    # ImageNet shard task's 69 KB, pickled and unpickled 1152 times.
    labels = set(self._labels)
    classes, sources = self._classes, self._sources
    if len(labels) < len(classes):
      classes = {label: classes[label] for label in labels if label in classes}
    if isinstance(sources, _Members) and len(labels) < len(sources.label_fields):
      fields = sources.label_fields
      sources = sources._replace(label_fields={
          label: fields[label] for label in labels if label in fields})
    return (type(self), (self._filenames, self._labels, classes, sources))


def _as_members(sources: Sequence[Any],
                entries: Sequence[ImageEntry]) -> Optional[_Members]:
  """`sources` as member columns if they are archive members of one type and
  archive, named as their entries, with one last field per label; else None."""
  if not all(_is_member(s) for s in sources) or len(
      {(type(s), s.archive_path) for s in sources}) != 1:
    return None
  label_fields = {}
  for source, entry in zip(sources, entries):
    if (source.name != entry.filename or
        label_fields.setdefault(entry.label, source[-1]) != source[-1]):
      return None
  return _Members(type(sources[0]), sources[0].archive_path, tuple(
      array.array('q', [s[field] for s in sources])
      for field in range(1, len(sources[0]) - 2)), label_fields)


class EntriesBuilder:
  """Builds a split's ShardEntries class by class, with no per-image object kept.

  `add_directory` adds a class's images of one directory (sources: prefix + name),
  `add_member` one archive member (a tar's or a zip's); a split uses one kind (members
  of one archive), or the sources are kept as they are.
  """

  def __init__(self):
    self._chunks = []  # '\0'-joined file names, a chunk per call
    self._labels = array.array('q')
    self._classes = {}
    self._members = None  # [member type, archive path, columns, label fields]
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
      raise ValueError('a split\'s entries are all files or all archive members')
    self._directories = True
    self._add_class(label, synset, text, os.path.join(directory, ''))
    if filenames:
      self._chunks.append(_string_columns.join(filenames, 'file name'))
      self._labels.extend([label] * len(filenames))

  def add_member(self, label: int, synset: str, text: str, member: Any) -> None:
    """One archive member (acquire.TarMember-like, or a ZipMember), its file name its
    member name."""
    self._check_open()
    if self._directories:
      raise ValueError('a split\'s entries are all files or all archive members')
    self._add_class(label, synset, text, None)
    _string_columns.refuse_nul(member.name)
    self._chunks.append(member.name)
    self._labels.append(label)
    if self._objects is not None:
      self._objects.append(member)
      return
    if self._members is None and _is_member(member):
      self._members = [type(member), member.archive_path,
                       tuple(array.array('q') for _ in member[1:-2]), {}]
    members = self._members
    if (members is not None and type(member) is members[0] and
        member.archive_path == members[1] and
        members[3].setdefault(label, member[-1]) == member[-1]):
      for column, value in zip(members[2], member[1:-2]):
        column.append(value)
      return
    # Not one archive's members (one last field per label): keep them as they are.
    self._objects = [] if members is None else _Members(*members).members(
        '\0'.join(self._chunks[:-1]).split('\0'), self._labels)
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

