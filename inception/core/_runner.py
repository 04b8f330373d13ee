"""One interface for running independent tasks in parallel, and what every engine shares.

A `Runner` maps a work function over tasks: `work(task, report_progress) -> result`,
or `work(shared, task, report_progress)` when the runner was given `shared`, a
read-only input of every task (sent once to each worker, not with every task). The
function is a module-level function of a light module (workers import it by name);
tasks, results and `shared` pickle. `run(tasks, on_result, on_progress)` takes the
tasks from any iterable, lazily (a worker takes the next one when it is free, so a
stream of tasks is never held whole), calls `on_result(result)` once per task as each
finishes, in any order, and `on_progress(units, num_bytes)` with increments while they
run, both in the calling thread; it returns when every task is done and raises the
first failure otherwise (a task's, or one raised by the callbacks), after the tasks
already under way have finished.

The engines: `InProcessRunner` (this process, in task order), the local process pool
(inception.core._process_pool: fresh interpreters on this machine) and Apache Beam
(inception.convert: DirectRunner here, Dataflow elsewhere). docs/ARCHITECTURE.md
says which step uses which.
"""

import abc
import os
import pickle
from typing import Any, Callable, Iterable, Optional

# (units, bytes) done since the last call: images for the converter, files for the
# bounding boxes, records for the checker.
ProgressCallback = Callable[[int, int], None]
ResultCallback = Callable[[Any], None]
Work = Callable[..., Any]  # (task, report_progress) or (shared, task, report_progress)


class _NoShared(object):
  """The type of NO_SHARED: one object, also after pickling (it pickles by name)."""

  def __reduce__(self) -> str:
    return 'NO_SHARED'

  def __repr__(self) -> str:
    return 'NO_SHARED'


# The default `shared`: the work takes (task, report_progress). (None is a value.)
NO_SHARED = _NoShared()


class WorkerError(RuntimeError):
  """A worker failed in a way that is not its task's own exception (it died, say)."""


class Runner(abc.ABC):
  """Runs one work function over many tasks."""

  @abc.abstractmethod
  def run(self, tasks: Iterable[Any], on_result: ResultCallback,
          on_progress: Optional[ProgressCallback] = None) -> None:
    """Runs every task; see the module docstring for the contract."""


class InProcessRunner(Runner):
  """Runs the tasks one after the other in this process, in task order."""

  def __init__(self, work: Work, shared: Any = NO_SHARED):
    self._work = work
    self._shared = shared

  def run(self, tasks, on_result, on_progress=None) -> None:
    for task in tasks:
      on_result(call_work(self._work, self._shared, task, on_progress))


def check_importable(work: Work) -> None:
  """Refuses a work function that other processes cannot import by name.

  Raises:
    ValueError: `work` is a lambda, a nested function or one of __main__.
  """
  if getattr(work, '__module__', '__main__') == '__main__' or '<' in work.__qualname__:
    raise ValueError('%r is not a module-level function of an importable module'
                     % (work,))


def call_work(work: Work, shared: Any, task: Any,
              report_progress: Optional[ProgressCallback]) -> Any:
  """Calls `work` on one task, with `shared` first when there is one."""
  if shared is NO_SHARED:
    return work(task, report_progress)
  return work(shared, task, report_progress)


def default_num_workers() -> int:
  """The number of cores this process may use: the default worker count everywhere."""
  try:
    return len(os.sched_getaffinity(0))
  except AttributeError:  # not on Linux
    return os.cpu_count() or 1


def portable_exception(e: BaseException) -> BaseException:
  """`e` if it survives pickling, else a WorkerError with its type and text.

  A worker's exception crosses a process boundary; one whose class cannot be
  re-created there must still arrive with its message.
  """
  try:
    pickle.loads(pickle.dumps(e, protocol=pickle.HIGHEST_PROTOCOL))
    return e
  except Exception:  # pylint: disable=broad-except  (any failure to round-trip)
    return WorkerError('%s: %s' % (type(e).__name__, e))
