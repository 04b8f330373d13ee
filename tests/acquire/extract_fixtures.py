"""What the extraction tests share: a mini ImageNet generated once, a directory tree
read back, and extractions into its layout (train/<wnid>/, validation/,
bounding_boxes/)."""

import os
import tarfile

from absl.testing import absltest

from inception import acquire
from inception import demo

TRAIN_DIRNAME = 'train'
VALIDATION_DIRNAME = 'validation'
BOUNDING_BOXES_DIRNAME = 'bounding_boxes'


class MiniImagenetTestCase(absltest.TestCase):
  """A mini ImageNet (3 classes of 4 images, 6 validation images) generated once."""

  @classmethod
  def setUpClass(cls):
    super().setUpClass()
    cls.fixture = demo.generate(
        os.path.join(absltest.TEST_TMPDIR.value, 'mini_fixture'),
        demo.Config(num_classes=3, images_per_class=4,
                    num_validation_images=6, min_side=64, max_side=64))

  def expected_train_files(self):
    """{wnid/name: bytes} read from the fixture's nested tars with plain tarfile."""
    expected = {}
    with tarfile.open(self.fixture.train_tar) as outer:
      for member in outer:
        wnid = member.name[:-4]
        with tarfile.open(fileobj=outer.extractfile(member)) as inner:
          for image in inner:
            expected['%s/%s' % (wnid, image.name)] = inner.extractfile(image).read()
    return expected


def write(path, data):
  with open(path, 'wb') as f:
    f.write(data)
  return path


def read(path):
  with open(path, 'rb') as f:
    return f.read()


def tree(root):
  """{relative path: bytes or '->link'} of everything under root."""
  found = {}
  for directory, dirnames, filenames in os.walk(root):
    for name in dirnames + filenames:
      path = os.path.join(directory, name)
      relative = os.path.relpath(path, root)
      if os.path.islink(path):
        found[relative] = '->' + os.readlink(path)
      elif os.path.isfile(path):
        with open(path, 'rb') as f:
          found[relative] = f.read()
      else:
        found[relative + '/'] = None
  return found


def extract_train(path, root, progress_interval=10.0):
  """A tar of class tars into root/train/<class>/."""
  return acquire.extract(path, acquire.Extraction(acquire.CLASS_TARS, root,
                                                  TRAIN_DIRNAME), progress_interval)


def extract_validation(path, root, progress_interval=10.0):
  """A tar of plain files into root/validation/."""
  return acquire.extract(path, acquire.Extraction(acquire.FLAT, root,
                                                  VALIDATION_DIRNAME),
                         progress_interval)


def extract_bounding_boxes(path, root, progress_interval=10.0):
  """A tree of files into root/bounding_boxes/."""
  return acquire.extract(path, acquire.Extraction(acquire.TREE, root,
                                                  BOUNDING_BOXES_DIRNAME),
                         progress_interval)
