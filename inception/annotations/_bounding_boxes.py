"""Bounding boxes: ImageNet annotation XMLs → the CSV (docs/FORMAT.md, "Bounding boxes"), and back.

CSV line per box: `<image file name>,<xmin>,<ymin>,<xmax>,<ymax>`, coordinates relative
to the image size in [0, 1], 4 decimals, e.g.
`n00007846_64193.JPEG,0.0060,0.0886,0.8040,0.9990`.

The rules of the original `process_bounding_boxes.py`, kept:
- coordinates are divided by the XML's `<size>` width and height;
- a box with min > max on an axis has the two swapped (a fix, counted, not a drop);
- coordinates are clamped to [0, 1];
- a box with xmin >= xmax or ymin >= ymax after clamping is dropped (checked on the
  unrounded values, as the original did);
- a box whose `<name>` is another synset than the image's is dropped. With a list of
  challenge synsets, only a name in that list counts as "another synset" (the train XMLs
  of some dog classes name a breed in words, e.g. `Scottish_deerhound`; such boxes are
  kept, as in the original). Without the list, any other name shaped like a WordNet id
  counts;
- the image name is the XML's basename with `.JPEG` (the XML's `<filename>` is noisy).

The image's synset is, in order: the entry for the image in `image_synsets` (validation
images, from the validation label file); the `nXXXXXXXX_` prefix of the file name (train
images); else, for a validation XML given without the label file, the synset most of its
boxes name (ties go to the one named first), so boxes that agree with each other are
kept and a stray box naming another synset is dropped.

Beyond the original: validation (v3) XMLs are handled too, sources may be directory
trees or tarballs read as a stream, the work is spread over processes, and a malformed
XML or one without a usable size is counted and reported by name instead of crashing
the run (unless strict).
"""

import array
import bisect
import collections
import contextlib
import dataclasses
import gc
import gzip
import os
import re
import tarfile
from typing import (IO, Callable, Dict, FrozenSet, Iterable, Iterator, List, Mapping,
                    NamedTuple, Optional, Sequence, Tuple, Union)
import xml.etree.ElementTree as ElementTree
import zlib

from inception import acquire
from inception import core

_WNID = re.compile(r'^n\d{8}$')
_WNID_PREFIX = re.compile(r'^(n\d{8})_')
_CHUNK_FILES = 1000  # XMLs per task handed to a worker process.

# Reasons a whole file is not used (BoxStats.bad_files) and a box is dropped.
MALFORMED = 'malformed'
NO_SIZE = 'no size'
UNREADABLE = 'unreadable'
DUPLICATE = 'duplicate image name'
OTHER_SYNSET = 'other synset'
OUTSIDE_IMAGE = 'outside the image'
ZERO_AREA = 'zero area'


class Box(NamedTuple):
  """One box in relative coordinates, in the CSV's column order."""
  xmin: float
  ymin: float
  xmax: float
  ymax: float


class RawBox(NamedTuple):
  """One `<object>` of an XML: its `<name>` and pixel coordinates as written."""
  name: Optional[str]
  xmin: float
  ymin: float
  xmax: float
  ymax: float


class Annotation(NamedTuple):
  """What one XML says: the image it is for, the image size and its boxes."""
  image_name: str
  width: float
  height: float
  boxes: List[RawBox]


class AnnotationError(ValueError):
  """An XML that cannot be used; `reason` is MALFORMED or NO_SIZE."""

  def __init__(self, message: str, reason: str = MALFORMED):
    super().__init__(message)
    self.reason = reason


class BoxRules(NamedTuple):
  """What decides a box's fate beyond geometry (see the module docstring)."""
  synsets: Optional[FrozenSet[str]] = None
  image_synsets: Optional[Mapping[str, str]] = None


class BadFile(NamedTuple):
  """An XML not used: its name (path, or `archive:member`), why, and the message."""
  name: str
  reason: str  # MALFORMED, NO_SIZE, UNREADABLE or DUPLICATE
  message: str


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
  bad_files: List[BadFile] = dataclasses.field(default_factory=list)

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


