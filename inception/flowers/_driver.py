"""The flowers driver: download → extract → split → convert → check, in-process.

The original's sh_binary download_and_preprocess_flowers, step by step:

  download  flower_photos.tgz into <data_dir>/downloads/ (URL, resuming, or a local
            copy or symlink), checked by MD5, size and SHA-256 (_archive)
  extract   <data_dir>/raw-data/extracted/flower_photos/ by acquire, with its member
            checks, atomically
  split     <data_dir>/raw-data/{train,validation}/<class>/ and raw-data/labels.txt,
            `validation_per_class` images per class held out deterministically (_split)
  convert   <data_dir>/train-?????-of-00002, validation-?????-of-00002 (the generic
            format of build_image_data), validation first
  check     <data_dir>/check_report/ (generic schema)

The state file and its rules are inception.driver's (driver.run_steps keeps it): each finished
step with the settings it ran with and what it produced; a re-run skips a finished step
whose settings are unchanged and runs the others, each idempotent; redoing a step
redoes every step after it.
"""

import dataclasses
import functools
import os
import time
from typing import Any, Callable, Dict, List, Sequence

from inception import acquire
from inception import check
from inception import convert
from inception import core
from inception import driver
from inception.flowers import _archive
from inception.flowers import _split

DOWNLOAD = driver.DOWNLOAD
EXTRACT = driver.EXTRACT
SPLIT = 'split'
CONVERT = driver.CONVERT
CHECK = driver.CHECK
STEPS = (DOWNLOAD, EXTRACT, SPLIT, CONVERT, CHECK)

EXTRACTED_DIRNAME = 'extracted'
VALIDATION_PER_CLASS = 100
SPLIT_SEED = 12345
# The tutorial's shard counts (build_image_data's defaults): 2 train, 2 validation.
SHARD_COUNTS = convert.ShardCounts(train=2, validation=2)


@dataclasses.dataclass(frozen=True)
class Settings:
  """Everything that decides what the driver produces (all paths absolute).

  Attributes:
    data_dir: where everything goes; the shards land directly in it.
    source: URL or local path of the tarball or of its directory.
    link_mode: for a local source: 'copy' or 'symlink'.
    archive: what the tarball must be (the published one, or the demo's).
    validation_per_class: images per class held out for validation.
    split_seed: the seed of that choice.
    shards: the shard counts of train and validation.
    check_mode: 'quick' (decode a sample of images) or 'full' (decode all).
    options: converter options (workers, index files, validation, skipping).
  """
  data_dir: str
  source: str = _archive.DEFAULT_SOURCE
  link_mode: str = 'copy'
  archive: _archive.Archive = _archive.FLOWER_PHOTOS
  validation_per_class: int = VALIDATION_PER_CLASS
  split_seed: int = SPLIT_SEED
  shards: convert.ShardCounts = SHARD_COUNTS
  check_mode: str = 'quick'
  options: convert.ConvertOptions = dataclasses.field(
      default_factory=convert.ConvertOptions)

  def step_settings(self, step: str) -> Dict[str, Any]:
    """The settings a step's output depends on: a change re-runs the step."""
    return {
        DOWNLOAD: {'source': self.source, 'link_mode': self.link_mode,
                   'archive': self.archive._asdict()},
        EXTRACT: {},
        SPLIT: {'validation_per_class': self.validation_per_class,
                'split_seed': self.split_seed},
        CONVERT: {'train_shards': self.shards.train,
                  'validation_shards': self.shards.validation,
                  'write_index': self.options.write_index,
                  'validate_images': self.options.validate_images,
                  'skip_bad_images': self.options.skip_bad_images},
        CHECK: {'check_mode': self.check_mode},
    }[step]


def archive_path(settings: Settings) -> str:
  return os.path.join(driver.downloads_dir(settings.data_dir), settings.archive.name)


def extracted_root(data_dir: str) -> str:
  """raw-data/extracted/flower_photos: the archive's tree, as it holds it."""
  return os.path.join(driver.raw_data_dir(data_dir), EXTRACTED_DIRNAME,
                      _archive.FLOWERS_TOP_DIRNAME)


