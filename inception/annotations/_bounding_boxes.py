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


class _Item(NamedTuple):
  """One XML to process. `data` None: read the local file `path` in the worker."""
  order: Tuple[int, str]  # (source index, path): the sort key among same-name images
  path: str  # file path or archive member name: gives the image name
  source: str  # how errors name the file
  data: Optional[bytes]


# select_boxes' counter keys, kept per file as a small tuple in this order.
_COUNT_KEYS = ('written', 'swapped', 'clamped', 'outside synsets', OTHER_SYNSET,
               OUTSIDE_IMAGE, ZERO_AREA)


class _FileResult(NamedTuple):
  image_name: str
  order: Tuple[int, str]
  source: str
  lines: List[str]
  counts: Tuple[int, ...]  # in _COUNT_KEYS order


class _ChunkResult(NamedTuple):
  files: List[_FileResult]
  bad_files: List[BadFile]


def _process_chunk(items: Sequence[_Item], rules: BoxRules) -> _ChunkResult:
  files, bad_files = [], []
  for item in items:
    try:
      data = item.data
      if data is None:
        with open(item.path, 'rb') as f:
          data = f.read()
      annotation = parse_annotation(data, item.path, item.source)
    except AnnotationError as e:
      bad_files.append(BadFile(item.source, e.reason, str(e)))
      continue
    except OSError as e:
      bad_files.append(BadFile(item.source, UNREADABLE,
                               '%s: cannot be read (%s)' % (item.source, e)))
      continue
    lines, counts = select_boxes(annotation, rules)
    files.append(_FileResult(annotation.image_name, item.order, item.source, lines,
                             tuple(counts[key] for key in _COUNT_KEYS)))
  return _ChunkResult(files, bad_files)


def _process_numbered_chunk(rules: BoxRules, numbered: Tuple[int, Sequence[_Item]],
                            report_progress=None) -> Tuple[int, _ChunkResult]:
  """The runner's work: one chunk, with its number (results arrive in any order)."""
  del report_progress  # progress is counted per chunk result
  gc.disable()  # A worker makes no reference cycles (see _garbage_collection_paused).
  number, items = numbered
  return number, _process_chunk(items, rules)


@contextlib.contextmanager
def _garbage_collection_paused() -> Iterator[None]:
  """Pauses Python's cyclic garbage collector, restoring its state afterwards.

  Parsing makes no reference cycles (refcounting frees everything), but with
  hundreds of thousands of results alive the collector's repeated passes over them
  cost a quarter of the run's CPU time (measured on 544,546 XMLs).
  """
  enabled = gc.isenabled()
  gc.disable()
  try:
    yield
  finally:
    if enabled:
      gc.enable()


def _process_chunks(chunks: Iterable[Sequence[_Item]], rules: BoxRules,
                    num_workers: int, on_chunk: Callable[[_ChunkResult], None]) -> None:
  """Calls `on_chunk` with each chunk's result, in chunk order, parsing in workers.

  The workers (inception.core's local pool) take the chunks as they are free, so a
  streamed tarball is never held in memory whole; results that finish early wait in
  a small buffer until the ones before them are in, so the run is deterministic.
  """
  waiting: Dict[int, _ChunkResult] = {}
  next_number = [0]

  def on_result(numbered: Tuple[int, _ChunkResult]) -> None:
    waiting[numbered[0]] = numbered[1]
    while next_number[0] in waiting:
      on_chunk(waiting.pop(next_number[0]))
      next_number[0] += 1

  runner = core.ProcessPoolRunner(_process_numbered_chunk, num_workers,
                                  describe=_describe_chunk, shared=rules)
  runner.run(enumerate(chunks), on_result)


def _describe_chunk(numbered: Tuple[int, Sequence[_Item]]) -> str:
  items = numbered[1]
  return 'parsing %s … %s' % (items[0].source, items[-1].source)


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


def _chunked(items: Iterable[_Item], size: int) -> Iterator[List[_Item]]:
  chunk = []
  for item in items:
    chunk.append(item)
    if len(chunk) == size:
      yield chunk
      chunk = []
  if chunk:
    yield chunk


def _directory_items(source_index: int, paths: Sequence[str]) -> Iterator[_Item]:
  remote = core.is_remote(paths[0]) if paths else False
  for path in paths:
    data = None
    if remote:  # Read here: worker processes stay free of TensorFlow.
      data = core.read_bytes(path)
    yield _Item((source_index, path), path, path, data)


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


