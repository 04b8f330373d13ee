"""Tests of inception.acquire._extract: an archive extracted by its layout."""

import os

from absl.testing import absltest

from inception import acquire
from inception.acquire import _extract
from tests.acquire import extract_fixtures


class ExtractTest(extract_fixtures.MiniImagenetTestCase):

  def setUp(self):
    super().setUp()
    self.root = self.create_tempdir().full_path

  def test_each_layout(self):
    self.assertEqual(
        _extract.extract(self.fixture.train_tar,
                         acquire.Extraction(acquire.CLASS_TARS, self.root, 'classes')),
        self.fixture.train_counts)
    self.assertEqual(
        _extract.extract(self.fixture.validation_tar,
                         acquire.Extraction(acquire.FLAT, self.root, 'flat')), 6)
    self.assertEqual(
        _extract.extract(self.fixture.bbox_validation_tgz,
                         acquire.Extraction(acquire.TREE, self.root, 'tree')), 6)
    self.assertCountEqual(os.listdir(os.path.join(self.root, 'classes')),
                          self.fixture.synsets)
    self.assertLen(os.listdir(os.path.join(self.root, 'flat')), 6)
    self.assertEqual(os.listdir(os.path.join(self.root, 'tree')), ['val'])

  def test_a_tree_is_refused_where_plain_files_are_expected(self):
    with self.assertRaisesRegex(acquire.UnsafeArchiveError, 'refusing to extract'):
      extract_fixtures.extract_validation(self.fixture.bbox_validation_tgz, self.root)

  def test_unknown_layout(self):
    with self.assertRaisesRegex(ValueError, "layout must be one of .*'zip'"):
      acquire.Extraction('zip', self.root, 'x')


if __name__ == '__main__':
  absltest.main()
