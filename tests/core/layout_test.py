"""Tests for inception.core's layout: the names beside the shards."""

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
    self.assertEqual(_layout.lock_path('/out'), '/out/inception-run.lock')

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
                 _layout.lock_path(output),
                 os.path.join(_layout.check_report_dir(output), 'report.json')):
      os.makedirs(os.path.dirname(path), exist_ok=True)
      open(path, 'w').close()
    self.assertEqual(glob.glob(os.path.join(output, 'train-*')), [])
    self.assertEqual(glob.glob(os.path.join(output, 'validation-*')), [])
    self.assertEqual(glob.glob(os.path.join(output, 'test-*')), [])


class ExportedTest(absltest.TestCase):

  def test_exported_by_core(self):
    self.assertIs(core.index_path, _layout.index_path)
    self.assertEqual(core.INDEX_SUFFIX, '.idx')


if __name__ == '__main__':
  absltest.main()
