"""Where the CPU goes, per step: the driver's --no_extract run under py-spy.

Runs, on the set of bench_tfds.py (generated there, or here, at --scale),

  py-spy record --subprocesses --nonblocking --format raw --rate R -- \
      python inception/download_and_preprocess_imagenet.py DATA_DIR --no_extract ...

(the command of bench_imagenet.driver_command), and splits the samples by step. py-spy
samples active threads only (1/R s each): running, waiting for a core, or in a system
call it does not know as a wait (rename, fsync), so on a loaded machine "active s"
exceeds the CPU time. A sample of the main thread belongs to the step whose runner
(`run_<step>` of inception/imagenet/_driver.py) is on its stack; any other sample (a
worker's, or a thread the step started) to the step of the outermost package of ours
on its stack that belongs to one (annotations; convert or records; check: a worker's
work function names its step even when one pool serves several steps); else a
worker's to the step that was running when this script first saw its pid (the tree
polled every 20 ms while the driver's log gives the step boundaries), and the main
process's to "main, outside steps" (start-up, imports, the pools' generic plumbing).
Per step, the functions where the samples land (self time, the leaf
frame) with their share of the step's samples, and the nearest frame of inception/
below each (the code of ours that called it). py-spy is installed in the bench's venv
(bench/requirements-tfds.txt); the samples and the pid map stay in --work_dir
(profile.raw, profile.raw.pids.json).

  PYTHONPATH=. .venv/bin/python bench/profile_steps.py --scale=0.1
"""

import collections
import json
import os
import re
import shutil
import subprocess
import sys
import threading
import time
from typing import Dict, Iterable, List, Mapping, Optional, Tuple

from absl import app
from absl import flags

from bench import bench_imagenet
from bench import bench_tfds
from bench.process_tree import descendants

FLAGS = flags.FLAGS
flags.DEFINE_integer('rate', 100, 'py-spy samples per second.')
flags.DEFINE_integer('top', 8, 'Functions shown per step.')

OUTSIDE = 'main, outside steps'
UNATTRIBUTED = 'worker, step unknown'
_RUNNER = re.compile(r'^run_(\w+) \(inception/imagenet/_driver\.py:\d+\)$')
_LINE = re.compile(r':\d+\)$')
_PROCESS = re.compile(r'process (\d+):"[^"]*";?')
_PROCESSES = re.compile(r'^((?:process \d+:"[^"]*";?)+)(.*) (\d+)$')
_POLL_SECONDS = 0.02
# A stack of the main process without a step's runner (a thread the step started,
# feeding its workers) belongs to the step of the innermost of these packages.
_PACKAGE = re.compile(r'\(inception/(\w+)/')
_PACKAGE_STEPS = {'annotations': 'bounding_boxes', 'convert': 'convert',
                  'records': 'convert', 'check': 'check'}


def parse_raw(lines: Iterable[str]) -> List[Tuple[int, List[str], int]]:
  """(pid, frames root first, samples) of each line of py-spy's raw output.

  A line is `process PID:"CMDLINE";frame;...;leaf COUNT`; with --subprocesses a
  child's stack follows its ancestors' `process` elements, and the last is its own.
  """
  stacks = []
  for line in lines:
    match = _PROCESSES.match(line.rstrip('\n'))
    if not match:
      continue
    pid = int(_PROCESS.findall(match.group(1))[-1])
    frames = match.group(2)
    stacks.append((pid, frames.split(';') if frames else [], int(match.group(3))))
  return stacks


def step_of(frames: List[str], pid: int, main_pid: int,
            worker_steps: Mapping[int, str]) -> str:
  """The step of one stack: the main thread's by the runner on it; any other's by the
  outermost package of ours that belongs to a step (a worker's work function, as one
  pool may serve several steps; a main-process thread's feeding code); else a
  worker's by the step its pid appeared in."""
  if pid == main_pid:
    for frame in frames:
      match = _RUNNER.match(frame)
      if match and match.group(1) in bench_imagenet.STEPS:
        return match.group(1)
  for frame in frames:
    package = _PACKAGE.search(frame)
    if package and package.group(1) in _PACKAGE_STEPS:
      return _PACKAGE_STEPS[package.group(1)]
  return OUTSIDE if pid == main_pid else worker_steps.get(pid, UNATTRIBUTED)


def function_of(frame: str) -> str:
  """'read (tarfile.py:123)' -> 'read (tarfile.py)': a function, not a line."""
  return _LINE.sub(')', frame)


def our_caller(frames: List[str]) -> str:
  """The innermost frame in inception/ (the leaf's own if it is ours)."""
  for frame in reversed(frames):
    if '(inception/' in frame:
      return function_of(frame)
  return '–'


def per_step(stacks: Iterable[Tuple[int, List[str], int]], main_pid: int,
             worker_steps: Mapping[int, str]
             ) -> Dict[str, collections.Counter]:
  """{step: Counter({(leaf function, our caller): samples})}."""
  steps = collections.defaultdict(collections.Counter)
  for pid, frames, count in stacks:
    if not frames:
      continue
    step = step_of(frames, pid, main_pid, worker_steps)
    steps[step][(function_of(frames[-1]), our_caller(frames))] += count
  return steps


