"""The local engine of the runner interface: worker processes on this machine.

Threads would be held back by the GIL, and forking a process that has started
TensorFlow's threads is unsafe; so each worker is a fresh interpreter started as
`python -m inception.core._pool_worker`, which imports only inception.core and the
module of each run's work function (a light one: tens of MB, not the ~500 MB of an
interpreter that imported TensorFlow), and starts in a fraction of a second.

A `LocalPool` keeps its workers between runs: a driver shares one over its steps
(core.Workers.sharing_one_pool), so that each step does not pay for starting
interpreters and their imports again. Each worker is started at the first run that
needs it; a run sends each worker it uses its work function and `shared` first. A
runner given no pool makes one for its run and ends it after.

Each worker runs whole tasks, one at a time (unless the runner says more), with the
next one already sent to it (waiting in its pipe: no idle round trip between two
tasks); results arrive in any
order, so the work must fix its output by its task alone (the shards do not depend
on the number of workers). A task is taken from the iterable only when fewer than
those a worker runs at once plus two (one waiting in its pipe, one whose result is on
its way) per worker are taken and not yet answered in the calling thread
(`on_result`): a slow caller holds the workers back instead of letting results
pile up. The first failure stops the hand-out of new tasks; the tasks in progress
finish, and then the failure is raised (the workers stay for the next run, but a
failure of the caller's own, an interruption say, ends them). A worker whose parent
dies sees its standard input close and exits.

A runner may have each worker run several tasks at a time, in threads
(`with_tasks_at_once`): work that waits on the disk (a shard's fsync before its
rename) then keeps the core busy with another task meanwhile; the GIL still runs one
task's Python at a time.

Protocol (private): length-prefixed pickles. Parent → worker: (_SETUP, module,
function name, shared, environment, tasks at once) at the start of each run, then
(_TASK, number, task) per task. Worker → parent: ('progress', units, bytes) messages,
and per task ('result', number, result) or ('error', number, exception, traceback
text), in the order the tasks end. The worker's fd 1 is redirected to
stderr, so a stray print cannot corrupt the stream.
"""

import concurrent.futures
import importlib
import itertools
import os
import pickle
import queue
import signal
import struct
import subprocess
import sys
import threading
import traceback
from typing import (Any, BinaryIO, Callable, Dict, Iterable, List, Optional, Tuple,
                    Type)

from inception.core import _runner

_LENGTH = struct.Struct('<Q')
# The worker's entry point: a module of its own, so that `python -m` does not run a
# module that importing inception.core has already imported.
_WORKER_MODULE = 'inception.core._pool_worker'
_NO_TASK = object()
# The kinds of message a worker receives.
_SETUP = 'setup'
_TASK = 'task'
# Tasks sent to a worker and not yet answered, beyond those it runs at once: one,
# waiting in its pipe, so that it starts the next as soon as it sends a result instead
# of idling for a round trip through this process (1152 shards of ~125 tiny images: a
# round trip per shard).
_TASKS_WAITING_PER_WORKER = 1
# Tasks per worker taken from the iterable and not yet answered, beyond those sent to
# it: one more whose result is on its way to the calling thread.
_RESULTS_ON_THE_WAY_PER_WORKER = 1
# A task waits in a worker's pipe only if its message is at most this big: its write
# then never blocks (Linux's pipes hold 64 KiB), so this thread keeps reading the
# worker's progress while the worker runs the task before. A bigger one is sent when
# the worker has answered.
_WAITING_TASK_MAX_BYTES = 32 << 10
_POLL_SECONDS = 0.1


