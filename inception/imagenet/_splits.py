"""ImageNet's splits: where their images are, how they are labelled and boxed.

A split's images come from its directory or, read in place, from its ILSVRC2012
tarball (one pass over the tar's headers, nothing extracted); both give the same
records in the same order:
- train: `<dir>/<synset>/*.JPEG` (`find_imagenet_entries`; also .jpg/.jpeg/.png in
  any case), or ILSVRC2012_img_train.tar's inner class tars (`train_tar_entries`);
- validation: the same folders once relabelled, or ILSVRC2012_img_val.tar, each image
  getting its synset from the validation label file (`validation_tar_entries`);
- test: a flat folder or the test tar, unlabelled (`test_directory_entries`,
  `test_tar_entries`).
Label = 1 + the synset's line in the synsets file, text from the metadata file
(`imagenet_classes`); the boxes are the merged box CSVs (`read_bounding_boxes`), found
by file name or stem (convert.plan_split). `convert_imagenet` does it all on the
converter of inception.convert; `convert_listed` the same for splits a source's own
index listed (`ListedSplits`: Kaggle's tree or zip, Hugging Face's files).
"""

import dataclasses
from typing import AbstractSet, Any, Dict, Iterable, List, Mapping, Optional, Sequence, Set, Tuple

from absl import logging

from inception import acquire
from inception import annotations
from inception import convert
from inception import label_files
from inception import records

# ImageNet's shard counts (the original's 1024 and 128, and 100 for the test split).
SHARD_COUNTS = convert.ShardCounts(records.IMAGENET_TRAIN_SHARDS,
                                   records.IMAGENET_VALIDATION_SHARDS,
                                   records.IMAGENET_TEST_SHARDS)


@dataclasses.dataclass(frozen=True)
class SplitSources:
  """Where each split's images are: its directory or its tarball (not both).

  Attributes:
    directories: per split, `<dir>/<synset>/` folders (flat for the test split).
    tarballs: per split, its ILSVRC2012 tarball, read in place.
    verification_records: {tarball: the path its verification records are named
      after} for tarballs whose records are not beside them (objects in a store:
      acquire's index `record`).

  Raises:
    ValueError: a split is given both a directory and a tarball.
  """
  directories: convert.SplitPaths = convert.SplitPaths()
  tarballs: convert.SplitPaths = convert.SplitPaths()
  verification_records: Mapping[str, str] = dataclasses.field(default_factory=dict)

  def __post_init__(self):
    for field in dataclasses.fields(convert.SplitPaths):
      if getattr(self.directories, field.name) and getattr(self.tarballs, field.name):
        raise ValueError('give each split a directory or a tarball, not both')

  def paths(self) -> convert.SplitPaths:
    """Per split, the directory or the tarball it has."""
    directories, tarballs = self.directories, self.tarballs
    return convert.SplitPaths(train=directories.train or tarballs.train,
                              validation=directories.validation or tarballs.validation,
                              test=directories.test or tarballs.test)

  def tarball_paths(self) -> Set[str]:
    """The tarballs given."""
    return {self.tarballs.train, self.tarballs.validation, self.tarballs.test} - {None}


@dataclasses.dataclass(frozen=True)
class ListedSplits:
  """Splits whose images a source's own index lists (Kaggle's tree or zip, Hugging
  Face's files): each split's entries, found and checked before any work, and where
  they are.

  Attributes:
    paths: per split, where its images are (for messages; None: not converted).
    entries: per split given a path, its entries (sources: files, or archive
      members read in place), or a convert.SpooledEntries (Hugging Face's: spooled
      in one pass before its shards are written).
  """
  paths: convert.SplitPaths
  entries: Mapping[str, Any]


def imagenet_classes(labels: label_files.LabelFiles) -> Tuple[List[str], List[str]]:
  """The synsets (label order) and their texts, from the run's label files."""
  synsets = label_files.read_synsets(labels.synsets_path())
  metadata_file = labels.metadata_path()
  texts = label_files.class_texts(synsets, label_files.read_metadata(metadata_file),
                                  source=metadata_file)
  return synsets, texts


