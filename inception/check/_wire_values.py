"""The values of a well-formed record read straight from its bytes, for the check.

Parsing a record with protobuf's upb is quick (~1.5 us), but reading its 15 features
back through the Python objects upb builds (the map, a Feature, its oneof, its value
list per key) was most of the check's time per record. Most records are written in
one layout: every feature once, a scalar feature as a one-value list, the numbers of
a list packed (our writer; TensorFlow's `SerializeToString`, whatever the order of
its map entries). `read_values` walks that layout in the record's bytes and returns
each feature's value as `_record_checks.check_example` reads it from the parsed
message, or None for anything else: a key missing, repeated or unexpected, a value
of the wrong kind or count, an unpacked list, an unknown field, a text that is not
UTF-8, a record cut short. Then the check parses the record with upb and finds the
fault (`_record_checks`): every problem and message comes from that one path, and a
record read here is exactly what upb would have parsed (same keys, same values:
tests/check/wire_values_test.py compares the two on records from TensorFlow, from
our writer, and damaged byte by byte).

Most of a record's map entries recur from record to record, byte for byte: the
constants, a class's label, synset and text, the common sizes, the empty box lists.
A `Layout` remembers the entries it has read (up to `_MAX_KNOWN_ENTRIES`, but not the
image, the file name or box coordinates, which hardly recur, but empty box lists), so such an entry costs
a dictionary lookup of its bytes.

The wire format (tensorflow/core/example/{example,feature}.proto): Example{1:
Features}; Features{1: repeated map entry}; entry{1: key, 2: Feature}; Feature{1:
BytesList | 2: FloatList | 3: Int64List}; XList{1: values, numbers packed}.
"""

import functools
import struct
from typing import Any, Dict, FrozenSet, Optional, Sequence, Set, Tuple

# How a feature's value is read: one bytes value, one UTF-8 text, one int64, or a list
# of int64s or of floats.
BYTES, TEXT, INT, INTS, FLOATS = range(5)
_KIND_TAGS = {'bytes_list': 0x0A, 'float_list': 0x12, 'int64_list': 0x1A}
_FIELD_1 = 0x0A  # field 1, length-delimited: Example.features, an entry, its key, ...
_FEATURE_TAG = 0x12  # an entry's value: field 2, length-delimited
_INT64_SIGN = 1 << 63
_UINT64_LIMIT = 1 << 64
_MAX_REMEMBERED = 8192  # entries, and runs of entries

Spec = Tuple[str, int, int]  # key, its Feature's kind tag, how its value is read
Item = Tuple[str, Any]  # a feature's key and value
Run = Dict[str, Any]  # the values of entries back to back


class Layout(object):
  """What one schema's records hold, and the entries and runs of them already read.

  Args:
    features: each key's kind ('bytes_list', 'float_list' or 'int64_list').
    list_keys: the keys read as lists; the others hold one value.
    raw_keys: the bytes keys read as bytes (the first is the image: see `_read`); the
      others as UTF-8 text.
    varying_keys: keys whose entries hardly recur (not remembered, but empty lists).
  """

  def __init__(self, features: Dict[str, str], list_keys: FrozenSet[str],
               raw_keys: Sequence[str], varying_keys: FrozenSet[str]):
    self.specs: Dict[bytes, Spec] = {}  # the key field's bytes (tag, length, key)
    for key, kind in features.items():
      if kind == 'bytes_list':
        read_as = BYTES if key in raw_keys else TEXT
      elif kind == 'int64_list':
        read_as = INTS if key in list_keys else INT
      else:
        read_as = FLOATS
      self.specs[_key_field(key)] = (key, _KIND_TAGS[kind], read_as)
    self.image_key_field = _key_field(raw_keys[0]) + bytes((_FEATURE_TAG,))
    self.varying_keys = varying_keys
    self.entries: Dict[bytes, Item] = {}  # a recurring entry's bytes: key and value
    # Runs of recurring entries back to back: those before the image entry (heads),
    # and those that end a record (tails), with the lengths of the tails.
    self.heads: Dict[bytes, Run] = {}
    self.tails: Dict[bytes, Run] = {}
    self.tail_lengths: Set[int] = set()

  def remember_run(self, runs: Dict[bytes, Run], run: bytes, values: Run,
                   count: int) -> None:
    """Remembers a run of `count` entries (two at least, each key once)."""
    if count > 1 and len(values) == count and len(runs) < _MAX_REMEMBERED:
      runs[run] = values
      if runs is self.tails:
        self.tail_lengths.add(len(run))


def _key_field(key: str) -> bytes:
  encoded = key.encode('utf-8')
  if len(encoded) >= 0x80:
    raise ValueError('key %r is too long for a one-byte length' % key)
  return bytes((_FIELD_1, len(encoded))) + encoded


def read_values(data: bytes, layout: Layout) -> Optional[Dict[str, Any]]:
  """{key: value} of a record in the layout above, or None (see the module docstring).

  The values are shared with other records (lists included): read them only.
  """
  try:
    return _read(data, layout)
  except (IndexError, UnicodeDecodeError):
    return None