# ---------------------------------------------------------------------------------------
# Pure functions: one XML, one box, one CSV line.


def image_name_for_xml(xml_path: str) -> str:
  """`.../n01440764_10026.xml` → `n01440764_10026.JPEG`."""
  return os.path.splitext(os.path.basename(xml_path))[0] + '.JPEG'


def synset_from_image_name(image_name: str) -> Optional[str]:
  """The wnid prefix of a train image name (`n01440764_10026.JPEG`), else None."""
  match = _WNID_PREFIX.match(image_name)
  return match.group(1) if match else None


def _number(parent: ElementTree.Element, tag: str) -> Optional[float]:
  """The number in `parent/<tag>`, None when missing or not a finite number."""
  text = parent.findtext(tag)
  try:
    value = float(text)
  except (TypeError, ValueError):
    return None
  return value if value - value == 0 else None  # rejects inf and nan


def parse_annotation(xml_bytes: bytes, xml_path: str,
                     source: Optional[str] = None) -> Annotation:
  """Parses one annotation XML.

  Args:
    xml_bytes: the file's content.
    xml_path: its path (or name inside an archive); gives the image name.
    source: how to name the file in errors (default `xml_path`).

  Returns:
    The Annotation, boxes in the XML's order.

  Raises:
    AnnotationError: not well-formed XML, no usable `<size>` (reason NO_SIZE), or an
      `<object>` without four numeric `<bndbox>` coordinates.
  """
  source = source or xml_path
  try:
    root = ElementTree.fromstring(xml_bytes)
  except ElementTree.ParseError as e:
    raise AnnotationError('%s: not well-formed XML (%s)' % (source, e)) from None
  size = root.find('size')
  width = _number(size, 'width') if size is not None else None
  height = _number(size, 'height') if size is not None else None
  if not width or not height or width < 0 or height < 0:
    raise AnnotationError(
        '%s: no positive <size><width> and <height> (width %r, height %r)' %
        (source, None if size is None else size.findtext('width'),
         None if size is None else size.findtext('height')), NO_SIZE)
  boxes = []
  for index, element in enumerate(root.findall('object'), 1):
    name = (element.findtext('name') or '').strip() or None
    bndbox = element.find('bndbox')
    if bndbox is None:
      raise AnnotationError('%s: <object> %d has no <bndbox>' % (source, index))
    coordinates = [_number(bndbox, tag) for tag in ('xmin', 'ymin', 'xmax', 'ymax')]
    if None in coordinates:
      raise AnnotationError(
          '%s: <object> %d: <bndbox> needs numeric xmin, ymin, xmax, ymax' %
          (source, index))
    boxes.append(RawBox(name, *coordinates))
  return Annotation(image_name_for_xml(xml_path), width, height, boxes)


def normalize_box(raw: RawBox, width: float,
                  height: float) -> Tuple[Box, bool, bool, Optional[str]]:
  """Applies the geometry rules (docs/FORMAT.md, "Bounding boxes") to one box.

  Returns:
    (box relative to the image, swapped: min and max were inverted on an axis,
     clamped: a coordinate lay outside [0, 1], drop reason or None).
  """
  xmin, xmax = raw.xmin / width, raw.xmax / width
  ymin, ymax = raw.ymin / height, raw.ymax / height
  swapped = xmin > xmax or ymin > ymax
  xmin, xmax = min(xmin, xmax), max(xmin, xmax)
  ymin, ymax = min(ymin, ymax), max(ymin, ymax)
  outside = xmax <= 0.0 or ymax <= 0.0 or xmin >= 1.0 or ymin >= 1.0
  clamped = min(xmin, ymin) < 0.0 or max(xmax, ymax) > 1.0
  box = Box(*(min(max(v, 0.0), 1.0) for v in (xmin, ymin, xmax, ymax)))
  reason = None
  if box.xmin >= box.xmax or box.ymin >= box.ymax:
    reason = OUTSIDE_IMAGE if outside else ZERO_AREA
  return box, swapped, clamped, reason


