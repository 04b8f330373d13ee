"""`run(main)`: absl's app.run, with the binaries' one way of failing.

A failure the user can fix (a missing or unreadable file, a bad path, a full disk, a
file that does not parse, a refused download, a failed conversion or check, a worker
process killed, e.g. for want of memory, a directory another run holds) ends as one
line on stderr, `<binary>: error: <file>: <what is wrong>`, and exit status 1; Ctrl-C
as one line and status 130. A binary's `hint` (the drivers': how to resume) ends the
line only after a failure that a re-run can get past (`can_resume`: a step stopped
part way, a worker killed, an interruption, a full disk, a tarball set aside to be
fetched again), never after bad input, which stays bad. A bad value caught in `main`
(app.UsageError) ends as two lines, `<binary>: error: <the flag, the value, what is
allowed>` and `Try --help.`, as absl's own flag errors end (without the usage of every
flag). Any other exception is a bug and keeps its traceback.

Before main, the run chooses how it writes on stderr (`_output.set_up_output`: bars
and plain lines for a person at a terminal, else absl's log lines); a failure ends
the bars still drawn before its line.

`hold_directory` is the binaries' run lock (core.hold_directory), taken in `main` on
the directory the run writes (or checks) and held to its end.
"""

import errno
import os
import sys
from typing import Callable, ContextManager, Optional, Sequence, Tuple, Type

from absl import app

from inception import acquire
from inception import convert
from inception import core
from inception import driver
from inception.cli import _output

Main = Callable[[Sequence[str]], Optional[int]]

_RESUMABLE_ERRNOS = (errno.ENOSPC, errno.EDQUOT)  # once space is freed
_INTERRUPTED_STATUS = 130


# The two tuples below are built when an error is reported, not at import: naming a
# package's error imports its module (acquire's TransferError: urllib3), and a binary
# imports only what it runs.


def _package_errors() -> Tuple[Type[BaseException], ...]:
  """The packages' own errors for bad input (most others subclass ValueError), a dead
  worker (its message names the task and the signal), and a directory another run
  holds."""
  return (acquire.DownloadError, acquire.ExtractionError, convert.ConversionError,
          core.DirectoryLockedError, core.WorkerError, driver.DriverError)


def _resumable_errors() -> Tuple[Type[BaseException], ...]:
  """Failures a re-run gets past: what was done stays done (or what was bad is set
  aside to be fetched again), and what stopped them need not happen again."""
  return (KeyboardInterrupt, acquire.TransferError, core.WorkerError,
          driver.ResumableError)


def user_error_types(extra: Sequence[Type[BaseException]] = ()
                     ) -> Tuple[Type[BaseException], ...]:
  """The exceptions reported in one line: OSError and TensorFlow's file errors
  (core.error_types), ValueError, the packages' own, and `extra`."""
  return core.error_types() + (ValueError,) + _package_errors() + tuple(extra)


def error_line(error: BaseException) -> str:
  """One line naming the file and the problem: `<file>: <strerror>` for an OSError
  that names its file, else the message with its line breaks folded."""
  if isinstance(error, OSError) and error.filename is not None:
    files = [error.filename] + ([error.filename2] if error.filename2 else [])
    message = '%s: %s' % (' -> '.join(str(f) for f in files),
                          error.strerror or error)
  else:
    message = str(error) or type(error).__name__
  return ' '.join(message.split())


def can_resume(error: BaseException) -> bool:
  """Whether running the same command again can get past `error`: an interruption, a
  worker killed, a transfer broken off, a full disk, a tarball found bad and moved
  aside; not bad input (a flag, a label file, a missing source), which stays bad."""
  if isinstance(error, acquire.ChecksumMismatch):
    return error.moved_to is not None
  if isinstance(error, OSError) and error.errno in _RESUMABLE_ERRNOS:
    return True
  return isinstance(error, _resumable_errors())


def with_hint(message: str, hint: str) -> str:
  """`message`, then `hint` after a full stop (none if the message ends with one)."""
  if not hint:
    return message
  return '%s%s %s' % (message, '' if message.endswith(('.', '!', '?')) else '.', hint)


def program_name(argv0: str) -> str:
  """check_tfrecords for .../check_tfrecords.py or .../check_tfrecords."""
  name = os.path.basename(argv0)
  return name[:-len('.py')] if name.endswith('.py') else name


def guarded(main: Main, errors: Sequence[Type[BaseException]] = (),
            hint: str = '') -> Main:
  """`main`, reporting the user's errors (and `errors`) in one line on stderr.

  `hint` (a sentence, e.g. how to resume) ends the line of an interruption or of an
  error that a re-run can get past (can_resume), once.
  """

  def guarded_main(argv: Sequence[str]) -> Optional[int]:
    name = program_name(argv[0] if argv else sys.argv[0])
    _output.set_up_output(name)
    try:
      return main(argv)
    except KeyboardInterrupt:
      core.close_progress_bars()  # each line below starts on a line of its own
      print('%s: %s' % (name, with_hint('interrupted.', hint)), file=sys.stderr,
            flush=True)
      return _INTERRUPTED_STATUS
    except app.UsageError as e:  # the command itself is wrong: no hint to re-run it
      core.close_progress_bars()
      print('%s: error: %s\nTry --help.' % (name, error_line(e)), file=sys.stderr,
            flush=True)
      return e.exitcode
    except Exception as e:  # pylint: disable=broad-except  (re-raised unless the user's)
      core.close_progress_bars()
      if not isinstance(e, user_error_types(errors)):
        raise
      line = error_line(e)
      print('%s: error: %s' % (name, with_hint(line, hint) if can_resume(e) else line),
            file=sys.stderr, flush=True)
      return 1

  return guarded_main


def run(main: Main, errors: Sequence[Type[BaseException]] = (), hint: str = '') -> None:
  """absl.app.run(main), with the errors of `guarded`; does not return."""
  app.run(guarded(main, errors, hint))


def hold_directory(directory: str, shared: bool = False) -> ContextManager[None]:
  """core.hold_directory for a binary: the command it records for the message that
  refuses another run is the binary's name (not its runfiles path) and arguments."""
  return core.hold_directory(directory, shared,
                             [program_name(sys.argv[0])] + sys.argv[1:])


def print_summary_line(result) -> None:
  """Prints a finished split's closing line (`Finished writing all N images …`) once.

  The libraries only return it (convert.SplitResult.summary_line()), so that it goes
  to standard output exactly once, as the original printed it.
  """
  print(result.summary_line(), flush=True)
