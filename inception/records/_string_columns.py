"""Many strings as one: '\\0'-joined, with where each starts.

The shard tasks' columns (file names, paths) and the box table's names are held this
way: one string instead of an object per image, cut out by position on access.
"""

import array
from typing import Sequence


def join(strings: Sequence[str], what: str) -> str:
  """The strings '\\0'-joined. Raises ValueError if one holds a NUL."""
  joined = '\0'.join(strings)
  if joined.count('\0') != max(0, len(strings) - 1):
    refuse_nul(next(s for s in strings if '\0' in s), what)
  return joined


def refuse_nul(string: str, what: str = 'file name') -> None:
  """Raises ValueError if `string` holds a NUL (it could not be joined)."""
  if '\0' in string:
    raise ValueError('a %s holds a NUL character: %r' % (what, string))


def starts(joined: str, count: int) -> array.array:
  """Where each of the `count` '\\0'-separated strings of `joined` starts, and one past
  the end (count + 1 numbers)."""
  positions = array.array('q', [0])
  find = joined.find
  position = -1
  for _ in range(count - 1):
    position = find('\0', position + 1)
    positions.append(position + 1)
  positions.append(len(joined) + 1)
  return positions
