"""The ImageNet driver with its tarballs and DATA_DIR on GCS (gcp-storage-emulator on
127.0.0.1, started once for this file), as tests/s3_driver_test.py on S3.

The mini ImageNet's archives are uploaded to gs://bucket/tarballs; the built driver
runs `--source=gs://.../tarballs --no_extract gs://.../imagenet`, reaching the store
only through STORAGE_EMULATOR_HOST (core sets GCSFS_EXPERIMENTAL_ZB_HNS_SUPPORT for
it), and its shards and closing lines are compared with the same run from a local
directory into a local DATA_DIR (store_driver_runs.StoreToStoreTest).
"""

import os

from absl.testing import absltest

from tests import object_stores
from tests import store_driver_runs

_SERVER = None


def setUpModule():
  global _SERVER
  tmp = absltest.get_default_test_tmpdir()
  _SERVER = object_stores.gcs(os.path.join(tmp, 'gcs-emulator.log'))
  os.environ['STORAGE_EMULATOR_HOST'] = _SERVER.url
  os.environ['GCSFS_EXPERIMENTAL_ZB_HNS_SUPPORT'] = 'false'  # this process's gcsfs
  GcsDriverTest.set_up_store(tmp)


def tearDownModule():
  _SERVER.stop()


class GcsDriverTest(store_driver_runs.StoreToStoreTest):
  PROTOCOL = 'gs'
  BUCKET = 'inception-gcs-driver'
  # Set in this process above; the binaries must set it themselves (core does).
  UNSET = ('GCSFS_EXPERIMENTAL_ZB_HNS_SUPPORT',)


if __name__ == '__main__':
  absltest.main()
