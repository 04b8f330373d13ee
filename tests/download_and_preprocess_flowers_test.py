"""Tests the flowers driver binary as users run it: the built binary, from another
working directory, with a relative DATA_DIR, offline (--demo) or from a real HTTP
server on 127.0.0.1."""

import os
import shlex
import shutil
import signal
import sys

from absl.testing import absltest

from tests import binaries
from tests import file_trees
from tests import http_test_server

_BINARY = 'download_and_preprocess_flowers'
_FAST = ['--num_threads=1']


def _downloads(data_dir):
  directory = os.path.join(data_dir, 'downloads')
  return os.listdir(directory) if os.path.isdir(directory) else []


class FlowersBinaryTest(absltest.TestCase):

  @classmethod
  def setUpClass(cls):
    super().setUpClass()
    cls.cwd = absltest.get_default_test_tmpdir()
    cls.demo = binaries.run(_BINARY, ['--demo', 'out/demo'] + _FAST, cls.cwd)
    cls.demo_dir = os.path.join(cls.cwd, 'out', 'demo')

  def test_demo_from_another_directory_then_a_rerun_is_a_no_op(self):
    self.assertEqual(self.demo.returncode, 0, self.demo.stderr[-3000:])
    lines = self.demo.stdout.strip().splitlines()
    self.assertEqual(lines[-2:], ['Finished writing all 15 images in data set.',
                                  'Finished writing all 45 images in data set.'])
    self.assertIn('Check passed', self.demo.stderr)
    self.assertEqual(sorted(file_trees.shard_digests(self.demo_dir)), [
        'train-00000-of-00002', 'train-00001-of-00002',
        'validation-00000-of-00002', 'validation-00001-of-00002'])
    again = binaries.run(_BINARY, ['--demo', 'out/demo'] + _FAST, self.cwd)
    self.assertEqual(again.returncode, 0, again.stderr[-3000:])
    self.assertEqual(again.stdout.strip().splitlines()[-1], lines[-1])
    self.assertEqual(again.stderr.count('already finished, skipped'), 5)

  def test_from_http_on_localhost_gives_the_demo_shards(self):
    data_dir = self.create_tempdir('http').full_path
    # The demo tarball served by a real server: only its checksums differ from the
    # published ones, so the demo's settings fetch it (--source) and run as usual.
    shutil.copytree(os.path.join(self.demo_dir, 'demo-source'),
                    os.path.join(data_dir, 'demo-source'))
    with http_test_server.FileServer(os.path.join(self.demo_dir, 'demo-source')) as server:
      result = binaries.run(_BINARY, ['--demo', '--source=' + server.url +
                                      'flower_photos.tgz', data_dir] + _FAST, self.cwd)
      requested = [r.path for r in server.requests]
    self.assertEqual(result.returncode, 0, result.stderr[-3000:])
    self.assertEqual(requested, ['/data/flower_photos.tgz'])
    self.assertFalse(os.path.islink(os.path.join(data_dir, 'downloads',
                                                 'flower_photos.tgz')))
    self.assertEqual(file_trees.shard_digests(data_dir),
                     file_trees.shard_digests(self.demo_dir))

  def test_a_truncated_tarball_fails_in_one_line_and_leaves_nothing(self):
    source = self.create_tempdir('truncated').full_path
    tarball = os.path.join(self.demo_dir, 'demo-source', 'flower_photos.tgz')
    with open(tarball, 'rb') as f:
      data = f.read()
    with open(os.path.join(source, 'flower_photos.tgz'), 'wb') as f:
      f.write(data[:len(data) // 2])
    data_dir = self.create_tempdir('truncated_out').full_path
    shutil.copytree(os.path.join(self.demo_dir, 'demo-source'),
                    os.path.join(data_dir, 'demo-source'))
    result = binaries.run(_BINARY, ['--demo', '--source=' + source, '--link_mode=copy',
                                    data_dir] + _FAST, self.cwd)
    self.assertEqual(result.returncode, 1)
    error, = result.stderr.strip().splitlines()[-1:]
    self.assertStartsWith(error, 'download_and_preprocess_flowers: error: %s: %d bytes, '
                          'expected %d' % (os.path.join(source, 'flower_photos.tgz'),
                                           len(data) // 2, len(data)))
    self.assertNotIn('Traceback', result.stderr)
    self.assertEqual(_downloads(data_dir), [])
    self.assertFalse(os.path.exists(os.path.join(data_dir, 'raw-data')))
    self.assertNotIn('Finished writing', result.stdout)

  def test_the_published_checksums_refuse_another_file(self):
    source = os.path.join(self.demo_dir, 'demo-source')
    data_dir = self.create_tempdir('not_flowers').full_path
    result = binaries.run(_BINARY, ['--source=' + source, '--link_mode=symlink',
                                    data_dir] + _FAST, self.cwd)
    self.assertEqual(result.returncode, 1)
    self.assertRegex(result.stderr.strip().splitlines()[-1],
                     r'^download_and_preprocess_flowers: error: \S*/demo-source/'
                     r'flower_photos.tgz: \d+ bytes, expected 228813984 ')
    self.assertEqual(_downloads(data_dir), [])


class RunLockTest(absltest.TestCase):
  """One run at a time on a DATA_DIR (issue 24)."""

  def test_a_second_run_on_one_data_dir_is_refused_in_one_line(self):
    cwd = self.create_tempdir().full_path
    data_dir = os.path.join(cwd, 'data')
    args = ['--demo', data_dir] + _FAST
    first = binaries.start(_BINARY, args, cwd, os.path.join(cwd, 'first.log'))
    self.addCleanup(binaries.kill_group, first)
    binaries.wait_for_lock(first, data_dir)
    os.kill(first.pid, signal.SIGSTOP)  # holding the lock, until the second tried
    try:
      second = binaries.run(_BINARY, args, cwd)
    finally:
      os.kill(first.pid, signal.SIGCONT)
    self.assertEqual((second.returncode, second.stderr), (
        1, '%s: error: %s is in use by another run (pid %d: %s); wait for it to end, '
        'or stop it\n' % (_BINARY, data_dir, first.pid, shlex.join([_BINARY] + args))))
    self.assertEqual(first.wait(timeout=240), 0)
    self.assertEqual(sorted(file_trees.shard_digests(data_dir)), [
        'train-00000-of-00002', 'train-00001-of-00002',
        'validation-00000-of-00002', 'validation-00001-of-00002'])


class ResumeHintTest(absltest.TestCase):
  """No resume hint after bad input that a re-run would meet again (issue 24)."""

  def test_a_missing_source_fails_without_the_resume_hint(self):
    cwd = self.create_tempdir().full_path
    result = binaries.run(_BINARY, ['--source=none', 'data'], cwd)
    self.assertEqual(result.returncode, 1)
    self.assertEqual(result.stderr.splitlines()[-1], '%s: error: source directory %s '
                     'does not exist' % (_BINARY, os.path.join(cwd, 'none')))

  def test_a_data_dir_in_a_store_is_refused_before_any_work(self):
    cwd = self.create_tempdir().full_path
    for args in (['--demo'], []):
      result = binaries.run(_BINARY, args + ['s3://no-such-bucket/flowers'], cwd)
      self.assertEqual(result.returncode, 1)
      self.assertEqual(result.stderr, '%s: error: DATA_DIR s3://no-such-bucket/flowers '
                       'is in object storage: the flowers driver extracts its tarball '
                       'into DATA_DIR/raw-data/; give a local DATA_DIR (then copy the '
                       'shards, or convert a split tree in a store with '
                       'build_image_data)\n' % _BINARY)
      self.assertEqual(os.listdir(cwd), [])


if __name__ == '__main__':
  del sys.argv[1:]
  absltest.main()
