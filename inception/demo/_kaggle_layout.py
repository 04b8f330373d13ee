"""A mini ImageNet laid out as Kaggle ships it: the tree, or the zip that holds it.

Kaggle's competition `imagenet-object-localization-challenge` is one zip,
`imagenet-object-localization-challenge.zip`, whose members are this tree
(docs/SOURCES.md, from the publisher's description):
  LOC_synset_mapping.txt   `<wnid> <text>` per class, sorted by wnid
  LOC_train_solution.csv   `ImageId,PredictionString`: one row per train image with
                           boxes, PredictionString the groups `wnid xmin ymin xmax
                           ymax` (absolute pixels) joined by spaces
  LOC_val_solution.csv     the same, one row per validation image
  LOC_sample_submission.csv
  ILSVRC/Data/CLS-LOC/train/<wnid>/<wnid>_<n>.JPEG
  ILSVRC/Data/CLS-LOC/val/ILSVRC2012_val_<8 digits>.JPEG       (flat)
  ILSVRC/Data/CLS-LOC/test/ILSVRC2012_test_<8 digits>.JPEG
  ILSVRC/Annotations/CLS-LOC/{train/<wnid>,val}/<stem>.xml     the box archives' XMLs
  ILSVRC/ImageSets/CLS-LOC/train_cls.txt   `<wnid>/<stem> <n>`, n from 1
                           train_loc.txt   the same, for the train images with boxes
                           val.txt, test.txt   `<stem> <n>`
`write_kaggle_tree` writes the tree (each file atomically), `write_kaggle_zip` the zip
(atomically; every member deflated, as Kaggle's; `zip64=True` gives every member a
zip64 local header). Both take the images, XMLs and classes of a `generate()`d
fixture, so every image keeps its bytes; the same fixture gives the same bytes.
The solution files' rows come in a seeded order, not sorted: the publisher promises
no order. Test images, `test.txt` and the sample submission's rows come only with a
fixture's test images; the sample submission's prediction is a placeholder.
"""

import dataclasses
import os
import zipfile
from typing import Dict, Iterator, List, Tuple, Union
from xml.etree import ElementTree

import numpy as np

from inception import core
from inception.demo import _fixture_images
from inception.demo import _mini_imagenet

KAGGLE_ZIP = 'imagenet-object-localization-challenge.zip'
SYNSET_MAPPING = 'LOC_synset_mapping.txt'
TRAIN_SOLUTION = 'LOC_train_solution.csv'
VALIDATION_SOLUTION = 'LOC_val_solution.csv'
SAMPLE_SUBMISSION = 'LOC_sample_submission.csv'
SOLUTION_HEADER = 'ImageId,PredictionString'
DATA_DIR = 'ILSVRC/Data/CLS-LOC'
ANNOTATIONS_DIR = 'ILSVRC/Annotations/CLS-LOC'
IMAGE_SETS_DIR = 'ILSVRC/ImageSets/CLS-LOC'

# The zip members' time (2012-05-01, as the fixture's tar headers) and permissions.
_ZIP_DATE_TIME = (2012, 5, 1, 0, 0, 0)
_ZIP_FILE_MODE = 0o644
# The seed of the solution files' row order.
_ROW_ORDER_SEED = 21

_FOLDERS = {_fixture_images.TRAIN: 'train', _fixture_images.VALIDATION: 'val',
            _fixture_images.TEST: 'test'}
# A file of the tree: its bytes, or the fixture image whose bytes it holds.
_Content = Union[bytes, _fixture_images.SourceImage]


@dataclasses.dataclass(frozen=True)
class KaggleSource:
  """A Kaggle layout written from a fixture: the tree's directory, or the zip.

  Relative paths in the tree are the zip's member names.
  """
  path: str  # The directory holding the tree, or the zip file.
  images: Dict[str, str]  # Official image name -> its relative path.
  annotations: Dict[str, str]  # Image stem -> its XML's relative path.
  counts: Dict[str, int]  # Images per split ('train', 'validation', 'test').
  members: List[str]  # Every file's relative path, sorted: the order written.


def _objects(xml: bytes) -> List[str]:
  """`name xmin ymin xmax ymax` of each <object> of a box XML, values as written."""
  return [' '.join([obj.findtext('name')] + [
      obj.findtext('bndbox/' + key) for key in ('xmin', 'ymin', 'xmax', 'ymax')])
          for obj in ElementTree.fromstring(xml).findall('object')]


def _solution_csv(xml_by_stem: Dict[str, bytes], stems: List[str],
                  stream: int) -> bytes:
  """A LOC_*_solution.csv: one row per stem that has an XML, in a seeded order."""
  rows = ['%s,%s\n' % (stem, ' '.join(_objects(xml_by_stem[stem])))
          for stem in stems if stem in xml_by_stem]
  order = np.random.default_rng([_ROW_ORDER_SEED, stream]).permutation(len(rows))
  return (SOLUTION_HEADER + '\n' + ''.join(rows[i] for i in order)).encode()


def _numbered(names: List[str]) -> bytes:
  """An ImageSets list: `<name> <n>` per line, n from 1."""
  return ''.join('%s %d\n' % (name, n) for n, name in enumerate(names, 1)).encode()


def _image_path(split: str, image: _fixture_images.SourceImage) -> str:
  """Where the tree keeps an image: train/<wnid>/, flat val/ and test/."""
  if split == _fixture_images.TRAIN:
    return '%s/train/%s/%s' % (DATA_DIR, image.synset, image.filename)
  return '%s/%s/%s' % (DATA_DIR, _FOLDERS[split], image.filename)


