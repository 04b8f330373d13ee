"""End-to-end benchmark of the ImageNet driver on a full-shape synthetic ImageNet.

Generates (once, cached under --work_dir) the set of bench/imagenet_set.py: ImageNet's
1000 classes and 1,281,167 train images in per-class tars, 50,000 validation images,
544,546 XMLs with 615,299 boxes, the real PNG and CMYK names, tiny JPEGs from a pool
(a few GB in all); `--scale=0.01` gives the 1 % version. Then, for each of --modes
(`extract`, `no_extract`), it runs the driver of --repo on a fresh DATA_DIR,

  /usr/bin/time -v python REPO/inception/download_and_preprocess_imagenet.py DATA_DIR \
      --source=SET --link_mode=symlink --checksums_file=SET/MD5SUMS \
      --labels_file=... --imagenet_metadata_file=... --validation_labels_file=...

and prints, per step, the seconds (pipeline_state.json), files/s and MB/s (the step's
input over its seconds) and the peak RSS of the main process and of the largest worker,
sampled from /proc every --sample_interval seconds over the driver's process tree and
attributed to the step its log says is running ("Step X: starting" / "finished"); each
process's peak (VmHWM) is reset at every step start, so a step's figure is its own.
/usr/bin/time gives the whole run's wall, user and sys time and maximum RSS.

In the same run, GNU tar extracts the same class tars of the same train tar (one pass,
one `tar -x` per class, as the driver's extractor does) and `cat` concatenates the
files it extracted into one file (warm cache): the issue's goals are extraction at
>= 0.8x tar's files/s and conversion at >= 0.5x cat's files/s.

The bench fails (exit 1, with the tail of the driver's log) if the driver fails or if
the records it reports (convert and check steps, boxes) differ from the generated set.

Not a Bazel target (run it from a checkout; --repo may be another one):
  PYTHONPATH=. .venv/bin/python bench/bench_imagenet.py --scale=0.01 --work_dir=/tmp/bi
  PYTHONPATH=. .venv/bin/python bench/bench_imagenet.py --work_dir=/work/bench-imagenet \
      --repo=/work/main
"""

import dataclasses
import json
import os
import re
import shutil
import subprocess
import sys
import threading
import time
from typing import Any, Dict, List, Mapping, Optional, Sequence, Tuple

from absl import app
from absl import flags

from bench import imagenet_set
from bench.process_tree import children
from bench.process_tree import descendants
from inception import core
from inception import imagenet

FLAGS = flags.FLAGS
flags.DEFINE_float('scale', 1.0, 'Share of ImageNet to generate: 1 = full shape, '
                   '0.01 = the 1 % set.')
flags.DEFINE_string('work_dir', '/tmp/bench_imagenet', 'Holds the generated set '
                    '(set-<scale>/, reused while its config is unchanged), the '
                    'DATA_DIRs (run-<mode>/) and the results (result-<scale>.json).')
flags.DEFINE_string('repo', os.path.dirname(os.path.dirname(os.path.abspath(__file__))),
                    'The checkout whose driver runs (default: this one).')
flags.DEFINE_string('python', None, 'The interpreter for the driver (default: '
                    'REPO/.venv/bin/python, else this one).')
flags.DEFINE_list('modes', ['extract', 'no_extract'], 'Driver runs: extract (the '
                  'default path) and/or no_extract (--no_extract).')
flags.DEFINE_integer('num_threads', None, 'The driver\'s --num_threads (default: its '
                     'own, the number of cores).')
flags.DEFINE_integer('tool_classes', 0, 'Class tars that GNU tar extracts and cat '
                     'concatenates (0: all).')
flags.DEFINE_float('sample_interval', 0.25, 'Seconds between /proc samples.')
flags.DEFINE_bool('keep', False, 'Keep the DATA_DIRs and the tools\' output.')

MODES = ('extract', 'no_extract')
STEPS = ('download', 'extract', 'bounding_boxes', 'validation_relabel', 'convert',
         'check')
_STEP_EVENT = re.compile(r'\] Step (\w+): (starting|finished)')
_LOG_TAIL_LINES = 40
_MIB = 1024 * 1024
_DRIVER = os.path.join('inception', 'download_and_preprocess_imagenet.py')
# Goals of issue #13 (files/s ratios).
EXTRACT_GOAL = 0.8
CONVERT_GOAL = 0.5


