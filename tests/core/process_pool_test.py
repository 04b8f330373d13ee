"""Tests for inception.core's local process pool: real worker processes."""

import contextlib
import io
import os
import time

from absl.testing import absltest

from inception import core
from inception.core import _process_pool
from tests.core import pool_work


def _tasks(count, **extra):
  return [dict(n=n, **extra.get(n, {})) for n in range(count)]


def _failing(count, number, how):
  """`count` tasks, of which task `number` fails `how` (pool_work.square)."""
  return [dict(n=n, fail=how) if n == number else dict(n=n) for n in range(count)]


class ProcessPoolRunnerTest(absltest.TestCase):

  def test_every_task_runs_once_in_workers(self):
    results, progress = [], []
    runner = _process_pool.ProcessPoolRunner(pool_work.square, num_workers=2)
    runner.run(_tasks(6), results.append, lambda units, b: progress.append((units, b)))
    self.assertCountEqual([r[:2] for r in results], [(n, n * n) for n in range(6)])
    self.assertEqual(sum(u for u, _ in progress), 6)
    self.assertEqual(sum(b for _, b in progress), sum(range(6)))
    self.assertNotIn(os.getpid(), {r[2] for r in results})

  def test_one_worker_runs_in_this_process_in_task_order(self):
    results = []
    _process_pool.ProcessPoolRunner(pool_work.square, num_workers=1).run(
        _tasks(4), results.append)
    self.assertEqual([r[0] for r in results], [0, 1, 2, 3])
    self.assertEqual({r[2] for r in results}, {os.getpid()})

  def test_the_works_own_error_is_raised_as_it_is(self):
    results = []
    runner = _process_pool.ProcessPoolRunner(pool_work.square, num_workers=2,
                                             expected_errors=(pool_work.BadInput,))
    tasks = _tasks(5)
    tasks[2]['fail'] = 'bad'
    with self.assertRaisesRegex(pool_work.BadInput, 'bad input 2'):
      runner.run(tasks, results.append)
    self.assertNotIn(2, [r[0] for r in results])

  def test_an_os_error_is_the_tasks_own_without_a_traceback(self):
    tasks = _tasks(4)
    tasks[1].update(fail='full', path='/out/shard-1')
    runner = _process_pool.ProcessPoolRunner(pool_work.square, num_workers=2)
    with contextlib.redirect_stderr(io.StringIO()) as stderr:
      with self.assertRaises(OSError) as raised:
        runner.run(tasks, lambda result: None)
    self.assertEqual(raised.exception.filename, '/out/shard-1')
    self.assertNotIn('Traceback', stderr.getvalue())

  def test_an_unexpected_error_prints_the_workers_traceback(self):
    tasks = _tasks(3)
    tasks[1]['fail'] = 'bad'
    runner = _process_pool.ProcessPoolRunner(pool_work.square, num_workers=2)
    with contextlib.redirect_stderr(io.StringIO()) as stderr:
      with self.assertRaises(pool_work.BadInput):
        runner.run(tasks, lambda result: None)
    self.assertIn('Traceback', stderr.getvalue())

  def test_an_unpicklable_error_arrives_with_its_text(self):
    tasks = _tasks(3)
    tasks[1]['fail'] = 'unpicklable'
    runner = _process_pool.ProcessPoolRunner(pool_work.square, num_workers=2)
    with self.assertRaisesRegex(core.WorkerError, 'Unpicklable: cannot pickle 1'):
      runner.run(tasks, lambda result: None)

  def test_a_killed_worker_names_its_task_and_status(self):
    tasks = _tasks(3)
    tasks[1]['fail'] = 'die'
    runner = _process_pool.ProcessPoolRunner(
        pool_work.square, num_workers=2, describe=lambda task: 'squaring %d' % task['n'])
    with self.assertRaisesRegex(core.WorkerError,
                                r'worker process \d+ exited \(status -9\) while '
                                r'squaring 1: killed by SIGKILL'):
      runner.run(tasks, lambda result: None)

  def test_shared_input_reaches_every_worker(self):
    results = []
    runner = _process_pool.ProcessPoolRunner(pool_work.scaled, num_workers=2, shared=10)
    runner.run(_tasks(5), results.append)
    self.assertCountEqual([r[:2] for r in results], [(n, 10 * n) for n in range(5)])

  def test_tasks_are_taken_lazily_from_an_iterator(self):
    taken, results = [], []

    def stream():
      for task in _tasks(12):
        taken.append(task['n'])
        # Each of the two workers holds at most the task it runs, the next one
        # waiting in its pipe and one more whose result is on its way to this
        # thread (the one being made among them), however slow this thread is: at
        # most 6 taken and not yet answered (a list of all 12 up front would be 12).
        self.assertLessEqual(len(taken) - len(results), 6)
        yield task

    def slow_on_result(result):
      time.sleep(0.05)  # a caller slower than the workers
      results.append(result)

    _process_pool.ProcessPoolRunner(pool_work.square, num_workers=2).run(
        stream(), slow_on_result)
    self.assertCountEqual([r[0] for r in results], range(12))

  def test_tasks_too_big_to_wait_in_a_pipe_are_sent_when_answered(self):
    # Tasks of 100 KB, past what may wait in a worker's pipe (64 KiB, more than the
    # limit), among small ones: each still runs once.
    results = []
    tasks = [dict(n=n, pad=b'x' * (100000 if n % 3 else 10)) for n in range(9)]
    _process_pool.ProcessPoolRunner(pool_work.square, num_workers=2).run(
        tasks, results.append)
    self.assertGreater(100000, _process_pool._WAITING_TASK_MAX_BYTES)
    self.assertCountEqual([r[0] for r in results], range(9))

  def test_a_worker_runs_tasks_at_once_in_threads(self):
    results = []
    _process_pool.ProcessPoolRunner(pool_work.meet, num_workers=2).with_tasks_at_once(
        2).run([dict(n=n, timeout=30) for n in range(4)], results.append)
    self.assertCountEqual([n for n, _, _ in results], range(4))
    self.assertTrue(any(met for _, met, _ in results), results)

  def test_tasks_at_once_keep_errors_and_results_apart(self):
    results = []
    runner = _process_pool.ProcessPoolRunner(
        pool_work.square, num_workers=2,
        expected_errors=(pool_work.BadInput,)).with_tasks_at_once(2)
    with self.assertRaisesRegex(pool_work.BadInput, 'bad input 3'):
      runner.run(_failing(8, 3, 'bad'), results.append)
    self.assertNotIn(3, [r[0] for r in results])
    runner.run(_tasks(9), results.append)  # the workers go on, a run at a time
    self.assertCountEqual([r[:2] for r in results[-9:]], [(n, n * n) for n in range(9)])
    with self.assertRaisesRegex(ValueError, 'at least 1'):
      runner.with_tasks_at_once(0)

  def test_an_error_of_the_callback_stops_the_run(self):
    def on_result(result):
      if result[0] == 1:
        raise RuntimeError('callback failed on 1')

    runner = _process_pool.ProcessPoolRunner(pool_work.square, num_workers=2)
    with self.assertRaisesRegex(RuntimeError, 'callback failed on 1'):
      runner.run(_tasks(6), on_result)

  def test_worker_environment_reaches_the_workers_only(self):
    results = []
    runner = _process_pool.ProcessPoolRunner(
        pool_work.environment_variable, num_workers=2,
        worker_environment={'INCEPTION_POOL_TEST': 'set'})
    runner.run(['INCEPTION_POOL_TEST'] * 3, results.append)
    self.assertEqual(results, ['set'] * 3)
    self.assertNotIn('INCEPTION_POOL_TEST', os.environ)

  def test_no_tasks(self):
    _process_pool.ProcessPoolRunner(pool_work.square, num_workers=3).run([], self.fail)

  def test_work_must_be_importable_by_name(self):
    with self.assertRaisesRegex(ValueError, 'module-level function'):
      _process_pool.ProcessPoolRunner(lambda task, report: task, 2)


