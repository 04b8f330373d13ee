"""Tests of inception.records._boxes: a split's box table and each shard's boxes."""

import pickle
from unittest import mock

from absl.testing import absltest

from inception.records import _boxes


class BoxesTest(absltest.TestCase):

  def test_box_table_is_a_mapping_of_plain_tuples(self):
    table = _boxes.BoxTable()
    boxes = {'n%d_%d.JPEG' % (n % 7, n): [(n / 1000, 0.25, 0.5, 0.75)] * (1 + n % 2)
             for n in range(2000)}
    for name, image_boxes in boxes.items():
      table.add(name, image_boxes)
    self.assertLen(table, 2000)
    self.assertEqual(dict(table), {k: tuple(v) for k, v in boxes.items()})
    self.assertEqual(list(table), list(boxes))  # insertion order
    self.assertEqual(table.num_boxes, 3000)
    self.assertEqual(table.index('n3_3.JPEG'), 3)
    self.assertEqual(table.index('n3_3.jpeg'), -1)
    self.assertNotIn('missing', table)
    table.add('late.JPEG', [(0.0, 0.0, 1.0, 1.0)])  # indexed again on the next look-up
    self.assertEqual(table['late.JPEG'], ((0.0, 0.0, 1.0, 1.0),))
    self.assertEqual(dict(_boxes.BoxTable.from_mapping(boxes)),
                     {k: tuple(v) for k, v in boxes.items()})

  def test_equal_hashes_are_told_apart_by_name(self):
    table = _boxes.BoxTable()
    table.add('a', [(0.1, 0.1, 0.2, 0.2)])
    table.add('b', [(0.3, 0.3, 0.4, 0.4)])
    with mock.patch.object(_boxes, 'hash', create=True, new=lambda name: 7):
      self.assertEqual((table.index('a'), table.index('b'), table.index('c')),
                       (0, 1, -1))

  def test_shard_boxes(self):
    table = _boxes.BoxTable.from_mapping(
        {'a': [(0.1, 0.2, 0.3, 0.4)], 'b': [(0.5, 0.5, 0.6, 0.6), (0, 0, 1, 1)]})
    boxes = table.shard_boxes([1, -1, 0, 1])
    expected = (((0.5, 0.5, 0.6, 0.6), (0.0, 0.0, 1.0, 1.0)), (),
                ((0.1, 0.2, 0.3, 0.4),), ((0.5, 0.5, 0.6, 0.6), (0.0, 0.0, 1.0, 1.0)))
    self.assertEqual(tuple(boxes), expected)
    self.assertEqual(boxes, expected)
    self.assertEqual(boxes[2], expected[2])
    self.assertLen(boxes, 4)
    self.assertEqual(tuple(pickle.loads(pickle.dumps(boxes))), expected)
    self.assertTrue(all(type(b) is tuple for image in boxes for b in image))


if __name__ == '__main__':
  absltest.main()
