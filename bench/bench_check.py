"""Benchmark of the checker (inception.check.check_directory) on tiny records.

  cd /work/main && PYTHONPATH=. .venv/bin/python bench/bench_check.py --num_records=50000
  cd /work/main && PYTHONPATH=. .venv/bin/python bench/bench_check.py --memory
  cd /work/main && PYTHONPATH=. .venv/bin/python bench/bench_check.py --profile

Writes (once, cached in --work_dir) an ImageNet-like output of `num_records` records
(train and validation in ImageNet's proportion, ~1251 train and ~391 validation
records per shard) with inception.records' shard writer: a few hundred distinct tiny
photo-like JPEGs (inception.demo.render_photo, 56-112 px, ~4.5 KB: the converter's
hardest case per record) under ImageNet-like names, with the real labels, synsets and
texts of data/ (inception.label_files), a box on 3 of 7 train images. Then times
check_directory in the quick mode (the driver's: check.QUICK_SAMPLE_FRACTION of the
images decoded, every header read) and the full mode (every image decoded), each in
a fresh process, as the driver and `check_tfrecords` run it; it prints records/s, MB/s
of shard bytes, and the peak RSS of the check's main process and of its largest
worker (sampled every 50 ms from /proc over the process tree, and the kernel's
getrusage maxima).

  --memory  writes the full ImageNet shape instead (1,281,167 train and 50,000
            validation records in 1024 + 128 shards: the same few hundred record
            images under 1,331,167 distinct names; ~6 GB, written in a few minutes)
            and runs the quick check on it: the main process's and the workers' peaks.
  --profile runs the quick check of the first shards in this one process under
            cProfile (num_workers=1) and prints the functions that cost the most.

Not part of `bazel test`.
"""

import argparse
import cProfile
import json
import multiprocessing
import os
import pstats
import resource
import shutil
import subprocess
import sys
import time

import numpy as np

from bench import process_tree

IMAGENET_TRAIN, IMAGENET_VALIDATION = 1281167, 50000
TRAIN_SHARDS, VALIDATION_SHARDS = 1024, 128
_DATA = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), 'data')


def _parse_args():
  parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
  parser.add_argument('--num_records', type=int, default=50000)
  parser.add_argument('--num_distinct_images', type=int, default=300)
  parser.add_argument('--num_threads', type=int, default=None,
                      help='checker worker processes (default: cores)')
  parser.add_argument('--work_dir', default='/tmp/bench_check')
  parser.add_argument('--modes', default='quick,full', help='comma list of quick,full')
  parser.add_argument('--memory', action='store_true',
                      help='the full ImageNet shape, quick check: memory above all')
  parser.add_argument('--profile', action='store_true',
                      help='cProfile of the quick check of a few shards, in-process')
  parser.add_argument('--run_check', default=None, help=argparse.SUPPRESS)
  parser.add_argument('--sample', type=float, default=None, help=argparse.SUPPRESS)
  parser.add_argument('--expected', default='', help=argparse.SUPPRESS)
  return parser.parse_args()


# --- The records -------------------------------------------------------------------


class _InMemory(object):
  """An image source of records.ImageEntry: bytes already in memory."""

  def __init__(self, data: bytes):
    self.data = data

  def read_bytes(self) -> bytes:
    return self.data


def _label_data():
  from inception import label_files  # pylint: disable=g-import-not-at-top
  synsets = label_files.read_synsets(os.path.join(_DATA, label_files.SYNSETS_FILE))
  texts = label_files.class_texts(
      synsets, label_files.read_metadata(os.path.join(_DATA, label_files.METADATA_FILE)))
  validation = label_files.read_validation_labels(
      os.path.join(_DATA, label_files.VALIDATION_LABELS_FILE))
  return synsets, texts, validation


def tiny_jpegs(count: int, seed: int = 0):
  """`count` distinct photo-like JPEGs of 56-112 px at quality 85 (2-6 KB each)."""
  from inception import demo  # pylint: disable=g-import-not-at-top
  images = []
  for i in range(count):
    rng = np.random.default_rng([seed, i])
    width, height = (int(v) for v in rng.integers(56, 113, 2))
    images.append(demo.encode_image(demo.render_photo(rng, width, height), None, 85))
  return images


