"""Kaggle's ImageNet (imagenet-object-localization-challenge), read in place: the
unpacked tree, or the zip (docs/SOURCES.md).

  LOC_synset_mapping.txt                       `<wnid> <text>` per class
  LOC_train_solution.csv, LOC_val_solution.csv `ImageId,PredictionString` rows
  ILSVRC/Data/CLS-LOC/train/<wnid>/<stem>.JPEG, val/<stem>.JPEG, test/<stem>.JPEG
  ILSVRC/Annotations/CLS-LOC/train/<wnid>/<stem>.xml, val/<stem>.xml
  ILSVRC/ImageSets/CLS-LOC/train_cls.txt       `<wnid>/<stem> <n>`
  ILSVRC/ImageSets/CLS-LOC/test.txt            `<stem> <n>`

`read_kaggle(path, zipped, labels, with_test)` reads the source's own index before any
work, and checks it against what is there and against the run's label files:
- LOC_synset_mapping.txt lists the synsets file's wnids (the same set);
- train: train_cls.txt lists the images, each in its class directory, labelled through
  its wnid and the synsets file (1 + its line);
- validation: LOC_val_solution.csv's rows, flat in val/, each of the class its row's
  first wnid names; where the validation label file names a class too, they agree;
- test (with_test): test.txt's images, flat in test/, unlabelled.
A subset someone made (index files listing what is there) is converted; what a
directory holds that no index lists is left out, and counted. A listed file or a class
directory that is missing, an image listed twice or a disagreement is a
ConversionError naming it. The entries are the tarballs' (file names, labels, texts),
their sources the tree's files or the zip's members (by offset: records.ZipMember);
nothing in the source is written. The MD5 of each index file (INDEX_FILES) present is
the source's fingerprint, which the driver records.
"""

import collections
import dataclasses
import hashlib
from typing import Any, Dict, List, Mapping, Optional, Sequence, Tuple, Union

from inception import acquire
from inception import annotations
from inception import convert
from inception import core
from inception import label_files
from inception import records
from inception.imagenet import _splits

KAGGLE_ZIP_FILE = 'imagenet-object-localization-challenge.zip'
SYNSET_MAPPING = 'LOC_synset_mapping.txt'
TRAIN_SOLUTION = 'LOC_train_solution.csv'
VALIDATION_SOLUTION = 'LOC_val_solution.csv'
SAMPLE_SUBMISSION = 'LOC_sample_submission.csv'
SOLUTION_HEADER = 'ImageId,PredictionString'
ILSVRC_DIRNAME = 'ILSVRC'
DATA_DIR = 'ILSVRC/Data/CLS-LOC'
ANNOTATIONS_DIR = 'ILSVRC/Annotations/CLS-LOC'
IMAGE_SETS_DIR = 'ILSVRC/ImageSets/CLS-LOC'
TRAIN_LIST = IMAGE_SETS_DIR + '/train_cls.txt'
TEST_LIST = IMAGE_SETS_DIR + '/test.txt'
# Each split's folder under DATA_DIR (and ANNOTATIONS_DIR).
FOLDERS = {records.TRAIN: 'train', records.VALIDATION: 'val', records.TEST: 'test'}
IMAGE_EXTENSION = '.JPEG'
# The index files: their MD5s are the source's fingerprint.
INDEX_FILES = (SYNSET_MAPPING, TRAIN_SOLUTION, VALIDATION_SOLUTION, SAMPLE_SUBMISSION,
               TRAIN_LIST, IMAGE_SETS_DIR + '/train_loc.txt',
               IMAGE_SETS_DIR + '/val.txt', TEST_LIST)

_Class = Tuple[int, str, str]  # label, synset, text


