"""Tests of inception.acquire._checks: files found in place, hashed or trusted, and
fetched files found corrupt later, moved aside."""

import hashlib
import os

from absl.testing import absltest

from inception import acquire
from inception.acquire import _checks
from inception.acquire import _members
from inception.acquire import _verification
from tests.acquire import fetch_fixtures

_TRAIN_TAR = fetch_fixtures.TRAIN_TAR
_BBOX_TRAIN_TAR_GZ = fetch_fixtures.BBOX_TRAIN_TAR_GZ
_BBOX_VALIDATION_TGZ = fetch_fixtures.BBOX_VALIDATION_TGZ
_read = fetch_fixtures.read
_md5 = fetch_fixtures.md5


class FileInPlaceTest(fetch_fixtures.FixtureTestCase):

  def test_existing_bad_file_is_moved_aside_and_fetched_again(self):
    name = _BBOX_VALIDATION_TGZ
    final = os.path.join(self.data_dir, name)
    with open(final, 'wb') as f:
      f.write(b'not the archive')
    summary = self.fetch([name])
    self.assertEqual(summary.files[0].action, 'downloaded')
    self.assertEqual(_md5(final), self.checksums[name])
    bad_md5 = hashlib.md5(b'not the archive').hexdigest()
    self.assertTrue(os.path.exists(final + _verification.BAD_MD5_INFIX + bad_md5))

  def test_changed_file_is_hashed_again_not_trusted(self):
    name = _BBOX_VALIDATION_TGZ
    self.fetch([name])
    final = os.path.join(self.data_dir, name)
    data = bytearray(_read(final))
    data[-1] ^= 1
    with open(final, 'wb') as f:
      f.write(data)
    self.server.reset_counters()
    self.fetch([name])
    self.assertLen(self.server.requests, 1)
    self.assertEqual(_md5(final), self.checksums[name])

  def test_symlink_verified_on_first_read_is_not_hashed_and_counts_as_fetched(self):
    name = _TRAIN_TAR
    options = dict(link_mode='symlink', verify_on_first_read=fetch_fixtures.IMAGE_TARS)
    summary = self.fetch_local([name, _BBOX_TRAIN_TAR_GZ], **options)
    self.assertEqual([r.action for r in summary.files],
                     ['symlinked, MD5 checked when first read', 'symlinked'])
    path = summary.paths[name]
    self.assertEqual(os.readlink(path), self.source(name))
    self.assertFalse(os.path.exists(path + acquire.STAMP_SUFFIX))
    self.assertTrue(os.path.exists(path + acquire.PENDING_SUFFIX))
    self.assertEqual(acquire.files_needing_fetch(
        self.data_dir, self.archives([name, _BBOX_TRAIN_TAR_GZ])), [])
    again = self.fetch_local([name], **options)
    self.assertEqual(again.files[0].action,
                     'already there, MD5 checked when first read')
    # Another expected MD5 is not the one pending: fetched again (here: hashed now).
    self.assertEqual(acquire.files_needing_fetch(
        self.data_dir, self.archives([name], {name: '0' * 32})), [name])


class CorruptTest(absltest.TestCase):
  """A verified file that a later read finds corrupt is moved aside, never deleted."""

  def setUp(self):
    super().setUp()
    self.downloads = self.create_tempdir().full_path
    self.path = os.path.join(self.downloads, 'a.tar')
    with open(self.path, 'wb') as f:
      f.write(b'cut short')
    self.md5 = hashlib.md5(b'cut short').hexdigest()

  def test_a_verified_file_goes_aside_under_its_stamped_md5(self):
    _verification.write_stamp(self.path, self.md5)
    aside = _checks.move_aside_corrupt(self.path)
    self.assertEqual(aside, self.path + _checks.CORRUPT_INFIX + self.md5)
    self.assertEqual(os.listdir(self.downloads), [os.path.basename(aside)])

  def test_only_archives_of_the_download_directory_are_set_aside(self):
    error = _members.CorruptArchiveError(self.path, 'truncated')
    elsewhere = self.create_tempdir().full_path
    self.assertIsNone(acquire.set_aside_corrupt(error, elsewhere))
    self.assertTrue(os.path.exists(self.path))
    message = acquire.set_aside_corrupt(error, self.downloads)
    self.assertRegex(message, '^%s: truncated; moved aside to %s.corrupt-%s. The '
                     'next run fetches it again' % (self.path, self.path, self.md5))
    self.assertFalse(os.path.exists(self.path))


if __name__ == '__main__':
  absltest.main()
