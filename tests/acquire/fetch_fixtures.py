"""What the fetch tests share: the mini ImageNet's archives, served by a real HTTP
server on 127.0.0.1, and the Archive specs of its MD5SUMS."""

import hashlib
import os

from absl.testing import absltest

from inception import acquire
from inception import demo
from tests import http_test_server

# The archives demo.generate writes, named as the ILSVRC2012 release names them.
TRAIN_TAR = 'ILSVRC2012_img_train.tar'
VALIDATION_TAR = 'ILSVRC2012_img_val.tar'
TEST_TAR = 'ILSVRC2012_img_test_v10102019.tar'
BBOX_TRAIN_TAR_GZ = 'ILSVRC2012_bbox_train_v2.tar.gz'
BBOX_VALIDATION_TGZ = 'ILSVRC2012_bbox_val_v3.tgz'
FILES = (BBOX_TRAIN_TAR_GZ, VALIDATION_TAR, TRAIN_TAR, BBOX_VALIDATION_TGZ)
# The image tarballs, which the first extraction or index that reads them verifies.
IMAGE_TARS = (TRAIN_TAR, VALIDATION_TAR, TEST_TAR)
# A site's login, as a caller defines it.
LOGIN = acquire.Login(site='ImageNet', username_env='IMAGENET_USERNAME',
                      access_key_env='IMAGENET_ACCESS_KEY', netrc_host='image-net.org')
USER = 'alice'
KEY = 'S3cret-Access-Key-0123456789'
CHUNK = 4096


def archives(names, checksums):
  """The Archive of each name: its MD5 from `checksums`, its size unchecked (as for
  a checksums file's MD5)."""
  return [acquire.Archive(name, None, checksums[name]) for name in names]


def read(path):
  with open(path, 'rb') as f:
    return f.read()


def md5(path):
  return hashlib.md5(read(path)).hexdigest()


class FixtureTestCase(absltest.TestCase):
  """A mini ImageNet generated once, served by a fresh server per test."""

  @classmethod
  def setUpClass(cls):
    super().setUpClass()
    directory = os.path.join(absltest.TEST_TMPDIR.value, 'mini_imagenet_fixture')
    cls.fixture = demo.generate(directory, demo.Config(
        num_classes=3, images_per_class=4, num_validation_images=6, num_test_images=2,
        min_side=64, max_side=64))
    for name, path in ((TRAIN_TAR, cls.fixture.train_tar),
                       (VALIDATION_TAR, cls.fixture.validation_tar),
                       (TEST_TAR, cls.fixture.test_tar),
                       (BBOX_TRAIN_TAR_GZ, cls.fixture.bbox_train_tar_gz),
                       (BBOX_VALIDATION_TGZ, cls.fixture.bbox_validation_tgz)):
      assert os.path.basename(path) == name, path
    with open(cls.fixture.checksums_file) as f:
      cls.checksums = acquire.parse_checksums_file(f.read(),
                                                   cls.fixture.checksums_file)

  def setUp(self):
    super().setUp()
    self.server = http_test_server.FileServer(self.fixture.directory, USER,
                                              KEY).start()
    self.addCleanup(self.server.stop)
    self.data_dir = self.create_tempdir().full_path
    self.credentials = acquire.Credentials(USER, KEY)

  def archives(self, names=FILES, checksums=None):
    return archives(names, checksums or self.checksums)

  def fetch(self, files=FILES, checksums=None, **options):
    """fetch_all of `files` from the server, with small transfer settings."""
    settings = dict(credentials=self.credentials, login=LOGIN, chunk_size=CHUNK,
                    backoff_seconds=0.0, progress_interval=0.0)
    settings.update(options)
    return acquire.fetch_all(self.data_dir, self.server.url,
                             self.archives(files, checksums),
                             acquire.FetchOptions(**settings))

  def fetch_local(self, files=FILES, checksums=None, **options):
    """fetch_all of `files` from the fixture's directory."""
    return acquire.fetch_all(self.data_dir, self.fixture.directory,
                             self.archives(files, checksums),
                             acquire.FetchOptions(**options))

  def source(self, name):
    return os.path.join(self.fixture.directory, name)
