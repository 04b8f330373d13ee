"""Ours beside TensorFlow Datasets' `imagenet2012`, on the same tarballs, in one run.

Generates (once, cached under --work_dir) the synthetic ImageNet of imagenet_set.py at
--scale (default 0.1: ~128,100 + 5,000 tiny JPEGs, the real 1000 wnids), with the real
label file's first validation names (`leading_validation`): TFDS labels the validation
images by zipping the sorted names of the validation tar with its own copy of the real
label file, so only those names get their true labels there (checked before any run).
Then runs, one after the other, each as a process tree under /usr/bin/time -v (--runs,
in that order; a name may repeat, to show the noise of a shared machine):

  tfds          TFDS 4.9.10 `imagenet2012` download_and_prepare, offline, manual_dir =
                the set (bench/tfds_prepare.py, in the bench's own venv
                bench/.venv-tfds, created from bench/requirements-tfds.txt if missing)
  ours          download_and_preprocess_imagenet --source=SET --link_mode=symlink
                --no_extract (boxes, convert, check), bench_imagenet.driver_command
  ours_extract  the same without --no_extract (extract, boxes, relabel, convert, check)
  tar           GNU tar -x of the train tar's class tars (a `tar -x` per class, one pass)
                and of the validation tar, warm cache (bench_imagenet.tool_rates)

For each: wall, CPU (user + sys of the process tree, from time -v), peak RSS (the
largest process, from time -v, and the tree's sum, sampled); for ours the steps'
seconds from DATA_DIR/pipeline_state.json (`steps.<name>.seconds`). Prints a table
and the ratios: TFDS wall / ours wall (goal >= 2), and (tar + ours) / ours_extract
(goal >= 1: extraction no slower than GNU tar's plus our --no_extract run).
Every run has Python's bytecode cache on, as installed code has (python_env: the
checkout compiled once first; TFDS's site-packages were compiled by pip).

Not a Bazel target (it creates a venv and runs for minutes):
  PYTHONPATH=. .venv/bin/python bench/bench_tfds.py --scale=0.01
  PYTHONPATH=. .venv/bin/python bench/bench_tfds.py --runs=ours,tfds,ours,tar,ours_extract
"""

import hashlib
import json
import os
import shutil
import subprocess
import sys
import tarfile
import time
from typing import Any, Dict, List, Mapping, Sequence, Tuple

from absl import app
from absl import flags

from bench import bench_imagenet
from bench import imagenet_set
from bench.process_tree import TreeMemory
from inception import core
from inception import imagenet

FLAGS = flags.FLAGS
# bench_imagenet's flags serve here too (--repo, --python, --num_threads, --keep,
# --tool_classes); only the defaults of the set differ.
FLAGS.set_default('scale', 0.1)
FLAGS.set_default('work_dir', '/tmp/bench_tfds')
flags.DEFINE_list('runs', ['ours', 'tfds', 'ours'], 'What runs, in this order: tfds, '
                  'ours, ours_extract, tar (a name may repeat).')
flags.DEFINE_string('tfds_venv', os.path.join(os.path.dirname(
    os.path.abspath(__file__)), '.venv-tfds'), 'The bench\'s own venv with '
                    'tensorflow-datasets (created if missing or stale).')

RUNS = ('tfds', 'ours', 'ours_extract', 'tar')
TFDS_GOAL = 2.0
_HERE = os.path.dirname(os.path.abspath(__file__))
REQUIREMENTS = os.path.join(_HERE, 'requirements-tfds.txt')
_PREPARE = os.path.join(_HERE, 'tfds_prepare.py')
_STAMP = '.requirements.sha256'
_TFDS_VALIDATION_LABELS = os.path.join(
    'tensorflow_datasets', 'datasets', 'imagenet2012', 'validation_labels.txt')
_MIB = 1024 * 1024


class BenchFailed(RuntimeError):
  """A run failed, or its output does not match the set."""