class _Tree:
  """The unpacked tree: files under a local directory or a store prefix (each
  folder listed once, each index file one GET)."""

  def __init__(self, root: str):
    self.path = root

  def read(self, name: str) -> Optional[bytes]:
    try:
      return core.read_bytes(self.where(name))
    except (FileNotFoundError, IsADirectoryError):
      return None

  def listdir(self, folder: str) -> Optional[List[str]]:
    """The files directly in `folder`; None if it is missing (core.walk yields
    nothing for a missing directory or prefix)."""
    for _, _, files in core.walk(self.where(folder)):
      return files
    return None

  def add_images(self, builder: records.EntriesBuilder, image_class: _Class,
                 folder: str, names: Sequence[str]) -> None:
    builder.add_directory(*image_class, self.where(folder), names)

  def where(self, name: str) -> str:
    return core.join(self.path, name)


class _Zip:
  """The zip: its members, indexed once (acquire.index_zip)."""

  def __init__(self, path: str):
    self.path = path
    self._index = acquire.index_zip(path)

  def read(self, name: str) -> Optional[bytes]:
    return self._index.read(name) if self._index.member(name) else None

  def listdir(self, folder: str) -> Optional[List[str]]:
    return self._index.listdir(folder)

  def add_images(self, builder: records.EntriesBuilder, image_class: _Class,
                 folder: str, names: Sequence[str]) -> None:
    for name in names:
      builder.add_member(*image_class, self._index.member(folder + '/' + name))

  def where(self, name: str) -> str:
    return '%s:%s' % (self.path, name)


_Files = Union[_Tree, _Zip]


@dataclasses.dataclass(frozen=True)
class KaggleIndex:
  """A Kaggle source as its index lists it, checked.

  Attributes:
    path: the tree's directory, or the zip.
    splits: each split's entries, and where they are.
    fingerprint: {index file: its MD5} of those present.
    unlisted: per split, the images present that its index does not list.
    objects: in a store, {name: acquire.record_of} of the objects read (the index
      files, or the zip); set by the driver (_in_place.open_source).
  """
  path: str
  splits: _splits.ListedSplits
  fingerprint: Dict[str, str]
  unlisted: Dict[str, int]
  objects: Dict[str, Dict[str, Any]] = dataclasses.field(default_factory=dict)

  def counts(self) -> Dict[str, int]:
    """Images per split."""
    return {split: len(entries) for split, entries in self.splits.entries.items()}

  def counts_line(self) -> str:
    """The one line of what will be converted."""
    counts = self.counts()
    parts = ['%d train images of %d classes (%s)' % (
        counts[records.TRAIN], len(set(self.splits.entries[records.TRAIN].labels)),
        TRAIN_LIST), '%d validation images (%s)' % (counts[records.VALIDATION],
                                                    VALIDATION_SOLUTION)]
    if records.TEST in counts:
      parts.append('%d test images (%s)' % (counts[records.TEST], TEST_LIST))
    left_out = sum(self.unlisted.values())
    return 'Kaggle source %s, as its index lists it: %s%s' % (
        self.path, ', '.join(parts),
        '; %d images present but not listed are left out' % left_out
        if left_out else '')


def box_sources(path: str, zipped: bool
                ) -> Tuple[Union[str, annotations.ZipXmls], ...]:
  """The train and validation box XMLs: the tree's folders, or the zip's."""
  folders = ['%s/%s' % (ANNOTATIONS_DIR, FOLDERS[split])
             for split in (records.TRAIN, records.VALIDATION)]
  if zipped:
    return tuple(annotations.ZipXmls(path, folder) for folder in folders)
  return tuple(core.join(path, folder) for folder in folders)


