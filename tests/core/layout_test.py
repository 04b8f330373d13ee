"""Tests for inception.core's layout: every name under DATA_DIR and beside the shards."""

import glob
import os

from absl.testing import absltest

from inception import core
from inception.core import _layout


class BesideTheShardsTest(absltest.TestCase):

  def test_local_paths(self):
    self.assertEqual(_layout.index_dir('/out'), '/out/index')
    self.assertEqual(_layout.index_path('/out', 'train-00001-of-00004'),
                     '/out/index/train-00001-of-00004.idx')
    self.assertEqual(_layout.manifest_path('/out'), '/out/conversion_manifest.json')
    self.assertEqual(_layout.bad_images_path('/out', 'validation'),
                     '/out/bad_images-validation.txt')
    self.assertEqual(_layout.check_report_dir('/out'), '/out/check_report')

  def test_remote_paths_join_with_one_slash(self):
    self.assertEqual(_layout.index_path('gs://b/out/', 'train-00001-of-00004'),
                     'gs://b/out/index/train-00001-of-00004.idx')
    self.assertEqual(_layout.index_dir('gs://b/out'), 'gs://b/out/index')
    self.assertEqual(_layout.manifest_path('gs://b/out/'),
                     'gs://b/out/conversion_manifest.json')
    self.assertEqual(_layout.bad_images_path('gs://b/out', 'train'),
                     'gs://b/out/bad_images-train.txt')
    self.assertEqual(_layout.check_report_dir('gs://b/out'), 'gs://b/out/check_report')

  def test_no_name_beside_the_shards_matches_a_shard_glob(self):
    output = self.create_tempdir().full_path
    for path in (_layout.index_path(output, 'train-00000-of-00001'),
                 _layout.manifest_path(output), _layout.bad_images_path(output, 'train'),
                 os.path.join(_layout.check_report_dir(output), 'report.json')):
      os.makedirs(os.path.dirname(path), exist_ok=True)
      open(path, 'w').close()
    self.assertEqual(glob.glob(os.path.join(output, 'train-*')), [])
    self.assertEqual(glob.glob(os.path.join(output, 'validation-*')), [])


class DataDirTest(absltest.TestCase):

  def test_the_drivers_own(self):
    self.assertEqual(_layout.state_path('/d'), '/d/pipeline_state.json')
    self.assertEqual(_layout.downloads_dir('/d'), '/d/downloads')
    self.assertEqual(_layout.demo_source_dir('/d'), '/d/demo-source')

  def test_raw_data(self):
    self.assertEqual(_layout.raw_data_dir('/d'), '/d/raw-data')
    self.assertEqual(_layout.train_images_dir('/d'), '/d/raw-data/train')
    self.assertEqual(_layout.validation_images_dir('/d'), '/d/raw-data/validation')
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
    self.assertEqual(_layout.train_images_dir('gs://b/d'), 'gs://b/d/raw-data/train')
    self.assertEqual(_layout.state_path('gs://b/d/'), 'gs://b/d/pipeline_state.json')

  def test_exported_by_core(self):
    self.assertIs(core.index_path, _layout.index_path)
    self.assertEqual(core.INDEX_SUFFIX, '.idx')
    self.assertEqual(core.RAW_DATA_DIRNAME, 'raw-data')


if __name__ == '__main__':
  absltest.main()