# Pure parsing: the driver's log, /proc/<pid>/status, /usr/bin/time -v.


def parse_step_event(line: str) -> Optional[Tuple[str, str]]:
  """(step, 'starting' | 'finished') if the log line is a step boundary, else None."""
  match = _STEP_EVENT.search(line)
  return (match.group(1), match.group(2)) if match else None


def step_intervals(events: Sequence[Tuple[float, str, str]]
                   ) -> Dict[str, Tuple[float, Optional[float]]]:
  """{step: (start, end or None if unfinished)} from (time, step, event) triples."""
  intervals = {}
  for when, step, event in events:
    if event == 'starting':
      intervals[step] = (when, None)
    elif step in intervals:
      intervals[step] = (intervals[step][0], when)
  return intervals


def step_at(intervals: Mapping[str, Tuple[float, Optional[float]]],
            when: float) -> Optional[str]:
  """The step running at `when` (None between steps)."""
  for step, (start, end) in intervals.items():
    if start <= when and (end is None or when <= end):
      return step
  return None


def parse_proc_status(text: str) -> Dict[str, Any]:
  """Name, PPid and the memory fields of /proc/<pid>/status (kB as bytes)."""
  fields = {}
  for line in text.splitlines():
    key, _, value = line.partition(':')
    value = value.strip()
    if key in ('Name', 'State'):
      fields[key] = value
    elif key in ('Pid', 'PPid'):
      fields[key] = int(value)
    elif key.startswith('Vm') and value.endswith(' kB'):
      fields[key] = int(value[:-3]) * 1024
  return fields


def parse_duration(text: str) -> float:
  """'1:02:03.45', '2:03.45' or '3.45' as seconds."""
  seconds = 0.0
  for part in text.strip().split(':'):
    seconds = seconds * 60 + float(part)
  return seconds


def parse_time_v(text: str) -> Dict[str, Any]:
  """The figures of GNU time's -v report: wall, user and sys seconds, max RSS, status."""
  figures = {}
  for line in text.splitlines():
    key, _, value = line.strip().rpartition(': ')
    if key.startswith('Elapsed (wall clock) time'):
      figures['wall_seconds'] = parse_duration(value)
    elif key == 'User time (seconds)':
      figures['user_seconds'] = float(value)
    elif key == 'System time (seconds)':
      figures['sys_seconds'] = float(value)
    elif key == 'Maximum resident set size (kbytes)':
      figures['max_rss_bytes'] = int(value) * 1024
    elif key == 'Exit status':
      figures['exit_status'] = int(value)
  return figures


# The driver's process tree.


def read_status(pid: int) -> Optional[Dict[str, Any]]:
  try:
    with open('/proc/%d/status' % pid) as f:
      return parse_proc_status(f.read())
  except OSError:
    return None


def reset_peak(pid: int) -> bool:
  """Resets the process's VmHWM to its current RSS (Linux >= 4.0, clear_refs 5)."""
  try:
    with open('/proc/%d/clear_refs' % pid, 'w') as f:
      f.write('5')
    return True
  except OSError:
    return False


@dataclasses.dataclass
class StepMemory:
  """Peaks of one step: the main process, the largest worker, the tree's sum."""
  main_peak: int = 0
  worker_peak: int = 0
  tree_sum_peak: int = 0
  max_workers: int = 0
  samples: int = 0

  def add(self, main: Optional[Mapping[str, Any]],
          workers: Sequence[Mapping[str, Any]]) -> None:
    self.samples += 1
    if main:
      self.main_peak = max(self.main_peak, main.get('VmHWM', 0), main.get('VmRSS', 0))
    for worker in workers:
      self.worker_peak = max(self.worker_peak, worker.get('VmHWM', 0),
                             worker.get('VmRSS', 0))
    self.max_workers = max(self.max_workers, len(workers))
    self.tree_sum_peak = max(self.tree_sum_peak, sum(
        s.get('VmRSS', 0) for s in ([main] if main else []) + list(workers)))


