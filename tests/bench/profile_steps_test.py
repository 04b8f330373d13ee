"""Tests for bench/profile_steps.py: py-spy's raw lines split by step, and the pids of
a real process tree tied to the step they started in."""

import subprocess
import sys
import time

from absl.testing import absltest

from bench import profile_steps

_DRIVER = 'inception/imagenet/_driver.py'
# py-spy 0.4.3's raw format: 'process PID:"CMDLINE";frame;...;leaf COUNT', a
# child's stack after its parent's `process` element.
_RAW = [
    'process 100:"python driver.py /d";<module> (driver.py:9);'
    'run_steps (inception/driver/_steps.py:126);<lambda> (%s:124);'
    'run_convert (%s:300);index_train_tar (inception/acquire/_tar_index.py:80);'
    'next (tarfile.py:2570) 30\n' % (_DRIVER, _DRIVER),
    'process 100:"python driver.py /d";<module> (driver.py:9);'
    'run_steps (inception/driver/_steps.py:126);<lambda> (%s:125);'
    'run_check (%s:400);wait (threading.py:320) 10\n' % (_DRIVER, _DRIVER),
    'process 100:"python driver.py /d";<module> (driver.py:9);'
    '_find_and_load (<frozen importlib._bootstrap>:1176) 5\n',
    'process 100:"python driver.py /d";'
    'process 101:"python -m inception.core._pool_worker";'
    'write_shard (inception/records/_shard_tasks.py:50);'
    'crc32c (google_crc32c/python.py:20) 10\n',
    'process 100:"python driver.py /d";process 102:"python -m '
    'inception.core._pool_worker";main (x.py:1);f (y.py:2) 4\n',
    'some header line that is not a stack\n',
]


class ParseTest(absltest.TestCase):

  def test_stacks_split_by_step(self):
    stacks = profile_steps.parse_raw(_RAW)
    self.assertLen(stacks, 5)
    self.assertEqual(stacks[0][0], 100)
    self.assertEqual(stacks[0][1][-1], 'next (tarfile.py:2570)')
    self.assertEqual(stacks[0][2], 30)
    self.assertEqual(profile_steps.main_of(stacks), 100)
    steps = profile_steps.per_step(stacks, 100, {101: 'convert'})
    self.assertEqual(steps['convert'], {
        ('next (tarfile.py)', 'index_train_tar (inception/acquire/_tar_index.py)'): 30,
        ('crc32c (google_crc32c/python.py)',
         'write_shard (inception/records/_shard_tasks.py)'): 10})
    self.assertEqual(steps['check'], {('wait (threading.py)',
                                       'run_check (%s)' % _DRIVER): 10})
    self.assertEqual(sum(steps[profile_steps.OUTSIDE].values()), 5)
    self.assertEqual(steps[profile_steps.UNATTRIBUTED], {('f (y.py)', '–'): 4})

  def test_a_worker_is_placed_by_its_work_function_first(self):
    # One pool serving two steps: the worker appeared in bounding_boxes.
    stacks = profile_steps.parse_raw(_RAW)
    steps = profile_steps.per_step(stacks, 100, {101: 'bounding_boxes',
                                                 102: 'bounding_boxes'})
    self.assertEqual(sum(steps['convert'].values()), 40)  # its write_shard
    self.assertEqual(sum(steps['bounding_boxes'].values()), 4)  # by its pid

  def test_table_gives_each_step_its_share(self):
    steps = profile_steps.per_step(profile_steps.parse_raw(_RAW), 100,
                                   {101: 'convert'})
    lines = profile_steps.table(steps, 100, 1, {'convert': 2.5, 'check': 1.0})
    self.assertEqual(lines[2], '| convert (2.5) | 0.4 | `next (tarfile.py)` | 75.0 | '
                     '`index_train_tar (inception/acquire/_tar_index.py)` |')
    self.assertStartsWith(lines[3], '| check (1.0) | 0.1 | ')
    self.assertLen(lines, 6)  # header, rule, convert, check, outside, unattributed


class PidStepsTest(absltest.TestCase):

  def test_children_are_tied_to_the_step_they_appear_in(self):
    shell = subprocess.Popen(['sh', '-c', 'sleep 0.4; %s -c "import time; '
                              'time.sleep(0.6)" & wait' % sys.executable])
    pids = profile_steps.PidSteps(shell.pid)
    pids.step = 'bounding_boxes'
    time.sleep(0.2)
    pids.step = 'convert'
    shell.wait()
    found = pids.stop()
    self.assertEqual(sorted(found.values()), ['bounding_boxes', 'convert'])


if __name__ == '__main__':
  absltest.main()
