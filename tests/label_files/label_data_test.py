"""Tests for inception.label_files: the shipped files are those of docs/FORMAT.md."""

import hashlib

from absl.testing import absltest

from inception.label_files import _label_data


def _md5(path):
  with open(path, 'rb') as f:
    return hashlib.md5(f.read()).hexdigest()


class ShippedFilesTest(absltest.TestCase):

  def test_md5_line_count_and_size(self):
    expected = {
        _label_data.SYNSETS_FILE: (1000, 10000, '5ef135d00f8768c0f62853cd9dbc563d'),
        _label_data.VALIDATION_LABELS_FILE:
            (50000, 500000, 'eaa6788f6a51fca5fb184f235d0c4e62'),
        _label_data.METADATA_FILE: (21842, 741401, '80cb1e36867319076c17d6ec1a0bda31'),
    }
    for name, (lines, size, md5) in expected.items():
      path = _label_data.data_file_path(name)
      with open(path, 'rb') as f:
        content = f.read()
      self.assertEqual(content.count(b'\n'), lines, name)
      self.assertLen(content, size, name)
      self.assertEqual(_md5(path), md5, name)

  def test_every_synset_has_text_and_is_sorted(self):
    synsets = _label_data.read_synsets()
    self.assertLen(synsets, 1000)
    self.assertEqual(synsets, sorted(synsets))
    texts = _label_data.class_texts(synsets, _label_data.read_metadata())
    self.assertEqual(texts[0], 'tench, Tinca tinca')
    self.assertTrue(all(texts))

  def test_validation_labels_are_known_synsets(self):
    labels = _label_data.read_validation_labels()
    self.assertLen(labels, 50000)
    self.assertEqual(set(labels), set(_label_data.read_synsets()))


class LabelFilesTest(absltest.TestCase):

  def test_unset_files_are_the_shipped_ones(self):
    files = _label_data.LabelFiles()
    self.assertEqual(files.synsets_path(),
                     _label_data.data_file_path(_label_data.SYNSETS_FILE))
    self.assertEqual(files.metadata_path(),
                     _label_data.data_file_path(_label_data.METADATA_FILE))
    self.assertEqual(files.validation_labels_path(),
                     _label_data.data_file_path(_label_data.VALIDATION_LABELS_FILE))

  def test_given_files_are_kept(self):
    files = _label_data.LabelFiles('/s.txt', '/m.txt', '/v.txt')
    self.assertEqual((files.synsets_path(), files.metadata_path(),
                      files.validation_labels_path()), ('/s.txt', '/m.txt', '/v.txt'))


class ParseTest(absltest.TestCase):

  def test_bad_synset_line_names_source_and_line(self):
    with self.assertRaisesRegex(ValueError, r'x\.txt line 2'):
      _label_data.parse_synsets('n01440764\nbogus\n', source='x.txt')

  def test_duplicate_synset_is_refused(self):
    with self.assertRaisesRegex(ValueError, 'n01440764'):
      _label_data.parse_synsets('n01440764\nn01440764\n')

  def test_metadata_needs_a_tab(self):
    with self.assertRaisesRegex(ValueError, 'line 1'):
      _label_data.parse_metadata('n01440764 tench\n')

  def test_missing_text_is_an_error(self):
    with self.assertRaisesRegex(ValueError, 'n01443537'):
      _label_data.class_texts(['n01440764', 'n01443537'], {'n01440764': 'tench'})

  def test_missing_data_file_is_a_clear_error(self):
    with self.assertRaisesRegex(FileNotFoundError, 'no_such_file'):
      _label_data.data_file_path('no_such_file.txt')


if __name__ == '__main__':
  absltest.main()
