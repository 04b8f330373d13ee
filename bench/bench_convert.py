"""Benchmark of the converter against the floor of copying the same bytes.

  cd /work/main && PYTHONPATH=. .venv/bin/python bench/bench_convert.py --num_images=5000

Generates (once, cached in --work_dir) an ImageNet-like folder set: `num_images` JPEGs
of 300–500 px drawn by inception.demo.render_photo (photo-like, ~110 KB at
quality 90 like ImageNet's), in `train/<wnid>/<wnid>_<n>.JPEG`; with --tiny instead
(cached apart, under data-tiny/), tiny files as a synthetic full-shape ImageNet has
them: each a copy of one of a pool of 300 distinct 2-6 KB JPEGs (48-112 px), with
image 1 a PNG and image 2 a CMYK JPEG under .JPEG names, as in ImageNet. Then
measures, on the same files and the same shard plan (ImageNet's ~1251 images per
shard):
  (cat) `xargs -0 cat > one file` over the files in plan order: the per-file floor;
  (a) copy: read each file in plan order and append its bytes to the shard files
      (one process, fsync per shard like the converter): the floor;
  (b) convert: convert.convert_split with --num_threads workers (default: cores), with
      the default --validate_images=structure;
  (n) convert --validate_images=none (the header only);
  (c) convert --validate_images=full;
  (d) convert --runner=DirectRunner: the same plan and shard writer run by Apache
      Beam's local engine (multi-process FnApiRunner, --num_threads workers);
  (e) convert --runner=DaskRunner: the same again on Beam's Dask runner, on a
      dask.distributed LocalCluster of --num_threads single-threaded worker processes
      started (and stopped) by the run, whose time it includes.
Each line gives images/s, MB/s of input bytes, and the peak RSS and PSS of the process
tree (the main process plus its workers, sampled every 50 ms), with the main's and the
largest worker's peak RSS. The files are read once before timing, so every run
sees the same (warm) page cache. Not part of `bazel test`.

  ... bench/bench_convert.py --image_checks

measures instead, on one core, each image check's cost per image over the first 1000
files of the set (PIL header, the structure walk, PIL reduced-scale 1/8 and full
decodes, TensorFlow's decode), and how many of 100 damaged copies of each of baseline,
progressive and restart-interval JPEGs each check refuses (truncated at a random
point of the scan data; 2000, 16 or 1 random bytes written over it).

  ... bench/bench_convert.py --startup

measures instead the start-up of `build_imagenet_data` as a process on the set (train
only, no boxes, --startup_shards small shards): seconds from just before the process
starts to its first shard begun (the birth time of the shard's temporary file, which
the rename keeps) and renamed into place (its change time), and to its exit; beside,
in the same run, `python -c pass`, the floor of any absl binary (python importing
absl), the binary's imports alone, a shard worker's imports alone, check_tfrecords'
imports and `download_and_preprocess_imagenet --help` (each a process to its exit,
run in the checkout). Best and median of --repeats; --repo=DIR times another
checkout's binaries, and several --repo are timed alternately in one sitting:

  ... bench/bench_convert.py --startup --repo=/work/main --repo=$PWD

  ... bench/bench_convert.py --tarballs=/tmp/bench-tfds/set-0.1 \
      --boxes_csv=DATA_DIR/downloads/imagenet_2012_bounding_boxes.csv [--repo=DIR]

measures instead the ImageNet driver's convert step alone on a set of the official
tarballs (bench_tfds.py's, read in place as with --no_extract: validation, then
train, 128 + 1024 shards, the boxes of --boxes_csv, e.g. the one an `ours` run of
bench_tfds.py wrote), as a process of --repo's code with --num_threads workers, into
a fresh directory under --work_dir, --repeats times: wall seconds, CPU seconds of the
main process and of its workers, and the CPU per image. Alternate two --repo values
to compare checkouts on a shared machine.

  ... bench/bench_convert.py --plan_memory

measures instead the main process at ImageNet scale without any image: RSS after
importing the converter, after listing 1,281,167 entries (1000 classes, real-length
paths), after reading boxes for half of them (ImageNet: 544,546 images, 615,299 boxes)
and after planning 1024 shards; its peak; after dropping the entry list, as the
converter does once a split is planned; and the size of the pickled shard tasks.
"""

