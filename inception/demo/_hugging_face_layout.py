"""A mini ImageNet laid out as Hugging Face ships it: parquet, or the older tar.gz.

Hugging Face's dataset `ILSVRC/imagenet-1k` (docs/SOURCES.md, from the publisher's
description):
  data/train-000NN-of-000MM.parquet, data/validation-..., data/test-...
      columns `image`, a struct of `bytes` (the original file) and `path`
      (`<official stem>_<wnid>.JPEG`; the plain name for a test image), and `label`
      (int64: the wnid's index in the sorted wnids; -1 for test). Rows are not in
      class order; row groups are small (datasets writes image datasets in groups
      of 100 rows).
  data/train_images_0.tar.gz ... train_images_4.tar.gz, data/val_images.tar.gz,
  data/test_images.tar.gz (older revisions): flat members with the same names.
`write_hf_parquet` and `write_hf_targz` write them from the images of a
`generate()`d fixture, so every image keeps its bytes (the PNG under a .JPEG name,
...). Each split is shuffled with the config's seed (the same order in both layouts:
the parquet files were made from the tarballs), then cut into the configured number
of files. Every file is written atomically; the same fixture and config give the same
bytes (with the pinned pyarrow, whose version the parquet footer names).
"""

import dataclasses
import gzip
import json
import os
from typing import Dict, List, Tuple

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq

from inception import core
from inception.demo import _fixture_images
from inception.demo import _mini_imagenet

DATA_DIR = 'data'
TEST_LABEL = -1
IMAGE_TYPE = pa.struct([('bytes', pa.binary()), ('path', pa.string())])
TRAIN_ARCHIVE_FORMAT = 'train_images_%d.tar.gz'
VALIDATION_ARCHIVE = 'val_images.tar.gz'
TEST_ARCHIVE = 'test_images.tar.gz'

_PARQUET_NAME_FORMAT = '%s-%05d-of-%05d.parquet'
# A separate random stream per split, so one split's size leaves the others' order.
_SPLIT_STREAMS = {_fixture_images.TRAIN: 1, _fixture_images.VALIDATION: 2,
                  _fixture_images.TEST: 3}
_GZIP_LEVEL = 6


@dataclasses.dataclass(frozen=True)
class ParquetConfig:
  """How many parquet files per split, rows per row group, and the shuffle's seed."""
  train_files: int = 3
  validation_files: int = 2
  test_files: int = 1
  row_group_size: int = 100
  seed: int = 0

  def __post_init__(self):
    for name in ('train_files', 'validation_files', 'test_files', 'row_group_size'):
      if getattr(self, name) < 1:
        raise ValueError('%s must be at least 1, got %d' % (name, getattr(self, name)))


@dataclasses.dataclass(frozen=True)
class TarGzConfig:
  """How many train archives (Hugging Face had 5), and the shuffle's seed."""
  train_archives: int = 5
  seed: int = 0

  def __post_init__(self):
    if self.train_archives < 1:
      raise ValueError('train_archives must be at least 1, got %d' %
                       self.train_archives)


@dataclasses.dataclass(frozen=True)
class HuggingFaceParquet:
  """The parquet layout written: files per split and where each image's row is."""
  directory: str  # Holds data/.
  files: Dict[str, List[str]]  # Split -> its parquet files (absolute), in order.
  rows: Dict[str, Tuple[str, int]]  # Official image name -> (its file, row in it).
  counts: Dict[str, int]  # Images per split ('train', 'validation', 'test').


@dataclasses.dataclass(frozen=True)
class HuggingFaceTarGz:
  """The tar.gz layout written: archives per split and each image's member."""
  directory: str  # Holds data/.
  archives: Dict[str, List[str]]  # Split -> its archives (absolute), in order.
  members: Dict[str, Tuple[str, str]]  # Official image name -> (archive, member).
  counts: Dict[str, int]


def hugging_face_name(image: _fixture_images.SourceImage) -> str:
  """`<official stem>_<wnid>.JPEG`, or the official name of a test image."""
  if image.synset is None:
    return image.filename
  return '%s_%s.JPEG' % (image.stem, image.synset)


