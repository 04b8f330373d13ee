"""The work of the pool: one chunk of XMLs → its CSV text, counts and bad files.

Per file the work is small (~20 µs of parsing), so nothing per file crosses a process
boundary or stays in the main process as a Python object: a chunk travels as a few
flat values (names joined by NUL, which no path or member name holds; the XMLs' bytes
end to end), and so do its results (the CSV text, arrays of offsets and counts). Until
the merge, the main process holds ~150 bytes per file.

The workers import this module by name (`process_chunk`): it stays light, without
TensorFlow.
"""

import array
import gc
from typing import List, NamedTuple, Optional

from inception.annotations import _box_rules

SEPARATOR = '\0'


class BadFile(NamedTuple):
  """An XML not used: its name (path, or `archive:member`), why, and the message."""
  name: str
  reason: str  # MALFORMED, NO_SIZE, UNREADABLE or DUPLICATE
  message: str


class Chunk(NamedTuple):
  """One task: up to _xml_sources.CHUNK_FILES XMLs of one source."""
  number: int  # its place among all chunks: results are put back in this order
  source_index: int
  names: str  # the files' paths, or member names in a tarball, joined by SEPARATOR
  prefix: str  # errors name a file prefix + name: '' or '<tarball>:'
  data: Optional[bytes]  # the XMLs end to end; None: the worker reads the local files
  ends: Optional[array.array]  # where each XML ends in `data`

  def num_files(self) -> int:
    return self.names.count(SEPARATOR) + 1


class ChunkResult(NamedTuple):
  """What one chunk gave, for its usable files in chunk order, and its bad files."""
  number: int
  source_index: int
  prefix: str
  image_names: str  # joined by SEPARATOR
  names: str  # the files' paths or member names, joined by SEPARATOR
  csv: str  # their CSV lines, each file's after the one before
  csv_ends: array.array  # where each file's lines end in `csv`
  counts: array.array  # len(_box_rules.COUNT_KEYS) per file, in that order
  bad_files: List[BadFile]

  def num_files(self) -> int:
    return len(self.csv_ends)


def process_chunk(rules: _box_rules.BoxRules, chunk: Chunk,
                  report_progress=None) -> ChunkResult:
  """The runner's work: parses one chunk's XMLs and selects their boxes."""
  del report_progress  # progress is counted per chunk result
  # A worker makes no reference cycles (see _bounding_boxes._garbage_collection_paused).
  gc.disable()
  image_names, names, csv, bad_files = [], [], [], []
  csv_ends, counts = array.array('Q'), array.array('I')
  csv_length = start = 0
  for index, name in enumerate(chunk.names.split(SEPARATOR)):
    source = chunk.prefix + name
    try:
      if chunk.data is None:
        with open(name, 'rb') as f:
          data = f.read()
      else:
        end = chunk.ends[index]
        data, start = chunk.data[start:end], end
      annotation = _box_rules.parse_annotation(data, name, source)
    except _box_rules.AnnotationError as e:
      bad_files.append(BadFile(source, e.reason, str(e)))
      continue
    except OSError as e:
      bad_files.append(BadFile(source, _box_rules.UNREADABLE,
                               '%s: cannot be read (%s)' % (source, e)))
      continue
    lines, file_counts = _box_rules.box_lines(annotation, rules)
    if lines:
      text = '\n'.join(lines) + '\n'
      csv.append(text)
      csv_length += len(text)
    csv_ends.append(csv_length)
    counts.extend(file_counts)
    image_names.append(annotation.image_name)
    names.append(name)
  return ChunkResult(chunk.number, chunk.source_index, chunk.prefix,
                     SEPARATOR.join(image_names),
                     SEPARATOR.join(names), ''.join(csv), csv_ends, counts,
                     bad_files)


def describe_chunk(chunk: Chunk) -> str:
  """The runner's name for a chunk in errors: its first and last file."""
  names = chunk.names.split(SEPARATOR)
  return 'parsing %s%s … %s%s' % (chunk.prefix, names[0], chunk.prefix, names[-1])
