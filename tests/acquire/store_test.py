"""Tests of inception.acquire._store: archives in a store recorded and read in place
(fsspec's memory:// store; tests/s3_driver_test.py runs the driver on moto's S3)."""

import os

from absl.testing import absltest
import fsspec

from inception import acquire
from inception.acquire import _store
from tests.acquire import fetch_fixtures

_TRAIN_TAR = fetch_fixtures.TRAIN_TAR
_VALIDATION_TAR = fetch_fixtures.VALIDATION_TAR
_BOXES = fetch_fixtures.BBOX_TRAIN_TAR_GZ


class StoreTest(fetch_fixtures.FixtureTestCase):

  def setUp(self):
    super().setUp()
    self.store = fsspec.filesystem('memory')
    self.prefix = '/%s' % self.id().rsplit('.', 1)[-1]
    self.source = 'memory:/' + self.prefix
    for name in (_TRAIN_TAR, _VALIDATION_TAR, _BOXES):
      self.store.pipe_file('%s/%s' % (self.prefix, name),
                           fetch_fixtures.read(self.fixture_path(name)))
    self.options = acquire.FetchOptions(verify_on_first_read=(_TRAIN_TAR,
                                                              _VALIDATION_TAR))

  def fixture_path(self, name):
    return os.path.join(self.fixture.directory, name)

  def test_store_urls(self):
    self.assertTrue(_store.is_store_url('s3://bucket/tarballs'))
    self.assertTrue(_store.is_store_url('gs://bucket/tarballs'))
    self.assertFalse(_store.is_store_url('https://image-net.org/data/'))
    self.assertFalse(_store.is_store_url('/data/tarballs'))
    self.assertFalse(_store.is_store_url('file:///data/tarballs'))

  def test_objects_are_recorded_in_place_and_verified_by_their_index(self):
    names = [_BOXES, _VALIDATION_TAR, _TRAIN_TAR]
    summary = acquire.fetch_all(self.data_dir, self.source,
                                self.archives(names), self.options)
    self.assertEqual(summary.paths, {name: '%s/%s' % (self.source, name)
                                     for name in names})
    self.assertEqual(summary.bytes_transferred, 0)
    # Nothing copied: the box archive, hashed now, is stamped; the image tarballs
    # await their index.
    self.assertEqual(sorted(os.listdir(self.data_dir)), [
        _BOXES + acquire.STAMP_SUFFIX, _TRAIN_TAR + acquire.PENDING_SUFFIX,
        _VALIDATION_TAR + acquire.PENDING_SUFFIX])
    record = os.path.join(self.data_dir, _VALIDATION_TAR)
    members = acquire.index_flat_tar(summary.paths[_VALIDATION_TAR], record)
    self.assertLen(members, 6)
    self.assertTrue(os.path.exists(record + acquire.STAMP_SUFFIX))
    self.assertFalse(os.path.exists(record + acquire.PENDING_SUFFIX))
    again = acquire.fetch_all(self.data_dir, self.source,
                              self.archives([_VALIDATION_TAR]), self.options)
    self.assertEqual(again.files[0].action, 'in place, already verified')

  def test_a_wrong_md5_found_by_the_index_leaves_the_object_and_names_it(self):
    archive = acquire.Archive(_VALIDATION_TAR, None, '0' * 32)
    summary = acquire.fetch_all(self.data_dir, self.source, [archive], self.options)
    url = summary.paths[_VALIDATION_TAR]
    with self.assertRaisesRegex(acquire.ChecksumMismatch,
                                '^%s: MD5 mismatch: expected 0{32}' % url) as caught:
      acquire.index_flat_tar(url, os.path.join(self.data_dir, _VALIDATION_TAR))
    self.assertIsNone(caught.exception.moved_to)
    self.assertNotIn('\n', str(caught.exception))
    self.assertTrue(self.store.exists('%s/%s' % (self.prefix, _VALIDATION_TAR)))
    self.assertEqual(os.listdir(self.data_dir), [])  # pending record dropped

  def test_a_wrong_size_or_md5_hashed_now_and_a_missing_object(self):
    with self.assertRaisesRegex(acquire.ChecksumMismatch, 'MD5 mismatch'):
      acquire.fetch_all(self.data_dir, self.source,
                        [acquire.Archive(_BOXES, None, '0' * 32)])
    with self.assertRaisesRegex(acquire.ChecksumMismatch, 'size mismatch'):
      acquire.fetch_all(self.data_dir, self.source,
                        [acquire.Archive(_BOXES, 1, self.checksums[_BOXES])])
    with self.assertRaisesRegex(acquire.DownloadError, 'not found in the source'):
      acquire.fetch_all(self.data_dir, self.source + '/nothing-here',
                        self.archives([_BOXES]))

  def test_a_changed_object_is_told_from_its_record(self):
    url = '%s/%s' % (self.source, _BOXES)
    record = acquire.record_of(url)
    self.assertEqual(record[acquire.URL_KEY], url)
    self.assertIsNone(acquire.changed_object(record))
    self.store.pipe_file('%s/%s' % (self.prefix, _BOXES), b'other bytes')
    self.assertRegex(acquire.changed_object(record),
                     '^%s: changed since the download step recorded it' % url)
    self.store.rm_file('%s/%s' % (self.prefix, _BOXES))
    self.assertIn('gone since', acquire.changed_object(record))


if __name__ == '__main__':
  absltest.main()
