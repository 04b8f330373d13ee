"""Tests for inception.core._directory_lock: one run at a time in a directory.

The other runs are real processes (a flock held by this process's own registry would
not stand for them): `_Holder` takes the lock in a child interpreter and keeps it
until told to let go, or until it is killed.
"""

import glob
import os
import re
import shlex
import signal
import subprocess
import sys
import textwrap
import time

from absl.testing import absltest

from inception import core
from inception.core import _directory_lock

_HOLDER_PROGRAM = textwrap.dedent('''
    import sys
    from inception import core
    with core.hold_directory(sys.argv[1], shared=sys.argv[2] == 'shared',
                             command=['holder', '--of', sys.argv[1]]):
      print('held', flush=True)
      sys.stdin.read()  # until this end of the pipe closes
''')


class _Holder:
  """A child process holding the run lock of `directory` (shared or not)."""

  def __init__(self, directory: str, shared: bool = False):
    self.process = subprocess.Popen(
        [sys.executable, '-c', _HOLDER_PROGRAM, directory,
         'shared' if shared else 'exclusive'],
        stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
        text=True)
    self.held = self.process.stdout.readline().strip() == 'held'

  def release(self) -> int:
    """Lets go (the process ends); its exit status."""
    self.process.stdin.close()
    status = self.process.wait(timeout=60)
    self._close_pipes()
    return status

  def kill(self) -> None:
    self.process.kill()
    self.process.wait(timeout=60)
    self.process.stdin.close()
    self._close_pipes()

  def _close_pipes(self) -> None:
    self.process.stdout.close()
    self.process.stderr.close()

  def line(self) -> str:
    """How a refusal names it."""
    return 'pid %d: holder --of %s' % (self.process.pid, self.process.args[3])


class DirectoryLockTest(absltest.TestCase):

  def setUp(self):
    super().setUp()
    self.directory = self.create_tempdir().full_path

  def hold_in_child(self, shared=False, directory=None):
    holder = _Holder(directory or self.directory, shared)
    self.addCleanup(lambda: holder.process.poll() is None and holder.kill())
    if not holder.held:
      self.fail('the child did not take the lock: ' + holder.process.stderr.read())
    return holder

  def assert_refused(self, holders, shared=False):
    with self.assertRaises(core.DirectoryLockedError) as refused:
      with core.hold_directory(self.directory, shared=shared):
        self.fail('held twice')
    self.assertEqual(str(refused.exception),
                     '%s is in use by another run (%s); wait for it to end, or stop it'
                     % (self.directory, '; '.join(h.line() for h in holders)))

  def test_a_second_exclusive_hold_is_refused_naming_the_holder(self):
    holder = self.hold_in_child()
    self.assert_refused([holder])
    self.assert_refused([holder], shared=True)  # a checker cannot read while it writes
    self.assertEqual(holder.release(), 0)
    with core.hold_directory(self.directory):
      with open(core.lock_path(self.directory)) as f:
        self.assertEqual(f.read(), '%d %s\n' % (os.getpid(), shlex.join(sys.argv)))

  def test_shared_holds_go_together_but_not_with_an_exclusive_one(self):
    first = self.hold_in_child(shared=True)
    with core.hold_directory(self.directory, shared=True):
      second = self.hold_in_child(shared=True)
    # A converter cannot start while checkers read; each is named, none that ended.
    self.assert_refused([first, second])
    self.assertEqual(first.release(), 0)
    self.assert_refused([second])
    self.assertEqual(second.release(), 0)
    with core.hold_directory(self.directory, shared=True, command=['alone']):
      with open(core.lock_path(self.directory)) as f:  # the first alone starts afresh
        self.assertEqual(f.read(), '%d alone\n' % os.getpid())

  def test_a_killed_holder_leaves_no_stale_lock(self):
    holder = self.hold_in_child()
    os.kill(holder.process.pid, signal.SIGKILL)
    holder.kill()
    with core.hold_directory(self.directory, command=['next', 'run']):
      with open(core.lock_path(self.directory)) as f:
        self.assertEqual(f.read(), '%d next run\n' % os.getpid())
    # The file stays, a harmless leftover that no split's glob matches.
    self.assertEqual(os.listdir(self.directory), [core.LOCK_FILENAME])
    for split in ('train', 'validation', 'test'):
      self.assertEqual(glob.glob(os.path.join(self.directory, split + '-*')), [])

  def test_a_nested_hold_in_one_process_reuses_the_outer_one(self):
    with core.hold_directory(self.directory):
      with core.hold_directory(self.directory):  # the driver's converter, say
        with core.hold_directory(os.path.join(self.directory, '.'), shared=True):
          pass
      holder = _Holder(self.directory)  # still held here after the inner ones ended
      self.assertFalse(holder.held)
      self.assertNotEqual(holder.release(), 0)
    self.assertEqual(self.hold_in_child().release(), 0)  # and let go with the outer one

  def test_an_exclusive_hold_inside_a_shared_one_is_a_bug(self):
    with core.hold_directory(self.directory, shared=True):
      with self.assertRaisesRegex(RuntimeError, 'holds its run lock shared'):
        with core.hold_directory(self.directory):
          pass
    self.assertEqual(self.hold_in_child().release(), 0)

  def test_a_forked_child_does_not_keep_the_lock(self):
    with core.hold_directory(self.directory):
      child = os.fork()
      if not child:  # pragma: no cover  (the child)
        time.sleep(60)
        os._exit(0)
    try:
      self.assertEqual(self.hold_in_child().release(), 0)
    finally:
      os.kill(child, signal.SIGKILL)
      os.waitpid(child, 0)

  def test_an_exclusive_hold_makes_the_directory_a_shared_one_does_not(self):
    missing = os.path.join(self.directory, 'a', 'b')
    with core.hold_directory(missing, shared=True):  # the checker then fails itself
      self.assertFalse(os.path.exists(missing))
    with core.hold_directory(missing):
      self.assertTrue(os.path.isfile(core.lock_path(missing)))

  def test_a_holder_that_wrote_nothing_yet_is_named_unknown(self):
    lock_path = core.lock_path(self.directory)
    # A bare flock from another process, which never writes its line.
    process = subprocess.Popen(
        [sys.executable, '-c', 'import fcntl, os, sys; fd = os.open(sys.argv[1], '
         'os.O_RDWR | os.O_CREAT); fcntl.flock(fd, fcntl.LOCK_EX); print("held", '
         'flush=True); sys.stdin.read()', lock_path],
        stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    self.addCleanup(process.stdout.close)
    self.addCleanup(process.wait)
    self.addCleanup(process.stdin.close)
    self.assertEqual(process.stdout.readline().strip(), 'held')
    with self.assertRaisesRegex(core.DirectoryLockedError,
                                '^%s is in use by another run \\(pid unknown\\)' %
                                re.escape(self.directory)):
      with core.hold_directory(self.directory):
        pass

  def test_a_remote_directory_is_not_locked_and_says_so(self):
    with self.assertLogs(level='WARNING') as logs:
      with core.hold_directory('gs://bucket/out'):
        pass
    self.assertIn('gs://bucket/out is remote: it has no run lock, so nothing stops '
                  'another run from writing into it at the same time',
                  '\n'.join(logs.output))

  def test_exported_by_core(self):
    self.assertIs(core.hold_directory, _directory_lock.hold_directory)
    self.assertEqual(core.lock_path('/out'), '/out/inception-run.lock')


if __name__ == '__main__':
  absltest.main()
