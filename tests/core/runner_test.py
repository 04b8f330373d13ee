"""Tests for inception.core's runner interface and its shared helpers."""

import pickle

from absl.testing import absltest

from inception import core
from inception.core import _runner
from tests.core import pool_work


class InProcessRunnerTest(absltest.TestCase):

  def test_runs_in_task_order_with_progress(self):
    results, progress = [], []
    _runner.InProcessRunner(pool_work.square).run(
        [{'n': 3}, {'n': 1}], results.append, lambda u, b: progress.append((u, b)))
    self.assertEqual([r[:2] for r in results], [(3, 9), (1, 1)])
    self.assertEqual(progress, [(1, 3), (1, 1)])

  def test_is_a_runner(self):
    self.assertIsInstance(_runner.InProcessRunner(pool_work.square), core.Runner)
    self.assertIsInstance(core.ProcessPoolRunner(pool_work.square, 2), core.Runner)


class HelpersTest(absltest.TestCase):

  def test_default_num_workers_is_positive(self):
    self.assertGreaterEqual(_runner.default_num_workers(), 1)

  def test_portable_exception(self):
    plain = ValueError('x')
    self.assertIs(_runner.portable_exception(plain), plain)
    odd = _runner.portable_exception(pool_work.Unpicklable('text', object()))
    self.assertIsInstance(odd, core.WorkerError)
    self.assertEqual(str(odd), 'Unpicklable: text')
    pickle.loads(pickle.dumps(odd))


if __name__ == '__main__':
  absltest.main()
