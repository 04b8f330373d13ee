"""Acceptance of the sources (issue 21): one set in every layout gives the same shards.

Generates (once, cached under --work_dir) the 1 % ImageNet of imagenet_set.py (the
real 1000 wnids, ~12,800 train images with the real PNG and CMYK names, the first
1,000 validation images under their real names), lays it out as Kaggle's tree and zip
and Hugging Face's parquet files with the official box archive beside them
(source_layouts.py), then runs, from --repo, for each layout on a fresh DATA_DIR:

  bazel run //inception:download_and_preprocess_imagenet -- --source=DIR DATA_DIR

with no other flag for Kaggle; --checksums_file=SET/MD5SUMS for Hugging Face (the
synthetic box archive is not the published one); and for the tarballs, as today for a
synthetic subset, --checksums_file and --validation_labels_file.

It passes (exit 0) when every run ends with the same closing lines and writes train and
validation shards byte-identical to the tarballs', and no source's files changed (their
names, sizes, modification times and MD5s before and after). It prints a table of the
runs and writes result.json under --work_dir.

Not a Bazel target (it runs `bazel run` itself); from a checkout:
  PYTHONPATH=. .venv/bin/python bench/accept_sources.py --work_dir=/tmp/accept
"""

import glob
import hashlib
import json
import os
import shutil
import subprocess
import sys
import time
from typing import Dict, List, Mapping, Sequence, Tuple

from absl import app
from absl import flags

from bench import imagenet_set
from bench import source_layouts

FLAGS = flags.FLAGS
flags.DEFINE_float('scale', 0.01, 'Share of ImageNet to generate (0.01: the 1 % set).')
flags.DEFINE_string('work_dir', '/tmp/accept_sources', 'Holds the set, its layouts, '
                    'one DATA_DIR per layout and result.json.')
flags.DEFINE_string('repo', os.path.dirname(os.path.dirname(os.path.abspath(__file__))),
                    'The checkout whose driver runs (bazel run from there).')
flags.DEFINE_list('layouts', ['tarballs'] + list(source_layouts.LAYOUTS),
                  'The layouts to run; the tarballs are the reference.')

TARBALLS = 'tarballs'
_SHARD_PATTERNS = ('train-?????-of-?????', 'validation-?????-of-?????')
_CLOSING_PREFIXES = ('Output: ', 'Finished writing all ')


def snapshot(directory: str) -> Dict[str, Tuple[int, int, str]]:
  """{relative path: (size, mtime_ns, md5)} of every file under `directory` (or the
  file itself)."""
  paths = ([directory] if os.path.isfile(directory) else
           [os.path.join(root, name) for root, _, names in os.walk(directory)
            for name in names])
  result = {}
  for path in sorted(paths):
    digest = hashlib.md5()
    with open(path, 'rb') as f:
      for block in iter(lambda: f.read(1 << 20), b''):
        digest.update(block)
    status = os.stat(path)
    result[os.path.relpath(path, directory)] = (status.st_size, status.st_mtime_ns,
                                                digest.hexdigest())
  return result


def shard_digests(data_dir: str) -> Dict[str, str]:
  """{shard name: MD5} of the train and validation shards of a DATA_DIR."""
  paths = sorted(path for pattern in _SHARD_PATTERNS
                 for path in glob.glob(os.path.join(data_dir, pattern)))
  return {os.path.basename(path): snapshot(path)['.'][2] for path in paths}


def closing_lines(output: str) -> List[str]:
  """The run's closing lines, its output directory left out."""
  return [line.split('(', 1)[-1] if line.startswith('Output: ') else line
          for line in output.splitlines() if line.startswith(_CLOSING_PREFIXES)]


def driver_flags(layout: str, set_record: Mapping[str, str]) -> List[str]:
  """The flags a layout's run needs besides --source and DATA_DIR."""
  if layout == TARBALLS:
    return ['--checksums_file=' + set_record['checksums_file'],
            '--validation_labels_file=' + set_record['validation_labels_file']]
  if layout == source_layouts.HF_PARQUET:
    return ['--checksums_file=' + set_record['checksums_file']]
  return []


