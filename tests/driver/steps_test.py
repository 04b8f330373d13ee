"""Tests of inception.driver._steps: resumable steps and their state file."""

import json
import os

from absl.testing import absltest

from inception import driver
from inception.driver import _steps


class StepsTest(absltest.TestCase):

  def setUp(self):
    super().setUp()
    self.data_dir = self.create_tempdir().full_path
    self.calls = []
    self.present = True

  def _steps(self, size=1):
    def runner(name):
      def run():
        self.calls.append(name)
        return {'made': name}
      return run
    return [_steps.Step('fetch', runner('fetch'), {'size': size},
                        still_done=lambda: self.present),
            _steps.Step('make', runner('make'), ('a', size)),
            _steps.Step('check', runner('check'), None)]

  def test_a_rerun_runs_nothing_and_the_state_reads_back(self):
    first = _steps.run_steps(self.data_dir, self._steps())
    self.assertEqual(self.calls, ['fetch', 'make', 'check'])
    self.assertEqual(first['make'], {'settings': ['a', 1], 'outputs': {'made': 'make'},
                                     'seconds': first['make']['seconds']})
    self.assertEqual(_steps.run_steps(self.data_dir, self._steps()), first)
    self.assertEqual(self.calls, ['fetch', 'make', 'check'])
    self.assertEqual(_steps.read_state(self.data_dir), first)

  def test_changed_settings_redo_or_lost_output_rerun_from_that_step_on(self):
    _steps.run_steps(self.data_dir, self._steps())
    state = _steps.read_state(self.data_dir)
    self.assertEqual(_steps.pending_steps(self._steps(size=2), state),
                     ['fetch', 'make', 'check'])
    self.assertEqual(_steps.pending_steps(self._steps(), state, redo=['make']),
                     ['make', 'check'])
    self.present = False
    self.assertEqual(_steps.pending_steps(self._steps(), state),
                     ['fetch', 'make', 'check'])
    with self.assertRaisesRegex(ValueError, r'unknown step\(s\) to redo: unpack '
                                r'\(steps: fetch, make, check\)'):
      _steps.pending_steps(self._steps(), state, redo=['unpack'])

  def test_only_runs_part_and_drops_what_the_rerun_outdates(self):
    _steps.run_steps(self.data_dir, self._steps(), only=['fetch'])
    self.assertEqual(self.calls, ['fetch'])
    self.assertEqual(list(_steps.read_state(self.data_dir)), ['fetch'])
    _steps.run_steps(self.data_dir, self._steps())  # the rest, fetch kept
    self.assertEqual(self.calls, ['fetch', 'make', 'check'])
    # fetch again with other settings: make and check must not be trusted any more.
    _steps.run_steps(self.data_dir, self._steps(size=2), only=['fetch'])
    self.assertEqual(self.calls[3:], ['fetch'])
    self.assertEqual(list(_steps.read_state(self.data_dir)), ['fetch'])
    with self.assertRaisesRegex(ValueError, r'unknown step\(s\) to run: unpack'):
      _steps.run_steps(self.data_dir, self._steps(), only=['unpack'])

  def test_a_failed_step_keeps_the_ones_before_it(self):
    def fail():
      raise RuntimeError('make failed')
    steps = self._steps()
    steps[1] = steps[1]._replace(run=fail)
    with self.assertRaisesRegex(RuntimeError, 'make failed'):
      _steps.run_steps(self.data_dir, steps)
    self.assertEqual(list(_steps.read_state(self.data_dir)), ['fetch'])
    _steps.run_steps(self.data_dir, self._steps())
    self.assertEqual(self.calls, ['fetch', 'make', 'check'])

  def test_a_broken_state_file_is_named(self):
    with open(driver.state_path(self.data_dir), 'w') as f:
      f.write('{broken')
    with self.assertRaisesRegex(ValueError, '%s is not valid JSON.*delete it' %
                                driver.state_path(self.data_dir)):
      _steps.read_state(self.data_dir)

  def test_no_state_file_is_no_step(self):
    self.assertEqual(_steps.read_state(os.path.join(self.data_dir, 'new')), {})
    _steps.write_state(self.data_dir, {'x': {'settings': 1}})
    with open(driver.state_path(self.data_dir)) as f:
      self.assertEqual(json.load(f), {'steps': {'x': {'settings': 1}}})


if __name__ == '__main__':
  absltest.main()
