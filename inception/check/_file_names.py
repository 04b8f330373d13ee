"""A shard's file names in one compact value, and the duplicates among all of them.

ImageNet's 1,331,167 names as Python strings, in lists and in a dict for duplicate
detection, cost the check's main process ~250 MB; `PackedNames` holds a shard's names
as their UTF-8 bytes back to back plus each one's end offset (~26 bytes a name), which
is also what crosses the process boundary, and `find_duplicates` sorts one 64-bit hash
per name (numpy) and compares names only where hashes meet.
"""

import array
import collections
import itertools
from typing import Dict, List, NamedTuple, Sequence, Tuple

import numpy as np

Position = Tuple[int, int]  # (shard number in the sequence given, record index)


class PackedNames(NamedTuple):
  """Names as UTF-8 bytes back to back (`blob`), and each one's end in it (`ends`)."""
  blob: bytes = b''
  ends: array.array = array.array('I')

  def __len__(self) -> int:
    return len(self.ends)

  def name(self, index: int) -> str:
    start = self.ends[index - 1] if index else 0
    return self.blob[start:self.ends[index]].decode('utf-8')

  def names(self) -> List[str]:
    return [self.name(i) for i in range(len(self.ends))]


def pack_names(names: Sequence[str]) -> PackedNames:
  encoded = [name.encode('utf-8') for name in names]
  return PackedNames(b''.join(encoded),
                     array.array('I', itertools.accumulate(map(len, encoded))))


def _encoded_names(packed: PackedNames) -> List[bytes]:
  blob, ends = packed.blob, packed.ends
  return [blob[start:end] for start, end in zip(itertools.chain((0,), ends), ends)]


def find_duplicates(shards: Sequence[PackedNames]) -> List[Tuple[str, List[Position]]]:
  """Each non-empty name that appears more than once, with every position of it.

  Names come in the order of their second appearance; positions in shard order.
  """
  total = sum(len(packed) for packed in shards)
  hashes = np.empty(total, dtype=np.int64)
  positions = np.empty(total, dtype=np.int64)  # shard << 32 | record
  kept = 0
  for number, packed in enumerate(shards):
    encoded = _encoded_names(packed)
    records = np.flatnonzero(np.fromiter(map(len, encoded), dtype=np.int64,
                                         count=len(encoded)))  # '' is no name
    count = len(records)
    hashes[kept:kept + count] = np.fromiter((hash(encoded[i]) for i in records),
                                            dtype=np.int64, count=count)
    positions[kept:kept + count] = (number << 32) | records
    kept += count
  hashes, positions = hashes[:kept], positions[:kept]
  order = np.argsort(hashes, kind='stable')
  sorted_hashes = hashes[order]
  repeated = np.flatnonzero(sorted_hashes[1:] == sorted_hashes[:-1])
  candidates = np.unique(np.concatenate([order[repeated], order[repeated + 1]]))
  by_name: Dict[str, List[Position]] = collections.defaultdict(list)
  for position in sorted(int(p) for p in positions[candidates]):
    shard, record = position >> 32, position & 0xFFFFFFFF
    by_name[shards[shard].name(record)].append((shard, record))
  duplicates = [(name, where) for name, where in by_name.items() if len(where) > 1]
  return sorted(duplicates, key=lambda item: item[1][1])
