"""The Dask engine of the runner interface: the tasks on a dask.distributed cluster.

`DaskRunner` submits one Dask task per task (`Client.submit`, keys that never
repeat), a bounded number ahead of the workers so that a stream of tasks is never held
whole, and hands each result to `on_result` as it completes (futures' completion
callbacks, the mechanism of `distributed.as_completed`, fed into one queue with the
progress). Progress crosses as Dask events (`Worker.log_event` on a topic of the run,
to which the launcher subscribes): each attempt of a task sends its running totals at
most every half second, and the launcher counts a task's highest total once, so an
attempt killed mid-task and re-run elsewhere is not counted twice.

Before any task, every worker answers with its fingerprint (inception.core._fingerprint:
this project's sources and the pinned packages' versions) and a worker that differs
is refused in one line naming it; each task checks its worker again, so a worker that
joins later is refused the same way. That first task also sets the worker's malloc
thresholds (inception.core._malloc_thresholds: dask's nanny turns off glibc's dynamic
mmap threshold, which made each image's read buffer a fresh mmap). A worker that dies
mid-task has the task re-run elsewhere by the scheduler (the work must fix its output
by its task alone, and write atomically); a task that kills
`distributed.scheduler.allowed-failures` + 1 workers fails the run naming it; a
cluster without workers for `no_workers_timeout` seconds fails the run naming the
cluster. The client uses dask's own configuration: its
connect timeout (`distributed.comm.timeouts.connect`) and, for `tls://` addresses, its
TLS files (`distributed.comm.tls.*`, e.g. DASK_DISTRIBUTED__COMM__TLS__CA_FILE).

`DaskCluster(address=None)` starts a LocalCluster of single-threaded worker processes
on 127.0.0.1 for the run. dask and distributed are imported only when a run starts.
"""

import contextlib
import dataclasses
import ipaddress
import os
import pickle
import queue
import sys
import time
import traceback
import urllib.parse
import uuid
from typing import Any, Callable, Dict, Iterator, Optional, Tuple, Type

from inception.core import _fingerprint
from inception.core import _malloc_thresholds
from inception.core import _runner
from inception.core import _user_paths

DEFAULT_NO_WORKERS_TIMEOUT = 300.0
_LOCAL_HOST = '127.0.0.1'
_SCHEMES = ('tcp', 'tls')
_REPORT_SECONDS = 0.5  # a worker's progress events, per task, at most this often
_HEALTH_SECONDS = 1.0  # how often the launcher asks the scheduler for its workers
_TASKS_PER_THREAD = 2  # submitted ahead of the workers, per worker thread
_MIN_TASKS_AHEAD = 4
_CLOSE_SECONDS = 10
_NO_TASK = object()


class FingerprintMismatch(_runner.WorkerError):
  """A worker runs other sources or package versions than the launcher."""


class NoWorkersError(_runner.WorkerError):
  """The cluster had no worker for longer than the run allows."""


@dataclasses.dataclass(frozen=True)
class DaskCluster:
  """Where a step's tasks run instead of local processes: a dask.distributed cluster.

  Attributes:
    address: the scheduler, `tcp://HOST:PORT` or `tls://HOST:PORT` (HOST:PORT means
      tcp); None starts a LocalCluster on 127.0.0.1 for each run.
    no_workers_timeout: seconds a run waits while the cluster has no worker before
      it fails.
  """
  address: Optional[str] = None
  no_workers_timeout: float = DEFAULT_NO_WORKERS_TIMEOUT

  def __post_init__(self):
    if self.address is not None:
      address = self.address.strip()
      if '://' not in address:
        address = 'tcp://' + address
      parts = urllib.parse.urlsplit(address)
      try:
        port = parts.port
      except ValueError:
        port = None
      if parts.scheme not in _SCHEMES or not parts.hostname or not port:
        raise ValueError('%r is not a Dask scheduler address: give tcp://HOST:PORT or '
                         'tls://HOST:PORT' % self.address)
      object.__setattr__(self, 'address', address)
    if not self.no_workers_timeout > 0:
      raise ValueError('the no-workers timeout must be > 0 seconds, not %r' %
                       (self.no_workers_timeout,))

  def __str__(self) -> str:
    if self.address is None:
      return 'a local Dask cluster'
    return 'the Dask cluster at %s' % self.address

  def is_local(self) -> bool:
    """True for a cluster on this machine: a LocalCluster, localhost, 127.0.0.0/8."""
    return self.address is None or is_local_address(self.address)

  def check_reachable(self, path: str) -> None:
    """Accepts a path of this machine only for a cluster on this machine.

    Raises:
      ValueError: a local path, and a scheduler outside 127.0.0.0/8 and localhost.
    """
    if not _user_paths.is_remote(path) and not self.is_local():
      raise ValueError(
          '%s: the Dask workers of %s may run on other machines and cannot see this '
          'machine\'s files; use gs:// (or other remote) input and output paths, or a '
          'scheduler on 127.0.0.1' % (path, self.address))