def run_layout(layout: str, source: str, set_record: Mapping[str, str],
               work_dir: str) -> Dict[str, object]:
  """Runs the driver on one layout; what it gave."""
  data_dir = os.path.join(work_dir, 'run-' + layout)
  shutil.rmtree(data_dir, ignore_errors=True)
  command = (['bazel', 'run', '//inception:download_and_preprocess_imagenet', '--',
              '--source=' + source] + driver_flags(layout, set_record) + [data_dir])
  print('$ ' + ' '.join(command), flush=True)
  before = snapshot(source)
  start = time.monotonic()
  done = subprocess.run(command, cwd=FLAGS.repo, stdout=subprocess.PIPE,
                        stderr=subprocess.STDOUT, text=True, check=False)
  seconds = time.monotonic() - start
  with open(os.path.join(work_dir, 'run-%s.log' % layout), 'w') as log:
    log.write(done.stdout)
  return {
      'layout': layout, 'source': source, 'returncode': done.returncode,
      'seconds': round(seconds, 1), 'closing_lines': closing_lines(done.stdout),
      'shards': shard_digests(data_dir), 'source_untouched': snapshot(source) == before,
  }


def verdicts(runs: Sequence[Mapping[str, object]]) -> List[str]:
  """What is wrong with the runs against the tarballs' (nothing: all passed)."""
  reference = next(run for run in runs if run['layout'] == TARBALLS)
  problems = []
  for run in runs:
    name = run['layout']
    if run['returncode'] != 0:
      problems.append('%s: exit status %d (see run-%s.log)' % (name, run['returncode'],
                                                                name))
    if not run['source_untouched']:
      problems.append('%s: the source changed' % name)
    if not run['shards']:
      problems.append('%s: no shards' % name)
    elif run['shards'] != reference['shards']:
      differ = sorted(shard for shard in set(run['shards']) | set(reference['shards'])
                      if run['shards'].get(shard) != reference['shards'].get(shard))
      problems.append('%s: %d shards differ from the tarballs\' (%s, ...)' % (
          name, len(differ), differ[0]))
    if run['closing_lines'] != reference['closing_lines'] or not run['closing_lines']:
      problems.append('%s: closing lines %r, the tarballs\' %r' % (
          name, run['closing_lines'], reference['closing_lines']))
  return problems


def main(argv):
  del argv
  work_dir = os.path.abspath(FLAGS.work_dir)
  set_record = imagenet_set.generate(
      os.path.join(work_dir, 'set-%g' % FLAGS.scale),
      imagenet_set.SetConfig(scale=FLAGS.scale, leading_validation=True),
      os.path.join(FLAGS.repo, 'data'))
  layouts = [layout for layout in FLAGS.layouts if layout != TARBALLS]
  sources = source_layouts.write_layouts(set_record, os.path.join(work_dir, 'layouts'),
                                         layouts)
  sources[TARBALLS] = set_record['directory']
  runs = [run_layout(layout, sources[layout], set_record, work_dir)
          for layout in [TARBALLS] + layouts]
  print('\n%-12s %8s %7s %11s %s' % ('layout', 'seconds', 'shards', 'untouched',
                                     'closing line'))
  for run in runs:
    print('%-12s %8.1f %7d %11s %s' % (run['layout'], run['seconds'],
                                       len(run['shards']), run['source_untouched'],
                                       (run['closing_lines'] or ['-'])[-1]))
  problems = verdicts(runs)
  with open(os.path.join(work_dir, 'result.json'), 'w') as f:
    json.dump({'set': set_record, 'runs': runs, 'problems': problems}, f, indent=2,
              sort_keys=True)
  for problem in problems:
    print('FAIL ' + problem)
  print('PASS: %d layouts, shards byte-identical to the tarballs\'' % len(runs)
        if not problems else '%d problems' % len(problems))
  return 1 if problems else 0


if __name__ == '__main__':
  sys.exit(app.run(main))
