"""What a binary writes on standard error: for a person at a terminal, or as log lines.

When standard error is a terminal and none of absl's logging flags (`--verbosity` or
`-v`, `--logtostderr`, `--alsologtostderr`) is given, a run talks to a person: each
long piece of work draws a bar (core.show_progress_bars: count, rate, ETA) and each
log message is one short line, the message alone (`warning: ` or `error: ` before the
worse ones), printed above the bars. Otherwise (CI, a file, a pipe, or those flags)
absl's log lines come as they always did, with their `I1207 12:05:26.714889 ...
file.py:627]` prefix, and progress is a log line every few seconds.

`--log_dir=DIR` also writes absl's prefixed lines, all of them, into a log file there
(absl's `<program>.INFO` names), whichever way standard error goes.
"""

import logging as python_logging
import sys
from typing import IO, Optional

from absl import flags
from absl import logging

from inception import core

# absl's flags that ask for its own log lines on standard error.
LOG_LINE_FLAGS = ('verbosity', 'logtostderr', 'alsologtostderr')


def wants_log_lines(flag_values: flags.FlagValues = flags.FLAGS) -> bool:
  """Whether the command line asks for absl's log lines (LOG_LINE_FLAGS given)."""
  return any(name in flag_values and flag_values[name].present
             for name in LOG_LINE_FLAGS)


def human_line(record: python_logging.LogRecord) -> str:
  """A log record as a person reads it: the message; `warning: `/`error: ` first."""
  message = record.getMessage()
  if record.levelno >= python_logging.ERROR:
    return 'error: ' + message
  if record.levelno >= python_logging.WARNING:
    return 'warning: ' + message
  return message


class _TerminalHandler(python_logging.Handler):
  """Prints each record as human_line above the progress bars (tqdm.write)."""

  def __init__(self, stream: IO[str]):
    super().__init__()
    self._stream = stream

  def emit(self, record: python_logging.LogRecord) -> None:
    # Imported here: tqdm is a tenth of a binary's start-up, and only a terminal
    # gets bars (core._progress imports it for them as well).
    import tqdm  # pylint: disable=g-import-not-at-top
    try:
      tqdm.tqdm.write(human_line(record), file=self._stream)
    except Exception:  # pylint: disable=broad-except  (logging must not raise)
      self.handleError(record)


def set_up_output(program: str, stream: Optional[IO[str]] = None,
                  flag_values: flags.FlagValues = flags.FLAGS) -> bool:
  """Chooses how this run writes on `stream` (default standard error); see above.

  Called once the flags are parsed (cli.run does, before main).

  Returns:
    True when the run talks to a person (bars and plain lines).
  """
  stream = stream if stream is not None else sys.stderr
  root = python_logging.getLogger()
  if 'log_dir' in flag_values and flag_values['log_dir'].present:
    log_file = logging.PythonHandler()
    log_file.start_logging_to_file(program, flag_values['log_dir'].value)
    root.addHandler(log_file)
  isatty = getattr(stream, 'isatty', None)
  if not (isatty and isatty()) or wants_log_lines(flag_values):
    return False
  core.show_progress_bars(stream)
  handler = _TerminalHandler(stream)
  handler.setLevel(python_logging.INFO)
  root.addHandler(handler)
  root.removeHandler(logging.get_absl_handler())  # its lines on stderr, prefixed
  return True
