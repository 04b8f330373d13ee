"""What a conversion is asked (its options, sources and shard counts) and what it gives.

`ConvertOptions` is how to run (none of it changes the records' bytes), built once at
the edge (the flags, a driver's settings) and passed whole; `SplitPaths` says where
each split's images are and `ShardCounts` how many shards each gets. A finished
split is a `SplitResult`, whose `summary_line()` the binaries print.
"""

import dataclasses
from typing import Callable, NamedTuple, Optional, Tuple

from inception import core
from inception import records

LOCAL_RUNNER = 'local'


class ConversionError(RuntimeError):
  """The output directory or the run cannot give a correct, complete split."""


@dataclasses.dataclass(frozen=True)
class ConvertOptions:
  """How to run a conversion (none of these change the records' bytes).

  Attributes:
    workers: the workers of the shards (core.Workers; default: one local process
      per core; `workers.dask`: a Dask cluster); a Beam DirectRunner, or the local
      Dask cluster of `--runner=DaskRunner` without an address, gets as many.
    validate_images: one of records.VALIDATE_IMAGES ('none', 'structure', 'full');
      the default, records.DEFAULT_VALIDATE_IMAGES, is decided here for a
      conversion, and each shard task gets this value.
    skip_bad_images: leave bad images out and list them, instead of failing.
    overwrite: rewrite every shard, even complete ones of the same plan, and delete
      shards of the split that belong to another plan.
    write_index: write `<output>/index/<shard>.idx` (docs/FORMAT.md, "Index files")
      with each shard.
    progress_interval: seconds between progress lines.
    runner: 'local' (the workers: processes of this machine, or their Dask
      cluster), 'DaskRunner' (the Dask cluster the Beam options name, on the same
      engine), or an Apache Beam runner's name: 'DirectRunner' (this machine,
      multi-process), 'DataflowRunner', ...
    beam_pipeline_args: options for a Beam runner as '--name=value' strings (project,
      region, temp_location, num_workers, setup_file, direct_num_workers, ...).

  Raises:
    ValueError: validate_images is not one of records.VALIDATE_IMAGES.
  """
  workers: core.Workers = dataclasses.field(default_factory=core.Workers)
  validate_images: str = records.DEFAULT_VALIDATE_IMAGES
  skip_bad_images: bool = False
  overwrite: bool = False
  write_index: bool = False
  progress_interval: float = 10.0
  runner: str = LOCAL_RUNNER
  beam_pipeline_args: Tuple[str, ...] = ()

  def __post_init__(self):
    if self.validate_images not in records.VALIDATE_IMAGES:
      raise ValueError('validate_images must be one of %s, got %r' %
                       (', '.join(records.VALIDATE_IMAGES), self.validate_images))


@dataclasses.dataclass(frozen=True)
class SplitPaths:
  """A path per split: where its images are (None or '': the split is not converted).

  For a folder-per-class set, each is the directory holding a folder per class.
  """
  train: Optional[str] = None
  validation: Optional[str] = None
  test: Optional[str] = None


@dataclasses.dataclass(frozen=True)
class ShardCounts:
  """How many shards each split is cut into (the test split's: only ImageNet has
  one, and ImageNet's count is the default)."""
  train: int
  validation: int
  test: int = records.IMAGENET_TEST_SHARDS


class SplitResult(NamedTuple):
  """What a split's conversion produced."""
  split: str
  num_shards: int
  num_images: int
  skipped: Tuple[records.SkippedImage, ...]
  shard_paths: Tuple[str, ...]
  num_reused_shards: int
  num_input_bytes: int
  report_path: Optional[str]

  def summary_line(self) -> str:
    """The original's last line for a split, printed by the binaries and the driver."""
    return finished_line(self.num_images)


def finished_line(num_images: int) -> str:
  """The line the original printed after each split: `Finished writing all N …`."""
  return 'Finished writing all %d images in data set.' % num_images


SplitCallback = Callable[[SplitResult], None]
