"""Starting a built binary of //inception the way a user does, for the binaries' tests.

The binary is the built one (bazel-bin/inception/NAME, with its own runfiles tree), not
the link in the test's runfiles; it runs with stdin closed and without the Bazel test
and runfiles variables, from the working directory the test chooses.
"""

import os
import signal
import subprocess
import time
from typing import Dict, Sequence

from runfiles import runfiles


def path(name: str) -> str:
  """The built binary //inception:<name> (declare it in the test's `data`)."""
  return os.path.realpath(runfiles.Create().Rlocation('inception/inception/' + name))


def user_environment(unset: Sequence[str] = (), **extra: str) -> Dict[str, str]:
  """The environment of a user's shell: no Bazel test or runfiles variables, nor those
  named in `unset`; `extra` added."""
  environ = {k: v for k, v in os.environ.items()
             if not k.startswith(('RUNFILES_', 'TEST_', 'BUILD_')) and k not in unset}
  environ.update(extra)
  return environ


def run(name: str, args: Sequence[str], cwd: str, timeout: float = 240,
        unset: Sequence[str] = (), **environ: str) -> subprocess.CompletedProcess:
  """Runs //inception:<name> with `args` in `cwd`; returns its exit status and output.

  The environment is user_environment(unset, **environ).
  """
  return subprocess.run([path(name)] + list(args), cwd=cwd, stdin=subprocess.DEVNULL,
                        stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                        env=user_environment(unset, **environ), text=True,
                        timeout=timeout)


def lock_holder_pid(directory: str) -> int:
  """The pid that the run lock's file in `directory` names first (0 for none yet)."""
  try:
    with open(os.path.join(directory, 'inception-run.lock')) as f:
      pid = f.readline().split(' ', 1)[0]
  except FileNotFoundError:
    return 0
  return int(pid) if pid.isdigit() else 0


def start(name: str, args: Sequence[str], cwd: str,
          log_path: str) -> subprocess.Popen:
  """Starts //inception:<name> with `args` in `cwd` as `run` does, without waiting,
  in a process group of its own (`kill_group` ends it with its workers); its stdout
  and stderr go to the file `log_path`."""
  with open(log_path, 'w') as log:
    return subprocess.Popen([path(name)] + list(args), cwd=cwd,
                            stdin=subprocess.DEVNULL, stdout=log,
                            stderr=subprocess.STDOUT, env=user_environment(),
                            start_new_session=True)


def kill_group(process: subprocess.Popen) -> None:
  """Kills a process started in a group of its own, with its workers, if still there."""
  if process.poll() is None:
    os.killpg(process.pid, signal.SIGKILL)
  process.wait()


def wait_for_lock(process: subprocess.Popen, directory: str,
                  timeout: float = 120) -> None:
  """Waits until `process` holds the run lock of `directory` (its main has begun).

  Raises:
    AssertionError: it ended first, or `timeout` seconds passed.
  """
  deadline = time.monotonic() + timeout
  while lock_holder_pid(directory) != process.pid:
    if process.poll() is not None or time.monotonic() > deadline:
      raise AssertionError('%s took no lock on %s (status %s)' % (
          process.args[0], directory, process.poll()))
    time.sleep(0.05)
