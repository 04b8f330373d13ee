"""Benchmark of the train tar's index (`--no_extract`) against `md5sum`.

Times, in the same run, each --repeats times in turn, from a warm page cache:

  md5sum      GNU md5sum of the train tar: the floor of any pass that hashes it
  index+md5   acquire.index_train_tar of a symlink to it that awaits verification
              (as `--link_mode=symlink` leaves it): the headers indexed and the MD5
              computed in the one pass, as `--no_extract` does on its first run
  index       acquire.index_train_tar of the tar itself (verified: headers only)

and prints the fastest of each (every run is listed, with its CPU seconds, steadier
than wall time on a busy machine), and md5sum's seconds / index+md5's: the goal is at
least 0.8. index+md5 reads ahead in a second thread that hashes while the main thread
walks the headers: its wall time can be below its CPU seconds only on a free core
(the load average is printed before and after). Tiny files are
the hard case (a header per 3.5 KB instead of ImageNet's 110 KB). The train tar is
--train_tar, e.g. the 1 % set's (`bench/imagenet_set.py`), or else one generated as
`bench_extract.py` generates it (its flags: --num_classes, --files_per_class,
--min_bytes, --max_bytes, --work_dir). Not a Bazel target (no test runs it):

  PYTHONPATH=. .venv/bin/python bench/bench_tar_index.py \\
      --train_tar=/tmp/accept/set-0.01/ILSVRC2012_img_train.tar
  PYTHONPATH=. .venv/bin/python bench/bench_tar_index.py --num_classes=20
"""

import os
import shutil
import statistics
import subprocess
import tempfile
import time

from absl import app
from absl import flags
from absl import logging

from bench import bench_extract
from inception import acquire

FLAGS = flags.FLAGS
flags.DEFINE_string('train_tar', None, 'A train tar to index (default: one generated '
                    'under --work_dir as bench_extract.py generates it).')


def _cpu() -> float:
  """CPU seconds of this process (all its threads) and its children so far."""
  times = os.times()
  return times.user + times.system + times.children_user + times.children_system


def _timed(run) -> tuple:
  """(wall seconds, CPU seconds) of run()."""
  wall, cpu = time.perf_counter(), _cpu()
  run()
  return time.perf_counter() - wall, _cpu() - cpu


def _index_pending(train_tar: str, md5: str, work: str) -> tuple:
  linked = bench_extract.link_pending(train_tar, md5, work)
  timing = _timed(lambda: acquire.index_train_tar(linked, progress_interval=3600))
  assert os.path.exists(linked + acquire.STAMP_SUFFIX)
  return timing


def main(argv):
  del argv
  logging.set_verbosity(logging.WARNING)
  work = FLAGS.work_dir or tempfile.mkdtemp(prefix='bench_tar_index_')
  train_tar = FLAGS.train_tar
  if train_tar is None:
    os.makedirs(os.path.join(work, 'source'), exist_ok=True)
    train_tar = os.path.join(work, 'source', 'ILSVRC2012_img_train.tar')
    bench_extract.make_train_tar(train_tar)
  size = os.path.getsize(train_tar)
  md5 = bench_extract.warm(train_tar)
  index = acquire.index_train_tar(train_tar, progress_interval=3600)
  print('%s: %d class tars, %d files, %.1f MB; load %s' % (
      train_tar, len(index), sum(map(len, index.values())), size / 1e6,
      ' '.join('%.2f' % load for load in os.getloadavg())))
  runs = {
      'md5sum': lambda: _timed(lambda: subprocess.run(
          ['md5sum', train_tar], check=True, stdout=subprocess.DEVNULL)),
      'index+md5': lambda: _index_pending(train_tar, md5, work),
      'index': lambda: _timed(
          lambda: acquire.index_train_tar(train_tar, progress_interval=3600)),
  }
  timings = {name: [] for name in runs}
  for _ in range(FLAGS.repeats):
    for name, run in runs.items():
      timings[name].append(run())
  best, best_cpu = {}, {}
  for name in runs:
    walls = [wall for wall, _ in timings[name]]
    best[name] = min(walls)
    cpus = [cpu for _, cpu in timings[name]]
    best_cpu[name] = min(cpus)
    print('%-9s %6.3f s  %6.1f MB/s  (median %.3f s; runs: %s; CPU s: %s)' % (
        name, best[name], size / best[name] / 1e6, statistics.median(walls),
        ', '.join('%.3f' % wall for wall in walls),
        ', '.join('%.2f' % cpu for cpu in cpus)))
  print('index+md5 speed / md5sum speed: %.2f (goal >= 0.8); index alone: %.2f; '
        'in CPU seconds: %.2f and %.2f' % (
            best['md5sum'] / best['index+md5'], best['md5sum'] / best['index'],
            best_cpu['md5sum'] / best_cpu['index+md5'],
            best_cpu['md5sum'] / best_cpu['index']))
  print('load at the end: %s' % ' '.join('%.2f' % load for load in os.getloadavg()))
  if not FLAGS.work_dir:
    shutil.rmtree(work)


if __name__ == '__main__':
  app.run(main)
