"""TODO docstring for inception.records."""

from inception.records._image_coding import ImageError
from inception.records._image_coding import is_jpeg
from inception.records._image_coding import is_png
from inception.records._manifest import MANIFEST_NAME
from inception.records._manifest import empty_manifest
from inception.records._manifest import manifest_path
from inception.records._manifest import new_split_record
from inception.records._manifest import plan_fingerprint
from inception.records._manifest import read_manifest
from inception.records._manifest import skipped_from_json
from inception.records._manifest import skipped_to_json
from inception.records._manifest import write_manifest
from inception.records._shard_tasks import Boxes
from inception.records._shard_tasks import GENERIC_FORMAT
from inception.records._shard_tasks import IMAGENET_FORMAT
from inception.records._shard_tasks import ImageEntry
from inception.records._shard_tasks import RECORD_FORMATS
from inception.records._shard_tasks import ShardResult
from inception.records._shard_tasks import ShardTask
from inception.records._shard_tasks import SkippedImage
from inception.records._shard_tasks import VALIDATE_IMAGES
from inception.records._shard_tasks import write_shard
from inception.records._shards import CorruptShardError
from inception.records._shards import ShardWriter
from inception.records._shards import INDEX_DIRECTORY
from inception.records._shards import INDEX_SUFFIX
from inception.records._shards import RECORD_OVERHEAD
from inception.records._shards import ShardName
from inception.records._shards import index_path
from inception.records._shards import index_text
from inception.records._shards import parse_shard_name
from inception.records._shards import record_spans
from inception.records._shards import shard_name
from inception.records._shards import shard_ranges

__all__ = [
    'Boxes',
    'CorruptShardError',
    'GENERIC_FORMAT',
    'IMAGENET_FORMAT',
    'INDEX_DIRECTORY',
    'INDEX_SUFFIX',
    'ImageEntry',
    'ImageError',
    'MANIFEST_NAME',
    'RECORD_FORMATS',
    'RECORD_OVERHEAD',
    'ShardName',
    'ShardResult',
    'ShardTask',
    'ShardWriter',
    'SkippedImage',
    'VALIDATE_IMAGES',
    'empty_manifest',
    'index_path',
    'index_text',
    'is_jpeg',
    'is_png',
    'manifest_path',
    'new_split_record',
    'parse_shard_name',
    'plan_fingerprint',
    'read_manifest',
    'record_spans',
    'shard_name',
    'shard_ranges',
    'skipped_from_json',
    'skipped_to_json',
    'write_manifest',
    'write_shard',
]