import argparse
import gc
import json
import os
import pickle
import resource
import shutil
import statistics
import subprocess
import sys
import time
from typing import List, Tuple

import numpy as np

from bench import process_tree

TINY_POOL_SIZE = 300
TINY_BYTES = (2000, 6000)


def _parse_args():
  parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
  parser.add_argument('--num_images', type=int, default=5000)
  parser.add_argument('--num_classes', type=int, default=50)
  parser.add_argument('--images_per_shard', type=int, default=1251)
  parser.add_argument('--num_threads', type=int, default=None,
                      help='converter worker processes (default: cores)')
  parser.add_argument('--work_dir', default='/tmp/bench_convert')
  parser.add_argument('--seed', type=int, default=0)
  parser.add_argument('--tiny', action='store_true',
                      help='tiny files instead: each a copy of one of a pool of %d '
                      'distinct 2-6 KB JPEGs (plus one PNG and one CMYK JPEG)'
                      % TINY_POOL_SIZE)
  parser.add_argument('--skip', default='', help='comma list of a,b,n,c,d,e to skip')
  parser.add_argument('--plan_memory', action='store_true',
                      help='measure the main process at ImageNet scale instead')
  parser.add_argument('--image_checks', action='store_true',
                      help='measure the cost and catch rate of each image check instead')
  parser.add_argument('--startup', action='store_true',
                      help='measure the start-up of the build_imagenet_data process '
                      'instead (start to first shard begun and renamed)')
  parser.add_argument('--startup_shards', type=int, default=500,
                      help='--train_shards of the --startup runs (small shards: the '
                      'first is written soon after start-up)')
  parser.add_argument('--tarballs', default=None,
                      help='measure the convert step alone on this set of the official '
                      'tarballs instead (bench_tfds.py\'s)')
  parser.add_argument('--boxes_csv', default=None,
                      help='the box CSV of --tarballs (a driver run\'s)')
  parser.add_argument('--repeats', type=int, default=5,
                      help='runs of each command in --startup; the fastest is kept')
  parser.add_argument('--repo', action='append',
                      help='a checkout whose binaries --startup times (default: this '
                      'one); repeat it to compare checkouts, run alternately')
  return parser.parse_args()


def generate(directory: str, num_images: int, num_classes: int, seed: int,
             tiny: bool = False) -> None:
  """Writes the image folders, or keeps them if a previous run made the same set."""
  stamp = os.path.join(directory, 'DONE')
  wanted = '%d %d %d%s\n' % (num_images, num_classes, seed, ' tiny' if tiny else '')
  if os.path.exists(stamp) and open(stamp).read() == wanted:
    return
  shutil.rmtree(directory, ignore_errors=True)
  synsets = ['n%08d' % (1440764 + 1000 * i) for i in range(num_classes)]
  image_bytes = _tiny_pool(seed) if tiny else _photo
  start = time.monotonic()
  for i in range(num_images):
    synset = synsets[i % num_classes]
    class_dir = os.path.join(directory, 'train', synset)
    os.makedirs(class_dir, exist_ok=True)
    with open(os.path.join(class_dir, '%s_%d.JPEG' % (synset, i)), 'wb') as f:
      f.write(image_bytes(seed, i))
    if (i + 1) % (20000 if tiny else 1000) == 0:
      print('generated %d/%d images (%.0f s)' % (i + 1, num_images,
                                                  time.monotonic() - start), flush=True)
  with open(os.path.join(directory, 'synsets.txt'), 'w') as f:
    f.write(''.join(s + '\n' for s in synsets))
  with open(os.path.join(directory, 'metadata.txt'), 'w') as f:
    f.write(''.join('%s\tclass %s\n' % (s, s) for s in synsets))
  with open(stamp, 'w') as f:
    f.write(wanted)


