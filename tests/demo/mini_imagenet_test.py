"""Tests for inception.mini_imagenet: real archives read back with tarfile and PIL."""

import dataclasses
import hashlib
import io
import os
import re
import time
from xml.etree import ElementTree

from absl.testing import absltest
from PIL import Image

from inception import label_files
from inception.demo import _mini_imagenet
from tests.demo import fixture_archives

_SMALL = _mini_imagenet.Config(num_classes=3, images_per_class=6,
                              num_validation_images=7, min_side=64, max_side=96)


def _read_file(path):
  with open(path, 'rb') as f:
    return f.read()


def _parse_xml(data):
  """(folder, filename, width, height, [(name, xmin, ymin, xmax, ymax)])."""
  root = ElementTree.fromstring(data)
  assert root.tag == 'annotation', root.tag
  assert root.findtext('source/database') == 'ILSVRC_2012'
  assert root.findtext('segmented') == '0'
  objects = []
  for obj in root.findall('object'):
    assert obj.findtext('pose') == 'Unspecified'
    assert obj.findtext('truncated') == '0' and obj.findtext('difficult') == '0'
    objects.append((obj.findtext('name'),) + tuple(
        int(obj.findtext('bndbox/' + key)) for key in ('xmin', 'ymin', 'xmax', 'ymax')))
  return (root.findtext('folder'), root.findtext('filename'),
          int(root.findtext('size/width')), int(root.findtext('size/height')),
          objects)


