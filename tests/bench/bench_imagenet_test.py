"""Tests for bench/bench_imagenet.py's parsing and monitoring, on real inputs.

The log lines come from inception.driver's own step runner, the status text from
/proc, the report from /usr/bin/time -v, and the monitored tree from real processes.
"""

import io
import logging as std_logging
import os
import subprocess
import sys
import textwrap

from absl import logging
from absl.testing import absltest

from bench import bench_imagenet
from inception import driver

_TIME = '/usr/bin/time'


def _real_driver_log(data_dir):
  """The log lines of inception.driver.run_steps running two steps."""
  stream = io.StringIO()
  handler = std_logging.StreamHandler(stream)
  handler.setFormatter(logging.PythonFormatter())
  absl_logger = logging.get_absl_logger()
  absl_logger.addHandler(handler)
  verbosity = logging.get_verbosity()
  logging.set_verbosity(logging.INFO)
  try:
    driver.run_steps(data_dir, [driver.Step('download', lambda: {}, {}),
                                driver.Step('convert', lambda: {'n': 1}, {})])
  finally:
    absl_logger.removeHandler(handler)
    logging.set_verbosity(verbosity)
  return stream.getvalue().splitlines()


class LogTest(absltest.TestCase):

  def test_step_events_and_intervals_from_a_real_log(self):
    lines = _real_driver_log(self.create_tempdir().full_path)
    events = [e for e in map(bench_imagenet.parse_step_event, lines) if e]
    self.assertEqual(events, [('download', 'starting'), ('download', 'finished'),
                              ('convert', 'starting'), ('convert', 'finished')])
    timed = [(float(i), step, what) for i, (step, what) in enumerate(events)]
    intervals = bench_imagenet.step_intervals(timed)
    self.assertEqual(intervals, {'download': (0.0, 1.0), 'convert': (2.0, 3.0)})
    self.assertEqual(bench_imagenet.step_at(intervals, 0.5), 'download')
    self.assertIsNone(bench_imagenet.step_at(intervals, 1.5))
    self.assertEqual(bench_imagenet.step_at({'check': (4.0, None)}, 9.0), 'check')

  def test_other_lines_are_not_events(self):
    for line in ('I1202 05:21:19.8 1 _steps.py:98] Step download: already finished, '
                 'skipped', 'Finished writing all 1000 images in data set.', ''):
      self.assertIsNone(bench_imagenet.parse_step_event(line), line)


class ProcTest(absltest.TestCase):

  def test_parse_proc_status_of_this_process(self):
    with open('/proc/self/status') as f:
      status = bench_imagenet.parse_proc_status(f.read())
    self.assertEqual(status['Pid'], os.getpid())
    self.assertEqual(status['PPid'], os.getppid())
    self.assertGreater(status['VmRSS'], 1 << 20)
    self.assertGreaterEqual(status['VmHWM'], status['VmRSS'])

  def test_descendants_and_peak_reset(self):
    child = subprocess.Popen([sys.executable, '-c', textwrap.dedent('''
        import subprocess, sys, time
        subprocess.Popen([sys.executable, '-c', 'import time; time.sleep(30)'])
        time.sleep(30)''')])
    try:
      for _ in range(100):
        found = bench_imagenet.descendants(os.getpid())
        if len(found) >= 2:
          break
        subprocess.run(['sleep', '0.05'])
      self.assertEqual(found[0], child.pid)
      self.assertLen(found, 2)
      grandchild = bench_imagenet.read_status(found[1])
      self.assertEqual(grandchild['PPid'], child.pid)
    finally:
      for pid in reversed(bench_imagenet.descendants(os.getpid())):
        os.kill(pid, 9)
      child.wait()
    big = bytearray(64 << 20)
    del big
    before = bench_imagenet.read_status(os.getpid())
    self.assertTrue(bench_imagenet.reset_peak(os.getpid()))
    after = bench_imagenet.read_status(os.getpid())
    self.assertLess(after['VmHWM'], before['VmHWM'])


