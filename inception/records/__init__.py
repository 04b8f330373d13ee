"""What a shard is, and how one is written (docs/FORMAT.md, "Records" and "Shards").

- The format names, split names and ImageNet's shard counts (`TRAIN`, `IMAGENET_FORMAT`,
  `IMAGENET_TRAIN_SHARDS`, ...).
- Image bytes → the record's JPEG and size (`ImageError` for what cannot go in), and
  how much of each image is checked (`prepare_image`, as a shard writer judges it;
  `VALIDATE_IMAGES`, `DEFAULT_VALIDATE_IMAGES`; `jpeg_structure_error`: the structure walk of 'structure'; `jpeg_size_error`: its
  check that the frame header claims no more pixels than the scan data can hold, on
  the first scan alone, cheap enough for every record; `jpeg_frame`: the frame
  header's size and components with that check, from one walk).
- Shard names (`shard_name`, `parse_shard_name`), boundaries (`shard_ranges`), the
  atomic TFRecord `ShardWriter` and index files, and its reader (`read_records`:
  every CRC checked, no TensorFlow).
- `ShardTask` and `write_shard`: one shard from its planned entries (`ShardEntries`:
  image entries as columns, a split's built by `EntriesBuilder`; a shard's archive
  members, a tar's or a zip's (`ZipMember`, `read_zip_member`), read through one open
  archive) and boxes (`ShardBoxes`, cut from a split's packed
  `BoxTable`), the unit of work every runner maps; imports no TensorFlow.
- The conversion manifest (`Manifest`, `load_manifest`, `save_manifest`).
"""

import typing

from inception import core

if typing.TYPE_CHECKING:
  from inception.records._boxes import BoxTable
  from inception.records._boxes import Boxes
  from inception.records._boxes import ShardBoxes
  from inception.records._entries import EntriesBuilder
  from inception.records._entries import ImageEntry
  from inception.records._entries import ShardEntries
  from inception.records._formats import GENERIC_FORMAT
  from inception.records._formats import IMAGENET_FORMAT
  from inception.records._formats import IMAGENET_TEST_SHARDS
  from inception.records._formats import IMAGENET_TRAIN_SHARDS
  from inception.records._formats import IMAGENET_VALIDATION_SHARDS
  from inception.records._formats import RECORD_FORMATS
  from inception.records._formats import TEST
  from inception.records._formats import TRAIN
  from inception.records._formats import UNLABELLED
  from inception.records._formats import VALIDATION
  from inception.records._image_coding import DEFAULT_VALIDATE_IMAGES
  from inception.records._image_coding import ImageError
  from inception.records._image_coding import VALIDATE_IMAGES
  from inception.records._image_coding import is_jpeg
  from inception.records._image_coding import is_png
  from inception.records._image_coding import jpeg_structure_error
  from inception.records._image_coding import prepare_image
  from inception.records._manifest import Manifest
  from inception.records._manifest import SplitManifest
  from inception.records._manifest import load_manifest
  from inception.records._manifest import plan_fingerprint
  from inception.records._manifest import save_manifest
  from inception.records._scan_bounds import jpeg_frame
  from inception.records._scan_bounds import jpeg_size_error
  from inception.records._shard_tasks import ShardResult
  from inception.records._shard_tasks import ShardTask
  from inception.records._shard_tasks import SkippedImage
  from inception.records._shard_tasks import write_shard
  from inception.records._shards import CorruptShardError
  from inception.records._shards import RECORD_OVERHEAD
  from inception.records._shards import ShardName
  from inception.records._shards import ShardWriter
  from inception.records._shards import index_text
  from inception.records._shards import masked_crc32c
  from inception.records._shards import parse_shard_name
  from inception.records._shards import record_spans
  from inception.records._shards import shard_name
  from inception.records._shards import shard_ranges
  from inception.records._tfrecord_reader import FramingError
  from inception.records._tfrecord_reader import read_records
  from inception.records._zip_members import ZipMember
  from inception.records._zip_members import ZipMemberError
  from inception.records._zip_members import read_zip_member

__all__ = [
    'BoxTable',
    'Boxes',
    'CorruptShardError',
    'DEFAULT_VALIDATE_IMAGES',
    'EntriesBuilder',
    'FramingError',
    'GENERIC_FORMAT',
    'IMAGENET_FORMAT',
    'IMAGENET_TEST_SHARDS',
    'IMAGENET_TRAIN_SHARDS',
    'IMAGENET_VALIDATION_SHARDS',
    'ImageEntry',
    'ImageError',
    'Manifest',
    'RECORD_FORMATS',
    'RECORD_OVERHEAD',
    'ShardBoxes',
    'ShardEntries',
    'ShardName',
    'ShardResult',
    'ShardTask',
    'ShardWriter',
    'SkippedImage',
    'SplitManifest',
    'TEST',
    'TRAIN',
    'UNLABELLED',
    'VALIDATE_IMAGES',
    'VALIDATION',
    'ZipMember',
    'ZipMemberError',
    'index_text',
    'is_jpeg',
    'is_png',
    'jpeg_frame',
    'jpeg_size_error',
    'jpeg_structure_error',
    'load_manifest',
    'masked_crc32c',
    'parse_shard_name',
    'plan_fingerprint',
    'prepare_image',
    'read_records',
    'read_zip_member',
    'record_spans',
    'save_manifest',
    'shard_name',
    'shard_ranges',
    'write_shard',
]

__getattr__, __dir__ = core.exports_on_first_use(__name__, __file__)