def read_kaggle(path: str, zipped: bool, labels: label_files.LabelFiles,
                with_test: bool = False) -> KaggleIndex:
  """Reads and checks the source's index (the module's docstring).

  Args:
    path: the tree's directory, or the zip.
    zipped: whether `path` is the zip.
    labels: the run's label files: the synsets, their texts, the validation labels.
    with_test: also the test split.

  Raises:
    convert.ConversionError: an index file missing or malformed, a listed image or a
      class directory missing, an image listed twice, a class not in the synsets file,
      or a validation image whose class the two sources give differently.
    acquire.CorruptArchiveError: a zip whose directory cannot be read.
  """
  files = _Zip(path) if zipped else _Tree(path)
  index_files = {name: files.read(name) for name in INDEX_FILES}
  synsets, texts = _splits.imagenet_classes(labels)
  classes = [(label, synset, text)
             for label, (synset, text) in enumerate(zip(synsets, texts), 1)]
  _check_mapping(_text(files, index_files, SYNSET_MAPPING), synsets, files,
                 labels.synsets_path())
  unlisted = {}
  entries = {
      records.TRAIN: _train_entries(files, _text(files, index_files, TRAIN_LIST),
                                    classes, unlisted),
      records.VALIDATION: _validation_entries(
          files, _text(files, index_files, VALIDATION_SOLUTION), classes,
          labels.validation_labels_path(), unlisted),
  }
  if with_test:
    entries[records.TEST] = _test_entries(
        files, _text(files, index_files, TEST_LIST), unlisted)
  where = {split: files.where('%s/%s' % (DATA_DIR, FOLDERS[split]))
           for split in entries}
  return KaggleIndex(
      path=path,
      splits=_splits.ListedSplits(convert.SplitPaths(**where), entries),
      fingerprint={name: hashlib.md5(data).hexdigest()
                   for name, data in index_files.items() if data is not None},
      unlisted=unlisted)


def _text(files: _Files, index_files: Mapping[str, Optional[bytes]],
          name: str) -> str:
  data = index_files[name]
  if data is None:
    raise convert.ConversionError('%s is missing: Kaggle\'s index of what the source '
                                  'holds' % files.where(name))
  try:
    return data.decode('utf-8-sig')
  except UnicodeDecodeError as e:
    raise convert.ConversionError('%s is not UTF-8 text (%s)' %
                                  (files.where(name), e)) from None


def _check_mapping(text: str, synsets: Sequence[str], files: _Files,
                   synsets_path: str) -> None:
  """LOC_synset_mapping.txt must list the synsets file's wnids, each once."""
  wnids = [line.split(None, 1)[0] for line in text.splitlines() if line.strip()]
  where = files.where(SYNSET_MAPPING)
  _refuse_duplicates(wnids, where)
  only_mapping = sorted(set(wnids) - set(synsets))
  only_synsets = sorted(set(synsets) - set(wnids))
  if only_mapping or only_synsets:
    raise convert.ConversionError(
        '%s lists %d wnids, the synsets file %s %d, not the same ones: %d only in '
        'the first (first: %s), %d only in the synsets file (first: %s)' % (
            where, len(wnids), synsets_path, len(synsets), len(only_mapping),
            ', '.join(only_mapping[:3]) or '-', len(only_synsets),
            ', '.join(only_synsets[:3]) or '-'))


def _refuse_duplicates(names: Sequence[str], where: str) -> None:
  twice = [name for name, count in collections.Counter(names).items() if count > 1]
  if twice:
    raise convert.ConversionError('%s lists %s twice%s' % (
        where, twice[0], ' (and %d more names)' % (len(twice) - 1)
        if len(twice) > 1 else ''))


def _train_entries(files: _Files, text: str, classes: Sequence[_Class],
                   unlisted: Dict[str, int]) -> records.ShardEntries:
  """train_cls.txt's images, class by class in label order."""
  where = files.where(TRAIN_LIST)
  listed: Dict[str, List[str]] = {}
  for number, line in enumerate(text.splitlines(), 1):
    fields = line.split()
    if not fields:
      continue
    wnid, slash, stem = fields[0].partition('/')
    if not (wnid and slash and stem) or '/' in stem:
      raise convert.ConversionError('%s line %d: %r is not <wnid>/<image name>' %
                                    (where, number, fields[0]))
    listed.setdefault(wnid, []).append(stem + IMAGE_EXTENSION)
  builder = records.EntriesBuilder()
  unlisted[records.TRAIN] = 0
  for image_class in classes:
    names = sorted(listed.pop(image_class[1], ()))
    _refuse_duplicates(names, where)
    folder = '%s/%s/%s' % (DATA_DIR, FOLDERS[records.TRAIN], image_class[1])
    unlisted[records.TRAIN] += _check_present(files, folder, names, TRAIN_LIST)
    files.add_images(builder, image_class, folder, names)
  if listed:
    raise convert.ConversionError('%s lists images of %s, which is not in %s' % (
        where, sorted(listed)[0], SYNSET_MAPPING))
  return builder.build()


