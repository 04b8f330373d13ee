"""dataset() and distorted_bounding_box_crop on real shards written by the converter."""

import collections

from absl.testing import absltest
import numpy as np
import tensorflow as tf

from inception import reader
from inception.reader import _input_pipeline
from tests.reader import reader_fixtures

SIZE = 24


def elements(dataset):
  """The dataset's (image, label) pairs as numpy arrays, in order."""
  return [(image.numpy(), int(label)) for image, label in dataset]


class DatasetTest(reader_fixtures.ShardsTestCase):

  def read(self, shards=None, **kwargs):
    return elements(_input_pipeline.dataset((shards or self.imagenet).directory, 'train',
                                            image_size=SIZE, **kwargs))

  def test_options_are_keyword_only(self):
    with self.assertRaises(TypeError):
      _input_pipeline.dataset(self.imagenet.directory, 'train', SIZE)  # pylint: disable=too-many-function-args

  def test_every_record_resized_with_its_label(self):
    pairs = self.read()
    self.assertLen(pairs, len(self.imagenet.images))
    for image, _ in pairs:
      self.assertEqual(image.shape, (SIZE, SIZE, 3))
      self.assertEqual(image.dtype, np.float32)
      self.assertBetween(image.min(), 0.0, 1.0)
      self.assertBetween(image.max(), 0.0, 1.0)
    self.assertEqual(collections.Counter(label for _, label in pairs),
                     collections.Counter(self.imagenet.labels.values()))

  def test_element_spec(self):
    data = reader.dataset(self.imagenet.directory, 'train', image_size=SIZE)
    self.assertEqual(data.element_spec,
                     (tf.TensorSpec([SIZE, SIZE, 3], tf.float32),
                      tf.TensorSpec([], tf.int32)))

  def test_the_same_order_every_time_without_shuffle(self):
    first, second = self.read(), self.read()
    self.assertEqual([l for _, l in first], [l for _, l in second])
    for (a, _), (b, _) in zip(first, second):
      np.testing.assert_array_equal(a, b)

  def test_batches(self):
    batches = list(reader.dataset(self.imagenet.directory, 'train', image_size=SIZE,
                                  batch_size=5))
    self.assertEqual([tuple(images.shape) for images, _ in batches],
                     [(5, SIZE, SIZE, 3), (5, SIZE, SIZE, 3), (2, SIZE, SIZE, 3)])
    self.assertEqual([tuple(labels.shape) for _, labels in batches], [(5,), (5,), (2,)])
    dropped = reader.dataset(self.imagenet.directory, 'train', image_size=SIZE,
                             batch_size=5, drop_remainder=True)
    self.assertEqual(sum(1 for _ in dropped), 2)

  def test_shuffle_with_a_seed_is_repeatable(self):
    plain = [l for _, l in self.read()]
    first = [l for _, l in self.read(shuffle=True, seed=7)]
    second = [l for _, l in self.read(shuffle=True, seed=7)]
    self.assertEqual(first, second)
    self.assertCountEqual(first, plain)
    self.assertNotEqual(first, plain)

  def test_crop_with_boxes_is_repeatable_with_a_seed(self):
    plain = self.read()
    first = self.read(crop_with_boxes=True, seed=3)
    second = self.read(crop_with_boxes=True, seed=3)
    other = self.read(crop_with_boxes=True, seed=4)
    self.assertEqual([l for _, l in first], [l for _, l in plain])
    for (a, _), (b, _) in zip(first, second):
      np.testing.assert_array_equal(a, b)
    self.assertTrue(any(not np.array_equal(a, b) for (a, _), (b, _) in zip(first, plain)))
    self.assertTrue(any(not np.array_equal(a, b) for (a, _), (b, _) in zip(first, other)))

  def test_each_epoch_draws_new_crops(self):
    data = reader.dataset(self.imagenet.directory, 'train', image_size=SIZE,
                          crop_with_boxes=True, seed=3).repeat(2)
    pairs = elements(data)
    half = len(pairs) // 2
    self.assertTrue(any(not np.array_equal(a, b)
                        for (a, _), (b, _) in zip(pairs[:half], pairs[half:])))

  def test_generic_format(self):
    pairs = self.read(self.generic, crop_with_boxes=True, seed=1)
    self.assertEqual(sorted(l for _, l in pairs), sorted(self.generic.labels.values()))
    self.assertTrue(all(image.shape == (SIZE, SIZE, 3) for image, _ in pairs))

  def test_no_shard(self):
    with self.assertRaisesRegex(ValueError, 'no shard of .validation.'):
      reader.dataset(self.imagenet.directory, 'validation')


class DistortedBoundingBoxCropTest(absltest.TestCase):

  def setUp(self):
    super().setUp()
    # Each pixel holds its own (row, column), so a crop shows where it was taken.
    rows, columns = np.mgrid[0:60, 0:80]
    self.image = tf.constant(np.stack([rows, columns, rows * 0], -1), tf.int32)

  def crop_window(self, bbox, seed):
    crop = _input_pipeline.distorted_bounding_box_crop(self.image, bbox, seed).numpy()
    top, left = crop[0, 0, :2]
    return top, left, crop.shape[0], crop.shape[1]

  def test_covers_a_tenth_of_the_box(self):
    # [ymin, xmin, ymax, xmax] in [0, 1]: rows 0..15, columns 60..80.
    bbox = tf.constant([[[0.0, 0.75, 0.25, 1.0]]], tf.float32)
    for seed in range(20):
      top, left, height, width = self.crop_window(bbox, [seed, 0])
      covered = (max(0, min(top + height, 15) - top) *
                 max(0, min(left + width, 80) - max(left, 60)))
      self.assertGreaterEqual(covered, 0.1 * 15 * 20 - 1, seed)
      self.assertGreaterEqual(height * width, 0.05 * 60 * 80 - 1, seed)
      self.assertBetween(width / height, 0.7, 1.4)  # 0.75..1.33, to a pixel

  def test_the_same_seed_the_same_crop(self):
    bbox = tf.zeros([1, 0, 4], tf.float32)
    windows = {self.crop_window(bbox, [seed, 9]) for seed in range(10)}
    self.assertGreater(len(windows), 1)
    for seed in range(10):
      self.assertEqual(self.crop_window(bbox, [seed, 9]),
                       self.crop_window(bbox, [seed, 9]))


if __name__ == '__main__':
  absltest.main()
