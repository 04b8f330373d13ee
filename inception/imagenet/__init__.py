"""ImageNet (ILSVRC2012): the driver of download_and_preprocess_imagenet.

`run(settings, credentials, redo)` runs download, extract, bounding boxes, validation
relabel, convert and check in-process on the engine of inception.driver, recording
each finished step with its settings in pipeline_state.json, and skips what is
already done; `demo_settings` runs the same on the generated mini ImageNet.
"""

from inception.imagenet._demo import DEMO_TEST_SHARDS
from inception.imagenet._demo import demo_settings
from inception.imagenet._driver import credentials
from inception.imagenet._driver import run
from inception.imagenet._driver import steps_to_run
from inception.imagenet._settings import DOWNLOAD
from inception.imagenet._settings import DOWNLOAD_STEPS
from inception.imagenet._settings import STEPS
from inception.imagenet._settings import Settings
from inception.imagenet._settings import step_names

__all__ = [
    'DEMO_TEST_SHARDS',
    'DOWNLOAD',
    'DOWNLOAD_STEPS',
    'STEPS',
    'Settings',
    'credentials',
    'demo_settings',
    'run',
    'step_names',
    'steps_to_run',
]