def _check_present(files: _Files, folder: str, names: Sequence[str],
                   index_name: str) -> int:
  """Checks that `folder` holds each of `names` (its index lists them); returns how
  many other images it holds.

  Raises:
    convert.ConversionError: the folder or one of the files is missing.
  """
  present = files.listdir(folder)
  if present is None:
    raise convert.ConversionError('%s/ is missing (%s lists %d images in it)' % (
        files.where(folder), index_name, len(names)))
  present = set(present)
  missing = [name for name in names if name not in present]
  if missing:
    raise convert.ConversionError('%s lists %s, which is missing%s' % (
        index_name, files.where(folder + '/' + missing[0]),
        ' (and %d more)' % (len(missing) - 1) if len(missing) > 1 else ''))
  return sum(1 for name in present - set(names) if convert.is_image(name))


def _validation_entries(files: _Files, text: str, classes: Sequence[_Class],
                        labels_path: str,
                        unlisted: Dict[str, int]) -> records.ShardEntries:
  """LOC_val_solution.csv's images, each of its row's first wnid's class, which the
  validation label file (`labels_path`) gives too where it names the image."""
  where = files.where(VALIDATION_SOLUTION)
  class_of = {image_class[1]: image_class for image_class in classes}
  labelled = annotations.validation_image_synsets(
      label_files.read_validation_labels(labels_path))
  by_class: Dict[str, List[str]] = {}
  for image_id, wnid in _solution_rows(text, where):
    filename = image_id + IMAGE_EXTENSION
    if wnid not in class_of:
      raise convert.ConversionError('%s: %s is of class %s, which is not in %s' % (
          where, image_id, wnid, SYNSET_MAPPING))
    other = labelled.get(filename)
    if other is not None and other != wnid:
      raise convert.ConversionError(
          '%s: of class %s in %s, of class %s in the validation label file %s' % (
              filename, wnid, where, other, labels_path))
    by_class.setdefault(wnid, []).append(filename)
  folder = '%s/%s' % (DATA_DIR, FOLDERS[records.VALIDATION])
  names = sorted(name for class_names in by_class.values() for name in class_names)
  _refuse_duplicates(names, where)
  unlisted[records.VALIDATION] = _check_present(files, folder, names,
                                                VALIDATION_SOLUTION)
  builder = records.EntriesBuilder()
  for image_class in classes:
    if image_class[1] in by_class:
      files.add_images(builder, image_class, folder, sorted(by_class[image_class[1]]))
  return builder.build()


def _solution_rows(text: str, where: str) -> List[Tuple[str, str]]:
  """(ImageId, the first wnid of its PredictionString) of each row."""
  lines = text.splitlines()
  if not lines or lines[0].strip() != SOLUTION_HEADER:
    raise convert.ConversionError('%s: the first line is %r, not %r' % (
        where, lines[0] if lines else '', SOLUTION_HEADER))
  rows = []
  for number, line in enumerate(lines[1:], 2):
    if not line.strip():
      continue
    image_id, comma, prediction = line.partition(',')
    fields = prediction.split()
    if not (comma and image_id.strip() and fields):
      raise convert.ConversionError('%s line %d: %r gives no class (expected '
                                    '%s)' % (where, number, line, SOLUTION_HEADER))
    rows.append((image_id.strip(), fields[0]))
  return rows


def _test_entries(files: _Files, text: str,
                  unlisted: Dict[str, int]) -> records.ShardEntries:
  """test.txt's images, unlabelled."""
  names = sorted(line.split()[0] + IMAGE_EXTENSION for line in text.splitlines()
                 if line.strip())
  _refuse_duplicates(names, files.where(TEST_LIST))
  folder = '%s/%s' % (DATA_DIR, FOLDERS[records.TEST])
  unlisted[records.TEST] = _check_present(files, folder, names, TEST_LIST)
  builder = records.EntriesBuilder()
  files.add_images(builder, (records.UNLABELLED, '', ''), folder, names)
  return builder.build()
