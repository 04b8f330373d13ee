"""The local engine of the runner interface: worker processes on this machine.

Threads would be held back by the GIL, and forking a process that has started
TensorFlow's threads is unsafe; so each worker is a fresh interpreter started as
`python -m inception.core._pool_worker`, which imports only inception.core and the
module of the work function (a light one: tens of MB, not the ~500 MB of an
interpreter that imported TensorFlow), and starts in a fraction of a second.

Each worker runs whole tasks, one at a time; results arrive in any order, so the
work must fix its output by its task alone (the shards do not depend on the number of
workers). A task is taken from the iterable only when fewer than
`_BACKLOG_PER_WORKER` tasks per worker are taken and not yet answered in the calling
thread (`on_result`): a slow caller holds the workers back instead of letting results
pile up. The first failure stops the hand-out of new tasks; the tasks in progress
finish, and then the failure is raised. A worker whose parent dies sees its standard
input close and exits.

Protocol (private): length-prefixed pickles. Parent → worker: first (module, function
name, shared), then one task at a time. Worker → parent: ('progress', units, bytes) messages, then ('result', result)
or ('error', exception, traceback text). The worker's fd 1 is redirected to stderr,
so a stray print cannot corrupt the stream.
"""

import importlib
import os
import pickle
import queue
import signal
import struct
import subprocess
import sys
import threading
import traceback
from typing import Any, BinaryIO, Callable, Dict, Iterable, Optional, Tuple, Type

from inception.core import _runner

_LENGTH = struct.Struct('<Q')
# The worker's entry point: a module of its own, so that `python -m` does not run a
# module that importing inception.core has already imported.
_WORKER_MODULE = 'inception.core._pool_worker'
_NO_TASK = object()
# Tasks per worker taken from the iterable and not yet answered: the one it runs and
# one more whose result is on its way to the calling thread.
_BACKLOG_PER_WORKER = 2
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
    worker_environment: variables set for the workers only (e.g. TensorFlow's
      thread counts when each core already has its worker).
  """

  def __init__(self, work: _runner.Work, num_workers: int,
               describe: Callable[[Any], str] = repr,
               expected_errors: Tuple[Type[BaseException], ...] = (),
               shared: Any = _runner.NO_SHARED,
               worker_environment: Optional[Dict[str, str]] = None):
    _runner.check_importable(work)
    self._work = work
    self._num_workers = num_workers
    self._describe = describe
    self._expected_errors = expected_errors
    self._shared = shared
    self._worker_environment = dict(worker_environment or {})

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
    setup = (self._work.__module__, self._work.__qualname__, self._shared)
    env = dict(os.environ, **self._worker_environment)
    env['PYTHONPATH'] = os.pathsep.join(p for p in sys.path if p)
    pool = _Pool(setup, num_workers, self._describe, self._expected_errors, env)
    pool.run(tasks, on_result, on_progress)


class _Pool(object):
  """Worker processes, each driven by one thread of the parent."""

  def __init__(self, setup: Tuple[str, str, Any], num_workers: int,
               describe: Callable[[Any], str],
               expected_errors: Tuple[Type[BaseException], ...],
               env: Dict[str, str]):
    self._setup = setup
    self._env = env
    self._num_workers = num_workers
    self._describe = describe
    self._expected_errors = expected_errors
    self._tasks = iter(())
    self._tasks_lock = threading.Lock()
    self._events = queue.Queue()
    self._backlog = threading.Semaphore(_BACKLOG_PER_WORKER * num_workers)
    self._stop = threading.Event()
    self._processes = []

  def run(self, tasks: Iterable[Any], on_result, on_progress) -> None:
    self._tasks = iter(tasks)
    threads = []
    first_error = None
    try:
      for _ in range(self._num_workers):
        process = subprocess.Popen([sys.executable, '-m', _WORKER_MODULE], env=self._env,
                                   stdin=subprocess.PIPE, stdout=subprocess.PIPE)
        self._processes.append(process)
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
      raise
    finally:
      for process in self._processes:
        _close_quietly(process.stdin)
      for process in self._processes:
        try:
          process.wait(timeout=30)
        except subprocess.TimeoutExpired:
          process.kill()
          process.wait()
      for thread in threads:
        thread.join(timeout=5)
    if first_error is not None:
      raise first_error

  def _drive(self, process: subprocess.Popen) -> None:
    """Thread body: hands tasks to one worker until none are left or one failed."""
    try:
      _send(process.stdin, self._setup)
      while not self._stop.is_set():
        if not self._backlog.acquire(timeout=_POLL_SECONDS):
          continue
        with self._tasks_lock:
          task = next(self._tasks, _NO_TASK)
        if task is _NO_TASK:
          break
        try:
          _send(process.stdin, task)
          while True:
            message = _receive(process.stdout)
            if message is None:
              raise _runner.WorkerError(
                  'worker process %d exited (status %s) while %s%s'
                  % (process.pid, process.wait(), self._describe(task),
                     _exit_cause(process.returncode)))
            if message[0] != 'progress':
              break
            self._events.put(message)
        except (OSError, EOFError, pickle.UnpicklingError) as e:
          raise _runner.WorkerError('lost worker process %d while %s: %s' %
                                    (process.pid, self._describe(task), e)) from None
        if message[0] == 'result':
          self._events.put(message)
        else:
          _, error, trace = message
          if not isinstance(error, self._expected_errors + (OSError,)):
            sys.stderr.write(trace)
          self._events.put(('error', error))
          break
    except BaseException as e:  # pylint: disable=broad-except  (reported, not lost)
      self._events.put(('error', e))
    finally:
      self._events.put(('done',))


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
  data = pickle.dumps(message, protocol=pickle.HIGHEST_PROTOCOL)
  stream.write(_LENGTH.pack(len(data)))
  stream.write(data)
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
  """Worker loop: read a task, run the work on it, send the result; until stdin closes."""
  output = os.fdopen(os.dup(sys.stdout.fileno()), 'wb')
  os.dup2(sys.stderr.fileno(), sys.stdout.fileno())
  tasks = sys.stdin.buffer
  report = lambda units, num_bytes: _send(output, ('progress', units, num_bytes))
  try:
    setup = _receive(tasks)
    if setup is None:
      return 0
    module, qualname, shared = setup
    work = _import_work(module, qualname)
    while True:
      task = _receive(tasks)
      if task is None:
        return 0
      try:
        result = _runner.call_work(work, shared, task, report)
      except Exception as e:  # pylint: disable=broad-except  (sent to the parent)
        _send(output, ('error', _runner.portable_exception(e), traceback.format_exc()))
        continue
      _send(output, ('result', result))
  except (KeyboardInterrupt, BrokenPipeError):
    return 130
