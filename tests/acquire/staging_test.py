"""Tests of inception.acquire._staging: an extraction's stamp and staging, and the
read of a tarball that awaits verification (symlinked tarballs are not hashed when
linked: the extraction checks their MD5)."""

import hashlib
import os
import shutil

from absl.testing import absltest

from inception import acquire
from inception.acquire import _staging
from tests.acquire import extract_fixtures
from tests.acquire import fetch_fixtures

_TRAIN_TAR = fetch_fixtures.TRAIN_TAR
_VALIDATION_TAR = fetch_fixtures.VALIDATION_TAR
_read = extract_fixtures.read
_write = extract_fixtures.write


class StagingTest(absltest.TestCase):

  def setUp(self):
    super().setUp()
    self.root = self.create_tempdir().full_path

  def test_complete_staging_replaces_the_directory(self):
    final = os.path.join(self.root, 'out')
    os.makedirs(final)
    extract_fixtures.write(os.path.join(final, 'old'), b'old')
    staging = _staging.fresh_staging(self.root, 'out')
    extract_fixtures.write(os.path.join(staging, 'new'), b'new')
    _staging.replace_dir(staging, final)
    _staging.remove_empty_staging(self.root)
    self.assertEqual(extract_fixtures.tree(self.root), {'out/': None,
                                                        'out/new': b'new'})

  def test_stamp_holds_for_the_same_archive_file_only(self):
    archive = extract_fixtures.write(os.path.join(self.root, 'a.tar'), b'a')
    _staging.write_stamp(self.root, archive, count=1)
    self.assertEqual(_staging.stamp_path(self.root, archive),
                     os.path.join(self.root, '.a.tar.extracted'))
    self.assertEqual(_staging.trusted_stamp(self.root, archive)['count'], 1)
    extract_fixtures.write(archive, b'changed')
    self.assertIsNone(_staging.trusted_stamp(self.root, archive))

  def test_plain_file_writer_refuses_names_with_a_path(self):
    with _staging.PlainFileWriter(self.root) as writer:
      writer.write('a.JPEG', b'x')
      with self.assertRaisesRegex(ValueError, 'not a plain file name'):
        writer.write('sub/b.JPEG', b'y')
      with self.assertRaises(FileExistsError):
        writer.write('a.JPEG', b'again')
    self.assertEqual(extract_fixtures.tree(self.root), {'a.JPEG': b'x'})


