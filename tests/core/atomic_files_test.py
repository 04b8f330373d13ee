"""Tests of inception.core._atomic_files."""

import os

from absl.testing import absltest
import tensorflow as tf

from inception.core import _atomic_files


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

  def test_stale_temporaries_are_removed(self):
    directory = self.create_tempdir().full_path
    stale = _atomic_files.temporary_path(os.path.join(directory, 'shard'))
    open(stale, 'wb').close()
    open(os.path.join(directory, 'keep'), 'wb').close()
    self.assertEqual(_atomic_files.remove_stale_temporaries(directory), 1)
    self.assertEqual(os.listdir(directory), ['keep'])

  def test_remote_path(self):
    # ram:// is served by tf.io.gfile like gs://. (Its `exists` matches any name that
    # starts with the path, the temporary too: listdir tells what is there.)
    directory = 'ram://atomic_files_test'
    tf.io.gfile.makedirs(directory)
    path = directory + '/out.txt'
    with _atomic_files.atomic_output(path, 'w') as f:
      f.write('abc')
      written = tf.io.gfile.listdir(directory)
      self.assertLen(written, 1)
      self.assertTrue(_atomic_files.is_temporary_path(written[0]))
    with self.assertRaises(RuntimeError):
      with _atomic_files.atomic_output(path, 'w') as f:
        f.write('new')
        raise RuntimeError('boom')
    with tf.io.gfile.GFile(path, 'r') as f:
      self.assertEqual(f.read(), 'abc')
    self.assertEqual(tf.io.gfile.listdir(directory), ['out.txt'])
    with tf.io.gfile.GFile(_atomic_files.temporary_path(path), 'w') as f:
      f.write('stale')
    self.assertEqual(_atomic_files.remove_stale_temporaries(directory), 1)
    self.assertEqual(tf.io.gfile.listdir(directory), ['out.txt'])


if __name__ == '__main__':
  absltest.main()
