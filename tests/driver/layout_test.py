"""Tests for inception.driver's layout: the names every driver's DATA_DIR has."""

from absl.testing import absltest

from inception import driver
from inception.driver import _layout


class DataDirTest(absltest.TestCase):

  def test_the_drivers_own(self):
    self.assertEqual(_layout.state_path('/d'), '/d/pipeline_state.json')
    self.assertEqual(_layout.downloads_dir('/d'), '/d/downloads')
    self.assertEqual(_layout.demo_source_dir('/d'), '/d/demo-source')

  def test_raw_data(self):
    self.assertEqual(_layout.raw_data_dir('/d'), '/d/raw-data')
    self.assertEqual(_layout.train_images_dir('/d'), '/d/raw-data/train')
    self.assertEqual(_layout.validation_images_dir('/d'), '/d/raw-data/validation')

  def test_remote_data_dir(self):
    self.assertEqual(_layout.train_images_dir('gs://b/d'), 'gs://b/d/raw-data/train')
    self.assertEqual(_layout.state_path('gs://b/d/'), 'gs://b/d/pipeline_state.json')

  def test_exported_by_driver(self):
    self.assertIs(driver.state_path, _layout.state_path)
    self.assertEqual(driver.RAW_DATA_DIRNAME, 'raw-data')


if __name__ == '__main__':
  absltest.main()