def find_imagenet_entries(directory: str, synsets: Sequence[str],
                          texts: Sequence[str],
                          optional: AbstractSet[str] = frozenset()
                          ) -> records.ShardEntries:
  """Lists `<directory>/<synset>/` images; label = 1 + the synset's index. The
  directory of a synset in `optional` may be missing: in the validation split, those
  its label file does not name (none in ImageNet's, some in a subset's).

  Returns:
    The entries as columns (records.ShardEntries, a sequence of ImageEntry), sorted
    by (label, filename): the sorted file list that is shuffled.

  Raises:
    ConversionError: a class directory is missing or holds no image.
  """
  return convert.find_class_entries(directory, _classes(synsets, texts), optional)


def train_tar_entries(members_by_synset: Mapping[str, Sequence[Any]],
                      synsets: Sequence[str], texts: Sequence[str],
                      archive: str) -> records.ShardEntries:
  """The train entries read in place from the train tar, as find_imagenet_entries
  lists them from its extracted directory (the members as columns: offsets and sizes).

  Args:
    members_by_synset: acquire.index_train_tar(archive).
    archive: the tar's path, for messages.

  Raises:
    ConversionError: a class has no image in the tar.
  """
  builder = records.EntriesBuilder()
  for label, (_, synset, text) in enumerate(_classes(synsets, texts), 1):
    members = convert.image_members(members_by_synset.get(synset, ()))
    if not members:
      raise convert.ConversionError(
          '%s holds no image of class %s (%s.tar missing or empty)' %
          (archive, synset, synset))
    for member in members:
      builder.add_member(label, synset, text, member)
  return builder.build()


def validation_tar_entries(members: Sequence[Any], labels: Sequence[str],
                           synsets: Sequence[str], texts: Sequence[str],
                           archive: str) -> records.ShardEntries:
  """The validation entries read in place; each image's synset from the label list.

  Args:
    members: acquire.index_flat_tar(archive).
    labels: the validation label file's lines (label_files.read_validation_labels).
    archive: the tar's path, for messages.

  Raises:
    ConversionError: the tar's images are not those the labels name, or an image's
      synset is not in `synsets`.
  """
  expected = annotations.validation_image_synsets(labels)
  problem = validation_members_problem(archive, (m.name for m in members), expected)
  if problem:
    raise convert.ConversionError(problem)
  label_of = {synset: label for label, synset in enumerate(synsets, 1)}
  builder = records.EntriesBuilder()
  for member in members:
    synset = expected[member.name]
    if synset not in label_of:
      raise convert.ConversionError(
          '%s: %s is labelled %s, which is not in the synsets file' %
          (archive, member.name, synset))
    label = label_of[synset]
    builder.add_member(label, synset, texts[label - 1], member)
  return builder.build()


def validation_members_problem(archive: str, names: Iterable[str],
                               expected: Mapping[str, str]) -> Optional[str]:
  """What is wrong with a validation tarball whose images are not those the
  validation label file names, or None.

  Args:
    archive: the tarball's path, for the message.
    names: its members' names.
    expected: annotations.validation_image_synsets of the label file.
  """
  present = set(names)
  missing = sorted(set(expected) - present)
  unexpected = sorted(present - set(expected))
  if not missing and not unexpected:
    return None
  return ('%s does not match the validation label file (%d images named there): '
          '%d missing (first: %s), %d unexpected (first: %s)' %
          (archive, len(expected), len(missing), ', '.join(missing[:3]) or '-',
           len(unexpected), ', '.join(unexpected[:3]) or '-'))


def test_directory_entries(directory: str) -> records.ShardEntries:
  """The test images of a flat directory (raw-data/test/*.JPEG), unlabelled.

  Raises:
    ConversionError: the directory is missing or holds no image.
  """
  return convert.find_unlabelled_entries(directory, 'test directory')


def test_tar_entries(members: Sequence[Any], archive: str) -> records.ShardEntries:
  """The test images read in place from the test tar, as test_directory_entries lists
  them from its extracted directory.

  Args:
    members: acquire.index_flat_tar(archive).
    archive: the tar's path, for messages.

  Raises:
    ConversionError: the tar holds no image.
  """
  images = convert.image_members(members)
  if not images:
    raise convert.ConversionError('%s holds no .jpeg/.jpg/.png image' % archive)
  builder = records.EntriesBuilder()
  for member in images:
    builder.add_member(records.UNLABELLED, '', '', member)
  return builder.build()


