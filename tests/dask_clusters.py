"""Real dask.distributed clusters on 127.0.0.1 for the tests, started as README says.

`project_venv(directory)` makes what tools/setup.sh makes, cheaply: a venv whose
packages are the shared venv's (a .pth file) and which holds this checkout as an
editable install (`pip install --no-deps --no-build-isolation -e`, setup.sh's own
command) of a copy of the sources under test, with its `dask` command. `Cluster` starts
`dask scheduler` and `dask worker` from it, each in an empty directory of its own,
with no PYTHONPATH, and stops them (process groups) on exit.
"""

import contextlib
import os
import shutil
import signal
import socket
import subprocess
import sys
import sysconfig
import time
from typing import Dict, List, Optional, Sequence

import distributed

from inception import core

START_SECONDS = 60
# The checkout under test: the real path of a module of the `inception` package
# (Bazel's runfiles link to the checkout's files; their __init__.py may be made up).
SOURCE_ROOT = os.path.dirname(os.path.dirname(os.path.dirname(
    os.path.realpath(core.__file__))))


def wait_for(condition, what: str, timeout: float = START_SECONDS):
  deadline = time.monotonic() + timeout
  while time.monotonic() < deadline:
    value = condition()
    if value:
      return value
    time.sleep(0.05)
  raise AssertionError('timed out waiting for ' + what)


def copy_sources(destination: str) -> str:
  """Copies the checkout's package, setup.py and requirements.txt; returns the copy."""
  shutil.copytree(os.path.join(SOURCE_ROOT, 'inception'),
                  os.path.join(destination, 'inception'),
                  ignore=shutil.ignore_patterns('__pycache__'))
  for name in ('setup.py', 'requirements.txt'):
    shutil.copy(os.path.join(SOURCE_ROOT, name), destination)
  return destination


def project_venv(directory: str) -> str:
  """A venv like setup.sh's, with an editable install of a copy of the checkout;
  returns its bin directory (holding `python3` and `dask`)."""
  venv = os.path.join(directory, 'venv')
  subprocess.run([sys.executable, '-m', 'venv', '--without-pip', venv], check=True)
  python = os.path.join(venv, 'bin', 'python3')
  purelib = subprocess.run(
      [python, '-c', 'import sysconfig; print(sysconfig.get_paths()["purelib"])'],
      check=True, capture_output=True, text=True).stdout.strip()
  with open(os.path.join(purelib, 'shared-venv.pth'), 'w') as f:
    f.write(sysconfig.get_paths()['purelib'] + '\n')
  checkout = copy_sources(os.path.join(directory, 'checkout'))
  subprocess.run([sys.executable, '-m', 'pip', '--python', python, 'install', '-q',
                  '--no-deps', '--no-build-isolation', '--no-index', '--no-cache-dir',
                  '--disable-pip-version-check', '-e', checkout],
                 check=True, capture_output=True, env=clean_environment())
  # The venv's `dask` command, as pip writes it for the venv that installs dask.
  with open(os.path.join(os.path.dirname(sys.executable), 'dask')) as f:
    script = f.read().split('\n', 1)[1]
  dask = os.path.join(venv, 'bin', 'dask')
  with open(dask, 'w') as f:
    f.write('#!%s\n%s' % (python, script))
  os.chmod(dask, 0o755)
  return os.path.dirname(dask)


def clean_environment(**extra: str) -> Dict[str, str]:
  """A user's shell environment: no PYTHONPATH, no Bazel test or runfiles variables."""
  environ = {k: v for k, v in os.environ.items()
             if not k.startswith(('RUNFILES_', 'TEST_', 'BUILD_', 'PYTHON'))}
  environ.update(extra)
  return environ


def free_port() -> int:
  with socket.socket() as s:
    s.bind(('127.0.0.1', 0))
    return s.getsockname()[1]


