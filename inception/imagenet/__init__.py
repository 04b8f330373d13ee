"""ImageNet (ILSVRC2012): its splits' conversion, and the driver of
download_and_preprocess_imagenet.

`convert_imagenet(sources, output_directory, options, ...)` converts the splits from
their directories or, read in place, their tarballs (SplitSources), labelled from the
label files and boxed from the box CSVs (build_imagenet_data and the convert step).

`run(settings, credentials, redo)` runs download, extract, bounding boxes, validation
relabel, convert and check in-process on the engine of inception.driver, recording
each finished step with its settings in pipeline_state.json, and skips what is
already done; `demo_settings` runs the same on the generated mini ImageNet.
"""

from inception.imagenet._demo import DEMO_SHARD_COUNTS
from inception.imagenet._demo import demo_settings
from inception.imagenet._driver import credentials
from inception.imagenet._driver import run
from inception.imagenet._driver import steps_to_run
from inception.imagenet._settings import DOWNLOAD
from inception.imagenet._settings import DOWNLOAD_STEPS
from inception.imagenet._settings import STEPS
from inception.imagenet._settings import Settings
from inception.imagenet._settings import step_names
from inception.imagenet._splits import SHARD_COUNTS
from inception.imagenet._splits import SplitSources
from inception.imagenet._splits import convert_imagenet
from inception.imagenet._splits import find_imagenet_entries
from inception.imagenet._splits import imagenet_classes
from inception.imagenet._splits import read_bounding_boxes

__all__ = [
    'DEMO_SHARD_COUNTS',
    'DOWNLOAD',
    'DOWNLOAD_STEPS',
    'SHARD_COUNTS',
    'STEPS',
    'Settings',
    'SplitSources',
    'convert_imagenet',
    'credentials',
    'demo_settings',
    'find_imagenet_entries',
    'imagenet_classes',
    'read_bounding_boxes',
    'run',
    'step_names',
    'steps_to_run',
]
