"""Benchmark of the train tar's extraction (inception.acquire) against GNU tar.

Generates (once, under --work_dir) a train tar shaped like ILSVRC2012_img_train.tar,
a tar of per-class tars, holding --num_classes x --files_per_class small files
(default 100 x 1,000 files of 2-5 KB: per-file costs dominate, as they do for
ImageNet's 110 KB average on a fast disk), then times, in the same run, each
--repeats times in turn, from a warm page cache, into a fresh directory:

  ours         acquire.extract of a tar of class tars (the tarball verified: no
               hashing)
  ours+md5     the same on a symlink awaiting verification: the MD5 is computed in
               the extraction stream (the one-pass verification)
  gnu tar      GNU tar on the same tar, each class tar piped to a second tar
               (`tar -xf train.tar --to-command='tar -xf - -C <dir>/<wnid>'`): the
               same single pass and the same output layout
  md5 only     hashlib.md5 over the file (what a separate verification read costs)

and prints files/s of the fastest of the repeats (the one least disturbed by other
work on a shared machine; every run is listed) and ours / gnu tar. Not a Bazel
target (no test runs it):

  PYTHONPATH=. .venv/bin/python bench/bench_extract.py
  PYTHONPATH=. .venv/bin/python bench/bench_extract.py --num_classes=20 --repeats=1
"""

import hashlib
import io
import os
import random
import shutil
import statistics
import subprocess
import tarfile
import tempfile
import time

from absl import app
from absl import flags
from absl import logging

from inception import acquire
from inception import driver
from inception import imagenet

FLAGS = flags.FLAGS
flags.DEFINE_integer('num_classes', 100, 'Class tars in the train tar.')
flags.DEFINE_integer('files_per_class', 1000, 'Files in each class tar.')
flags.DEFINE_integer('min_bytes', 2000, 'Smallest file.')
flags.DEFINE_integer('max_bytes', 5000, 'Largest file.')
flags.DEFINE_integer('repeats', 3, 'Runs of each; the fastest is compared.')
flags.DEFINE_string('work_dir', None, 'Where to generate and extract (default: a new '
                    'temporary directory, removed at the end). A train tar of the same '
                    'shape there is reused.')


def _class_tar(wnid: str, count: int, rng: random.Random) -> bytes:
  out = io.BytesIO()
  with tarfile.open(fileobj=out, mode='w', format=tarfile.GNU_FORMAT) as tar:
    for i in range(count):
      data = rng.randbytes(rng.randint(FLAGS.min_bytes, FLAGS.max_bytes))
      info = tarfile.TarInfo('%s_%d.JPEG' % (wnid, i))
      info.size = len(data)
      info.mtime = 1300000000
      tar.addfile(info, io.BytesIO(data))
  return out.getvalue()


def make_train_tar(path: str) -> int:
  """Writes the nested train tar (unless there); returns the number of files."""
  total = FLAGS.num_classes * FLAGS.files_per_class
  if os.path.exists(path):
    return total
  rng = random.Random(2012)
  with tarfile.open(path + '.tmp', 'w', format=tarfile.GNU_FORMAT) as outer:
    for c in range(FLAGS.num_classes):
      wnid = 'n%08d' % c
      data = _class_tar(wnid, FLAGS.files_per_class, rng)
      info = tarfile.TarInfo(wnid + '.tar')
      info.size = len(data)
      info.mtime = 1300000000
      outer.addfile(info, io.BytesIO(data))
  os.rename(path + '.tmp', path)
  return total


def warm(path: str) -> str:
  """Reads `path` whole (into the page cache); returns its MD5."""
  hasher = hashlib.md5()
  with open(path, 'rb') as f:
    for chunk in iter(lambda: f.read(1 << 20), b''):
      hasher.update(chunk)
  return hasher.hexdigest()


def _fresh(path: str) -> str:
  shutil.rmtree(path, ignore_errors=True)
  os.makedirs(path)
  return path


def _extract_classes(train_tar: str, out: str) -> None:
  """The train tar's class tars into out/train/<wnid>/, as the driver extracts them."""
  acquire.extract(train_tar, acquire.Extraction(acquire.CLASS_TARS, _fresh(out),
                                                driver.TRAIN_DIRNAME),
                  progress_interval=3600)


def run_ours(train_tar: str, out: str) -> None:
  _extract_classes(train_tar, out)


def link_pending(train_tar: str, md5: str, work: str) -> str:
  """A fresh symlink to `train_tar` under `work` that awaits verification against
  `md5` (as `--link_mode=symlink` leaves it): its first read hashes it."""
  downloads = _fresh(os.path.join(work, 'downloads'))
  acquire.fetch_all(
      downloads, os.path.dirname(train_tar),
      [acquire.Archive(imagenet.TRAIN_TAR, None, md5)],
      acquire.FetchOptions(link_mode='symlink',
                           verify_on_first_read=imagenet.IMAGE_TARS,
                           progress_interval=3600))
  linked = os.path.join(downloads, imagenet.TRAIN_TAR)
  assert os.path.exists(linked + acquire.PENDING_SUFFIX)
  return linked


def run_ours_md5(train_tar: str, md5: str, work: str, out: str) -> None:
  linked = link_pending(train_tar, md5, work)
  _extract_classes(linked, out)
  assert os.path.exists(linked + acquire.STAMP_SUFFIX)


def run_gnu_tar(train_tar: str, out: str) -> None:
  out = _fresh(out)
  command = ('d="%s/${TAR_FILENAME%%.tar}" && mkdir -p "$d" && tar -xf - -C "$d"' %
             out)
  subprocess.run(['tar', '-xf', train_tar, '--to-command=' + command], check=True)


def main(argv):
  del argv
  logging.set_verbosity(logging.WARNING)
  work = FLAGS.work_dir or tempfile.mkdtemp(prefix='bench_extract_')
  source = os.path.join(work, 'source')
  os.makedirs(source, exist_ok=True)
  train_tar = os.path.join(source, imagenet.TRAIN_TAR)
  files = make_train_tar(train_tar)
  size = os.path.getsize(train_tar)
  md5 = warm(train_tar)
  print('train tar: %d classes x %d files, %d files, %.1f MB; load %s' % (
      FLAGS.num_classes, FLAGS.files_per_class, files, size / 1e6,
      ' '.join('%.2f' % load for load in os.getloadavg())))
  runs = {
      'ours': lambda: run_ours(train_tar, os.path.join(work, 'ours')),
      'ours+md5': lambda: run_ours_md5(train_tar, md5, work,
                                       os.path.join(work, 'ours_md5')),
      'gnu tar': lambda: run_gnu_tar(train_tar, os.path.join(work, 'gnu')),
      'md5 only': lambda: warm(train_tar),
  }
  seconds = {name: [] for name in runs}
  for _ in range(FLAGS.repeats):
    for name, run in runs.items():
      started = time.perf_counter()
      run()
      seconds[name].append(time.perf_counter() - started)
  rates = {}
  for name in runs:
    best = min(seconds[name])
    rates[name] = files / best
    print('%-9s %7.2f s  %8.0f files/s  %6.1f MB/s  (median %.2f s; runs: %s)' % (
        name, best, rates[name], size / best / 1e6, statistics.median(seconds[name]),
        ', '.join('%.2f' % s for s in seconds[name])))
  print('ours / gnu tar: %.2f; ours+md5 / gnu tar: %.2f' % (
      rates['ours'] / rates['gnu tar'], rates['ours+md5'] / rates['gnu tar']))
  if not FLAGS.work_dir:
    shutil.rmtree(work)


if __name__ == '__main__':
  app.run(main)
