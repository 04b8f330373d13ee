"""Tests of inception.annotations._validation_relabel: idempotent, refusing, never deleting."""

import io
import os
import tarfile

from absl.testing import absltest
from PIL import Image

from inception import demo
from inception.annotations import _validation_relabel
from tests import file_trees

TENCH = 'n01440764'
GOLDFISH = 'n01443537'
SHARK = 'n01484850'
LABELS = [GOLDFISH, TENCH, GOLDFISH, SHARK, TENCH, TENCH]


def _jpeg(seed):
  image = Image.new('RGB', (16 + seed, 12), (seed * 40 % 256, 90, 200))
  buffer = io.BytesIO()
  image.save(buffer, 'JPEG')
  return buffer.getvalue()


def _expected_tree(flat_tree, labels):
  """Where each flat image must end up."""
  return {os.path.join(labels[int(name[15:23]) - 1], name): md5
          for name, md5 in flat_tree.items()}


class PlanTest(absltest.TestCase):

  def test_plan_moves(self):
    self.assertEqual(_validation_relabel.plan_moves([TENCH, GOLDFISH]), [
        ('ILSVRC2012_val_00000001.JPEG', TENCH),
        ('ILSVRC2012_val_00000002.JPEG', GOLDFISH)])
    self.assertEqual(_validation_relabel.validation_filename(50000),
                     'ILSVRC2012_val_00050000.JPEG')

  def test_plan_relabel_sorts_out_every_case(self):
    moves = _validation_relabel.plan_moves([TENCH, GOLDFISH, TENCH, SHARK, GOLDFISH])
    plan = _validation_relabel.plan_relabel(
        moves,
        flat_files=['ILSVRC2012_val_00000001.JPEG', 'ILSVRC2012_val_00000003.JPEG',
                    'notes.txt'],
        class_files={TENCH: ['ILSVRC2012_val_00000003.JPEG',
                             'ILSVRC2012_val_00000004.JPEG'],
                     GOLDFISH: ['ILSVRC2012_val_00000002.JPEG', 'x.JPEG']})
    self.assertEqual(plan.moves, [moves[0]])
    self.assertEqual(plan.in_place, ['ILSVRC2012_val_00000002.JPEG'])
    self.assertEqual(plan.flat_and_in_place, [moves[2]])
    self.assertEqual(plan.missing, ['ILSVRC2012_val_00000005.JPEG'])
    self.assertEqual(plan.unexpected, ['notes.txt', GOLDFISH + '/x.JPEG'])
    self.assertEqual(plan.misplaced, [
        '%s/ILSVRC2012_val_00000004.JPEG (the label file says %s)' % (TENCH, SHARK)])