def image_synset(annotation: Annotation, rules: BoxRules = BoxRules()) -> Optional[str]:
  """The synset the image belongs to (see the module docstring for the order)."""
  if rules.image_synsets and annotation.image_name in rules.image_synsets:
    return rules.image_synsets[annotation.image_name]
  from_name = synset_from_image_name(annotation.image_name)
  if from_name:
    return from_name
  named = [box.name for box in annotation.boxes if box.name and _WNID.match(box.name)]
  if not named:
    return None
  counts = collections.Counter(named)
  return max(counts, key=lambda name: (counts[name], -named.index(name)))


def _names_other_synset(name: Optional[str], synset: Optional[str],
                        synsets: Optional[FrozenSet[str]]) -> bool:
  if not name or synset is None or name == synset:
    return False
  return name in synsets if synsets is not None else bool(_WNID.match(name))


def format_csv_line(image_name: str, box: Box) -> str:
  """`name,xmin,ymin,xmax,ymax` with 4 decimals, no newline."""
  return '%s,%.4f,%.4f,%.4f,%.4f' % (image_name, box.xmin, box.ymin, box.xmax, box.ymax)


def select_boxes(annotation: Annotation,
                 rules: BoxRules = BoxRules()) -> Tuple[List[str], collections.Counter]:
  """The CSV lines of one annotation and the counts of what happened to its boxes.

  Counter keys: 'written', 'swapped', 'clamped', 'outside synsets' (the whole file is
  skipped: the image's synset is not a challenge synset), and one per drop reason.
  """
  counts = collections.Counter()
  synset = image_synset(annotation, rules)
  known = (synset_from_image_name(annotation.image_name) is not None or
           bool(rules.image_synsets and annotation.image_name in rules.image_synsets))
  if rules.synsets is not None and known and synset not in rules.synsets:
    counts['outside synsets'] += 1
    return [], counts
  lines = []
  for raw in annotation.boxes:
    if _names_other_synset(raw.name, synset, rules.synsets):
      counts[OTHER_SYNSET] += 1
      continue
    box, swapped, clamped, reason = normalize_box(raw, annotation.width,
                                                  annotation.height)
    if reason:
      counts[reason] += 1
      continue
    counts['swapped'] += swapped
    counts['clamped'] += clamped
    counts['written'] += 1
    lines.append(format_csv_line(annotation.image_name, box))
  return lines, counts


def parse_csv_line(line: str, source: str = 'bounding box file',
                   line_number: int = 0) -> (str, Box):
  """Parses one CSV line into (image file name, Box)."""
  parts = line.strip().split(',')
  if len(parts) != 5:
    raise ValueError('%s line %d: expected "file,xmin,ymin,xmax,ymax", got %r' %
                     (source, line_number, line))
  try:
    box = Box(*(float(v) for v in parts[1:]))
  except ValueError:
    raise ValueError('%s line %d: coordinates are not numbers: %r' %
                     (source, line_number, line)) from None
  return parts[0], box


def read_boxes_csv(path: str) -> Dict[str, List[Box]]:
  """Reads a bounding-box CSV into {image file name: [Box, ...]} in file order."""
  boxes = collections.defaultdict(list)
  with core.open_file(path, 'r') as f:
    for line_number, line in enumerate(f, 1):
      if line.strip():
        filename, box = parse_csv_line(line, path, line_number)
        boxes[filename].append(box)
  return dict(boxes)


# ---------------------------------------------------------------------------------------
# Work on chunks of XMLs, in this process or in a worker process.
#
# Per file the work is small (~20 µs of parsing), so nothing per file crosses a
# process boundary or stays in the main process as a Python object: a chunk travels
# as a few flat values (names joined by NUL, which no path or member name holds; the
# XMLs' bytes end to end), and so do its results (the CSV text, arrays of offsets and
# counts). Until the merge, the main process holds ~150 bytes per file.

_SEPARATOR = '\0'

# select_boxes' counter keys, kept per file in this order.
_COUNT_KEYS = ('written', 'swapped', 'clamped', 'outside synsets', OTHER_SYNSET,
               OUTSIDE_IMAGE, ZERO_AREA)