class ProcessPoolRunner(_runner.Runner):
  """Runs `work` over the tasks in up to `num_workers` worker processes.

  With one worker, or a sequence of one task, the tasks run in this process, in task
  order.

  Args:
    work: a module-level function `work(task, report_progress) -> result`, or
      `work(shared, task, report_progress)` with `shared`.
    num_workers: at most this many processes (core.Workers decides how many).
    describe: names a task in an error, e.g. 'writing /out/train-00003-of-01024'.
    expected_errors: the work's own errors, whose message says everything (a bad
      image, say); for any other failure the worker's traceback is printed too. An
      OSError (a file the task could not read or write: a full disk, say) is always
      the task's own.
    shared: a read-only input of every task, sent once to each worker.
    worker_environment: variables set for the workers only, for this run (e.g.
      TensorFlow's thread counts when each core already has its worker); set before
      the work's module is imported.
    pool: the worker processes to run on, kept after the run (a driver's, shared by
      its steps); None: processes started for this run and ended after it.
  Each worker runs one task at a time, unless `with_tasks_at_once` says otherwise.
  """

  def __init__(self, work: _runner.Work, num_workers: int,
               describe: Callable[[Any], str] = repr,
               expected_errors: Tuple[Type[BaseException], ...] = (),
               shared: Any = _runner.NO_SHARED,
               worker_environment: Optional[Dict[str, str]] = None,
               pool: Optional['LocalPool'] = None):
    _runner.check_importable(work)
    self._tasks_at_once = 1
    self._work = work
    self._num_workers = num_workers
    self._describe = describe
    self._expected_errors = expected_errors
    self._shared = shared
    self._worker_environment = dict(worker_environment or {})
    self._pool = pool

  def with_tasks_at_once(self, tasks_at_once: int) -> 'ProcessPoolRunner':
    """This runner, each worker running `tasks_at_once` tasks at a time, in threads
    (more than 1 for work that waits on the disk)."""
    if not isinstance(tasks_at_once, int) or tasks_at_once < 1:
      raise ValueError('tasks_at_once must be at least 1, not %r' % (tasks_at_once,))
    self._tasks_at_once = tasks_at_once
    return self

  def __str__(self) -> str:
    return '%d local worker processes' % self._num_workers

  def run(self, tasks, on_result, on_progress=None) -> None:
    num_workers = self._num_workers
    if hasattr(tasks, '__len__'):
      num_workers = min(num_workers, len(tasks))
    if num_workers <= 1:
      in_process = _runner.InProcessRunner(self._work, self._shared)
      in_process.run(tasks, on_result, on_progress)
      return
    setup = (_SETUP, self._work.__module__, self._work.__qualname__, self._shared,
             self._worker_environment, self._tasks_at_once)
    pool = self._pool or LocalPool(num_workers)
    try:
      processes = pool.processes(num_workers)
      _Run(setup, processes, self._describe, self._expected_errors,
           self._tasks_at_once).run(
          tasks, on_result, on_progress, pool.end)
    finally:
      if pool is not self._pool:
        pool.end()


class LocalPool(object):
  """Worker processes on this machine, kept from one run to the next until `end()`.

  Each is started when a run first needs it; one that has died since is replaced.
  """

  def __init__(self, size: int):
    self.size = size
    self._processes: List[subprocess.Popen] = []

  def processes(self, count: int) -> List[subprocess.Popen]:
    """`count` (at most `size`) running workers, started if need be."""
    for process in self._processes:
      if process.poll() is not None:  # died since: its pipes are closed
        _close_quietly(process.stdin)
        _close_quietly(process.stdout)
    self._processes = [p for p in self._processes if p.returncode is None]
    env = dict(os.environ, PYTHONPATH=os.pathsep.join(p for p in sys.path if p))
    while len(self._processes) < min(count, self.size):
      self._processes.append(subprocess.Popen(
          [sys.executable, '-m', _WORKER_MODULE], env=env, stdin=subprocess.PIPE,
          stdout=subprocess.PIPE))
    return self._processes[:count]

  def end(self) -> None:
    """Ends the workers: each sees its input close and exits (killed after 30 s)."""
    processes, self._processes = self._processes, []
    for process in processes:
      _close_quietly(process.stdin)
    for process in processes:
      try:
        process.wait(timeout=30)
      except subprocess.TimeoutExpired:
        process.kill()
        process.wait()
      _close_quietly(process.stdout)


