"""Bounding boxes: ImageNet annotation XMLs → the CSV (docs/FORMAT.md, "Bounding boxes").

The step: each source (a directory tree or a tarball of XMLs) is read in chunks
(`_xml_sources`), each chunk parsed by the local pool (`_xml_chunks`, by the rules of
`_box_rules`), the results merged in order and the CSV written (`_chunk_merge`,
`_boxes_csv`).

Beyond the original: validation (v3) XMLs are handled too, sources may be directory
trees or tarballs read as a stream, the work is spread over processes, and a malformed
XML or one without a usable size is counted and reported by name instead of crashing
the run (unless strict).
"""

import contextlib
import gc
import itertools
import os
from typing import Callable, Dict, Iterable, Iterator, List, Sequence, Tuple, Union

from inception import core
from inception.annotations import _box_rules
from inception.annotations import _chunk_merge
from inception.annotations import _xml_chunks
from inception.annotations import _xml_sources

# A source of XMLs: a directory or an archive's path, or a zip's folder.
_Source = Union[str, _xml_sources.ZipXmls]

# A source of at most this many XMLs is parsed in this process (a few µs each since
# the common XMLs are read by regular expressions), without the pool's worker
# processes, whose start costs more (~0.5 s of CPU each, their imports): the demo's
# box archives, say, not ImageNet's 544,546 XMLs.
IN_PROCESS_MAX_FILES = 5000


def process_bounding_boxes(source: Union[_Source, Sequence[_Source]],
                           output_csv: str, *, workers: core.Workers,
                           rules: _box_rules.BoxRules = _box_rules.BoxRules(),
                           strict: bool = False) -> _chunk_merge.BoxStats:
  """Converts annotation XMLs into the bounding-box CSV, written atomically.

  Args:
    source: a directory tree of XMLs, a .tar.gz/.tgz/.tar of them, or a zip's folder
      of them (ZipXmls), or several (e.g. the train v2 and the validation v3
      annotations); one CSV for all.
    output_csv: the CSV to write; lines sorted by image name, then by source and
      XML path, boxes of one XML in its order.
    workers: the processes parsing XML.
    rules: the challenge synsets and the validation images' synsets (BoxRules);
      default: neither.
    strict: raise on the first bad XML instead of reporting it.

  Returns:
    The counts of the run.

  Raises:
    FileNotFoundError: a source does not exist.
    ValueError: a source holds no XML or is not a readable archive, or no XML at
      all could be used, or a zip member is damaged (records.ZipMemberError); with
      `strict`, a bad XML (malformed, no size, unreadable, or a second XML for one
      image).
  """
  sources = ([source] if isinstance(source, (str, _xml_sources.ZipXmls))
             else list(source))
  if not sources:
    raise ValueError('no XML source given')

  with _garbage_collection_paused():
    stats, results = _read_sources(sources, rules, workers, strict)
    merged = _chunk_merge.merge_results(results, stats, strict)
    parent = os.path.dirname(output_csv)
    if parent and not core.isdir(parent):
      core.makedirs(parent)
    with core.atomic_output(output_csv, 'w') as f:
      _chunk_merge.write_csv(merged, results, f)
  return stats


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


def _read_sources(
    sources: Sequence[_Source], rules: _box_rules.BoxRules, workers: core.Workers,
    strict: bool) -> Tuple[_chunk_merge.BoxStats, List[_xml_chunks.ChunkResult]]:
  """Parses every XML of every source; the bad files are counted in the stats."""
  stats = _chunk_merge.BoxStats()
  results: List[_xml_chunks.ChunkResult] = []
  for source_index, path in enumerate(sources):
    zipped = isinstance(path, _xml_sources.ZipXmls)
    if not core.exists(path.archive if zipped else path):
      raise FileNotFoundError('XML source %s does not exist' % (path,))
    if zipped:
      index, names = _xml_sources.zip_xml_members(path)
      chunks = _xml_sources.zip_chunks(source_index, index, names,
                                       first_number=len(results))
      total = len(names)
    elif core.isdir(path):
      files = _xml_sources.list_xml_files(path)
      chunks = _xml_sources.directory_chunks(source_index, files,
                                             first_number=len(results))
      total = len(files)
    else:  # A file: a tarball, gzipped or not (told by content, not by name).
      chunks = _xml_sources.tarball_chunks(source_index, path,
                                           first_number=len(results))
      total = None
    meter = core.Progress('Bounding boxes from %s' % (path,), total, 'XML files')
    files_before = stats.files_read

    def on_chunk(chunk: _xml_chunks.ChunkResult) -> None:
      if strict and chunk.bad_files:
        raise ValueError(chunk.bad_files[0].message)
      stats.bad_files.extend(chunk.bad_files)
      results.append(chunk)
      read = chunk.num_files() + len(chunk.bad_files)
      stats.files_read += read
      meter.update(read)

    _process_chunks(chunks, len(results), rules, workers, on_chunk)
    meter.finish()
    if stats.files_read == files_before:
      raise ValueError('%s holds no .xml file' % (path,))
  if stats.bad_files and len(stats.bad_files) == stats.files_read:
    raise ValueError('none of the %d XML files could be used (wrong source?); first: %s'
                     % (stats.files_read, stats.bad_files[0].message))
  return stats, results


def _process_chunks(chunks: Iterable[_xml_chunks.Chunk], first_number: int,
                    rules: _box_rules.BoxRules, workers: core.Workers,
                    on_chunk: Callable[[_xml_chunks.ChunkResult], None]) -> None:
  """Calls `on_chunk` with each chunk's result, in chunk order, parsing in workers.

  The workers (inception.core's local pool) take the chunks as they are free, so a
  streamed tarball is never held in memory whole; results that finish early wait in
  a small buffer until the ones before them are in, so the run is deterministic.
  A source of at most IN_PROCESS_MAX_FILES XMLs is parsed in this process instead
  (its chunks are read ahead up to that count to tell).
  """
  waiting: Dict[int, _xml_chunks.ChunkResult] = {}
  next_number = [first_number]

  def on_result(result: _xml_chunks.ChunkResult) -> None:
    waiting[result.number] = result
    while next_number[0] in waiting:
      on_chunk(waiting.pop(next_number[0]))
      next_number[0] += 1

  small, chunks = _read_ahead(chunks, IN_PROCESS_MAX_FILES)
  runner = workers.in_process_when(small).runner(
      _xml_chunks.process_chunk, describe=_xml_chunks.describe_chunk, shared=rules)
  runner.run(chunks, on_result)


def _read_ahead(chunks: Iterable[_xml_chunks.Chunk], max_files: int
                ) -> Tuple[bool, Iterable[_xml_chunks.Chunk]]:
  """(whether `chunks` hold at most `max_files` files, the same chunks): reads
  them until past that count, the rest left to be streamed."""
  chunks = iter(chunks)
  head, files = [], 0
  for chunk in chunks:
    head.append(chunk)
    files += chunk.num_files()
    if files > max_files:
      return False, itertools.chain(head, chunks)
  return True, head
