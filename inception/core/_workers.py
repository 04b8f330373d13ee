"""The worker pool of a step: where its tasks run, defined once.

`Workers` is built once at the edge (a binary's --num_threads and --dask_address, a
driver's settings) and passed whole to every library that runs tasks in parallel (the
converter, the bounding boxes, the checker), which asks it for a runner of its work
function: local processes, or a Dask cluster when it has one. Its default, the cores
this process may use, is the only default worker count. A step whose work is small
(the demo's) runs it in this process (`in_process_when`): a pool's fresh interpreters
cost ~0.5 s of CPU each to start (their imports), more than such work.
"""

import contextlib
import dataclasses
from typing import Any, Callable, Dict, Iterator, Optional, Tuple, Type

from inception.core import _dask_runner
from inception.core import _process_pool
from inception.core import _runner


@dataclasses.dataclass(frozen=True)
class Workers:
  """The workers of a step's tasks.

  Attributes:
    count: how many local processes at most (and a local Dask cluster's size);
      default: the cores this process may use.
    dask: a Dask cluster to run the tasks on instead of local processes; None: local.
    pool: the local processes kept for every run (sharing_one_pool); None: each run
      starts its own. Not a setting: left out of comparisons.
  """
  count: int = dataclasses.field(default_factory=_runner.default_num_workers)
  dask: Optional[_dask_runner.DaskCluster] = None
  pool: Optional[_process_pool.LocalPool] = dataclasses.field(
      default=None, compare=False, repr=False)

  def __post_init__(self):
    if not isinstance(self.count, int) or self.count < 1:
      raise ValueError('the number of workers must be a whole number >= 1, not %r' %
                       (self.count,))

  @classmethod
  def from_flag(cls, value: Optional[int],
                dask: Optional[_dask_runner.DaskCluster] = None) -> 'Workers':
    """From a --num_threads value: None (unset) or 0 means the default."""
    return cls(value, dask) if value else cls(dask=dask)

  @contextlib.contextmanager
  def sharing_one_pool(self) -> Iterator['Workers']:
    """These workers with one pool of local processes for every run inside (a
    driver's steps): each process started at the first run that needs it, all ended
    when the block ends, however it ends. The same workers on a Dask cluster, with
    one worker, or inside another such block."""
    if self.dask is not None or self.count == 1 or self.pool is not None:
      yield self
      return
    pool = _process_pool.LocalPool(self.count)
    try:
      yield dataclasses.replace(self, pool=pool)
    finally:
      pool.end()

  def in_process_when(self, small: bool) -> 'Workers':
    """One worker, this process, when `small` and these are local processes; else
    these workers. A Dask cluster is kept: the user asked for it by its address."""
    if small and self.dask is None:
      return dataclasses.replace(self, count=1)
    return self

  def check_reachable(self, path: str) -> None:
    """Refuses a path of this machine that the workers may not see (a remote Dask
    cluster's); see DaskCluster.check_reachable."""
    if self.dask is not None:
      self.dask.check_reachable(path)

  def runner(self, work: _runner.Work, *, describe: Callable[[Any], str] = repr,
             expected_errors: Tuple[Type[BaseException], ...] = (),
             shared: Any = _runner.NO_SHARED,
             worker_environment: Optional[Dict[str, str]] = None,
             tasks_at_once: int = 1) -> _runner.Runner:
    """The engine that maps `work` over tasks on these workers
    (core.ProcessPoolRunner: see it for the arguments; core.DaskRunner with `dask`,
    whose workers' threads decide how many tasks each runs at once)."""
    if self.dask is not None:
      return _dask_runner.DaskRunner(
          work, self.dask, describe=describe, expected_errors=expected_errors,
          shared=shared, worker_environment=worker_environment, local_workers=self.count)
    return _process_pool.ProcessPoolRunner(
        work, self.count, describe=describe, expected_errors=expected_errors,
        shared=shared, worker_environment=worker_environment,
        pool=self.pool).with_tasks_at_once(tasks_at_once)