def labels_file(data_dir: str) -> str:
  return _split.labels_path(driver.raw_data_dir(data_dir))


# The steps. Each returns a JSON-able dict of what it produced.


def run_download(settings: Settings) -> Dict[str, Any]:
  summary = _archive.fetch_archive(driver.downloads_dir(settings.data_dir),
                                   settings.source, settings.archive,
                                   settings.link_mode)
  return {'file': summary.paths[settings.archive.name],
          'bytes_transferred': summary.bytes_transferred}


def run_extract(settings: Settings) -> Dict[str, Any]:
  files = acquire.extract_tree(archive_path(settings),
                               driver.raw_data_dir(settings.data_dir), EXTRACTED_DIRNAME)
  return {'directory': extracted_root(settings.data_dir), 'files': files}


def run_split(settings: Settings) -> Dict[str, Any]:
  counts = _split.split_tree(extracted_root(settings.data_dir),
                             driver.raw_data_dir(settings.data_dir),
                             settings.validation_per_class, settings.split_seed)
  return {'labels_file': labels_file(settings.data_dir),
          'images': {split: sum(by_class.values()) for split, by_class in
                     counts.items()}}


def run_convert(settings: Settings) -> Dict[str, Any]:
  data_dir = settings.data_dir
  results = convert.convert_generic(
      convert.SplitPaths(train=driver.train_images_dir(data_dir),
                         validation=driver.validation_images_dir(data_dir)),
      data_dir, labels_file(data_dir),
      settings.shards,
      settings.options)
  return driver.conversion_outputs(results)


def run_check(settings: Settings) -> Dict[str, Any]:
  """The checker on the output, generic schema, counts from the manifest."""
  report = check.check_directory(
      settings.data_dir,
      sample_fraction=driver.check_mode_sample(settings.check_mode),
      workers=settings.options.workers)
  return driver.check_verdict(report)


# The driver.


def refuse_data_dir_in_store(data_dir: str) -> None:
  """Refuses, in one line and before any work, a DATA_DIR in object storage: the
  driver extracts and splits the tarball into DATA_DIR/raw-data/ (3,670 images, each
  an object there), and the demo writes its tarball under DATA_DIR first.

  Raises:
    ValueError: `data_dir` is a store's URL.
  """
  if core.is_remote(data_dir):
    raise ValueError('DATA_DIR %s is in object storage: the flowers driver extracts '
                     'its tarball into DATA_DIR/raw-data/; give a local DATA_DIR (then '
                     'copy the shards, or convert a split tree in a store with '
                     'build_image_data)' % data_dir)


def steps(settings: Settings) -> List[driver.Step]:
  """The flowers driver's steps, in order (driver.run_steps runs them)."""
  runners = {DOWNLOAD: run_download, EXTRACT: run_extract, SPLIT: run_split,
             CONVERT: run_convert, CHECK: run_check}
  return [driver.Step(name, functools.partial(runners[name], settings),
                        settings.step_settings(name))
          for name in STEPS]


def run(settings: Settings, redo: Sequence[str] = (),
        clock: Callable[[], float] = time.time) -> Dict[str, Any]:
  """Runs the steps that are not finished; returns the state of every step. The
  steps share one pool of worker processes, ended when the run ends.

  Raises:
    driver.DriverError, acquire.DownloadError, acquire.ExtractionError, ValueError (a
      DATA_DIR in a store; a step's own error, naming the file): the steps before it stay recorded as
      finished, so a re-run resumes there.
  """
  refuse_data_dir_in_store(settings.data_dir)
  driver.check_mode_sample(settings.check_mode)  # refuses an unknown mode first
  with settings.options.workers.sharing_one_pool() as workers:
    settings = dataclasses.replace(
        settings, options=dataclasses.replace(settings.options, workers=workers))
    return driver.run_steps(settings.data_dir, steps(settings), redo, clock=clock)