class _Chunk(NamedTuple):
  """One task: up to _CHUNK_FILES XMLs of one source."""
  number: int  # its place among all chunks: results are put back in this order
  source_index: int
  names: str  # the files' paths, or member names in a tarball, joined by _SEPARATOR
  prefix: str  # errors name a file prefix + name: '' or '<tarball>:'
  data: Optional[bytes]  # the XMLs end to end; None: the worker reads the local files
  ends: Optional[array.array]  # where each XML ends in `data`


class _ChunkResult(NamedTuple):
  """What one chunk gave, for its usable files in chunk order, and its bad files."""
  number: int
  source_index: int
  prefix: str
  image_names: str  # joined by _SEPARATOR
  names: str  # the files' paths or member names, joined by _SEPARATOR
  csv: str  # their CSV lines, each file's after the one before
  csv_ends: array.array  # where each file's lines end in `csv`
  counts: array.array  # len(_COUNT_KEYS) per file, in _COUNT_KEYS order
  bad_files: List[BadFile]

  def num_files(self) -> int:
    return len(self.csv_ends)


def _process_chunk(rules: BoxRules, chunk: _Chunk,
                   report_progress=None) -> _ChunkResult:
  """The runner's work: parses one chunk's XMLs and selects their boxes."""
  del report_progress  # progress is counted per chunk result
  gc.disable()  # A worker makes no reference cycles (see _garbage_collection_paused).
  image_names, names, csv, bad_files = [], [], [], []
  csv_ends, counts = array.array('Q'), array.array('I')
  csv_length = start = 0
  for index, name in enumerate(chunk.names.split(_SEPARATOR)):
    source = chunk.prefix + name
    try:
      if chunk.data is None:
        with open(name, 'rb') as f:
          data = f.read()
      else:
        end = chunk.ends[index]
        data, start = chunk.data[start:end], end
      annotation = parse_annotation(data, name, source)
    except AnnotationError as e:
      bad_files.append(BadFile(source, e.reason, str(e)))
      continue
    except OSError as e:
      bad_files.append(BadFile(source, UNREADABLE,
                               '%s: cannot be read (%s)' % (source, e)))
      continue
    lines, file_counts = select_boxes(annotation, rules)
    text = ''.join(line + '\n' for line in lines)
    csv.append(text)
    csv_length += len(text)
    csv_ends.append(csv_length)
    counts.extend(file_counts[key] for key in _COUNT_KEYS)
    image_names.append(annotation.image_name)
    names.append(name)
  return _ChunkResult(chunk.number, chunk.source_index, chunk.prefix,
                      _SEPARATOR.join(image_names),
                      _SEPARATOR.join(names), ''.join(csv), csv_ends, counts,
                      bad_files)


@contextlib.contextmanager
def _garbage_collection_paused() -> Iterator[None]:
  """Pauses Python's cyclic garbage collector, restoring its state afterwards.

  Parsing makes no reference cycles (refcounting frees everything), and the
  collector's repeated passes over what is alive would cost CPU for nothing.
  """
  enabled = gc.isenabled()
  gc.disable()
  try:
    yield
  finally:
    if enabled:
      gc.enable()


def _process_chunks(chunks: Iterable[_Chunk], first_number: int, rules: BoxRules,
                    num_workers: int, on_chunk: Callable[[_ChunkResult], None]) -> None:
  """Calls `on_chunk` with each chunk's result, in chunk order, parsing in workers.

  The workers (inception.core's local pool) take the chunks as they are free, so a
  streamed tarball is never held in memory whole; results that finish early wait in
  a small buffer until the ones before them are in, so the run is deterministic.
  """
  waiting: Dict[int, _ChunkResult] = {}
  next_number = [first_number]

  def on_result(result: _ChunkResult) -> None:
    waiting[result.number] = result
    while next_number[0] in waiting:
      on_chunk(waiting.pop(next_number[0]))
      next_number[0] += 1

  runner = core.ProcessPoolRunner(_process_chunk, num_workers,
                                  describe=_describe_chunk, shared=rules)
  runner.run(chunks, on_result)


