"""Benchmark of the driver on each layout ImageNet comes in, on one generated set.

Generates (once, cached under --work_dir) a mini ImageNet with inception.demo
(--num_classes x --images_per_class train images, --num_validation_images, photo-like
JPEGs of --min_side..--max_side px with the hard cases) and lays it out as the
official tarballs, Kaggle's tree, Kaggle's zip, Hugging Face's parquet files and
Hugging Face's tar.gz files (the box archives beside data/). Then it converts each
with the ImageNet driver, in-process, on a fresh DATA_DIR (the same settings as
`--demo`: validation boxes on), and prints per layout the wall time of the whole run,
the seconds to shards (the run but its box and check steps: reading the source's
index, a listing pass for tar.gz, and the convert step, with the spool), images/s
over those and their ratio to the tarballs' --no_extract on the same set, and for the spooled layouts (Hugging Face's) the bytes
the run read from the source and wrote into its spool, per source byte (the shard
writers read the spool back once: as many bytes again). It checks that every
layout's shards are byte-identical to the tarballs'.

Not a Bazel target (run it from a checkout):
  PYTHONPATH=. .venv/bin/python bench/bench_sources.py --work_dir=/tmp/bench-sources
"""

import dataclasses
import logging as std_logging
import os
import re
import shutil
import time
from typing import Dict, List, NamedTuple, Optional, Sequence

from absl import app
from absl import flags
from absl import logging

from inception import convert
from inception import core
from inception import demo
from inception import driver
from inception import imagenet

FLAGS = flags.FLAGS
flags.DEFINE_string('work_dir', '/tmp/bench_sources', 'Holds the set (set/) and the '
                    'DATA_DIRs (run-<layout>/).')
flags.DEFINE_integer('num_classes', 20, 'Classes of the set.')
flags.DEFINE_integer('images_per_class', 150, 'Train images per class.')
flags.DEFINE_integer('num_validation_images', 500, 'Validation images.')
flags.DEFINE_integer('min_side', 160, 'Smallest image side, px.')
flags.DEFINE_integer('max_side', 400, 'Largest image side, px.')
flags.DEFINE_integer('train_shards', 16, 'Train shards.')
flags.DEFINE_integer('validation_shards', 4, 'Validation shards.')
flags.DEFINE_integer('num_threads', None, 'Worker processes (default: the cores).')

REFERENCE = 'tarballs --no_extract'
# (row name, source_format, no_extract)
LAYOUTS = ((REFERENCE, imagenet.TARBALLS, True),
           ('tarballs (extract)', imagenet.TARBALLS, False),
           ('Kaggle tree', imagenet.KAGGLE, False),
           ('Kaggle zip', imagenet.KAGGLE_ZIP, False),
           ('HF parquet', imagenet.HF_PARQUET, False),
           ('HF tar.gz', imagenet.HF_TARGZ, False))
# The steps that are not on the way to the shards: bounding_boxes, check.
_NOT_TO_SHARDS = (imagenet.IN_PLACE_STEPS[0], driver.CHECK)
_SPOOLED = re.compile(r"(\w+): spooled (\d+) images \((\d+) bytes\) into \d+ files in "
                      r"\S+; read (\d+) of the source's (\d+) bytes")


class Result(NamedTuple):
  """One layout's run."""
  layout: str
  images: int
  seconds: float  # the whole run
  convert_seconds: float  # the run but its bounding_boxes and check steps: the
  # source's index (a listing pass for tar.gz) and the convert step (the spool)
  identical: bool  # shards byte-identical to the reference's
  source_bytes: int = 0  # spooled layouts: their source files' size
  bytes_read: int = 0  # ... what the run read of them
  bytes_spooled: int = 0  # ... what it wrote into the spool

  def images_per_second(self) -> float:
    return self.images / self.convert_seconds if self.convert_seconds else 0.0


class _SpoolLines(std_logging.Handler):
  """Collects the spool's log lines: per split, what it read and spooled."""

  def __init__(self):
    super().__init__(std_logging.INFO)
    self.splits: Dict[str, Sequence[int]] = {}

  def emit(self, record: std_logging.LogRecord) -> None:
    match = _SPOOLED.search(record.getMessage())
    if match:
      self.splits[match.group(1)] = [int(g) for g in match.groups()[1:]]


def spool_totals(splits: Dict[str, Sequence[int]]) -> Dict[str, int]:
  """Sums the spool lines' (images, spooled, read, source) over the splits."""
  totals = [sum(values[i] for values in splits.values()) for i in range(4)]
  return dict(zip(('images', 'bytes_spooled', 'bytes_read', 'source_bytes'), totals))


def shard_bytes(data_dir: str) -> Dict[str, bytes]:
  return {name: open(os.path.join(data_dir, name), 'rb').read()
          for name in sorted(os.listdir(data_dir)) if '-of-' in name}


def _data_dir(work_dir: str, name: str) -> str:
  """A fresh DATA_DIR whose demo-source/ is the set, generated once under
  work_dir/set."""
  data_dir = os.path.join(work_dir, 'run-' + re.sub(r'\W+', '_', name).strip('_'))
  shutil.rmtree(data_dir, ignore_errors=True)
  source_dir = os.path.join(work_dir, 'set')
  os.makedirs(source_dir, exist_ok=True)
  os.makedirs(data_dir)
  os.symlink(source_dir, os.path.join(data_dir, driver.DEMO_SOURCE_DIRNAME))
  return data_dir


