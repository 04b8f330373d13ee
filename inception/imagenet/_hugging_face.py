"""Hugging Face's ImageNet (ILSVRC/imagenet-1k): its parquet files, or the older
tar.gz files, indexed before any work and spooled split by split (docs/SOURCES.md).

  data/{train,validation,test}-NNNNN-of-MMMMM.parquet   image{bytes, path}, label
  data/train_images_<n>.tar.gz, val_images.tar.gz, test_images.tar.gz   flat members

`read_hugging_face(path, layout, labels, with_test, spool_directory)` reads the
index (parquet: only the `image.path` and `label` columns; tar.gz: one listing
pass, a full gunzip) and checks it: every split there (train, validation; test with
with_test), a parquet split's `-of-` numbering without a gap; each image's official
name (the path's `_<wnid>` suffix removed), its class the wnid (parquet: the label,
an index into the sorted wnids of the run's synsets file, checked against the
path's wnid; tar.gz: the wnid of the name), labelled through the synsets file as
the tarballs are; a validation image of the class the validation label file gives;
each name once. Anything else is a ConversionError naming the file and the row (or
member), before any work. Each split becomes a convert.SpooledEntries: the images
are read in one pass when the split's pending shards need them
(inception.convert._spooling). The fingerprint, per source file, is the MD5 of its
size and its (path, label) rows (parquet) or its members' names and sizes
(tar.gz): a source changed since is refused on resume.
"""

from __future__ import annotations  # pyarrow's types in annotations, imported on use

import collections
import dataclasses
import hashlib
import io
import os
import re
import tarfile
from typing import (TYPE_CHECKING, Any, Callable, Dict, Iterator, List, Optional,
                    Sequence, Tuple)

if TYPE_CHECKING:
  import pyarrow as pa
  import pyarrow.parquet as pq

from inception import annotations
from inception import convert
from inception import core
from inception import label_files
from inception import records
from inception.imagenet import _splits

HF_DATA_DIRNAME = 'data'
PARQUET = 'parquet'
TARGZ = 'targz'
TEST_LABEL = -1
PARQUET_NAME = re.compile(r'^(?P<split>train|validation|test)-(?P<number>\d+)-of-'
                          r'(?P<total>\d+)\.parquet$')
TARGZ_NAME = re.compile(r'^(?:(?P<train>train_images_(?P<number>\d+))|(?P<validation>'
                        r'val_images)|(?P<test>test_images))\.tar\.gz$')
_SUFFIX = re.compile(r'^(?P<stem>.+)_(?P<wnid>n\d{8})$')
_PARQUET_SPLITS = {'train': records.TRAIN, 'validation': records.VALIDATION,
                   'test': records.TEST}
_COLUMNS = ('image.path', 'label')


class _CountingFile(io.RawIOBase):
  """A file, local or in a store (core.open_file), read for pyarrow or tarfile,
  that counts the bytes read from it (into `counter`).

  `ranged`: in a store, each read is one ranged GET of exactly its bytes (parquet's
  footer and column chunks, read by offset); else fsspec reads ahead (a gzip
  stream, read from start to end).
  """

  def __init__(self, path: str, counter: convert.SpoolStats, ranged: bool):
    super().__init__()
    self._file = core.open_file(path, 'rb', ranged=ranged)
    self._counter = counter

  def readable(self) -> bool:
    return True

  def seekable(self) -> bool:
    return True

  def seek(self, offset: int, whence: int = io.SEEK_SET) -> int:
    return self._file.seek(offset, whence)

  def tell(self) -> int:
    return self._file.tell()

  def read(self, size: Optional[int] = -1) -> bytes:
    data = self._file.read() if size is None or size < 0 else self._file.read(size)
    self._counter.bytes_read += len(data)
    return data

  def readinto(self, buffer) -> int:
    data = self.read(len(buffer))
    buffer[:len(data)] = data
    return len(data)

  def close(self) -> None:
    if not self.closed:
      self._file.close()
    super().close()


@dataclasses.dataclass(frozen=True)
class HuggingFaceIndex:
  """A Hugging Face source as its files list it, checked.

  Attributes:
    path: the directory holding data/.
    splits: each split's entries (convert.SpooledEntries), and its files.
    fingerprint: {file under path: MD5 of its size and rows (members)}.
    objects: in a store, {name: acquire.record_of} of the files (and box
      archives) read; set by the driver (_in_place.open_source).
  """
  path: str
  splits: _splits.ListedSplits
  fingerprint: Dict[str, str]
  objects: Dict[str, Dict[str, Any]] = dataclasses.field(default_factory=dict)

  def counts(self) -> Dict[str, int]:
    """Images per split."""
    return {split: len(entries) for split, entries in self.splits.entries.items()}

  def counts_line(self) -> str:
    """The one line of what will be converted."""
    entries = self.splits.entries
    parts = ['%d %s images%s' % (len(listed), split, ' of %d classes' % len(
        set(listed.entries.labels)) if split == records.TRAIN else '')
             for split, listed in entries.items()]
    return 'Hugging Face source %s: %s (%d files)' % (self.path, ', '.join(parts),
                                                      len(self.fingerprint))


