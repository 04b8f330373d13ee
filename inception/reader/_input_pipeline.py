"""A split's shards → a tf.data.Dataset of (image, label): the original batch_inputs.

`dataset` reads the shards `data_files` finds, `num_readers` at a time, record by record
in turn, parses each record with `parse_example_proto`, decodes its JPEG with 3
channels, optionally crops it (`crop_with_boxes`), and resizes it to
image_size x image_size: float32 in [0, 1], shape [image_size, image_size, 3], with the
label (int32, 1..1000 for ImageNet) as a scalar.

Order: without `shuffle` the records come in the same order on every run and machine
(the shards sorted, interleaved with a fixed cycle). With `shuffle` the shards and then
the records (a buffer of `shuffle_buffer` serialized records) are shuffled, again each
epoch; a `seed` makes the sequence repeatable.

`crop_with_boxes` is the original's training crop (image_processing.distort_image):
tf.image.sample_distorted_bounding_box with the original's parameters, here in its
stateless form: each record's crop depends only on `seed` and the record's place in the
stream, so a seed gives the same crops on every run, whatever the parallelism; each
epoch (`.repeat()`) draws new ones. Without a seed the crops differ from run to run.
"""

from typing import Optional

import tensorflow as tf

from inception.reader import _example_parsing
from inception.reader import _record_streams
from inception.reader import _shard_files

DEFAULT_IMAGE_SIZE = 299  # the original's --image_size
DEFAULT_SHUFFLE_BUFFER = 1024  # serialized records (~110 kB each on ImageNet)
DEFAULT_NUM_READERS = 4  # the original's --num_readers


def distorted_bounding_box_crop(image: tf.Tensor, bbox: tf.Tensor,
                                seed: tf.Tensor) -> tf.Tensor:
  """A random crop of `image` [H, W, C] as the original's distort_image drew it.

  The crop covers at least 10% of one of the boxes (`bbox` [1, N, 4] as
  parse_example_proto gives it), has an aspect ratio in [0.75, 1.33] and 5% to 100% of
  the image's area; with no box the whole image is the box. `seed` is a shape [2]
  integer tensor: the same seed gives the same crop.
  """
  begin, size, _ = tf.image.stateless_sample_distorted_bounding_box(
      tf.shape(image), bounding_boxes=bbox, seed=seed, min_object_covered=0.1,
      aspect_ratio_range=(0.75, 1.33), area_range=(0.05, 1.0), max_attempts=100,
      use_image_if_no_bounding_boxes=True)
  return tf.slice(image, begin, size)


def dataset(data_dir: str, subset: str, *, image_size: int = DEFAULT_IMAGE_SIZE,
            batch_size: Optional[int] = None, shuffle: bool = False,
            crop_with_boxes: bool = False, seed: Optional[int] = None,
            shuffle_buffer: int = DEFAULT_SHUFFLE_BUFFER,
            num_readers: int = DEFAULT_NUM_READERS,
            drop_remainder: bool = False) -> tf.data.Dataset:
  """The (image, label) pairs of the shards of `subset` in `data_dir`.

  Every option after `subset` is keyword-only: they are this package's documented
  API (README, "Reading the records").

  Args:
    data_dir: the directory of the shards: local, gs:// (read by TensorFlow), or any
      other fsspec URL such as s3:// or az:// (streamed: _record_streams).
    subset: the split, e.g. 'train' or 'validation'.
    image_size: the height and width of the images returned.
    batch_size: batch the pairs (images [B, size, size, 3], labels [B]); None: one
      pair per element.
    shuffle: shuffle the shards and the records (each epoch anew).
    crop_with_boxes: crop each image at random around its boxes before resizing
      (distorted_bounding_box_crop); otherwise the whole image is resized.
    seed: makes shuffling and crops repeatable.
    shuffle_buffer: how many serialized records the shuffle draws from.
    num_readers: shards read at a time, interleaved record by record.
    drop_remainder: drop the last batch if it is smaller than batch_size.

  Raises:
    ValueError: there is no shard of `subset` in `data_dir` (data_files).
  """
  paths = _shard_files.data_files(data_dir, subset)
  files = tf.data.Dataset.from_tensor_slices(paths)
  if shuffle:
    files = files.shuffle(len(paths), seed=seed)
  read = (tf.data.TFRecordDataset
          if all(_record_streams.read_by_tensorflow(p) for p in paths)
          else _record_streams.record_dataset)
  examples = files.interleave(read, cycle_length=num_readers,
                              block_length=1, num_parallel_calls=tf.data.AUTOTUNE,
                              deterministic=True)
  if shuffle:
    examples = examples.shuffle(shuffle_buffer, seed=seed)
  if crop_with_boxes:
    # Two random integers per record: its crop's seed, in stream order.
    seeds = tf.data.Dataset.random(seed=seed, rerandomize_each_iteration=True).batch(2)
    pairs = tf.data.Dataset.zip((examples, seeds)).map(
        lambda serialized, crop_seed: _image_and_label(serialized, image_size, crop_seed),
        num_parallel_calls=tf.data.AUTOTUNE, deterministic=True)
  else:
    pairs = examples.map(lambda serialized: _image_and_label(serialized, image_size),
                         num_parallel_calls=tf.data.AUTOTUNE, deterministic=True)
  if batch_size is not None:
    pairs = pairs.batch(batch_size, drop_remainder=drop_remainder)
  return pairs.prefetch(tf.data.AUTOTUNE)


def _image_and_label(serialized: tf.Tensor, image_size: int,
                     crop_seed: Optional[tf.Tensor] = None):
  """One record → (float image [size, size, 3] in [0, 1], scalar int32 label)."""
  image_buffer, label, bbox, _ = _example_parsing.parse_example_proto(serialized)
  image = tf.io.decode_jpeg(image_buffer, channels=3)
  if crop_seed is not None:
    image = distorted_bounding_box_crop(image, bbox, crop_seed)
  image = tf.image.convert_image_dtype(image, tf.float32)
  image = tf.image.resize(image, [image_size, image_size])
  return image, tf.reshape(label, [])
