"""Tests for bench/imagenet_set.py: ImageNet's shape, and a tiny set read back.

The planning functions are checked at full scale (they touch no image); the set itself
is generated at scale 0.001 (1,000 classes of 1-2 train images, 1,000 validation
images, 545 XMLs) and read back with tarfile, PIL and ElementTree.
"""

import collections
import dataclasses
import hashlib
import io
import os
import re
import tarfile
from xml.etree import ElementTree

from absl.testing import absltest
from PIL import Image

from bench import imagenet_set
from inception import label_files

_TINY = imagenet_set.SetConfig(scale=0.001, pool_size=12)


def _data_dir():
  return os.path.dirname(label_files.data_file_path(label_files.SYNSETS_FILE))


def _members(path_or_bytes):
  """[(name, bytes)] of a tar (path or bytes, any compression), in archive order."""
  if isinstance(path_or_bytes, bytes):
    archive = tarfile.open(fileobj=io.BytesIO(path_or_bytes), mode='r:*')
  else:
    archive = tarfile.open(path_or_bytes, mode='r:*')
  with archive:
    return [(m.name, archive.extractfile(m).read()) for m in archive if m.isfile()]


def _md5(path):
  with open(path, 'rb') as f:
    return hashlib.md5(f.read()).hexdigest()


class PlanTest(absltest.TestCase):
  """ImageNet's counts at scale 1, without generating anything."""

  def test_class_counts_have_imagenets_range_and_total(self):
    counts = imagenet_set.full_class_counts(seed=2012)
    self.assertLen(counts, 1000)
    self.assertEqual(sum(counts), 1281167)
    self.assertEqual(min(counts), 732)
    self.assertEqual(max(counts), 1300)

  def test_scaled_counts_keep_every_class(self):
    synsets = label_files.read_synsets(label_files.data_file_path(
        label_files.SYNSETS_FILE))
    full = imagenet_set.class_counts(synsets, 1.0, seed=2012)
    self.assertEqual(sum(full.values()), 1281167)
    tiny = imagenet_set.class_counts(synsets, 0.001, seed=2012)
    self.assertEqual(list(tiny), synsets)
    self.assertEqual(set(tiny.values()), {1})

  def test_boxes_per_image_at_full_scale(self):
    boxes = imagenet_set.boxes_per_image(2012, 1281167, 544546, 615299)
    self.assertEqual(int((boxes > 0).sum()), 544546)
    self.assertEqual(int(boxes.sum()), 615299)

  def test_validation_subset(self):
    labels = label_files.read_validation_labels(label_files.data_file_path(
        label_files.VALIDATION_LABELS_FILE))
    self.assertEqual(imagenet_set.validation_subset(labels, 1.0), labels)
    one_each = imagenet_set.validation_subset(labels, 0.01)
    self.assertLen(one_each, 1000)
    self.assertLen(set(one_each), 1000)
    self.assertEqual(one_each[0], labels[0])
    leading = imagenet_set.validation_subset(labels, 0.01, leading=True)
    self.assertEqual(leading, labels[:1000])

  def test_image_numbers_hold_the_special_ones(self):
    numbers = imagenet_set.image_numbers(2012, 5, 1300, [2933])
    self.assertLen(numbers, 1300)
    self.assertLen(set(numbers), 1300)
    self.assertIn(2933, numbers)
    self.assertEqual(numbers, sorted(numbers))
    self.assertEqual(imagenet_set.image_numbers(2012, 5, 1, [2933]), [2933])

  def test_special_names_are_specs(self):
    self.assertLen(imagenet_set.SPECIAL_IMAGES, 23)
    self.assertEqual(imagenet_set.SPECIAL_IMAGES['n02105855_2933.JPEG'], 'png')
    self.assertEqual(collections.Counter(imagenet_set.SPECIAL_IMAGES.values()),
                     {'png': 1, 'cmyk': 22})

  def test_tar_header_is_tarfiles(self):
    for name, size in (('n01440764.tar', 1664000), ('ILSVRC2012_val_00050000.JPEG', 0),
                       ('n01440764/n01440764_10026.xml', 987654321)):
      info = tarfile.TarInfo(name)
      info.size, info.mtime, info.mode = size, 1335830400, 0o644
      info.uid = info.gid = 0
      info.uname = info.gname = ''
      self.assertEqual(imagenet_set.tar_header(name, size),
                       info.tobuf(tarfile.USTAR_FORMAT, 'utf-8', 'surrogateescape'))
    with self.assertRaisesRegex(ValueError, 'longer than 100'):
      imagenet_set.tar_header('x' * 101, 1)

  def test_config_is_checked(self):
    with self.assertRaisesRegex(ValueError, 'scale'):
      imagenet_set.SetConfig(scale=0)
    with self.assertRaisesRegex(ValueError, 'scale'):
      imagenet_set.SetConfig(scale=1.5)


