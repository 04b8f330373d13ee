"""A small synthetic ImageNet (the four archives, label files, MD5SUMS) for demos and
tests: `generate(directory, Config(...))`.
"""

# The archive names are acquire's; re-exported for tests/acquire, which name them
# demo.TRAIN_TAR etc.
from inception.acquire import BBOX_TRAIN_TAR_GZ
from inception.acquire import BBOX_VALIDATION_TGZ
from inception.acquire import TRAIN_TAR
from inception.acquire import VALIDATION_TAR
from inception.demo._mini_imagenet import BOX_CASE_KINDS
from inception.demo._mini_imagenet import CHECKSUMS_FILE
from inception.demo._mini_imagenet import Config
from inception.demo._mini_imagenet import Fixture
from inception.demo._mini_imagenet import annotation_xml
from inception.demo._mini_imagenet import encode_image
from inception.demo._mini_imagenet import generate
from inception.demo._mini_imagenet import render_photo
from inception.demo._mini_imagenet import validation_filename

__all__ = [
    'BBOX_TRAIN_TAR_GZ',
    'BBOX_VALIDATION_TGZ',
    'BOX_CASE_KINDS',
    'CHECKSUMS_FILE',
    'Config',
    'Fixture',
    'TRAIN_TAR',
    'VALIDATION_TAR',
    'annotation_xml',
    'encode_image',
    'generate',
    'render_photo',
    'validation_filename',
]
