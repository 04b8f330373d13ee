"""Tests of inception.annotations._boxes_csv: the CSV's lines, written and read back."""

import os

from absl.testing import absltest

from inception.annotations import _boxes_csv


class BoxesCsvTest(absltest.TestCase):

  def test_format_csv_line_rounds_to_four_decimals(self):
    line = _boxes_csv.format_csv_line(
        'n00007846_64193.JPEG', _boxes_csv.Box(0.006, 0.08864, 0.80396, 0.999))
    self.assertEqual(line, 'n00007846_64193.JPEG,0.0060,0.0886,0.8040,0.9990')
    name, box = _boxes_csv.parse_csv_line(line)
    self.assertEqual(name, 'n00007846_64193.JPEG')
    self.assertAlmostEqual(box.xmax, 0.804)

  def test_read_boxes_csv_groups_by_image_in_file_order(self):
    path = os.path.join(self.create_tempdir().full_path, 'boxes.csv')
    with open(path, 'w') as f:
      f.write('b.JPEG,0.1,0.2,0.3,0.4\n\na.JPEG,0,0,1,1\nb.JPEG,0.5,0.5,0.6,0.6\n')
    self.assertEqual(_boxes_csv.read_boxes_csv(path), {
        'b.JPEG': [_boxes_csv.Box(0.1, 0.2, 0.3, 0.4),
                   _boxes_csv.Box(0.5, 0.5, 0.6, 0.6)],
        'a.JPEG': [_boxes_csv.Box(0.0, 0.0, 1.0, 1.0)]})
    with open(path, 'a') as f:
      f.write('c.JPEG,0,0,one,1\n')
    with self.assertRaisesRegex(ValueError, r'boxes\.csv line 5: coordinates are not'):
      _boxes_csv.read_boxes_csv(path)


if __name__ == '__main__':
  absltest.main()
