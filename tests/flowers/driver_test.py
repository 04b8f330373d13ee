"""Tests for inception.flowers._driver: every step in-process on a mini flowers tarball."""

import json
import os
import shutil

from absl.testing import absltest

from inception import acquire
from inception import convert
from inception import core
from inception import demo
from inception import flowers
from inception.flowers import _driver
from tests import file_trees

_CONFIG = demo.FlowersConfig(images_per_class=6, max_side=96, seed=3)


def _settings(data_dir, num_workers=1, **overrides):
  values = dict(validation_per_class=2,
                options=convert.ConvertOptions(workers=core.Workers(num_workers),
                                               progress_interval=60))
  values.update(overrides)
  return demo.flowers_demo_settings(data_dir, _CONFIG, **values)


def _split_listing(data_dir):
  raw = os.path.join(data_dir, 'raw-data')
  return {split: {name: sorted(os.listdir(os.path.join(raw, split, name)))
                  for name in sorted(os.listdir(os.path.join(raw, split)))}
          for split in ('train', 'validation')}


class DriverTest(absltest.TestCase):

  @classmethod
  def setUpClass(cls):
    super().setUpClass()
    cls.root = absltest.get_default_test_tmpdir()
    cls.reference_dir = os.path.join(cls.root, 'reference')
    cls.reference_state = _driver.run(_settings(cls.reference_dir))

  def test_every_step_runs_and_the_counts_add_up(self):
    state = self.reference_state
    self.assertEqual(list(state), list(flowers.STEPS))
    self.assertEqual(state['convert']['outputs'], {
        'train': {'images': 20, 'shards': 2, 'skipped': 0},
        'validation': {'images': 10, 'shards': 2, 'skipped': 0}})
    self.assertEqual(state['check']['outputs']['schema'], 'generic')
    self.assertEqual(sorted(file_trees.shard_digests(self.reference_dir)), [
        'train-00000-of-00002', 'train-00001-of-00002',
        'validation-00000-of-00002', 'validation-00001-of-00002'])
    with open(os.path.join(self.reference_dir, 'raw-data', 'labels.txt')) as f:
      self.assertEqual(f.read(), 'daisy\ndandelion\nroses\nsunflowers\ntulips\n')

  def test_a_rerun_is_a_no_op(self):
    data_dir = os.path.join(self.root, 'rerun')
    shutil.copytree(self.reference_dir, data_dir, symlinks=True)
    first = _driver.run(_settings(data_dir))  # records this directory's settings
    mtimes = {n: os.stat(os.path.join(data_dir, n)).st_mtime_ns
              for n in file_trees.shard_digests(data_dir)}
    self.assertEqual(_driver.run(_settings(data_dir)), first)
    self.assertEqual(mtimes, {n: os.stat(os.path.join(data_dir, n)).st_mtime_ns
                              for n in mtimes})

  def test_the_same_split_and_shards_in_another_directory_with_more_workers(self):
    data_dir = os.path.join(self.root, 'two_workers')
    _driver.run(_settings(data_dir, num_workers=2))
    self.assertEqual(_split_listing(data_dir), _split_listing(self.reference_dir))
    self.assertEqual(file_trees.shard_digests(data_dir),
                     file_trees.shard_digests(self.reference_dir))

  def test_redo_split_with_another_count_redoes_what_follows(self):
    data_dir = os.path.join(self.root, 'redo')
    shutil.copytree(self.reference_dir, data_dir, symlinks=True)
    _driver.run(_settings(data_dir))
    # Other shards than those there: the converter keeps them unless told to replace.
    with self.assertRaisesRegex(convert.ConversionError, 'use --overwrite'):
      _driver.run(_settings(data_dir, validation_per_class=1))
    state = _driver.run(_settings(data_dir, validation_per_class=1, options=(
        convert.ConvertOptions(workers=core.Workers(1), overwrite=True))))
    self.assertEqual(state['convert']['outputs']['validation']['images'], 5)
    with self.assertRaisesRegex(ValueError, r'unknown step\(s\) to redo: relabel'):
      _driver.run(_settings(data_dir), redo=['relabel'])

  def test_a_wrong_checksum_stops_before_extraction_and_a_rerun_resumes(self):
    data_dir = os.path.join(self.root, 'wrong')
    settings = _settings(data_dir)
    wrong = settings.archive._replace(md5='0' * 32)
    with self.assertRaisesRegex(acquire.DownloadError, 'flower_photos.tgz: MD5 mismatch'):
      _driver.run(_settings(data_dir, archive=wrong))
    with open(os.path.join(data_dir, 'pipeline_state.json')) as f:
      self.assertEqual(json.load(f), {'steps': {}})
    self.assertFalse(os.path.exists(os.path.join(data_dir, 'raw-data')))
    self.assertEqual(list(_driver.run(settings)), list(flowers.STEPS))


if __name__ == '__main__':
  absltest.main()