class RelabelTest(absltest.TestCase):

  def setUp(self):
    super().setUp()
    self.directory = self.create_tempdir().full_path
    for index in range(len(LABELS)):
      with open(os.path.join(self.directory,
                             _validation_relabel.validation_filename(index + 1)),
                'wb') as f:
        f.write(_jpeg(index))
    self.flat = file_trees.file_contents(self.directory)
    self.expected = _expected_tree(self.flat, LABELS)

  def test_moves_then_a_rerun_is_a_no_op(self):
    stats = _validation_relabel.relabel_validation_directory(self.directory, LABELS)
    self.assertEqual((stats.images, stats.moved, stats.already_in_place), (6, 6, 0))
    self.assertEqual(file_trees.file_contents(self.directory), self.expected)
    mtimes = {path: os.stat(os.path.join(self.directory, path)).st_mtime_ns
              for path in self.expected}
    stats = _validation_relabel.relabel_validation_directory(self.directory, LABELS)
    self.assertEqual((stats.moved, stats.already_in_place), (0, 6))
    self.assertEqual(file_trees.file_contents(self.directory), self.expected)
    self.assertEqual({path: os.stat(os.path.join(self.directory, path)).st_mtime_ns
                      for path in self.expected}, mtimes)

  def test_a_run_interrupted_halfway_is_completed(self):
    for name, synset in _validation_relabel.plan_moves(LABELS)[:3]:
      os.makedirs(os.path.join(self.directory, synset), exist_ok=True)
      os.rename(os.path.join(self.directory, name),
                os.path.join(self.directory, synset, name))
    stats = _validation_relabel.relabel_validation_directory(self.directory, LABELS)
    self.assertEqual((stats.moved, stats.already_in_place), (3, 3))
    self.assertEqual(file_trees.file_contents(self.directory), self.expected)

  def _assert_refused(self, labels, *words):
    before = file_trees.file_contents(self.directory)
    with self.assertRaises(_validation_relabel.DirectoryMismatchError) as raised:
      _validation_relabel.relabel_validation_directory(self.directory, labels,
                                                      '/labels.txt')
    message = str(raised.exception)
    for word in words + (self.directory, 'Nothing was moved'):
      self.assertIn(word, message)
    # Nothing moved, nothing deleted.
    self.assertEqual(file_trees.file_contents(self.directory), before)

  def test_more_labels_than_images_is_refused(self):
    self._assert_refused(LABELS + [SHARK], '/labels.txt (7 images)', '1 missing',
                         'ILSVRC2012_val_00000007.JPEG')

  def test_fewer_labels_than_images_is_refused(self):
    self._assert_refused(LABELS[:4], '2 files the label file does not name',
                         'ILSVRC2012_val_00000005.JPEG')

  def test_a_stray_file_is_refused(self):
    with open(os.path.join(self.directory, 'README'), 'w') as f:
      f.write('hi')
    self._assert_refused(LABELS, '1 files the label file does not name', 'README')

  def test_an_image_in_the_wrong_class_is_refused_even_after_a_partial_run(self):
    for name, synset in _validation_relabel.plan_moves(LABELS)[:2]:
      os.makedirs(os.path.join(self.directory, synset), exist_ok=True)
      os.rename(os.path.join(self.directory, name),
                os.path.join(self.directory, synset, name))
    wrong = list(LABELS)
    wrong[1] = SHARK
    self._assert_refused(wrong, '1 in the wrong class directory',
                         '%s/ILSVRC2012_val_00000002.JPEG (the label file says %s)' %
                         (TENCH, SHARK))

  def test_an_identical_flat_copy_is_kept_and_a_different_one_refused(self):
    name = _validation_relabel.validation_filename(2)
    os.makedirs(os.path.join(self.directory, TENCH))
    with open(os.path.join(self.directory, name), 'rb') as f:
      data = f.read()
    with open(os.path.join(self.directory, TENCH, name), 'wb') as f:
      f.write(data)
    stats = _validation_relabel.relabel_validation_directory(self.directory, LABELS)
    self.assertEqual(stats.flat_copies_left, [name])
    self.assertEqual((stats.moved, stats.already_in_place), (5, 1))
    self.assertEqual(file_trees.file_contents(self.directory),
                     dict(self.expected, **{name: self.flat[name]}))
    self.assertIn('identical flat copies', stats.summary())

    with open(os.path.join(self.directory, name), 'wb') as f:
      f.write(_jpeg(40))
    self._assert_refused(LABELS, 'different bytes', name)

  def test_missing_directory(self):
    with self.assertRaisesRegex(FileNotFoundError, 'nowhere'):
      _validation_relabel.relabel_validation_directory(
          os.path.join(self.directory, 'nowhere'), LABELS)


class MiniImagenetTest(absltest.TestCase):

  def test_relabel_the_extracted_validation_tar(self):
    fixture = demo.generate(
        self.create_tempdir().full_path,
        demo.Config(num_classes=3, images_per_class=6,
                             num_validation_images=6, min_side=64, max_side=96))
    directory = self.create_tempdir().full_path
    with tarfile.open(fixture.validation_tar) as archive:
      archive.extractall(directory, filter='data')
    flat = file_trees.file_contents(directory)
    self.assertLen(flat, 6)
    for _ in range(2):
      stats = _validation_relabel.relabel_validation_directory(
          directory, fixture.validation_labels, fixture.validation_labels_file)
      self.assertEqual(file_trees.file_contents(directory),
                       _expected_tree(flat, fixture.validation_labels))
    self.assertEqual((stats.moved, stats.already_in_place), (0, 6))
    self.assertCountEqual(os.listdir(directory), set(fixture.validation_labels))


if __name__ == '__main__':
  absltest.main()