class LocalPoolTest(absltest.TestCase):
  """A pool kept between runs, as a driver's steps share one."""

  def setUp(self):
    super().setUp()
    self.pool = _process_pool.LocalPool(2)
    self.addCleanup(self.pool.end)

  def run_on_pool(self, work, tasks, **kwargs):
    results = []
    _process_pool.ProcessPoolRunner(work, 2, pool=self.pool, **kwargs).run(
        tasks, results.append)
    return results

  def running(self):
    """The pids of the pool's two workers."""
    return {process.pid for process in self.pool.processes(2)}

  def test_runs_of_other_work_reuse_the_workers_and_end_with_the_pool(self):
    self.run_on_pool(pool_work.square, _tasks(6))
    first = self.running()
    second = self.run_on_pool(pool_work.scaled, _tasks(6), shared=10)
    self.assertCountEqual([(n, value) for n, value, _ in second],
                          [(n, 10 * n) for n in range(6)])
    self.assertLessEqual({pid for _, _, pid in second}, first)
    self.assertEqual(self.running(), first)
    self.assertNotIn(os.getpid(), first)
    self.pool.end()
    for pid in first:
      with self.assertRaises(ProcessLookupError, msg='worker %d still runs' % pid):
        os.kill(pid, 0)

  def test_each_run_has_its_own_worker_environment(self):
    name = 'INCEPTION_POOL_TEST'
    self.assertEqual(self.run_on_pool(pool_work.environment_variable, [name] * 4,
                                      worker_environment={name: 'set'}), ['set'] * 4)
    self.assertEqual(self.run_on_pool(pool_work.environment_variable, [name] * 4),
                     [None] * 4)

  def test_a_tasks_error_leaves_the_workers_a_dead_one_is_replaced(self):
    self.run_on_pool(pool_work.square, _tasks(4))
    first = self.running()
    with self.assertRaisesRegex(pool_work.BadInput, 'bad input 1'):
      self.run_on_pool(pool_work.square, _failing(4, 1, 'bad'))
    self.assertEqual(self.running(), first, 'a task\'s error keeps the workers')
    with self.assertRaisesRegex(core.WorkerError, 'exited'):
      self.run_on_pool(pool_work.square, _failing(4, 2, 'die'))
    after = self.run_on_pool(pool_work.square, _tasks(6))
    self.assertCountEqual([n for n, _, _ in after], range(6))
    running = self.running()
    self.assertLen(running - first, 1, 'the dead worker replaced')
    self.assertLen(running & first, 1, 'the other one kept')

  def test_an_error_of_the_callback_ends_the_workers(self):
    self.run_on_pool(pool_work.square, _tasks(4))
    first = self.running()

    def on_result(result):
      raise RuntimeError('callback failed on %d' % result[0])

    with self.assertRaisesRegex(RuntimeError, 'callback failed'):
      _process_pool.ProcessPoolRunner(pool_work.square, 2, pool=self.pool).run(
          _tasks(4), on_result)
    for pid in first:
      with self.assertRaises(ProcessLookupError, msg='worker %d still runs' % pid):
        os.kill(pid, 0)
    self.run_on_pool(pool_work.square, _tasks(4))
    self.assertFalse(self.running() & first)


if __name__ == '__main__':
  absltest.main()
