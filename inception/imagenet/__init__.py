"""ImageNet (ILSVRC2012): its splits' conversion, and the driver of
download_and_preprocess_imagenet.

`convert_imagenet(sources, output_directory, options, ...)` converts the splits from
their directories or, read in place, their tarballs (SplitSources), labelled from the
label files and boxed from the box CSVs (build_imagenet_data and the convert step).

`run(settings, credentials, redo)` runs download, extract, bounding boxes, validation
relabel, convert and check in-process on the engine of inception.driver, recording
each finished step with its settings in pipeline_state.json, and skips what is
already done (inception.demo's `imagenet_demo_settings` runs the same on a
generated mini ImageNet).

The ILSVRC2012 archives (_archives): their names, sizes and MD5s (`KNOWN_FILES`,
`archives`), the default source and its login; and their extraction into raw-data/
(_extraction: `extract_all`).

Where else ImageNet comes from (docs/SOURCES.md): `detect_source` tells what --source
holds (`SOURCE_FORMATS`: the tarballs, Kaggle's tree or zip, Hugging Face's parquet
or tar.gz); Kaggle's is read in place (_kaggle: `read_kaggle` reads and checks its
index into `ListedSplits`, which `convert_listed` converts), Hugging Face's is
indexed the same way and spooled a split at a time (_hugging_face:
`read_hugging_face`), with the steps bounding_boxes, convert and check only
(_in_place).
"""

import typing

from inception import core

if typing.TYPE_CHECKING:
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
  from inception.imagenet._driver import credentials
  from inception.imagenet._driver import run
  from inception.imagenet._driver import steps_to_run
  from inception.imagenet._extraction import ExtractResult
  from inception.imagenet._extraction import extract_all
  from inception.imagenet._extraction import image_extractions
  from inception.imagenet._hugging_face import HuggingFaceIndex
  from inception.imagenet._hugging_face import official_name
  from inception.imagenet._hugging_face import read_hugging_face
  from inception.imagenet._kaggle import KAGGLE_ZIP_FILE
  from inception.imagenet._kaggle import KaggleIndex
  from inception.imagenet._kaggle import read_kaggle
  from inception.imagenet._layout import BOUNDING_BOXES_DIRNAME
  from inception.imagenet._layout import TEST_DIRNAME
  from inception.imagenet._layout import TRAIN_BOXES_CSV
  from inception.imagenet._layout import VALIDATION_BOUNDING_BOXES_DIRNAME
  from inception.imagenet._layout import SPOOL_DIRNAME
  from inception.imagenet._layout import VALIDATION_BOXES_CSV
  from inception.imagenet._layout import boxes_csv_dir
  from inception.imagenet._layout import spool_dir
  from inception.imagenet._layout import test_images_dir
  from inception.imagenet._layout import train_boxes_csv
  from inception.imagenet._layout import train_xml_dir
  from inception.imagenet._layout import validation_boxes_csv
  from inception.imagenet._layout import validation_xml_dir
  from inception.imagenet._settings import DOWNLOAD
  from inception.imagenet._settings import DOWNLOAD_STEPS
  from inception.imagenet._settings import IN_PLACE_STEPS
  from inception.imagenet._settings import STEPS
  from inception.imagenet._settings import Settings
  from inception.imagenet._settings import step_names
  from inception.imagenet._sources import AUTO
  from inception.imagenet._sources import HF_PARQUET
  from inception.imagenet._sources import HF_TARGZ
  from inception.imagenet._sources import IN_PLACE
  from inception.imagenet._sources import KAGGLE
  from inception.imagenet._sources import KAGGLE_ZIP
  from inception.imagenet._sources import LISTED
  from inception.imagenet._sources import SOURCE_FORMATS
  from inception.imagenet._sources import SPOOLED
  from inception.imagenet._sources import Source
  from inception.imagenet._sources import SourceError
  from inception.imagenet._sources import TARBALLS
  from inception.imagenet._sources import detect_source
  from inception.imagenet._splits import ListedSplits
  from inception.imagenet._splits import SHARD_COUNTS
  from inception.imagenet._splits import SplitSources
  from inception.imagenet._splits import convert_imagenet
  from inception.imagenet._splits import convert_listed
  from inception.imagenet._splits import find_imagenet_entries
  from inception.imagenet._splits import imagenet_classes
  from inception.imagenet._splits import read_bounding_boxes

__all__ = [
    'ACCESS_KEY_ENV',
    'AUTO',
    'BBOX_TRAIN_TAR_GZ',
    'BBOX_VALIDATION_TGZ',
    'BOUNDING_BOXES_DIRNAME',
    'DEFAULT_BASE_URL',
    'DEFAULT_FILES',
    'DEVKIT_TAR_GZ',
    'DOWNLOAD',
    'DOWNLOAD_STEPS',
    'ExtractResult',
    'HF_PARQUET',
    'HF_TARGZ',
    'HuggingFaceIndex',
    'IMAGE_TARS',
    'IN_PLACE',
    'IN_PLACE_STEPS',
    'KAGGLE',
    'KAGGLE_ZIP',
    'KAGGLE_ZIP_FILE',
    'KNOWN_FILES',
    'KaggleIndex',
    'LISTED',
    'LOGIN',
    'ListedSplits',
    'OPTIONAL_FILES',
    'SHARD_COUNTS',
    'SOURCE_FORMATS',
    'SPOOL_DIRNAME',
    'SPOOLED',
    'STEPS',
    'Settings',
    'Source',
    'SourceError',
    'SplitSources',
    'TARBALLS',
    'TEST_DIRNAME',
    'TEST_TAR',
    'TFDS_TEST_TAR',
    'TRAIN_BOXES_CSV',
    'TRAIN_TAR',
    'USERNAME_ENV',
    'VALIDATION_BOUNDING_BOXES_DIRNAME',
    'VALIDATION_BOXES_CSV',
    'VALIDATION_TAR',
    'archives',
    'boxes_csv_dir',
    'convert_imagenet',
    'convert_listed',
    'credentials',
    'detect_source',
    'extract_all',
    'files_to_fetch',
    'find_imagenet_entries',
    'image_extractions',
    'imagenet_classes',
    'login_for',
    'official_name',
    'read_bounding_boxes',
    'read_hugging_face',
    'read_kaggle',
    'run',
    'spool_dir',
    'step_names',
    'steps_to_run',
    'test_images_dir',
    'train_boxes_csv',
    'train_xml_dir',
    'validation_boxes_csv',
    'validation_xml_dir',
]

__getattr__, __dir__ = core.exports_on_first_use(__name__, __file__)