def _annotation_paths(images: _fixture_images.FixtureImages
                      ) -> Dict[str, Tuple[str, bytes]]:
  """{image stem: (where the tree keeps its XML, the XML)}: train/<wnid>/, val/."""
  paths = {}
  for image in images.splits[_fixture_images.TRAIN]:
    if image.stem in images.train_xml:
      paths[image.stem] = ('%s/train/%s/%s.xml' % (
          ANNOTATIONS_DIR, image.synset, image.stem), images.train_xml[image.stem])
  for image in images.splits[_fixture_images.VALIDATION]:
    paths[image.stem] = ('%s/val/%s.xml' % (ANNOTATIONS_DIR, image.stem),
                         images.validation_xml[image.stem])
  return paths


def _index_files(images: _fixture_images.FixtureImages) -> Dict[str, bytes]:
  """The tree's text files: the LOC_* files and the ImageSets lists."""
  train = images.splits[_fixture_images.TRAIN]
  validation = images.splits[_fixture_images.VALIDATION]
  test = images.splits.get(_fixture_images.TEST, [])
  train_ids = ['%s/%s' % (image.synset, image.stem) for image in train]
  files = {
      SYNSET_MAPPING: ''.join('%s %s\n' % pair for pair in zip(
          images.synsets, images.class_texts)).encode(),
      TRAIN_SOLUTION: _solution_csv(images.train_xml, [i.stem for i in train], 1),
      VALIDATION_SOLUTION: _solution_csv(images.validation_xml,
                                         [i.stem for i in validation], 2),
      SAMPLE_SUBMISSION: (SOLUTION_HEADER + '\n' + ''.join(
          '%s,%s 0 0 0 0\n' % (image.stem, images.synsets[0])
          for image in test)).encode(),
      IMAGE_SETS_DIR + '/train_cls.txt': _numbered(train_ids),
      IMAGE_SETS_DIR + '/train_loc.txt': _numbered(
          [name for name, image in zip(train_ids, train)
           if image.stem in images.train_xml]),
      IMAGE_SETS_DIR + '/val.txt': _numbered([image.stem for image in validation]),
  }
  if test:
    files[IMAGE_SETS_DIR + '/test.txt'] = _numbered([image.stem for image in test])
  return files


def _contents(images: _fixture_images.FixtureImages) -> Dict[str, _Content]:
  """{relative path: its bytes, or the image whose bytes go there} of the tree."""
  contents: Dict[str, _Content] = dict(_index_files(images))
  contents.update(_annotation_paths(images).values())
  contents.update((_image_path(split, image), image)
                  for split, split_images in images.splits.items()
                  for image in split_images)
  return contents


def _layout(images: _fixture_images.FixtureImages, contents: Dict[str, _Content],
            path: str) -> KaggleSource:
  """Where the tree (or zip) at `path` keeps each image and XML."""
  return KaggleSource(
      path=path,
      images={content.filename: name for name, content in contents.items()
              if isinstance(content, _fixture_images.SourceImage)},
      annotations={stem: name
                   for stem, (name, _) in _annotation_paths(images).items()},
      counts=images.counts(),
      members=sorted(contents))


def _files(contents: Dict[str, _Content]) -> Iterator[Tuple[str, bytes]]:
  """(relative path, bytes) of every file of the tree, in path order."""
  with _fixture_images.ImageReader() as reader:
    for name in sorted(contents):
      content = contents[name]
      yield name, content if isinstance(content, bytes) else reader.read(content)


def write_kaggle_tree(fixture: _mini_imagenet.Fixture, output_dir: str) -> KaggleSource:
  """Writes the fixture as Kaggle's unpacked tree into `output_dir`, file by file."""
  images = _fixture_images.read_fixture(fixture)
  contents = _contents(images)
  layout = _layout(images, contents, os.path.abspath(output_dir))
  made = set()
  for name, data in _files(contents):
    path = os.path.join(layout.path, name)
    directory = os.path.dirname(path)
    if directory not in made:
      core.makedirs(directory)
      made.add(directory)
    core.write_bytes(path, data)
  return layout


def write_kaggle_zip(fixture: _mini_imagenet.Fixture, output_dir: str,
                     zip64: bool = False) -> KaggleSource:
  """Writes `<output_dir>/imagenet-object-localization-challenge.zip` atomically.

  Every member is deflated and has a fixed time; there are no directory entries.
  `zip64` gives every member a zip64 local header (zipfile's force_zip64), a form
  a reader of the real zip (over 150 GB) must accept; the central directory stays
  plain (zipfile writes zip64 records there only for archives over 4 GiB or with
  more than 65,535 members).
  """
  core.makedirs(output_dir)
  images = _fixture_images.read_fixture(fixture)
  contents = _contents(images)
  layout = _layout(images, contents,
                   os.path.abspath(os.path.join(output_dir, KAGGLE_ZIP)))
  with core.atomic_output(layout.path, 'wb') as f:
    with zipfile.ZipFile(f, 'w', compression=zipfile.ZIP_DEFLATED) as archive:
      for name, data in _files(contents):
        info = zipfile.ZipInfo(name, date_time=_ZIP_DATE_TIME)
        info.compress_type = zipfile.ZIP_DEFLATED
        info.external_attr = _ZIP_FILE_MODE << 16
        with archive.open(info, 'w', force_zip64=zip64) as member:
          member.write(data)
  return layout