def _photo(seed: int, i: int) -> bytes:
  """Image i of the photo-sized set: a 300-500 px photo-like JPEG at quality 90."""
  from inception import demo  # pylint: disable=g-import-not-at-top
  rng = np.random.default_rng([seed, i])
  width, height = (int(v) for v in rng.integers(300, 501, 2))
  return demo.encode_image(demo.render_photo(rng, width, height), None, 90)


def _tiny_pool(seed: int):
  """Image i of the tiny set: image 1 a PNG and image 2 a CMYK JPEG (both under a
  .JPEG name, as in ImageNet), the others copies from a pool of distinct 2-6 KB JPEGs
  (48-112 px, quality 60-92)."""
  from inception import demo  # pylint: disable=g-import-not-at-top
  rng = np.random.default_rng([seed, 1 << 20])
  pool = []
  while len(pool) < TINY_POOL_SIZE:
    picture = demo.render_photo(rng, *(int(v) for v in rng.integers(48, 113, 2)))
    data = demo.encode_image(picture, None, int(rng.integers(60, 93)))
    if TINY_BYTES[0] <= len(data) <= TINY_BYTES[1]:
      pool.append(data)
  special = {1: demo.encode_image(picture, 'png', 90),
             2: demo.encode_image(picture, 'cmyk', 90)}
  return lambda unused_seed, i: special.get(i) or pool[i % TINY_POOL_SIZE]


def copy_floor(plan, output_directory: str) -> int:
  """Appends each planned file's bytes to its shard file; returns bytes copied."""
  os.makedirs(output_directory, exist_ok=True)
  total = 0
  for task in plan.tasks:
    with open(os.path.join(output_directory, os.path.basename(task.output_path)),
              'wb') as out:
      for entry in task.entries:
        with open(entry.source, 'rb') as f:
          data = f.read()
        out.write(data)
        total += len(data)
      out.flush()
      os.fsync(out.fileno())
  return total


def cat_floor(paths, output_file: str) -> int:
  """`xargs -0 cat > output_file` over `paths` (plan order); returns bytes written."""
  list_file = output_file + '.list'
  with open(list_file, 'w') as f:
    f.write(''.join(p + '\0' for p in paths))
  with open(list_file, 'rb') as names, open(output_file, 'wb') as out:
    subprocess.run(['xargs', '-0', 'cat'], stdin=names, stdout=out, check=True)
  size = os.path.getsize(output_file)
  os.remove(output_file)
  os.remove(list_file)
  return size


def _line(name, num_images, num_bytes, seconds, memory):
  return ('%-28s %7d images %6.1f s %8.1f images/s %7.1f MB/s   peak RSS: sum %5.0f MiB '
          '(main %4.0f, largest worker %4.0f), PSS sum %5.0f MiB' %
          (name, num_images, seconds, num_images / seconds, num_bytes / seconds / 1e6,
           memory.peak_rss_sum / 1024, memory.peak_main_rss / 1024,
           memory.peak_worker_rss / 1024, memory.peak_pss_sum / 1024))


def _same_file(first: str, second: str) -> bool:
  if not os.path.isfile(first):
    return True  # directories (index/) are not written by the benchmark
  with open(first, 'rb') as f, open(second, 'rb') as g:
    return f.read() == g.read()


def _rss_mb() -> float:
  return process_tree.memory_kb(os.getpid())[0] / 1024