class TreeMonitor(object):
  """Samples the driver's process tree and follows its log's step boundaries.

  `root` is /usr/bin/time's pid; its child is the driver's main process, and the
  main's descendants are its workers.
  """

  def __init__(self, root: int, interval: float):
    self._root = root
    self._interval = interval
    self._lock = threading.Lock()
    self._stop = threading.Event()
    self.step = None  # the running step, from the log
    self.events = []  # (monotonic time, step, event)
    self.memory = {}  # step -> StepMemory
    self.resets_worked = None
    self._thread = threading.Thread(target=self._run, daemon=True)

  def start(self) -> 'TreeMonitor':
    self._thread.start()
    return self

  def stop(self) -> None:
    self._stop.set()
    self._thread.join()

  def _main_pid(self) -> Optional[int]:
    kids = children(self._root)
    return kids[0] if kids else None

  def sample(self) -> None:
    main = self._main_pid()
    if main is None:
      return
    main_status = read_status(main)
    workers = [s for s in (read_status(p) for p in descendants(main)) if s]
    with self._lock:
      if self.step is not None:
        self.memory.setdefault(self.step, StepMemory()).add(main_status, workers)

  def on_log_line(self, line: str) -> None:
    """Follows a step boundary: a last sample for the step that ends, then reset."""
    event = parse_step_event(line)
    if not event:
      return
    step, what = event
    self.sample()
    with self._lock:
      self.events.append((time.monotonic(), step, what))
      self.step = step if what == 'starting' else None
    if what == 'starting':
      main = self._main_pid()
      if main is not None:
        worked = all([reset_peak(p) for p in [main] + descendants(main)])
        self.resets_worked = worked if self.resets_worked is None else (
            self.resets_worked and worked)

  def _run(self) -> None:
    while not self._stop.wait(self._interval):
      self.sample()


# Running the driver.


def driver_command(python: str, repo: str, data_dir: str, record: Mapping[str, Any],
                   mode: str, num_threads: Optional[int], time_file: str) -> List[str]:
  """The driver's command line under /usr/bin/time -v, for one mode."""
  command = ['/usr/bin/time', '-v', '-o', time_file, python,
             os.path.join(repo, _DRIVER), data_dir,
             '--source=%s' % record['directory'], '--link_mode=symlink',
             '--checksums_file=%s' % record['checksums_file'],
             '--labels_file=%s' % record['labels_file'],
             '--imagenet_metadata_file=%s' % record['imagenet_metadata_file'],
             '--validation_labels_file=%s' % record['validation_labels_file']]
  if mode == 'no_extract':
    command.append('--no_extract')
  if num_threads:
    command.append('--num_threads=%d' % num_threads)
  return command


class DriverFailed(RuntimeError):
  """The driver exited non-zero, or its output does not match the set."""


def run_driver(command: Sequence[str], env: Mapping[str, str], log_path: str,
               interval: float) -> Tuple[int, TreeMonitor]:
  """Runs `command`, teeing its stderr to `log_path` and monitoring its tree."""
  with open(log_path, 'w') as log, subprocess.Popen(
      command, env=dict(env), stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
      text=True, bufsize=1) as process:
    monitor = TreeMonitor(process.pid, interval).start()
    for line in process.stdout:
      log.write(line)
      log.flush()
      monitor.on_log_line(line)
      if parse_step_event(line) or 'Finished writing' in line or 'rror' in line:
        print('    | ' + line.rstrip(), flush=True)
    status = process.wait()
    monitor.stop()
  return status, monitor


def log_tail(path: str, lines: int = _LOG_TAIL_LINES) -> str:
  with open(path, errors='replace') as f:
    return ''.join(f.readlines()[-lines:])


# What each step reads, from the set's record.


def step_inputs(record: Mapping[str, Any], shard_bytes: int
                ) -> Dict[str, Tuple[int, int]]:
  """{step: (files, bytes)} each step reads: the figures behind files/s and MB/s.

  download links the three tarballs (it hashes only the box archive: the image
  tarballs' MD5s are checked by the pass that extracts or indexes them); extract
  writes every image of the image tarballs, reading them whole (the box archive stays
  packed: the driver runs without --extract_xml); bounding_boxes parses the XMLs
  (their uncompressed bytes); validation_relabel moves files (no bytes); convert reads
  every image; check reads every shard.
  """
  archives = record['archives']
  archive_bytes = sum(a['bytes'] for a in archives.values())
  image_archive_bytes = sum(a['bytes'] for name, a in archives.items()
                            if not name.endswith(('.tar.gz', '.tgz')))
  images = record['train_images'] + record['validation_images']
  return {
      'download': (len(archives), archive_bytes),
      'extract': (images, image_archive_bytes),
      'bounding_boxes': (record['xmls'], record['xml_bytes']),
      'validation_relabel': (record['validation_images'], 0),
      'convert': (images, record['train_image_bytes'] + record['validation_image_bytes']),
      'check': (images, shard_bytes),
  }


