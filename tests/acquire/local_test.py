"""Tests of inception.acquire._local: tarballs copied or symlinked from a directory."""

import json
import os
import subprocess

from absl.testing import absltest

from inception import acquire
from inception.acquire import _local
from inception.acquire import _options
from tests.acquire import fetch_fixtures
from tests.core import full_disk

_FILES = fetch_fixtures.FILES
_TRAIN_TAR = fetch_fixtures.TRAIN_TAR
_BBOX_TRAIN_TAR_GZ = fetch_fixtures.BBOX_TRAIN_TAR_GZ
_read = fetch_fixtures.read
_md5 = fetch_fixtures.md5


class FetchLocalTest(fetch_fixtures.FixtureTestCase):

  def test_copy_then_rerun_copies_nothing(self):
    summary = self.fetch_local()
    self.assertEqual([r.action for r in summary.files], ['copied'] * 4)
    for name in _FILES:
      self.assertFalse(os.path.islink(summary.paths[name]))
      self.assertEqual(_read(summary.paths[name]), _read(self.source(name)))
    again = self.fetch_local()
    self.assertEqual([r.action for r in again.files], ['already verified'] * 4)
    self.assertEqual(again.bytes_transferred, 0)

  def test_symlink(self):
    summary = self.fetch_local(link_mode='symlink')
    self.assertEqual([r.action for r in summary.files], ['symlinked'] * 4)
    for name in _FILES:
      self.assertEqual(os.readlink(summary.paths[name]), self.source(name))

  def test_bad_source_file_is_an_error_and_left_alone(self):
    name = _BBOX_TRAIN_TAR_GZ
    for link_mode in acquire.LINK_MODES:
      with self.assertRaisesRegex(acquire.ChecksumMismatch, 'MD5 mismatch: expected '
                                  + 'f' * 32):
        self.fetch_local([name], {name: 'f' * 32}, link_mode=link_mode)
      self.assertFalse(os.path.lexists(os.path.join(self.data_dir, name)))
    self.assertEqual(_md5(self.source(name)), self.checksums[name])

  def test_missing_source_file(self):
    missing = 'missing.tar.gz'
    with self.assertRaisesRegex(acquire.DownloadError,
                                missing + ': not found in the source'):
      self.fetch_local([missing], {missing: '0' * 32})

  def test_partial_copy_is_continued(self):
    name = _TRAIN_TAR
    data = _read(self.source(name))
    with open(os.path.join(self.data_dir, name + _options.PARTIAL_SUFFIX), 'wb') as f:
      f.write(data[:1000])
    summary = self.fetch_local([name])
    self.assertEqual(summary.files[0].bytes_transferred, len(data) - 1000)
    self.assertEqual(_read(summary.paths[name]), data)

  def test_the_name_wins_over_other_names_in_a_source_directory(self):
    source = self.create_tempdir().full_path
    name, other = fetch_fixtures.TEST_TAR, 'ILSVRC2012_img_test.tar'
    os.symlink(self.fixture.test_tar, os.path.join(source, name))
    with open(os.path.join(source, other), 'wb') as f:
      f.write(b'another file')
    archive = acquire.Archive(name, None, '0' * 32, (other,))
    self.assertEqual(_local.local_source(source, archive), os.path.join(source, name))
    self.assertEqual(
        _local.local_source(source, acquire.Archive(_TRAIN_TAR, None, '0' * 32)),
        os.path.join(source, _TRAIN_TAR))


# In a child process: copy argv[1]'s train tar into argv[2]; print the error.
_COPY_INTO = """
import json, sys
from inception import acquire
name = %r
try:
  acquire.fetch_all(sys.argv[2], sys.argv[1], [acquire.Archive(name, None, '0' * 32)])
except OSError as e:
  print(json.dumps([e.filename, e.strerror]))
""" % _TRAIN_TAR


class FullDiskTest(absltest.TestCase):

  def test_a_full_disk_names_the_partial_download_and_its_directory(self):
    source = self.create_tempdir().full_path
    with open(os.path.join(source, _TRAIN_TAR), 'wb') as f:
      f.write(os.urandom(1 << 20))
    with full_disk.small_directory(self.create_tempdir().full_path) as (target, limit):
      command, env = full_disk.python_command(_COPY_INTO)
      output = subprocess.run(command + [source, target], env=env, preexec_fn=limit,
                              check=True, capture_output=True, text=True).stdout
    filename, strerror = json.loads(output)
    self.assertEqual(os.path.dirname(filename), target)
    self.assertTrue(os.path.basename(filename).startswith(_TRAIN_TAR), filename)
    self.assertIn('writing into directory %s' % target, strerror)


if __name__ == '__main__':
  absltest.main()