@absltest.skipUnless(os.path.exists(_TIME), _TIME + ' is not installed')
class MonitoredRunTest(absltest.TestCase):
  """A real process tree under /usr/bin/time -v, logging step boundaries."""

  def test_run_driver_attributes_each_process_peak_to_its_step(self):
    script = textwrap.dedent('''
        import subprocess, sys, time
        print('I0101 00:00:00.0 1 _steps.py:104] Step small: starting', flush=True)
        time.sleep(1.0)
        print('I0101 00:00:00.0 1 _steps.py:110] Step small: finished in 1 s',
              flush=True)
        print('I0101 00:00:00.0 1 _steps.py:104] Step big: starting', flush=True)
        main = bytearray(150 << 20)
        worker = subprocess.Popen([sys.executable, '-c',
            'import time; b = bytearray(250 << 20); time.sleep(1.5)'])
        worker.wait()
        print('I0101 00:00:00.0 1 _steps.py:110] Step big: finished in 2 s',
              flush=True)
        ''')
    directory = self.create_tempdir().full_path
    time_file = os.path.join(directory, 'time.txt')
    log = os.path.join(directory, 'log.txt')
    status, monitor = bench_imagenet.run_driver(
        [_TIME, '-v', '-o', time_file, sys.executable, '-c', script], os.environ, log,
        interval=0.1)
    self.assertEqual(status, 0)
    small, big = monitor.memory['small'], monitor.memory['big']
    self.assertEqual(small.max_workers, 0)
    self.assertLess(small.main_peak, 100 << 20)
    self.assertGreater(big.main_peak, 150 << 20)
    self.assertEqual(big.max_workers, 1)
    self.assertGreater(big.worker_peak, 250 << 20)
    self.assertLess(big.worker_peak, 400 << 20)
    self.assertTrue(monitor.resets_worked)
    with open(time_file) as f:
      figures = bench_imagenet.parse_time_v(f.read())
    self.assertEqual(figures['exit_status'], 0)
    self.assertGreater(figures['max_rss_bytes'], 250 << 20)
    self.assertGreater(figures['wall_seconds'], 2.0)
    self.assertIn('user_seconds', figures)
    self.assertIn('sys_seconds', figures)
    with open(log) as f:
      self.assertIn('Step big: finished', f.read())
    self.assertIn('Step big: finished', bench_imagenet.log_tail(log, 2))

  def test_run_driver_returns_a_failing_status(self):
    log = os.path.join(self.create_tempdir().full_path, 'log.txt')
    status, _ = bench_imagenet.run_driver(
        [sys.executable, '-c', 'import sys; print("boom"); sys.exit(3)'], os.environ,
        log, interval=0.1)
    self.assertEqual(status, 3)
    self.assertEqual(bench_imagenet.log_tail(log), 'boom\n')

  def test_parse_duration(self):
    self.assertAlmostEqual(bench_imagenet.parse_duration('1:02:03.5'), 3723.5)
    self.assertAlmostEqual(bench_imagenet.parse_duration('2:03.25'), 123.25)


_RECORD = {'train_images': 12812, 'validation_images': 1000, 'xmls': 5445,
           'boxes': 6153, 'xml_bytes': 2768213, 'train_image_bytes': 44448826,
           'validation_image_bytes': 3395848,
           'archives': {'train.tar': {'bytes': 100}, 'val.tar': {'bytes': 200},
                        'boxes.tar.gz': {'bytes': 700}}}


def _state(train=12812, boxes=6153):
  return {
      'download': {'seconds': 0.5, 'outputs': {}},
      'bounding_boxes': {'seconds': 2.0, 'outputs': {
          '/x/imagenet_2012_bounding_boxes.csv': {'files': 5445, 'boxes': boxes}}},
      'convert': {'seconds': 4.0, 'outputs': {
          'train': {'images': train}, 'validation': {'images': 1000}}},
      'check': {'seconds': 10.0, 'outputs': {
          'records': {'train': train, 'validation': 1000}}},
  }


class FiguresTest(absltest.TestCase):

  def test_mismatches(self):
    self.assertEqual(bench_imagenet.mismatches(_state(), _RECORD), [])
    problems = bench_imagenet.mismatches(_state(train=12811, boxes=1), _RECORD)
    self.assertLen(problems, 3)
    self.assertIn('convert wrote', problems[0])
    self.assertIn('bounding_boxes', problems[2])

  def test_step_rows(self):
    inputs = bench_imagenet.step_inputs(_RECORD, shard_bytes=50000000)
    # Extraction writes the images only (the box XMLs stay packed) from the image tars.
    self.assertEqual(inputs['extract'], (13812, 300))
    memory = {'convert': bench_imagenet.StepMemory(
        main_peak=60 << 20, worker_peak=28 << 20, max_workers=2, samples=3)}
    rows = {r['step']: r for r in bench_imagenet.step_rows(_state(), inputs, memory)}
    self.assertEqual(list(rows), ['download', 'bounding_boxes', 'convert', 'check'])
    self.assertEqual(rows['download']['files'], 3)
    self.assertAlmostEqual(rows['download']['mb_per_second'], 1000 / 1e6 / 0.5)
    self.assertAlmostEqual(rows['convert']['files_per_second'], 13812 / 4.0)
    self.assertAlmostEqual(rows['convert']['mb_per_second'],
                           (44448826 + 3395848) / 1e6 / 4.0)
    self.assertEqual(rows['convert']['worker_peak_rss'], 28 << 20)
    self.assertAlmostEqual(rows['check']['mb_per_second'], 5.0)
    table = bench_imagenet.markdown_table('extract', list(rows.values()), {
        'wall_seconds': 20.0, 'max_rss_bytes': 556 << 20, 'user_seconds': 30.0,
        'sys_seconds': 4.0})
    self.assertIn('| convert | 4.0 | 13,812 | 3,453 | 12.0 | 60 MiB | 28 MiB (2) |',
                  table)
    self.assertIn('max RSS 556 MiB', table)


if __name__ == '__main__':
  absltest.main()
