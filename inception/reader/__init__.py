"""Reading the shards back for training, in TF2: what the original training code did.

- `parse_example_proto`: one record → (image_buffer, label, bbox, text), the four
  tensors of the original image_processing.parse_example_proto (bbox [1, N, 4] as
  [ymin, xmin, ymax, xmax]); reads the ImageNet and the generic format.
- `data_files`: the sorted shards of a split, `<data_dir>/<subset>-*` as the original
  dataset.py globbed them, shard names only; local or gs://.
- `dataset`: a tf.data.Dataset of (image, label), deterministic unless shuffled, with
  the original's random crop around the boxes (`distorted_bounding_box_crop`) on
  request.
"""

import typing

from inception import core

if typing.TYPE_CHECKING:
  from inception.reader._example_parsing import parse_example_proto
  from inception.reader._input_pipeline import DEFAULT_IMAGE_SIZE
  from inception.reader._input_pipeline import dataset
  from inception.reader._input_pipeline import distorted_bounding_box_crop
  from inception.reader._shard_files import data_files

__all__ = [
    'DEFAULT_IMAGE_SIZE',
    'data_files',
    'dataset',
    'distorted_bounding_box_crop',
    'parse_example_proto',
]

__getattr__, __dir__ = core.exports_on_first_use(__name__, __file__)
