"""The local runner: `write_shard` mapped over shard tasks by worker processes.

Threads would be held back by the GIL, and forking a process that has started
TensorFlow's threads is unsafe; so each worker is a fresh interpreter started as
`python -m inception.shard_pool`. It imports only the TensorFlow-free worker code
(inception.shard_tasks), which keeps it at tens of MB instead of the ~500 MB of an
interpreter that imported TensorFlow, and it starts in a fraction of a second.

Each worker writes whole shards, one at a time; results arrive in any order, but a
shard's bytes are fixed by its task, so the output does not depend on the number of
workers. The first failure stops the hand-out of new shards; the shards in progress
finish (they are complete, reusable on resume) and then the failure is raised, with the
worker's message (a bad image names its path). A worker whose parent dies sees its
standard input close and exits.

Protocol (private): length-prefixed pickles; parent → worker: a ShardTask;
worker → parent: ('progress', images, bytes) messages, then ('result', ShardResult)
or ('error', exception); a worker prints the traceback of an unexpected error (not a
bad image) to its stderr, which is the parent's. The worker's fd 1 is redirected to
stderr, so a stray print cannot corrupt the stream.
"""

import os
import pickle
import queue
import struct
import subprocess
import sys
import threading
import traceback
from typing import BinaryIO, Callable, Optional, Sequence

from inception import records

ResultCallback = Callable[[records.ShardResult], None]

_LENGTH = struct.Struct('<Q')


class WorkerError(RuntimeError):
  """A worker process failed in a way that is not the task's own exception."""


def run_shard_tasks(tasks: Sequence[records.ShardTask], num_workers: int,
                    on_result: ResultCallback,
                    on_progress: Optional[records.ProgressCallback] = None) -> None:
  """Writes every task's shard with up to `num_workers` worker processes.

  `on_result` and `on_progress` are called in the calling thread. With one worker (or
  one task) the shards are written in this process, in task order.

  Raises:
    The first task failure (e.g. records.ImageError naming the image), after
    the shards already being written have finished.
  """
  if not tasks:
    return
  if num_workers <= 1 or len(tasks) == 1:
    for task in tasks:
      on_result(records.write_shard(task, on_progress))
    return
  _Pool(min(num_workers, len(tasks))).run(tasks, on_result, on_progress)


class _Pool(object):
  """Worker processes, each driven by one thread of the parent."""

  def __init__(self, num_workers: int):
    self._num_workers = num_workers
    self._pending = queue.Queue()
    self._events = queue.Queue()
    self._stop = threading.Event()
    self._processes = []

  def run(self, tasks, on_result, on_progress) -> None:
    for task in tasks:
      self._pending.put(task)
    env = dict(os.environ)
    env['PYTHONPATH'] = os.pathsep.join(p for p in sys.path if p)
    threads = []
    first_error = None
    try:
      for _ in range(self._num_workers):
        process = subprocess.Popen([sys.executable, '-m', __name__], env=env,
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
        elif kind == 'error':
          self._stop.set()
          first_error = first_error or payload[0]
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
      while not self._stop.is_set():
        try:
          task = self._pending.get_nowait()
        except queue.Empty:
          break
        try:
          _send(process.stdin, task)
          while True:
            message = _receive(process.stdout)
            if message is None:
              raise WorkerError('worker process %d exited (status %s) while writing %s'
                                % (process.pid, process.wait(), task.output_path))
            if message[0] != 'progress':
              break
            self._events.put(message)
        except (OSError, EOFError, pickle.UnpicklingError) as e:
          raise WorkerError('lost worker process %d while writing %s: %s' %
                            (process.pid, task.output_path, e)) from None
        if message[0] == 'result':
          self._events.put(message)
        else:
          self._events.put(('error', message[1]))
          break
    except BaseException as e:  # pylint: disable=broad-except  (reported, not lost)
      self._events.put(('error', e))
    finally:
      self._events.put(('done',))


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


def _portable_exception(e: BaseException) -> BaseException:
  """The exception itself if it survives pickling, else a WorkerError with its text."""
  try:
    pickle.loads(pickle.dumps(e))
    return e
  except Exception:  # pylint: disable=broad-except
    return WorkerError('%s: %s' % (type(e).__name__, e))


def worker_main() -> int:
  """Worker loop: read a task, write its shard, send the result; until stdin closes."""
  output = os.fdopen(os.dup(sys.stdout.fileno()), 'wb')
  os.dup2(sys.stderr.fileno(), sys.stdout.fileno())
  tasks = sys.stdin.buffer
  try:
    while True:
      task = _receive(tasks)
      if task is None:
        return 0
      report = lambda images, num_bytes: _send(output, ('progress', images, num_bytes))
      try:
        result = records.write_shard(task, report)
      except Exception as e:  # pylint: disable=broad-except  (sent to the parent)
        if not isinstance(e, records.ImageError):
          sys.stderr.write(traceback.format_exc())
        _send(output, ('error', _portable_exception(e)))
        continue
      _send(output, ('result', result))
  except (KeyboardInterrupt, BrokenPipeError):
    return 130


if __name__ == '__main__':
  sys.exit(worker_main())