class _Run(object):
  """One run on worker processes, each driven by one thread of the parent."""

  def __init__(self, setup: Tuple[Any, ...], processes: List[subprocess.Popen],
               describe: Callable[[Any], str],
               expected_errors: Tuple[Type[BaseException], ...], tasks_at_once: int):
    self._setup = setup
    self._tasks_sent = tasks_at_once + _TASKS_WAITING_PER_WORKER
    self._processes = processes
    self._describe = describe
    self._expected_errors = expected_errors
    self._tasks = iter(())
    self._tasks_lock = threading.Lock()
    self._events = queue.Queue()
    self._backlog = threading.Semaphore(
        (self._tasks_sent + _RESULTS_ON_THE_WAY_PER_WORKER) * len(processes))
    self._stop = threading.Event()

  def run(self, tasks: Iterable[Any], on_result, on_progress,
          end_pool: Callable[[], None]) -> None:
    """Runs the tasks; on a failure of this thread's own (the caller's callback, an
    interruption), kills the workers and `end_pool`s."""
    self._tasks = iter(tasks)
    threads = []
    first_error = None
    try:
      for process in self._processes:
        thread = threading.Thread(target=self._drive, args=(process,), daemon=True)
        thread.start()
        threads.append(thread)
      running = len(threads)
      while running:
        kind, *payload = self._events.get()
        if kind == 'progress':
          if on_progress is not None:
            on_progress(*payload)
        elif kind == 'result':
          on_result(payload[0])
          self._backlog.release()
        elif kind == 'error':
          self._stop.set()
          first_error = first_error or payload[0]
          self._backlog.release()
        elif kind == 'done':
          running -= 1
    except BaseException:
      self._stop.set()
      for process in self._processes:
        process.kill()
      end_pool()
      raise
    finally:
      for thread in threads:
        thread.join(timeout=5)
    if first_error is not None:
      raise first_error

  def _drive(self, process: subprocess.Popen) -> None:
    """Thread body: hands tasks to one worker, those it runs at once and one more,
    until none are left or one failed; the tasks it was sent are answered first."""
    sent = {}  # number: task, of the tasks sent and not answered, in order
    numbers = itertools.count()
    held = None  # (task, message) taken but too big to wait in the worker's pipe
    failed = False
    try:
      _send(process.stdin, self._setup)
      while True:
        while (not failed and len(sent) < self._tasks_sent and
               not self._stop.is_set()):
          if held is not None:
            (number, task, message), held = held, None
          else:
            task = self._take_task(wait=not sent)
            if task is _NO_TASK:
              break
            number = next(numbers)
            message = _encode((_TASK, number, task))
          if sent and len(message) > _WAITING_TASK_MAX_BYTES:
            held = number, task, message
            break
          try:
            _write(process.stdin, message)
          except OSError as e:
            process.kill()  # its stream is out of step: not used again
            raise _runner.WorkerError('lost worker process %d while %s: %s' %
                                      (process.pid, self._describe(task), e)) from None
          sent[number] = task
        if not sent:
          break
        message = self._answer(process, next(iter(sent.values())))
        del sent[message[1]]
        if message[0] == 'result':
          self._events.put(('result', message[2]))
        else:
          _, _, error, trace = message
          if not isinstance(error, self._expected_errors + (OSError,)):
            sys.stderr.write(trace)
          self._events.put(('error', error))
          failed = True  # no more tasks for it; those sent are answered first
    except BaseException as e:  # pylint: disable=broad-except  (reported, not lost)
      self._events.put(('error', e))
    finally:
      self._events.put(('done',))

  def _take_task(self, wait: bool) -> Any:
    """The next task, or _NO_TASK: none left, the run is stopping, or (unless
    `wait`) the backlog is full now."""
    while not self._stop.is_set():
      if self._backlog.acquire(timeout=_POLL_SECONDS) if wait else (
          self._backlog.acquire(blocking=False)):
        with self._tasks_lock:
          task = next(self._tasks, _NO_TASK)
        if task is _NO_TASK:
          self._backlog.release()
        return task
      if not wait:
        break
    return _NO_TASK

  def _answer(self, process: subprocess.Popen, task: Any) -> Tuple[Any, ...]:
    """The worker's next answer to a task (`task`: its oldest not yet answered, to
    name if the worker is lost): a result or an error, its progress messages passed
    on on the way."""
    try:
      while True:
        message = _receive(process.stdout)
        if message is None:
          raise _runner.WorkerError(
              'worker process %d exited (status %s) while %s%s'
              % (process.pid, process.wait(), self._describe(task),
                 _exit_cause(process.returncode)))
        if message[0] != 'progress':
          return message
        self._events.put(message)
    except (OSError, EOFError, pickle.UnpicklingError) as e:
      process.kill()  # its stream is out of step: not used again
      raise _runner.WorkerError('lost worker process %d while %s: %s' %
                                (process.pid, self._describe(task), e)) from None


