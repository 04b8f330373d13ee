"""Tests of inception.check._example_proto: the same messages as tf.train.Example."""

import subprocess
import sys

from absl.testing import absltest
from google.protobuf import message as protobuf_message
import tensorflow as tf

from inception.check import _example_proto
from tests.check import check_fixtures


class ExampleProtoTest(absltest.TestCase):

  def test_parses_tensorflow_examples_to_the_same_values(self):
    for generic in (False, True):
      for number in range(4):
        serialized = check_fixtures.example(
            check_fixtures.record_fields('train', number), generic=generic)
        ours = _example_proto.Example.FromString(serialized)
        theirs = tf.train.Example.FromString(serialized)
        self.assertEqual(ours.SerializeToString(deterministic=True),
                         theirs.SerializeToString(deterministic=True))
        ours_features, their_features = ours.features.feature, theirs.features.feature
        self.assertCountEqual(ours_features.keys(), their_features.keys())
        for key, feature in their_features.items():
          kind = feature.WhichOneof('kind')
          self.assertEqual(ours_features[key].WhichOneof('kind'), kind, key)
          self.assertEqual(list(getattr(ours_features[key], kind).value),
                           list(getattr(feature, kind).value), key)

  def test_unpacked_lists_and_unknown_fields_as_tensorflow(self):
    # Int64List value 7 and 300 unpacked (tag 0x08), FloatList one unpacked float.
    ints = _example_proto.Int64List.FromString(b'\x08\x07\x08\xac\x02')
    self.assertEqual(list(ints.value),
                     list(tf.train.Int64List.FromString(b'\x08\x07\x08\xac\x02').value))
    self.assertEqual(list(ints.value), [7, 300])
    floats = b'\x0d\x00\x00\x80\x3f'
    self.assertEqual(list(_example_proto.FloatList.FromString(floats).value), [1.0])
    with_unknown = b'\x10\x05' + tf.train.Example().SerializeToString()
    self.assertEqual(_example_proto.Example.FromString(with_unknown).ByteSize(),
                     tf.train.Example.FromString(with_unknown).ByteSize())

  def test_refuses_what_tensorflow_refuses(self):
    for garbage in (b'\x0a\x05abc', b'\xff\xff\xff', b'\x0a\x02\x0a\x09'):
      with self.assertRaises(protobuf_message.DecodeError):
        tf.train.Example.FromString(garbage)
      with self.assertRaises(protobuf_message.DecodeError):
        _example_proto.Example.FromString(garbage)

  def test_import_needs_no_tensorflow(self):
    output = subprocess.run(
        [sys.executable, '-c', 'import sys; from inception.check import _example_proto; '
         'print("tensorflow" in sys.modules)'],
        check=True, capture_output=True, text=True).stdout
    self.assertEqual(output.strip(), 'False')


if __name__ == '__main__':
  absltest.main()
