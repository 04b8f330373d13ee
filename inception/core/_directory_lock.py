"""One run at a time in a directory: a lock on a file in it (`fcntl.flock`).

A run that writes (a converter into its output directory, a driver into DATA_DIR)
holds the lock exclusively for its whole run. The checker holds it shared: checkers
may read one directory together, but never while a converter or driver writes it,
and none of those starts while a checker reads. A second run is refused at once
(`DirectoryLockedError`, naming the directory and the holder's pid and command line,
which each holder writes into the lock file once it has the lock: one line, or one
per reader).

The kernel ties the lock to the open file, so it goes when the process ends, however
it ends: a run killed with -9 leaves no stale lock. The file itself stays
(`_layout.LOCK_FILENAME`, beside the shards, matching no split's glob).

A hold belongs to the process and nests: the outermost command takes it (a binary,
at the edge), and a take of the same directory inside it (the driver's in-process
converter or checker, were they to take one) counts as the same hold instead of
waiting on its own lock. A forked child does not inherit it. Remote directories
(gs://) have no lock: the run goes on with a warning that nothing keeps two runs apart.
"""

import contextlib
import dataclasses
import errno
import fcntl
import os
import shlex
import sys
import threading
import time
from typing import Dict, Iterator, Optional, Sequence

from absl import logging

from inception.core import _layout
from inception.core import _user_paths

# How long a refused run waits for the holder's line (written just after it locked).
_HOLDER_WAIT_SECONDS = 1.0
# A read-only directory can be checked without a lock (nothing there can write).
_READ_ONLY_ERRNOS = (errno.EACCES, errno.EPERM, errno.EROFS)
# A file system without flock (some network ones): the run goes on unlocked, warned.
_NO_LOCKS_ERRNOS = (errno.ENOLCK, errno.EOPNOTSUPP, errno.EINVAL)


class DirectoryLockedError(Exception):
  """Another process holds the directory's lock; the message names both."""


@dataclasses.dataclass
class _Hold:
  fd: int
  shared: bool
  depth: int = 1


_holds: Dict[str, _Hold] = {}  # by the directory's real path
_holds_lock = threading.Lock()


def _forget_holds_after_fork() -> None:
  """In a forked child: closes its copies of the lock files, so that only the parent
  holds them (a child outliving a killed parent must not keep its lock)."""
  global _holds_lock
  for hold in _holds.values():
    os.close(hold.fd)
  _holds.clear()
  _holds_lock = threading.Lock()


os.register_at_fork(after_in_child=_forget_holds_after_fork)


def _is_running(pid: int) -> bool:
  try:
    os.kill(pid, 0)
  except ProcessLookupError:
    return False
  except PermissionError:  # another user's
    return True
  return True


def _holders(path: str) -> str:
  """'pid N: COMMAND' of each running process the lock file names (waiting briefly
  for a holder that has only just locked it), or 'pid unknown'."""
  deadline = time.monotonic() + _HOLDER_WAIT_SECONDS
  while True:
    try:
      with open(path, encoding='utf-8', errors='replace') as f:
        lines = f.read().splitlines()
    except OSError:
      lines = []
    holders = []
    for line in lines:
      pid, _, command = line.strip().partition(' ')
      if pid.isdigit() and int(pid) != os.getpid() and _is_running(int(pid)):
        holders.append('pid %s: %s' % (pid, command) if command else 'pid ' + pid)
    if holders or time.monotonic() >= deadline:
      return '; '.join(holders) or 'pid unknown'
    time.sleep(0.05)


