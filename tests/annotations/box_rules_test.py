"""Tests of inception.annotations._box_rules: one XML → its boxes, by the rules."""

import itertools
import os

from absl.testing import absltest

from inception.annotations import _box_rules
from inception.annotations import _boxes_csv
from tests.annotations import annotation_fixtures

TENCH = annotation_fixtures.TENCH
GOLDFISH = annotation_fixtures.GOLDFISH
SYNSETS = annotation_fixtures.SYNSETS
HAND_XMLS = annotation_fixtures.HAND_XMLS
_xml = annotation_fixtures.xml


def _annotation(body: bytes) -> bytes:
  return (b'<annotation>\n\t<folder>n01440764</folder>\n\t<source>\n\t\t'
          b'<database>ILSVRC_2012</database>\n\t</source>\n' + body +
          b'</annotation>\n')


_SIZE = b'\t<size>\n\t\t<width>500</width>\n\t\t<height>375</height>\n\t</size>\n'


def _object(name: bytes = TENCH.encode(), coordinates: bytes = b'1 2 30 40',
            extra: bytes = b'<pose>Unspecified</pose>\n') -> bytes:
  xmin, ymin, xmax, ymax = coordinates.split()
  return (b'\t<object>\n\t\t<name>%s</name>\n\t\t%s\t\t<bndbox><xmin>%s</xmin>'
          b'<ymin>%s</ymin>\r\n<xmax>%s</xmax> <ymax>%s</ymax></bndbox>\n\t</object>\n'
          % (name, extra, xmin, ymin, xmax, ymax))


# Read by the fast path: the usual shape and what it allows.
_COMMON_XMLS = {
    'a/n01440764_1.xml': _annotation(_SIZE + _object()),
    'n01440764_2.xml': _annotation(_SIZE + b'<segmented>0</segmented>' + _object() +
                                   _object(b'  n01443537 ', b'-5 2.5 600 0.25')),
    'n01440764_3.xml': _annotation(_SIZE),  # no object
    'n01440764_4.xml': _annotation(_SIZE + _object(b'', extra=b'')),  # no name text
    'n01440764_5.xml': b' \n' + _annotation(
        b'<size><width>7</width><height>9.5</height><depth>3</depth></size>' +
        _object(extra=b'<name>second</name>').replace(
            b'</object>', b'<bndbox>second</bndbox></object>')) + b'\n\n',
    'ILSVRC2012_val_00000001.xml': _annotation(_SIZE + _object(
        b'Scottish_deerhound', b'30 40 1 2')),
}

