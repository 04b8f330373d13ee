"""Tests of inception.imagenet._archives: the ILSVRC2012 catalogue, its checksums
overrides, the test tar's two names, and ImageNet's login."""

import os

from absl.testing import absltest

from inception import acquire
from inception.imagenet import _archives
from tests.acquire import fetch_fixtures

_read = fetch_fixtures.read


class CatalogueTest(absltest.TestCase):

  def test_known_files_and_overrides(self):
    names = _archives.files_to_fetch(with_bbox_val=True, with_devkit=True)
    self.assertEqual(names, list(_archives.DEFAULT_FILES + _archives.OPTIONAL_FILES))
    archives = {archive.name: archive for archive in _archives.archives(
        names, {_archives.VALIDATION_TAR: 'A' * 32})}
    self.assertEqual(
        archives[_archives.TRAIN_TAR],
        acquire.Archive(_archives.TRAIN_TAR, 147897477120,
                        '1d675b47d978889d74fa0da5fadfb00e'))
    self.assertEqual(archives[_archives.VALIDATION_TAR],
                     acquire.Archive(_archives.VALIDATION_TAR, None, 'a' * 32))
    with self.assertRaisesRegex(ValueError, 'other.tar: no checksum known'):
      _archives.archives(['other.tar'])
    with self.assertRaisesRegex(ValueError, 'is not an MD5'):
      _archives.archives(['x'], {'x': 'abc'})

  def test_login(self):
    self.assertEqual(_archives.LOGIN, acquire.Login(
        'ImageNet', 'IMAGENET_USERNAME', 'IMAGENET_ACCESS_KEY', 'image-net.org'))
    self.assertEqual(_archives.login_for('https://mirror.example/ilsvrc/'),
                     acquire.Login('ImageNet', 'IMAGENET_USERNAME',
                                   'IMAGENET_ACCESS_KEY', 'mirror.example'))


class TestTarTest(fetch_fixtures.FixtureTestCase):
  """The test tar: image-net.org's current name, TFDS's older one accepted too."""

  @classmethod
  def setUpClass(cls):
    super().setUpClass()
    cls.md5 = cls.checksums[_archives.TEST_TAR]

  def test_the_demo_writes_the_archives_of_the_catalogue(self):
    written = [os.path.basename(path) for path in (
        self.fixture.bbox_train_tar_gz, self.fixture.validation_tar,
        self.fixture.train_tar, self.fixture.bbox_validation_tgz,
        self.fixture.test_tar)]
    self.assertEqual(written, _archives.files_to_fetch(with_bbox_val=True,
                                                       with_test=True))

  def test_fetched_only_when_asked(self):
    self.assertNotIn(_archives.TEST_TAR, _archives.files_to_fetch(True, True))
    self.assertEqual(_archives.files_to_fetch(with_test=True)[-1], _archives.TEST_TAR)

  def test_no_md5_without_a_checksums_file_is_a_clear_error(self):
    with self.assertRaisesRegex(
        ValueError, r'^ILSVRC2012_img_test_v10102019\.tar: no checksum known \(none '
        r'is published\); give its MD5 in a checksums file \(--checksums_file'):
      _archives.archives([_archives.TEST_TAR])

  def test_source_directory_may_hold_the_tfds_name(self):
    source = self.create_tempdir().full_path
    os.symlink(self.fixture.test_tar, os.path.join(source, _archives.TFDS_TEST_TAR))
    for checksums in ({_archives.TEST_TAR: self.md5},
                      {_archives.TFDS_TEST_TAR: self.md5}):
      for link_mode in acquire.LINK_MODES:
        data_dir = self.create_tempdir().full_path
        summary = acquire.fetch_all(
            data_dir, source, _archives.archives([_archives.TEST_TAR], checksums),
            acquire.FetchOptions(link_mode=link_mode))
        path = summary.paths[_archives.TEST_TAR]
        self.assertEqual(path, os.path.join(data_dir, _archives.TEST_TAR))
        self.assertEqual(_read(path), _read(self.fixture.test_tar))

  def test_current_name_wins_in_a_source_directory_holding_both(self):
    source = self.create_tempdir().full_path
    os.symlink(self.fixture.test_tar, os.path.join(source, _archives.TEST_TAR))
    with open(os.path.join(source, _archives.TFDS_TEST_TAR), 'wb') as f:
      f.write(b'another file')
    summary = acquire.fetch_all(
        self.create_tempdir().full_path, source,
        _archives.archives([_archives.TEST_TAR], {_archives.TEST_TAR: self.md5}))
    self.assertEqual(_read(summary.paths[_archives.TEST_TAR]),
                     _read(self.fixture.test_tar))

  def test_url_source_is_asked_for_the_current_name(self):
    summary = acquire.fetch_all(
        self.data_dir, self.server.url,
        _archives.archives([_archives.TEST_TAR], {_archives.TEST_TAR: self.md5}),
        acquire.FetchOptions(credentials=self.credentials, login=_archives.LOGIN))
    self.assertEqual(summary.files[0].action, 'downloaded')
    self.assertEqual(self.server.requests[0].path, '/data/' + _archives.TEST_TAR)
    self.assertEqual(_read(summary.paths[_archives.TEST_TAR]),
                     _read(self.fixture.test_tar))


if __name__ == '__main__':
  absltest.main()
