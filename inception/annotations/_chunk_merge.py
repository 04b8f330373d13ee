"""The chunks' results merged: the run's counts (`BoxStats`) and the CSV in its order.

The CSV is sorted by image name, then by source and file name; the first XML of an
image is kept, a later one is a bad file (DUPLICATE).
"""

import bisect
import collections
import dataclasses
from typing import IO, Dict, List, NamedTuple, Sequence, Tuple

from inception.annotations import _box_rules
from inception.annotations import _xml_chunks


@dataclasses.dataclass
class BoxStats:
  """Counts of one run; `bad_files` lists every XML that could not be used.

  `boxes_swapped` and `boxes_clamped` count boxes written after that fix; a dropped
  box counts once, under its first reason, in `boxes_dropped`.
  """
  files_read: int = 0
  images_with_boxes: int = 0
  boxes_written: int = 0
  boxes_swapped: int = 0
  boxes_clamped: int = 0
  boxes_dropped: Dict[str, int] = dataclasses.field(default_factory=dict)
  files_outside_synsets: int = 0
  bad_files: List[_xml_chunks.BadFile] = dataclasses.field(default_factory=list)

  def bad_file_counts(self) -> Dict[str, int]:
    """Number of bad files by reason."""
    counts = collections.Counter(bad.reason for bad in self.bad_files)
    return dict(sorted(counts.items()))

  def summary_lines(self, max_bad_files: int = 20) -> List[str]:
    """Human-readable counts, then the names of the bad files (up to a limit)."""
    bad = ', '.join('%s %d' % item for item in self.bad_file_counts().items())
    dropped = ', '.join('%s %d' % item for item in sorted(self.boxes_dropped.items()))
    lines = [
        'XML files read: %d (bad: %d%s; outside the synsets: %d)' %
        (self.files_read, len(self.bad_files), ' = ' + bad if bad else '',
         self.files_outside_synsets),
        'Boxes written: %d for %d images (inverted min/max swapped: %d, clamped to '
        'the image: %d)' % (self.boxes_written, self.images_with_boxes,
                            self.boxes_swapped, self.boxes_clamped),
        'Boxes dropped: %d%s' % (sum(self.boxes_dropped.values()),
                                 ' (' + dropped + ')' if dropped else ''),
    ]
    for bad in self.bad_files[:max_bad_files]:
      lines.append('  bad file (%s) %s' % (bad.reason, bad.message))
    if len(self.bad_files) > max_bad_files:
      lines.append('  ... and %d more bad files' % (len(self.bad_files) - max_bad_files))
    return lines


class Merged(NamedTuple):
  """Where the kept files are: indices into the files of all chunks, in CSV order."""
  order: List[int]  # -1 for a file left out (a second XML for an image)
  starts: List[int]  # the index of each chunk's first file


def merge_results(results: Sequence[_xml_chunks.ChunkResult], stats: BoxStats,
                  strict: bool) -> Merged:
  """Sorts the files by image name, then by source and name; keeps the first XML of
  an image (a later one is a bad file); adds the counts of the kept files to `stats`.

  Per file, only its image name and its place in the order are Python objects here.
  """
  image_names: List[str] = []
  starts = []
  for result in results:
    starts.append(len(image_names))
    if result.num_files():
      image_names.extend(result.image_names.split(_xml_chunks.SEPARATOR))
  order = sorted(range(len(image_names)), key=image_names.__getitem__)
  width = len(_box_rules.COUNT_KEYS)
  totals = [sum(sum(result.counts[k::width]) for result in results)
            for k in range(width)]
  with_boxes = sum(_files_with_lines(result) for result in results)
  names: Dict[int, List[str]] = {}  # the chunks' file names, split when needed

  def source_name(index: int) -> str:
    chunk, position = _locate(index, starts)
    if chunk not in names:
      names[chunk] = results[chunk].names.split(_xml_chunks.SEPARATOR)
    return results[chunk].prefix + names[chunk][position]

  def sort_key(index: int) -> Tuple[int, str]:
    return results[_locate(index, starts)[0]].source_index, source_name(index)

  first = 0
  while first < len(order):
    end = first + 1
    while end < len(order) and image_names[order[end]] == image_names[order[first]]:
      end += 1
    if end - first > 1:  # Rare: several XMLs for one image; the first is kept.
      group = sorted(order[first:end], key=sort_key)
      order[first:end] = group
      for position in range(first + 1, end):
        index = order[position]
        message = '%s: a second XML for %s (the first is %s, which is kept)' % (
            source_name(index), image_names[index], source_name(group[0]))
        if strict:
          raise ValueError(message)
        stats.bad_files.append(_xml_chunks.BadFile(source_name(index),
                                                   _box_rules.DUPLICATE, message))
        chunk, within = _locate(index, starts)
        counts = results[chunk].counts[within * width:(within + 1) * width]
        totals = [total - count for total, count in zip(totals, counts)]
        begin, stop = _csv_span(results[chunk], within)
        with_boxes -= begin < stop
        order[position] = -1
    first = end
  counts = dict(zip(_box_rules.COUNT_KEYS, totals))
  stats.images_with_boxes = with_boxes
  stats.boxes_written = counts['written']
  stats.boxes_swapped = counts['swapped']
  stats.boxes_clamped = counts['clamped']
  stats.files_outside_synsets = counts['outside synsets']
  stats.boxes_dropped = {reason: counts[reason]
                         for reason in (_box_rules.OTHER_SYNSET,
                                        _box_rules.OUTSIDE_IMAGE, _box_rules.ZERO_AREA)
                         if counts[reason]}
  return Merged(order, starts)


def _locate(index: int, starts: Sequence[int]) -> Tuple[int, int]:
  """(chunk, position in it) of the file `index` among all chunks' files."""
  chunk = bisect.bisect_right(starts, index) - 1
  return chunk, index - starts[chunk]


def _csv_span(result: _xml_chunks.ChunkResult, position: int) -> Tuple[int, int]:
  """Where the CSV lines of a chunk's file `position` are in the chunk's `csv`."""
  return (result.csv_ends[position - 1] if position else 0,
          result.csv_ends[position])


def _files_with_lines(result: _xml_chunks.ChunkResult) -> int:
  previous = with_lines = 0
  for end in result.csv_ends:
    with_lines += end > previous
    previous = end
  return with_lines


def write_csv(merged: Merged, results: Sequence[_xml_chunks.ChunkResult], f: IO[str],
              batch: int = 4096) -> None:
  """Writes the kept files' CSV lines in the merged order."""
  pieces = []
  for index in merged.order:
    if index < 0:
      continue
    chunk, position = _locate(index, merged.starts)
    result = results[chunk]
    begin, end = _csv_span(result, position)
    if begin < end:
      pieces.append(result.csv[begin:end])
      if len(pieces) == batch:
        f.write(''.join(pieces))
        pieces = []
  f.write(''.join(pieces))
