"""Bounding boxes, packed: a split's `BoxTable` and each shard's `ShardBoxes`.

The converter reads a split's boxes into one BoxTable (names, coordinates and a hash
index in a few arrays) and cuts each shard task's ShardBoxes from it; neither holds
an object per image or box until one is looked up.
"""

import array
import bisect
import collections.abc
from typing import Iterator, Mapping, Sequence, Tuple

from inception.records import _string_columns

Boxes = Tuple[Tuple[float, float, float, float], ...]  # (xmin, ymin, xmax, ymax) each


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
    _string_columns.refuse_nul(name)
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
      self._name_starts = _string_columns.starts(self._names, self._count)
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

