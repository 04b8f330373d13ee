"""The engine under every driver (docs/ARCHITECTURE.md).

A driver (inception.imagenet, inception.flowers) is a list of `Step`s; `run_steps`
runs them in order, records each finished one with its settings and outputs in
DATA_DIR/pipeline_state.json, skips what is finished with the same settings, and
runs again a step named in --redo and every step after it. `check_verdict` turns the
final check into outputs or a `DriverError` (a `ResumableError` where the next run
gets past it: cli then adds `RESUME_HINT`); `closing_lines` are what a driver
prints last (`Finished writing all N images in data set.`). The names every driver's
DATA_DIR has (`state_path`, `downloads_dir`, `raw_data_dir`, ...) are defined here.
"""

import typing

from inception import core

if typing.TYPE_CHECKING:
  from inception.driver._layout import DEMO_SOURCE_DIRNAME
  from inception.driver._layout import DOWNLOADS_DIRNAME
  from inception.driver._layout import RAW_DATA_DIRNAME
  from inception.driver._layout import STATE_FILENAME
  from inception.driver._layout import TRAIN_DIRNAME
  from inception.driver._layout import VALIDATION_DIRNAME
  from inception.driver._layout import demo_source_dir
  from inception.driver._layout import downloads_dir
  from inception.driver._layout import raw_data_dir
  from inception.driver._layout import state_path
  from inception.driver._layout import train_images_dir
  from inception.driver._layout import validation_images_dir
  from inception.driver._outcome import CHECK_MODES
  from inception.driver._outcome import DriverError
  from inception.driver._outcome import RESUME_HINT
  from inception.driver._outcome import ResumableError
  from inception.driver._outcome import check_mode_sample
  from inception.driver._outcome import check_verdict
  from inception.driver._outcome import closing_lines
  from inception.driver._outcome import conversion_outputs
  from inception.driver._outcome import finished_lines
  from inception.driver._outcome import total_images
  from inception.driver._steps import CHECK
  from inception.driver._steps import CONVERT
  from inception.driver._steps import DOWNLOAD
  from inception.driver._steps import EXTRACT
  from inception.driver._steps import Step
  from inception.driver._steps import jsonable
  from inception.driver._steps import pending_steps
  from inception.driver._steps import read_state
  from inception.driver._steps import run_steps
  from inception.driver._steps import write_state

__all__ = [
    'CHECK',
    'CHECK_MODES',
    'CONVERT',
    'DEMO_SOURCE_DIRNAME',
    'DOWNLOAD',
    'DOWNLOADS_DIRNAME',
    'DriverError',
    'EXTRACT',
    'RAW_DATA_DIRNAME',
    'RESUME_HINT',
    'ResumableError',
    'STATE_FILENAME',
    'Step',
    'TRAIN_DIRNAME',
    'VALIDATION_DIRNAME',
    'check_mode_sample',
    'check_verdict',
    'closing_lines',
    'conversion_outputs',
    'demo_source_dir',
    'downloads_dir',
    'finished_lines',
    'jsonable',
    'pending_steps',
    'raw_data_dir',
    'read_state',
    'run_steps',
    'state_path',
    'total_images',
    'train_images_dir',
    'validation_images_dir',
    'write_state',
]

__getattr__, __dir__ = core.exports_on_first_use(__name__, __file__)