# What the forked writers share (set before the pool forks).
_WRITE_STATE = {}


def _shard_task(split: str, index: int, num_shards: int, num_records: int):
  """The records.ShardTask of one shard of the benchmark's output."""
  from inception import records  # pylint: disable=g-import-not-at-top
  state = _WRITE_STATE
  images, synsets, texts, validation = (state['images'], state['synsets'],
                                        state['texts'], state['validation'])
  start, end = records.shard_ranges(num_records, num_shards)[index]
  entries, boxes = [], []
  for i in range(start, end):
    image = _InMemory(images[i % len(images)])
    if split == records.TRAIN:
      label = 1 + i % len(synsets)
      synset = synsets[label - 1]
      filename = '%s_%d.JPEG' % (synset, i)
      boxes.append(((0.1, 0.2, 0.8, 0.9),) if i % 7 < 3 else ())
    else:
      synset = validation[i]
      label = 1 + state['label_of'][synset]
      filename = 'ILSVRC2012_val_%08d.JPEG' % (i + 1)
      boxes.append(())
    entries.append(records.ImageEntry(image, filename, label, synset, texts[label - 1]))
  return records.ShardTask(
      split, index, num_shards,
      os.path.join(state['directory'], records.shard_name(split, index, num_shards)),
      tuple(entries), tuple(boxes), validate_images='none')


def _write_one(spec) -> int:
  from inception import records  # pylint: disable=g-import-not-at-top
  return records.write_shard(_shard_task(*spec)).num_records


def write_output(directory: str, num_train: int, num_validation: int,
                 train_shards: int, validation_shards: int, num_distinct: int,
                 num_workers: int) -> None:
  """Writes the shards, or keeps them if a previous run wrote the same set."""
  stamp = os.path.join(directory, 'DONE')
  wanted = '%d %d %d %d %d\n' % (num_train, num_validation, train_shards,
                                 validation_shards, num_distinct)
  if os.path.exists(stamp) and open(stamp).read() == wanted:
    return
  shutil.rmtree(directory, ignore_errors=True)
  os.makedirs(directory)
  start = time.monotonic()
  synsets, texts, validation = _label_data()
  _WRITE_STATE.update(images=tiny_jpegs(num_distinct), synsets=synsets, texts=texts,
                      validation=validation, directory=directory,
                      label_of={s: i for i, s in enumerate(synsets)})
  specs = ([('validation', i, validation_shards, num_validation)
            for i in range(validation_shards)] +
           [('train', i, train_shards, num_train) for i in range(train_shards)])
  written = 0
  with multiprocessing.get_context('fork').Pool(num_workers) as pool:
    for n, count in enumerate(pool.imap_unordered(_write_one, specs, chunksize=4), 1):
      written += count
      if n % 100 == 0 or n == len(specs):
        print('wrote %d/%d shards, %d records (%.0f s)' % (
            n, len(specs), written, time.monotonic() - start), flush=True)
  with open(stamp, 'w') as f:
    f.write(wanted)


# --- Measuring ----------------------------------------------------------------------


def _children_cpu_seconds() -> float:
  """User + system CPU time of this process's waited-for descendants."""
  usage = resource.getrusage(resource.RUSAGE_CHILDREN)
  return usage.ru_utime + usage.ru_stime


def _expected_arg(num_train: int, num_validation: int) -> str:
  return 'train=%d,validation=%d' % (num_train, num_validation)


