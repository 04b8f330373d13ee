"""ImageNet (ILSVRC2012): the driver of download_and_preprocess_imagenet.

`run(settings, credentials, redo)` runs download, extract, bounding boxes, validation
relabel, convert and check in-process on the engine of inception.driver, recording
each finished step with its settings in pipeline_state.json, and skips what is
already done; `demo_settings` runs the same on the generated mini ImageNet.

The ILSVRC2012 archives (_archives): their names, sizes and MD5s (`KNOWN_FILES`,
`archives`), the default source and its login; and their extraction into raw-data/
(_extraction: `extract_all`).
"""

from inception.imagenet._archives import ACCESS_KEY_ENV
from inception.imagenet._archives import BBOX_TRAIN_TAR_GZ
from inception.imagenet._archives import BBOX_VALIDATION_TGZ
from inception.imagenet._archives import DEFAULT_BASE_URL
from inception.imagenet._archives import DEFAULT_FILES
from inception.imagenet._archives import DEVKIT_TAR_GZ
from inception.imagenet._archives import IMAGE_TARS
from inception.imagenet._archives import KNOWN_FILES
from inception.imagenet._archives import LOGIN
from inception.imagenet._archives import OPTIONAL_FILES
from inception.imagenet._archives import TEST_TAR
from inception.imagenet._archives import TFDS_TEST_TAR
from inception.imagenet._archives import TRAIN_TAR
from inception.imagenet._archives import USERNAME_ENV
from inception.imagenet._archives import VALIDATION_TAR
from inception.imagenet._archives import archives
from inception.imagenet._archives import files_to_fetch
from inception.imagenet._archives import login_for
from inception.imagenet._demo import DEMO_TEST_SHARDS
from inception.imagenet._demo import demo_settings
from inception.imagenet._driver import run
from inception.imagenet._driver import steps_to_run
from inception.imagenet._extraction import ExtractResult
from inception.imagenet._extraction import extract_all
from inception.imagenet._extraction import image_extractions
from inception.imagenet._settings import DOWNLOAD
from inception.imagenet._settings import STEPS
from inception.imagenet._settings import Settings
from inception.imagenet._settings import step_names

__all__ = [
    'ACCESS_KEY_ENV',
    'BBOX_TRAIN_TAR_GZ',
    'BBOX_VALIDATION_TGZ',
    'DEFAULT_BASE_URL',
    'DEFAULT_FILES',
    'DEMO_TEST_SHARDS',
    'DEVKIT_TAR_GZ',
    'DOWNLOAD',
    'ExtractResult',
    'IMAGE_TARS',
    'KNOWN_FILES',
    'LOGIN',
    'OPTIONAL_FILES',
    'STEPS',
    'Settings',
    'TEST_TAR',
    'TFDS_TEST_TAR',
    'TRAIN_TAR',
    'USERNAME_ENV',
    'VALIDATION_TAR',
    'archives',
    'demo_settings',
    'extract_all',
    'files_to_fetch',
    'image_extractions',
    'login_for',
    'run',
    'step_names',
    'steps_to_run',
]
