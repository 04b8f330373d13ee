"""A generated mini ImageNet's images and label data, for writing it in other layouts.

The layout generators (_kaggle_layout, _hugging_face_layout) write the images of a
`generate()`d fixture the way other publishers ship ImageNet. They take every image
from the fixture's own tars, so each keeps its bytes (the PNG under a .JPEG name, the
CMYK JPEG, ...): `read_fixture` indexes the image tars (`acquire`'s tar index: each
member's offset and size, no image read) and reads the box XMLs and the class texts;
an `ImageReader` then reads any image at its offset, in any order (the Hugging Face
layouts shuffle).
"""

import dataclasses
import os
import tarfile
from typing import Dict, IO, List, Optional

from inception import acquire
from inception import core
from inception import label_files
from inception.demo import _mini_imagenet

TRAIN = 'train'
VALIDATION = 'validation'
TEST = 'test'


@dataclasses.dataclass(frozen=True)
class SourceImage:
  """One image of the fixture: its official name, its class, where its bytes lie."""
  filename: str  # Official: n01440764_10026.JPEG, ILSVRC2012_val_00000001.JPEG.
  synset: Optional[str]  # None for a test image.
  archive: str  # The uncompressed tar that holds it.
  offset: int
  size: int

  @property
  def stem(self) -> str:
    return os.path.splitext(self.filename)[0]


@dataclasses.dataclass(frozen=True)
class FixtureImages:
  """A fixture's images per split (in the official order), box XMLs and classes."""
  synsets: List[str]  # Sorted: a class's index here is its Hugging Face label.
  class_texts: List[str]  # Per synset, e.g. 'tench, Tinca tinca'.
  splits: Dict[str, List[SourceImage]]  # TRAIN, VALIDATION and, with tests, TEST.
  train_xml: Dict[str, bytes]  # Image stem -> its box XML, as in the box archive.
  validation_xml: Dict[str, bytes]

  def counts(self) -> Dict[str, int]:
    """Images per split."""
    return {split: len(images) for split, images in self.splits.items()}


def _source_image(member, synset: Optional[str]) -> SourceImage:
  """The SourceImage of an `acquire` tar index entry (name, archive_path, offset,
  size)."""
  return SourceImage(member.name, synset, member.archive_path, member.offset,
                     member.size)


def _xml_by_stem(box_archive: str) -> Dict[str, bytes]:
  """{image stem: XML bytes} of a gzipped box archive (members <folder>/<stem>.xml)."""
  with tarfile.open(box_archive, 'r:gz') as archive:
    return {os.path.splitext(os.path.basename(m.name))[0]:
            archive.extractfile(m).read() for m in archive if m.isfile()}


def read_fixture(fixture: _mini_imagenet.Fixture) -> FixtureImages:
  """Indexes the fixture's image tars and reads its box XMLs and class texts."""
  train_index = acquire.index_train_tar(fixture.train_tar)
  validation_labels = {_mini_imagenet.validation_filename(index): synset
                       for index, synset in enumerate(fixture.validation_labels)}
  splits = {
      TRAIN: [_source_image(member, synset) for synset in fixture.synsets
              for member in train_index[synset]],
      VALIDATION: [_source_image(member, validation_labels[member.name])
                   for member in acquire.index_flat_tar(fixture.validation_tar)],
  }
  if fixture.test_tar:
    splits[TEST] = [_source_image(member, None)
                    for member in acquire.index_flat_tar(fixture.test_tar)]
  metadata = label_files.read_metadata(fixture.metadata_file)
  return FixtureImages(
      synsets=list(fixture.synsets),
      class_texts=label_files.class_texts(fixture.synsets, metadata),
      splits=splits,
      train_xml=_xml_by_stem(fixture.bbox_train_tar_gz),
      validation_xml=_xml_by_stem(fixture.bbox_validation_tgz))


class ImageReader(object):
  """Reads images' bytes at their offsets, opening each archive once; a context."""

  def __init__(self):
    self._files: Dict[str, IO[bytes]] = {}

  def read(self, image: SourceImage) -> bytes:
    archive = self._files.get(image.archive)
    if archive is None:
      archive = self._files[image.archive] = core.open_file(image.archive, 'rb')
    archive.seek(image.offset)
    data = archive.read(image.size)
    if len(data) != image.size:
      raise IOError('%s: %s is truncated: %d of %d bytes at offset %d' % (
          image.archive, image.filename, len(data), image.size, image.offset))
    return data

  def close(self) -> None:
    for archive in self._files.values():
      archive.close()
    self._files.clear()

  def __enter__(self) -> 'ImageReader':
    return self

  def __exit__(self, *unused_exception) -> None:
    self.close()
