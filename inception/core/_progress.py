"""Progress lines with rate and ETA for long work, logged at most every few seconds."""

import datetime
import time
from typing import Callable, Optional

from absl import logging


def format_duration(seconds: float) -> str:
  """Formats seconds as H:MM:SS."""
  return str(datetime.timedelta(seconds=int(max(0.0, seconds))))


def format_progress(description: str, done: int, total: Optional[int],
                    elapsed_seconds: float, unit: str = 'items',
                    done_bytes: int = 0) -> str:
  """One progress line: count, percent, rate, MB/s and ETA where known."""
  elapsed = max(elapsed_seconds, 1e-9)
  rate = done / elapsed
  parts = []
  if total:
    parts.append('%d/%d %s (%.1f%%)' % (done, total, unit, 100.0 * done / total))
  else:
    parts.append('%d %s' % (done, unit))
  parts.append('%.1f %s/s' % (rate, unit))
  if done_bytes:
    parts.append('%.1f MB/s' % (done_bytes / elapsed / 1e6))
  if total and rate > 0:
    parts.append('ETA %s' % format_duration((total - done) / rate))
  parts.append('elapsed %s' % format_duration(elapsed_seconds))
  return '%s: %s' % (description, ', '.join(parts))


class Progress(object):
  """Counts work done and logs a progress line at most every `interval` seconds."""

  def __init__(self, description: str, total: Optional[int] = None,
               unit: str = 'items', interval: float = 5.0,
               log: Callable[[str], None] = logging.info,
               clock: Callable[[], float] = time.monotonic):
    self.description = description
    self.total = total
    self.unit = unit
    self.done = 0
    self.done_bytes = 0
    self._interval = interval
    self._log = log
    self._clock = clock
    self._start = clock()
    self._last_log = self._start

  def update(self, count: int = 1, num_bytes: int = 0) -> None:
    """Records `count` more units (and bytes) done; logs if the interval passed."""
    self.done += count
    self.done_bytes += num_bytes
    now = self._clock()
    if now - self._last_log >= self._interval:
      self._last_log = now
      self._log(self.line())

  def line(self) -> str:
    return format_progress(self.description, self.done, self.total,
                           self._clock() - self._start, self.unit, self.done_bytes)

  def finish(self) -> None:
    """Logs the final line."""
    self._log(self.line())
