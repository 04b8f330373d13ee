"""The driver of download_and_preprocess_imagenet: its steps, state and resume.

`run(settings, credentials, redo)` runs download, extract, bounding boxes, validation
relabel, convert and check in-process, records each finished step with its settings in
pipeline_state.json, and skips what is already done; `finished_lines` gives the
original's closing lines from that state.
"""

from inception.pipeline._driver import CHECK_MODES
from inception.pipeline._driver import DEMO_TEST_SHARDS
from inception.pipeline._driver import DOWNLOAD
from inception.pipeline._driver import PipelineError
from inception.pipeline._driver import STEPS
from inception.pipeline._driver import Settings
from inception.pipeline._driver import check_verdict
from inception.pipeline._driver import closing_lines
from inception.pipeline._driver import demo_settings
from inception.pipeline._driver import finished_lines
from inception.pipeline._driver import run
from inception.pipeline._driver import step_names
from inception.pipeline._driver import steps_to_run
from inception.pipeline._driver import total_images
from inception.pipeline._steps import Step
from inception.pipeline._steps import read_state
from inception.pipeline._steps import run_steps

__all__ = [
    'CHECK_MODES',
    'DEMO_TEST_SHARDS',
    'DOWNLOAD',
    'PipelineError',
    'STEPS',
    'Settings',
    'Step',
    'check_verdict',
    'closing_lines',
    'demo_settings',
    'finished_lines',
    'read_state',
    'run',
    'run_steps',
    'step_names',
    'steps_to_run',
    'total_images',
]