def time_check(directory: str, sample: float, num_workers: int, expected: str,
               report_dir: str) -> dict:
  """Runs check_directory in a fresh process; its timing and memory peaks."""
  from inception import cli  # pylint: disable=g-import-not-at-top
  env = dict(os.environ, PYTHONPATH=os.pathsep.join(p for p in sys.path if p))
  cli.quiet_tensorflow(env)  # as the binaries do
  command = [sys.executable, os.path.abspath(__file__), '--run_check', directory,
             '--sample', repr(sample), '--num_threads', str(num_workers),
             '--expected', expected, '--work_dir', report_dir]
  cpu_before = _children_cpu_seconds()
  process = subprocess.Popen(command, env=env, stdout=subprocess.PIPE)
  with process_tree.TreeMemory(process.pid) as memory:
    output, _ = process.communicate()
  cpu_seconds = _children_cpu_seconds() - cpu_before
  if process.returncode != 0:
    raise RuntimeError('the check process failed (status %d)' % process.returncode)
  result = json.loads(output.decode().strip().splitlines()[-1])
  result.update(cpu_seconds=cpu_seconds, sampled_main_mib=memory.peak_main_rss / 1024,
                sampled_worker_mib=memory.peak_worker_rss / 1024,
                sampled_sum_mib=memory.peak_rss_sum / 1024)
  return result


def run_check(args) -> int:
  """The child: one check_directory, then one JSON line of what it measured."""
  from absl import logging  # pylint: disable=g-import-not-at-top
  from inception import check  # pylint: disable=g-import-not-at-top
  from inception import core  # pylint: disable=g-import-not-at-top
  from inception import label_files  # pylint: disable=g-import-not-at-top
  logging.set_verbosity(logging.WARNING)
  imported_kib = process_tree.memory_kb(os.getpid())[0]
  start = time.monotonic()
  report = check.check_directory(
      args.run_check, workers=core.Workers.from_flag(args.num_threads),
      expected=check.Expected(
          counts=check.parse_expected_counts(args.expected) or None,
          synsets_file=os.path.join(_DATA, label_files.SYNSETS_FILE),
          metadata_file=os.path.join(_DATA, label_files.METADATA_FILE),
          validation_labels_file=os.path.join(_DATA,
                                              label_files.VALIDATION_LABELS_FILE)),
      sample_fraction=args.sample, report_dir=args.work_dir)
  seconds = time.monotonic() - start
  print(json.dumps({
      'seconds': seconds, 'ok': report.ok, 'num_failures': report.num_failures,
      'failures': [str(f) for f in report.failures[:5]],
      'records': sum(s.num_records for s in report.splits.values()),
      'bytes': sum(s.num_bytes for s in report.splits.values()),
      'decoded': sum(s.num_decoded for s in report.splits.values()),
      'tensorflow_in_main': 'tensorflow' in sys.modules,
      'imported_mib': imported_kib / 1024,
      'main_maxrss_mib': resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
      'worker_maxrss_mib': resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024,
  }), flush=True)
  return 0


def _line(name: str, result: dict) -> str:
  return ('%-20s %8d records %7.1f s %7.0f records/s %6.1f MB/s %7.0f records/CPU-s  '
          '%s, %d decoded  '
          'peak RSS main %4.0f MiB (%4.0f after imports%s), largest worker %4.0f MiB, '
          'sum %5.0f MiB' % (
              name, result['records'], result['seconds'],
              result['records'] / result['seconds'],
              result['bytes'] / result['seconds'] / 1e6,
              result['records'] / result['cpu_seconds'],
              'ok' if result['ok'] else 'FAILED (%d)' % result['num_failures'],
              result['decoded'], result['main_maxrss_mib'], result['imported_mib'],
              ', TensorFlow' if result['tensorflow_in_main'] else '',
              max(result['worker_maxrss_mib'], result['sampled_worker_mib']),
              result['sampled_sum_mib']))


