"""Tests of inception.core._progress."""

import io
import re
from unittest import mock

from absl.testing import absltest

from inception.core import _progress


class FormatProgressTest(absltest.TestCase):

  def test_rate_percent_and_eta(self):
    line = _progress.format_progress('convert', 50, 200, 10.0, 'images', 5_000_000)
    self.assertEqual(
        line, 'convert: 50/200 images (25.0%), 5.0 images/s, 0.5 MB/s, '
        'ETA 0:00:30, elapsed 0:00:10')

  def test_unknown_total_has_no_eta(self):
    line = _progress.format_progress('read', 7, None, 2.0)
    self.assertEqual(line, 'read: 7 items, 3.5 items/s, elapsed 0:00:02')


class ProgressTest(absltest.TestCase):

  def test_logs_only_after_interval(self):
    now = [0.0]
    lines = []
    tracker = _progress.Progress('x', total=4, interval=5, log=lines.append,
                                clock=lambda: now[0])
    tracker.update()
    now[0] = 6.0
    tracker.update(2)
    tracker.finish()
    self.assertLen(lines, 2)
    self.assertStartsWith(lines[0], 'x: 3/4 items (75.0%)')


class _Terminal(io.StringIO):

  def isatty(self):
    return True


class ProgressBarTest(absltest.TestCase):
  """After show_progress_bars, a bar on the stream and no log line."""

  def setUp(self):
    super().setUp()
    self.stream = _Terminal()
    self.enter_context(mock.patch.object(_progress, '_bar_stream', None))
    _progress.show_progress_bars(self.stream)

  def _final_line(self):
    return self.stream.getvalue().replace('\r', '\n').strip().splitlines()[-1]

  def test_a_bar_with_count_rate_eta_and_mb_per_second(self):
    lines = []
    tracker = _progress.Progress('train', total=256, unit='images', log=lines.append)
    tracker.update(128, 2_000_000)
    tracker.update(128, 2_000_000)
    tracker.finish()
    self.assertEqual(lines, [])
    self.assertRegex(self._final_line(),
                     r'^train: 100%\|[^|]+\| 256/256 images \[ *[\d.]+ images/s, ETA '
                     r'00:00, elapsed 00:00, [\d.]+ MB/s\]$')

  def test_bytes_are_scaled_and_a_bar_at_its_total_ends_by_itself(self):
    tracker = _progress.Progress('verify x.tar', total=5_000_000, unit='bytes')
    tracker.update(5_000_000, 5_000_000)  # finish() never called, as for short files
    self.assertEmpty(_progress._open_bars)
    self.assertRegex(self._final_line(), r'^verify x\.tar: 100%\|[^|]+\| 5\.00MB/5\.00MB ')

  def test_without_a_total_a_count_and_rate(self):
    tracker = _progress.Progress('extract val.tar', unit='files')
    tracker.update(64)
    tracker.finish()
    self.assertRegex(self._final_line(), r'^extract val\.tar: 64 files \[ *[\d.]+ '
                     r'files/s, elapsed 00:00\]$')

  def test_a_long_description_keeps_its_end(self):
    tracker = _progress.Progress('check /' + 'd' * 100 + '/imagenet', total=2)
    tracker.finish()
    self.assertStartsWith(self._final_line(), '...' + 'd' * 48 + '/imagenet:')

  def test_close_progress_bars_ends_the_bars_left_open(self):
    _progress.Progress('convert', total=10).update(3)
    _progress.close_progress_bars()
    self.assertEmpty(_progress._open_bars)
    self.assertTrue(self.stream.getvalue().endswith('\n'))
    self.assertRegex(self._final_line(), r'^convert:  30%\|')


if __name__ == '__main__':
  absltest.main()
