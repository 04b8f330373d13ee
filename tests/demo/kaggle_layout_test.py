"""Tests for inception.demo._kaggle_layout: the tree and the zip read back."""

import hashlib
import os
import re
import struct
import zipfile
from xml.etree import ElementTree

from absl.testing import absltest

from inception import demo
from inception.demo import _kaggle_layout
from tests import file_trees
from tests.demo import fixture_archives

_TOP_FILES = ['LOC_sample_submission.csv', 'LOC_synset_mapping.txt',
              'LOC_train_solution.csv', 'LOC_val_solution.csv']
_IMAGE_SETS = 'ILSVRC/ImageSets/CLS-LOC/'
_ZIP64_EXTRA_ID = 0x0001


def _zip_files(path):
  with zipfile.ZipFile(path) as archive:
    return {info.filename: archive.read(info) for info in archive.infolist()}


def _csv_rows(data):
  """The header and {ImageId: PredictionString} of a LOC_*.csv."""
  lines = data.decode().splitlines()
  return lines[0], dict(line.split(',') for line in lines[1:])


def _xml_objects(xml):
  return [' '.join([obj.findtext('name')] + [
      obj.findtext('bndbox/' + key) for key in ('xmin', 'ymin', 'xmax', 'ymax')])
          for obj in ElementTree.fromstring(xml).findall('object')]