def _tarball_items(source_index: int, tarball: str) -> Iterator[_Item]:
  """Streams the XML members of a tarball (gzipped or not), in archive order.

  Each member must pass acquire.plain_member_name, as when the tarball is extracted
  (an unsafe or repeated member raises acquire's error naming it).

  tarfile alone ends a stream silently at a truncated header, so a truncated download
  would lose boxes without a word. Here gzip is decoded by the gzip module, which
  fails on a truncated stream or a bad CRC once the rest is read, and the archive
  must reach its end-of-archive marker.
  """
  try:
    with core.open_file(tarball, 'rb') as raw:
      gzipped = raw.read(2) == b'\x1f\x8b'  # by content: names can lie
      raw.seek(0)
      reader = _CountingReader(gzip.GzipFile(fileobj=raw, mode='rb') if gzipped
                               else raw)
      with tarfile.open(fileobj=reader, mode='r|') as archive:
        seen = set()
        for member in archive:
          # Extraction's own rule, so that both modes accept the same archives.
          acquire.plain_member_name(tarball, member, allow_subdirectories=True,
                                    seen=seen)
          if member.isfile() and _is_xml(member.name):
            data = archive.extractfile(member).read()
            source = '%s:%s' % (tarball, member.name)
            yield _Item((source_index, member.name), member.name, source, data)
        end = archive.offset
      reader.drain()
  except (tarfile.TarError, EOFError, zlib.error, OSError) as e:
    raise ValueError('%s: not a readable tar/tar.gz archive of XMLs (%s)' %
                     (tarball, e)) from None
  if reader.count < end + 2 * tarfile.BLOCKSIZE:
    raise ValueError('%s: not a readable tar/tar.gz archive of XMLs (truncated: it '
                     'ends at byte %d, before its end-of-archive marker)' %
                     (tarball, reader.count))


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
    lines = _merge_results(results, stats, strict)
  parent = os.path.dirname(output_csv)
  if parent and not core.isdir(parent):
    core.makedirs(parent)
  with core.atomic_output(output_csv, 'w') as f:
    f.write(''.join(line + '\n' for line in lines))
  return stats


def _read_sources(sources: Sequence[str], rules: BoxRules, num_workers: int,
                  strict: bool) -> Tuple[BoxStats, List[_FileResult]]:
  """Parses every XML of every source; the bad files are counted in the stats."""
  stats = BoxStats()
  results: List[_FileResult] = []
  for source_index, path in enumerate(sources):
    if not core.exists(path):
      raise FileNotFoundError('XML source %s does not exist' % path)
    if core.isdir(path):
      files = list_xml_files(path)
      items = _directory_items(source_index, files)
      total = len(files)
    else:  # A file: a tarball, gzipped or not (told by content, not by name).
      items = _tarball_items(source_index, path)
      total = None
    meter = core.Progress('Bounding boxes from %s' % path, total, 'XML files')
    files_before = stats.files_read

    def on_chunk(chunk: _ChunkResult) -> None:
      if strict and chunk.bad_files:
        raise ValueError(chunk.bad_files[0].message)
      stats.bad_files.extend(chunk.bad_files)
      results.extend(chunk.files)
      read = len(chunk.files) + len(chunk.bad_files)
      stats.files_read += read
      meter.update(read)

    _process_chunks(_chunked(items, _CHUNK_FILES), rules, num_workers, on_chunk)
    meter.finish()
    if stats.files_read == files_before:
      raise ValueError('%s holds no .xml file' % path)
  if stats.bad_files and len(stats.bad_files) == stats.files_read:
    raise ValueError('none of the %d XML files could be used (wrong source?); first: %s'
                     % (stats.files_read, stats.bad_files[0].message))
  return stats, results


def _merge_results(results: List[_FileResult], stats: BoxStats,
                   strict: bool) -> List[str]:
  """Sorts the files' lines by image; keeps the first XML of an image; adds counts."""
  results.sort(key=lambda result: (result.image_name, result.order))
  lines = []
  totals = [0] * len(_COUNT_KEYS)
  previous = None
  for result in results:
    if previous is not None and result.image_name == previous.image_name:
      message = '%s: a second XML for %s (the first is %s, which is kept)' % (
          result.source, result.image_name, previous.source)
      if strict:
        raise ValueError(message)
      stats.bad_files.append(BadFile(result.source, DUPLICATE, message))
      continue
    previous = result
    lines.extend(result.lines)
    stats.images_with_boxes += bool(result.lines)
    totals = [total + count for total, count in zip(totals, result.counts)]
  counts = dict(zip(_COUNT_KEYS, totals))
  stats.boxes_written = counts['written']
  stats.boxes_swapped = counts['swapped']
  stats.boxes_clamped = counts['clamped']
  stats.files_outside_synsets = counts['outside synsets']
  stats.boxes_dropped = {reason: counts[reason]
                         for reason in (OTHER_SYNSET, OUTSIDE_IMAGE, ZERO_AREA)
                         if counts[reason]}
  return lines
