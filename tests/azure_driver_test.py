"""The ImageNet driver with its tarballs and DATA_DIR on Azure Blob storage (Azurite
on 127.0.0.1, started once for this file), as tests/s3_driver_test.py on S3.

The mini ImageNet's archives are uploaded to az://container/tarballs; the built
driver runs `--source=az://.../tarballs --no_extract az://.../imagenet`, reaching
the store only through AZURE_STORAGE_CONNECTION_STRING, and its shards and closing
lines are compared with the same run from a local directory into a local DATA_DIR
(store_driver_runs.StoreToStoreTest); the account key appears in no output.
"""

import os

from absl.testing import absltest

from tests import object_stores
from tests import store_driver_runs

_SERVER = None


def setUpModule():
  global _SERVER
  tmp = absltest.get_default_test_tmpdir()
  _SERVER = object_stores.azurite(os.path.join(tmp, 'azurite.log'))
  os.environ['AZURE_STORAGE_CONNECTION_STRING'] = (
      object_stores.azurite_connection_string(_SERVER))
  AzureDriverTest.set_up_store(tmp)


def tearDownModule():
  _SERVER.stop()


class AzureDriverTest(store_driver_runs.StoreToStoreTest):
  PROTOCOL = 'az'
  BUCKET = 'inception-azure-driver'
  SECRET = object_stores.AZURITE_KEY


if __name__ == '__main__':
  absltest.main()