def plan_memory() -> int:
  """Main-process RSS while planning ImageNet's train split (no image is read)."""
  from inception import convert  # pylint: disable=g-import-not-at-top
  from inception import records  # pylint: disable=g-import-not-at-top
  imported = _rss_mb()
  # As find_imagenet_entries builds them: class by class, as columns.
  builder = records.EntriesBuilder()
  remaining = 1281167
  for label in range(1, 1001):
    synset = 'n%08d' % (1440764 + 13 * label)
    text = 'the human text of class %d, with, some words' % label
    count = min(remaining, 1282 if label <= 167 else 1281)
    remaining -= count
    builder.add_directory(label, synset, text,
                          '/data/imagenet/raw-data/train/' + synset,
                          ['%s_%d.JPEG' % (synset, 10000 + 7 * n) for n in range(count)])
  entries = builder.build()
  listed = _rss_mb()
  boxes = records.BoxTable()  # as read_bounding_boxes packs the CSV's
  for k, name in enumerate(entries.filenames()):
    if k % 47 < 20:  # ~43% of images, ~1.13 boxes each, as ImageNet
      count = 2 if k % 8 == 0 else 1
      boxes.add(name, [(0.1 + k * 1e-9, 0.2, 0.7, 0.9 - k * 1e-9)] * count)
  boxes.index('')  # packs and indexes them, as the first look-up does
  with_boxes = _rss_mb()
  start = time.monotonic()
  plan = convert.plan_split('train', entries, 1024, '/nonexistent/out', boxes)
  seconds = time.monotonic() - start
  planned = _rss_mb()
  peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
  num_entries = len(entries)
  del entries  # as the converter does once a split is planned
  gc.collect()
  dropped = _rss_mb()
  pickled = sum(len(pickle.dumps(t, protocol=pickle.HIGHEST_PROTOCOL))
                for t in plan.tasks)
  print('main process RSS: %.0f MiB after imports; +%.0f MiB for %d entries; +%.0f MiB '
        'for boxes of %d images; +%.0f MiB for the plan of %d shards (%.1f s); total '
        '%.0f MiB (peak %.0f MiB); %.0f MiB once the entry columns are dropped (the plan '
        'and the boxes); tasks pickled: %.1f MB (%.0f bytes per image)' %
        (imported, listed - imported, num_entries, with_boxes - listed, len(boxes),
         planned - with_boxes, len(plan.tasks), seconds, planned, peak, dropped,
         pickled / 1e6, pickled / num_entries))
  return 0


