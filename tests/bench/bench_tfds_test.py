"""Tests for bench/bench_tfds.py: TFDS's validation labelling, the measured runs, the
ratios; on the real label file and real processes."""

import os
import sys

from absl.testing import absltest

from bench import bench_tfds
from bench import imagenet_set
from inception import label_files


def _names(count):
  return ['ILSVRC2012_val_%08d.JPEG' % (i + 1) for i in range(count)]


class TfdsLabelsTest(absltest.TestCase):

  @classmethod
  def setUpClass(cls):
    super().setUpClass()
    cls.real = label_files.read_validation_labels(label_files.data_file_path(
        label_files.VALIDATION_LABELS_FILE))

  def test_leading_names_get_their_true_labels(self):
    subset = imagenet_set.validation_subset(self.real, 0.1, leading=True)
    names = _names(len(subset))
    self.assertEqual(bench_tfds.tfds_label_mismatches(
        names[::-1], subset[::-1], self.real), [])

  def test_first_ones_per_class_are_mislabelled(self):
    subset = imagenet_set.validation_subset(self.real, 0.1)
    wrong = bench_tfds.tfds_label_mismatches(_names(len(subset)), subset, self.real)
    self.assertGreater(len(wrong), len(subset) // 2)
    self.assertNotIn(_names(1)[0], wrong)  # the real first image is the first one


class MeasuredTest(absltest.TestCase):

  def test_cpu_and_memory_of_a_real_process_tree(self):
    log = os.path.join(self.create_tempdir().full_path, 'run.log')
    child = ('import subprocess, sys; subprocess.run([sys.executable, "-c", '
             '"b = bytearray(80 << 20); sum(range(3000000))"], check=True)')
    figures = bench_tfds.measured([sys.executable, '-c', child], log, os.environ)
    self.assertGreater(figures['cpu_seconds'], 0.05)
    self.assertGreater(figures['wall_seconds'], 0)
    self.assertGreater(figures['max_rss_bytes'], 80 << 20)  # the child's

  def test_a_failure_names_the_log_and_shows_its_tail(self):
    log = os.path.join(self.create_tempdir().full_path, 'run.log')
    with self.assertRaisesRegex(bench_tfds.BenchFailed,
                                r'status 3; the tail of .*run\.log:\n.*boom'):
      bench_tfds.measured([sys.executable, '-c',
                           'import sys; print("boom"); sys.exit(3)'], log, os.environ)


class RatiosTest(absltest.TestCase):

  def test_each_pair_against_its_goal(self):
    results = [{'run': 'ours', 'wall_seconds': 20.0},
               {'run': 'tfds', 'wall_seconds': 50.0},
               {'run': 'ours', 'wall_seconds': 30.0},
               {'run': 'tar', 'wall_seconds': 10.0},
               {'run': 'ours_extract', 'wall_seconds': 35.0}]
    lines = bench_tfds.ratios(results)
    self.assertEqual(lines[:2], [
        'TFDS wall / ours wall: 50.0 / 20.0 = 2.50x (goal >= 2.0x: met)',
        'TFDS wall / ours wall: 50.0 / 30.0 = 1.67x (goal >= 2.0x: MISSED)'])
    self.assertEqual(lines[2], '(tar -x + ours --no_extract) / ours extract: '
                     '(10.0 + 20.0) / 35.0 = 0.86x (goal >= 1: MISSED)')
    self.assertLen(lines, 4)


if __name__ == '__main__':
  absltest.main()