def table(steps: Mapping[str, collections.Counter], rate: int, top: int,
          seconds: Mapping[str, float]) -> List[str]:
  lines = ['| step (wall s) | active s | function (self) | % of step | via (ours) |',
           '|---|---:|---|---:|---|']
  order = [s for s in bench_imagenet.STEPS if s in steps] + [
      s for s in (OUTSIDE, UNATTRIBUTED) if s in steps]
  for step in order:
    total = sum(steps[step].values())
    label = '%s (%.1f)' % (step, seconds[step]) if step in seconds else step
    for rank, ((function, caller), samples) in enumerate(
        steps[step].most_common(top)):
      lines.append('| %s | %s | `%s` | %.1f | `%s` |' % (
          label if rank == 0 else '', '%.1f' % (total / rate) if rank == 0 else '',
          function, 100.0 * samples / total, caller))
  return lines


class PidSteps(object):
  """Which step each process of the tree under `root` was first seen in."""

  def __init__(self, root: int):
    self._root = root
    self.step = None
    self.first_seen = {}
    self._stop = threading.Event()
    self._thread = threading.Thread(target=self._run, daemon=True)
    self._thread.start()

  def _run(self) -> None:
    while not self._stop.wait(_POLL_SECONDS):
      step = self.step
      found = descendants(self._root)
      if step is None or self.step != step:
        continue  # between steps, or a step boundary while listing: look again
      for pid in found:
        self.first_seen.setdefault(pid, step)

  def stop(self) -> Dict[int, str]:
    self._stop.set()
    self._thread.join()
    return dict(self.first_seen)


def profile(record: Mapping[str, object], py_spy: str, python: str, repo: str,
            work_dir: str) -> List[str]:
  """Runs the driver under py-spy; the table of where its CPU went, per step."""
  data_dir = os.path.join(work_dir, 'run-profile')
  shutil.rmtree(data_dir, ignore_errors=True)
  os.makedirs(data_dir)
  raw = os.path.join(work_dir, 'profile.raw')
  driver = bench_imagenet.driver_command(python, repo, data_dir, record, 'no_extract',
                                         FLAGS.num_threads, '/dev/null')[4:]
  command = [py_spy, 'record', '--subprocesses', '--nonblocking', '--format', 'raw',
             '--rate', str(FLAGS.rate), '--output', raw, '--'] + driver
  print(' '.join(command), flush=True)
  with subprocess.Popen(command, env=dict(os.environ, PYTHONPATH=repo),
                        stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                        bufsize=1) as process, open(raw + '.log', 'w') as log:
    pids = PidSteps(process.pid)
    for line in process.stdout:
      log.write(line)
      event = bench_imagenet.parse_step_event(line)
      if event:
        pids.step = event[0] if event[1] == 'starting' else None
    status = process.wait()
  worker_steps = pids.stop()
  with open(raw + '.pids.json', 'w') as f:  # kept beside the samples, to look again
    json.dump(worker_steps, f, indent=1, sort_keys=True)
  if status:
    sys.exit('py-spy or the driver failed (status %d): %s.log' % (status, raw))
  with open(os.path.join(data_dir, 'pipeline_state.json')) as f:
    seconds = {s: v['seconds'] for s, v in json.load(f)['steps'].items()}
  with open(raw) as f:
    stacks = parse_raw(f)
  main_pid = main_of(stacks)
  worker_steps.pop(main_pid, None)
  steps = per_step(stacks, main_pid, worker_steps)
  return table(steps, FLAGS.rate, FLAGS.top, seconds)


def main_of(stacks: List[Tuple[int, List[str], int]]) -> Optional[int]:
  """The driver's main process: the one whose stacks hold the step engine."""
  for pid, frames, _ in stacks:
    if any(frame.startswith('run_steps (inception/driver/') for frame in frames):
      return pid
  return None


def main(argv):
  if len(argv) > 1:
    raise app.UsageError('unexpected arguments: %s' % ' '.join(argv[1:]))
  repo, python, work_dir, record = bench_tfds.the_set()
  venv_python = bench_tfds.ensure_venv(
      os.path.abspath(FLAGS.tfds_venv), bench_tfds.REQUIREMENTS,
      getattr(sys, '_base_executable', sys.executable))
  py_spy = os.path.join(os.path.dirname(venv_python), 'py-spy')
  load_before = bench_tfds.load_average()
  started = time.monotonic()
  lines = profile(record, py_spy, python, repo, work_dir)
  print('\n'.join(['', '%s train + %s validation images, --rate=%d, %.0f s, load %s '
                   'before, %s after (%d cores)' % (
                       '{:,}'.format(record['train_images']),
                       '{:,}'.format(record['validation_images']), FLAGS.rate,
                       time.monotonic() - started, load_before,
                       bench_tfds.load_average(), os.cpu_count()), ''] + lines))
  return 0


if __name__ == '__main__':
  app.run(main)
