"""Tests the make_mini_imagenet binary as users run it: the built binary, from another
working directory, with a relative output directory and a user's environment."""

import hashlib
import io
import os
import re
import tarfile
from typing import Dict

from absl.testing import absltest
from PIL import Image

from tests import binaries

_BINARY = 'make_mini_imagenet'
# The names docs/FORMAT.md gives ("Data facts", "Label files"); the binary must write
# exactly these.
_ARCHIVES = ['ILSVRC2012_bbox_train_v2.tar.gz', 'ILSVRC2012_bbox_val_v3.tgz',
             'ILSVRC2012_img_train.tar', 'ILSVRC2012_img_val.tar']
_LABEL_FILES = ['imagenet_2012_validation_synset_labels.txt',
                'imagenet_lsvrc_2015_synsets.txt', 'imagenet_metadata.txt']
_SMALL = ['--num_classes=2', '--images_per_class=5', '--num_validation_images=3',
          '--min_side=32', '--max_side=48']
_HARD_CASE = re.compile(r'^  hard case (\w+): (n\d{8}_\d+\.JPEG)$')


def _md5(path: str) -> str:
  with open(path, 'rb') as f:
    return hashlib.md5(f.read()).hexdigest()


def _train_images(train_tar: str) -> Dict[str, bytes]:
  """{file name: bytes} of every image in the tar of per-class tars."""
  images = {}
  with tarfile.open(train_tar) as outer:
    for member in outer.getmembers():
      inner_bytes = outer.extractfile(member).read()
      with tarfile.open(fileobj=io.BytesIO(inner_bytes)) as inner:
        for image in inner.getmembers():
          images[image.name] = inner.extractfile(image).read()
  return images


class MakeMiniImagenetBinaryTest(absltest.TestCase):

  def test_writes_archives_label_files_and_checksums(self):
    cwd = self.create_tempdir('user').full_path
    result = binaries.run(_BINARY, ['--output_dir=downloads/mini'] + _SMALL, cwd)
    self.assertEqual(result.returncode, 0, result.stderr[-3000:])
    output = os.path.join(cwd, 'downloads', 'mini')
    self.assertCountEqual(os.listdir(output), _ARCHIVES + _LABEL_FILES + ['MD5SUMS'])

    with open(os.path.join(output, 'MD5SUMS')) as f:
      checksums = [line.split('  ') for line in f.read().splitlines()]
    self.assertEqual([name for _, name in checksums], _ARCHIVES)
    for digest, name in checksums:
      self.assertEqual(digest, _md5(os.path.join(output, name)), name)

    with open(os.path.join(output, 'imagenet_lsvrc_2015_synsets.txt')) as f:
      synsets = f.read().split()
    with open(os.path.join(output, 'imagenet_2012_validation_synset_labels.txt')) as f:
      self.assertLen(f.read().split(), 3)
    self.assertLen(synsets, 2)
    images = _train_images(os.path.join(output, 'ILSVRC2012_img_train.tar'))
    self.assertLen(images, 10)

    stdout = result.stdout.splitlines()
    self.assertEqual(stdout[0], 'Wrote mini-ImageNet to %s' %
                     os.path.join(os.path.realpath(cwd), 'downloads', 'mini'))
    self.assertIn('  classes: 2 (%s)' % ', '.join(synsets), stdout)
    self.assertIn('  train images: 10, validation images: 3', stdout)
    hard_cases = dict(match.groups() for match in map(_HARD_CASE.match, stdout)
                      if match)
    self.assertCountEqual(hard_cases,
                          ['png', 'cmyk', 'grayscale', 'progressive', 'exif'])
    # Each named file is in the train tarball and is what its kind says.
    for kind, name in hard_cases.items():
      self.assertIn(name, images)
      with Image.open(io.BytesIO(images[name])) as image:
        self.assertEqual(
            (image.format, image.mode),
            {'png': ('PNG', 'RGB'), 'cmyk': ('JPEG', 'CMYK'),
             'grayscale': ('JPEG', 'L')}.get(kind, ('JPEG', 'RGB')), kind)
        if kind == 'progressive':
          self.assertTrue(image.info.get('progressive'), name)
        if kind == 'exif':
          self.assertIn('exif', image.info, name)

  def test_num_test_images_adds_the_test_tar(self):
    cwd = self.create_tempdir('user').full_path
    result = binaries.run(_BINARY, ['--output_dir=mini', '--num_test_images=2'] + _SMALL,
                          cwd)
    self.assertEqual(result.returncode, 0, result.stderr[-3000:])
    output = os.path.join(cwd, 'mini')
    test_tar = os.path.join(output, 'ILSVRC2012_img_test_v10102019.tar')
    with tarfile.open(test_tar) as archive:
      self.assertEqual(archive.getnames(), ['ILSVRC2012_test_00000001.JPEG',
                                            'ILSVRC2012_test_00000002.JPEG'])
    with open(os.path.join(output, 'MD5SUMS')) as f:
      self.assertIn('%s  %s' % (_md5(test_tar), os.path.basename(test_tar)),
                    f.read().splitlines())
    self.assertIn('  train images: 10, validation images: 3, test images: 2',
                  result.stdout.splitlines())

  def test_invalid_flag_value_is_a_usage_error(self):
    cwd = self.create_tempdir('user').full_path
    result = binaries.run(_BINARY, ['--output_dir=mini', '--num_classes=0'], cwd)
    self.assertNotEqual(result.returncode, 0)
    # The error and where to look, not the usage of every flag.
    self.assertEqual(result.stderr, 'make_mini_imagenet: error: num_classes must be at '
                     'least 1, got 0\nTry --help.\n')
    self.assertEqual(result.stdout, '')
    self.assertEqual(os.listdir(cwd), [])


if __name__ == '__main__':
  absltest.main()
