"""Tests for inception.flowers._split: the held-out images, and the trees built from a
real extracted layout."""

import os

from absl.testing import absltest

from inception import flowers
from inception.flowers import _split


def _tree(root, classes):
  """root/<class>/<name> files (contents: the name), and a LICENSE.txt beside them."""
  for name, files in classes.items():
    os.makedirs(os.path.join(root, name))
    for filename in files:
      with open(os.path.join(root, name, filename), 'w') as f:
        f.write(filename)
  with open(os.path.join(root, 'LICENSE.txt'), 'w') as f:
    f.write('licence')


def _listing(directory):
  return {name: sorted(os.listdir(os.path.join(directory, name)))
          for name in sorted(os.listdir(directory))}


_CLASSES = {'roses': ['r%02d.jpg' % i for i in range(9)],
            'daisy': ['d%02d.jpg' % i for i in range(7)]}


class ValidationNamesTest(absltest.TestCase):

  def test_independent_of_the_listing_order(self):
    names = ['%d.jpg' % i for i in range(50)]
    chosen = _split.validation_names(names, 'daisy', 10, seed=1)
    self.assertLen(chosen, 10)
    self.assertEqual(chosen, sorted(chosen))
    self.assertEqual(_split.validation_names(names[::-1], 'daisy', 10, seed=1), chosen)

  def test_the_seed_and_the_class_change_the_choice(self):
    names = ['%d.jpg' % i for i in range(50)]
    chosen = _split.validation_names(names, 'daisy', 10, seed=1)
    self.assertNotEqual(_split.validation_names(names, 'daisy', 10, seed=2), chosen)
    self.assertNotEqual(_split.validation_names(names, 'roses', 10, seed=1), chosen)

  def test_a_fixed_choice(self):
    # Pinned: the same names give the same split on any machine and Python.
    self.assertEqual(_split.validation_names(['a.jpg', 'b.jpg', 'c.jpg', 'd.jpg'],
                                             'tulips', 2, seed=12345),
                     ['a.jpg', 'c.jpg'])


class SplitTreeTest(absltest.TestCase):

  def setUp(self):
    super().setUp()
    self.raw = self.create_tempdir().full_path
    self.root = os.path.join(self.raw, 'extracted', 'flower_photos')
    _tree(self.root, _CLASSES)

  def test_builds_both_splits_and_the_labels_file(self):
    counts = _split.split_tree(self.root, self.raw, 3, seed=7)
    self.assertEqual(counts, {'train': {'daisy': 4, 'roses': 6},
                              'validation': {'daisy': 3, 'roses': 3}})
    with open(os.path.join(self.raw, 'labels.txt')) as f:
      self.assertEqual(f.read(), 'daisy\nroses\n')
    train, validation = (_listing(os.path.join(self.raw, s))
                         for s in ('train', 'validation'))
    for name, files in _CLASSES.items():
      self.assertEqual(validation[name],
                       _split.validation_names(files, name, 3, seed=7))
      self.assertCountEqual(train[name] + validation[name], files)
    # The extracted tree is left as it was.
    self.assertEqual(sorted(os.listdir(self.root)), ['LICENSE.txt', 'daisy', 'roses'])
    self.assertEqual({n: len(os.listdir(os.path.join(self.root, n))) for n in _CLASSES},
                     {n: len(f) for n, f in _CLASSES.items()})

  def test_a_rerun_replaces_a_partial_or_other_split(self):
    _split.split_tree(self.root, self.raw, 3, seed=7)
    first = _listing(os.path.join(self.raw, 'validation'))
    _split.split_tree(self.root, self.raw, 2, seed=7)
    self.assertEqual({n: len(f) for n, f in
                      _listing(os.path.join(self.raw, 'validation')).items()},
                     {'daisy': 2, 'roses': 2})
    os.makedirs(os.path.join(self.raw, '.splitting', 'train', 'junk'))
    _split.split_tree(self.root, self.raw, 3, seed=7)
    self.assertEqual(_listing(os.path.join(self.raw, 'validation')), first)
    self.assertFalse(os.path.exists(os.path.join(self.raw, '.splitting')))

  def test_a_class_too_small_is_named(self):
    with self.assertRaisesRegex(flowers.SplitError, r'too few: daisy \(7\)$'):
      _split.split_tree(self.root, self.raw, 7, seed=7)
    self.assertFalse(os.path.exists(os.path.join(self.raw, 'train')))

  def test_a_tree_in_another_layout_is_named(self):
    with self.assertRaisesRegex(flowers.SplitError, 'nowhere does not exist'):
      _split.split_tree(os.path.join(self.raw, 'nowhere'), self.raw, 1, seed=7)


if __name__ == '__main__':
  absltest.main()
