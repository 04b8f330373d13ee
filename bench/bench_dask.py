"""Benchmark of the Dask engine against the local pool, on this machine.

  cd /work/main && PYTHONPATH=. .venv/bin/python bench/bench_dask.py

Starts (before any timing) a cluster of this machine: `dask scheduler` and two
`dask worker --nthreads 1` commands on 127.0.0.1 (PYTHONPATH = this checkout, unless
the venv has it installed), waits for both workers and has each import the shard
writer, as an already running cluster would have. Then, on bench/bench_convert.py's
photo set (--num_images, ~110 KB photos) and its tiny-file set (--tiny_images, 2-6
KB), each in ImageNet's ~1251 images per shard, it converts the set alternately with
the local pool of 2 processes and with `--dask_address` on that cluster, --repeats
times each, and reports the best images/s of each, their ratio (the goal: >= 0.8),
the median of each back-to-back pair's ratio,
the Dask start-up apart (connecting, the workers' fingerprints: a run with no shard
to write) and whether the shards are byte-identical. Not part of `bazel test`.

Where the time goes, per run (CPU time does not depend on the machine's load as wall
time does): the workers' CPU milliseconds per image (user + system; the local pool's
processes, or the Dask workers'), the scheduler's and the launcher's CPU seconds, and
for Dask the task stream (distributed.get_task_stream): the median seconds a shard
ran on its worker, how busy the workers were between the first task's start and the
last one's end, and the median gap between a worker's consecutive tasks (the round
trip of a result and the next task, when nothing was queued on the worker).
"""

import argparse
import contextlib
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time

from bench import bench_convert

_REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
_WORKERS = 2


def _parse_args():
  parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
  parser.add_argument('--num_images', type=int, default=5000)
  parser.add_argument('--tiny_images', type=int, default=100000)
  parser.add_argument('--num_classes', type=int, default=100)
  parser.add_argument('--images_per_shard', type=int, default=1251)
  parser.add_argument('--repeats', type=int, default=2)
  parser.add_argument('--sets', default='photos,tiny files',
                      help='comma list of the sets to run: photos, tiny files')
  parser.add_argument('--work_dir', default='/tmp/bench_convert')
  parser.add_argument('--address', default='',
                      help='a running cluster to use instead of starting one')
  return parser.parse_args()


@contextlib.contextmanager
def _cluster(directory: str):
  """Yields the address of a scheduler and two single-threaded workers, ready."""
  import distributed  # pylint: disable=g-import-not-at-top
  dask = os.path.join(os.path.dirname(sys.executable), 'dask')
  port = _free_port()
  address = 'tcp://127.0.0.1:%d' % port
  environ = dict(os.environ, PYTHONPATH=_REPO)
  processes = []
  try:
    for name, command in [('scheduler', [dask, 'scheduler', '--host', '127.0.0.1',
                                         '--port', str(port), '--no-dashboard'])] + [
        ('worker%d' % i, [dask, 'worker', address, '--nthreads', '1', '--no-dashboard'])
        for i in range(_WORKERS)]:
      cwd = os.path.join(directory, name)
      os.makedirs(cwd)
      with open(cwd + '.log', 'wb') as log:
        processes.append(subprocess.Popen(command, cwd=cwd, env=environ, stdout=log,
                                          stderr=subprocess.STDOUT,
                                          start_new_session=True))
    with distributed.Client(address, timeout=60) as client:
      client.wait_for_workers(_WORKERS, timeout=60)
      client.run(lambda: __import__('inception.records') and None)
    yield address
  finally:
    for process in processes:
      process.terminate()
    for process in processes:
      process.wait(timeout=30)


def _free_port() -> int:
  import socket  # pylint: disable=g-import-not-at-top
  with socket.socket() as s:
    s.bind(('127.0.0.1', 0))
    return s.getsockname()[1]


def _entries(data_dir: str):
  from inception import imagenet  # pylint: disable=g-import-not-at-top
  from inception import label_files  # pylint: disable=g-import-not-at-top
  synsets, texts = imagenet.imagenet_classes(label_files.LabelFiles(
      synsets=os.path.join(data_dir, 'synsets.txt'),
      metadata=os.path.join(data_dir, 'metadata.txt')))
  entries = imagenet.find_imagenet_entries(os.path.join(data_dir, 'train'), synsets,
                                           texts)
  for entry in entries:  # the same warm page cache for every run
    with open(entry.source, 'rb') as f:
      f.read()
  return entries


def _convert(entries, num_shards: int, output: str, workers) -> float:
  from inception import convert  # pylint: disable=g-import-not-at-top
  shutil.rmtree(output, ignore_errors=True)
  options = convert.ConvertOptions(workers=workers, progress_interval=1e9)
  start = time.monotonic()
  convert.convert_split('train', entries, num_shards, output, options)
  return time.monotonic() - start


def _startup(address: str) -> float:
  """Seconds of a Dask run that writes nothing: connecting, fingerprints, closing."""
  from inception import core  # pylint: disable=g-import-not-at-top
  from inception import records  # pylint: disable=g-import-not-at-top
  runner = core.Workers(dask=core.DaskCluster(address)).runner(records.write_shard)
  start = time.monotonic()
  runner.run([], lambda result: None)
  return time.monotonic() - start


def _same_tree(first: str, second: str) -> bool:
  names = sorted(n for n in os.listdir(first) if '-of-' in n)
  return names == sorted(n for n in os.listdir(second) if '-of-' in n) and all(
      bench_convert._same_file(os.path.join(first, n), os.path.join(second, n))  # pylint: disable=protected-access
      for n in names)


