"""parse_example_proto on real shards written by the converter, ImageNet and generic."""

import io

from absl.testing import absltest
import numpy as np
from PIL import Image
import tensorflow as tf

from inception import reader
from inception.reader import _example_parsing
from tests.reader import reader_fixtures

_RECORD_FACTS = {
    'image/filename': tf.io.FixedLenFeature([], tf.string),
    'image/height': tf.io.FixedLenFeature([], tf.int64),
    'image/width': tf.io.FixedLenFeature([], tf.int64),
}


def parsed_records(directory: str):
  """(file name, height, width, parse_example_proto's four) of each train record."""
  for serialized in tf.data.TFRecordDataset(reader.data_files(directory, 'train')):
    facts = tf.io.parse_single_example(serialized, _RECORD_FACTS)
    yield (facts['image/filename'].numpy().decode(), int(facts['image/height']),
           int(facts['image/width']), _example_parsing.parse_example_proto(serialized))


def yxyx(boxes):
  """CSV-order boxes (xmin, ymin, xmax, ymax) as the rows parse_example_proto gives."""
  return np.array([[b[1], b[0], b[3], b[2]] for b in boxes], np.float32).reshape(-1, 4)


class ParseExampleProtoTest(reader_fixtures.ShardsTestCase):

  def assert_records_match(self, shards):
    seen = []
    for filename, height, width, parsed in parsed_records(shards.directory):
      image_buffer, label, bbox, text = parsed
      seen.append(filename)
      self.assertEqual(image_buffer.dtype, tf.string)
      self.assertEqual(image_buffer.shape, [])
      self.assertEqual(label.dtype, tf.int32)
      self.assertEqual(label.numpy().tolist(), [shards.labels[filename]])
      self.assertEqual(text.dtype, tf.string)
      self.assertEqual(text.numpy().decode(), shards.texts[filename])
      self.assertEqual(bbox.dtype, tf.float32)
      expected = yxyx(shards.boxes[filename])
      self.assertEqual(bbox.shape, [1, len(expected), 4])
      np.testing.assert_allclose(bbox.numpy()[0], expected, rtol=0, atol=1e-6)
      decoded = tf.io.decode_jpeg(image_buffer, channels=3)
      self.assertEqual(decoded.shape, [height, width, 3])
      source_width, source_height = Image.open(io.BytesIO(shards.images[filename])).size
      self.assertEqual((height, width), (source_height, source_width))
    self.assertCountEqual(seen, shards.images)

  def test_imagenet_records(self):
    self.assert_records_match(self.imagenet)

  def test_imagenet_boxes_are_ymin_xmin_ymax_xmax(self):
    name = '%s_0.JPEG' % reader_fixtures.SYNSETS[0]
    bbox = next(parsed[2] for filename, _, _, parsed in
                parsed_records(self.imagenet.directory) if filename == name)
    np.testing.assert_allclose(bbox.numpy(),
                               [[[0.2, 0.1, 0.4, 0.3], [0.05, 0.5, 0.65, 0.9]]],
                               rtol=0, atol=1e-6)

  def test_generic_records_have_no_boxes(self):
    self.assert_records_match(self.generic)

  def test_absent_features_get_the_originals_defaults(self):
    image = tf.io.encode_jpeg(tf.zeros([4, 6, 3], tf.uint8)).numpy()
    example = tf.train.Example(features=tf.train.Features(feature={
        'image/encoded': tf.train.Feature(bytes_list=tf.train.BytesList(value=[image]))}))
    image_buffer, label, bbox, text = _example_parsing.parse_example_proto(
        example.SerializeToString())
    self.assertEqual(image_buffer.numpy(), image)
    self.assertEqual(label.numpy().tolist(), [-1])
    self.assertEqual(bbox.shape, [1, 0, 4])
    self.assertEqual(text.numpy(), b'')

  def test_works_inside_a_dataset_map(self):
    files = reader.data_files(self.imagenet.directory, 'train')
    parsed = tf.data.TFRecordDataset(files).map(_example_parsing.parse_example_proto)
    image_buffer, label, bbox, text = parsed.element_spec
    self.assertEqual(image_buffer.shape, [])
    self.assertEqual(label.shape, [1])
    self.assertEqual(bbox.shape.as_list(), [1, None, 4])
    self.assertEqual(text.shape, [])
    self.assertEqual(sum(1 for _ in parsed), len(self.imagenet.images))


if __name__ == '__main__':
  absltest.main()