def ensure_venv(venv: str, requirements: str, base_python: str) -> str:
  """The venv's python, after creating it (or reinstalling: requirements changed)."""
  with open(requirements, 'rb') as f:
    wanted = hashlib.sha256(f.read()).hexdigest()
  stamp = os.path.join(venv, _STAMP)
  python = os.path.join(venv, 'bin', 'python')
  if os.path.exists(stamp):
    with open(stamp) as f:
      if f.read().strip() == wanted:
        return python
  print('creating %s from %s (a few minutes)' % (venv, requirements), flush=True)
  subprocess.run([base_python, '-m', 'venv', venv], check=True)
  subprocess.run([python, '-m', 'pip', 'install', '-q', '-r', requirements], check=True)
  core.write_text(stamp, wanted + '\n')
  return python


def site_packages(python: str) -> str:
  return subprocess.run(
      [python, '-c', 'import sysconfig; print(sysconfig.get_paths()["purelib"])'],
      check=True, capture_output=True, text=True).stdout.strip()


def tfds_label_mismatches(validation_names: Sequence[str], set_labels: Sequence[str],
                          tfds_labels: Sequence[str]) -> List[str]:
  """The validation images TFDS would label otherwise than the set.

  TFDS (imagenet_common.get_validation_labels) gives the i-th of the sorted member
  names of the validation tar the i-th line of its label file; the set gives the
  i-th validation image (in tar order) the i-th line of its own.
  """
  by_tfds = dict(zip(sorted(validation_names), tfds_labels))
  return [name for name, label in zip(validation_names, set_labels)
          if by_tfds.get(name) != label]


def check_tfds_labels(record: Mapping[str, Any], tfds_python: str) -> None:
  """Raises BenchFailed unless TFDS labels every validation image as the set does."""
  with tarfile.open(os.path.join(record['directory'], imagenet.VALIDATION_TAR)) as tar:
    names = tar.getnames()
  with open(record['validation_labels_file']) as f:
    set_labels = f.read().split()
  with open(os.path.join(site_packages(tfds_python), _TFDS_VALIDATION_LABELS)) as f:
    tfds_labels = f.read().split()
  wrong = tfds_label_mismatches(names, set_labels, tfds_labels)
  if wrong:
    raise BenchFailed('%s: TFDS would mislabel %d of %d validation images (e.g. %s): '
                      'generate the set with leading_validation' % (
                          record['directory'], len(wrong), len(names), wrong[0]))


def python_env(**settings: str) -> Dict[str, str]:
  """This environment for a measured run, with Python's bytecode cache on.

  Both sides then run as installed code does: TFDS from site-packages compiled by pip,
  ours from the checkout compiled once by `compile_checkout` (a shell that sets
  PYTHONDONTWRITEBYTECODE would otherwise have every process of ours, workers
  included, compile every module again).
  """
  env = {k: v for k, v in os.environ.items() if k != 'PYTHONDONTWRITEBYTECODE'}
  env.update(settings)
  return env


def compile_checkout(python: str, repo: str) -> None:
  """Writes the bytecode cache of the checkout's package (git ignores __pycache__)."""
  subprocess.run([python, '-m', 'compileall', '-q', os.path.join(repo, 'inception')],
                 check=True, env=python_env())


def measured(command: Sequence[str], log_path: str, env: Mapping[str, str]
             ) -> Dict[str, Any]:
  """Runs `command` under /usr/bin/time -v: wall, CPU and peak RSS of its tree."""
  time_file = log_path + '.time'
  with open(log_path, 'w') as log:
    process = subprocess.Popen(['/usr/bin/time', '-v', '-o', time_file] +
                               list(command), stdout=log, stderr=subprocess.STDOUT,
                               env=dict(env))
    with TreeMemory(process.pid, interval=0.1) as memory:
      status = process.wait()
  if status:
    raise BenchFailed('%s exited with status %d; the tail of %s:\n%s' % (
        command[0], status, log_path, bench_imagenet.log_tail(log_path)))
  with open(time_file) as f:
    figures = bench_imagenet.parse_time_v(f.read())
  figures['cpu_seconds'] = figures['user_seconds'] + figures['sys_seconds']
  figures['tree_peak_rss_bytes'] = memory.peak_rss_sum * 1024
  return figures


