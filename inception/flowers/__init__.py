"""The flowers driver: flower_photos.tgz → the fine-tuning tutorial's TFRecords.

`run(settings, redo)` downloads the tarball (verified by MD5, size and SHA-256),
extracts it, holds out `validation_per_class` images per class deterministically,
converts both splits in the generic format of build_image_data and checks the output,
recording each finished step in pipeline_state.json so that a re-run skips it;
inception.demo's `flowers_demo_settings` runs the same on a mini tarball built
locally. `FLOWER_PHOTOS` holds
the published facts of the tarball.
"""

import typing

from inception import core

if typing.TYPE_CHECKING:
  from inception.flowers._archive import Archive
  from inception.flowers._archive import DEFAULT_SOURCE
  from inception.flowers._archive import FLOWERS_TARBALL
  from inception.flowers._archive import FLOWERS_TOP_DIRNAME
  from inception.flowers._archive import FLOWER_PHOTOS
  from inception.flowers._driver import SHARD_COUNTS
  from inception.flowers._driver import STEPS
  from inception.flowers._driver import Settings
  from inception.flowers._driver import VALIDATION_PER_CLASS
  from inception.flowers._driver import refuse_data_dir_in_store
  from inception.flowers._driver import run
  from inception.flowers._split import SplitError

__all__ = [
    'Archive',
    'DEFAULT_SOURCE',
    'FLOWERS_TARBALL',
    'FLOWERS_TOP_DIRNAME',
    'FLOWER_PHOTOS',
    'SHARD_COUNTS',
    'STEPS',
    'Settings',
    'SplitError',
    'VALIDATION_PER_CLASS',
    'refuse_data_dir_in_store',
    'run',
]

__getattr__, __dir__ = core.exports_on_first_use(__name__, __file__)