class SmallFixtureTest(absltest.TestCase):
  """Layout and content of one small fixture, generated once."""

  @classmethod
  def setUpClass(cls):
    super().setUpClass()
    directory = os.path.join(absltest.get_default_test_tmpdir(), 'small')
    cls.fixture = _mini_imagenet.generate(directory, _SMALL)
    cls.train = fixture_archives.train_images(cls.fixture)
    cls.validation = fixture_archives.tar_members(cls.fixture.validation_tar)
    cls.train_xml = fixture_archives.tar_members(cls.fixture.bbox_train_tar_gz)
    cls.validation_xml = fixture_archives.tar_members(cls.fixture.bbox_validation_tgz)

  def test_paths_are_absolute_and_in_the_directory(self):
    fixture = self.fixture
    names = {
        fixture.train_tar: 'ILSVRC2012_img_train.tar',
        fixture.validation_tar: 'ILSVRC2012_img_val.tar',
        fixture.bbox_train_tar_gz: 'ILSVRC2012_bbox_train_v2.tar.gz',
        fixture.bbox_validation_tgz: 'ILSVRC2012_bbox_val_v3.tgz',
        fixture.synsets_file: 'imagenet_lsvrc_2015_synsets.txt',
        fixture.validation_labels_file: 'imagenet_2012_validation_synset_labels.txt',
        fixture.metadata_file: 'imagenet_metadata.txt',
        fixture.checksums_file: 'MD5SUMS',
    }
    self.assertTrue(os.path.isabs(fixture.directory))
    for path, name in names.items():
      self.assertEqual(path, os.path.join(fixture.directory, name))
    self.assertCountEqual(os.listdir(fixture.directory), names.values())

  def test_classes_are_real_sorted_and_include_the_first(self):
    all_synsets = label_files.read_synsets()
    self.assertLen(self.fixture.synsets, _SMALL.num_classes)
    self.assertEqual(self.fixture.synsets, sorted(set(self.fixture.synsets)))
    self.assertContainsSubset(self.fixture.synsets, all_synsets)
    self.assertIn('n01440764', self.fixture.synsets)

  def test_train_tar_is_a_tar_of_class_tars_with_flat_names(self):
    self.assertEqual(sorted(self.train),
                     ['%s.tar' % s for s in self.fixture.synsets])
    self.assertEqual(self.fixture.train_counts,
                     {s: _SMALL.images_per_class for s in self.fixture.synsets})
    for synset in self.fixture.synsets:
      names = list(self.train['%s.tar' % synset])
      self.assertLen(names, self.fixture.train_counts[synset])
      self.assertEqual(names, sorted(names), 'members are sorted')
      for name in names:
        self.assertRegex(name, r'^%s_\d+\.JPEG$' % synset)

  def test_validation_tar_is_flat_and_numbered_from_one(self):
    expected = ['ILSVRC2012_val_%08d.JPEG' % i
                for i in range(1, _SMALL.num_validation_images + 1)]
    self.assertEqual(list(self.validation), expected)

  def test_every_image_decodes_with_the_expected_format(self):
    hard_names = set(self.fixture.hard_cases.values())
    images = dict(self.validation)
    for members in self.train.values():
      images.update(members)
    for name, data in images.items():
      with Image.open(io.BytesIO(data)) as image:
        image.load()
        self.assertBetween(image.width, _SMALL.min_side, _SMALL.max_side, name)
        self.assertBetween(image.height, _SMALL.min_side, _SMALL.max_side, name)
        if name not in hard_names:
          self.assertEqual((image.format, image.mode), ('JPEG', 'RGB'), name)
          self.assertNotIn('progressive', image.info, name)
          self.assertNotIn('exif', image.info, name)

  def test_hard_cases_are_what_they_claim(self):
    self.assertCountEqual(self.fixture.hard_cases, _mini_imagenet.HARD_CASE_KINDS)
    by_name = {}
    for members in self.train.values():
      by_name.update(members)
    opened = {}
    for kind, name in self.fixture.hard_cases.items():
      self.assertIn(name, by_name)
      opened[kind] = Image.open(io.BytesIO(by_name[name]))
      opened[kind].load()
    self.assertTrue(by_name[self.fixture.hard_cases['png']].startswith(b'\x89PNG'))
    self.assertEqual(opened['png'].format, 'PNG')
    self.assertEqual((opened['cmyk'].format, opened['cmyk'].mode), ('JPEG', 'CMYK'))
    # The JPEG start-of-frame header says 4 components (what converters detect).
    self.assertEqual(opened['cmyk'].layers, 4)
    self.assertEqual((opened['grayscale'].format, opened['grayscale'].mode),
                     ('JPEG', 'L'))
    self.assertTrue(opened['progressive'].info.get('progressive'))
    self.assertEqual(opened['exif'].format, 'JPEG')
    self.assertIn('exif', opened['exif'].info)
    self.assertEqual(opened['exif'].getexif()[0x010F], 'Canon')
    # The hard cases are spread over the first classes.
    classes = {name.split('_')[0] for name in self.fixture.hard_cases.values()}
    self.assertLen(classes, min(_SMALL.num_classes, len(_mini_imagenet.HARD_CASE_KINDS)))

  def test_train_xmls_match_their_images(self):
    images = {}
    for members in self.train.values():
      images.update(members)
    annotated = set()
    for path, data in self.train_xml.items():
      match = re.match(r'^(n\d{8})/(n\d{8}_\d+)\.xml$', path)
      self.assertIsNotNone(match, path)
      synset, stem = match.groups()
      self.assertTrue(stem.startswith(synset + '_'), path)
      folder, filename, width, height, objects = _parse_xml(data)
      self.assertEqual((folder, filename), (synset, stem))
      with Image.open(io.BytesIO(images[stem + '.JPEG'])) as image:
        self.assertEqual((width, height), image.size, path)
      self.assertBetween(len(objects), 1, 2)
      name, xmin, ymin, xmax, ymax = objects[0]
      self.assertEqual(name, synset, 'the first box is a normal one')
      self.assertTrue(0 <= xmin < xmax <= width and 0 <= ymin < ymax <= height, path)
      annotated.add(stem + '.JPEG')
    # Like real ImageNet, only some train images have boxes.
    self.assertNotEmpty(annotated)
    self.assertLess(len(annotated), len(images))

  def test_box_cases_are_present(self):
    self.assertCountEqual(self.fixture.box_cases, _mini_imagenet.BOX_CASE_KINDS)
    by_basename = {os.path.basename(p): p for p in self.train_xml}
    cases = {}
    for kind, basename in self.fixture.box_cases.items():
      _, _, width, height, objects = _parse_xml(self.train_xml[by_basename[basename]])
      self.assertLen(objects, 2, basename)
      cases[kind] = (width, height, objects[0][0], objects[1])
    _, _, _, (_, xmin, ymin, xmax, ymax) = cases['inverted']
    self.assertGreater(xmin, xmax)
    self.assertGreater(ymin, ymax)
    width, height, _, (_, xmin, ymin, xmax, ymax) = cases['outside']
    self.assertTrue(xmin < 0 or xmax > width or ymin < 0 or ymax > height)
    _, _, _, (_, xmin, ymin, xmax, ymax) = cases['degenerate']
    self.assertEqual(xmin, xmax)
    _, _, own, (other, _, _, _, _) = cases['other_synset']
    self.assertNotEqual(other, own)
    self.assertIn(other, label_files.read_synsets())
    for kind in ('inverted', 'outside', 'degenerate'):
      self.assertEqual(cases[kind][3][0], cases[kind][2], kind)

  def test_validation_xmls_one_per_image_with_its_label(self):
    self.assertLen(self.validation_xml, _SMALL.num_validation_images)
    for index, label in enumerate(self.fixture.validation_labels):
      stem = 'ILSVRC2012_val_%08d' % (index + 1)
      folder, filename, width, height, objects = _parse_xml(
          self.validation_xml['val/%s.xml' % stem])
      self.assertEqual((folder, filename), ('val', stem))
      with Image.open(io.BytesIO(self.validation[stem + '.JPEG'])) as image:
        self.assertEqual((width, height), image.size)
      self.assertNotEmpty(objects)
      for name, xmin, ymin, xmax, ymax in objects:
        self.assertEqual(name, label)
        self.assertTrue(0 <= xmin < xmax <= width and 0 <= ymin < ymax <= height)

  def test_label_files_match_the_archives(self):
    fixture = self.fixture
    self.assertEqual(_read_file(fixture.synsets_file).decode(),
                     ''.join(s + '\n' for s in fixture.synsets))
    self.assertEqual(label_files.read_synsets(fixture.synsets_file), fixture.synsets)
    labels = label_files.read_validation_labels(fixture.validation_labels_file)
    self.assertEqual(labels, fixture.validation_labels)
    self.assertLen(labels, len(self.validation))
    self.assertEqual(set(labels), set(fixture.synsets), 'every class has one')
    counts = [labels.count(s) for s in fixture.synsets]
    self.assertLessEqual(max(counts) - min(counts), 1, 'balanced')
    real_texts = label_files.read_metadata()
    metadata = label_files.read_metadata(fixture.metadata_file)
    self.assertEqual(metadata, {s: real_texts[s] for s in fixture.synsets})
    self.assertEqual(list(metadata), fixture.synsets)

  def test_md5sums_match(self):
    lines = _read_file(self.fixture.checksums_file).decode().splitlines()
    names = [line.split('  ')[1] for line in lines]
    self.assertEqual(names, sorted(_mini_imagenet.ARCHIVES))
    for line in lines:
      md5, name = line.split('  ')
      self.assertRegex(md5, r'^[0-9a-f]{32}$')
      data = _read_file(os.path.join(self.fixture.directory, name))
      self.assertEqual(md5, hashlib.md5(data).hexdigest(), name)

  def test_gzip_headers_carry_no_name_or_time(self):
    for path in (self.fixture.bbox_train_tar_gz, self.fixture.bbox_validation_tgz):
      header = _read_file(path)[:10]
      self.assertEqual(header[:3], b'\x1f\x8b\x08')
      self.assertEqual(header[3], 0, 'no FNAME flag')
      self.assertEqual(header[4:8], b'\0\0\0\0', 'mtime 0')