def mismatches(state: Mapping[str, Any], record: Mapping[str, Any]) -> List[str]:
  """What the driver's pipeline_state.json reports that differs from the set."""
  expected = {'train': record['train_images'],
              'validation': record['validation_images']}
  problems = []
  converted = {split: value.get('images') for split, value in
               state.get('convert', {}).get('outputs', {}).items()}
  if converted != expected:
    problems.append('convert wrote %s, the set holds %s' % (converted, expected))
  checked = state.get('check', {}).get('outputs', {}).get('records')
  if checked != expected:
    problems.append('check read %s records, the set holds %s' % (checked, expected))
  boxes = list(state.get('bounding_boxes', {}).get('outputs', {}).values())
  found = (boxes[0].get('files'), boxes[0].get('boxes')) if boxes else None
  if found != (record['xmls'], record['boxes']):
    problems.append('bounding_boxes read (files, boxes) %s, the set holds %s' %
                    (found, (record['xmls'], record['boxes'])))
  return problems


def shard_bytes(data_dir: str) -> int:
  return sum(os.path.getsize(os.path.join(data_dir, n)) for n in os.listdir(data_dir)
             if re.match(r'^(train|validation)-\d{5}-of-\d{5}$', n))


def step_rows(state: Mapping[str, Any], inputs: Mapping[str, Tuple[int, int]],
              memory: Mapping[str, StepMemory]) -> List[Dict[str, Any]]:
  """One row per step that ran: seconds, files/s, MB/s, peak RSS."""
  rows = []
  for step in STEPS:
    if step not in state:
      continue
    seconds = state[step]['seconds']
    files, num_bytes = inputs[step]
    peaks = memory.get(step, StepMemory())
    rows.append({
        'step': step, 'seconds': seconds, 'files': files, 'bytes': num_bytes,
        'files_per_second': files / seconds if seconds else None,
        'mb_per_second': num_bytes / 1e6 / seconds if seconds and num_bytes else None,
        'main_peak_rss': peaks.main_peak, 'worker_peak_rss': peaks.worker_peak,
        'tree_sum_peak_rss': peaks.tree_sum_peak, 'workers': peaks.max_workers,
        'samples': peaks.samples})
  return rows


# GNU tar and cat on the same files.


def _timed(command: Sequence[str], **kwargs) -> float:
  start = time.monotonic()
  subprocess.run(command, check=True, **kwargs)
  return time.monotonic() - start


def warm(paths: Sequence[str]) -> None:
  """Reads the files once, so the timed runs see a warm page cache."""
  for path in paths:
    with open(path, 'rb') as f:
      while f.read(1 << 22):
        pass


def tool_rates(record: Mapping[str, Any], scratch: str, num_classes: int
               ) -> Dict[str, Any]:
  """GNU tar extracting class tars of the train tar, cat concatenating the files."""
  train_tar = os.path.join(record['directory'], imagenet.TRAIN_TAR)
  with open(record['labels_file']) as f:
    synsets = f.read().split()
  members = ['%s.tar' % s for s in (synsets[:num_classes] if num_classes else synsets)]
  shutil.rmtree(scratch, ignore_errors=True)
  out = os.path.join(scratch, 'train')
  os.makedirs(out)
  warm([train_tar])
  # One pass over the train tar; each class tar piped into its own `tar -x`.
  script = 'd="%s/${TAR_FILENAME%%.tar}"; mkdir -p "$d" && exec tar -xf - -C "$d"' % out
  tar_seconds = _timed(['tar', '-xf', train_tar, '--to-command=' + script] + members)
  files = sorted(os.path.join(root, name) for root, _, names in os.walk(out)
                 for name in names)
  num_bytes = sum(os.path.getsize(p) for p in files)
  file_list = os.path.join(scratch, 'files.list')
  with open(file_list, 'w') as f:
    f.write(''.join(p + '\0' for p in files))
  warm(files)
  with open(os.path.join(scratch, 'all.bin'), 'wb') as target:
    cat_seconds = _timed(['xargs', '-0', '-a', file_list, 'cat'], stdout=target)
  return {
      'classes': len(members), 'files': len(files), 'bytes': num_bytes,
      'tar_seconds': tar_seconds, 'tar_files_per_second': len(files) / tar_seconds,
      'tar_mb_per_second': num_bytes / 1e6 / tar_seconds,
      'cat_seconds': cat_seconds, 'cat_files_per_second': len(files) / cat_seconds,
      'cat_mb_per_second': num_bytes / 1e6 / cat_seconds,
  }


