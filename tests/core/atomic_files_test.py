"""Tests of inception.core._atomic_files."""

import json
import os
import subprocess

from absl.testing import absltest

from inception import core
from inception.core import _atomic_files
from tests.core import full_disk

# In a child process: write 1 MiB atomically to argv[1]; print the error's parts.
_WRITE_TOO_MUCH = """
import json, sys
from inception.core import _atomic_files
try:
  _atomic_files.write_bytes(sys.argv[1], bytes(1 << 20))
except OSError as e:
  print(json.dumps([e.errno, e.filename, e.strerror]))
"""


class AtomicOutputTest(absltest.TestCase):

  def test_file_appears_only_when_complete(self):
    path = os.path.join(self.create_tempdir().full_path, 'out.bin')
    with _atomic_files.atomic_output(path) as f:
      f.write(b'abc')
      self.assertFalse(os.path.exists(path))
    with open(path, 'rb') as f:
      self.assertEqual(f.read(), b'abc')
    self.assertEqual(os.listdir(os.path.dirname(path)), ['out.bin'])

  def test_failure_keeps_old_content_and_leaves_no_temporary(self):
    directory = self.create_tempdir().full_path
    path = os.path.join(directory, 'out.txt')
    _atomic_files.write_text(path, 'old')
    with self.assertRaises(RuntimeError):
      with _atomic_files.atomic_output(path, 'w') as f:
        f.write('new')
        raise RuntimeError('boom')
    with open(path) as f:
      self.assertEqual(f.read(), 'old')
    self.assertEqual(os.listdir(directory), ['out.txt'])

  def test_a_full_disk_names_the_file_and_its_directory(self):
    with full_disk.small_directory(self.create_tempdir().full_path) as (directory,
                                                                       limit):
      path = os.path.join(directory, 'out.bin')
      command, env = full_disk.python_command(_WRITE_TOO_MUCH)
      output = subprocess.run(command + [path], env=env, preexec_fn=limit, check=True,
                              capture_output=True, text=True).stdout
      self.assertEqual(os.listdir(directory), [])
    errno, filename, strerror = json.loads(output)
    self.assertIn(os.strerror(errno), strerror)
    self.assertEqual(filename, path)
    self.assertIn('writing into directory %s' % directory, strerror)

  def test_an_error_naming_its_file_is_kept(self):
    with self.assertRaises(OSError) as raised:
      with core.naming_write_errors('/out/a'):
        raise FileNotFoundError(2, 'No such file or directory', '/elsewhere/b')
    self.assertEqual(raised.exception.filename, '/elsewhere/b')
    self.assertIsNone(raised.exception.__cause__)

  def test_stale_temporaries_are_removed(self):
    directory = self.create_tempdir().full_path
    stale = _atomic_files.temporary_path(os.path.join(directory, 'shard'))
    open(stale, 'wb').close()
    open(os.path.join(directory, 'keep'), 'wb').close()
    self.assertEqual(_atomic_files.remove_stale_temporaries(directory), 1)
    self.assertEqual(os.listdir(directory), ['keep'])

  def test_remote_path(self):
    # memory:// (fsspec, this process only) as an object store: no temporary name,
    # the file appears under its own name only when complete.
    directory = 'memory://atomic_files_test'
    path = directory + '/out.txt'
    with _atomic_files.atomic_output(path, 'w') as f:
      f.write('abc')
      f.flush()
      self.assertFalse(core.exists(path))
    with self.assertRaises(RuntimeError):
      with _atomic_files.atomic_output(path, 'w') as f:
        f.write('new')
        raise RuntimeError('boom')
    self.assertEqual(core.read_text(path), 'abc')
    self.assertEqual(core.listdir(directory), ['out.txt'])
    self.assertEqual(_atomic_files.remove_stale_temporaries(directory), 0)

  def test_pending_output_on_a_remote_path(self):
    path = 'memory://atomic_files_test_pending/pending.bin'
    output = _atomic_files.PendingOutput(path)
    output.file.write(b'x' * 10)
    self.assertFalse(core.exists(path))
    output.discard()
    self.assertFalse(core.exists(path))
    output = _atomic_files.PendingOutput(path)
    output.file.write(b'y' * 10)
    output.commit(durable=True)
    self.assertEqual(core.read_bytes(path), b'y' * 10)


if __name__ == '__main__':
  absltest.main()