@dataclasses.dataclass(frozen=True)
class _Classes:
  """The run's classes: by wnid (label, text), the sorted wnids Hugging Face's labels
  index, and the validation label file's classes."""
  by_wnid: Dict[str, Tuple[int, str]]
  sorted_wnids: List[str]
  validation: Dict[str, str]
  validation_path: str


def read_hugging_face(path: str, layout: str, labels: label_files.LabelFiles,
                      with_test: bool, spool_directory: str) -> HuggingFaceIndex:
  """Reads and checks the index of a Hugging Face source (the module's docstring).

  Args:
    path: the directory holding data/.
    layout: PARQUET or TARGZ.
    labels: the run's label files.
    with_test: also the test split.
    spool_directory: where the splits are spooled (local: _layout.spool_dir).

  Raises:
    convert.ConversionError: naming the file (and row or member) and what is wrong.
  """
  synsets, texts = _splits.imagenet_classes(labels)
  validation_path = labels.validation_labels_path()
  classes = _Classes(
      {wnid: (label, text) for label, (wnid, text) in enumerate(zip(synsets, texts), 1)},
      sorted(synsets), annotations.validation_image_synsets(
          label_files.read_validation_labels(validation_path)), validation_path)
  data_dir = core.join(path, HF_DATA_DIRNAME)
  wanted = [records.TRAIN, records.VALIDATION] + ([records.TEST] if with_test else [])
  if layout == PARQUET:
    files, index, images = _parquet_files(data_dir, wanted), _parquet_rows, _parquet_images
  else:
    files, index, images = _targz_files(data_dir, wanted), _targz_rows, _targz_images
  entries, fingerprint = {}, {}
  for split in wanted:
    sizes = {file: core.size(file) for file in files[split]}
    stats = convert.SpoolStats(source_bytes=sum(sizes.values()))
    builder = _SplitBuilder(split, classes, data_dir)
    for file in files[split]:
      digest = hashlib.md5(b'%d\n' % sizes[file])
      for hf_path, label, where, detail in index(file, stats):
        digest.update(('%s\t%s\n' % (hf_path, detail)).encode('utf-8'))
        builder.add(hf_path, label, where, file)
      fingerprint[relative_name(file, path)] = digest.hexdigest()
    entries[split] = convert.SpooledEntries(
        builder.build(), _reader(images, files[split], stats), spool_directory, stats)
  where = {split: data_dir for split in wanted}
  return HuggingFaceIndex(path, _splits.ListedSplits(convert.SplitPaths(**where),
                                                     entries), fingerprint)


def relative_name(file: str, path: str) -> str:
  """`file`'s name under the directory (or store prefix) `path`: data/NAME."""
  return '%s/%s' % (HF_DATA_DIRNAME, file.rstrip('/').rsplit('/', 1)[-1])


def _reader(images: Callable[[str, convert.SpoolStats], Iterator[Tuple[str, bytes, str]]],
            files: Sequence[str], stats: convert.SpoolStats
            ) -> Callable[[], Iterator[convert.SourceImage]]:
  """One pass over the files' images, each under its official name."""
  def read() -> Iterator[convert.SourceImage]:
    for file in files:
      for hf_path, data, where in images(file, stats):
        yield official_name(hf_path)[0], data, where
  return read


def official_name(hf_path: str) -> Tuple[str, Optional[str]]:
  """(the official file name, the wnid of its `_<wnid>` suffix or None) of a
  Hugging Face path: `n01440764_10026_n01440764.JPEG` → (`n01440764_10026.JPEG`,
  `n01440764`)."""
  stem, extension = os.path.splitext(os.path.basename(hf_path))
  match = _SUFFIX.match(stem)
  if match is None:
    return stem + extension, None
  return match.group('stem') + extension, match.group('wnid')


