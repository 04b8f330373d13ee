"""Tests of core.Workers: the one default worker count, and the runner it makes."""

import os

from absl.testing import absltest

from inception import core
from inception.core import _workers
from tests.core import pool_work


class WorkersTest(absltest.TestCase):

  def test_default_is_the_cores_this_process_may_use(self):
    self.assertEqual(_workers.Workers().count, len(os.sched_getaffinity(0)))
    self.assertEqual(core.Workers.from_flag(None), core.Workers())
    self.assertEqual(core.Workers.from_flag(0), core.Workers())
    self.assertEqual(core.Workers.from_flag(3).count, 3)

  def test_refuses_a_count_below_one(self):
    for bad in (-1, 0, 1.5, '2'):
      with self.assertRaisesRegex(ValueError, 'whole number >= 1'):
        core.Workers(bad)

  def test_runner_runs_the_work_in_that_many_processes(self):
    runner = core.Workers(2).runner(pool_work.square)
    self.assertEqual(str(runner), '2 local worker processes')
    results = []
    runner.run([{'n': n} for n in range(6)], results.append)
    self.assertEqual(sorted(r[:2] for r in results), [(n, n * n) for n in range(6)])
    self.assertNotIn(os.getpid(), {r[2] for r in results})
    self.assertLessEqual(len({r[2] for r in results}), 2)

  def test_one_worker_runs_in_this_process(self):
    results = []
    core.Workers(1).runner(pool_work.square).run([{'n': 3}], results.append)
    self.assertEqual(results, [(3, 9, os.getpid())])

  def test_small_work_runs_in_this_process_unless_on_a_dask_cluster(self):
    workers = core.Workers(3)
    self.assertEqual(workers.in_process_when(True), core.Workers(1))
    self.assertIs(workers.in_process_when(False), workers)
    on_dask = core.Workers(3, dask=core.DaskCluster('tcp://127.0.0.1:8786'))
    self.assertIs(on_dask.in_process_when(True), on_dask)

  def test_sharing_one_pool_keeps_the_workers_for_every_run_inside(self):
    pids = []
    with core.Workers(2).sharing_one_pool() as workers:
      self.assertEqual(workers, core.Workers(2))
      for _ in range(2):
        results = []
        workers.runner(pool_work.square).run([{'n': n} for n in range(4)],
                                             results.append)
        self.assertLessEqual({pid for _, _, pid in results},
                             {process.pid for process in workers.pool.processes(2)})
        pids.append({process.pid for process in workers.pool.processes(2)})
      self.assertEqual(pids[1], pids[0])
      self.assertNotIn(os.getpid(), pids[0])
      with workers.sharing_one_pool() as inner:  # one pool for the whole block
        self.assertIs(inner, workers)
    for pid in pids[0]:
      with self.assertRaises(ProcessLookupError):
        os.kill(pid, 0)

  def test_a_failure_inside_ends_the_shared_workers_too(self):
    results = []
    with self.assertRaisesRegex(RuntimeError, 'step failed'):
      with core.Workers(2).sharing_one_pool() as workers:
        workers.runner(pool_work.square).run([{'n': n} for n in range(4)],
                                             results.append)
        raise RuntimeError('step failed')
    for _, _, pid in results:
      with self.assertRaises(ProcessLookupError):
        os.kill(pid, 0)

  def test_sharing_one_pool_changes_nothing_for_one_worker_or_dask(self):
    for workers in (core.Workers(1),
                    core.Workers(2, dask=core.DaskCluster('tcp://127.0.0.1:8786'))):
      with workers.sharing_one_pool() as inside:
        self.assertIs(inside, workers)


if __name__ == '__main__':
  absltest.main()
