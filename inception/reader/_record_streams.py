"""A shard's serialized records as a tf.data.Dataset, from wherever the shard is.

TensorFlow 2.21 reads local paths and gs:// itself (tf.data.TFRecordDataset), but not
s3://, az:// or other stores (those file systems left TensorFlow for tensorflow-io,
no longer kept up). For them the shard is streamed through core's file access
(fsspec) and cut into records by the project's own TFRecord reader
(records.read_records, which checks both CRCs of every record as tf.data does), in
a tf.data generator: the rest of the input pipeline is the same for every store.
"""

from typing import Iterator

import tensorflow as tf

from inception import core
from inception import records

# Schemes whose paths TensorFlow's own file systems open.
_TENSORFLOW_SCHEMES = ('gs',)


def read_by_tensorflow(path: str) -> bool:
  """Whether tf.data opens `path` itself: a local path or a gs:// one."""
  return not core.is_remote(path) or path.split('://', 1)[0] in _TENSORFLOW_SCHEMES


def _serialized_records(path: bytes) -> Iterator[bytes]:
  name = path.decode('utf-8')
  with core.open_file(name, 'rb') as f:
    try:
      for _, data in records.read_records(f, core.size(name)):
        yield data
    except records.FramingError as e:
      raise records.FramingError(e.index, e.offset, '%s: %s' % (name, e)) from None


def record_dataset(path: tf.Tensor) -> tf.data.Dataset:
  """The records of the shard at `path` (a string tensor): a streamed stand-in for
  tf.data.TFRecordDataset on a path TensorFlow cannot open (read_by_tensorflow)."""
  return tf.data.Dataset.from_generator(
      _serialized_records, args=(path,),
      output_signature=tf.TensorSpec([], tf.string))