def _shuffled_parts(images: List[_fixture_images.SourceImage], split: str, seed: int,
                    num_parts: int) -> List[List[_fixture_images.SourceImage]]:
  """The split's images in a seeded order, cut into `num_parts` near-equal runs."""
  if num_parts > len(images):
    raise ValueError('cannot spread %d %s images over %d files' %
                     (len(images), split, num_parts))
  order = np.random.default_rng([seed, _SPLIT_STREAMS[split]]).permutation(len(images))
  shuffled = [images[i] for i in order]
  return [shuffled[part * len(images) // num_parts:
                   (part + 1) * len(images) // num_parts]
          for part in range(num_parts)]


def _schema(class_texts: List[str]) -> pa.Schema:
  """image and label, with the features metadata the datasets library writes."""
  features = {'image': {'_type': 'Image'},
              'label': {'names': class_texts, '_type': 'ClassLabel'}}
  return pa.schema([('image', IMAGE_TYPE), ('label', pa.int64())],
                   metadata={'huggingface': json.dumps(
                       {'info': {'features': features}})})


def _write_parquet(path: str, images: List[_fixture_images.SourceImage],
                   labels: Dict[str, int], schema: pa.Schema,
                   row_group_size: int) -> None:
  """One parquet file of `images`, a row group per `row_group_size` rows."""
  with core.atomic_output(path, 'wb') as f, _fixture_images.ImageReader() as reader:
    with pq.ParquetWriter(f, schema) as writer:
      for start in range(0, len(images), row_group_size):
        group = images[start:start + row_group_size]
        writer.write_table(pa.Table.from_pydict({
            'image': [{'bytes': reader.read(image), 'path': hugging_face_name(image)}
                      for image in group],
            'label': [labels.get(image.synset, TEST_LABEL) for image in group],
        }, schema=schema), row_group_size=row_group_size)


def write_hf_parquet(fixture: _mini_imagenet.Fixture, output_dir: str,
                     config: ParquetConfig = ParquetConfig()) -> HuggingFaceParquet:
  """Writes the fixture as Hugging Face's parquet files into `<output_dir>/data/`."""
  images = _fixture_images.read_fixture(fixture)
  data_dir = os.path.abspath(os.path.join(output_dir, DATA_DIR))
  core.makedirs(data_dir)
  labels = {synset: index for index, synset in enumerate(images.synsets)}
  schema = _schema(images.class_texts)
  num_files = {_fixture_images.TRAIN: config.train_files,
               _fixture_images.VALIDATION: config.validation_files,
               _fixture_images.TEST: config.test_files}
  files, rows = {}, {}
  for split, split_images in images.splits.items():
    parts = _shuffled_parts(split_images, split, config.seed, num_files[split])
    files[split] = []
    for index, part in enumerate(parts):
      path = os.path.join(data_dir, _PARQUET_NAME_FORMAT % (split, index, len(parts)))
      _write_parquet(path, part, labels, schema, config.row_group_size)
      files[split].append(path)
      rows.update((image.filename, (path, row)) for row, image in enumerate(part))
  return HuggingFaceParquet(
      directory=os.path.abspath(output_dir), files=files, rows=rows,
      counts=images.counts())


def _write_targz(path: str, images: List[_fixture_images.SourceImage]) -> None:
  """A gzipped tar of `images` under their Hugging Face names, in the given order."""
  with core.atomic_output(path, 'wb') as f, _fixture_images.ImageReader() as reader:
    # No file name and time in the gzip header: the same images give the same bytes.
    with gzip.GzipFile(filename='', mode='wb', fileobj=f, mtime=0,
                       compresslevel=_GZIP_LEVEL) as compressed:
      with _mini_imagenet.tar_stream(compressed) as archive:
        for image in images:
          _mini_imagenet.add_tar_member(archive, hugging_face_name(image),
                                        reader.read(image))


def write_hf_targz(fixture: _mini_imagenet.Fixture, output_dir: str,
                   config: TarGzConfig = TarGzConfig()) -> HuggingFaceTarGz:
  """Writes the fixture as Hugging Face's older tar.gz files into <output_dir>/data/."""
  images = _fixture_images.read_fixture(fixture)
  data_dir = os.path.abspath(os.path.join(output_dir, DATA_DIR))
  core.makedirs(data_dir)
  names = {_fixture_images.TRAIN: [TRAIN_ARCHIVE_FORMAT % index
                                   for index in range(config.train_archives)],
           _fixture_images.VALIDATION: [VALIDATION_ARCHIVE],
           _fixture_images.TEST: [TEST_ARCHIVE]}
  archives, members = {}, {}
  for split, split_images in images.splits.items():
    parts = _shuffled_parts(split_images, split, config.seed, len(names[split]))
    archives[split] = []
    for name, part in zip(names[split], parts):
      path = os.path.join(data_dir, name)
      _write_targz(path, part)
      archives[split].append(path)
      members.update((image.filename, (path, hugging_face_name(image)))
                     for image in part)
  return HuggingFaceTarGz(
      directory=os.path.abspath(output_dir), archives=archives, members=members,
      counts=images.counts())
