"""Tests of inception.acquire._class_tars: a tar of class tars, extracted in one pass."""

import os

from absl.testing import absltest

from inception.acquire import _class_tars
from tests.acquire import extract_fixtures

_write = extract_fixtures.write
_tree = extract_fixtures.tree


class ClassTarsTest(extract_fixtures.MiniImagenetTestCase):

  def setUp(self):
    super().setUp()
    self.raw_dir = os.path.join(self.create_tempdir().full_path, 'raw-data')

  def extract(self):
    return _class_tars.extract_class_tars(self.fixture.train_tar, self.raw_dir,
                                          'train')

  def test_layout_contents_and_stamp(self):
    self.assertEqual(self.extract(), self.fixture.train_counts)
    self.assertEqual(_tree(os.path.join(self.raw_dir, 'train')),
                     dict(self.expected_train_files(),
                          **{wnid + '/': None for wnid in self.fixture.synsets}))
    self.assertCountEqual(os.listdir(self.raw_dir), [
        'train', '.%s.extracted' % os.path.basename(self.fixture.train_tar)])

  def test_without_stamp_complete_classes_are_kept_and_broken_ones_replaced(self):
    self.extract()
    os.remove(os.path.join(self.raw_dir, '.%s.extracted' %
                           os.path.basename(self.fixture.train_tar)))
    kept, broken, missing = self.fixture.synsets
    train = os.path.join(self.raw_dir, 'train')
    kept_inode = os.stat(os.path.join(train, kept)).st_ino
    victim = sorted(os.listdir(os.path.join(train, broken)))[0]
    _write(os.path.join(train, broken, victim), b'truncated')
    _write(os.path.join(train, broken, 'stray.JPEG'), b'from another run')
    for name in os.listdir(os.path.join(train, missing)):
      os.remove(os.path.join(train, missing, name))
    os.rmdir(os.path.join(train, missing))

    counts = self.extract()
    self.assertEqual(counts, self.fixture.train_counts)
    self.assertEqual(os.stat(os.path.join(train, kept)).st_ino, kept_inode)
    self.assertEqual(_tree(train), dict(
        self.expected_train_files(),
        **{wnid + '/': None for wnid in self.fixture.synsets}))


if __name__ == '__main__':
  absltest.main()
