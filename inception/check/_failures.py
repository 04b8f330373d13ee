"""What a check finds wrong: the failure kinds, `Failure`, and one-line messages.

Every check of inception.check reports a `Failure` of one of the kinds below (the
report counts them by kind); `first_items` and `first_line` keep a message to one line
however many names or lines it would cite.
"""

import dataclasses
from typing import Sequence

# Failure kinds (the module docstring of inception.check says what each one checks).
FRAMING = 'framing'
SHARD_NAMES = 'shard_names'
COUNT = 'count'
CLASS_COUNT = 'class_count'
SCHEMA = 'schema'
LABEL = 'label'
BOX = 'box'
IMAGE = 'image'
DUPLICATE = 'duplicate'
INDEX = 'index'
MANIFEST = 'manifest'


@dataclasses.dataclass(frozen=True)
class Failure:
  """One thing wrong: its kind (see the constants above), where, and what."""
  kind: str
  location: str
  message: str

  def __str__(self) -> str:
    return '%s: %s [%s]' % (self.location, self.message, self.kind)


def first_items(items: Sequence[str], limit: int = 5) -> str:
  """The first `limit` items, comma-separated, and how many more there are."""
  shown = ', '.join(items[:limit])
  return shown + (' and %d more' % (len(items) - limit) if len(items) > limit else '')


def first_line(text: str) -> str:
  """The first line of an error message ('' for none)."""
  return (text or '').strip().splitlines()[0] if (text or '').strip() else ''