class GenerateTest(absltest.TestCase):
  """A tiny set, generated once for the class and read back."""

  @classmethod
  def setUpClass(cls):
    super().setUpClass()
    cls.directory = os.path.join(absltest.get_default_test_tmpdir(), 'tiny')
    cls.record = imagenet_set.generate(cls.directory, _TINY, _data_dir(),
                                       log=lambda line: None)
    cls.train = {name: _members(data) for name, data in _members(
        os.path.join(cls.directory, 'ILSVRC2012_img_train.tar'))}

  def test_train_tar_holds_a_tar_per_real_synset(self):
    synsets = label_files.read_synsets(label_files.data_file_path(
        label_files.SYNSETS_FILE))
    self.assertEqual(list(self.train), ['%s.tar' % s for s in synsets])
    images = [name for members in self.train.values() for name, _ in members]
    self.assertLen(images, self.record['train_images'])
    self.assertEqual(self.record['train_images'], 1000 + 23 - 23)  # 1 per class
    for class_tar, members in self.train.items():
      for name, _ in members:
        self.assertRegex(name, r'^%s_\d+\.JPEG$' % class_tar[:-len('.tar')])
    self.assertEqual(self.record['train_image_bytes'],
                     sum(len(d) for m in self.train.values() for _, d in m))

  def test_special_images_are_png_and_cmyk_jpeg(self):
    by_name = {name: data for members in self.train.values()
               for name, data in members}
    self.assertEqual(self.record['special_images'], imagenet_set.SPECIAL_IMAGES)
    for name, kind in imagenet_set.SPECIAL_IMAGES.items():
      image = Image.open(io.BytesIO(by_name[name]))
      if kind == 'png':
        self.assertEqual(image.format, 'PNG', name)
      else:
        self.assertEqual((image.format, image.mode), ('JPEG', 'CMYK'), name)
    plain = [n for n in by_name if n not in imagenet_set.SPECIAL_IMAGES][:20]
    for name in plain:
      image = Image.open(io.BytesIO(by_name[name]))
      self.assertEqual((image.format, image.mode), ('JPEG', 'RGB'), name)
      self.assertBetween(len(by_name[name]), 500, 20000)

  def test_validation_tar_matches_its_label_file(self):
    members = _members(os.path.join(self.directory, 'ILSVRC2012_img_val.tar'))
    with open(self.record['validation_labels_file']) as f:
      labels = f.read().split()
    self.assertLen(labels, 1000)
    self.assertEqual([name for name, _ in members],
                     ['ILSVRC2012_val_%08d.JPEG' % i for i in range(1, 1001)])
    self.assertEqual(self.record['validation_images'], 1000)

  def test_xmls_and_boxes_in_the_tar_gz(self):
    members = _members(os.path.join(self.directory,
                                    'ILSVRC2012_bbox_train_v2.tar.gz'))
    images = {name[:-len('.JPEG')] for m in self.train.values() for name, _ in m}
    self.assertLen(members, round(544546 * 0.001))
    num_boxes = 0
    for name, data in members:
      synset, stem = re.fullmatch(r'(n\d{8})/(n\d{8}_\d+)\.xml', name).groups()
      self.assertIn(stem, images)
      root = ElementTree.fromstring(data)
      width, height = int(root.findtext('size/width')), int(root.findtext('size/height'))
      for obj in root.findall('object'):
        self.assertEqual(obj.findtext('name'), synset)
        xmin, ymin, xmax, ymax = (int(obj.findtext('bndbox/' + k))
                                  for k in ('xmin', 'ymin', 'xmax', 'ymax'))
        self.assertTrue(0 <= xmin < xmax <= width and 0 <= ymin < ymax <= height,
                        name)
        num_boxes += 1
    self.assertEqual(num_boxes, round(615299 * 0.001))
    self.assertEqual((self.record['xmls'], self.record['boxes']),
                     (len(members), num_boxes))

  def test_checksums_file_and_label_files(self):
    with open(self.record['checksums_file']) as f:
      lines = f.read().splitlines()
    self.assertLen(lines, 3)
    for line in lines:
      md5, name = line.split('  ')
      self.assertEqual(_md5(os.path.join(self.directory, name)), md5, name)
      self.assertEqual(self.record['archives'][name]['md5'], md5)
      self.assertEqual(os.path.getsize(os.path.join(self.directory, name)),
                       self.record['archives'][name]['bytes'])
    for key, basename in (('labels_file', label_files.SYNSETS_FILE),
                          ('imagenet_metadata_file', label_files.METADATA_FILE)):
      self.assertEqual(_md5(self.record[key]),
                       _md5(label_files.data_file_path(basename)), key)

  def test_same_config_same_bytes_and_cached(self):
    other = os.path.join(absltest.get_default_test_tmpdir(), 'tiny-again')
    again = imagenet_set.generate(other, _TINY, _data_dir(), log=lambda line: None)
    self.assertEqual(again['archives'], self.record['archives'])
    for name in ('MD5SUMS', label_files.VALIDATION_LABELS_FILE):
      self.assertEqual(_md5(os.path.join(other, name)),
                       _md5(os.path.join(self.directory, name)))
    train = os.path.join(other, 'ILSVRC2012_img_train.tar')
    before = os.stat(train).st_mtime_ns
    logged = []
    imagenet_set.generate(other, _TINY, _data_dir(), log=logged.append)
    self.assertEqual(os.stat(train).st_mtime_ns, before)
    self.assertIn('Reusing', logged[0])
    changed = imagenet_set.generate(other, dataclasses.replace(_TINY, seed=7),
                                    _data_dir(), log=lambda line: None)
    self.assertNotEqual(changed['archives'], self.record['archives'])
    self.assertEqual(changed['config']['seed'], 7)


if __name__ == '__main__':
  absltest.main()
