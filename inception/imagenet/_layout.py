"""The names of ImageNet's own under DATA_DIR (beside inception.driver's layout).

  raw-data/test/*.JPEG                         with --with_test: the test images, flat
  raw-data/bounding_boxes/, raw-data/validation_bounding_boxes/   the box XMLs, only
                                               with --extract_xml
  raw-data/imagenet_2012_bounding_boxes.csv    (downloads/ with --no_extract)
  raw-data/imagenet_2012_validation_bounding_boxes.csv   likewise
  spool/<split>-<first>-<last>.spool           Hugging Face's images of a range of
                                               shards, while their split is written
                                               (local: for a DATA_DIR in a store,
                                               under $TMPDIR: `spool_dir`)

Every function here only joins names (`spool_dir` for a DATA_DIR in a store also
asks Python where the temporary directory is): none writes. Paths may be remote.
"""

import hashlib
import os
import tempfile

from inception import core
from inception import driver

TEST_DIRNAME = 'test'
BOUNDING_BOXES_DIRNAME = 'bounding_boxes'
VALIDATION_BOUNDING_BOXES_DIRNAME = 'validation_bounding_boxes'
TRAIN_BOXES_CSV = 'imagenet_2012_bounding_boxes.csv'
VALIDATION_BOXES_CSV = 'imagenet_2012_validation_bounding_boxes.csv'
SPOOL_DIRNAME = 'spool'


def test_images_dir(data_dir: str) -> str:
  """raw-data/test: the unlabelled test images, flat."""
  return core.join(data_dir, driver.RAW_DATA_DIRNAME, TEST_DIRNAME)


def train_xml_dir(data_dir: str) -> str:
  """raw-data/bounding_boxes: the train box XMLs, with --extract_xml."""
  return core.join(data_dir, driver.RAW_DATA_DIRNAME, BOUNDING_BOXES_DIRNAME)


def validation_xml_dir(data_dir: str) -> str:
  """raw-data/validation_bounding_boxes: the validation box XMLs."""
  return core.join(data_dir, driver.RAW_DATA_DIRNAME,
                   VALIDATION_BOUNDING_BOXES_DIRNAME)


def boxes_csv_dir(data_dir: str, no_extract: bool) -> str:
  """Where the box CSVs go: raw-data/, or downloads/ when nothing is extracted."""
  return driver.downloads_dir(data_dir) if no_extract else driver.raw_data_dir(data_dir)


def train_boxes_csv(data_dir: str, no_extract: bool = False) -> str:
  """The train images' box CSV (imagenet_2012_bounding_boxes.csv)."""
  return core.join(boxes_csv_dir(data_dir, no_extract), TRAIN_BOXES_CSV)


def validation_boxes_csv(data_dir: str, no_extract: bool = False) -> str:
  """The validation images' box CSV (with --validation_bounding_boxes)."""
  return core.join(boxes_csv_dir(data_dir, no_extract), VALIDATION_BOXES_CSV)


def spool_dir(data_dir: str) -> str:
  """spool/: a spooled source's images while their split is written, on a local
  disk: DATA_DIR/spool/, or for a DATA_DIR in a store (whose objects cannot be
  read back by offset) a directory of that DATA_DIR's own in the local temporary
  directory ($TMPDIR, else /tmp): inception-spool-<MD5 of the URL, 12 digits>."""
  if core.is_remote(data_dir):
    return os.path.join(tempfile.gettempdir(), 'inception-%s-%s' % (
        SPOOL_DIRNAME, hashlib.md5(data_dir.encode('utf-8')).hexdigest()[:12]))
  return core.join(data_dir, SPOOL_DIRNAME)