def answers(port: int) -> bool:
  with socket.socket() as s:
    s.settimeout(0.5)
    return s.connect_ex(('127.0.0.1', port)) == 0


class Cluster(object):
  """Dask processes started from commands, each in an empty directory, stopped on exit.

  Args:
    directory: where their directories and logs go.
    environment: added to each process's clean environment (dask configuration).
  """

  def __init__(self, directory: str, environment: Optional[Dict[str, str]] = None):
    self._directory = directory
    self._environment = dict(environment or {})
    self._processes: List[subprocess.Popen] = []
    self.workers: List[subprocess.Popen] = []
    self.address = None

  def __enter__(self) -> 'Cluster':
    return self

  def start_scheduler(self, command: Sequence[str], port: int, address: str) -> str:
    """Starts the scheduler `command` (listening on `port`); returns `address`."""
    self._start('scheduler', command)
    wait_for(lambda: answers(port), 'the scheduler on port %d' % port)
    self.address = address
    return address

  def start_worker(self, command: Sequence[str], **environment: str) -> subprocess.Popen:
    process = self._start('worker%d' % len(self.workers), command, environment)
    self.workers.append(process)
    return process

  def _start(self, name: str, command: Sequence[str],
             environment: Optional[Dict[str, str]] = None) -> subprocess.Popen:
    cwd = os.path.join(self._directory, name)
    os.makedirs(cwd)
    with open(os.path.join(self._directory, name + '.log'), 'wb') as log:
      process = subprocess.Popen(
          list(command), cwd=cwd, stdin=subprocess.DEVNULL, stdout=log,
          stderr=subprocess.STDOUT, start_new_session=True,
          env=clean_environment(**self._environment, **(environment or {})))
    self._processes.append(process)
    return process

  def client(self, **kwargs) -> distributed.Client:
    return distributed.Client(self.address, timeout=START_SECONDS, **kwargs)

  def log(self, name: str) -> str:
    with open(os.path.join(self._directory, name + '.log'), errors='replace') as f:
      return f.read()

  @staticmethod
  def process_ids(process: subprocess.Popen) -> List[int]:
    """The pids of a started command and of every process under it."""
    import psutil  # pylint: disable=g-import-not-at-top  (distributed's dependency)
    with contextlib.suppress(psutil.NoSuchProcess):
      parent = psutil.Process(process.pid)
      return [process.pid] + [p.pid for p in parent.children(recursive=True)]
    return []

  @staticmethod
  def stop(process: subprocess.Popen) -> None:
    """Kills a started command with everything under it."""
    if process.poll() is None:
      with contextlib.suppress(ProcessLookupError):
        os.killpg(process.pid, signal.SIGKILL)
    process.wait(timeout=30)

  def __exit__(self, *unused_exc_info) -> None:
    for process in reversed(self._processes):
      if process.poll() is None:
        with contextlib.suppress(ProcessLookupError):
          os.killpg(process.pid, signal.SIGTERM)
    for process in self._processes:
      try:
        process.wait(timeout=10)
      except subprocess.TimeoutExpired:
        self.stop(process)


def opens(pid: int, path: str) -> bool:
  """True when process `pid` holds `path` open."""
  directory = '/proc/%d/fd' % pid
  try:
    names = os.listdir(directory)
  except FileNotFoundError:
    return False
  for name in names:
    with contextlib.suppress(OSError):
      if os.readlink(os.path.join(directory, name)) == path:
        return True
  return False


def scheduler_command(bin_dir: str, port: int, *extra: str) -> List[str]:
  return [os.path.join(bin_dir, 'dask'), 'scheduler', '--host', '127.0.0.1', '--port',
          str(port), '--no-dashboard'] + list(extra)


def worker_command(bin_dir: str, address: str, *extra: str) -> List[str]:
  return [os.path.join(bin_dir, 'dask'), 'worker', address, '--nthreads', '1',
          '--no-dashboard'] + list(extra)