def run_tfds(record: Mapping[str, Any], python: str, work_dir: str) -> Dict[str, Any]:
  data_dir = os.path.join(work_dir, 'run-tfds')
  shutil.rmtree(data_dir, ignore_errors=True)
  os.makedirs(data_dir)
  result_path = os.path.join(work_dir, 'tfds-result.json')
  figures = measured([python, _PREPARE, record['directory'], data_dir, result_path],
                     os.path.join(work_dir, 'tfds.log'), python_env())
  with open(result_path) as f:
    result = json.load(f)
  expected = {'train': record['train_images'],
              'validation': record['validation_images']}
  if result['examples'] != expected:
    raise BenchFailed('TFDS wrote %s examples, the set holds %s' %
                      (result['examples'], expected))
  if not FLAGS.keep:
    shutil.rmtree(data_dir, ignore_errors=True)
  return dict(figures, steps={'import': result['import_seconds'],
                              'build': result['build_seconds']})


def run_ours(record: Mapping[str, Any], mode: str, python: str, repo: str,
             work_dir: str) -> Dict[str, Any]:
  data_dir = os.path.join(work_dir, 'run-%s' % mode)
  shutil.rmtree(data_dir, ignore_errors=True)
  os.makedirs(data_dir)
  command = bench_imagenet.driver_command(python, repo, data_dir, record, mode,
                                          FLAGS.num_threads, '/dev/null')[4:]
  figures = measured(command, os.path.join(work_dir, 'driver-%s.log' % mode),
                     python_env(PYTHONPATH=repo))
  with open(os.path.join(data_dir, 'pipeline_state.json')) as f:
    state = json.load(f)['steps']
  problems = bench_imagenet.mismatches(state, record)
  if problems:
    raise BenchFailed('the driver (%s) does not match the set: %s' %
                      (mode, '; '.join(problems)))
  if not FLAGS.keep:
    shutil.rmtree(data_dir, ignore_errors=True)
  return dict(figures, steps={step: state[step]['seconds']
                              for step in bench_imagenet.STEPS if step in state})


def run_tar(record: Mapping[str, Any], work_dir: str) -> Dict[str, Any]:
  """GNU tar -x of both image tarballs (and cat's floor, from tool_rates)."""
  scratch = os.path.join(work_dir, 'tools')
  tools = bench_imagenet.tool_rates(record, scratch, FLAGS.tool_classes)
  validation_tar = os.path.join(record['directory'], imagenet.VALIDATION_TAR)
  validation_dir = os.path.join(scratch, 'validation')
  os.makedirs(validation_dir)
  bench_imagenet.warm([validation_tar])
  validation_seconds = bench_imagenet._timed(  # pylint: disable=protected-access
      ['tar', '-xf', validation_tar, '-C', validation_dir])
  if not FLAGS.keep:
    shutil.rmtree(scratch, ignore_errors=True)
  wall = tools['tar_seconds'] + validation_seconds
  return {'wall_seconds': wall, 'steps': {'train': tools['tar_seconds'],
                                          'validation': validation_seconds,
                                          'cat_train_files': tools['cat_seconds']}}


def _mib(value) -> str:
  return '{:,} MiB'.format(round(value / _MIB)) if value else '–'


def _cpu(run: Mapping[str, Any]) -> str:
  return '%.1f' % run['cpu_seconds'] if 'cpu_seconds' in run else '–'


def table(results: Sequence[Dict[str, Any]]) -> List[str]:
  lines = ['| run | wall s | CPU s (user+sys) | peak RSS, largest process | peak RSS, '
           'tree sum | steps s | load (1 min) before |',
           '|---|---:|---:|---:|---:|---|---|']
  for result in results:
    lines.append('| %s | %.1f | %s | %s | %s | %s | %s |' % (
        result['run'], result['wall_seconds'], _cpu(result),
        _mib(result.get('max_rss_bytes')), _mib(result.get('tree_peak_rss_bytes')),
        ', '.join('%s %.1f' % item for item in result['steps'].items()),
        result['load_before']))
  return lines


