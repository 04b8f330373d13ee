"""One record → (image_buffer, label, bbox, text), as the original training code had it.

The old inception training code (`image_processing.parse_example_proto`, TF1) parsed
each record into four tensors; `parse_example_proto` gives the same four with TF2 ops,
so code written against the original keeps working (docs/FORMAT.md, "Records"):
- image_buffer: scalar tf.string, `image/encoded` (a JPEG's bytes);
- label: int32 of shape [1], `image/class/label` (-1 when absent), as the original's
  FixedLenFeature([1]);
- bbox: float32 of shape [1, N, 4], one row per box as [ymin, xmin, ymax, xmax], the
  order tf.image.sample_distorted_bounding_box takes; N = 0 for an image without a box
  and for the generic format, which has no box features at all;
- text: scalar tf.string, `image/class/text`.
"""

from typing import Tuple

import tensorflow as tf

# The order the box lists are stacked in: the one tf.image's box ops expect.
BOX_KEYS = ('image/object/bbox/ymin', 'image/object/bbox/xmin',
            'image/object/bbox/ymax', 'image/object/bbox/xmax')

_FEATURES = {
    'image/encoded': tf.io.FixedLenFeature([], tf.string, default_value=''),
    'image/class/label': tf.io.FixedLenFeature([1], tf.int64, default_value=-1),
    'image/class/text': tf.io.FixedLenFeature([], tf.string, default_value=''),
    **{key: tf.io.VarLenFeature(tf.float32) for key in BOX_KEYS},
}


def parse_example_proto(serialized: tf.Tensor
                        ) -> Tuple[tf.Tensor, tf.Tensor, tf.Tensor, tf.Tensor]:
  """Parses one serialized tf.train.Example of this format (a scalar tf.string).

  Returns:
    (image_buffer, label, bbox, text) as the module docstring describes.
  """
  features = tf.io.parse_single_example(serialized, _FEATURES)
  label = tf.cast(features['image/class/label'], tf.int32)
  # Each list is N values; stacked on the last axis they give [N, 4], one box a row.
  boxes = tf.stack([features[key].values for key in BOX_KEYS], axis=1)
  return (features['image/encoded'], label, tf.expand_dims(boxes, 0),
          features['image/class/text'])
