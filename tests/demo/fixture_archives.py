"""A mini ImageNet's archives read back with tarfile, for the tests of tests/demo."""

import io
import os
import tarfile
from typing import Dict, Union

from absl.testing import absltest

from inception import demo

# A small fixture with every hard case, test images included: about a second.
SMALL_WITH_TEST = demo.Config(num_classes=3, images_per_class=6,
                              num_validation_images=7, num_test_images=3,
                              min_side=64, max_side=96)


def tar_members(data_or_path: Union[bytes, str]) -> Dict[str, bytes]:
  """{name: bytes} of the regular files of a tar (path or bytes, any compression)."""
  if isinstance(data_or_path, bytes):
    archive = tarfile.open(fileobj=io.BytesIO(data_or_path), mode='r:*')
  else:
    archive = tarfile.open(data_or_path, mode='r:*')
  with archive:
    members = archive.getmembers()
    assert all(m.isfile() for m in members), [m.name for m in members]
    return {m.name: archive.extractfile(m).read() for m in members}


def train_images(fixture: demo.Fixture) -> Dict[str, Dict[str, bytes]]:
  """{class tar name: {image name: bytes}} from the nested train tar."""
  return {name: tar_members(data)
          for name, data in tar_members(fixture.train_tar).items()}


def official_images(fixture: demo.Fixture) -> Dict[str, Dict[str, bytes]]:
  """{split: {official image name: bytes}}: 'train', 'validation' and (with test
  images) 'test', as the official tarballs hold them."""
  images = {'train': {}, 'validation': tar_members(fixture.validation_tar)}
  for members in train_images(fixture).values():
    images['train'].update(members)
  if fixture.test_tar:
    images['test'] = tar_members(fixture.test_tar)
  return images


def official_xml_by_stem(fixture: demo.Fixture) -> Dict[str, bytes]:
  """{image stem: XML bytes} of both box archives."""
  xml = {}
  for archive in (fixture.bbox_train_tar_gz, fixture.bbox_validation_tgz):
    xml.update((os.path.splitext(os.path.basename(name))[0], data)
               for name, data in tar_members(archive).items())
  return xml


def synset_of(fixture: demo.Fixture, filename: str) -> str:
  """The class of a train or validation image, by its official name."""
  if filename.startswith('ILSVRC2012_val_'):
    return fixture.validation_labels[int(filename[15:23]) - 1]
  return filename.split('_')[0]


class SmallFixtureTestCase(absltest.TestCase):
  """A test case with SMALL_WITH_TEST generated once for its class: `fixture`, its
  `official_images` (`official`), and `directory`, the class's own directory."""

  @classmethod
  def setUpClass(cls):
    super().setUpClass()
    cls.directory = os.path.join(absltest.get_default_test_tmpdir(), cls.__name__)
    cls.fixture = demo.generate(os.path.join(cls.directory, 'fixture'),
                                SMALL_WITH_TEST)
    cls.official = official_images(cls.fixture)