def ratios(results: Sequence[Dict[str, Any]]) -> List[str]:
  """TFDS wall / ours wall, each pair; (tar + ours) / ours_extract."""
  walls = lambda name: [r['wall_seconds'] for r in results if r['run'] == name]
  lines = []
  for tfds_wall in walls('tfds'):
    for ours_wall in walls('ours'):
      ratio = tfds_wall / ours_wall
      lines.append('TFDS wall / ours wall: %.1f / %.1f = %.2fx (goal >= %.1fx: %s)' % (
          tfds_wall, ours_wall, ratio, TFDS_GOAL, 'met' if ratio >= TFDS_GOAL
          else 'MISSED'))
  for tar_wall in walls('tar'):
    for ours_wall in walls('ours'):
      for extract_wall in walls('ours_extract'):
        ratio = (tar_wall + ours_wall) / extract_wall
        lines.append('(tar -x + ours --no_extract) / ours extract: (%.1f + %.1f) / '
                     '%.1f = %.2fx (goal >= 1: %s)' % (
                         tar_wall, ours_wall, extract_wall, ratio,
                         'met' if ratio >= 1 else 'MISSED'))
  return lines


def load_average() -> str:
  return '%.2f' % os.getloadavg()[0]


def the_set() -> Tuple[str, str, str, Dict[str, Any]]:
  """(repo, its python, work_dir, the set's record) from the flags; the set generated
  under work_dir unless cached there."""
  repo = os.path.abspath(FLAGS.repo)
  python = FLAGS.python or os.path.join(repo, '.venv', 'bin', 'python')
  work_dir = os.path.abspath(FLAGS.work_dir)
  os.makedirs(work_dir, exist_ok=True)
  record = imagenet_set.generate(
      os.path.join(work_dir, 'set-%g' % FLAGS.scale),
      imagenet_set.SetConfig(scale=FLAGS.scale, leading_validation=True),
      os.path.join(repo, 'data'), log=lambda line: print(line, flush=True))
  return repo, python, work_dir, record


def main(argv):
  if len(argv) > 1:
    raise app.UsageError('unexpected arguments: %s' % ' '.join(argv[1:]))
  unknown = sorted(set(FLAGS.runs) - set(RUNS))
  if unknown:
    raise app.UsageError('unknown --runs %s (known: %s)' % (unknown, ', '.join(RUNS)))
  repo, python, work_dir, record = the_set()
  print('set: %s train + %s validation images, %.0f MB of tarballs' % (
      '{:,}'.format(record['train_images']), '{:,}'.format(record['validation_images']),
      sum(a['bytes'] for a in record['archives'].values()) / 1e6), flush=True)
  tfds_python = None
  if 'tfds' in FLAGS.runs:
    tfds_python = ensure_venv(os.path.abspath(FLAGS.tfds_venv), REQUIREMENTS,
                              getattr(sys, '_base_executable', sys.executable))
  results = []
  try:
    if tfds_python:
      check_tfds_labels(record, tfds_python)
    compile_checkout(python, repo)
    bench_imagenet.warm([os.path.join(record['directory'], name)
                         for name in record['archives']])
    for run in FLAGS.runs:
      load_before = load_average()
      print('== %s (load %s)' % (run, load_before), flush=True)
      if run == 'tfds':
        result = run_tfds(record, tfds_python, work_dir)
      elif run == 'tar':
        result = run_tar(record, work_dir)
      else:
        result = run_ours(record, 'extract' if run == 'ours_extract' else
                          'no_extract', python, repo, work_dir)
      results.append(dict(result, run=run, load_before=load_before))
      print('   %.1f s wall' % result['wall_seconds'], flush=True)
  except BenchFailed as e:
    print('FAILED: %s' % e, file=sys.stderr, flush=True)
    return 1
  print('\n'.join([''] + table(results) + [''] + ratios(results)))
  print('load after: %s (%d cores)' % (load_average(), os.cpu_count()))
  result_file = os.path.join(work_dir, 'result-%g.json' % FLAGS.scale)
  core.write_text(result_file, json.dumps(
      {'scale': FLAGS.scale, 'set': record, 'runs': results, 'cores': os.cpu_count()},
      indent=2, sort_keys=True) + '\n')
  print('results: %s' % result_file)
  return 0


if __name__ == '__main__':
  app.run(main)
