"""Tests of inception.records._example_records: the bytes TF writes, the documented keys."""

from absl.testing import absltest
import tensorflow as tf

from inception import annotations
from inception.records import _example_records
from inception.records import _image_coding

IMAGE = bytes(range(256)) * 300 + b'\xff\xd9'


def _bytes(value):
  return tf.train.Feature(bytes_list=tf.train.BytesList(value=[value]))


def _int64(values):
  return tf.train.Feature(int64_list=tf.train.Int64List(value=values))


def _float(values):
  return tf.train.Feature(float_list=tf.train.FloatList(value=values))


def _called_as_the_original(encoder):
  """`encoder` (ours) taking the original's arguments: the image's bytes and size
  apart, where ours takes them whole."""

  def encode(encoded, filename, height, width, *rest):
    return encoder(_image_coding.PreparedImage(encoded, height, width), filename, *rest)
  return encode


_imagenet_example = _called_as_the_original(_example_records.imagenet_example)
_generic_example = _called_as_the_original(_example_records.generic_example)


def _original_imagenet_example(encoded, filename, height, width, label, synset, text,
                               boxes):
  """The original build_imagenet_data._convert_to_example, with TF's protos."""
  xmin, ymin, xmax, ymax = ([b[i] for b in boxes] for i in range(4))
  return tf.train.Example(features=tf.train.Features(feature={
      'image/height': _int64([height]),
      'image/width': _int64([width]),
      'image/colorspace': _bytes(b'RGB'),
      'image/channels': _int64([3]),
      'image/class/label': _int64([label]),
      'image/class/synset': _bytes(synset.encode()),
      'image/class/text': _bytes(text.encode()),
      'image/object/bbox/xmin': _float(xmin),
      'image/object/bbox/xmax': _float(xmax),
      'image/object/bbox/ymin': _float(ymin),
      'image/object/bbox/ymax': _float(ymax),
      'image/object/bbox/label': _int64([label] * len(xmin)),
      'image/format': _bytes(b'JPEG'),
      'image/filename': _bytes(filename.encode()),
      'image/encoded': _bytes(encoded)})).SerializeToString(deterministic=True)


def _original_generic_example(encoded, filename, height, width, label, text):
  """The original build_image_data._convert_to_example, with TF's protos."""
  return tf.train.Example(features=tf.train.Features(feature={
      'image/height': _int64([height]),
      'image/width': _int64([width]),
      'image/colorspace': _bytes(b'RGB'),
      'image/channels': _int64([3]),
      'image/class/label': _int64([label]),
      'image/class/text': _bytes(text.encode()),
      'image/format': _bytes(b'JPEG'),
      'image/filename': _bytes(filename.encode()),
      'image/encoded': _bytes(encoded)})).SerializeToString(deterministic=True)


def _spec_parser(serialized):
  """A parser written from docs/FORMAT.md's "Records", as inception's parse_example_proto reads it."""
  features = tf.io.parse_single_example(serialized, {
      'image/encoded': tf.io.FixedLenFeature([], tf.string, ''),
      'image/class/label': tf.io.FixedLenFeature([], tf.int64, -1),
      'image/class/text': tf.io.FixedLenFeature([], tf.string, ''),
      'image/class/synset': tf.io.FixedLenFeature([], tf.string, ''),
      'image/height': tf.io.FixedLenFeature([], tf.int64, -1),
      'image/width': tf.io.FixedLenFeature([], tf.int64, -1),
      'image/object/bbox/xmin': tf.io.VarLenFeature(tf.float32),
      'image/object/bbox/ymin': tf.io.VarLenFeature(tf.float32),
      'image/object/bbox/xmax': tf.io.VarLenFeature(tf.float32),
      'image/object/bbox/ymax': tf.io.VarLenFeature(tf.float32),
  })
  coords = [tf.sparse.to_dense(features['image/object/bbox/' + k])
            for k in ('ymin', 'xmin', 'ymax', 'xmax')]
  return features, tf.stack(coords, axis=-1)


