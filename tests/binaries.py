"""Starting a built binary of //inception the way a user does, for the binaries' tests.

The binary is the built one (bazel-bin/inception/NAME, with its own runfiles tree), not
the link in the test's runfiles; it runs with stdin closed and without the Bazel test
and runfiles variables, from the working directory the test chooses.
"""

import os
import subprocess
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