def _describe_chunk(chunk: _Chunk) -> str:
  names = chunk.names.split(_SEPARATOR)
  return 'parsing %s%s … %s%s' % (chunk.prefix, names[0], chunk.prefix, names[-1])


# ---------------------------------------------------------------------------------------
# Sources: a directory tree or a tarball of XMLs.


def _is_xml(name: str) -> bool:
  return name.lower().endswith('.xml')


def list_xml_files(directory: str) -> List[str]:
  """Every `*.xml` under `directory`, at any depth, sorted.

  A local tree is listed with os.walk (scandir: several times faster than
  tf.io.gfile.walk on 544,546 files); a remote one with tf.io.gfile.walk.
  """
  paths = []
  for parent, _, names in core.walk(directory):
    paths.extend(os.path.join(parent, name) for name in names if _is_xml(name))
  return sorted(paths)


class _ChunkBuilder(object):
  """Gathers the files of one source into _Chunks of up to _CHUNK_FILES files."""

  def __init__(self, source_index: int, prefix: str, with_data: bool,
               first_number: int):
    self._source_index = source_index
    self._prefix = prefix
    self._with_data = with_data
    self.next_number = first_number
    self._names: List[str] = []
    self._data: List[bytes] = []
    self._ends = array.array('Q')
    self._length = 0

  def add(self, name: str, data: Optional[bytes] = None) -> Optional[_Chunk]:
    """Adds one file; returns the chunk it completes, if it does."""
    if _SEPARATOR in name:
      raise ValueError('%s%r: a file name with a NUL character' % (self._prefix, name))
    self._names.append(name)
    if self._with_data:
      self._data.append(data)
      self._length += len(data)
      self._ends.append(self._length)
    return self.flush() if len(self._names) == _CHUNK_FILES else None

  def flush(self) -> Optional[_Chunk]:
    """The chunk of the files added since the last one (None if there are none)."""
    if not self._names:
      return None
    chunk = _Chunk(self.next_number, self._source_index,
                   _SEPARATOR.join(self._names), self._prefix,
                   b''.join(self._data) if self._with_data else None,
                   self._ends if self._with_data else None)
    self.next_number += 1
    self._names, self._data, self._ends, self._length = [], [], array.array('Q'), 0
    return chunk


def _directory_chunks(source_index: int, paths: Sequence[str],
                      first_number: int) -> Iterator[_Chunk]:
  """The files `paths` in chunks; a remote file is read here (workers stay free of
  TensorFlow), a local one by the worker."""
  remote = core.is_remote(paths[0]) if paths else False
  builder = _ChunkBuilder(source_index, '', remote, first_number)
  for path in paths:
    chunk = builder.add(path, core.read_bytes(path) if remote else None)
    if chunk:
      yield chunk
  chunk = builder.flush()
  if chunk:
    yield chunk


class _CountingReader(object):
  """A read-only stream that counts the bytes read through it."""

  def __init__(self, stream: IO[bytes]):
    self._stream = stream
    self.count = 0

  def read(self, size: int = -1) -> bytes:
    data = self._stream.read(size)
    self.count += len(data)
    return data

  def drain(self) -> None:
    while self.read(1 << 20):
      pass


