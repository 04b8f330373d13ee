"""Tests of inception.acquire._extract: an archive extracted by its layout."""

import os
import re

from absl.testing import absltest

from inception import acquire
from inception.acquire import _extract
from tests import archives
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

  def test_names_the_caller_refuses_leave_nothing_in_place(self):
    seen = []

    def check(archive_path, names):
      seen.append((archive_path, sorted(names)))
      return '%s: not the images wanted' % archive_path if len(seen) > 1 else None

    extraction = acquire.Extraction(acquire.FLAT, self.root, 'flat', check)
    self.assertEqual(_extract.extract(self.fixture.validation_tar, extraction), 6)
    before = extract_fixtures.tree(os.path.join(self.root, 'flat'))
    other = extract_fixtures.write(
        os.path.join(self.create_tempdir().full_path, 'val.tar'),
        archives.tar_bytes([('a.JPEG', b'a'), ('b.JPEG', b'b')]))
    with self.assertRaisesRegex(acquire.ExtractionError,
                                '^%s: not the images wanted; nothing extracted from '
                                'it was kept$' % re.escape(other)):
      _extract.extract(other, extraction)
    self.assertEqual(seen[1], (other, ['a.JPEG', 'b.JPEG']))
    self.assertEqual(extract_fixtures.tree(os.path.join(self.root, 'flat')), before)
    self.assertCountEqual(os.listdir(self.root),
                          ['flat', '.%s.extracted' % os.path.basename(
                              self.fixture.validation_tar)])
    with self.assertRaisesRegex(ValueError, 'check_members is for the flat and tree'):
      acquire.Extraction(acquire.CLASS_TARS, self.root, 'classes', check)

  def test_unknown_layout(self):
    with self.assertRaisesRegex(ValueError, "layout must be one of .*'zip'"):
      acquire.Extraction('zip', self.root, 'x')


if __name__ == '__main__':
  absltest.main()
