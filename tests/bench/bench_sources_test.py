"""Tests for bench/bench_sources.py: every layout of a tiny set, converted by the
driver, gives the tarballs' shards; the table has a row per layout with its ratios."""

import os

from absl.testing import absltest

from bench import bench_sources
from inception import convert
from inception import core
from inception import demo

_CONFIG = demo.Config(num_classes=2, images_per_class=5, num_validation_images=4,
                      min_side=48, max_side=64, seed=3)


class BenchSourcesTest(absltest.TestCase):

  def test_every_layout_gives_the_tarballs_shards_and_a_row(self):
    work_dir = self.create_tempdir().full_path
    results = bench_sources.bench(work_dir, _CONFIG, convert.ShardCounts(2, 2),
                                  core.Workers(1))
    self.assertEqual([r.layout for r in results],
                     [layout for layout, _, _ in bench_sources.LAYOUTS])
    for result in results:
      self.assertTrue(result.identical, result.layout)
      self.assertEqual(result.images, 14)
      spooled = result.layout.startswith('HF')
      self.assertEqual(result.source_bytes > 0, spooled, result.layout)
      if spooled:
        self.assertGreaterEqual(result.bytes_read, result.source_bytes)
        self.assertGreater(result.bytes_spooled, 0)
    lines = bench_sources.table(results)
    self.assertLen(lines, 2 + len(results))
    self.assertRegex(lines[2], r'^\| tarballs --no_extract \| [\d.]+ \| [\d.]+ \| \d+ '
                     r'\| 1\.00 \| - \| - \| yes \|$')
    self.assertRegex(lines[-2], r'^\| HF parquet \| .* \| \d+\.\d\d \| \d+\.\d\d \| '
                     r'yes \|$')
    self.assertTrue(os.path.isdir(os.path.join(work_dir, 'set', 'hf-targz')))

  def test_spool_totals(self):
    self.assertEqual(bench_sources.spool_totals({'train': [3, 30, 50, 40],
                                                 'validation': [1, 10, 20, 15]}),
                     {'images': 4, 'bytes_spooled': 40, 'bytes_read': 70,
                      'source_bytes': 55})


if __name__ == '__main__':
  absltest.main()
