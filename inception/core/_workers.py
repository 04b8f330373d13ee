"""The worker pool of a step: how many local processes run its tasks, defined once.

`Workers` is built once at the edge (a binary's --num_threads, a driver's settings)
and passed whole to every library that runs tasks in parallel (the converter, the
bounding boxes, the checker), which asks it for a runner of its work function. Its
default, the cores this process may use, is the only default worker count.
"""

import dataclasses
from typing import Any, Callable, Dict, Optional, Tuple, Type

from inception.core import _process_pool
from inception.core import _runner


@dataclasses.dataclass(frozen=True)
class Workers:
  """Local worker processes for a step's tasks.

  Attributes:
    count: how many processes at most; default: the cores this process may use.
  """
  count: int = dataclasses.field(default_factory=_runner.default_num_workers)

  def __post_init__(self):
    if not isinstance(self.count, int) or self.count < 1:
      raise ValueError('the number of workers must be a whole number >= 1, not %r' %
                       (self.count,))

  @classmethod
  def from_flag(cls, value: Optional[int]) -> 'Workers':
    """From a --num_threads value: None (unset) or 0 means the default."""
    return cls(value) if value else cls()

  def runner(self, work: _runner.Work, *, describe: Callable[[Any], str] = repr,
             expected_errors: Tuple[Type[BaseException], ...] = (),
             shared: Any = _runner.NO_SHARED,
             worker_environment: Optional[Dict[str, str]] = None) -> _runner.Runner:
    """The engine that maps `work` over tasks in these processes
    (core.ProcessPoolRunner: see it for the arguments)."""
    return _process_pool.ProcessPoolRunner(
        work, self.count, describe=describe, expected_errors=expected_errors,
        shared=shared, worker_environment=worker_environment)
