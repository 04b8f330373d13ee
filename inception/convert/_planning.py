"""Planning a split: sort, the original's seeded shuffle, shard boundaries, boxes.

`plan_split` sorts the entries by (label, filename), shuffles them with
`random.seed(12345)` + `random.shuffle` of the index list as the original did (both on
index arrays over the entries' columns, records.ShardEntries), and cuts them into
shards whose boundaries depend only on (number of images, number of shards). A plan is
a list of picklable `records.ShardTask`s, each with its slice of the columns and of
the boxes (`match_boxes` finds each image's), and the fingerprint of it all.
"""

import array
import collections
import os
import random
from typing import List, Mapping, NamedTuple, Optional, Sequence, Tuple

from absl import logging

from inception import core
from inception import records
from inception.convert import _options

ImageEntry = records.ImageEntry

SHUFFLE_SEED = 12345


class SplitPlan(NamedTuple):
  """The shards of one split, and the fingerprint of what they will hold."""
  split: str
  num_shards: int
  output_directory: str
  record_format: str
  tasks: Tuple[records.ShardTask, ...]
  fingerprint: str
  num_images: int
  num_with_boxes: int = 0  # images that got boxes


def entry_labels(entries: Sequence[ImageEntry]) -> Sequence[int]:
  """Each entry's label, from the columns when the entries are records.ShardEntries."""
  return (entries.labels if isinstance(entries, records.ShardEntries) else
          [e.label for e in entries])


def shuffled_index(count: int, seed: int = SHUFFLE_SEED) -> array.array:
  """The original's shuffle of the index list (random.seed(seed), random.shuffle),
  shuffled in an array: the same permutation, 8 bytes an image."""
  index = array.array('q', range(count))
  state = random.getstate()
  try:
    random.seed(seed)
    random.shuffle(index)
  finally:
    random.setstate(state)
  return index


def shuffled(entries: Sequence[ImageEntry], seed: int = SHUFFLE_SEED) -> List[ImageEntry]:
  """The original's shuffle: random.seed(seed), random.shuffle of the index list."""
  return [entries[i] for i in shuffled_index(len(entries), seed)]


def plan_split(split: str, entries: Sequence[ImageEntry], num_shards: int,
               output_directory: str,
               boxes: Optional[Mapping[str, Sequence[Sequence[float]]]] = None,
               options: Optional[_options.ConvertOptions] = None,
               record_format: str = records.IMAGENET_FORMAT) -> SplitPlan:
  """Sorts, shuffles and shards `entries` (in any order) into the split's tasks.

  The entries (best a records.ShardEntries, as the finders give) are sorted and
  shuffled as index arrays, and each shard's entries and boxes are cut from the
  columns (records.ShardEntries.take, records.BoxTable.shard_boxes).

  Args:
    split: 'train', 'validation', ...; the shards' name prefix.
    entries: the split's images.
    num_shards: how many shards.
    output_directory: where the shards go (local, or s3://, gs://, az://...).
    boxes: {image filename: boxes} (a records.BoxTable, as the box CSVs are read, or
      any mapping to (xmin, ymin, xmax, ymax) sequences), matched to the images by
      `match_boxes`; images not in it get no box.
    options: conversion options (index, validation, skipping); None: the defaults.
    record_format: records.IMAGENET_FORMAT or GENERIC_FORMAT.
  """
  options = options or _options.ConvertOptions()
  if record_format not in records.RECORD_FORMATS:
    raise ValueError('unknown record format %r' % record_format)
  if not entries:
    raise _options.ConversionError('%s: no images to convert' % split)
  table = records.ShardEntries.from_entries(entries)
  box_table = records.BoxTable.from_mapping(boxes or {})
  rows = match_boxes(table, box_table)
  order = table.sorted_order()
  order = array.array('q', [order[i] for i in shuffled_index(len(order))])
  ranges = records.shard_ranges(len(order), num_shards)
  empty = sum(1 for start, end in ranges if start == end)
  if empty:
    logging.warning('%s: %d shards for %d images: %d shards will be empty (written all '
                    'the same, so that every shard name exists)', split, num_shards,
                    len(order), empty)
  tasks = []
  for index, (start, end) in enumerate(ranges):
    name = records.shard_name(split, index, num_shards)
    shard = order[start:end]
    tasks.append(records.ShardTask(
        split=split, index=index, num_shards=num_shards,
        output_path=os.path.join(output_directory, name),
        entries=table.take(shard),
        boxes=box_table.shard_boxes([rows[i] for i in shard]),
        record_format=record_format,
        index_path=(core.index_path(output_directory, name)
                    if options.write_index else None),
        validate_images=options.validate_images,
        skip_bad_images=options.skip_bad_images))
  fingerprint = records.plan_fingerprint(record_format, num_shards, tasks)
  return SplitPlan(split, num_shards, output_directory, record_format, tuple(tasks),
                   fingerprint, len(order), sum(1 for row in rows if row >= 0))


def match_boxes(entries: Sequence[ImageEntry],
                boxes: Mapping[str, Sequence[Sequence[float]]]) -> array.array:
  """Each entry's row in `boxes` (a records.BoxTable, or a mapping made one), or -1:
  by the exact file name, else by the stem.

  The box CSVs name each image as its XML does, `<stem>.JPEG`; an image whose
  extension was changed (`n01440764_10026.jpg`) keeps its boxes. The exact name wins:
  with `x.JPEG` and `x.jpg` both there, only `x.JPEG` gets the boxes of `x.JPEG`; two
  images of one stem without the exact name (`x.jpg`, `x.png`) get none, and a
  warning names them.
  """
  table = records.ShardEntries.from_entries(entries)
  boxes = records.BoxTable.from_mapping(boxes)
  if not len(boxes):
    return array.array('q', [-1]) * len(table)
  find = boxes.index
  rows = array.array('q', [find(name) for name in table.filenames()])
  used = bytearray(len(boxes))
  for row in rows:
    if row >= 0:
      used[row] = 1
  if used.count(0) == 0:
    return rows
  unmatched = {os.path.splitext(key)[0]: row
               for row, key in enumerate(boxes.names()) if not used[row]}
  by_stem = collections.defaultdict(dict)  # stem: {image name: [entry index]}
  for index, (name, row) in enumerate(zip(table.filenames(), rows)):
    if row < 0:
      stem = os.path.splitext(name)[0]
      if stem in unmatched:
        by_stem[stem].setdefault(name, []).append(index)
  for stem, found in sorted(by_stem.items()):
    row = unmatched[stem]
    if len(found) == 1:
      for index in next(iter(found.values())):
        rows[index] = row
    else:
      logging.warning('%s has boxes, but %d images have its stem (%s): neither gets '
                      'them', boxes.name(row), len(found), ', '.join(sorted(found)))
  return rows
