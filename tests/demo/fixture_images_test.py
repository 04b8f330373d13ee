"""Tests for inception.demo._fixture_images: a fixture's images found in its tars."""

import os

from absl.testing import absltest

from inception import demo
from inception.demo import _fixture_images
from tests.demo import fixture_archives


class FixtureImagesTest(fixture_archives.SmallFixtureTestCase):

  @classmethod
  def setUpClass(cls):
    super().setUpClass()
    cls.images = _fixture_images.read_fixture(cls.fixture)

  def test_every_image_of_every_split_in_the_official_order(self):
    self.assertEqual(list(self.images.splits), ['train', 'validation', 'test'])
    for split, images in self.images.splits.items():
      self.assertEqual([image.filename for image in images],
                       list(self.official[split]), split)
    self.assertEqual(self.images.counts(), {'train': 18, 'validation': 7, 'test': 3})

  def test_classes_of_train_and_validation_images_none_for_test(self):
    for image in self.images.splits['train'] + self.images.splits['validation']:
      self.assertEqual(image.synset,
                       fixture_archives.synset_of(self.fixture, image.filename))
    self.assertEqual({image.synset for image in self.images.splits['test']}, {None})
    self.assertEqual(self.images.splits['validation'][0].stem,
                     'ILSVRC2012_val_00000001')

  def test_reads_the_tar_members_bytes_in_any_order(self):
    everything = [image for images in self.images.splits.values()
                  for image in images]
    with _fixture_images.ImageReader() as reader:
      for image in reversed(everything):
        split = ('test' if image.synset is None else
                 'validation' if image.filename.startswith('ILSVRC') else 'train')
        self.assertEqual(reader.read(image), self.official[split][image.filename])

  def test_hard_cases_keep_their_bytes(self):
    by_name = {image.filename: image for image in self.images.splits['train']}
    with _fixture_images.ImageReader() as reader:
      png = reader.read(by_name[self.fixture.hard_cases['png']])
    self.assertTrue(png.startswith(b'\x89PNG'))

  def test_box_xmls_and_class_texts(self):
    official_xml = fixture_archives.official_xml_by_stem(self.fixture)
    self.assertEqual({**self.images.train_xml, **self.images.validation_xml},
                     official_xml)
    self.assertLen(self.images.validation_xml, 7)
    self.assertEqual(self.images.synsets, self.fixture.synsets)
    self.assertEqual(self.images.class_texts[0], 'tench, Tinca tinca')

  def test_without_test_images_there_is_no_test_split(self):
    directory = self.create_tempdir().full_path
    fixture = demo.generate(directory, demo.Config(
        num_classes=1, images_per_class=2, num_validation_images=1,
        min_side=32, max_side=40))
    self.assertEqual(_fixture_images.read_fixture(fixture).counts(),
                     {'train': 2, 'validation': 1})

  def test_a_truncated_archive_is_an_error_naming_the_image(self):
    image = self.images.splits['validation'][0]
    truncated = _fixture_images.SourceImage(
        image.filename, image.synset, image.archive,
        os.path.getsize(image.archive) - 10, image.size)
    with _fixture_images.ImageReader() as reader:
      with self.assertRaisesRegex(IOError, 'ILSVRC2012_val_00000001.JPEG is '
                                  'truncated'):
        reader.read(truncated)


if __name__ == '__main__':
  absltest.main()
