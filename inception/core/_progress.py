"""Progress of long work: a bar on a terminal, else a log line every few seconds.

By default `Progress` logs a line with count, rate and ETA at most every `interval`
seconds (and one when it finishes): what CI, log files and pipes keep. A binary whose
standard error is a terminal calls `show_progress_bars()` once (cli does, see
cli/_output.py); from then on each `Progress` of that process draws a tqdm bar there
instead (count, percent, rate, ETA, and MB/s when bytes are counted), left on the
screen when it finishes (or reaches its total). `close_progress_bars()` ends the bars still drawn (a failure
stopped their work) so that what is printed next starts on a line of its own.
"""

import datetime
import sys
import time
from typing import Any, Callable, IO, Optional, Set

from absl import logging

_BYTES_UNIT = 'bytes'
_MAX_BAR_DESCRIPTION = 60  # characters: the rest of an 80-column line is the bar's
# Where bars go once show_progress_bars() is called (None: log lines), and the bars
# still drawn.
_bar_stream: Optional[IO[str]] = None
_open_bars: Set[Any] = set()  # tqdm.tqdm


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


def show_progress_bars(stream: Optional[IO[str]] = None) -> None:
  """From now on, each new Progress of this process draws a bar on `stream`
  (default: standard error) instead of logging lines. None of it crosses to worker
  processes, which log as before."""
  global _bar_stream
  _bar_stream = stream if stream is not None else sys.stderr


def close_progress_bars() -> None:
  """Ends every bar still drawn, each left as it stands, on a line of its own."""
  for bar in list(_open_bars):
    bar.close()
  _open_bars.clear()


def _bar_format(unit: str, total: Optional[int]) -> str:
  """tqdm's layout: `desc: 40%|████      | 128/320 images [41.2 images/s, ETA 00:04,
  elapsed 00:03, 3.1 MB/s]`; bytes in kB/MB/GB; no percent or ETA without a total."""
  if unit == _BYTES_UNIT:
    count = '{n_fmt}B/{total_fmt}B' if total else '{n_fmt}B'
  else:
    count = ('{n_fmt}/{total_fmt} ' if total else '{n_fmt} ') + unit
  timing = '{rate_noinv_fmt}, ETA {remaining}, elapsed {elapsed}' if total else (
      '{rate_noinv_fmt}, elapsed {elapsed}')
  head = '{desc}: {percentage:3.0f}%|{bar}| ' if total else '{desc}: '
  return head + count + ' [' + timing + '{postfix}]'


def _new_bar(description: str, total: Optional[int], unit: str) -> Any:
  """A tqdm bar; tqdm is imported here, so that processes that draw none (workers,
  remote Beam workers installed from setup.py) need not have it."""
  import tqdm  # pylint: disable=g-import-not-at-top
  if len(description) > _MAX_BAR_DESCRIPTION:  # a long path: its end says most
    description = '...' + description[3 - _MAX_BAR_DESCRIPTION:]
  is_bytes = unit == _BYTES_UNIT
  bar = tqdm.tqdm(total=total or None, desc=description, file=_bar_stream,
                  unit='B' if is_bytes else ' ' + unit, unit_scale=is_bytes,
                  unit_divisor=1000, dynamic_ncols=True, leave=True,
                  bar_format=_bar_format(unit, total))
  _open_bars.add(bar)
  return bar


class Progress(object):
  """Counts work done; shows it as a bar (show_progress_bars) or logs a line at most
  every `interval` seconds."""

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
    self._bar = _new_bar(description, total, unit) if _bar_stream is not None else None

  def update(self, count: int = 1, num_bytes: int = 0) -> None:
    """Records `count` more units (and bytes) done; logs if the interval passed."""
    self.done += count
    self.done_bytes += num_bytes
    if self._bar is not None:
      if num_bytes and self.unit != _BYTES_UNIT:
        elapsed = max(self._clock() - self._start, 1e-9)
        self._bar.set_postfix_str('%.1f MB/s' % (self.done_bytes / elapsed / 1e6),
                                  refresh=False)
      self._bar.update(count)
      if self.total and self.done >= self.total:
        self.finish()  # all done: the bar ends now, even if finish() is not called
      return
    now = self._clock()
    if now - self._last_log >= self._interval:
      self._last_log = now
      self._log(self.line())

  def line(self) -> str:
    return format_progress(self.description, self.done, self.total,
                           self._clock() - self._start, self.unit, self.done_bytes)

  def finish(self) -> None:
    """Logs the final line, or leaves the bar at its final state."""
    if self._bar is None:
      self._log(self.line())
      return
    self._bar.close()  # again: nothing
    _open_bars.discard(self._bar)
