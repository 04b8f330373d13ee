"""The ImageNet driver run on the mini ImageNet's tarballs in a store, for the tests
of each store (S3, GCS, Azure): the same flags, the same local run to compare with.

`DriverFixture(root)` generates the mini ImageNet (3 classes, 24 images) under
`root`/fixture and runs the driver once from that local directory into
`root`/local (`local_stdout`, `local_shards`); `upload(fs, prefix)` puts its three
archives under a store prefix; `run(source, data_dir)` runs the built driver with
`--no_extract` and the subset's flags (its MD5s and label files, 2 + 1 shards).
`StoreToStoreTest` is the test of a store's driver run, for a store's test file to
subclass.
"""

import os
import subprocess
from typing import Any, Dict, List, Optional, Sequence

from absl.testing import absltest
import fsspec

from inception import demo
from tests import binaries

BINARY = 'download_and_preprocess_imagenet'


def shards(files: Dict[str, bytes]) -> Dict[str, bytes]:
  """The shards among {name: bytes}."""
  return {name: data for name, data in files.items()
          if name.startswith(('train-', 'validation-'))}


def local_files(directory: str) -> Dict[str, bytes]:
  """{name: bytes} of the files directly in `directory`."""
  found = {}
  for name in os.listdir(directory):
    path = os.path.join(directory, name)
    if os.path.isfile(path):
      with open(path, 'rb') as f:
        found[name] = f.read()
  return found


class DriverFixture:
  """The mini ImageNet under `root`, and the driver's run on it from local disk."""

  def __init__(self, root: str):
    self.root = root
    self.archives = demo.generate(os.path.join(root, 'fixture'), demo.Config(
        num_classes=3, images_per_class=6, num_validation_images=6, min_side=48,
        max_side=96, seed=22))
    self.local_data_dir = os.path.join(root, 'local')
    local = self.run(self.archives.directory, self.local_data_dir)
    if local.returncode:
      raise RuntimeError('the local run failed: %s' % local.stderr[-3000:])
    self.local_stdout = local.stdout
    self.local_shards = shards(local_files(self.local_data_dir))

  def upload(self, fs: Any, prefix: str) -> None:
    """The three archives under `prefix` (bucket/...) of the fsspec file system."""
    for path in (self.archives.train_tar, self.archives.validation_tar,
                 self.archives.bbox_train_tar_gz):
      fs.put_file(path, '%s/%s' % (prefix, os.path.basename(path)))

  def subset_flags(self, *extra: str) -> List[str]:
    """The flags of the mini ImageNet (its MD5s and label files) and small shards."""
    return ['--checksums_file=' + self.archives.checksums_file,
            '--labels_file=' + self.archives.synsets_file,
            '--imagenet_metadata_file=' + self.archives.metadata_file,
            '--validation_labels_file=' + self.archives.validation_labels_file,
            '--train_shards=2', '--validation_shards=1', '--num_threads=2'
            ] + list(extra)

  def run(self, source: str, data_dir: str, *extra: str,
          unset: Sequence[str] = ()) -> subprocess.CompletedProcess:
    """The built driver on `source` into `data_dir` with --no_extract (without the
    variables named in `unset`)."""
    return binaries.run(BINARY, ['--source=' + source, '--no_extract'] +
                        self.subset_flags(*extra) + [data_dir], cwd=self.root,
                        unset=unset)


def stored_files(protocol: str, prefix: str) -> Dict[str, bytes]:
  """{name below `prefix`: bytes} of the objects under `protocol`://`prefix`."""
  fs = fsspec.filesystem(protocol)
  fs.invalidate_cache()
  root = prefix.rstrip('/') + '/'
  return {key[len(root):]: fs.cat_file(key) for key in fs.find(root)}


class StoreToStoreTest(absltest.TestCase):
  """The driver from tarballs in a store into a DATA_DIR there: the local run's
  shards and closing lines, nothing copied. A store's test file subclasses it,
  setting PROTOCOL and BUCKET, and RUNS (a DriverFixture whose archives are under
  BUCKET/tarballs) in its setUpModule; UNSET: variables core sets for the binaries;
  SECRET: a key of the store's variables, in no output."""
  PROTOCOL = ''
  BUCKET = ''
  RUNS: Optional[DriverFixture] = None
  UNSET: Sequence[str] = ()
  SECRET = ''

  @classmethod
  def set_up_store(cls, root: str) -> None:
    """RUNS under `root` (the local run included), its archives in BUCKET/tarballs
    (call from setUpModule, the store's variables set)."""
    cls.RUNS = DriverFixture(root)
    fs = fsspec.filesystem(cls.PROTOCOL)
    fs.mkdir(cls.BUCKET)
    cls.RUNS.upload(fs, cls.BUCKET + '/tarballs')

  def test_store_to_store_is_byte_identical_to_local_and_copies_nothing(self):
    url = '%s://%s' % (self.PROTOCOL, self.BUCKET)
    result = self.RUNS.run(url + '/tarballs', url + '/imagenet', unset=self.UNSET)
    self.assertEqual(result.returncode, 0, result.stderr[-3000:])
    self.assertNotIn('Traceback', result.stderr)
    if self.SECRET:
      self.assertNotIn(self.SECRET, result.stdout + result.stderr)
    self.assertEqual(result.stdout.splitlines()[1:],
                     self.RUNS.local_stdout.splitlines()[1:])  # the closing lines
    objects = stored_files(self.PROTOCOL, self.BUCKET + '/imagenet')
    self.assertLen(self.RUNS.local_shards, 3)
    self.assertEqual(shards(objects), self.RUNS.local_shards)
    self.assertEqual(sorted(name for name in objects if name.startswith('downloads/')),
                     ['downloads/ILSVRC2012_bbox_train_v2.tar.gz.md5-verified',
                      'downloads/ILSVRC2012_img_train.tar.md5-verified',
                      'downloads/ILSVRC2012_img_val.tar.md5-verified',
                      'downloads/imagenet_2012_bounding_boxes.csv'])