def _open_lock_file(directory: str, shared: bool) -> Optional[int]:
  """The lock file open for flock (and appending), created if missing; None where a
  shared hold cannot be had (no such directory: the checker then fails on its own;
  read-only)."""
  path = _layout.lock_path(directory)
  if not os.path.isdir(directory):
    return None
  try:
    return os.open(path, os.O_RDWR | os.O_APPEND | os.O_CREAT | os.O_CLOEXEC, 0o644)
  except OSError as e:
    if not shared or e.errno not in _READ_ONLY_ERRNOS:
      raise
  try:
    return os.open(path, os.O_RDONLY | os.O_CLOEXEC)
  except OSError:
    logging.warning('%s: cannot create %s (read-only?); checking without the run lock',
                    directory, _layout.LOCK_FILENAME)
    return None


def _write_holder(fd: int, line: bytes, afresh: bool) -> None:
  try:
    if afresh:
      os.ftruncate(fd, 0)
    os.write(fd, line)  # appended (O_APPEND): whole, beside other readers' lines
  except OSError:
    pass  # opened read-only: the lines are only for messages


def _lock(fd: int, shared: bool, line: bytes) -> None:
  """Locks `fd` for a hold and adds the holder's `line` to the file: alone (an
  exclusive hold, or the first reader) it starts the file afresh, dropping the lines
  of gone processes; beside other readers it adds its own.

  Raises:
    BlockingIOError: another process holds the lock (exclusively, or at all for an
      exclusive hold).
  """
  try:
    fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
  except BlockingIOError:
    if not shared:
      raise
    fcntl.flock(fd, fcntl.LOCK_SH | fcntl.LOCK_NB)
    _write_holder(fd, line, afresh=False)
    return
  _write_holder(fd, line, afresh=True)
  if shared:
    fcntl.flock(fd, fcntl.LOCK_SH | fcntl.LOCK_NB)


def _take(directory: str, shared: bool, command: Sequence[str]) -> Optional[_Hold]:
  fd = _open_lock_file(directory, shared)
  if fd is None:
    return None
  try:
    _lock(fd, shared, ('%d %s\n' % (os.getpid(), shlex.join(command))).encode('utf-8'))
  except BlockingIOError:
    os.close(fd)
    raise DirectoryLockedError(
        '%s is in use by another run (%s); wait for it to end, or stop it' %
        (directory, _holders(_layout.lock_path(directory)))) from None
  except OSError as e:
    os.close(fd)
    if e.errno not in _NO_LOCKS_ERRNOS:
      raise
    logging.warning('%s: its file system cannot lock files (%s); nothing stops another '
                    'run from writing into it at the same time', directory, e.strerror)
    return None
  return _Hold(fd, shared)


@contextlib.contextmanager
def hold_directory(directory: str, shared: bool = False,
                   command: Optional[Sequence[str]] = None) -> Iterator[None]:
  """Holds `directory`'s run lock for the block.

  Args:
    directory: local (made if missing, for an exclusive hold) or remote (no lock: a
      warning).
    shared: a reader's hold (the checker); else exclusive (a run that writes).
    command: the command line recorded for the message that refuses another run
      (default: sys.argv).

  Raises:
    DirectoryLockedError: another process holds the lock (exclusively, or at all for
      an exclusive hold); the message names the directory and that process.
    RuntimeError: this process holds it shared and asks for an exclusive hold (a bug).
  """
  if _user_paths.is_remote(directory):
    logging.warning('%s is remote: it has no run lock, so nothing stops another run '
                    'from writing into it at the same time', directory)
    yield
    return
  if not shared:
    os.makedirs(directory, exist_ok=True)
  key = os.path.realpath(directory)
  with _holds_lock:
    hold = _holds.get(key)
    if hold is None:
      hold = _take(directory, shared, sys.argv if command is None else command)
      if hold is not None:
        _holds[key] = hold
    elif hold.shared and not shared:
      raise RuntimeError('%s: this process holds its run lock shared and asks for it '
                         'exclusively' % directory)
    else:
      hold.depth += 1
  try:
    yield
  finally:
    if hold is not None:
      with _holds_lock:
        hold.depth -= 1
        if not hold.depth and _holds.get(key) is hold:
          del _holds[key]
          os.close(hold.fd)