class _SplitBuilder:
  """A split's entries, row by row: each checked, grouped by class."""

  def __init__(self, split: str, classes: _Classes, data_dir: str):
    self._split, self._classes, self._data_dir = split, classes, data_dir
    self._by_wnid: Dict[str, List[str]] = collections.defaultdict(list)
    self._files: Dict[str, str] = {}  # official name: the file it is in (shared str)

  def add(self, hf_path: Optional[str], label: Optional[int], where: str,
          file: str) -> None:
    """One row (member) of `file`: its official name and class, checked."""
    if not hf_path:
      raise convert.ConversionError('%s: no image path' % where)
    filename, wnid = official_name(hf_path)
    if filename in self._files:
      raise convert.ConversionError('%s: %s again (first in %s)' % (
          where, filename, self._files[filename]))
    self._files[filename] = file
    if self._split == records.TEST:
      if label not in (None, TEST_LABEL):
        raise convert.ConversionError('%s: a test image labelled %d (expected %d)' %
                                      (where, label, TEST_LABEL))
      self._by_wnid[''].append(filename)
      return
    wnid = self._class_of(hf_path, label, wnid, where)
    other = (self._classes.validation.get(filename)
             if self._split == records.VALIDATION else None)
    if other is not None and other != wnid:
      raise convert.ConversionError(
          '%s: %s is of class %s there, of class %s in the validation label file %s' %
          (where, filename, wnid, other, self._classes.validation_path))
    self._by_wnid[wnid].append(filename)

  def _class_of(self, hf_path: str, label: Optional[int], wnid: Optional[str],
                where: str) -> str:
    """The wnid of an image: its label's (checked against its path's), or its
    path's (tar.gz, no label)."""
    wnids = self._classes.sorted_wnids
    if label is not None:
      if not 0 <= label < len(wnids):
        raise convert.ConversionError('%s: label %d is outside 0..%d' %
                                      (where, label, len(wnids) - 1))
      if wnid is not None and wnid != wnids[label]:
        raise convert.ConversionError(
            '%s: the path %s names class %s, its label %d class %s' % (
                where, hf_path, wnid, label, wnids[label]))
      wnid = wnids[label]
    if wnid is None:
      raise convert.ConversionError('%s: %s names no class (expected <name>_<wnid>'
                                    '.JPEG)' % (where, hf_path))
    if wnid not in self._classes.by_wnid:
      raise convert.ConversionError('%s: class %s is not in the synsets file' %
                                    (where, wnid))
    return wnid

  def build(self) -> records.ShardEntries:
    """The entries class by class (sources: data/ + name, never read: spooled)."""
    builder = records.EntriesBuilder()
    if self._split == records.TEST:
      builder.add_directory(records.UNLABELLED, '', '', self._data_dir,
                            sorted(self._by_wnid.get('', ())))
    for wnid, names in sorted(self._by_wnid.items(),
                              key=lambda item: self._classes.by_wnid.get(
                                  item[0], (0, ''))[0]):
      if wnid:
        label, text = self._classes.by_wnid[wnid]
        builder.add_directory(label, wnid, text, self._data_dir, sorted(names))
    return builder.build()


def _numbered(data_dir: str, pattern: re.Pattern, split_of: Callable[[re.Match], str],
              wanted: Sequence[str]) -> Dict[str, List[Tuple[int, int, str]]]:
  """{split: [(number, total, path)]} of data/'s names matching `pattern`.

  Raises:
    convert.ConversionError: a split wanted has no file.
  """
  try:
    names = sorted(core.listdir(data_dir))
  except (FileNotFoundError, NotADirectoryError):
    raise convert.ConversionError('%s/ is missing' % data_dir) from None
  found = collections.defaultdict(list)
  for name in names:
    match = pattern.match(name)
    if match:
      found[split_of(match)].append((int(match.group('number') or 0),
                                     int(match.groupdict().get('total') or 0),
                                     core.join(data_dir, name)))
  for split in wanted:
    if not found.get(split):
      raise convert.ConversionError('%s holds no file of the %s split' %
                                    (data_dir, split))
  return found


def _check_numbering(files: List[Tuple[int, int, str]], split: str,
                     data_dir: str, total: Optional[int]) -> List[str]:
  """The files in order; a gap in their numbering (0..total-1) refused."""
  numbers = sorted(number for number, _, _ in files)
  total = total if total is not None else numbers[-1] + 1
  missing = sorted(set(range(total)) - set(numbers))
  if missing or numbers[-1] >= total or len(numbers) != len(set(numbers)):
    raise convert.ConversionError(
        '%s: the %s split\'s files are numbered %s of %d: %s' % (
            data_dir, split, ', '.join(str(n) for n in numbers[:5]) +
            (', ...' if len(numbers) > 5 else ''), total,
            'file %d is missing' % missing[0] if missing else 'not 0..%d' % (total - 1)))
  return [path for _, _, path in sorted(files)]


def _parquet_files(data_dir: str, wanted: Sequence[str]) -> Dict[str, List[str]]:
  found = _numbered(data_dir, PARQUET_NAME,
                    lambda match: _PARQUET_SPLITS[match.group('split')], wanted)
  files = {}
  for split in wanted:
    totals = sorted({total for _, total, _ in found[split]})
    if len(totals) != 1:
      raise convert.ConversionError('%s: the %s split\'s files say -of-%s: one count '
                                    'expected' % (data_dir, split, ', -of-'.join(
                                        '%05d' % t for t in totals)))
    files[split] = _check_numbering(found[split], split, data_dir, totals[0])
  return files