# Printing.


def _mib(value: int) -> str:
  return '%d MiB' % round(value / _MIB) if value else '–'


def _rate(value: Optional[float], digits: int = 0) -> str:
  """Thousands separated; small rates (the 3 tarballs' files/s) keep a decimal."""
  if value is None:
    return '–'
  return '{:,.{}f}'.format(value, max(digits, 1) if value < 10 else digits)


def markdown_table(mode: str, rows: Sequence[Mapping[str, Any]],
                   time_figures: Mapping[str, Any]) -> str:
  lines = ['| %s: step | s | files | files/s | MB/s | peak RSS main | peak RSS largest '
           'worker (workers) |' % mode, '|---|---:|---:|---:|---:|---:|---:|']
  for row in rows:
    lines.append('| %s | %.1f | %s | %s | %s | %s | %s |' % (
        row['step'], row['seconds'], '{:,}'.format(row['files']),
        _rate(row['files_per_second']), _rate(row['mb_per_second'], 1),
        _mib(row['main_peak_rss']),
        '%s (%d)' % (_mib(row['worker_peak_rss']), row['workers'])
        if row['workers'] else '–'))
  lines.append('| **whole run** (`time -v`) | %.1f | | | | max RSS %s | user %.0f s, '
               'sys %.0f s |' % (time_figures['wall_seconds'],
                                 _mib(time_figures['max_rss_bytes']),
                                 time_figures['user_seconds'],
                                 time_figures['sys_seconds']))
  return '\n'.join(lines)


def tools_table(tools: Mapping[str, Any], results: Mapping[str, Any]) -> str:
  lines = ['| same files (%d classes, %s files, %.0f MB) | s | files/s | MB/s | driver '
           'step at files/s | ratio (goal) |' % (tools['classes'],
                                                  '{:,}'.format(tools['files']),
                                                  tools['bytes'] / 1e6),
           '|---|---:|---:|---:|---|---|']
  for tool, step, goal in (('tar', 'extract', EXTRACT_GOAL),
                           ('cat', 'convert', CONVERT_GOAL)):
    compared = []
    for mode, result in results.items():
      row = next((r for r in result['steps'] if r['step'] == step), None)
      if row and row['files_per_second']:
        ratio = row['files_per_second'] / tools['%s_files_per_second' % tool]
        compared.append('%s %s: %s (%.2fx, %s)' % (
            mode, step, _rate(row['files_per_second']), ratio,
            'met' if ratio >= goal else 'MISSED'))
    lines.append('| %s | %.1f | %s | %.1f | %s | >= %.1fx |' % (
        'GNU tar -x (one pass, a tar per class)' if tool == 'tar' else
        'cat into one file (warm cache)', tools['%s_seconds' % tool],
        _rate(tools['%s_files_per_second' % tool]), tools['%s_mb_per_second' % tool],
        '; '.join(compared) or '–', goal))
  return '\n'.join(lines)


def uptime() -> str:
  return subprocess.run(['uptime'], capture_output=True, text=True).stdout.strip()