class ImagenetExampleTest(absltest.TestCase):

  def test_bytes_equal_tensorflow_deterministic_serialization(self):
    cases = [
        ([], 1, 5, 7),
        ([annotations.Box(0.006, 0.0886, 0.804, 0.999)], 1000, 333, 500),
        ([(0.1, 0.2, 0.3, 0.4), (0.0, 0.0, 1.0, 1.0), (0.5, 0.5, 0.75, 0.625)], 127,
         200000, 128),
        # Many boxes: their four float lists are packed in one call and cut apart.
        ([(k / 40, 1 - k / 40, (k + 1) / 40, 0.5) for k in range(40)], 200, 16384,
         65536),
    ]
    for boxes, label, height, width in cases:
      args = (IMAGE, 'n01440764_10026.JPEG', height, width, label, 'n01440764',
              'tench, Tinca tinca \u00e9', boxes)
      self.assertEqual(_imagenet_example(*args),
                       _original_imagenet_example(*args))

  def test_records_of_many_classes_and_sizes_interleaved_equal_tensorflow(self):
    # The encoder builds each class's entries and each size's once and reuses them:
    # records of alternating classes, sizes and box counts must each still be exact.
    for n in range(60):
      label = (0, 1, 127, 128, 1000)[n % 5]
      args = (IMAGE[:(1, 100, 200, 70000)[n % 4]], 'n%08d_%d.JPEG' % (label, n) * (1 + n % 9),
              (1, 127, 128, 16384, 65535)[n % 5], (7, 128, 300)[n % 3], label,
              'n%08d' % label if label else '', 'text of %d' % label * (n % 3),
              [(0.1 * k, 0.2, 0.3, 0.4) for k in range(n % 3)])
      self.assertEqual(_imagenet_example(*args),
                       _original_imagenet_example(*args), n)
      generic_args = args[:5] + (args[6],)
      self.assertEqual(_generic_example(*generic_args),
                       _original_generic_example(*generic_args), n)

  def test_exactly_the_fifteen_keys(self):
    record = _imagenet_example(IMAGE, 'a.JPEG', 2, 3, 4, 'n00000004', 't')
    keys = set(tf.train.Example.FromString(record).features.feature)
    self.assertLen(keys, 15)
    self.assertEqual(keys, set(_example_records.IMAGENET_KEYS))

  def test_spec_parser_reads_label_text_and_boxes(self):
    boxes = [annotations.Box(xmin=0.1, ymin=0.2, xmax=0.3, ymax=0.4),
             annotations.Box(xmin=0.5, ymin=0.6, xmax=0.7, ymax=0.8)]
    record = _imagenet_example(IMAGE, 'n0_1.JPEG', 480, 640, 42, 'n00000042',
                               'some text', boxes)
    features, parsed_boxes = _spec_parser(record)
    self.assertEqual(features['image/encoded'].numpy(), IMAGE)
    self.assertEqual(features['image/class/label'].numpy(), 42)
    self.assertEqual(features['image/class/text'].numpy(), b'some text')
    self.assertEqual(features['image/class/synset'].numpy(), b'n00000042')
    self.assertEqual((features['image/height'].numpy(), features['image/width'].numpy()),
                     (480, 640))
    self.assertSequenceAlmostEqual(parsed_boxes.numpy().ravel(),
                                   [0.2, 0.1, 0.4, 0.3, 0.6, 0.5, 0.8, 0.7], places=6)
    example = tf.train.Example.FromString(record)
    self.assertEqual(list(example.features.feature['image/object/bbox/label']
                          .int64_list.value), [42, 42])

  def test_no_box_gives_present_empty_lists(self):
    record = _imagenet_example(IMAGE, 'a.JPEG', 2, 3, 9, 'n00000009', 't')
    feature = tf.train.Example.FromString(record).features.feature
    for key in ('xmin', 'ymin', 'xmax', 'ymax'):
      self.assertTrue(feature['image/object/bbox/' + key].HasField('float_list'))
      self.assertEmpty(feature['image/object/bbox/' + key].float_list.value)
    self.assertEmpty(feature['image/object/bbox/label'].int64_list.value)
    self.assertEqual(_spec_parser(record)[1].shape, (0, 4))


class GenericExampleTest(absltest.TestCase):

  def test_keys_and_bytes_of_the_original_build_image_data(self):
    record = _generic_example(IMAGE, 'rose_1.jpg', 10, 20, 3, 'roses')
    self.assertEqual(record, _original_generic_example(IMAGE, 'rose_1.jpg', 10, 20, 3,
                                                       'roses'))
    keys = set(tf.train.Example.FromString(record).features.feature)
    self.assertEqual(keys, set(_example_records.GENERIC_KEYS))
    self.assertLen(keys, 9)


if __name__ == '__main__':
  absltest.main()