# Left to ElementTree: anything else, well-formed or not.
_ODD_XMLS = {
    'comment.xml': _annotation(_SIZE + b'<!-- a comment -->' + _object()),
    'attribute.xml': _annotation(_SIZE.replace(b'<size>', b'<size unit="px">') +
                                 _object()),
    'entity.xml': _annotation(_SIZE + _object(b'n01440764&amp;')),
    'entity_number.xml': _annotation(_SIZE + _object(coordinates=b'1 2 &#51;0 40')),
    'cdata.xml': _annotation(_SIZE + _object(b'<![CDATA[n01440764]]>')),
    'declaration.xml': b'<?xml version="1.0" encoding="utf-8"?>\n' + _annotation(
        _SIZE + _object()),
    'non_ascii.xml': _annotation(_SIZE + _object('Müller'.encode())),
    'latin1.xml': b'<?xml version="1.0" encoding="latin-1"?>' + _annotation(
        _SIZE + _object('Müller'.encode('latin-1'))),
    'bad_utf8.xml': _annotation(_SIZE + _object(b'\xff')),
    'no_size.xml': _annotation(_object()),
    'zero_width.xml': _annotation(_SIZE.replace(b'500', b'0') + _object()),
    'negative_height.xml': _annotation(_SIZE.replace(b'375', b'-375') + _object()),
    'size_words.xml': _annotation(_SIZE.replace(b'500', b'five') + _object()),
    'size_inf.xml': _annotation(_SIZE.replace(b'500', b'inf') + _object()),
    'size_spaces.xml': _annotation(_SIZE.replace(b'500', b' 500 ') + _object()),
    'size_exponent.xml': _annotation(_SIZE.replace(b'500', b'5e2') + _object()),
    'bad_number.xml': _annotation(_SIZE + _object(coordinates=b'1 2 one 40')),
    'nan.xml': _annotation(_SIZE + _object(coordinates=b'1 2 nan 40')),
    'empty_coordinate.xml': _annotation(_SIZE + _object().replace(
        b'<xmin>1</xmin>', b'<xmin></xmin>')),
    'no_bndbox.xml': _annotation(_SIZE + b'<object><name>x</name></object>'),
    'missing_ymax.xml': _annotation(_SIZE + _object().replace(
        b' <ymax>40</ymax>', b'')),
    'coordinates_reordered.xml': _annotation(_SIZE + _object().replace(
        b'<xmin>1</xmin><ymin>2</ymin>', b'<ymin>2</ymin><xmin>1</xmin>')),
    'name_after_bndbox.xml': _annotation(_SIZE + _object(b'', extra=b'').replace(
        b'<name></name>', b'').replace(b'</object>', b'<name>n01440764</name></object>')),
    'object_before_size.xml': _annotation(_object() + _SIZE),
    'leaf_size_first.xml': _annotation(b'<size>big</size>' + _SIZE + _object()),
    'nested_deeper.xml': _annotation(_SIZE + _object(
        extra=b'<part><name>x</name><bndbox><xmin>1</xmin></bndbox></part>')),
    'leaf_bndbox_first.xml': _annotation(_SIZE + _object(
        extra=b'<bndbox>first</bndbox>')),
    'empty_element.xml': _annotation(_SIZE + _object(extra=b'<occluded/>')),
    'text_between.xml': _annotation(_SIZE + b'words' + _object()),
    'other_root.xml': _annotation(_SIZE + _object()).replace(b'annotation>', b'ann>'),
    'mismatched.xml': _annotation(_SIZE + _object()).replace(b'</folder>',
                                                            b'</filename>'),
    'form_feed.xml': _annotation(_SIZE + b'\x0c' + _object()),
    'second_root.xml': _annotation(_SIZE) + b'<annotation/>',
    'carriage_return_in_name.xml': _annotation(_SIZE + _object(b'n0144\r0764')),
    'truncated.xml': _annotation(_SIZE + _object())[:-20],
}


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

  def test_common_xmls_are_read_without_a_tree_and_give_the_tree_s_annotation(self):
    # The fast path (_common_annotation) must answer for the usual shape and give
    # exactly what ElementTree gives; for anything else it must leave the file to
    # ElementTree (None), whose result or error then stands.
    for path, data in _COMMON_XMLS.items():
      common = _box_rules._common_annotation(data, path)
      self.assertIsNotNone(common, path)
      self.assertEqual(common, _box_rules._tree_annotation(data, path), path)
      self.assertEqual(common, _box_rules.parse_annotation(data, path), path)
    for path, data in _ODD_XMLS.items():
      self.assertIsNone(_box_rules._common_annotation(data, path), path)
      try:
        expected = _box_rules._tree_annotation(data, path, 'src:' + path)
      except _box_rules.AnnotationError as e:
        with self.assertRaises(_box_rules.AnnotationError) as raised:
          _box_rules.parse_annotation(data, path, 'src:' + path)
        self.assertEqual((str(raised.exception), raised.exception.reason),
                         (str(e), e.reason), path)
      else:
        self.assertEqual(_box_rules.parse_annotation(data, path, 'src:' + path),
                         expected, path)

  def test_the_hand_written_and_generated_xmls_take_the_common_path(self):
    files = dict(annotation_fixtures.many_xmls(200))
    files.update((path, data) for path, data in HAND_XMLS.items()
                 if path != 'n01443537/n01443537_9.xml')  # cut short
    for path, data in files.items():
      try:
        expected = _box_rules._tree_annotation(data, path)
      except _box_rules.AnnotationError:  # no size
        self.assertIsNone(_box_rules._common_annotation(data, path), path)
      else:
        self.assertEqual(_box_rules._common_annotation(data, path), expected, path)

  def test_image_names_are_os_path_s(self):
    for path in ('a/b/n01440764_1.xml', 'n01440764_1.xml', '.xml', '..xml', 'a/.b.xml',
                 'x', 'a.b.c', 'a/..', 'a/.', 'a/', '...a.xml', 'a/b.c/d', '.a.'):
      self.assertEqual(_box_rules.image_name_for_xml(path),
                       os.path.splitext(os.path.basename(path))[0] + '.JPEG', path)

  def test_normalize_box_keeps_the_original_arithmetic(self):
    # The original's min/max formulas, -0.0 and ties included: the CSV's bytes.
    def original(raw, width, height):
      xmin, xmax = raw.xmin / width, raw.xmax / width
      ymin, ymax = raw.ymin / height, raw.ymax / height
      swapped = xmin > xmax or ymin > ymax
      xmin, xmax = min(xmin, xmax), max(xmin, xmax)
      ymin, ymax = min(ymin, ymax), max(ymin, ymax)
      outside = xmax <= 0.0 or ymax <= 0.0 or xmin >= 1.0 or ymin >= 1.0
      clamped = min(xmin, ymin) < 0.0 or max(xmax, ymax) > 1.0
      box = _boxes_csv.Box(*(min(max(v, 0.0), 1.0) for v in (xmin, ymin, xmax, ymax)))
      reason = None
      if box.xmin >= box.xmax or box.ymin >= box.ymax:
        reason = _box_rules.OUTSIDE_IMAGE if outside else _box_rules.ZERO_AREA
      return box, swapped, clamped, reason

    values = (-20.0, -0.0, 0.0, 7.5, 100.0, 200.0, 250.0)
    for xmin, ymin, xmax, ymax in itertools.product(values, repeat=4):
      raw = _box_rules.RawBox('a', xmin, ymin, xmax, ymax)
      got, expected = (_box_rules.normalize_box(raw, 200.0, 100.0),
                       original(raw, 200.0, 100.0))
      self.assertEqual(repr(got), repr(expected), repr(raw))
      self.assertEqual(_boxes_csv.format_csv_line('a.JPEG', got[0]),
                       '%s,%.4f,%.4f,%.4f,%.4f' % ('a.JPEG', *expected[0]))


if __name__ == '__main__':
  absltest.main()
