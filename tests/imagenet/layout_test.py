"""Tests for inception.imagenet's layout: ImageNet's own names under DATA_DIR."""

import re
import tempfile

from absl.testing import absltest

from inception import imagenet
from inception.imagenet import _layout


class ImagenetLayoutTest(absltest.TestCase):

  def test_raw_data(self):
    self.assertEqual(_layout.test_images_dir('/d'), '/d/raw-data/test')
    self.assertEqual(_layout.train_xml_dir('/d'), '/d/raw-data/bounding_boxes')
    self.assertEqual(_layout.validation_xml_dir('/d'),
                     '/d/raw-data/validation_bounding_boxes')

  def test_box_csvs_in_raw_data_or_beside_the_tarballs(self):
    self.assertEqual(_layout.boxes_csv_dir('/d', no_extract=False), '/d/raw-data')
    self.assertEqual(_layout.boxes_csv_dir('/d', no_extract=True), '/d/downloads')
    self.assertEqual(_layout.train_boxes_csv('/d'),
                     '/d/raw-data/imagenet_2012_bounding_boxes.csv')
    self.assertEqual(_layout.validation_boxes_csv('/d'),
                     '/d/raw-data/imagenet_2012_validation_bounding_boxes.csv')
    self.assertEqual(_layout.train_boxes_csv('/d', no_extract=True),
                     '/d/downloads/imagenet_2012_bounding_boxes.csv')
    self.assertEqual(_layout.validation_boxes_csv('/d', no_extract=True),
                     '/d/downloads/imagenet_2012_validation_bounding_boxes.csv')

  def test_remote_data_dir(self):
    self.assertEqual(_layout.test_images_dir('gs://b/d'), 'gs://b/d/raw-data/test')

  def test_the_spool_is_local_even_for_a_data_dir_in_a_store(self):
    self.assertEqual(_layout.spool_dir('/d'), '/d/spool')
    spool = _layout.spool_dir('gs://b/d')
    self.assertRegex(spool, r'^%s/inception-spool-[0-9a-f]{12}$' %
                     re.escape(tempfile.gettempdir()))
    self.assertEqual(_layout.spool_dir('gs://b/d'), spool)  # a resumed run's
    self.assertNotEqual(_layout.spool_dir('gs://b/e'), spool)

  def test_exported_by_imagenet(self):
    self.assertIs(imagenet.train_boxes_csv, _layout.train_boxes_csv)


if __name__ == '__main__':
  absltest.main()
