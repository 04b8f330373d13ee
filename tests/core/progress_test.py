"""Tests of inception.core._progress."""

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


if __name__ == '__main__':
  absltest.main()