def _tarball_chunks(source_index: int, tarball: str,
                    first_number: int) -> Iterator[_Chunk]:
  """Streams the XML members of a tarball (gzipped or not) in chunks, in archive order.

  Only one chunk's XMLs are held at a time: tarfile's list of the members read so
  far is emptied as it goes (it would keep every header: ~400 bytes per member).

  Each member must pass acquire.plain_member_name, as when the tarball is extracted
  (an unsafe or repeated member raises acquire's error naming it).

  tarfile alone ends a stream silently at a truncated header, so a truncated download
  would lose boxes without a word. Here gzip is decoded by the gzip module, which
  fails on a truncated stream or a bad CRC once the rest is read, and the archive
  must reach its end-of-archive marker.
  """
  builder = _ChunkBuilder(source_index, tarball + ':', True, first_number)
  try:
    with core.open_file(tarball, 'rb') as raw:
      gzipped = raw.read(2) == b'\x1f\x8b'  # by content: names can lie
      raw.seek(0)
      reader = _CountingReader(gzip.GzipFile(fileobj=raw, mode='rb') if gzipped
                               else raw)
      with tarfile.open(fileobj=reader, mode='r|') as archive:
        seen = set()
        for member in archive:
          archive.members.clear()  # streamed: no header is needed again
          # Extraction's own rule, so that both modes accept the same archives.
          acquire.plain_member_name(tarball, member, allow_subdirectories=True,
                                    seen=seen)
          if member.isfile() and _is_xml(member.name):
            chunk = builder.add(member.name, archive.extractfile(member).read())
            if chunk:
              yield chunk
        end = archive.offset
      reader.drain()
  except (tarfile.TarError, EOFError, zlib.error, OSError) as e:
    # CorruptArchiveError: the driver moves a bad copy in downloads/ aside and fetches
    # it again, as it does for an image tarball.
    raise acquire.CorruptArchiveError(
        tarball, 'not a readable tar/tar.gz archive of XMLs (%s)' % e) from None
  if reader.count < end + 2 * tarfile.BLOCKSIZE:
    raise acquire.CorruptArchiveError(
        tarball, 'not a readable tar/tar.gz archive of XMLs (truncated: it ends at '
        'byte %d, before its end-of-archive marker)' % reader.count)
  chunk = builder.flush()
  if chunk:
    yield chunk


# ---------------------------------------------------------------------------------------
# The step.


def process_bounding_boxes(source: Union[str, Sequence[str]],
                           output_csv: str,
                           synsets: Optional[Iterable[str]] = None,
                           image_synsets: Optional[Mapping[str, str]] = None,
                           num_workers: Optional[int] = None,
                           strict: bool = False) -> BoxStats:
  """Converts annotation XMLs into the bounding-box CSV, written atomically.

  Args:
    source: a directory tree of XMLs or a .tar.gz/.tgz/.tar of them, or several
      (e.g. the train v2 and the validation v3 annotations); one CSV for all.
    output_csv: the CSV to write; lines sorted by image name, then by source and
      XML path, boxes of one XML in its order.
    synsets: the challenge synsets; when given, an XML of an image of another synset
      is skipped and only a box naming another challenge synset is dropped.
    image_synsets: image file name → synset, for names without a wnid prefix
      (validation images: from the validation label file).
    num_workers: processes parsing XML (default: the number of cores).
    strict: raise on the first bad XML instead of reporting it.

  Returns:
    The counts of the run.

  Raises:
    FileNotFoundError: a source does not exist.
    ValueError: a source holds no XML or is not a readable archive, or no XML at
      all could be used; with `strict`, a bad XML (malformed, no size, unreadable,
      or a second XML for one image).
  """
  sources = [source] if isinstance(source, str) else list(source)
  if not sources:
    raise ValueError('no XML source given')
  rules = BoxRules(frozenset(synsets) if synsets is not None else None,
                   dict(image_synsets) if image_synsets else None)
  num_workers = num_workers or core.default_num_workers()

  with _garbage_collection_paused():
    stats, results = _read_sources(sources, rules, num_workers, strict)
    merged = _merge_results(results, stats, strict)
    parent = os.path.dirname(output_csv)
    if parent and not core.isdir(parent):
      core.makedirs(parent)
    with core.atomic_output(output_csv, 'w') as f:
      _write_csv(merged, results, f)
  return stats