class _Cpu(object):
  """CPU seconds (user + system) of the launcher, its waited-for children (the local
  pool's workers) and the cluster's processes (on this machine), from a start."""

  def __init__(self, client):
    import psutil  # pylint: disable=g-import-not-at-top  (distributed's dependency)
    self._scheduler = psutil.Process(client.run_on_scheduler(os.getpid))
    self._workers = [psutil.Process(pid) for pid in client.run(os.getpid).values()]
    self._start = self._now()

  def _now(self):
    import resource  # pylint: disable=g-import-not-at-top
    own = resource.getrusage(resource.RUSAGE_SELF)
    children = resource.getrusage(resource.RUSAGE_CHILDREN)
    seconds = lambda p: sum(p.cpu_times()[:2])
    return {'launcher': own.ru_utime + own.ru_stime,
            'pool': children.ru_utime + children.ru_stime,
            'dask workers': sum(seconds(p) for p in self._workers),
            'scheduler': seconds(self._scheduler)}

  def spent(self):
    now = self._now()
    return {name: now[name] - self._start[name] for name in now}


def _task_profile(stream) -> str:
  """Where a Dask run's time went on the workers, from its task stream."""
  by_worker = {}
  for record in stream:
    for span in record['startstops']:
      if span['action'] == 'compute':
        by_worker.setdefault(record['worker'], []).append((span['start'], span['stop']))
  spans = sorted(span for runs in by_worker.values() for span in runs)
  if not spans:
    return 'no task'
  first, last = spans[0][0], max(stop for _, stop in spans)
  busy = sum(stop - start for start, stop in spans)
  gaps = [b[0] - a[1] for runs in by_worker.values() for a, b in
          zip(sorted(runs), sorted(runs)[1:])]
  return ('%d tasks, %.3f s each (median), workers busy %.0f %% of %.2f s, gap between '
          'tasks %.1f ms (median)' % (
              len(spans), statistics.median(stop - start for start, stop in spans),
              100 * busy / (len(by_worker) * (last - first)), last - first,
              1000 * statistics.median(gaps) if gaps else 0))


def _measure(name: str, data_dir: str, address: str, args, lines) -> None:
  import distributed  # pylint: disable=g-import-not-at-top
  from inception import core  # pylint: disable=g-import-not-at-top
  entries = _entries(data_dir)
  num_shards = max(1, round(len(entries) / args.images_per_shard))
  runs = {'local': [], 'dask': []}
  cpu_ms = {'local': [], 'dask': []}
  startups = []
  with distributed.Client(address) as client:
    for _ in range(args.repeats):
      for engine in ('local', 'dask'):
        workers = (core.Workers(_WORKERS) if engine == 'local' else
                   core.Workers(dask=core.DaskCluster(address)))
        output = os.path.join(args.work_dir, 'out_dask_bench_' + engine)
        cpu = _Cpu(client)
        with distributed.get_task_stream(client) as stream:
          seconds = _convert(entries, num_shards, output, workers)
        spent = cpu.spent()
        profile = _task_profile(stream.data) if engine == 'dask' else ''
        if engine == 'dask':
          startups.append(_startup(address))
          seconds -= startups[-1]
        runs[engine].append(seconds)
        worker_seconds = spent['pool' if engine == 'local' else 'dask workers']
        cpu_ms[engine].append(1000 * worker_seconds / len(entries))
        print('%s %s: %.2f s; workers\' CPU %.3f ms per image; CPU s: launcher %.2f, '
              'scheduler %.2f; load %.1f%s' % (
                  name, engine, seconds, cpu_ms[engine][-1], spent['launcher'],
                  spent['scheduler'], os.getloadavg()[0],
                  '; ' + profile if profile else ''), flush=True)
  local, dask = len(entries) / min(runs['local']), len(entries) / min(runs['dask'])
  same = _same_tree(os.path.join(args.work_dir, 'out_dask_bench_local'),
                    os.path.join(args.work_dir, 'out_dask_bench_dask'))
  # Each pair ran back to back: its ratio is the one a slow drift of the load spares.
  pairs = statistics.median(l / d for l, d in zip(runs['local'], runs['dask']))
  lines.append('| %s | %d | %d | %s | %s | %.2f | %.2f | %.3f / %.3f | %.2f s | %s |' % (
      name, len(entries), num_shards, format(round(local), ','),
      format(round(dask), ','), dask / local, pairs, min(cpu_ms['local']),
      min(cpu_ms['dask']), min(startups), 'yes' if same else 'NO'))


def main():
  args = _parse_args()
  from absl import logging  # pylint: disable=g-import-not-at-top
  logging.set_verbosity(logging.WARNING)
  sets = [('photos', os.path.join(args.work_dir, 'data'), args.num_images, False),
          ('tiny files', os.path.join(args.work_dir, 'data-tiny'), args.tiny_images,
           True)]
  sets = [s for s in sets if s[0] in args.sets.split(',')]
  for _, data_dir, num_images, tiny in sets:
    bench_convert.generate(data_dir, num_images, args.num_classes, 0, tiny)
  lines = ['| set | images | shards | local pool (2 processes) images/s | '
           'Dask (2 single-threaded workers) images/s | Dask / local | Dask / local, '
           'median of the pairs | workers\' CPU ms per image, local / Dask | Dask '
           'start-up | byte-identical |', '|---|---:|---:|---:|---:|---:|---:|---:|---:|---|']
  with contextlib.ExitStack() as stack:
    address = args.address or stack.enter_context(
        _cluster(tempfile.mkdtemp(prefix='bench_dask_')))
    for name, data_dir, _, _ in sets:
      _measure(name, data_dir, address, args, lines)
  print('\n'.join([''] + lines))
  return 0


if __name__ == '__main__':
  sys.exit(main())