class DeterminismTest(absltest.TestCase):

  def _archives(self, directory):
    return {name: _read_file(os.path.join(directory, name))
            for name in os.listdir(directory)}

  def test_same_config_gives_identical_bytes_different_seed_differs(self):
    config = _mini_imagenet.Config(num_classes=2, images_per_class=5,
                                  num_validation_images=3, min_side=48, max_side=64)
    first = _mini_imagenet.generate(self.create_tempdir().full_path, config)
    second = _mini_imagenet.generate(self.create_tempdir().full_path, config)
    self.assertEqual(self._archives(first.directory), self._archives(second.directory))
    other = _mini_imagenet.generate(
        self.create_tempdir().full_path,
        dataclasses.replace(config, seed=1))
    other_files = self._archives(other.directory)
    for name in _mini_imagenet.ARCHIVES:
      self.assertNotEqual(other_files[name], self._archives(first.directory)[name], name)

  def test_rerun_in_place_is_identical_and_leaves_no_temporaries(self):
    config = _mini_imagenet.Config(num_classes=1, images_per_class=5,
                                  num_validation_images=2, min_side=40, max_side=48)
    directory = self.create_tempdir().full_path
    _mini_imagenet.generate(directory, config)
    before = self._archives(directory)
    stale = os.path.join(directory, 'ILSVRC2012_img_val.tar.incomplete-1')
    with open(stale, 'wb') as f:
      f.write(b'partial')
    _mini_imagenet.generate(directory, config)
    self.assertEqual(self._archives(directory), before)