def _read_sources(sources: Sequence[str], rules: BoxRules, num_workers: int,
                  strict: bool) -> Tuple[BoxStats, List[_ChunkResult]]:
  """Parses every XML of every source; the bad files are counted in the stats."""
  stats = BoxStats()
  results: List[_ChunkResult] = []
  for source_index, path in enumerate(sources):
    if not core.exists(path):
      raise FileNotFoundError('XML source %s does not exist' % path)
    if core.isdir(path):
      files = list_xml_files(path)
      chunks = _directory_chunks(source_index, files, first_number=len(results))
      total = len(files)
    else:  # A file: a tarball, gzipped or not (told by content, not by name).
      chunks = _tarball_chunks(source_index, path, first_number=len(results))
      total = None
    meter = core.Progress('Bounding boxes from %s' % path, total, 'XML files')
    files_before = stats.files_read

    def on_chunk(chunk: _ChunkResult) -> None:
      if strict and chunk.bad_files:
        raise ValueError(chunk.bad_files[0].message)
      stats.bad_files.extend(chunk.bad_files)
      results.append(chunk)
      read = chunk.num_files() + len(chunk.bad_files)
      stats.files_read += read
      meter.update(read)

    _process_chunks(chunks, len(results), rules, num_workers, on_chunk)
    meter.finish()
    if stats.files_read == files_before:
      raise ValueError('%s holds no .xml file' % path)
  if stats.bad_files and len(stats.bad_files) == stats.files_read:
    raise ValueError('none of the %d XML files could be used (wrong source?); first: %s'
                     % (stats.files_read, stats.bad_files[0].message))
  return stats, results


class _Merged(NamedTuple):
  """Where the kept files are: indices into the files of all chunks, in CSV order."""
  order: List[int]  # -1 for a file left out (a second XML for an image)
  starts: List[int]  # the index of each chunk's first file


def _merge_results(results: Sequence[_ChunkResult], stats: BoxStats,
                   strict: bool) -> _Merged:
  """Sorts the files by image name, then by source and name; keeps the first XML of
  an image (a later one is a bad file); adds the counts of the kept files to `stats`.

  Per file, only its image name and its place in the order are Python objects here.
  """
  image_names: List[str] = []
  starts = []
  for result in results:
    starts.append(len(image_names))
    if result.num_files():
      image_names.extend(result.image_names.split(_SEPARATOR))
  order = sorted(range(len(image_names)), key=image_names.__getitem__)
  width = len(_COUNT_KEYS)
  totals = [sum(sum(result.counts[k::width]) for result in results)
            for k in range(width)]
  with_boxes = sum(_files_with_lines(result) for result in results)
  names: Dict[int, List[str]] = {}  # the chunks' file names, split when needed

  def source_name(index: int) -> str:
    chunk, position = _locate(index, starts)
    if chunk not in names:
      names[chunk] = results[chunk].names.split(_SEPARATOR)
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
        stats.bad_files.append(BadFile(source_name(index), DUPLICATE, message))
        chunk, within = _locate(index, starts)
        counts = results[chunk].counts[within * width:(within + 1) * width]
        totals = [total - count for total, count in zip(totals, counts)]
        begin, stop = _csv_span(results[chunk], within)
        with_boxes -= begin < stop
        order[position] = -1
    first = end
  counts = dict(zip(_COUNT_KEYS, totals))
  stats.images_with_boxes = with_boxes
  stats.boxes_written = counts['written']
  stats.boxes_swapped = counts['swapped']
  stats.boxes_clamped = counts['clamped']
  stats.files_outside_synsets = counts['outside synsets']
  stats.boxes_dropped = {reason: counts[reason]
                         for reason in (OTHER_SYNSET, OUTSIDE_IMAGE, ZERO_AREA)
                         if counts[reason]}
  return _Merged(order, starts)


def _locate(index: int, starts: Sequence[int]) -> Tuple[int, int]:
  """(chunk, position in it) of the file `index` among all chunks' files."""
  chunk = bisect.bisect_right(starts, index) - 1
  return chunk, index - starts[chunk]


def _csv_span(result: _ChunkResult, position: int) -> Tuple[int, int]:
  """Where the CSV lines of a chunk's file `position` are in the chunk's `csv`."""
  return (result.csv_ends[position - 1] if position else 0,
          result.csv_ends[position])


def _files_with_lines(result: _ChunkResult) -> int:
  previous = with_lines = 0
  for end in result.csv_ends:
    with_lines += end > previous
    previous = end
  return with_lines


def _write_csv(merged: _Merged, results: Sequence[_ChunkResult], f: IO[str],
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
