"""Tests the preprocess_imagenet_validation_data binary as users run it: the built
binary, from another working directory, with relative paths and a user's environment."""

import os
import tarfile
from typing import List

from absl.testing import absltest

from inception import demo
from tests import binaries
from tests import file_trees

_BINARY = 'preprocess_imagenet_validation_data'
_NUM_IMAGES = 6
_CONFIG = demo.Config(num_classes=2, images_per_class=1,
                               num_validation_images=_NUM_IMAGES, min_side=32,
                               max_side=48)
_VALIDATION_DIR = os.path.join('raw-data', 'validation')
_ARGS = ['--validation_dir=' + _VALIDATION_DIR,
         '--labels_file=mini/imagenet_2012_validation_synset_labels.txt']


def _directories(root: str) -> List[str]:
  return sorted(os.path.relpath(os.path.join(parent, name), root)
                for parent, names, _ in os.walk(root) for name in names)


class PreprocessValidationBinaryTest(absltest.TestCase):

  def setUp(self):
    super().setUp()
    self.cwd = self.create_tempdir('user').full_path
    fixture = demo.generate(os.path.join(self.cwd, 'mini'), _CONFIG)
    with open(fixture.validation_labels_file) as f:
      self.labels = f.read().split()
    self.assertLen(self.labels, _NUM_IMAGES)
    self.assertLen(set(self.labels), 2)
    self.validation_dir = os.path.join(self.cwd, _VALIDATION_DIR)
    os.makedirs(self.validation_dir)
    with tarfile.open(fixture.validation_tar) as archive:
      archive.extractall(self.validation_dir, filter='data')
    self.extracted = file_trees.file_contents(self.validation_dir)

  def test_moves_each_image_into_its_synset_then_rerun_is_a_no_op(self):
    self.assertEqual(sorted(self.extracted),
                     ['ILSVRC2012_val_%08d.JPEG' % i for i in range(1, _NUM_IMAGES + 1)])
    result = binaries.run(_BINARY, _ARGS, self.cwd)
    self.assertEqual(result.returncode, 0, result.stderr[-3000:])
    self.assertEqual(result.stdout, 'Validation images: %d; moved into class '
                     'directories: %d; already in place: 0\n' % (_NUM_IMAGES,
                                                                 _NUM_IMAGES))
    expected = {
        os.path.join(synset, 'ILSVRC2012_val_%08d.JPEG' % i):
            self.extracted['ILSVRC2012_val_%08d.JPEG' % i]
        for i, synset in enumerate(self.labels, 1)}
    moved = file_trees.file_contents(self.validation_dir)
    self.assertEqual(moved, expected)
    self.assertEqual(_directories(self.validation_dir), sorted(set(self.labels)))

    again = binaries.run(_BINARY, _ARGS, self.cwd)
    self.assertEqual(again.returncode, 0, again.stderr[-3000:])
    self.assertEqual(again.stdout, 'Validation images: %d; moved into class '
                     'directories: 0; already in place: %d\n' % (_NUM_IMAGES,
                                                                 _NUM_IMAGES))
    self.assertEqual(file_trees.file_contents(self.validation_dir), expected)
    self.assertEqual(_directories(self.validation_dir), sorted(set(self.labels)))

  def test_unexpected_image_is_refused_and_nothing_moves(self):
    extra = 'ILSVRC2012_val_%08d.JPEG' % (_NUM_IMAGES + 1)
    with open(os.path.join(self.validation_dir, extra), 'wb') as f:
      f.write(self.extracted['ILSVRC2012_val_00000001.JPEG'])
    before = file_trees.file_contents(self.validation_dir)
    result = binaries.run(_BINARY, _ARGS, self.cwd)
    self.assertNotEqual(result.returncode, 0)
    self.assertIn('1 files the label file does not name (first: %s)' % extra,
                  result.stderr)
    self.assertIn(os.path.join(os.path.realpath(self.cwd), _VALIDATION_DIR),
                  result.stderr)
    self.assertEqual(result.stdout, '')
    self.assertEqual(file_trees.file_contents(self.validation_dir), before)
    self.assertEqual(_directories(self.validation_dir), [])


if __name__ == '__main__':
  absltest.main()
