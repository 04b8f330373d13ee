"""Tests of inception.check._wire_values: a record read from its bytes is what upb
parses, for records from TensorFlow and from our writer, and for damaged ones."""

import os

from absl.testing import absltest
from google.protobuf import message as protobuf_message
import tensorflow as tf

from inception import records
from inception.check import _example_proto
from inception.check import _record_checks
from inception.check import _wire_values
from tests.check import check_fixtures

_IMAGENET = _record_checks.IMAGENET_SCHEMA
_GENERIC = _record_checks.GENERIC_SCHEMA
_LABELS = _record_checks.LabelFiles(tuple(check_fixtures.SYNSETS),
                                    tuple(check_fixtures.TEXTS))


def _parsed(serialized, schema):
  """(values, schema problems) as upb's message gives them, or 'DecodeError'."""
  try:
    example = _example_proto.Example.FromString(serialized)
  except protobuf_message.DecodeError:
    return 'DecodeError'
  return _record_checks.parsed_values(example, schema)


def _comparable(values, problems=None):
  """{key: repr(value)} (a NaN coordinate equals itself here), and the problems."""
  comparable = {key: repr(value) for key, value in values.items()}
  return comparable if problems is None else (comparable, problems)


def _checked_through_upb(serialized, schema, split):
  """check_example's result as the general path alone gives it."""
  parsed = _parsed(serialized, schema)
  if parsed == 'DecodeError':
    return 'DecodeError'
  return _record_checks.fields_and_problems(*parsed, schema, _LABELS, split)


def _fields(split, number):
  fields = check_fixtures.record_fields(split, number)
  if split == 'train' and number % 3 == 0:  # two boxes, a non-ASCII text
    fields['boxes'] = [(0.1, 0.2, 0.8, 0.9), (0.0, 0.5, 1.0, 0.75)]
    fields['text'] = 'caf\u00e9, ein Kr\u00fcgel'.encode('utf-8')
  return fields


def _tensorflow_records(schema):
  """Records of every split, as TensorFlow serializes them (map order unspecified)
  and as its deterministic serialization writes them (keys sorted)."""
  result = []
  for split in ('train', 'validation', 'test'):
    for number in range(4):
      serialized = check_fixtures.example(_fields(split, number),
                                          generic=schema == _GENERIC)
      result.append((split, serialized))
      result.append((split, tf.train.Example.FromString(serialized).SerializeToString(
          deterministic=True)))
  return result


class _InMemory(object):
  """An image source of records.ImageEntry: bytes already in memory."""

  def __init__(self, data):
    self.data = data

  def read_bytes(self):
    return self.data


def _our_records(directory, schema):
  """The records our shard writer writes (records.write_shard), read back."""
  result = []
  for split in ('train', 'validation', 'test'):
    entries, boxes = [], []
    for number in range(6):
      fields = _fields(split, number)
      entries.append(records.ImageEntry(
          _InMemory(fields['encoded']), fields['filename'].decode(), fields['label'],
          fields['synset'].decode(), fields['text'].decode()))
      boxes.append(tuple(fields['boxes']))
    path = os.path.join(directory, '%s-%s' % (schema, split))
    record_format = (records.IMAGENET_FORMAT if schema == _IMAGENET
                     else records.GENERIC_FORMAT)
    records.write_shard(records.ShardTask(split, 0, 1, path, tuple(entries),
                                          tuple(boxes), record_format=record_format,
                                          validate_images='none'))
    with open(path, 'rb') as f:
      result += [(split, data) for _, data in
                 records.read_records(f, os.path.getsize(path))]
  return result


def _damaged(serialized):
  """The record with each byte around the image changed in a few ways, cut short at
  each of those bytes, and with a byte put in."""
  image_at = serialized.find(b'\xff\xd8')
  image_end = serialized.rfind(b'\xff\xd9') + 2
  places = list(range(min(image_at + 4, len(serialized)))) + list(
      range(max(image_end - 2, 0), len(serialized)))
  for at in places:
    yield serialized[:at]
    yield serialized[:at] + b'\x0a' + serialized[at:]
    for value in {0x00, 0x01, 0x0A, 0x12, 0x1A, 0x7F, 0x80, 0xFF,
                  serialized[at] ^ 0x01, serialized[at] ^ 0x80}:
      if value != serialized[at]:
        yield serialized[:at] + bytes((value,)) + serialized[at + 1:]


