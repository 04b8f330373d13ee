"""Splits whose images can be read only in one sequential pass (parquet row groups,
gzip streams): spooled into local files per range of shards, then written from there.

Such a source gives the converter each split as `SpooledEntries`: the entries (file
names and labels, from its index: the plan, shuffle and shard boundaries are those of
any source; their sources are never read) and `read_images`, one pass over the split
in the source's order yielding (file name, bytes, where it is). Once the split is
planned and its complete shards found (resume: a split whose shards are all complete
is not read at all), `spooled_pending` makes that one pass, writing each image a
pending shard needs into the spool file of its range of shards
(`SHARDS_PER_SPOOL_FILE`), `<spool_directory>/<split>-<first>-<last>.spool`, and
gives the pending tasks their entries as members of those files
(acquire.TarMember: offset and size, read by the shard writers with os.pread as
--no_extract's tar members, named `<spool file>:<name>`: the workers stay
TensorFlow-free). The spool files are removed once the split's shards
are written, or the writing failed; those a killed run left are removed before the
split spools again (the directory holds nothing else, and the run holds DATA_DIR's
lock).

Unless bad images are skipped, each image is judged on its way to the spool as the
shard writer will judge it (records.prepare_image with the run's validation; 'full'
decodes in the workers only): a bad one is an ImageError naming where it is in the
source (file and row, archive and member), before any shard of the split is written.
"""

import array
import contextlib
import dataclasses
import os
import re
from typing import Callable, Dict, Iterator, List, Optional, Sequence, Tuple

from absl import logging

from inception import acquire
from inception import records
from inception.convert import _options
from inception.convert import _preparing

# Shards per spool file: ImageNet's train split spools into 16 files (~9 GB each).
SHARDS_PER_SPOOL_FILE = 64
SPOOL_SUFFIX = '.spool'
_SPOOL_NAME = re.compile(r'^(?P<split>[a-z]+)-\d{5}-\d{5}' + re.escape(SPOOL_SUFFIX) +
                         '$')
_WRITE_BUFFER_BYTES = 1 << 20

# (the image's file name, its bytes, where it is in the source, for messages)
SourceImage = Tuple[str, bytes, str]


@dataclasses.dataclass
class SpoolStats:
  """What spooling a split read and wrote (bytes), for the closing log line and the
  benchmark: `source_bytes` the size of the split's source files, `bytes_read` what
  the source's reader read of them (its index and the pass), `bytes_spooled` what
  went into the spool files (and is read back once by the shard writers)."""
  source_bytes: int = 0
  bytes_read: int = 0
  bytes_spooled: int = 0
  images_spooled: int = 0


@dataclasses.dataclass(frozen=True)
class SpooledEntries:
  """A split that is spooled before its shards are written.

  Attributes:
    entries: the split's entries (file names, labels, classes; sources unused).
    read_images: one pass over the split's images in the source's order.
    spool_directory: where its spool files go (local, dedicated to them).
    stats: filled as the source is read and spooled.
  """
  entries: records.ShardEntries
  read_images: Callable[[], Iterator[SourceImage]]
  spool_directory: str
  stats: SpoolStats = dataclasses.field(default_factory=SpoolStats)

  def __len__(self) -> int:
    return len(self.entries)


def spool_path(directory: str, split: str, first: int, last: int) -> str:
  """The spool file of shards first..last of `split`."""
  return os.path.join(directory, '%s-%05d-%05d%s' % (split, first, last, SPOOL_SUFFIX))


def remove_spool_files(directory: str, split: str) -> None:
  """Removes `split`'s spool files (and the directory once empty)."""
  try:
    names = os.listdir(directory)
  except FileNotFoundError:
    return
  for name in names:
    match = _SPOOL_NAME.match(name)
    if match and match.group('split') == split:
      os.remove(os.path.join(directory, name))
  with contextlib.suppress(OSError):
    os.rmdir(directory)


