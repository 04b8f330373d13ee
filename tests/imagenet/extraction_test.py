"""Tests of inception.imagenet._extraction: the ILSVRC2012 tarballs into raw-data/."""

import os
import re
import tarfile

from absl.testing import absltest

from inception import acquire
from inception import demo
from inception import driver
from inception import imagenet
from inception.imagenet import _archives
from inception.imagenet import _extraction
from tests import archives
from tests.acquire import extract_fixtures


_write = extract_fixtures.write
_tree = extract_fixtures.tree


class ExtractAllTest(extract_fixtures.MiniImagenetTestCase):

  def setUp(self):
    super().setUp()
    self.data_dir = self.create_tempdir().full_path
    self.raw_dir = driver.raw_data_dir(self.data_dir)

  def extract_all(self, validation_tar=None):
    return _extraction.extract_all(
        self.data_dir, {
            _archives.TRAIN_TAR: self.fixture.train_tar,
            _archives.VALIDATION_TAR: validation_tar or self.fixture.validation_tar,
            _archives.BBOX_TRAIN_TAR_GZ: self.fixture.bbox_train_tar_gz,
            _archives.BBOX_VALIDATION_TGZ: self.fixture.bbox_validation_tgz},
        self.fixture.validation_labels, progress_interval=0)

  def validation_tar_with(self, change):
    """A copy of the fixture's validation tar whose (name, bytes) members `change`
    edits, under the tar's own name."""
    with tarfile.open(self.fixture.validation_tar) as tar:
      members = [(m.name, tar.extractfile(m).read()) for m in tar]
    path = os.path.join(self.create_tempdir().full_path, _archives.VALIDATION_TAR)
    return _write(path, archives.tar_bytes(change(members)))

  def test_layout_and_contents(self):
    result = self.extract_all()
    self.assertEqual(result.raw_dir, self.raw_dir)
    self.assertEqual(result.train_counts, self.fixture.train_counts)
    self.assertEqual(result.num_validation_images, 6)
    self.assertEqual(_tree(os.path.join(self.raw_dir, 'train')),
                     dict(self.expected_train_files(),
                          **{wnid + '/': None for wnid in self.fixture.synsets}))
    validation = os.listdir(os.path.join(self.raw_dir, 'validation'))
    self.assertCountEqual(validation, [demo.validation_filename(i)
                                       for i in range(6)])
    boxes = _tree(os.path.join(self.raw_dir, 'bounding_boxes'))
    xml_files = [name for name in boxes if name.endswith('.xml')]
    self.assertLen(xml_files, result.num_bounding_box_files)
    for name in xml_files:
      wnid, basename = name.split('/')
      self.assertIn(wnid, self.fixture.synsets)
      self.assertStartsWith(basename, wnid + '_')
    val_boxes = os.listdir(os.path.join(self.raw_dir, 'validation_bounding_boxes',
                                        'val'))
    self.assertLen(val_boxes, 6)
    self.assertEqual(result.num_validation_bounding_box_files, 6)
    self.assertFalse(os.path.exists(os.path.join(self.raw_dir, '.extracting')))
    self.assertCountEqual(os.listdir(self.data_dir), ['raw-data'])

  def test_rerun_writes_nothing(self):
    self.extract_all()
    before = {path: os.stat(os.path.join(self.raw_dir, path))
              for path in _tree(self.raw_dir)}
    again = self.extract_all()
    self.assertEqual(again.train_counts, self.fixture.train_counts)
    after = {path: os.stat(os.path.join(self.raw_dir, path))
             for path in _tree(self.raw_dir)}
    self.assertEqual(before.keys(), after.keys())
    for path in before:
      self.assertEqual((before[path].st_ino, before[path].st_mtime_ns),
                       (after[path].st_ino, after[path].st_mtime_ns), path)

  def test_partial_output_of_an_interrupted_run_is_replaced(self):
    staging = os.path.join(self.raw_dir, '.extracting')
    wnid = self.fixture.synsets[0]
    os.makedirs(os.path.join(staging, 'train', wnid))
    _write(os.path.join(staging, 'train', wnid, 'junk.JPEG'), b'junk')
    os.makedirs(os.path.join(staging, 'validation'))
    _write(os.path.join(staging, 'validation', 'junk.JPEG'), b'junk')
    self.extract_all()
    self.assertNotIn('junk.JPEG', os.listdir(os.path.join(self.raw_dir, 'train', wnid)))
    self.assertNotIn('junk.JPEG', os.listdir(os.path.join(self.raw_dir, 'validation')))
    self.assertFalse(os.path.exists(staging))

  def test_validation_tar_unlike_the_label_file_leaves_nothing_behind(self):
    # Issue 24, item 9: a validation tar of other images was extracted into
    # raw-data/validation and only refused by the relabel step.
    cases = {
        'extra': (lambda members: members + [('ILSVRC2012_val_00000099.JPEG', b'x')],
                  '0 missing (first: -), 1 unexpected (first: '
                  'ILSVRC2012_val_00000099.JPEG)'),
        'missing': (lambda members: members[:2] + members[3:],
                    '1 missing (first: ILSVRC2012_val_00000003.JPEG), 0 unexpected '
                    '(first: -)'),
    }
    for case, (change, problem) in cases.items():
      with self.subTest(case=case):
        path = self.validation_tar_with(change)
        with self.assertRaisesRegex(
            acquire.ExtractionError,
            '^%s does not match the validation label file \\(6 images named there\\): '
            '%s; nothing extracted from it was kept$' % (re.escape(path),
                                                          re.escape(problem))):
          self.extract_all(validation_tar=path)
        self.assertEqual(sorted(os.listdir(self.raw_dir)),
                         ['.ILSVRC2012_bbox_train_v2.tar.gz.extracted',
                          '.ILSVRC2012_bbox_val_v3.tgz.extracted', 'bounding_boxes',
                          'validation_bounding_boxes'])

  def test_validation_tar_is_checked_while_it_downloads_too(self):
    extraction = _extraction.image_extractions(
        self.raw_dir, self.fixture.validation_labels)[_archives.VALIDATION_TAR]
    names = [demo.validation_filename(i) for i in range(6)]
    self.assertIsNone(extraction.check_members('val.tar', names))
    self.assertEqual(extraction.check_members('val.tar', names[1:]),
                     'val.tar does not match the validation label file (6 images '
                     'named there): 1 missing (first: ILSVRC2012_val_00000001.JPEG), 0 '
                     'unexpected (first: -)')

  def test_image_tarballs_go_to_the_layout(self):
    self.assertEqual(_extraction.image_extractions(self.raw_dir), {
        _archives.TRAIN_TAR: acquire.Extraction(acquire.CLASS_TARS, self.raw_dir,
                                                driver.TRAIN_DIRNAME),
        _archives.VALIDATION_TAR: acquire.Extraction(acquire.FLAT, self.raw_dir,
                                                     driver.VALIDATION_DIRNAME),
        _archives.TEST_TAR: acquire.Extraction(acquire.FLAT, self.raw_dir,
                                               imagenet.TEST_DIRNAME)})


if __name__ == '__main__':
  absltest.main()