def is_local_address(address: str) -> bool:
  """True for a scheduler on this machine: localhost or 127.0.0.0/8 (::1)."""
  host = urllib.parse.urlsplit(address if '://' in address else 'tcp://' + address
                               ).hostname or ''
  if host == 'localhost':
    return True
  try:
    return ipaddress.ip_address(host).is_loopback
  except ValueError:
    return False


@dataclasses.dataclass(frozen=True)
class _TaskSetup:
  """What every task of a run carries besides its own input (small; pickled each time)."""
  work: _runner.Work
  fingerprint: _fingerprint.Fingerprint
  topic: str
  environment: Tuple[Tuple[str, str], ...]


class DaskRunner(_runner.Runner):
  """Runs `work` over the tasks on a Dask cluster (core.ProcessPoolRunner's arguments).

  `worker_environment` is set in a worker's process before its first task of the run
  (for variables read at import, such as TensorFlow's thread counts);
  `local_workers` is the size of the LocalCluster of `DaskCluster(address=None)`.
  """

  def __init__(self, work: _runner.Work, cluster: DaskCluster, *,
               describe: Callable[[Any], str] = repr,
               expected_errors: Tuple[Type[BaseException], ...] = (),
               shared: Any = _runner.NO_SHARED,
               worker_environment: Optional[Dict[str, str]] = None,
               local_workers: int = 1):
    _runner.check_importable(work)
    self._work = work
    self.cluster = cluster
    self.describe = describe
    self.expected_errors = expected_errors
    self._shared = shared
    self._environment = tuple(sorted((worker_environment or {}).items()))
    self._local_workers = local_workers

  def __str__(self) -> str:
    return str(self.cluster)

  def run(self, tasks, on_result, on_progress=None) -> None:
    with _quiet_dask(), self._client() as client:
      pinned = _fingerprint.pinned_requirements()
      here = _fingerprint.project_fingerprint(pinned)
      _check_workers(client, here)
      setup = _TaskSetup(self._work, here, 'inception-progress-' + uuid.uuid4().hex,
                         self._environment)
      shared = self._shared
      if shared is not _runner.NO_SHARED:
        shared = client.scatter(shared, broadcast=True, hash=False)
      run = _Run(client, setup, shared, self, on_result, on_progress)
      run.execute(tasks)

  @contextlib.contextmanager
  def _client(self) -> Iterator[Any]:
    """A client of the cluster (a LocalCluster started for the run when it has no
    address), closed at the end; a scheduler that does not answer is one line."""
    import distributed  # pylint: disable=g-import-not-at-top
    with contextlib.ExitStack() as stack:
      address = self.cluster.address
      if address is None:
        local = stack.enter_context(distributed.LocalCluster(
            n_workers=self._local_workers, threads_per_worker=1, processes=True,
            host=_LOCAL_HOST, dashboard_address=None,
            scheduler_kwargs={'dashboard_address': _LOCAL_HOST + ':0'}))
        address = local.scheduler_address
      try:
        client = distributed.Client(address, set_as_default=False)
      except (OSError, TimeoutError) as e:
        raise _runner.WorkerError('%s does not answer: %s' % (
            self.cluster, ' '.join(str(e).split()) or type(e).__name__)) from None
      stack.callback(_close_quietly, client)
      yield client


