"""Work functions for the runner tests: module-level, so that pool workers import them."""

import errno
import os
import signal
import threading

from inception import core


class BadInput(ValueError):
  """The work's own error, whose message names the input."""


class Unpicklable(Exception):
  """An error that cannot be re-created in another process."""

  def __init__(self, text, extra):
    super().__init__(text)
    self.extra = extra

  def __reduce__(self):
    raise TypeError('not picklable')


def square(task, report_progress=None):
  """Squares task['n'], writing it to task['path'] when one is given."""
  if report_progress is not None:
    report_progress(1, task['n'])
  if task.get('fail') == 'bad':
    raise BadInput('bad input %d' % task['n'])
  if task.get('fail') == 'unpicklable':
    raise Unpicklable('cannot pickle %d' % task['n'], object())
  if task.get('fail') == 'full':
    raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC), task['path'])
  if task.get('fail') == 'die':
    os.kill(os.getpid(), signal.SIGKILL)
  if task.get('path'):
    core.write_text(task['path'], '%d\n' % (task['n'] ** 2))
  return (task['n'], task['n'] ** 2, os.getpid())


def scaled(factor, task, report_progress=None):
  """`shared` work: task['n'] times the shared factor."""
  del report_progress
  return (task['n'], task['n'] * factor, os.getpid())


def environment_variable(name, report_progress=None):
  """The worker's value of the environment variable `name`."""
  del report_progress
  return os.environ.get(name)


_MEETING = threading.Barrier(2)


def meet(task, report_progress=None):
  """Waits up to task['timeout'] s for another task of this worker to wait too:
  (n, whether they met, pid). Two meet only if the worker runs them at once."""
  del report_progress
  try:
    _MEETING.wait(timeout=task['timeout'])
    met = True
  except threading.BrokenBarrierError:
    _MEETING.reset()
    met = False
  return task['n'], met, os.getpid()