class KaggleTreeTest(fixture_archives.SmallFixtureTestCase):
  """The tree (and zips) of one small fixture with test images."""

  @classmethod
  def setUpClass(cls):
    super().setUpClass()
    cls.xml = fixture_archives.official_xml_by_stem(cls.fixture)
    cls.tree = demo.write_kaggle_tree(cls.fixture,
                                      os.path.join(cls.directory, 'kaggle'))
    cls.files = file_trees.file_contents(cls.tree.path)

  def test_the_published_file_names(self):
    synsets = self.fixture.synsets
    expected = set(_TOP_FILES) | {_IMAGE_SETS + name for name in (
        'train_cls.txt', 'train_loc.txt', 'val.txt', 'test.txt')}
    for synset in synsets:
      for name in self.official['train']:
        if name.startswith(synset):
          expected.add('ILSVRC/Data/CLS-LOC/train/%s/%s' % (synset, name))
    expected |= {'ILSVRC/Data/CLS-LOC/val/ILSVRC2012_val_%08d.JPEG' % n
                 for n in range(1, 8)}
    expected |= {'ILSVRC/Data/CLS-LOC/test/ILSVRC2012_test_%08d.JPEG' % n
                 for n in range(1, 4)}
    expected |= {'ILSVRC/Annotations/CLS-LOC/val/ILSVRC2012_val_%08d.xml' % n
                 for n in range(1, 8)}
    expected |= {'ILSVRC/Annotations/CLS-LOC/train/%s/%s.xml' % (
        stem.split('_')[0], stem) for stem in self.xml if stem.startswith('n')}
    self.assertEqual(set(self.files), expected)
    self.assertEqual(self.tree.members, sorted(expected))
    self.assertEqual(self.tree.path, os.path.abspath(self.tree.path))

  def test_images_are_the_tarballs_bytes(self):
    for images in self.official.values():
      for name, data in images.items():
        self.assertEqual(self.files[self.tree.images[name]], data, name)
    png = self.tree.images[self.fixture.hard_cases['png']]
    self.assertRegex(png, r'^ILSVRC/Data/CLS-LOC/train/n\d{8}/n\d{8}_\d+\.JPEG$')
    self.assertTrue(self.files[png].startswith(b'\x89PNG'))
    self.assertEqual(self.tree.counts, {'train': 18, 'validation': 7, 'test': 3})

  def test_xmls_are_the_box_archives_bytes(self):
    self.assertEqual(set(self.tree.annotations), set(self.xml))
    for stem, path in self.tree.annotations.items():
      self.assertEqual(self.files[path], self.xml[stem], stem)

  def test_synset_mapping_sorted_with_texts(self):
    lines = self.files['LOC_synset_mapping.txt'].decode().splitlines()
    self.assertEqual([line.split(' ')[0] for line in lines], self.fixture.synsets)
    self.assertEqual(lines[0], 'n01440764 tench, Tinca tinca')

  def test_train_solution_one_row_per_image_with_boxes(self):
    header, rows = _csv_rows(self.files['LOC_train_solution.csv'])
    self.assertEqual(header, 'ImageId,PredictionString')
    train_xml = {s: x for s, x in self.xml.items() if s.startswith('n')}
    self.assertEqual(set(rows), set(train_xml))
    self.assertLess(len(rows), 18)
    for stem, prediction in rows.items():
      self.assertEqual(prediction, ' '.join(_xml_objects(train_xml[stem])))
      tokens = prediction.split(' ')
      self.assertEqual(len(tokens) % 5, 0)
      self.assertTrue(all(re.match(r'^-?\d+$', t)
                          for i, t in enumerate(tokens) if i % 5))
    bad = rows[os.path.splitext(self.fixture.box_cases['other_synset'])[0]]
    self.assertNotEqual(bad.split(' ')[5], bad.split(' ')[0])

  def test_validation_solution_every_image_class_first(self):
    header, rows = _csv_rows(self.files['LOC_val_solution.csv'])
    self.assertEqual(header, 'ImageId,PredictionString')
    self.assertEqual(sorted(rows), ['ILSVRC2012_val_%08d' % n for n in range(1, 8)])
    for stem, prediction in rows.items():
      self.assertEqual(prediction.split(' ')[0],
                       fixture_archives.synset_of(self.fixture, stem + '.JPEG'))
    ids = [line.split(',')[0] for line in
           self.files['LOC_val_solution.csv'].decode().splitlines()[1:]]
    self.assertNotEqual(ids, sorted(ids), 'rows come in no promised order')

  def test_sample_submission_one_row_per_test_image(self):
    header, rows = _csv_rows(self.files['LOC_sample_submission.csv'])
    self.assertEqual(header, 'ImageId,PredictionString')
    self.assertEqual(sorted(rows), ['ILSVRC2012_test_%08d' % n for n in range(1, 4)])

  def test_image_sets_in_the_devkit_format(self):
    def lines(name):
      return self.files[_IMAGE_SETS + name].decode().splitlines()
    train_ids = ['%s/%s' % (name.split('_')[0], os.path.splitext(name)[0])
                 for name in self.official['train']]
    self.assertEqual(lines('train_cls.txt'),
                     ['%s %d' % (i, n) for n, i in enumerate(train_ids, 1)])
    self.assertEqual(lines('train_cls.txt')[0].split(' ')[1], '1')
    with_boxes = [i for i in train_ids if i.split('/')[1] in self.xml]
    self.assertEqual(lines('train_loc.txt'),
                     ['%s %d' % (i, n) for n, i in enumerate(with_boxes, 1)])
    self.assertEqual(lines('val.txt'),
                     ['ILSVRC2012_val_%08d %d' % (n, n) for n in range(1, 8)])
    self.assertEqual(lines('test.txt'),
                     ['ILSVRC2012_test_%08d %d' % (n, n) for n in range(1, 4)])

  def test_the_zip_holds_the_tree_deflated(self):
    source = demo.write_kaggle_zip(self.fixture, self.create_tempdir().full_path)
    self.assertEqual(os.path.basename(source.path),
                     'imagenet-object-localization-challenge.zip')
    self.assertEqual(_zip_files(source.path), self.files)
    self.assertEqual((source.images, source.annotations, source.counts),
                     (self.tree.images, self.tree.annotations, self.tree.counts))
    with zipfile.ZipFile(source.path) as archive:
      infos = archive.infolist()
      self.assertEqual([info.filename for info in infos], self.tree.members)
      self.assertEqual({info.compress_type for info in infos},
                       {zipfile.ZIP_DEFLATED})
      self.assertEqual({info.date_time for info in infos}, {(2012, 5, 1, 0, 0, 0)})
      self.assertFalse(any(info.is_dir() for info in infos))
      self.assertIsNone(archive.testzip())

  def test_zip64_local_headers_on_request(self):
    plain = demo.write_kaggle_zip(self.fixture, self.create_tempdir().full_path)
    zip64 = demo.write_kaggle_zip(self.fixture, self.create_tempdir().full_path,
                                  zip64=True)
    self.assertEqual(_zip_files(zip64.path), self.files)
    self.assertEqual(
        [self._local_extra_ids(plain.path)[0], self._local_extra_ids(zip64.path)[0]],
        [[], [_ZIP64_EXTRA_ID]])
    self.assertEqual(set(map(tuple, self._local_extra_ids(zip64.path))),
                     {(_ZIP64_EXTRA_ID,)})

  def _local_extra_ids(self, path):
    """The extra field ids of each member's local header."""
    ids = []
    with zipfile.ZipFile(path) as archive, open(path, 'rb') as f:
      for info in archive.infolist():
        f.seek(info.header_offset)
        header = f.read(30)
        self.assertEqual(header[:4], b'PK\x03\x04')
        name_length, extra_length = struct.unpack('<HH', header[26:30])
        f.seek(name_length, os.SEEK_CUR)
        extra = f.read(extra_length)
        member_ids = []
        while extra:
          field_id, size = struct.unpack('<HH', extra[:4])
          member_ids.append(field_id)
          extra = extra[4 + size:]
        ids.append(member_ids)
    return ids

  def test_the_same_fixture_gives_the_same_bytes(self):
    again = demo.write_kaggle_tree(self.fixture, self.create_tempdir().full_path)
    self.assertEqual(file_trees.file_contents(again.path), self.files)
    first, second = (
        demo.write_kaggle_zip(self.fixture, self.create_tempdir().full_path)
        for _ in range(2))
    digests = []
    for source in (first, second):
      with open(source.path, 'rb') as f:
        digests.append(hashlib.md5(f.read()).hexdigest())
    self.assertEqual(digests[0], digests[1])


class WithoutTestImagesTest(absltest.TestCase):

  def test_no_test_folder_list_or_submission_rows(self):
    tmp = self.create_tempdir().full_path
    fixture = demo.generate(os.path.join(tmp, 'fixture'), demo.Config(
        num_classes=2, images_per_class=3, num_validation_images=2,
        min_side=32, max_side=48))
    tree = demo.write_kaggle_tree(fixture, os.path.join(tmp, 'kaggle'))
    files = file_trees.file_contents(tree.path)
    self.assertFalse([name for name in files if '/test' in name])
    self.assertEqual(files['LOC_sample_submission.csv'],
                     b'ImageId,PredictionString\n')
    self.assertEqual(tree.counts, {'train': 6, 'validation': 2})
    self.assertEqual(_kaggle_layout.KAGGLE_ZIP, demo.KAGGLE_ZIP)


if __name__ == '__main__':
  absltest.main()
