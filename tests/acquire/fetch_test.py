"""Tests of inception.acquire._fetch: fetch_all's sources, checks and summary."""

import os

from absl.testing import absltest

from inception import acquire
from inception.acquire import _fetch
from tests.acquire import fetch_fixtures

_TEST_TAR = fetch_fixtures.TEST_TAR
_read = fetch_fixtures.read


class FetchAllTest(fetch_fixtures.FixtureTestCase):

  def test_url_or_directory(self):
    self.assertTrue(_fetch.is_url('https://image-net.org/data/'))
    self.assertTrue(_fetch.is_url('HTTP://mirror/'))
    self.assertFalse(_fetch.is_url('/mnt/imagenet'))
    self.assertFalse(_fetch.is_url('gs://bucket/imagenet'))

  def test_bad_arguments_are_refused_before_anything_is_fetched(self):
    archives = self.archives([_TEST_TAR])
    with self.assertRaisesRegex(ValueError, 'the download directory gs://bucket/'
                                'downloads is in object storage: only tarballs in '
                                'object storage too'):
      acquire.fetch_all('gs://bucket/downloads', self.fixture.directory, archives)
    with self.assertRaisesRegex(ValueError, "link_mode must be one of .*'hardlink'"):
      acquire.fetch_all(self.data_dir, self.fixture.directory, archives,
                        acquire.FetchOptions(link_mode='hardlink'))
    with self.assertRaisesRegex(ValueError, 'unsupported source file:///x'):
      acquire.fetch_all(self.data_dir, 'file:///x', archives)
    with self.assertRaisesRegex(acquire.DownloadError,
                                'source directory /nonexistent does not exist'):
      acquire.fetch_all(self.data_dir, '/nonexistent', archives)
    self.assertEmpty(os.listdir(self.data_dir))

  def test_other_name_in_a_source_directory(self):
    source = self.create_tempdir().full_path
    other = 'ILSVRC2012_img_test.tar'
    os.symlink(self.fixture.test_tar, os.path.join(source, other))
    archive = acquire.Archive(_TEST_TAR, None, self.checksums[_TEST_TAR], (other,))
    for link_mode in acquire.LINK_MODES:
      data_dir = self.create_tempdir().full_path
      summary = acquire.fetch_all(data_dir, source, [archive],
                                  acquire.FetchOptions(link_mode=link_mode))
      path = summary.paths[_TEST_TAR]
      self.assertEqual(path, os.path.join(data_dir, _TEST_TAR))
      self.assertEqual(_read(path), _read(self.fixture.test_tar))

  def test_summary_logs_each_file_and_the_total(self):
    with self.assertLogs(level='INFO') as logs:
      summary = self.fetch([_TEST_TAR])
    size = os.path.getsize(self.fixture.test_tar)
    self.assertEqual(summary.bytes_transferred, size)
    self.assertTrue(any('%s: downloaded' % _TEST_TAR in line for line in logs.output))
    self.assertIn('Fetched 1 files', logs.output[-1])


if __name__ == '__main__':
  absltest.main()
