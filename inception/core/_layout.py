"""Every name under DATA_DIR, defined once (docs/ARCHITECTURE.md, "The data directory").

The driver's DATA_DIR holds, after a full run:

  train-00000-of-01024 …, validation-00000-of-00128 …   the shards (names: records)
  index/<shard>.idx               with --write_index: "offset size" per record
  conversion_manifest.json        per split: the plan, record and class counts
  bad_images-<split>.txt          with --skip_bad_images: each image left out, and why
  check_report/                   the checker's JSON, Markdown and PNG reports
  pipeline_state.json             the driver's finished steps and their settings
  downloads/                      the tarballs (and, with --no_extract, the box CSVs)
  demo-source/                    with --demo: the generated mini ImageNet
  raw-data/train/<wnid>/*.JPEG, raw-data/validation/[<wnid>/]*.JPEG,
  raw-data/test/*.JPEG (with --with_test),
  raw-data/bounding_boxes/, raw-data/validation_bounding_boxes/ (the XMLs, only with
  --extract_xml),
  raw-data/imagenet_2012_bounding_boxes.csv,
  raw-data/imagenet_2012_validation_bounding_boxes.csv

The converters and the checker take the shards' directory as --output_directory (or
--data_dir); the names on the shards' side (index/, the manifest, the bad-image lists,
the report) are relative to it, so that a directory converted by build_imagenet_data
and one converted by the driver look the same. Every function here only joins names:
none touches the disk. Paths may be remote (gs://…).
"""

from inception.core import _file_io

# Beside the shards.
INDEX_DIRNAME = 'index'
INDEX_SUFFIX = '.idx'
MANIFEST_FILENAME = 'conversion_manifest.json'
BAD_IMAGES_FORMAT = 'bad_images-%s.txt'
CHECK_REPORT_DIRNAME = 'check_report'

# The driver's own.
STATE_FILENAME = 'pipeline_state.json'
DOWNLOADS_DIRNAME = 'downloads'
DEMO_SOURCE_DIRNAME = 'demo-source'

# What the extract step writes, and the box CSVs.
RAW_DATA_DIRNAME = 'raw-data'
TRAIN_DIRNAME = 'train'
VALIDATION_DIRNAME = 'validation'
TEST_DIRNAME = 'test'
BOUNDING_BOXES_DIRNAME = 'bounding_boxes'
VALIDATION_BOUNDING_BOXES_DIRNAME = 'validation_bounding_boxes'
TRAIN_BOXES_CSV = 'imagenet_2012_bounding_boxes.csv'
VALIDATION_BOXES_CSV = 'imagenet_2012_validation_bounding_boxes.csv'


# The shards' directory.


def index_dir(output_dir: str) -> str:
  return _file_io.join(output_dir, INDEX_DIRNAME)


def index_path(output_dir: str, shard_name: str) -> str:
  """The DALI / `tfrecord` index file of shard `shard_name` (a basename)."""
  return _file_io.join(output_dir, INDEX_DIRNAME, shard_name + INDEX_SUFFIX)


def manifest_path(output_dir: str) -> str:
  return _file_io.join(output_dir, MANIFEST_FILENAME)


def bad_images_path(output_dir: str, split: str) -> str:
  return _file_io.join(output_dir, BAD_IMAGES_FORMAT % split)


def check_report_dir(output_dir: str) -> str:
  return _file_io.join(output_dir, CHECK_REPORT_DIRNAME)


# The driver's DATA_DIR.


def state_path(data_dir: str) -> str:
  return _file_io.join(data_dir, STATE_FILENAME)


def downloads_dir(data_dir: str) -> str:
  return _file_io.join(data_dir, DOWNLOADS_DIRNAME)


def demo_source_dir(data_dir: str) -> str:
  return _file_io.join(data_dir, DEMO_SOURCE_DIRNAME)


def raw_data_dir(data_dir: str) -> str:
  return _file_io.join(data_dir, RAW_DATA_DIRNAME)


def train_images_dir(data_dir: str) -> str:
  """raw-data/train: one directory of JPEGs per class."""
  return _file_io.join(data_dir, RAW_DATA_DIRNAME, TRAIN_DIRNAME)


def validation_images_dir(data_dir: str) -> str:
  """raw-data/validation: flat after extraction, per class after the relabel."""
  return _file_io.join(data_dir, RAW_DATA_DIRNAME, VALIDATION_DIRNAME)


def test_images_dir(data_dir: str) -> str:
  """raw-data/test: the unlabelled test images, flat."""
  return _file_io.join(data_dir, RAW_DATA_DIRNAME, TEST_DIRNAME)


def train_xml_dir(data_dir: str) -> str:
  return _file_io.join(data_dir, RAW_DATA_DIRNAME, BOUNDING_BOXES_DIRNAME)


def validation_xml_dir(data_dir: str) -> str:
  return _file_io.join(data_dir, RAW_DATA_DIRNAME, VALIDATION_BOUNDING_BOXES_DIRNAME)


def boxes_csv_dir(data_dir: str, no_extract: bool) -> str:
  """Where the box CSVs go: raw-data/, or downloads/ when nothing is extracted."""
  return downloads_dir(data_dir) if no_extract else raw_data_dir(data_dir)


def train_boxes_csv(data_dir: str, no_extract: bool = False) -> str:
  return _file_io.join(boxes_csv_dir(data_dir, no_extract), TRAIN_BOXES_CSV)


def validation_boxes_csv(data_dir: str, no_extract: bool = False) -> str:
  return _file_io.join(boxes_csv_dir(data_dir, no_extract), VALIDATION_BOXES_CSV)
