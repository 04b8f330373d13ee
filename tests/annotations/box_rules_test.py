"""Tests of inception.annotations._box_rules: one XML → its boxes, by the rules."""

from absl.testing import absltest

from inception.annotations import _box_rules
from inception.annotations import _boxes_csv
from tests.annotations import annotation_fixtures

TENCH = annotation_fixtures.TENCH
GOLDFISH = annotation_fixtures.GOLDFISH
SYNSETS = annotation_fixtures.SYNSETS
HAND_XMLS = annotation_fixtures.HAND_XMLS
_xml = annotation_fixtures.xml


class BoxRulesTest(absltest.TestCase):

  def test_parse_annotation(self):
    annotation = _box_rules.parse_annotation(
        HAND_XMLS['n01443537/n01443537_7.xml'], 'some/dir/n01443537_7.xml')
    self.assertEqual(annotation.image_name, 'n01443537_7.JPEG')
    self.assertEqual((annotation.width, annotation.height), (400, 300))
    self.assertEqual(annotation.boxes, [
        _box_rules.RawBox(GOLDFISH, 100, 30, 300, 270),
        _box_rules.RawBox('n09999999', 40, 60, 80, 120)])

  def test_parse_errors_name_the_file_and_the_reason(self):
    cases = {
        b'not xml at all': (_box_rules.MALFORMED, 'not well-formed'),
        _xml(0, 0, [], size=False): (_box_rules.NO_SIZE, 'size'),
        _xml(0, 10, []): (_box_rules.NO_SIZE, 'size'),
        _xml(10, 10, [(TENCH, 1, 'one', 3, 4)]): (_box_rules.MALFORMED,
                                                  '<object> 1'),
        b'<annotation><size><width>5</width><height>5</height></size>'
        b'<object><name>x</name></object></annotation>':
            (_box_rules.MALFORMED, 'no <bndbox>'),
    }
    for data, (reason, words) in cases.items():
      with self.assertRaises(_box_rules.AnnotationError) as raised:
        _box_rules.parse_annotation(data, 'd/n01440764_1.xml')
      self.assertEqual(raised.exception.reason, reason)
      self.assertIn('d/n01440764_1.xml', str(raised.exception))
      self.assertIn(words, str(raised.exception))

  def test_normalize_box(self):
    raw = _box_rules.RawBox
    box = _boxes_csv.Box
    self.assertEqual(_box_rules.normalize_box(raw('a', 20, 10, 120, 90), 200, 100),
                     (box(0.1, 0.1, 0.6, 0.9), False, False, None))
    self.assertEqual(_box_rules.normalize_box(raw('a', 150, 80, 50, 20), 200, 100),
                     (box(0.25, 0.2, 0.75, 0.8), True, False, None))
    self.assertEqual(_box_rules.normalize_box(raw('a', -10, 50, 250, 120), 200, 100),
                     (box(0.0, 0.5, 1.0, 1.0), False, True, None))
    self.assertEqual(_box_rules.normalize_box(raw('a', 60, 10, 60, 90), 200, 100)[3],
                     _box_rules.ZERO_AREA)
    self.assertEqual(_box_rules.normalize_box(raw('a', 210, 1, 300, 5), 200, 100)[3],
                     _box_rules.OUTSIDE_IMAGE)
    self.assertEqual(_box_rules.normalize_box(raw('a', 5, -9, 9, -1), 200, 100)[3],
                     _box_rules.OUTSIDE_IMAGE)

  def test_image_synset_order(self):
    annotation = _box_rules.parse_annotation(
        HAND_XMLS['val/ILSVRC2012_val_00000003.xml'], 'ILSVRC2012_val_00000003.xml')
    self.assertEqual(_box_rules.image_synset(annotation), GOLDFISH)  # majority
    rules = _box_rules.BoxRules(
        image_synsets={'ILSVRC2012_val_00000003.JPEG': TENCH})
    self.assertEqual(_box_rules.image_synset(annotation, rules), TENCH)
    lines, counts = _box_rules.select_boxes(annotation, rules)
    self.assertEqual(lines, ['ILSVRC2012_val_00000003.JPEG,0.0000,0.0000,0.5000,0.5000'])
    self.assertEqual(counts[_box_rules.OTHER_SYNSET], 2)
    train = _box_rules.parse_annotation(HAND_XMLS['n01443537/n01443537_7.xml'],
                                        'n01443537_7.xml')
    self.assertEqual(_box_rules.image_synset(train, rules), GOLDFISH)

  def test_box_rules_keep_their_own_frozenset_and_dict(self):
    labels = {'ILSVRC2012_val_00000003.JPEG': GOLDFISH}
    rules = _box_rules.BoxRules(SYNSETS, labels)
    self.assertEqual(rules.synsets, frozenset(SYNSETS))
    labels.clear()
    self.assertLen(rules.image_synsets, 1)
    self.assertIsNone(_box_rules.BoxRules(image_synsets={}).image_synsets)


if __name__ == '__main__':
  absltest.main()