def profile(directory: str, num_shards: int) -> int:
  """The quick check of the first train shards in this process, under cProfile."""
  from absl import logging  # pylint: disable=g-import-not-at-top
  from inception import check  # pylint: disable=g-import-not-at-top
  from inception import core  # pylint: disable=g-import-not-at-top
  from inception import label_files  # pylint: disable=g-import-not-at-top
  logging.set_verbosity(logging.WARNING)
  subset = os.path.join(os.path.dirname(directory), 'profile_subset')
  shutil.rmtree(subset, ignore_errors=True)
  os.makedirs(subset)
  names = sorted(n for n in os.listdir(directory) if n.startswith('train-'))
  for name in names[:num_shards]:
    os.symlink(os.path.join(directory, name), os.path.join(subset, name))
  check.check_directory(subset, workers=core.Workers(1),
                        sample_fraction=0.0)  # imports, warm-up
  profiler = cProfile.Profile()
  start = time.monotonic()
  profiler.enable()
  report = check.check_directory(
      subset, workers=core.Workers(1),
      expected=check.Expected(
          synsets_file=os.path.join(_DATA, label_files.SYNSETS_FILE),
          metadata_file=os.path.join(_DATA, label_files.METADATA_FILE),
          validation_labels_file=os.path.join(_DATA,
                                              label_files.VALIDATION_LABELS_FILE)),
      sample_fraction=check.QUICK_SAMPLE_FRACTION)
  profiler.disable()
  seconds = time.monotonic() - start
  records = sum(s.num_records for s in report.splits.values())
  print('quick check of %d records in one process: %.2f s, %.1f us per record '
        '(under cProfile)' % (records, seconds, seconds / records * 1e6))
  stats = pstats.Stats(profiler)
  stats.sort_stats('tottime').print_stats(25)
  return 0


def main() -> int:
  args = _parse_args()
  if args.run_check:
    return run_check(args)
  from inception import core  # pylint: disable=g-import-not-at-top
  num_workers = core.Workers.from_flag(args.num_threads).count
  if args.memory:
    num_train, num_validation = IMAGENET_TRAIN, IMAGENET_VALIDATION
    train_shards, validation_shards = TRAIN_SHARDS, VALIDATION_SHARDS
    directory = os.path.join(args.work_dir, 'imagenet_shape')
    modes = ['quick']
  else:
    num_validation = max(1, round(args.num_records * IMAGENET_VALIDATION /
                                  (IMAGENET_TRAIN + IMAGENET_VALIDATION)))
    num_train = args.num_records - num_validation
    train_shards = max(1, round(num_train / (IMAGENET_TRAIN / TRAIN_SHARDS)))
    validation_shards = max(1, round(num_validation /
                                     (IMAGENET_VALIDATION / VALIDATION_SHARDS)))
    directory = os.path.join(args.work_dir, 'records_%d' % args.num_records)
    modes = [m for m in args.modes.split(',') if m]
  write_output(directory, num_train, num_validation, train_shards, validation_shards,
               args.num_distinct_images, num_workers)
  expected = _expected_arg(num_train, num_validation)
  if args.profile:
    return profile(directory, num_shards=4)
  num_bytes = sum(os.path.getsize(os.path.join(directory, n))
                  for n in os.listdir(directory) if '-of-' in n)
  for name in os.listdir(directory):  # warm the page cache the same way for every run
    if '-of-' in name:
      with open(os.path.join(directory, name), 'rb') as f:
        while f.read(16 << 20):
          pass
  print('%d records (%d train in %d shards, %d validation in %d), %.1f MB (%.1f KB per '
        'record), %d workers, %d cores, load %s' % (
            num_train + num_validation, num_train, train_shards, num_validation,
            validation_shards, num_bytes / 1e6,
            num_bytes / (num_train + num_validation) / 1e3, num_workers, os.cpu_count(),
            ' '.join('%.2f' % v for v in os.getloadavg())), flush=True)
  from inception import check  # pylint: disable=g-import-not-at-top
  samples = {'quick': check.QUICK_SAMPLE_FRACTION, 'full': 1.0}
  lines = []
  for mode in modes:
    result = time_check(directory, samples[mode], num_workers, expected,
                        os.path.join(args.work_dir, 'report_' + mode))
    lines.append(_line('%s (sample %g)' % (mode, samples[mode]), result))
    print(lines[-1], flush=True)
    for failure in result['failures']:
      print('  ' + failure)
  print('\n'.join(['', 'Summary (load %s):' % ' '.join(
      '%.2f' % v for v in os.getloadavg())] + lines))
  return 0


if __name__ == '__main__':
  sys.exit(main())