def _exit_cause(status: int) -> str:
  """What a worker's exit status says: ': killed by SIGKILL (...)' for a signal."""
  if status >= 0:
    return ''
  try:
    name = signal.Signals(-status).name
  except ValueError:
    name = 'signal %d' % -status
  if name == 'SIGKILL':
    return ': killed by SIGKILL (out of memory, or killed by hand?)'
  return ': killed by %s' % name


def _send(stream: BinaryIO, message) -> None:
  _write(stream, _encode(message))


def _encode(message) -> bytes:
  """A message as it crosses a pipe: its pickle's length, then the pickle."""
  data = pickle.dumps(message, protocol=pickle.HIGHEST_PROTOCOL)
  return _LENGTH.pack(len(data)) + data


def _write(stream: BinaryIO, encoded: bytes) -> None:
  stream.write(encoded)
  stream.flush()


def _receive(stream: BinaryIO):
  """Returns the next message, or None at end of stream."""
  header = stream.read(_LENGTH.size)
  if len(header) < _LENGTH.size:
    return None
  (length,) = _LENGTH.unpack(header)
  data = stream.read(length)
  if len(data) < length:
    return None
  return pickle.loads(data)


def _close_quietly(stream) -> None:
  try:
    stream.close()
  except OSError:
    pass


def _import_work(module: str, qualname: str) -> _runner.Work:
  """The function `qualname` of `module`, imported by name in a worker."""
  work = importlib.import_module(module)
  for part in qualname.split('.'):
    work = getattr(work, part)
  return work


def worker_main() -> int:
  """Worker loop: for each run, its work function; then its tasks, one at a time or
  (tasks at once > 1) in as many threads, each result sent back; until stdin closes."""
  output = os.fdopen(os.dup(sys.stdout.fileno()), 'wb')
  os.dup2(sys.stderr.fileno(), sys.stdout.fileno())
  messages = sys.stdin.buffer
  output_lock = threading.Lock()

  def send(message) -> None:
    with output_lock:
      _send(output, message)

  report = lambda units, num_bytes: send(('progress', units, num_bytes))
  started_with = dict(os.environ)
  run = None  # (work, shared) of the run under way

  def answer(number: int, task: Any) -> None:
    work, shared = run
    try:
      message = _encode(('result', number, _runner.call_work(work, shared, task,
                                                             report)))
    except Exception as e:  # pylint: disable=broad-except  (sent to the parent)
      message = _encode(('error', number, _runner.portable_exception(e),
                         traceback.format_exc()))
    with output_lock:
      _write(output, message)

  threads = None
  try:
    while True:
      message = _receive(messages)
      if message is None:
        return 0
      if message[0] == _SETUP:
        if threads is not None:
          threads.shutdown()  # idle: the last run's tasks were all answered
        _, module, qualname, shared, environment, tasks_at_once = message
        os.environ.clear()  # this run's variables only, not an earlier run's
        os.environ.update(started_with, **environment)
        run = _import_work(module, qualname), shared
        threads = (concurrent.futures.ThreadPoolExecutor(tasks_at_once)
                   if tasks_at_once > 1 else None)
        continue
      if threads is None:
        answer(*message[1:])
      else:
        threads.submit(answer, *message[1:])
  except (KeyboardInterrupt, BrokenPipeError):
    return 130
