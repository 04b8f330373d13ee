"""Tests for inception.flowers._archive: the tarball fetched from a real HTTP server on
127.0.0.1 or a directory, verified by MD5, size and SHA-256."""

import hashlib
import os

from absl.testing import absltest

from inception import acquire
from inception import demo
from inception import flowers
from inception.flowers import _archive
from tests import http_test_server


def _archive_of(path):
  with open(path, 'rb') as f:
    data = f.read()
  return flowers.Archive(os.path.basename(path), len(data),
                         hashlib.md5(data).hexdigest(), hashlib.sha256(data).hexdigest())


class PublishedFactsTest(absltest.TestCase):

  def test_the_tf_flowers_checksums(self):
    # tensorflow-datasets==4.9.10: tensorflow_datasets/datasets/tf_flowers/checksums.tsv
    self.assertEqual(flowers.FLOWER_PHOTOS, flowers.Archive(
        'flower_photos.tgz', 228813984, '6f87fb78e9cc9ab41eff2015b380011d',
        '4c54ace7911aaffe13a365c34f650e71dd5bf1be0a58b464e5a7183e3e595d9c'))
    self.assertEqual(flowers.DEFAULT_SOURCE,
                     'http://download.tensorflow.org/example_images/flower_photos.tgz')


class SourceLocationTest(absltest.TestCase):

  def test_urls_of_the_file_or_of_its_directory(self):
    name = 'flower_photos.tgz'
    self.assertEqual(_archive.source_location('http://h/x/flower_photos.tgz', name),
                     'http://h/x/')
    self.assertEqual(_archive.source_location('https://h/x/', name), 'https://h/x/')

  def test_a_local_file_or_its_directory(self):
    directory = self.create_tempdir().full_path
    path = self.create_tempfile('flower_photos.tgz').full_path
    self.assertEqual(_archive.source_location(path, 'flower_photos.tgz'),
                     os.path.dirname(path))
    self.assertEqual(_archive.source_location(directory, 'flower_photos.tgz'),
                     directory)
    other = self.create_tempfile('flowers.tgz').full_path
    with self.assertRaisesRegex(ValueError, 'flowers.tgz: the tarball must be named'):
      _archive.source_location(other, 'flower_photos.tgz')


class FetchArchiveTest(absltest.TestCase):

  def setUp(self):
    super().setUp()
    self.source = self.create_tempdir('source').full_path
    self.mini = demo.generate_flowers(self.source, demo.FlowersConfig(
        images_per_class=3, max_side=80))
    self.archive = _archive_of(self.mini.path)
    self.downloads = os.path.join(self.create_tempdir('data').full_path, 'downloads')

  def test_download_from_http_resumes_a_cut_transfer(self):
    with http_test_server.FileServer(self.source) as server:
      server.cut_next(after_bytes=self.archive.size // 2)
      summary = _archive.fetch_archive(self.downloads, server.url + 'flower_photos.tgz',
                                       self.archive)
      self.assertEqual([r.action for r in summary.files], ['resumed'])
      self.assertEqual(server.bytes_sent, self.archive.size)
      self.assertEqual([r.range for r in server.requests], [None, 'bytes=%d-' % (
          self.archive.size // 2)])
    self.assertEqual(_archive_of(summary.paths['flower_photos.tgz']), self.archive)

  def test_a_local_file_copied_or_symlinked(self):
    for link_mode in acquire.LINK_MODES:
      downloads = os.path.join(self.downloads, link_mode)
      summary = _archive.fetch_archive(downloads, self.mini.path, self.archive,
                                       link_mode)
      path = summary.paths['flower_photos.tgz']
      self.assertEqual(os.path.islink(path), link_mode == 'symlink')
      self.assertEqual(_archive_of(path), self.archive)

  def test_a_truncated_local_tarball_fails_before_anything_is_copied(self):
    with open(self.mini.path, 'r+b') as f:
      f.truncate(self.archive.size - 100)
    with self.assertRaisesRegex(acquire.DownloadError, '^%s: %d bytes, expected %d' % (
        self.mini.path, self.archive.size - 100, self.archive.size)):
      _archive.fetch_archive(self.downloads, self.source, self.archive)
    self.assertEqual(os.listdir(self.downloads) if os.path.exists(self.downloads)
                     else [], [])

  def test_a_wrong_md5_fails_naming_the_file(self):
    wrong = self.archive._replace(md5='0' * 32)
    with self.assertRaisesRegex(acquire.DownloadError, 'flower_photos.tgz: MD5 mismatch'):
      _archive.fetch_archive(self.downloads, self.source, wrong, 'symlink')
    self.assertFalse(os.path.lexists(os.path.join(self.downloads, 'flower_photos.tgz')))

  def test_a_wrong_sha256_moves_the_download_aside(self):
    wrong = self.archive._replace(sha256='0' * 64)
    with http_test_server.FileServer(self.source) as server:
      with self.assertRaisesRegex(
          acquire.DownloadError,
          r'^\S*/downloads/flower_photos.tgz: size or SHA-256 mismatch: expected '):
        _archive.fetch_archive(self.downloads, server.url, wrong)
    self.assertEqual(sorted(os.listdir(self.downloads)), [
        'flower_photos.tgz.bad-sha256-' + self.archive.sha256,
        'flower_photos.tgz.md5-verified'])


if __name__ == '__main__':
  absltest.main()
