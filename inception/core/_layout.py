"""The names beside the shards, defined once (docs/ARCHITECTURE.md).

Every converter and the checker write them in the shards' directory (its
--output_directory, or a driver's DATA_DIR):

  train-00000-of-01024 …, validation-00000-of-00128 …   the shards (names: records)
  index/<shard>.idx               with --write_index: "offset size" per record
  conversion_manifest.json        per split: the plan, record and class counts
  bad_images-<split>.txt          with --skip_bad_images: each image left out, and why
  check_report/                   the checker's JSON, Markdown and PNG reports
  inception-run.lock              the run lock (_directory_lock): who holds the directory

so that a directory converted by build_imagenet_data and one converted by a driver
look the same. A driver's own names (pipeline_state.json, downloads/, raw-data/, ...)
are inception.driver's, and ImageNet's own inception.imagenet's. Every function here
only joins names: none touches the disk. Paths may be remote (gs://…).
"""

from inception.core import _file_io

INDEX_DIRNAME = 'index'
INDEX_SUFFIX = '.idx'
MANIFEST_FILENAME = 'conversion_manifest.json'
BAD_IMAGES_FORMAT = 'bad_images-%s.txt'
CHECK_REPORT_DIRNAME = 'check_report'
# Matches no split's glob (`train-*`, ...); left in place when the run ends.
LOCK_FILENAME = 'inception-run.lock'


def index_dir(output_dir: str) -> str:
  """index/: one DALI / `tfrecord` index file per shard (with --write_index)."""
  return _file_io.join(output_dir, INDEX_DIRNAME)


def index_path(output_dir: str, shard_name: str) -> str:
  """The DALI / `tfrecord` index file of shard `shard_name` (a basename)."""
  return _file_io.join(output_dir, INDEX_DIRNAME, shard_name + INDEX_SUFFIX)


def manifest_path(output_dir: str) -> str:
  """conversion_manifest.json: per split, the plan and what is complete."""
  return _file_io.join(output_dir, MANIFEST_FILENAME)


def bad_images_path(output_dir: str, split: str) -> str:
  """bad_images-<split>.txt: the images --skip_bad_images left out, and why."""
  return _file_io.join(output_dir, BAD_IMAGES_FORMAT % split)


def check_report_dir(output_dir: str) -> str:
  """check_report/: the checker's JSON, Markdown and PNG reports."""
  return _file_io.join(output_dir, CHECK_REPORT_DIRNAME)


def lock_path(directory: str) -> str:
  """The run lock's file in `directory` (a converter's output or a driver's DATA_DIR)."""
  return _file_io.join(directory, LOCK_FILENAME)
