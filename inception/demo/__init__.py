"""A small synthetic ImageNet (the four archives, label files, MD5SUMS) for demos and
tests: `generate(directory, Config(...))`; the same images as other publishers ship
ImageNet (docs/SOURCES.md): Kaggle's tree and zip (`write_kaggle_tree`,
`write_kaggle_zip`), Hugging Face's parquet and older tar.gz files (`write_hf_parquet`,
`write_hf_targz`); and a mini flower_photos.tgz:
`generate_flowers(directory, FlowersConfig(...))`. Above the drivers: the settings that
run each driver on its mini data set (`imagenet_demo_settings`, `flowers_demo_settings`,
for the binaries' --demo; `layout_demo_source` for --demo from Kaggle's and Hugging
Face's layouts), the archives under the names of inception.imagenet's catalogue.
"""

import typing

from inception import core

if typing.TYPE_CHECKING:
  from inception.demo._flowers_demo import FLOWERS_DEMO_CONFIG
  from inception.demo._flowers_demo import FLOWERS_DEMO_VALIDATION_PER_CLASS
  from inception.demo._flowers_demo import flowers_demo_archive
  from inception.demo._flowers_demo import flowers_demo_settings
  from inception.demo._hugging_face_layout import HuggingFaceParquet
  from inception.demo._hugging_face_layout import HuggingFaceTarGz
  from inception.demo._hugging_face_layout import ParquetConfig
  from inception.demo._hugging_face_layout import TarGzConfig
  from inception.demo._hugging_face_layout import write_hf_parquet
  from inception.demo._hugging_face_layout import write_hf_targz
  from inception.demo._imagenet_demo import IMAGENET_DEMO_CONFIG
  from inception.demo._imagenet_demo import IMAGENET_DEMO_SHARD_COUNTS
  from inception.demo._imagenet_demo import IMAGENET_DEMO_TEST_IMAGES
  from inception.demo._imagenet_demo import imagenet_demo_settings
  from inception.demo._imagenet_demo import LAYOUT_DEMO_DIRNAMES
  from inception.demo._imagenet_demo import imagenet_demo_source
  from inception.demo._imagenet_demo import layout_demo_source
  from inception.demo._imagenet_demo import refuse_imagenet_demo_in_store
  from inception.demo._kaggle_layout import KAGGLE_ZIP
  from inception.demo._kaggle_layout import KaggleSource
  from inception.demo._kaggle_layout import write_kaggle_tree
  from inception.demo._kaggle_layout import write_kaggle_zip
  from inception.demo._mini_flowers import FLOWERS_TARBALL
  from inception.demo._mini_flowers import FLOWERS_TOP_DIRNAME
  from inception.demo._mini_flowers import FlowersConfig
  from inception.demo._mini_flowers import MiniFlowers
  from inception.demo._mini_flowers import generate_flowers
  from inception.demo._mini_imagenet import BOX_CASE_KINDS
  from inception.demo._mini_imagenet import CHECKSUMS_FILE
  from inception.demo._mini_imagenet import Config
  from inception.demo._mini_imagenet import Fixture
  from inception.demo._mini_imagenet import add_tar_member
  from inception.demo._mini_imagenet import annotation_xml
  from inception.demo._mini_imagenet import encode_image
  from inception.demo._mini_imagenet import generate
  from inception.demo._mini_imagenet import render_photo
  from inception.demo._mini_imagenet import test_filename
  from inception.demo._mini_imagenet import validation_filename

__all__ = [
    'BOX_CASE_KINDS',
    'CHECKSUMS_FILE',
    'Config',
    'FLOWERS_DEMO_CONFIG',
    'FLOWERS_DEMO_VALIDATION_PER_CLASS',
    'FLOWERS_TARBALL',
    'FLOWERS_TOP_DIRNAME',
    'Fixture',
    'FlowersConfig',
    'HuggingFaceParquet',
    'HuggingFaceTarGz',
    'IMAGENET_DEMO_CONFIG',
    'IMAGENET_DEMO_SHARD_COUNTS',
    'IMAGENET_DEMO_TEST_IMAGES',
    'KAGGLE_ZIP',
    'KaggleSource',
    'LAYOUT_DEMO_DIRNAMES',
    'MiniFlowers',
    'ParquetConfig',
    'TarGzConfig',
    'add_tar_member',
    'annotation_xml',
    'encode_image',
    'flowers_demo_archive',
    'flowers_demo_settings',
    'generate',
    'generate_flowers',
    'imagenet_demo_settings',
    'imagenet_demo_source',
    'layout_demo_source',
    'refuse_imagenet_demo_in_store',
    'render_photo',
    'test_filename',
    'validation_filename',
    'write_hf_parquet',
    'write_hf_targz',
    'write_kaggle_tree',
    'write_kaggle_zip',
]

__getattr__, __dir__ = core.exports_on_first_use(__name__, __file__)
