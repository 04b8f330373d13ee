"""The converter and the checker on Azure Blob storage, against Azurite on 127.0.0.1.

Azurite (npm; tools/setup.sh installs it) is started once for this file; the binaries
reach it only through AZURE_STORAGE_CONNECTION_STRING, as a user's shell would pass
it, whose account key must appear in no output. Shards are compared byte for byte
with a local run's.
"""

import os
import subprocess

from absl.testing import absltest
import fsspec

from tests import binaries
from tests import conversion_fixtures as fixtures
from tests import object_stores

_CONTAINER = 'inception-azure-test'
_SYNSETS = fixtures.synset_names(2)
_SERVER = None
_ROOT = None


def setUpModule():
  global _SERVER, _ROOT
  tmp = absltest.get_default_test_tmpdir()
  _SERVER = object_stores.azurite(os.path.join(tmp, 'azurite.log'))
  os.environ['AZURE_STORAGE_CONNECTION_STRING'] = (
      object_stores.azurite_connection_string(_SERVER))
  _ROOT = os.path.join(tmp, 'tree')
  object_stores.make_tree(_ROOT, _SYNSETS, 3)


def tearDownModule():
  _SERVER.stop()


def _run(name: str, args) -> subprocess.CompletedProcess:
  result = binaries.run(name, args, cwd=_ROOT)
  assert object_stores.AZURITE_KEY not in result.stdout + result.stderr
  return result


def _convert(source: str, output: str) -> subprocess.CompletedProcess:
  return _run('build_imagenet_data', object_stores.converter_args(source, output))


class AzureTest(absltest.TestCase):

  def test_azure_to_azure_is_byte_identical_to_local_and_checks(self):
    az = fsspec.filesystem('az')
    az.mkdir(_CONTAINER)
    az.put(os.path.join(_ROOT, 'raw'), _CONTAINER + '/raw', recursive=True)
    local = _convert('raw', 'out')
    self.assertEqual(local.returncode, 0, local.stderr[-3000:])
    remote = _convert('az://%s/raw' % _CONTAINER, 'az://%s/out' % _CONTAINER)
    self.assertEqual(remote.returncode, 0, remote.stderr[-3000:])
    self.assertEqual(remote.stdout, local.stdout)
    self.assertLess(len(remote.stderr.splitlines()), 20)  # no request-by-request log
    out = os.path.join(_ROOT, 'out')
    names = sorted(n for n in os.listdir(out) if n != 'inception-run.lock')
    az.invalidate_cache()
    self.assertEqual(sorted(os.path.basename(p) for p in az.ls(_CONTAINER + '/out')),
                     names)
    for name in names:
      with open(os.path.join(out, name), 'rb') as f:
        self.assertEqual(az.cat_file('%s/out/%s' % (_CONTAINER, name)), f.read(), name)
    check = _run('check_tfrecords', ['--nolabel_files', '--sample=0',
                                     'az://%s/out' % _CONTAINER])
    self.assertEqual(check.returncode, 0, check.stderr[-3000:])
    self.assertIn('Check passed: az://%s/out' % _CONTAINER, check.stdout)


if __name__ == '__main__':
  absltest.main()