def read_bounding_boxes(paths: Sequence[str]) -> records.BoxTable:
  """Merges bounding-box CSVs (e.g. train and validation) into {filename: boxes}.

  The boxes are packed (records.BoxTable: no object per image or box; ImageNet:
  ~615,000 boxes of ~545,000 images), and plans cut their shards' boxes from it.

  Raises:
    ValueError: an image has boxes in two of the files.
  """
  table = records.BoxTable()
  ends = []  # (rows so far, path)
  for path in paths:
    boxes = annotations.read_boxes_csv(path)
    if len(table):
      for filename in boxes:
        row = table.index(filename)
        if row >= 0:
          origin = next(p for end, p in ends if row < end)
          raise ValueError('%s has boxes in both %s and %s' % (filename, origin, path))
    for filename, image_boxes in boxes.items():
      table.add(filename, image_boxes)
    ends.append((len(table), path))
    del boxes
  return table


def convert_imagenet(sources: SplitSources, output_directory: str,
                     options: convert.ConvertOptions,
                     labels: label_files.LabelFiles = label_files.LabelFiles(),
                     bounding_box_files: Sequence[str] = (),
                     shards: convert.ShardCounts = SHARD_COUNTS,
                     on_split_finished: Optional[convert.SplitCallback] = None
                     ) -> Dict[str, convert.SplitResult]:
  """Converts ImageNet: validation first, then train, then (if given) test.

  A split's images come from its directory or its tarball (SplitSources); a split
  with neither is skipped. Labels and texts come from `labels`' synsets and metadata
  files, a validation image read from its tarball gets its synset from its
  validation label file; the test split is unlabelled.

  Args:
    sources: where each split's images are.
    output_directory: where the shards go (local or any tf.io.gfile path).
    options: how to run the conversion.
    labels: the label files (unset: the shipped ones).
    bounding_box_files: box CSVs, merged (read_bounding_boxes).
    shards: each split's shard count.
    on_split_finished: called with each split's result as soon as it is complete.
  """
  synsets, texts = imagenet_classes(labels)
  tarballs = sources.tarball_paths()

  def find_entries(split: str, source: str) -> records.ShardEntries:
    if split == records.TEST and source not in tarballs:
      return test_directory_entries(source)
    if source not in tarballs and split == records.VALIDATION:
      return find_imagenet_entries(source, synsets, texts, set(synsets) - set(
          label_files.read_validation_labels(labels.validation_labels_path())))
    if source not in tarballs:
      return find_imagenet_entries(source, synsets, texts)
    logging.info('Indexing %s (one pass over the headers)', source)
    record = sources.verification_records.get(source)
    if split == records.TEST:
      return test_tar_entries(acquire.index_flat_tar(source, record), source)
    if split == records.TRAIN:
      return train_tar_entries(acquire.index_train_tar(source, record=record),
                               synsets, texts, source)
    return validation_tar_entries(
        acquire.index_flat_tar(source, record),
        label_files.read_validation_labels(labels.validation_labels_path()), synsets,
        texts, source)

  return convert.convert_splits(
      convert.splits_in_order(sources.paths(), shards), find_entries,
      output_directory, read_bounding_boxes(bounding_box_files), options,
      records.IMAGENET_FORMAT, on_split_finished)


def convert_listed(listed: ListedSplits, output_directory: str,
                   options: convert.ConvertOptions,
                   bounding_box_files: Sequence[str] = (),
                   shards: convert.ShardCounts = SHARD_COUNTS,
                   on_split_finished: Optional[convert.SplitCallback] = None
                   ) -> Dict[str, convert.SplitResult]:
  """Converts splits a source's index listed, as convert_imagenet converts the
  tarballs': validation, train, then test; boxed from the box CSVs."""
  return convert.convert_splits(
      convert.splits_in_order(listed.paths, shards),
      lambda split, unused_path: listed.entries[split], output_directory,
      read_bounding_boxes(bounding_box_files), options, records.IMAGENET_FORMAT,
      on_split_finished)


def _classes(synsets: Sequence[str], texts: Sequence[str]
             ) -> List[convert.ImageClass]:
  """ImageNet's classes: a folder per synset, named by it; label order is theirs."""
  if len(synsets) != len(texts):
    raise ValueError('%d synsets but %d texts' % (len(synsets), len(texts)))
  return [convert.ImageClass(synset, synset, text)
          for synset, text in zip(synsets, texts)]