def _pil_decoder(scale: int):
  """A check that decodes with PIL at 1/scale of the size (draft: less IDCT work)."""
  import io  # pylint: disable=g-import-not-at-top
  from PIL import Image  # pylint: disable=g-import-not-at-top

  def decode(data):
    with Image.open(io.BytesIO(data)) as image:
      if scale > 1:
        image.draft('RGB', (image.width // scale, image.height // scale))
      image.load()
  return decode


def _image_checks():
  """{name: check(data) raising on a bad image}, cheapest first."""
  import io  # pylint: disable=g-import-not-at-top
  from PIL import Image  # pylint: disable=g-import-not-at-top
  import tensorflow as tf  # pylint: disable=g-import-not-at-top
  from inception import records  # pylint: disable=g-import-not-at-top
  tf.config.threading.set_intra_op_parallelism_threads(1)

  def header(data):
    with Image.open(io.BytesIO(data)) as image:
      return image.size

  def structure(data):
    error = records.jpeg_structure_error(data)
    if error:
      raise ValueError(error)

  return {'header (none)': header, 'structure walk': structure,
          'PIL 1/8 draft decode': _pil_decoder(8), 'PIL full decode': _pil_decoder(1),
          'TF decode_jpeg (full)': lambda data: tf.io.decode_jpeg(data, channels=3)}


def _refuses(check, data) -> bool:
  try:
    check(data)
  except Exception:  # pylint: disable=broad-except  (any failure is a refusal)
    return True
  return False


def _damaged_copies(rng, kind_options, count):
  """(kind, damage, bytes) for `count` photos of each kind, each damage once."""
  import io  # pylint: disable=g-import-not-at-top
  from inception import demo  # pylint: disable=g-import-not-at-top
  for n in range(count):
    picture = demo.render_photo(rng, *(int(v) for v in rng.integers(300, 501, 2)))
    for kind, options in kind_options.items():
      buffer = io.BytesIO()
      picture.save(buffer, 'JPEG', quality=90, **options)
      data = buffer.getvalue()
      scan = data.find(b'\xff\xda')
      yield kind, 'truncated', data[:int(rng.integers(scan + 20, len(data) - 2))]
      for size in (2000, 16, 1):
        damaged = bytearray(data)
        at = int(rng.integers(scan + 200, len(data) - size - 10))
        damaged[at:at + size] = rng.bytes(size)
        yield kind, '%d bytes garbled' % size, bytes(damaged)


def image_checks(data_dir: str) -> int:
  """Per-image cost of each check on the set, and what each refuses of damaged files."""
  paths = sorted(os.path.join(d, f) for d, _, files in os.walk(data_dir)
                 for f in files if f.endswith('.JPEG'))[:1000]
  images = []
  for path in paths:
    with open(path, 'rb') as f:
      images.append(f.read())
  checks = _image_checks()
  print('cost per image, one core, %d images of %.1f KB average (best of 3):' %
        (len(images), sum(map(len, images)) / len(images) / 1e3))
  for name, check in checks.items():
    best = min(_timed(check, images) for _ in range(3))
    print('  %-24s %6.3f ms' % (name, best / len(images) * 1e3))
  kinds = {'baseline': {}, 'progressive': {'progressive': True},
           'restart interval': {'restart_marker_blocks': 8}}
  counts = {}
  for kind, damage, data in _damaged_copies(np.random.default_rng(0), kinds, 100):
    row = counts.setdefault((kind, damage), [0] * (len(checks) + 1))
    row[-1] += 1
    for column, check in enumerate(checks.values()):
      row[column] += _refuses(check, data)
  print('refused of 100 damaged copies:  ' + ' | '.join(checks))
  for (kind, damage), row in counts.items():
    print('  %-16s %-18s %s' % (kind, damage, ' | '.join('%3d' % v for v in row[:-1])))
  return 0


def _timed(check, images) -> float:
  start = time.perf_counter()
  for data in images:
    check(data)
  return time.perf_counter() - start


def _shard_times(path: str) -> Tuple[float, float]:
  """(birth, change) times of a file, epoch seconds: when a shard's temporary file
  was created (its writer started) and when it was renamed into place."""
  birth, change = subprocess.run(['stat', '-c', '%.9W %.9Z', path], check=True,
                                 capture_output=True, text=True).stdout.split()
  return float(birth), float(change)


def _process_seconds(argv, env=None, cwd=None, exit_codes=(0,)) -> float:
  """Wall seconds of running `argv` (in `cwd`) to its exit."""
  start = time.time()
  code = subprocess.run(argv, env=env, cwd=cwd, stdout=subprocess.DEVNULL,
                        stderr=subprocess.DEVNULL).returncode
  if code not in exit_codes:
    raise RuntimeError('%s exited with %d' % (' '.join(argv), code))
  return time.time() - start


def _startup_run(data_dir: str, output: str, num_shards: int, env,
                 cwd: str) -> Tuple[float, ...]:
  """(seconds to the first shard begun, to the first renamed, to exit) of one
  build_imagenet_data process, from just before it was started."""
  shutil.rmtree(output, ignore_errors=True)
  argv = [sys.executable, '-m', 'inception.build_imagenet_data',
          '--train_directory=' + os.path.join(data_dir, 'train'),
          '--validation_directory=', '--bounding_box_file=',
          '--output_directory=' + output, '--train_shards=%d' % num_shards,
          '--labels_file=' + os.path.join(data_dir, 'synsets.txt'),
          '--imagenet_metadata_file=' + os.path.join(data_dir, 'metadata.txt')]
  start = time.time()
  subprocess.run(argv, check=True, env=env, cwd=cwd, stdout=subprocess.DEVNULL,
                 stderr=subprocess.DEVNULL)
  end = time.time()
  times = [_shard_times(os.path.join(output, name))
           for name in os.listdir(output) if name.startswith('train-')]
  if len(times) != num_shards:
    raise RuntimeError('%s: %d shards, expected %d' % (output, len(times), num_shards))
  return (min(birth for birth, _ in times) - start,
          min(change for _, change in times) - start, end - start)


def _startup_commands(repo: str, data_dir: str, output: str, num_shards: int):
  """{name: a function timing one run} of a checkout's processes. Each runs in the
  checkout (python -c and -m put the working directory first on sys.path)."""
  env = dict(os.environ, PYTHONPATH=repo)

  def imports(*modules):
    return lambda: (_process_seconds(
        [sys.executable, '-c', 'import ' + ', '.join(modules)], env, repo),)

  return {
      'import build_imagenet_data': imports('inception.build_imagenet_data'),
      'a pool worker\'s imports': imports('inception.core._process_pool',
                                         'inception.records._shard_tasks'),
      'import check_tfrecords': imports('inception.check_tfrecords'),
      'download_and_preprocess_imagenet --help': lambda: (_process_seconds(
          [sys.executable, '-m', 'inception.download_and_preprocess_imagenet',
           '--help'], env, repo, exit_codes=(0, 1)),),  # absl's --help exits 1
      'build_imagenet_data': lambda: _startup_run(data_dir, output, num_shards, env,
                                                  repo),
  }


def startup(data_dir: str, work_dir: str, num_images: int, num_shards: int,
            repeats: int, repos: List[str]) -> int:
  """Start-up of `build_imagenet_data` on the set, beside the floor of any absl
  binary (python importing absl) and its parts (the binary's imports, a shard
  worker's), and the other binaries' imports, measured in the same run; each
  checkout of `repos` in turn, alternating, `repeats` times; best and median."""
  floors = {
      'python -c pass': lambda: (_process_seconds([sys.executable, '-c', 'pass']),),
      'python + absl (floor)': lambda: (_process_seconds(
          [sys.executable, '-c', 'from absl import app, flags, logging']),),
  }
  output = os.path.join(work_dir, 'out_startup')
  commands = {repo: _startup_commands(repo, data_dir, output, num_shards)
              for repo in repos}
  runs = {(None, name): [] for name in floors}
  runs.update({(repo, name): [] for repo in repos for name in commands[repo]})
  loads = [os.getloadavg()[0]]
  for _ in range(repeats):
    for name, command in floors.items():
      runs[None, name].append(command())
    for repo in repos:
      for name, command in commands[repo].items():
        runs[repo, name].append(command())
    loads.append(os.getloadavg()[0])
  print('%d images in %d shards; load (1 min) %.2f-%.2f; seconds from process start, '
        'best of %d (median):' % (num_images, num_shards, min(loads), max(loads),
                                  repeats))
  for repo in [None] + repos:
    print(repo or 'any checkout:')
    for (where, name), timings in runs.items():
      if where != repo:
        continue
      columns = zip(*timings)
      what = (('to exit',) if len(timings[0]) == 1 else
              ('to the first shard begun', 'to the first shard renamed', 'to exit'))
      print('  %-40s %s' % (name, '; '.join(
          '%s %.3f s (%.3f)' % (label, min(column), statistics.median(column))
          for label, column in zip(what, columns))))
  return 0


# The convert step of the ImageNet driver on a set's tarballs, as --tarballs runs it in
# a process of --repo's code: argv = set, boxes CSV, output directory, workers.
_TARBALLS_CONVERT = r'''
import json, os, sys, time
from absl import logging
from inception import convert, core, label_files
from inception.imagenet import _splits
tarballs, boxes_csv, output, count = sys.argv[1:5]
logging.set_verbosity(logging.WARNING)
labels = label_files.LabelFiles(*(os.path.join(tarballs, name) for name in (
    'imagenet_lsvrc_2015_synsets.txt', 'imagenet_metadata.txt',
    'imagenet_2012_validation_synset_labels.txt')))
sources = _splits.SplitSources(tarballs=convert.SplitPaths(
    train=os.path.join(tarballs, 'ILSVRC2012_img_train.tar'),
    validation=os.path.join(tarballs, 'ILSVRC2012_img_val.tar')))
start, times = time.monotonic(), os.times()
with core.Workers.from_flag(int(count)).sharing_one_pool() as workers:
  results = _splits.convert_imagenet(sources, output, convert.ConvertOptions(
      workers=workers), labels, [boxes_csv])
end = os.times()
print(json.dumps({
    'images': sum(r.num_images for r in results.values()),
    'wall': time.monotonic() - start,
    'main_cpu': end.user + end.system - times.user - times.system,
    'workers_cpu': (end.children_user + end.children_system - times.children_user -
                    times.children_system)}))
'''


def tarballs_convert(tarballs: str, boxes_csv: str, work_dir: str,
                     num_threads: int, repeats: int, repo: str) -> None:
  """The convert step alone on a set's tarballs, --repeats times (see the doc)."""
  if not boxes_csv:
    raise SystemExit('--tarballs needs --boxes_csv')
  output = os.path.join(work_dir, 'tarballs-out')
  env = dict(os.environ, PYTHONPATH=repo)
  print('repo %s, %s workers, load %.2f' % (repo, num_threads or 'default',
                                            os.getloadavg()[0]), flush=True)
  for _ in range(repeats):
    shutil.rmtree(output, ignore_errors=True)
    os.makedirs(output)
    load = os.getloadavg()[0]
    line = subprocess.run(
        [sys.executable, '-c', _TARBALLS_CONVERT, tarballs, boxes_csv, output,
         str(num_threads or 0)], env=env, cwd=repo, check=True, capture_output=True,
        text=True).stdout.strip().splitlines()[-1]
    run = json.loads(line)
    cpu = run['main_cpu'] + run['workers_cpu']
    print('wall %.2f s, CPU %.2f s (main %.2f, workers %.2f), %.0f us CPU per image, '
          'load %.2f before' % (run['wall'], cpu, run['main_cpu'], run['workers_cpu'],
                                cpu / run['images'] * 1e6, load), flush=True)
  shutil.rmtree(output, ignore_errors=True)


def main():
  args = _parse_args()
  from absl import logging  # pylint: disable=g-import-not-at-top
  from inception import convert  # pylint: disable=g-import-not-at-top
  from inception import core  # pylint: disable=g-import-not-at-top
  from inception import imagenet  # pylint: disable=g-import-not-at-top
  from inception import label_files  # pylint: disable=g-import-not-at-top
  logging.set_verbosity(logging.WARNING)
  if args.plan_memory:
    return plan_memory()
  if args.tarballs:
    return tarballs_convert(args.tarballs, args.boxes_csv, args.work_dir,
                            args.num_threads, args.repeats, args.repo)
  data_dir = os.path.join(args.work_dir, 'data-tiny' if args.tiny else 'data')
  generate(data_dir, args.num_images, args.num_classes, args.seed, args.tiny)
  if args.image_checks:
    return image_checks(data_dir)
  if args.startup:
    return startup(data_dir, args.work_dir, args.num_images, args.startup_shards,
                   args.repeats, args.repo or [os.path.dirname(os.path.dirname(
                       os.path.abspath(__file__)))])
  synsets, texts = imagenet.imagenet_classes(label_files.LabelFiles(
      synsets=os.path.join(data_dir, 'synsets.txt'),
      metadata=os.path.join(data_dir, 'metadata.txt')))
  entries = imagenet.find_imagenet_entries(os.path.join(data_dir, 'train'), synsets,
                                           texts)
  num_shards = max(1, round(len(entries) / args.images_per_shard))
  workers = core.Workers.from_flag(args.num_threads)
  dataset_bytes = 0
  for entry in entries:  # warm the page cache the same way for every run
    with open(entry.source, 'rb') as f:
      dataset_bytes += len(f.read())
  print('%d images, %.1f MB (%.1f KB average), %d shards, %d workers, %d cores' %
        (len(entries), dataset_bytes / 1e6, dataset_bytes / len(entries) / 1e3,
         num_shards, workers.count, os.cpu_count()), flush=True)
  skip = set(args.skip.split(','))
  lines = []
  rates = {}  # key -> images/s

  if 'cat' not in skip:
    plan = convert.plan_split('train', entries, num_shards, args.work_dir)
    with process_tree.TreeMemory() as memory:
      start = time.monotonic()
      copied = cat_floor([e.source for t in plan.tasks for e in t.entries],
                         os.path.join(args.work_dir, 'out_cat'))
      seconds = time.monotonic() - start
    rates['cat'] = len(entries) / seconds
    lines.append(_line('(cat) xargs cat > one file', len(entries), copied, seconds,
                       memory))
    print(lines[-1], flush=True)

  if 'a' not in skip:
    output = os.path.join(args.work_dir, 'out_copy')
    shutil.rmtree(output, ignore_errors=True)
    plan = convert.plan_split('train', entries, num_shards, output)
    with process_tree.TreeMemory() as memory:
      start = time.monotonic()
      copied = copy_floor(plan, output)
      seconds = time.monotonic() - start
    rates['a'] = len(entries) / seconds
    lines.append(_line('(a) copy (floor)', len(entries), copied, seconds, memory))
    print(lines[-1], flush=True)

  for key, name, validate, runner in (
      ('b', '(b) convert', 'structure', convert.LOCAL_RUNNER),
      ('n', '(n) convert, validate=none', 'none', convert.LOCAL_RUNNER),
      ('c', '(c) convert, validate=full', 'full', convert.LOCAL_RUNNER),
      ('d', '(d) convert, DirectRunner', 'structure', 'DirectRunner'),
      ('e', '(e) convert, DaskRunner', 'structure', 'DaskRunner')):
    if key in skip:
      continue
    output = os.path.join(args.work_dir, 'out_' + key)
    shutil.rmtree(output, ignore_errors=True)
    options = convert.ConvertOptions(workers=workers, validate_images=validate,
                                     progress_interval=1e9, runner=runner)
    with process_tree.TreeMemory() as memory:
      start = time.monotonic()
      result = convert.convert_split('train', entries, num_shards, output, options)
      seconds = time.monotonic() - start
    rates[key] = result.num_images / seconds
    lines.append(_line(name, result.num_images, result.num_input_bytes, seconds, memory))
    print(lines[-1], flush=True)

  for key in ('d', 'e'):
    if not {'b', key} & skip:
      same = all(_same_file(os.path.join(args.work_dir, 'out_b', name),
                            os.path.join(args.work_dir, 'out_' + key, name))
                 for name in os.listdir(os.path.join(args.work_dir, 'out_b')))
      lines.append('(%s) shards byte-identical to (b): %s' % (key, 'yes' if same else 'NO'))
  for floor in ('cat', 'a'):
    for key in ('b', 'n', 'c', 'd', 'e'):
      if floor in rates and key in rates:
        lines.append('(%s) / (%s) images/s: %.2f' % (key, floor, rates[key] / rates[floor]))
  print('\n'.join(['', 'Summary:'] + lines))
  return 0


if __name__ == '__main__':
  sys.exit(main())