def _read(data: bytes, layout: Layout) -> Optional[Dict[str, Any]]:
  """Walks the map entries one by one, but a run of recurring entries already read
  is taken whole: the run before the image entry (its key field found by search),
  and the run that ends the record. Where a run is taken matters not: bytes equal to
  a run read before are that run's entries back to back, wherever they start."""
  # pylint: disable=too-many-branches,too-many-statements
  size = len(data)
  if data[0] != _FIELD_1:
    return None
  length, first = _varint(data, 1)
  if first + length != size:
    return None
  values: Dict[str, Any] = {}
  count = 0  # entries read: a key read twice leaves fewer values
  position = first
  head_end = _entry_before(data, data.find(layout.image_key_field, first), first)
  if head_end > first:
    head = layout.heads.get(data[first:head_end])
    if head is not None:
      values.update(head)
      count = len(head)
      position = head_end
  entries, tail_lengths = layout.entries, layout.tail_lengths
  run_start, run, run_count = position, {}, 0  # the recurring entries walked
  while position < size:
    if position == run_start and size - position in tail_lengths:
      tail = layout.tails.get(data[position:])
      if tail is not None:
        values.update(tail)
        count += len(tail)
        run_count = 0
        break
    if data[position] != _FIELD_1:  # (a remembered entry holds its tag too)
      return None
    length = data[position + 1]
    if length < 0x80:
      end = position + 2 + length
      entry = data[position:end]
      item = entries.get(entry)
      if item is not None:  # a recurring entry read before
        key, value = item
        run[key] = values[key] = value
        run_count += 1
        count += 1
        position = end
        continue
      item = _entry(data, position + 2, end, layout.specs)
    else:
      entry = None
      length, start = _varint(data, position + 1)
      end = start + length
      item = _entry(data, start, end, layout.specs)
    if item is None:
      return None
    key, value = item
    if key not in layout.varying_keys or value == []:
      if entry is not None and len(entries) < _MAX_REMEMBERED:
        entries[entry] = item
      run[key] = value
      run_count += 1
    else:
      if run_start == first:
        layout.remember_run(layout.heads, data[first:position], run, run_count)
      run_start, run, run_count = end, {}, 0
    values[key] = value
    count += 1
    position = end
  if run_start > first:
    layout.remember_run(layout.tails, data[run_start:], run, run_count)
  return values if count == len(values) == len(layout.specs) else None


def _entry_before(data: bytes, key_at: int, first: int) -> int:
  """Where the map entry whose key field is at `key_at` starts, it seems (a tag, then
  a length of 1 to 4 bytes), or -1."""
  if key_at < first + 2 or data[key_at - 1] >= 0x80:
    return -1
  start = key_at - 2
  while start > first and data[start] >= 0x80 and key_at - start <= 4:
    start -= 1
  return start if data[start] == _FIELD_1 else -1


def _entry(data: bytes, position: int, end: int,
           specs: Dict[bytes, Spec]) -> Optional[Item]:
  """(key, value) of the map entry whose content runs from `position` to `end`."""
  # pylint: disable=too-many-return-statements
  if end > len(data):
    return None
  key_end = position + 2 + data[position + 1]
  spec = specs.get(data[position:key_end])
  if spec is None or data[key_end] != _FEATURE_TAG:
    return None
  key, kind_tag, read_as = spec
  position = _length_to(data, key_end + 1, end)  # the Feature
  if position < 0 or data[position] != kind_tag:
    return None
  position = _length_to(data, position + 1, end)  # its list
  if position < 0:
    return None
  if position == end:  # an empty list
    return (key, []) if read_as >= INTS else None
  if data[position] != _FIELD_1:
    return None
  position = _length_to(data, position + 1, end)  # the value, or the packed numbers
  if position < 0:
    return None
  length = end - position
  if read_as == BYTES:
    return key, data[position:end]
  if read_as == TEXT:
    return key, data[position:end].decode('utf-8')
  if read_as == FLOATS:
    return (key, list(_floats(length // 4).unpack_from(data, position))
            ) if length % 4 == 0 else None
  numbers = _int64s(data, position, end)
  if numbers is None or (read_as == INT and len(numbers) != 1):
    return None
  return key, numbers[0] if read_as == INT else numbers


def _length_to(data: bytes, position: int, end: int) -> int:
  """Where the field whose length (a varint) is at `position` starts, if it ends
  exactly at `end`; else -1."""
  length = data[position]
  if length < 0x80:  # one byte, as most are
    position += 1
  else:
    length, position = _varint(data, position)
  return position if position + length == end else -1


def _varint(data: bytes, position: int) -> Tuple[int, int]:
  """(value, position after it) of the varint at `position`; one of more than 10
  bytes reads as a value beyond 64 bits."""
  value = shift = 0
  while True:
    byte = data[position]
    position += 1
    value |= (byte & 0x7F) << shift
    if byte < 0x80:
      return value, position
    shift += 7
    if shift >= 70:
      return _UINT64_LIMIT, position


def _int64s(data: bytes, position: int, end: int) -> Optional[list]:
  """The packed int64 values from `position` to `end`, as upb reads them (two's
  complement), or None for a varint that runs past `end` or beyond 64 bits."""
  values = []
  while position < end:
    value, position = _varint(data, position)
    if value >= _UINT64_LIMIT or position > end:
      return None
    values.append(value - _UINT64_LIMIT if value >= _INT64_SIGN else value)
  return values


@functools.lru_cache(maxsize=64)
def _floats(count: int) -> struct.Struct:
  """The layout of `count` packed little-endian floats."""
  return struct.Struct('<%df' % count)