def _targz_files(data_dir: str, wanted: Sequence[str]) -> Dict[str, List[str]]:
  found = _numbered(data_dir, TARGZ_NAME, lambda match: next(
      split for split in (records.TRAIN, records.VALIDATION, records.TEST)
      if match.group(split)), wanted)
  return {split: _check_numbering(found[split], split, data_dir,
                                  None if split == records.TRAIN else 1)
          for split in wanted}


def _open_parquet(path: str, raw: _CountingFile) -> pq.ParquetFile:
  """The parquet file `path` (open as `raw`), its columns checked."""
  # Imported here: pyarrow is a tenth of a binary's start-up, and only a Hugging Face
  # parquet source reads it.
  import pyarrow as pa  # pylint: disable=g-import-not-at-top
  import pyarrow.parquet as pq  # pylint: disable=g-import-not-at-top
  try:
    parquet = pq.ParquetFile(raw)
  except (pa.ArrowException, OSError) as e:
    raise convert.ConversionError('%s: not a readable parquet file (%s)' %
                                  (path, e)) from None
  schema = parquet.schema_arrow
  image = schema.field('image').type if 'image' in schema.names else None
  if (not pa.types.is_struct(image) or image.get_field_index('bytes') < 0 or
      image.get_field_index('path') < 0 or 'label' not in schema.names):
    raise convert.ConversionError('%s: expected the columns image{bytes, path} and '
                                  'label; found %s' % (path, ', '.join(schema.names)))
  return parquet


def _row_groups(path: str, stats: convert.SpoolStats, columns: Sequence[str]
                ) -> Iterator[Tuple[int, pa.Table, str]]:
  """(first row, the row group's columns, where) of each row group, in order."""
  import pyarrow as pa  # pylint: disable=g-import-not-at-top  (as _open_parquet)
  with _CountingFile(path, stats, ranged=True) as raw:
    parquet = _open_parquet(path, raw)
    first = 0
    for group in range(parquet.metadata.num_row_groups):
      try:
        table = parquet.read_row_group(group, columns=list(columns))
      except (pa.ArrowException, OSError) as e:
        raise convert.ConversionError('%s: row group %d (rows %d..): unreadable (%s)' %
                                      (path, group, first, e)) from None
      yield first, table, path
      first += table.num_rows


def _parquet_rows(path: str, stats: convert.SpoolStats
                  ) -> Iterator[Tuple[Optional[str], Optional[int], str, int]]:
  """(image.path, label, where, label) of each row, reading those two columns
  only."""
  for first, table, _ in _row_groups(path, stats, _COLUMNS):
    paths = table.column('image').combine_chunks().field('path').to_pylist()
    for row, (hf_path, label) in enumerate(zip(
        paths, table.column('label').to_pylist()), first):
      yield hf_path, label, '%s row %d' % (path, row), label


def _parquet_images(path: str, stats: convert.SpoolStats
                    ) -> Iterator[Tuple[str, bytes, str]]:
  """(image.path, image.bytes, where) of each row, a row group at a time."""
  for first, table, _ in _row_groups(path, stats, ('image',)):
    image = table.column('image').combine_chunks()
    for row, (hf_path, data) in enumerate(zip(image.field('path').to_pylist(),
                                              image.field('bytes').to_pylist()), first):
      yield hf_path, data or b'', '%s row %d (%s)' % (path, row, hf_path)


def _targz_members(path: str, stats: convert.SpoolStats, with_bytes: bool
                   ) -> Iterator[Tuple[str, Optional[bytes], str, int]]:
  """(member name, its bytes if with_bytes, where, size) of each file member, in
  one streaming pass."""
  try:
    with _CountingFile(path, stats, ranged=False) as raw, tarfile.open(
        fileobj=raw, mode='r|gz') as archive:
      for member in archive:
        if not member.isfile():
          continue
        where = '%s:%s' % (path, member.name)
        data = archive.extractfile(member).read() if with_bytes else None
        yield member.name, data, where, member.size
  except (tarfile.TarError, OSError, EOFError) as e:
    raise convert.ConversionError('%s: unreadable tar.gz (%s: %s)' % (
        path, type(e).__name__, e)) from None


def _targz_rows(path: str, stats: convert.SpoolStats
                ) -> Iterator[Tuple[str, None, str, int]]:
  """(member name, no label, where, size) of each image: a listing pass."""
  for name, _, where, size in _targz_members(path, stats, with_bytes=False):
    yield name, None, where, size


def _targz_images(path: str, stats: convert.SpoolStats
                  ) -> Iterator[Tuple[str, bytes, str]]:
  """(member name, its bytes, where) of each image: the spooling pass."""
  for name, data, where, _ in _targz_members(path, stats, with_bytes=True):
    yield name, data, where