class WireValuesTest(absltest.TestCase):

  @classmethod
  def setUpClass(cls):
    super().setUpClass()
    directory = absltest.get_default_test_tmpdir()
    cls.records = {schema: _tensorflow_records(schema) + _our_records(directory, schema)
                   for schema in (_IMAGENET, _GENERIC)}

  def test_good_records_read_as_upb_parses_them(self):
    for schema, good in self.records.items():
      layout = _wire_values.Layout(
          _record_checks.FEATURES_BY_SCHEMA[schema], _record_checks._LIST_KEYS,  # pylint: disable=protected-access
          ('image/encoded',), frozenset(['image/encoded', 'image/filename']))
      for _ in range(2):  # the second time, from the entries and runs remembered
        for split, serialized in good:
          values, problems = _parsed(serialized, schema)
          self.assertEqual(problems, [])
          self.assertEqual(_wire_values.read_values(serialized, layout), values)
      self.assertNotEmpty(layout.heads)
      self.assertNotEmpty(layout.tails)

  def test_our_writer_and_tensorflow_sorted_share_the_runs(self):
    # Our writer's bytes are TensorFlow's deterministic serialization: the runs
    # remembered from one serve the other.
    ours = self.records[_IMAGENET][-18:]
    for split, serialized in ours:
      example = tf.train.Example.FromString(serialized)
      self.assertEqual(example.SerializeToString(deterministic=True), serialized)

  def test_damaged_records_read_as_upb_parses_them_or_not_at_all(self):
    for schema, good in self.records.items():
      layout = _record_checks.LAYOUTS[schema]
      for split, serialized in good:  # remembered first: damage must not hide in them
        _record_checks.check_example(serialized, schema, _LABELS, split)
      read = refused = 0
      for split, serialized in good[::5]:
        for damaged in _damaged(serialized):
          values = _wire_values.read_values(damaged, layout)
          through_upb = _checked_through_upb(damaged, schema, split)
          if values is None:
            refused += 1
          else:
            read += 1
            self.assertEqual((_comparable(values), []),
                             _comparable(*_parsed(damaged, schema)), damaged)
          if through_upb != 'DecodeError':  # the same fields and problems either way
            self.assertEqual(
                _record_checks.check_example(damaged, schema, _LABELS, split),
                through_upb)
      # Both ways are taken: damage that keeps the layout (a changed label, size,
      # letter or coordinate) is read, the rest is left to upb.
      self.assertGreater(read, 200, schema)
      self.assertGreater(refused, 2000, schema)

  def test_refused_layouts(self):
    layout = _record_checks.LAYOUTS[_IMAGENET]
    fields = _fields('train', 0)
    good = check_fixtures.example(fields)
    self.assertIsNotNone(_wire_values.read_values(good, layout))
    unpacked = tf.train.Example.FromString(good)
    del unpacked.features.feature['image/width']
    cases = {
        'a key missing': unpacked.SerializeToString(),
        'an unknown field after the features': good + b'\x10\x05',
        'two labels': check_fixtures.example(dict(fields, extra={
            'image/class/label': tf.train.Feature(
                int64_list=tf.train.Int64List(value=[1, 2]))})),
        'a label as floats': check_fixtures.example(dict(fields, extra={
            'image/class/label': tf.train.Feature(
                float_list=tf.train.FloatList(value=[1.0]))})),
        'a text not UTF-8': check_fixtures.example(dict(fields, text=b'\xff\xfe')),
        'an extra key': check_fixtures.example(dict(fields, extra={
            'image/extra': tf.train.Feature()})),
    }
    for name, serialized in cases.items():
      self.assertIsNone(_wire_values.read_values(serialized, layout), name)
    # A key twice: the entries of the map written out again after it.
    example = tf.train.Example.FromString(good)
    entries = example.features.SerializeToString(deterministic=True)
    twice = b'\x0a' + _varint(len(entries) * 2) + entries + entries
    self.assertIsNone(_wire_values.read_values(twice, layout))
    self.assertEqual(_parsed(twice, _IMAGENET)[1], [])  # upb keeps the last


def _varint(value):
  out = bytearray()
  while value >= 0x80:
    out.append(value & 0x7F | 0x80)
    value >>= 7
  out.append(value)
  return bytes(out)


if __name__ == '__main__':
  absltest.main()
