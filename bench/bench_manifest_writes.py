"""The manifest written once a second against after every shard, in one run.

convert.write_pending records each shard in `conversion_manifest.json` as it
completes and writes the file out at most every `_writing.MANIFEST_SAVE_SECONDS`;
before, after every shard (bench/README.md: 13 % of the convert step of the 10 %
ImageNet, 1,152 shards). This converts bench_convert.py's tiny-file set (made once
under --work_dir/data-tiny by its generator) into many shards, alternately with the
interval set to 0 (every shard: the old behaviour) and to its default, and prints each
run's wall time, the main process's CPU, the manifest writes, and whether the shards
of the two settings are byte-identical.

  PYTHONPATH=. .venv/bin/python bench/bench_manifest_writes.py --num_images=20000
"""

import filecmp
import os
import resource
import shutil
import time
from typing import Dict, List
from unittest import mock

from absl import app
from absl import flags

from bench import bench_convert
from inception import convert
from inception import core
from inception import records
from inception.convert import _writing

FLAGS = flags.FLAGS
flags.DEFINE_integer('num_images', 20000, 'Tiny images converted.')
flags.DEFINE_integer('num_classes', 100, 'Their classes.')
flags.DEFINE_integer('num_shards', 1024, 'Shards they go into.')
flags.DEFINE_integer('repeats', 2, 'Runs of each setting, alternating.')
flags.DEFINE_integer('num_threads', 2, 'Worker processes.')
flags.DEFINE_string('work_dir', '/tmp/bench_manifest_writes', 'Holds data-tiny/ (as '
                    'bench_convert.py --tiny makes it) and the outputs.')


def _cpu_seconds() -> float:
  usage = resource.getrusage(resource.RUSAGE_SELF)
  return usage.ru_utime + usage.ru_stime


def run(train_dir: str, classes: List[convert.ImageClass], output: str,
        interval: float) -> Dict[str, float]:
  """One conversion with the manifest interval `interval`; its figures."""
  shutil.rmtree(output, ignore_errors=True)
  with mock.patch.object(_writing, 'MANIFEST_SAVE_SECONDS', interval), \
      mock.patch.object(records, 'save_manifest', wraps=records.save_manifest) as save:
    started, cpu = time.monotonic(), _cpu_seconds()
    convert.convert_split('train', convert.find_class_entries(train_dir, classes),
                          FLAGS.num_shards, output, convert.ConvertOptions(
                              workers=core.Workers(FLAGS.num_threads)))
    return {'wall': time.monotonic() - started, 'main_cpu': _cpu_seconds() - cpu,
            'writes': save.call_count}


def identical(first: str, second: str) -> bool:
  names = sorted(n for n in os.listdir(first) if n.startswith('train-'))
  match, mismatch, errors = filecmp.cmpfiles(first, second, names, shallow=False)
  return len(match) == len(names) == FLAGS.num_shards and not mismatch and not errors


def main(argv):
  if len(argv) > 1:
    raise app.UsageError('unexpected arguments: %s' % ' '.join(argv[1:]))
  data = os.path.join(FLAGS.work_dir, 'data-tiny')
  bench_convert.generate(data, FLAGS.num_images, FLAGS.num_classes, 0, tiny=True)
  train_dir = os.path.join(data, 'train')
  classes = [convert.ImageClass(s, s, 'class ' + s) for s in sorted(os.listdir(
      train_dir))]
  settings = (('every shard (before)', 0.0),
              ('once a second (after)', _writing.MANIFEST_SAVE_SECONDS))
  print('load before: %.2f' % os.getloadavg()[0])
  print('| manifest written | wall s | main process CPU s | writes |')
  print('|---|---:|---:|---:|')
  for _ in range(FLAGS.repeats):
    for index, (name, interval) in enumerate(settings):
      figures = run(train_dir, classes, os.path.join(
          FLAGS.work_dir, 'out-manifest-%d' % index), interval)
      print('| %s | %.1f | %.2f | %d |' % (name, figures['wall'], figures['main_cpu'],
                                           figures['writes']), flush=True)
  same = identical(*(os.path.join(FLAGS.work_dir, 'out-manifest-%d' % i)
                     for i in range(2)))
  print('shards byte-identical: %s; load after: %.2f' % (same, os.getloadavg()[0]))
  return 0 if same else 1


if __name__ == '__main__':
  app.run(main)