class TestTarTest(absltest.TestCase):
  """Config.num_test_images: the flat, unlabelled test tar, and nothing without it."""

  def test_test_tar_is_flat_numbered_from_one_and_in_md5sums(self):
    config = dataclasses.replace(_SMALL, num_classes=1, num_validation_images=1,
                                 num_test_images=3)
    fixture = _mini_imagenet.generate(self.create_tempdir().full_path, config)
    self.assertEqual(fixture.test_tar,
                     os.path.join(fixture.directory, 'ILSVRC2012_img_test_v10102019.tar'))
    self.assertEqual(fixture.num_test_images, 3)
    members = fixture_archives.tar_members(fixture.test_tar)
    self.assertEqual(sorted(members), ['ILSVRC2012_test_%08d.JPEG' % n for n in (1, 2, 3)])
    for data in members.values():
      self.assertEqual(Image.open(io.BytesIO(data)).format, 'JPEG')
    md5sums = _read_file(fixture.checksums_file).decode()
    self.assertIn('%s  %s\n' % (hashlib.md5(_read_file(fixture.test_tar)).hexdigest(),
                                 os.path.basename(fixture.test_tar)), md5sums)

  def test_no_test_images_write_no_test_tar_and_the_same_archives(self):
    config = dataclasses.replace(_SMALL, num_classes=1, num_validation_images=1)
    plain = _mini_imagenet.generate(self.create_tempdir().full_path, config)
    with_test = _mini_imagenet.generate(
        self.create_tempdir().full_path, dataclasses.replace(config, num_test_images=2))
    self.assertIsNone(plain.test_tar)
    self.assertEqual(sorted(os.listdir(plain.directory)),
                     sorted(set(os.listdir(with_test.directory)) -
                            {os.path.basename(with_test.test_tar)}))
    for name in _mini_imagenet.ARCHIVES:
      self.assertEqual(_read_file(os.path.join(plain.directory, name)),
                       _read_file(os.path.join(with_test.directory, name)), name)


class CasesFitTest(absltest.TestCase):

  def test_one_class_of_five_images_holds_every_case(self):
    config = _mini_imagenet.Config(num_classes=1, images_per_class=5,
                                  num_validation_images=1, min_side=40, max_side=40)
    fixture = _mini_imagenet.generate(self.create_tempdir().full_path, config)
    self.assertCountEqual(fixture.hard_cases, _mini_imagenet.HARD_CASE_KINDS)
    self.assertCountEqual(fixture.box_cases, _mini_imagenet.BOX_CASE_KINDS)
    self.assertEqual(fixture.synsets, ['n01440764'])
    # With one class the other-synset box names a synset outside the fixture.
    xml = fixture_archives.tar_members(fixture.bbox_train_tar_gz)[
        'n01440764/' + fixture.box_cases['other_synset']]
    self.assertNotEqual(_parse_xml(xml)[4][1][0], 'n01440764')

  def test_classes_are_evenly_spaced(self):
    synsets = ['n%08d' % i for i in range(10)]
    self.assertEqual(_mini_imagenet.choose_synsets(synsets, 5),
                     ['n00000000', 'n00000002', 'n00000004', 'n00000006',
                      'n00000008'])
    self.assertEqual(_mini_imagenet.choose_synsets(synsets, 10), synsets)
    with self.assertRaisesRegex(ValueError, 'num_classes=11'):
      _mini_imagenet.choose_synsets(synsets, 11)

  def test_bad_config_is_refused_with_the_field_name(self):
    for field, value in [('num_classes', 0), ('images_per_class', 0),
                         ('num_validation_images', 0), ('num_test_images', -1),
                         ('min_side', 10),
                         ('max_side', 20), ('jpeg_quality', 101), ('seed', -1)]:
      with self.assertRaisesRegex(ValueError, field):
        _mini_imagenet.Config(**{field: value})


class DefaultWeightTest(absltest.TestCase):

  def test_default_images_weigh_like_photographs(self):
    start = time.monotonic()
    fixture = _mini_imagenet.generate(self.create_tempdir().full_path)
    seconds = time.monotonic() - start
    sizes = []
    for members in fixture_archives.train_images(fixture).values():
      sizes += [len(data) for name, data in members.items()
                if name != fixture.hard_cases['png']]
    sizes += [len(data) for data in fixture_archives.tar_members(fixture.validation_tar).values()]
    average_kb = sum(sizes) / len(sizes) / 1000
    print('default fixture: %d JPEGs, average %.1f KB, generated in %.2f s' %
          (len(sizes), average_kb, seconds))
    self.assertBetween(average_kb, 30, 150)
    self.assertLess(seconds, 20)


if __name__ == '__main__':
  absltest.main()
