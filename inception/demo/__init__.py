"""TODO docstring for inception.demo."""

from inception.demo._mini_imagenet import BBOX_TRAIN_TAR_GZ
from inception.demo._mini_imagenet import BBOX_VALIDATION_TGZ
from inception.demo._mini_imagenet import BOX_CASE_KINDS
from inception.demo._mini_imagenet import CHECKSUMS_FILE
from inception.demo._mini_imagenet import Config
from inception.demo._mini_imagenet import Fixture
from inception.demo._mini_imagenet import TRAIN_TAR
from inception.demo._mini_imagenet import VALIDATION_TAR
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