def prepare(work_dir: str, config: demo.Config) -> int:
  """Generates the set in every layout (once), then reads every file of it once, so
  that every run sees a warm page cache; returns the bytes read."""
  data_dir = _data_dir(work_dir, 'prepare')
  demo.imagenet_demo_source(data_dir, config)
  for source_format in demo.LAYOUT_DEMO_DIRNAMES:
    demo.layout_demo_source(data_dir, source_format, config)
  total = 0
  for root, _, names in os.walk(os.path.join(work_dir, 'set')):
    for name in names:
      with open(os.path.join(root, name), 'rb') as f:
        while True:
          chunk = f.read(1 << 22)
          if not chunk:
            break
          total += len(chunk)
  return total


def run_layout(work_dir: str, config: demo.Config, layout: str, source_format: str,
               no_extract: bool, shards: convert.ShardCounts,
               workers: core.Workers) -> (Result, Dict[str, bytes]):
  """Converts the set from one layout on a fresh DATA_DIR; returns the result and
  the shards' bytes."""
  data_dir = _data_dir(work_dir, layout)
  settings = demo.imagenet_demo_settings(
      data_dir, config, source_format=source_format, no_extract=no_extract,
      shards=shards, options=convert.ConvertOptions(workers=workers,
                                                    progress_interval=600))
  if source_format == imagenet.TARBALLS:
    settings = dataclasses.replace(settings, link_mode='symlink')
  handler = _SpoolLines()
  logging.get_absl_logger().addHandler(handler)
  start = time.monotonic()
  try:
    state = imagenet.run(settings)
  finally:
    logging.get_absl_logger().removeHandler(handler)
  seconds = time.monotonic() - start
  totals = spool_totals(handler.splits)
  other_steps = sum(state[step]['seconds'] for step in state
                    if step in _NOT_TO_SHARDS)
  result = Result(layout, sum(settings.expected_counts.values()), seconds,
                  seconds - other_steps, True,
                  totals['source_bytes'], totals['bytes_read'], totals['bytes_spooled'])
  return result, shard_bytes(data_dir)


def table(results: Sequence[Result]) -> List[str]:
  """The results as a Markdown table (ratios to the reference's images/s)."""
  reference = next(r for r in results if r.layout == REFERENCE).images_per_second()
  lines = ['| layout | run s | to shards s | images/s (to shards) | vs tarballs '
           '--no_extract | source bytes read / source byte | spool bytes written '
           '/ source byte | shards identical |', '|---|---|---|---|---|---|---|---|']
  for r in results:
    spooled = r.source_bytes > 0
    lines.append('| %s | %.1f | %.1f | %.0f | %.2f | %s | %s | %s |' % (
        r.layout, r.seconds, r.convert_seconds, r.images_per_second(),
        r.images_per_second() / reference if reference else 0.0,
        '%.2f' % (r.bytes_read / r.source_bytes) if spooled else '-',
        '%.2f' % (r.bytes_spooled / r.source_bytes) if spooled else '-',
        'yes' if r.identical else 'NO'))
  return lines


def bench(work_dir: str, config: demo.Config, shards: convert.ShardCounts,
          workers: core.Workers) -> List[Result]:
  """Runs every layout, the reference first (after a run of it that warms up the
  process and is not counted)."""
  prepare(work_dir, config)
  run_layout(work_dir, config, 'warm-up', imagenet.TARBALLS, True, shards, workers)
  results, reference = [], None
  for layout, source_format, no_extract in LAYOUTS:
    result, shards_written = run_layout(work_dir, config, layout, source_format,
                                        no_extract, shards, workers)
    if reference is None:
      reference = shards_written
    results.append(result._replace(identical=shards_written == reference))
  return results


def _runfiles_of_this_checkout(work_dir: str) -> None:
  """Outside Bazel: data/'s label files from this checkout (as runfiles)."""
  if 'RUNFILES_DIR' in os.environ or 'RUNFILES_MANIFEST_FILE' in os.environ:
    return
  runfiles = os.path.join(work_dir, 'runfiles')
  link = os.path.join(runfiles, 'inception')
  if not os.path.islink(link):
    os.makedirs(runfiles, exist_ok=True)
    os.symlink(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), link)
  os.environ['RUNFILES_DIR'] = runfiles


def main(argv: Sequence[str]) -> Optional[int]:
  del argv
  _runfiles_of_this_checkout(FLAGS.work_dir)
  config = demo.Config(num_classes=FLAGS.num_classes,
                       images_per_class=FLAGS.images_per_class,
                       num_validation_images=FLAGS.num_validation_images,
                       min_side=FLAGS.min_side, max_side=FLAGS.max_side, seed=2026)
  shards = convert.ShardCounts(FLAGS.train_shards, FLAGS.validation_shards)
  workers = core.Workers.from_flag(FLAGS.num_threads)
  results = bench(FLAGS.work_dir, config, shards, workers)
  images = results[0].images
  print('%d images (%d classes), %d + %d shards, %d workers' % (
      images, config.num_classes, shards.train, shards.validation, workers.count))
  print('\n'.join(table(results)))
  return 0 if all(r.identical for r in results) else 1


if __name__ == '__main__':
  app.run(main)