class VerifiedOnFirstReadTest(extract_fixtures.MiniImagenetTestCase):
  """Symlinked tarballs are not hashed when linked: extraction checks their MD5."""

  @classmethod
  def setUpClass(cls):
    super().setUpClass()
    with open(cls.fixture.checksums_file) as f:
      cls.checksums = acquire.parse_checksums_file(f.read())

  def setUp(self):
    super().setUp()
    self.data_dir = self.create_tempdir().full_path
    self.downloads = os.path.join(self.data_dir, 'downloads')
    self.raw_dir = os.path.join(self.data_dir, 'raw-data')

  def link(self, name, md5=None, source=None):
    """Links `name` from the fixture (or `source`) as the driver does; its path."""
    archive = acquire.Archive(name, None, md5 or self.checksums[name])
    summary = acquire.fetch_all(
        self.downloads, source or self.fixture.directory, [archive],
        acquire.FetchOptions(link_mode='symlink',
                             verify_on_first_read=fetch_fixtures.IMAGE_TARS,
                             progress_interval=0))
    path = summary.paths[name]
    self.assertTrue(os.path.islink(path))
    self.assertTrue(os.path.exists(path + acquire.PENDING_SUFFIX))
    self.assertFalse(os.path.exists(path + acquire.STAMP_SUFFIX))
    return path

  def assert_set_aside(self, raised, path, md5):
    self.assertRegex(str(raised.exception), (
        '^%s: MD5 mismatch: expected 0{32}, actual %s; the file was moved aside to '
        '%s.bad-md5-%s.*The next run fetches it again' % (path, md5, path, md5)))
    self.assertCountEqual(os.listdir(self.downloads),
                          [os.path.basename(path) + '.bad-md5-' + md5])
    self.assertEqual(hashlib.md5(_read(os.readlink(path + '.bad-md5-' + md5)))
                     .hexdigest(), md5)  # The user's file is untouched.

  def test_wrong_md5_of_the_train_tar_keeps_nothing_extracted(self):
    path = self.link(_TRAIN_TAR, '0' * 32)
    with self.assertRaises(acquire.ChecksumMismatch) as raised:
      extract_fixtures.extract_train(path, self.raw_dir, progress_interval=0)
    self.assert_set_aside(raised, path, self.checksums[_TRAIN_TAR])
    self.assertIn('everything extracted from it', str(raised.exception))
    self.assertEqual(os.listdir(self.raw_dir), [])  # No classes, staging or stamp.

  def test_wrong_md5_found_after_an_interrupted_run_removes_its_classes_too(self):
    path = self.link(_TRAIN_TAR, '0' * 32)
    # As if an earlier run of the same unverified tarball had extracted a class.
    stale = os.path.join(self.raw_dir, 'train', 'n00000000')
    os.makedirs(stale)
    _write(os.path.join(stale, 'n00000000_1.JPEG'), b'x')
    with self.assertRaises(acquire.ChecksumMismatch):
      extract_fixtures.extract_train(path, self.raw_dir, progress_interval=0)
    self.assertEqual(os.listdir(self.raw_dir), [])

  def test_wrong_md5_of_the_validation_tar_keeps_nothing_extracted(self):
    path = self.link(_VALIDATION_TAR, '0' * 32)
    with self.assertRaises(acquire.ChecksumMismatch) as raised:
      extract_fixtures.extract_validation(path, self.raw_dir, progress_interval=0)
    self.assert_set_aside(raised, path, self.checksums[_VALIDATION_TAR])
    self.assertIn('nothing extracted from it was kept', str(raised.exception))
    self.assertEqual(os.listdir(self.raw_dir), [])

  def test_a_wrong_file_that_is_also_unreadable_is_reported_as_the_mismatch(self):
    source = self.create_tempdir().full_path
    data = _read(self.fixture.validation_tar)
    _write(os.path.join(source, _VALIDATION_TAR), data[:len(data) // 2])
    path = self.link(_VALIDATION_TAR, '0' * 32, source=source)
    with self.assertRaisesRegex(acquire.ChecksumMismatch, 'MD5 mismatch') as raised:
      extract_fixtures.extract_validation(path, self.raw_dir, progress_interval=0)
    self.assertIsInstance(raised.exception.__cause__, acquire.CorruptArchiveError)
    self.assertEqual(os.listdir(self.raw_dir), [])

  def test_right_md5_is_stamped_and_never_hashed_again(self):
    source = self.create_tempdir().full_path
    data = _read(self.fixture.train_tar)
    source_tar = _write(os.path.join(source, _TRAIN_TAR), data)
    path = self.link(_TRAIN_TAR, source=source)
    counts = extract_fixtures.extract_train(path, self.raw_dir, progress_interval=0)
    self.assertEqual(counts, self.fixture.train_counts)
    self.assertFalse(os.path.exists(path + acquire.PENDING_SUFFIX))
    stamp = path + acquire.STAMP_SUFFIX
    self.assertEqual(_read(stamp).split()[0].decode(),
                     self.checksums[_TRAIN_TAR])
    stamp_mtime = os.stat(stamp).st_mtime_ns
    # Change a byte of image data in place, keeping size and mtime: only a read that
    # hashed the tarball again could notice. Extracting it again does not.
    stat = os.stat(source_tar)
    flipped = bytearray(data)
    flipped[len(data) // 2] ^= 0xff
    _write(source_tar, bytes(flipped))
    os.utime(source_tar, ns=(stat.st_atime_ns, stat.st_mtime_ns))
    shutil.rmtree(self.raw_dir)
    self.assertEqual(
        extract_fixtures.extract_train(path, self.raw_dir, progress_interval=0), counts)
    self.assertEqual(os.stat(stamp).st_mtime_ns, stamp_mtime)
    self.assertTrue(os.path.islink(path))

  def test_a_pending_tarball_is_checked_even_with_an_extraction_stamp(self):
    path = self.link(_VALIDATION_TAR)
    extract_fixtures.extract_validation(path, self.raw_dir, progress_interval=0)
    # Linked again with another expected MD5 (say, a changed checksums file).
    os.remove(path + acquire.STAMP_SUFFIX)
    os.remove(path)
    path = self.link(_VALIDATION_TAR, '0' * 32)
    with self.assertRaises(acquire.ChecksumMismatch):
      extract_fixtures.extract_validation(path, self.raw_dir, progress_interval=0)


if __name__ == '__main__':
  absltest.main()
