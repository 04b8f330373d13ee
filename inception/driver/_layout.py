"""The names every driver's DATA_DIR has (docs/ARCHITECTURE.md, "The data directory").

  pipeline_state.json    the finished steps and their settings (driver.run_steps)
  downloads/             the archives as fetched (or linked)
  demo-source/           with --demo: the generated mini data set
  raw-data/train/<class>/, raw-data/validation/<class>/   the images, per class

The names beside the shards (index/, the manifest, ...) are core's; a driver's own
(ImageNet's raw-data/test/, its box CSVs, ...) are its package's. Every function here
only joins names: none touches the disk. Paths may be remote.
"""

from inception import core

STATE_FILENAME = 'pipeline_state.json'
DOWNLOADS_DIRNAME = 'downloads'
DEMO_SOURCE_DIRNAME = 'demo-source'
RAW_DATA_DIRNAME = 'raw-data'
TRAIN_DIRNAME = 'train'
VALIDATION_DIRNAME = 'validation'


def state_path(data_dir: str) -> str:
  """pipeline_state.json: the finished steps, their settings and outputs."""
  return core.join(data_dir, STATE_FILENAME)


def downloads_dir(data_dir: str) -> str:
  """downloads/: the archives as fetched, copied or linked."""
  return core.join(data_dir, DOWNLOADS_DIRNAME)


def demo_source_dir(data_dir: str) -> str:
  """demo-source/: the generated mini data set of --demo."""
  return core.join(data_dir, DEMO_SOURCE_DIRNAME)


def raw_data_dir(data_dir: str) -> str:
  """raw-data/: what the archives are extracted to."""
  return core.join(data_dir, RAW_DATA_DIRNAME)


def train_images_dir(data_dir: str) -> str:
  """raw-data/train: one directory of JPEGs per class."""
  return core.join(data_dir, RAW_DATA_DIRNAME, TRAIN_DIRNAME)


def validation_images_dir(data_dir: str) -> str:
  """raw-data/validation: flat after extraction, per class after the relabel."""
  return core.join(data_dir, RAW_DATA_DIRNAME, VALIDATION_DIRNAME)