def run_mode(mode: str, record: Mapping[str, Any], python: str, repo: str,
             work_dir: str) -> Dict[str, Any]:
  """One driver run on a fresh DATA_DIR; its figures, or DriverFailed."""
  data_dir = os.path.join(work_dir, 'run-%s' % mode)
  shutil.rmtree(data_dir, ignore_errors=True)
  os.makedirs(data_dir)
  time_file = os.path.join(work_dir, 'time-%s.txt' % mode)
  log_path = os.path.join(work_dir, 'driver-%s.log' % mode)
  command = driver_command(python, repo, data_dir, record, mode, FLAGS.num_threads,
                           time_file)
  env = dict(os.environ, PYTHONPATH=repo)
  print('\n== %s: %s' % (mode, ' '.join(command)), flush=True)
  started = time.monotonic()
  status, monitor = run_driver(command, env, log_path, FLAGS.sample_interval)
  print('    driver done after %.1f s' % (time.monotonic() - started), flush=True)
  if status != 0:
    raise DriverFailed('the driver (%s) exited with status %d; the tail of %s:\n%s' %
                       (mode, status, log_path, log_tail(log_path)))
  with open(time_file) as f:
    time_figures = parse_time_v(f.read())
  with open(os.path.join(data_dir, 'pipeline_state.json')) as f:
    state = json.load(f)['steps']
  problems = mismatches(state, record)
  if problems:
    raise DriverFailed('the driver (%s) does not match the set: %s\nthe tail of %s:\n%s'
                       % (mode, '; '.join(problems), log_path, log_tail(log_path)))
  rows = step_rows(state, step_inputs(record, shard_bytes(data_dir)), monitor.memory)
  if not FLAGS.keep:
    shutil.rmtree(data_dir, ignore_errors=True)
  print('    figures and clean-up after %.1f s' % (time.monotonic() - started), flush=True)
  intervals = {step: (round(begin - started, 3), end and round(end - started, 3))
               for step, (begin, end) in step_intervals(monitor.events).items()}
  return {'command': command, 'steps': rows, 'time': time_figures,
          'step_intervals_seconds': intervals,
          'peak_resets_worked': monitor.resets_worked, 'log': log_path}


def main(argv):
  if len(argv) > 1:
    raise app.UsageError('unexpected arguments: %s' % ' '.join(argv[1:]))
  unknown = sorted(set(FLAGS.modes) - set(MODES))
  if unknown:
    raise app.UsageError('unknown --modes %s (known: %s)' % (unknown, ', '.join(MODES)))
  repo = os.path.abspath(FLAGS.repo)
  python = FLAGS.python or (os.path.join(repo, '.venv', 'bin', 'python') if
                            os.path.exists(os.path.join(repo, '.venv', 'bin', 'python'))
                            else sys.executable)
  work_dir = os.path.abspath(FLAGS.work_dir)
  os.makedirs(work_dir, exist_ok=True)
  load_before = uptime()
  print('load before: %s' % load_before, flush=True)
  started = time.monotonic()
  record = imagenet_set.generate(
      os.path.join(work_dir, 'set-%g' % FLAGS.scale),
      imagenet_set.SetConfig(scale=FLAGS.scale),
      os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), 'data'),
      log=lambda line: print(line, flush=True))
  print('set: %d classes, %s train + %s validation images, %s XMLs, %s boxes; %s '
        '(%.0f s)' % (record['classes'], '{:,}'.format(record['train_images']),
                      '{:,}'.format(record['validation_images']),
                      '{:,}'.format(record['xmls']), '{:,}'.format(record['boxes']),
                      ', '.join('%s %.1f MB' % (n, a['bytes'] / 1e6)
                                for n, a in sorted(record['archives'].items())),
                      time.monotonic() - started), flush=True)
  results = {}
  try:
    for mode in FLAGS.modes:
      results[mode] = run_mode(mode, record, python, repo, work_dir)
  except DriverFailed as e:
    print('\nFAILED: %s' % e, file=sys.stderr, flush=True)
    return 1
  scratch = os.path.join(work_dir, 'tools')
  tools = tool_rates(record, scratch, FLAGS.tool_classes)
  if not FLAGS.keep:
    shutil.rmtree(scratch, ignore_errors=True)
  load_after = uptime()
  print()
  for mode, result in results.items():
    print(markdown_table(mode, result['steps'], result['time']) + '\n')
  print(tools_table(tools, results) + '\n')
  print('load before: %s\nload after:  %s' % (load_before, load_after))
  result_file = os.path.join(work_dir, 'result-%g-%s.json' % (FLAGS.scale,
                                                          '+'.join(FLAGS.modes)))
  core.write_text(result_file, json.dumps({
      'scale': FLAGS.scale, 'repo': repo, 'set': record, 'modes': results,
      'tools': tools, 'load_before': load_before, 'load_after': load_after,
      'cores': os.cpu_count()}, indent=2, sort_keys=True) + '\n')
  print('results: %s' % result_file)
  return 0


if __name__ == '__main__':
  app.run(main)
