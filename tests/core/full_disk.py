"""A directory where writes fail for want of room, for the tests of full-disk errors.

`small_directory` mounts a tmpfs of a few hundred KB (ENOSPC, a real full disk) where
that is permitted (root, as in Bazel's sandbox on Linux); elsewhere it gives a plain
directory and a `preexec_fn` that limits each file's size (RLIMIT_FSIZE: EFBIG, with
SIGXFSZ ignored). Either way the code under test runs in a child process the test
starts with that `preexec_fn` (None on the tmpfs), and `python_command` runs Python
code there with this process's import path.
"""

import contextlib
import os
import resource
import signal
import subprocess
import sys
from typing import Callable, Iterator, List, Optional, Tuple


def _mount_tmpfs(path: str, size: int) -> bool:
  try:
    return subprocess.run(['mount', '-t', 'tmpfs', '-o', 'size=%d' % size, 'tmpfs',
                           path], capture_output=True).returncode == 0
  except OSError:  # no mount command
    return False


def _file_size_limit(size: int) -> Callable[[], None]:
  def limit() -> None:
    signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
    resource.setrlimit(resource.RLIMIT_FSIZE, (size, size))
  return limit


@contextlib.contextmanager
def small_directory(parent: str, size: int = 256 << 10
                    ) -> Iterator[Tuple[str, Optional[Callable[[], None]]]]:
  """Yields (a directory that holds about `size` bytes, the child's preexec_fn)."""
  path = os.path.join(parent, 'small')
  os.makedirs(path)
  mounted = _mount_tmpfs(path, size)
  try:
    yield path, None if mounted else _file_size_limit(size)
  finally:
    if mounted:
      subprocess.run(['umount', path], check=True)


def python_command(code: str) -> Tuple[List[str], dict]:
  """The command and environment that run `code` with this process's imports."""
  env = dict(os.environ, PYTHONPATH=os.pathsep.join(p for p in sys.path if p))
  return [sys.executable, '-c', code], env
