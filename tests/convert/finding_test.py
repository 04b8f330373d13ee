"""Tests of inception.convert._finding: a split's images from folders, as columns."""

import os

from absl.testing import absltest

from inception import convert
from inception.convert import _finding
from tests import conversion_fixtures as fixtures

_CLASSES = [_finding.ImageClass('n00000001', 'n00000001', 'a'),
            _finding.ImageClass('n00000002', 'n00000002', 'b')]


class FindEntriesTest(absltest.TestCase):

  def test_missing_or_empty_class_directory_is_an_error(self):
    root = self.create_tempdir().full_path
    fixtures.write(os.path.join(root, 'n00000001', 'a.JPEG'), b'x')
    with self.assertRaisesRegex(convert.ConversionError,
                                'n00000002 does not exist'):
      _finding.find_class_entries(root, _CLASSES)
    fixtures.write(os.path.join(root, 'n00000002', 'readme.txt'), b'x')
    with self.assertRaisesRegex(convert.ConversionError, 'n00000002 holds no'):
      _finding.find_class_entries(root, _CLASSES)

  def test_an_optional_class_directory_may_be_missing(self):
    root = self.create_tempdir().full_path
    fixtures.write(os.path.join(root, 'n00000002', 'b.JPEG'), b'x')
    entries = _finding.find_class_entries(root, _CLASSES, optional={'n00000001'})
    self.assertEqual([(e.filename, e.label, e.synset) for e in entries],
                     [('b.JPEG', 2, 'n00000002')])
    with self.assertRaisesRegex(convert.ConversionError,
                                'n00000001 does not exist'):
      _finding.find_class_entries(root, _CLASSES, optional={'n00000002'})
    fixtures.write(os.path.join(root, 'n00000001', 'notes.txt'), b'x')
    with self.assertRaisesRegex(convert.ConversionError, 'n00000001 holds no'):
      _finding.find_class_entries(root, _CLASSES, optional={'n00000001'})

  def test_generic_entries(self):
    root = self.create_tempdir().full_path
    for name in ('roses/r1.JPG', 'roses/r2.png', 'tulips/t.Jpeg', 'tulips/t.gif'):
      fixtures.write(os.path.join(root, name), b'x')
    labels_file = fixtures.write(os.path.join(root, 'labels.txt'), b'tulips\nroses\n')
    labels = _finding.read_generic_labels(labels_file)
    entries = _finding.find_generic_entries(root, labels)
    self.assertEqual([(e.filename, e.label, e.text, e.synset) for e in entries],
                     [('t.Jpeg', 1, 'tulips', ''), ('r1.JPG', 2, 'roses', ''),
                      ('r2.png', 2, 'roses', '')])


if __name__ == '__main__':
  absltest.main()
