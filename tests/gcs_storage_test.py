"""The converter and the checker on GCS, against gcp-storage-emulator on 127.0.0.1.

The emulator is started once for this file; the binaries reach it only through
STORAGE_EMULATOR_HOST, as a user's shell would pass it (core sets
GCSFS_EXPERIMENTAL_ZB_HNS_SUPPORT=false for them: the emulator cannot answer gcsfs's
gRPC bucket-type probe). Shards are compared byte for byte with a local run's.
"""

import os
import subprocess

from absl.testing import absltest
import fsspec

from inception import core
from tests import binaries
from tests import conversion_fixtures as fixtures
from tests import object_stores

_BUCKET = 'inception-gcs-test'
_SYNSETS = fixtures.synset_names(2)
_SERVER = None
_ROOT = None
# Set in this process by core; the binaries must set it themselves (without it each
# bucket first stalls 60 s on a probe the emulator cannot answer).
_SET_BY_CORE = ['GCSFS_EXPERIMENTAL_ZB_HNS_SUPPORT']


def setUpModule():
  global _SERVER, _ROOT
  tmp = absltest.get_default_test_tmpdir()
  _SERVER = object_stores.gcs(os.path.join(tmp, 'gcs-emulator.log'))
  os.environ['STORAGE_EMULATOR_HOST'] = _SERVER.url
  _ROOT = os.path.join(tmp, 'tree')
  object_stores.make_tree(_ROOT, _SYNSETS, 3)


def tearDownModule():
  _SERVER.stop()


def _convert(source: str, output: str) -> subprocess.CompletedProcess:
  return binaries.run('build_imagenet_data',
                      object_stores.converter_args(source, output), cwd=_ROOT,
                      unset=_SET_BY_CORE)


class GcsTest(absltest.TestCase):

  def test_gcs_to_gcs_is_byte_identical_to_local_and_checks(self):
    self.assertFalse(core.exists('gs://' + _BUCKET))  # core set the emulator default
    fsspec.filesystem('gs').mkdir(_BUCKET)
    for parent, _, names in os.walk(os.path.join(_ROOT, 'raw')):
      for name in names:
        path = os.path.join(parent, name)
        with open(path, 'rb') as f:
          core.write_bytes('gs://%s/%s' % (
              _BUCKET, os.path.relpath(path, _ROOT)), f.read())
    local = _convert('raw', 'out')
    self.assertEqual(local.returncode, 0, local.stderr[-3000:])
    remote = _convert('gs://%s/raw' % _BUCKET, 'gs://%s/out' % _BUCKET)
    self.assertEqual(remote.returncode, 0, remote.stderr[-3000:])
    self.assertEqual(remote.stdout, local.stdout)
    out = os.path.join(_ROOT, 'out')
    names = sorted(n for n in os.listdir(out) if n != 'inception-run.lock')
    self.assertEqual(sorted(core.listdir('gs://%s/out' % _BUCKET)), names)
    for name in names:
      with open(os.path.join(out, name), 'rb') as f:
        self.assertEqual(core.read_bytes('gs://%s/out/%s' % (_BUCKET, name)), f.read(),
                         name)
    check = binaries.run('check_tfrecords', ['--nolabel_files', '--sample=0',
                                             'gs://%s/out' % _BUCKET], cwd=_ROOT,
                        unset=_SET_BY_CORE)
    self.assertEqual(check.returncode, 0, check.stderr[-3000:])
    self.assertIn('Check passed: gs://%s/out' % _BUCKET, check.stdout)


if __name__ == '__main__':
  absltest.main()