class _Run(object):
  """One run's futures, progress and health, driven from the calling thread."""

  def __init__(self, client, setup: _TaskSetup, shared: Any, runner: DaskRunner,
               on_result: _runner.ResultCallback,
               on_progress: Optional[_runner.ProgressCallback]):
    self._client = client
    self._setup = setup
    self._shared = shared
    self._runner = runner
    self._on_result = on_result
    self._on_progress = on_progress
    self._events = queue.Queue()
    self._pending: Dict[Any, Tuple[int, Any]] = {}
    self._counted: Dict[int, Tuple[int, int]] = {}  # task number → (units, bytes)
    self._number = 0
    self._ahead = _MIN_TASKS_AHEAD
    self._no_workers_since = None
    self._next_health_check = 0.0

  def execute(self, tasks) -> None:
    """Submits and collects every task; raises the first failure."""
    client = self._client
    client.subscribe_topic(self._setup.topic,
                           lambda event: self._events.put(('progress', event[1])))
    tasks = iter(tasks)
    first_error = None
    try:
      self._check_health()
      more = self._submit(tasks)
      while self._pending:
        try:
          kind, payload = self._events.get(timeout=_HEALTH_SECONDS)
        except queue.Empty:
          kind, payload = None, None
        if kind == 'progress':
          self._count(payload['n'], payload['u'], payload['b'])
        elif kind == 'done' and payload in self._pending:
          error = self._finish(payload)
          if error is not None:
            first_error = first_error or error
            more = False
            client.cancel(list(self._pending))
            self._pending.clear()
        if time.monotonic() >= self._next_health_check:
          self._check_health()
        if more and first_error is None:
          more = self._submit(tasks)
    except BaseException:
      client.cancel(list(self._pending))
      raise
    finally:
      _call_quietly(client.unsubscribe_topic, self._setup.topic)
    if first_error is not None:
      raise first_error

  def _submit(self, tasks) -> bool:
    """Submits tasks until `_ahead` are pending; False when none are left."""
    while len(self._pending) < self._ahead:
      task = next(tasks, _NO_TASK)
      if task is _NO_TASK:
        return False
      number = self._number
      self._number += 1
      future = self._client.submit(
          run_task, self._setup, self._shared, number,
          pickle.dumps(task, protocol=pickle.HIGHEST_PROTOCOL), pure=False,
          key='%s-%d-%s' % (self._setup.work.__name__, number, self._setup.topic[-12:]))
      self._pending[future] = (number, task)
      future.add_done_callback(lambda f: self._events.put(('done', f)))
    return True

  def _finish(self, future) -> Optional[BaseException]:
    """Hands a finished task's result on; returns its failure, if it failed."""
    number, task = self._pending.pop(future)
    if future.status == 'finished':
      result, units, num_bytes = future.result()
      self._count(number, units, num_bytes)
      self._on_result(result)
      return None
    if future.status == 'cancelled':
      return _runner.WorkerError('%s: the task %s was lost by %s' %
                                 (self._runner.describe(task), future.key,
                                  self._runner.cluster))
    return self._failure(future, task)

  def _failure(self, future, task) -> BaseException:
    import distributed  # pylint: disable=g-import-not-at-top
    error = future.exception()
    if isinstance(error, distributed.KilledWorker):
      return _runner.WorkerError(
          '%s: every Dask worker that ran it died (%d, the last %s; '
          'distributed.scheduler.allowed-failures): out of memory, or killed?' %
          (self._runner.describe(task), error.allowed_failures + 1,
           getattr(error.last_worker, 'address', error.last_worker)))
    if not isinstance(error, self._runner.expected_errors + (
        OSError, _runner.WorkerError)):
      sys.stderr.write(''.join(traceback.format_exception(
          type(error), error, future.traceback())))
    return error

  def _count(self, number: int, units: int, num_bytes: int) -> None:
    """Reports what a task's attempt has done beyond what was already counted."""
    counted_units, counted_bytes = self._counted.get(number, (0, 0))
    more_units = max(0, units - counted_units)
    more_bytes = max(0, num_bytes - counted_bytes)
    if not more_units and not more_bytes:
      return
    self._counted[number] = (counted_units + more_units, counted_bytes + more_bytes)
    if self._on_progress is not None:
      self._on_progress(more_units, more_bytes)

  def _check_health(self) -> None:
    """Fails the run when the cluster has had no worker for too long; sizes `_ahead`."""
    self._next_health_check = time.monotonic() + _HEALTH_SECONDS
    workers = self._client.scheduler_info(n_workers=-1).get('workers', {})
    threads = sum(w.get('nthreads', 1) for w in workers.values())
    self._ahead = max(_MIN_TASKS_AHEAD, _TASKS_PER_THREAD * threads)
    if workers:
      self._no_workers_since = None
      return
    now = time.monotonic()
    if self._no_workers_since is None:
      self._no_workers_since = now
    timeout = self._runner.cluster.no_workers_timeout
    if now - self._no_workers_since >= timeout:
      raise NoWorkersError('%s has had no workers for %s s (--dask_no_workers_timeout): '
                           'start workers (dask worker %s), or check that they can '
                           'reach it' % (self._runner.cluster, '%g' % timeout,
                                         self._client.scheduler.address))


# Worker side.

_checked_fingerprints = set()