@contextlib.contextmanager
def spooled_pending(prepared: _preparing.PreparedSplit,
                    spooled: Optional[SpooledEntries],
                    options: _options.ConvertOptions
                    ) -> Iterator[_preparing.PreparedSplit]:
  """`prepared` with its pending shards' images spooled (module docstring); as it
  is without `spooled` or with nothing pending. The spool files live as long as the
  context.

  Raises:
    records.ImageError: a bad image (unless skipped), named where it is.
    ConversionError: an image the index listed that the pass did not give, or gave
      twice.
  """
  if spooled is None or not prepared.pending:
    yield prepared
    return
  split = prepared.plan.split
  remove_spool_files(spooled.spool_directory, split)
  os.makedirs(spooled.spool_directory, exist_ok=True)
  spool = _Spool(prepared.pending, spooled.spool_directory, split)
  try:
    spool.read(spooled.read_images(), _judge(options))
    spooled.stats.bytes_spooled += spool.bytes_written
    spooled.stats.images_spooled += spool.count
    logging.info('%s: spooled %d images (%d bytes) into %d files in %s; read %d of '
                 'the source\'s %d bytes', split, spool.count, spool.bytes_written,
                 len(spool.files), spooled.spool_directory, spooled.stats.bytes_read,
                 spooled.stats.source_bytes)
    yield prepared._replace(pending=spool.tasks())
  finally:
    spool.close()
    remove_spool_files(spooled.spool_directory, split)


def _judge(options: _options.ConvertOptions) -> Optional[Callable[[bytes, str], None]]:
  """How an image is judged on its way to the spool (None: not, when skipped)."""
  if options.skip_bad_images:
    return None
  mode = 'structure' if options.validate_images == 'full' else options.validate_images
  return lambda data, where: records.prepare_image(data, where, mode)


class _Spool:
  """The spool files of a split's pending shards, and where each image went."""

  def __init__(self, pending: Sequence[records.ShardTask], directory: str,
               split: str):
    self._pending = pending
    self._directory, self._split = directory, split
    self._slots: Dict[str, int] = {}  # file name: its task's position << 32 | index
    for position, task in enumerate(pending):
      for index, name in enumerate(task.entries.filenames()):
        self._slots[name] = position << 32 | index
    self._offsets = [array.array('q', [-1]) * len(t.entries) for t in pending]
    self._sizes = [array.array('q', [0]) * len(t.entries) for t in pending]
    self.files: Dict[int, Tuple[str, object]] = {}  # range: (path, open file)
    self.count = self.bytes_written = 0

  def _file(self, shard: int) -> Tuple[str, object]:
    number = shard // SHARDS_PER_SPOOL_FILE
    if number not in self.files:
      first = number * SHARDS_PER_SPOOL_FILE
      last = min(first + SHARDS_PER_SPOOL_FILE, self._pending[0].num_shards) - 1
      path = spool_path(self._directory, self._split, first, last)
      self.files[number] = (path, open(path, 'wb', buffering=_WRITE_BUFFER_BYTES))
    return self.files[number]

  def read(self, images: Iterator[SourceImage],
           judge: Optional[Callable[[bytes, str], None]]) -> None:
    """Spools the images the pending shards need, in the source's order."""
    for name, data, where in images:
      slot = self._slots.get(name)
      if slot is None:
        continue
      position, index = slot >> 32, slot & 0xFFFFFFFF
      if self._offsets[position][index] >= 0:
        raise _options.ConversionError('%s: %s again (the pass gave it before)' %
                                       (where, name))
      if judge is not None:
        judge(data, where)
      _, f = self._file(self._pending[position].index)
      self._offsets[position][index] = f.tell()
      self._sizes[position][index] = len(data)
      f.write(data)
      self.count += 1
      self.bytes_written += len(data)
    if self.count != len(self._slots):
      missing = [name for name, slot in self._slots.items()
                 if self._offsets[slot >> 32][slot & 0xFFFFFFFF] < 0]
      raise _options.ConversionError(
          '%s: %d images its index lists were not in the source when read (first: '
          '%s); was it changed during the run?' % (self._split, len(missing),
                                                   min(missing)))
    for _, f in self.files.values():
      f.flush()

  def tasks(self) -> Tuple[records.ShardTask, ...]:
    """The pending tasks, their entries the spooled images."""
    return tuple(task._replace(entries=self._entries(position, task))
                 for position, task in enumerate(self._pending))

  def _entries(self, position: int, task: records.ShardTask) -> records.ShardEntries:
    builder = records.EntriesBuilder()
    classes = task.entries.classes
    offsets, sizes = self._offsets[position], self._sizes[position]
    path = self._file(task.index)[0] if len(task.entries) else ''
    for index, (name, label) in enumerate(zip(task.entries.filenames(),
                                              task.entries.labels)):
      synset, text, _ = classes[label]
      builder.add_member(label, synset, text,
                         acquire.TarMember(path, offsets[index], sizes[index], name))
    return builder.build()

  def close(self) -> None:
    for _, f in self.files.values():
      f.close()


def spool_files(directory: str) -> List[str]:
  """The spool files in `directory` (for tests and checks: none once a run ends)."""
  try:
    return sorted(name for name in os.listdir(directory) if _SPOOL_NAME.match(name))
  except FileNotFoundError:
    return []
