"""Tests of inception.imagenet._kaggle: Kaggle's tree and zip, their index read and
checked, their entries the tarballs'."""

import os
import shutil

from absl.testing import absltest

from inception import acquire
from inception import annotations
from inception import convert
from inception import demo
from inception import label_files
from inception import records
from inception.imagenet import _kaggle
from inception.imagenet import _splits

_CONFIG = demo.Config(num_classes=3, images_per_class=6, num_validation_images=7,
                      num_test_images=3, min_side=48, max_side=72, seed=21)
_TRAIN = 'ILSVRC/Data/CLS-LOC/train'
_VAL = 'ILSVRC/Data/CLS-LOC/val'


def _described(entries):
  """What a record takes from each entry (all but its source), in planning order."""
  return sorted((e.label, e.filename, e.synset, e.text) for e in entries)


def _rewrite(path, change):
  with open(path) as f:
    text = f.read()
  with open(path, 'w') as f:
    f.write(change(text))


class KaggleTest(absltest.TestCase):

  @classmethod
  def setUpClass(cls):
    super().setUpClass()
    root = absltest.get_default_test_tmpdir()
    cls.fixture = demo.generate(os.path.join(root, 'fixture'), _CONFIG)
    cls.tree = demo.write_kaggle_tree(cls.fixture, os.path.join(root, 'tree')).path
    cls.zip = demo.write_kaggle_zip(cls.fixture, os.path.join(root, 'zip')).path
    cls.labels = label_files.LabelFiles(cls.fixture.synsets_file,
                                        cls.fixture.metadata_file,
                                        cls.fixture.validation_labels_file)
    synsets, texts = _splits.imagenet_classes(cls.labels)
    fixture = cls.fixture
    cls.tarballs = {
        records.TRAIN: _splits.train_tar_entries(
            acquire.index_train_tar(fixture.train_tar), synsets, texts, 'train'),
        records.VALIDATION: _splits.validation_tar_entries(
            acquire.index_flat_tar(fixture.validation_tar),
            fixture.validation_labels, synsets, texts, 'validation'),
        records.TEST: _splits.test_tar_entries(
            acquire.index_flat_tar(fixture.test_tar), 'test'),
    }

  def _copy(self):
    """A copy of the tree that a test may damage."""
    return shutil.copytree(self.tree, os.path.join(self.create_tempdir().full_path,
                                                   'tree'))

  def _read(self, path, zipped=False, with_test=False):
    return _kaggle.read_kaggle(path, zipped, self.labels, with_test)

  def test_the_tree_and_the_zip_give_the_tarballs_entries(self):
    for path, zipped in ((self.tree, False), (self.zip, True)):
      with self.subTest(zipped=zipped):
        index = self._read(path, zipped, with_test=True)
        for split, expected in self.tarballs.items():
          self.assertEqual(_described(index.splits.entries[split]),
                           _described(expected), split)
        self.assertEqual(index.counts(), {'train': 18, 'validation': 7, 'test': 3})
        self.assertEqual(index.unlisted, {'train': 0, 'validation': 0, 'test': 0})
        self.assertEqual(index.splits.paths.train,
                         os.path.join(path, _TRAIN) if not zipped
                         else path + ':' + _TRAIN)
        members = index.splits.entries[records.TRAIN].members_of()
        self.assertEqual(members is not None and members.is_zip(), zipped)
        for entry in list(index.splits.entries[records.VALIDATION])[:2]:
          self.assertEqual(_source_bytes(entry.source),
                           _official_bytes(self.fixture, entry.filename))
    self.assertEqual(self._read(self.tree).fingerprint,
                     self._read(self.zip, True).fingerprint)
    self.assertCountEqual(self._read(self.tree).fingerprint, _kaggle.INDEX_FILES)
    self.assertNotIn(records.TEST, self._read(self.tree).counts())

  def test_a_zip64_zip_is_read_as_the_tree(self):
    zip64 = demo.write_kaggle_zip(self.fixture, self.create_tempdir().full_path,
                                  zip64=True).path
    tree = self._read(self.tree, with_test=True)
    index = self._read(zip64, zipped=True, with_test=True)
    for split, entries in index.splits.entries.items():
      self.assertEqual([_source_bytes(e.source) for e in entries],
                       [_source_bytes(e.source) for e in tree.splits.entries[split]])

  def test_the_counts_line(self):
    self.assertEqual(self._read(self.tree, with_test=True).counts_line(),
                     'Kaggle source %s, as its index lists it: 18 train images of 3 '
                     'classes (ILSVRC/ImageSets/CLS-LOC/train_cls.txt), 7 validation '
                     'images (LOC_val_solution.csv), 3 test images '
                     '(ILSVRC/ImageSets/CLS-LOC/test.txt)' % self.tree)

  def test_a_subset_is_what_its_index_lists(self):
    tree = self._copy()
    synset = self.fixture.synsets[1]
    _rewrite(os.path.join(tree, _kaggle.TRAIN_LIST), lambda text: ''.join(
        line + '\n' for line in text.splitlines() if not line.startswith(synset)))
    _rewrite(os.path.join(tree, _kaggle.VALIDATION_SOLUTION), lambda text: ''.join(
        line + '\n' for line in text.splitlines()[:4]))
    index = self._read(tree)
    self.assertEqual(index.counts(), {'train': 12, 'validation': 3})
    self.assertEqual(index.unlisted, {'train': 6, 'validation': 4})
    self.assertEndsWith(index.counts_line(),
                        '; 10 images present but not listed are left out')
    self.assertNotIn(2, index.splits.entries[records.TRAIN].labels)

  def test_a_listed_image_missing_is_named(self):
    tree = self._copy()
    folder = os.path.join(tree, _TRAIN, self.fixture.synsets[2])
    name = sorted(os.listdir(folder))[1]
    os.remove(os.path.join(folder, name))
    with self.assertRaisesRegex(
        convert.ConversionError,
        r'^ILSVRC/ImageSets/CLS-LOC/train_cls.txt lists %s, which is missing$' %
        os.path.join(folder, name)):
      self._read(tree)
    tree = self._copy()
    os.remove(os.path.join(tree, _VAL, 'ILSVRC2012_val_00000003.JPEG'))
    os.remove(os.path.join(tree, _VAL, 'ILSVRC2012_val_00000005.JPEG'))
    with self.assertRaisesRegex(
        convert.ConversionError,
        r'^LOC_val_solution.csv lists %s, which is missing \(and 1 more\)$' %
        os.path.join(tree, _VAL, 'ILSVRC2012_val_00000003.JPEG')):
      self._read(tree)

  def test_a_class_directory_missing_is_named(self):
    tree = self._copy()
    synset = self.fixture.synsets[0]
    shutil.rmtree(os.path.join(tree, _TRAIN, synset))
    with self.assertRaisesRegex(
        convert.ConversionError,
        r'^%s/ is missing \(ILSVRC/ImageSets/CLS-LOC/train_cls.txt lists 6 images '
        r'in it\)$' % os.path.join(tree, _TRAIN, synset)):
      self._read(tree)

  def test_a_label_disagreement_names_the_image(self):
    tree = self._copy()
    first, second = self.fixture.synsets[:2]
    image = 'ILSVRC2012_val_00000002'
    labels = self.fixture.validation_labels
    other = second if labels[1] == first else first

    def relabel(text):
      return ''.join(('%s,%s 1 2 3 4\n' % (image, other)) if line.startswith(image)
                     else line + '\n' for line in text.splitlines())

    _rewrite(os.path.join(tree, _kaggle.VALIDATION_SOLUTION), relabel)
    with self.assertRaisesRegex(
        convert.ConversionError,
        r'^%s.JPEG: of class %s in %s, of class %s in the validation label file %s$'
        % (image, other, os.path.join(tree, 'LOC_val_solution.csv'), labels[1],
           self.fixture.validation_labels_file)):
      self._read(tree)

  def test_the_synset_mapping_must_list_the_synsets_files_wnids(self):
    tree = self._copy()
    _rewrite(os.path.join(tree, _kaggle.SYNSET_MAPPING),
             lambda text: text.splitlines(True)[0] + 'n99999999 nothing\n' +
             ''.join(text.splitlines(True)[2:]))
    with self.assertRaisesRegex(
        convert.ConversionError,
        r'LOC_synset_mapping.txt lists 3 wnids, the synsets file %s 3, not the same '
        r'ones: 1 only in the first \(first: n99999999\), 1 only in the synsets file '
        r'\(first: %s\)$' % (self.fixture.synsets_file, self.fixture.synsets[1])):
      self._read(tree)

  def test_bad_index_files(self):
    cases = (  # (index file, its new text from the old, or None: removed, error)
        (_kaggle.TRAIN_LIST, None, r"train_cls.txt is missing: Kaggle's index"),
        (_kaggle.SYNSET_MAPPING, None, 'LOC_synset_mapping.txt is missing'),
        (_kaggle.TRAIN_LIST, lambda text: text + text.splitlines(True)[0],
         r'train_cls.txt lists n\d+_\d+.JPEG twice$'),
        (_kaggle.TRAIN_LIST, lambda text: 'n01440764 1\n',
         r"train_cls.txt line 1: 'n01440764' is not <wnid>/<image name>$"),
        (_kaggle.TRAIN_LIST, lambda text: text + 'n99999999/n99999999_1 99\n',
         r'train_cls.txt lists images of n99999999, which is not in '
         r'LOC_synset_mapping.txt$'),
        (_kaggle.VALIDATION_SOLUTION, lambda text: text.replace('ImageId', 'Id', 1),
         r"LOC_val_solution.csv: the first line is 'Id,PredictionString', not "
         r"'ImageId,PredictionString'$"),
        (_kaggle.VALIDATION_SOLUTION, lambda text: text + 'ILSVRC2012_val_00000009,\n',
         r"LOC_val_solution.csv line 9: 'ILSVRC2012_val_00000009,' gives no class"),
        (_kaggle.VALIDATION_SOLUTION, lambda text: text + text.splitlines(True)[1],
         r'LOC_val_solution.csv lists ILSVRC2012_val_\d+.JPEG twice$'),
    )
    for name, change, message in cases:
      with self.subTest(message):
        tree = self._copy()
        path = os.path.join(tree, name)
        if change is None:
          os.remove(path)
        else:
          _rewrite(path, change)
        with self.assertRaisesRegex(convert.ConversionError, message):
          self._read(tree)

  def test_the_test_split_needs_its_list(self):
    tree = self._copy()
    os.remove(os.path.join(tree, _kaggle.TEST_LIST))
    self.assertNotIn(records.TEST, self._read(tree).counts())
    with self.assertRaisesRegex(convert.ConversionError, 'test.txt is missing'):
      self._read(tree, with_test=True)

  def test_a_damaged_zip_directory(self):
    path = os.path.join(self.create_tempdir().full_path, 'cut.zip')
    with open(self.zip, 'rb') as f:
      data = f.read()
    with open(path, 'wb') as f:
      f.write(data[:-30])
    with self.assertRaisesRegex(acquire.CorruptArchiveError, 'cut.zip: not a readable'):
      self._read(path, zipped=True)

  def test_box_sources(self):
    self.assertEqual(_kaggle.box_sources('/k', False),
                     ('/k/ILSVRC/Annotations/CLS-LOC/train',
                      '/k/ILSVRC/Annotations/CLS-LOC/val'))
    self.assertEqual(_kaggle.box_sources('/k.zip', True), (
        annotations.ZipXmls('/k.zip', 'ILSVRC/Annotations/CLS-LOC/train'),
        annotations.ZipXmls('/k.zip', 'ILSVRC/Annotations/CLS-LOC/val')))


def _source_bytes(source):
  """An entry's bytes: a file's, or a zip member's."""
  if isinstance(source, records.ZipMember):
    return source.read_bytes()
  with open(source, 'rb') as f:
    return f.read()


def _official_bytes(fixture, filename):
  """An image's bytes in the fixture's validation tar."""
  member = next(m for m in acquire.index_flat_tar(fixture.validation_tar)
                if m.name == filename)
  with open(fixture.validation_tar, 'rb') as f:
    f.seek(member.offset)
    return f.read(member.size)


if __name__ == '__main__':
  absltest.main()
