"""Real shards for the reader's tests, written by this project's converter.

`imagenet_shards` converts a small ImageNet-style train folder (3 classes, 4 real JPEGs
each, one a PNG the converter re-encodes) with boxes from a CSV into 4 shards, with
index files; `generic_shards` converts a folder-per-class set (2 classes, 3 images
each) into 2 generic-format shards, which have no box features. Each returns what the
records must hold, keyed by image file name, to compare the reader's output with.
`ShardsTestCase` writes both once per test class.
"""

import dataclasses
import os
from typing import Dict, List, NamedTuple, Tuple

from absl.testing import absltest

from inception import convert
from inception import core
from inception import imagenet
from inception import label_files
from tests import conversion_fixtures as fixtures

SYNSETS = fixtures.synset_names(3)
GENERIC_CLASSES = ('daisy', 'roses')
IMAGENET_SHARDS = 4
GENERIC_SHARDS = 2

# (xmin, ymin, xmax, ymax), the CSV's order; distinct values, so an order mix-up shows.
BOXES = {
    '%s_0.JPEG' % SYNSETS[0]: [(0.1000, 0.2000, 0.3000, 0.4000),
                               (0.5000, 0.0500, 0.9000, 0.6500)],
    '%s_2.JPEG' % SYNSETS[1]: [(0.0000, 0.2500, 1.0000, 0.7500)],
}
_PNG_NAME = '%s_1.JPEG' % SYNSETS[2]


class Shards(NamedTuple):
  """A directory of converted shards and what each record must hold."""
  directory: str
  images: Dict[str, bytes]  # file name → the source bytes
  labels: Dict[str, int]
  texts: Dict[str, str]
  boxes: Dict[str, List[Tuple[float, float, float, float]]]  # CSV order; [] if none


def imagenet_shards(root: str) -> Shards:
  """Converts a 12-image ImageNet train folder with boxes under `root`."""
  images = fixtures.make_imagenet_split(
      os.path.join(root, 'train'), SYNSETS, 4, seed=3,
      special={_PNG_NAME: fixtures.image_bytes(77, 'png', width=45, height=35)})
  synsets_file, metadata_file = fixtures.write_label_files(
      os.path.join(root, 'labels'), SYNSETS)
  boxes_csv = fixtures.write(os.path.join(root, 'boxes.csv'), ''.join(
      '%s,%.4f,%.4f,%.4f,%.4f\n' % ((name,) + box)
      for name, boxes in BOXES.items() for box in boxes).encode())
  output = os.path.join(root, 'out')
  imagenet.convert_imagenet(
      imagenet.SplitSources(convert.SplitPaths(train=os.path.join(root, 'train'))),
      output, convert.ConvertOptions(workers=core.Workers(1), write_index=True),
      label_files.LabelFiles(synsets_file, metadata_file), [boxes_csv],
      dataclasses.replace(imagenet.SHARD_COUNTS, train=IMAGENET_SHARDS))
  label_of = {name: SYNSETS.index(name.split('_')[0]) + 1 for name in images}
  return Shards(output, images, label_of,
                {name: 'class %s, number %d' % (SYNSETS[label - 1][-3:], label - 1)
                 for name, label in label_of.items()},
                {name: BOXES.get(name, []) for name in images})


def generic_shards(root: str) -> Shards:
  """Converts a 6-image folder-per-class set (generic format) under `root`."""
  images = fixtures.make_imagenet_split(os.path.join(root, 'train'), GENERIC_CLASSES, 3,
                                        seed=4)
  labels_file = fixtures.write(os.path.join(root, 'labels.txt'),
                               ''.join(c + '\n' for c in GENERIC_CLASSES).encode())
  output = os.path.join(root, 'out')
  convert.convert_generic(
      convert.SplitPaths(train=os.path.join(root, 'train')), output, labels_file,
      convert.ShardCounts(GENERIC_SHARDS, GENERIC_SHARDS),
      convert.ConvertOptions(workers=core.Workers(1)))
  class_of = {name: name.split('_')[0] for name in images}
  return Shards(output, images,
                {name: GENERIC_CLASSES.index(c) + 1 for name, c in class_of.items()},
                class_of, {name: [] for name in images})


class ShardsTestCase(absltest.TestCase):
  """A test case with `self.imagenet` and `self.generic`, converted once per class."""

  @classmethod
  def setUpClass(cls):
    super().setUpClass()
    root = os.path.join(absltest.get_default_test_tmpdir(), cls.__name__)
    cls.imagenet = imagenet_shards(os.path.join(root, 'imagenet'))
    cls.generic = generic_shards(os.path.join(root, 'generic'))