def run_task(setup: _TaskSetup, shared: Any, number: int, pickled_task: bytes):
  """A Dask task: checks this worker's fingerprint, runs the work on one task.

  The task arrives pickled: the scheduler passes bytes on as they are, while it would
  unpickle and pickle again a task object (a shard's entries: 2-4 ms of its CPU each).

  Returns (result, units, bytes): the result and this attempt's progress totals.

  Raises:
    FingerprintMismatch: this worker runs other sources or packages.
    The work's own exception, made portable.
  """
  import distributed  # pylint: disable=g-import-not-at-top
  worker = distributed.get_worker()
  _check_fingerprint(setup.fingerprint, worker)
  _malloc_thresholds.keep_buffers_in_heap()
  for name, value in setup.environment:
    os.environ.setdefault(name, value)
  reporter = _Reporter(worker, setup.topic, number)
  try:
    result = _runner.call_work(setup.work, shared, pickle.loads(pickled_task), reporter)
  except Exception as e:  # pylint: disable=broad-except  (re-raised, portable)
    raise _runner.portable_exception(e) from None
  return result, reporter.units, reporter.num_bytes


def worker_fingerprint(pinned: Tuple[str, ...]) -> _fingerprint.Fingerprint:
  """A worker's fingerprint, asked by the launcher before a run (Client.run)."""
  return _fingerprint.project_fingerprint(tuple(pinned))


def _check_fingerprint(expected: _fingerprint.Fingerprint, worker) -> None:
  key = (expected.sources, expected.packages)
  if key in _checked_fingerprints:
    return
  pinned = tuple(name for name, _ in expected.packages)
  problem = _fingerprint.difference(expected, _fingerprint.project_fingerprint(pinned))
  if problem is not None:
    raise FingerprintMismatch(_mismatch_line(worker.address, worker.name, problem))
  _checked_fingerprints.add(key)


def _mismatch_line(address: str, name: Any, problem: str) -> str:
  """`problem` is what differs (_fingerprint.difference), or says what it is."""
  named = address if name in (None, address) else '%s (%s)' % (address, name)
  if not problem.startswith('cannot'):
    problem = 'runs %s than this launcher' % problem
  return ('the Dask worker %s %s: install the same checkout and requirements there '
          '(tools/setup.sh) and restart it' % (named, problem))


class _Reporter(object):
  """The `report_progress` of a task on a worker: running totals as Dask events."""

  def __init__(self, worker, topic: str, number: int):
    self._worker = worker
    self._topic = topic
    self._number = number
    self.units = 0
    self.num_bytes = 0
    self._next = time.monotonic() + _REPORT_SECONDS

  def __call__(self, units: int, num_bytes: int) -> None:
    self.units += units
    self.num_bytes += num_bytes
    now = time.monotonic()
    if now >= self._next:
      self._next = now + _REPORT_SECONDS
      self._worker.log_event(self._topic, {'n': self._number, 'u': self.units,
                                           'b': self.num_bytes})


# Launcher side.


def _check_workers(client, here: _fingerprint.Fingerprint) -> None:
  """Refuses the run when a worker differs from the launcher (or cannot answer)."""
  pinned = tuple(name for name, _ in here.packages)
  answers = client.run(worker_fingerprint, pinned, on_error='return')
  names = {address: info.get('name') for address, info in
           client.scheduler_info(n_workers=-1).get('workers', {}).items()}
  for address in sorted(answers):
    answer = answers[address]
    if isinstance(answer, BaseException):
      problem = 'cannot give its fingerprint (is the project installed there?): %s' % (
          answer,)
      raise FingerprintMismatch(_mismatch_line(address, names.get(address),
                                               ' '.join(problem.split())))
    problem = _fingerprint.difference(here, answer)
    if problem is not None:
      raise FingerprintMismatch(_mismatch_line(address, names.get(address), problem))


@contextlib.contextmanager
def _quiet_dask() -> Iterator[None]:
  """dask.distributed logs each connection and worker at INFO: warnings only here."""
  import logging  # pylint: disable=g-import-not-at-top
  logger = logging.getLogger('distributed')
  previous = logger.level
  logger.setLevel(max(previous, logging.WARNING))
  try:
    yield
  finally:
    logger.setLevel(previous)


def _close_quietly(client) -> None:
  _call_quietly(client.close, timeout=_CLOSE_SECONDS)


def _call_quietly(function, *args, **kwargs) -> None:
  try:
    function(*args, **kwargs)
  except Exception:  # pylint: disable=broad-except  (cleanup must not mask)
    pass
