"""Tests for inception.atomic_files."""

import os

from absl.testing import absltest

from inception import atomic_files


class AtomicOutputTest(absltest.TestCase):

  def test_file_appears_only_when_complete(self):
    path = os.path.join(self.create_tempdir().full_path, 'out.bin')
    with atomic_files.atomic_output(path) as f:
      f.write(b'abc')
      self.assertFalse(os.path.exists(path))
    with open(path, 'rb') as f:
      self.assertEqual(f.read(), b'abc')
    self.assertEqual(os.listdir(os.path.dirname(path)), ['out.bin'])

  def test_failure_keeps_old_content_and_leaves_no_temporary(self):
    directory = self.create_tempdir().full_path
    path = os.path.join(directory, 'out.txt')
    atomic_files.write_text(path, 'old')
    with self.assertRaises(RuntimeError):
      with atomic_files.atomic_output(path, 'w') as f:
        f.write('new')
        raise RuntimeError('boom')
    with open(path) as f:
      self.assertEqual(f.read(), 'old')
    self.assertEqual(os.listdir(directory), ['out.txt'])

  def test_stale_temporaries_are_removed(self):
    directory = self.create_tempdir().full_path
    stale = atomic_files.temporary_path(os.path.join(directory, 'shard'))
    open(stale, 'wb').close()
    open(os.path.join(directory, 'keep'), 'wb').close()
    self.assertEqual(atomic_files.remove_stale_temporaries(directory), 1)
    self.assertEqual(os.listdir(directory), ['keep'])


if __name__ == '__main__':
  absltest.main()
