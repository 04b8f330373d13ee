"""Tests of inception.annotations._bounding_boxes: XML → CSV by the documented rules."""

import gc
import io
import os
import tarfile

from absl.testing import absltest

from inception import acquire
from inception import core
from inception import demo
from inception.annotations import _bounding_boxes

TENCH = 'n01440764'
GOLDFISH = 'n01443537'
SYNSETS = [TENCH, GOLDFISH]


def _xml(width, height, objects, size=True):
  """A hand-written annotation; objects are (name, xmin, ymin, xmax, ymax)."""
  parts = ['<annotation>\n\t<folder>x</folder>\n\t<filename>%s</filename>\n']
  if size:
    parts.append('\t<size>\n\t\t<width>%d</width>\n\t\t<height>%d</height>\n'
                 '\t\t<depth>3</depth>\n\t</size>\n' % (width, height))
  for name, xmin, ymin, xmax, ymax in objects:
    parts.append('\t<object>\n\t\t<name>%s</name>\n\t\t<bndbox>\n'
                 '\t\t\t<xmin>%s</xmin>\n\t\t\t<ymin>%s</ymin>\n'
                 '\t\t\t<xmax>%s</xmax>\n\t\t\t<ymax>%s</ymax>\n'
                 '\t\t</bndbox>\n\t</object>\n' % (name, xmin, ymin, xmax, ymax))
  parts.append('</annotation>\n')
  return ''.join(parts).encode()


# Every hard case, worked out by hand below (path → bytes).
HAND_XMLS = {
    # 200 x 100: one box of each kind.
    'n01440764/n01440764_10.xml': _xml(200, 100, [
        (TENCH, 20, 10, 120, 90),  # normal: 0.1 0.1 0.6 0.9
        (TENCH, 150, 80, 50, 20),  # inverted: swapped to 0.25 0.2 0.75 0.8
        (TENCH, -10, 50, 250, 120),  # outside: clamped to 0 0.5 1 1
        (TENCH, 60, 10, 60, 90),  # degenerate: xmin == xmax, dropped
        (GOLDFISH, 10, 10, 100, 50),  # another challenge synset: dropped
        ('Scottish_deerhound', 0, 0, 100, 50),  # a name in words: kept, 0 0 0.5 0.5
        (TENCH, 210, 10, 300, 50),  # entirely right of the image: dropped
    ]),
    # 400 x 300: a normal box and one naming a wnid that is not a challenge synset.
    'n01443537/n01443537_7.xml': _xml(400, 300, [
        (GOLDFISH, 100, 30, 300, 270),  # 0.25 0.1 0.75 0.9
        ('n09999999', 40, 60, 80, 120),  # 0.1 0.2 0.2 0.4, kept only with synsets
    ]),
    'n01440764/n01440764_20.xml': _xml(0, 0, [(TENCH, 1, 1, 5, 5)], size=False),
    'n01443537/n01443537_9.xml': b'<annotation><size><width>10</width>',
    # A v3 validation XML (no wnid in the name), 500 x 250. The odd box comes first:
    # the majority, not the first, decides when no label file is given.
    'val/ILSVRC2012_val_00000003.xml': _xml(500, 250, [
        (TENCH, 0, 0, 250, 125),  # dropped: the image is a goldfish
        (GOLDFISH, 50, 25, 450, 225),  # 0.1 0.1 0.9 0.9
        (GOLDFISH, 100, 50, 200, 100),  # 0.2 0.2 0.4 0.4
    ]),
}
VALIDATION_LABELS = {'ILSVRC2012_val_00000003.JPEG': GOLDFISH}

GOLDEN_CSV = """\
ILSVRC2012_val_00000003.JPEG,0.1000,0.1000,0.9000,0.9000
ILSVRC2012_val_00000003.JPEG,0.2000,0.2000,0.4000,0.4000
n01440764_10.JPEG,0.1000,0.1000,0.6000,0.9000
n01440764_10.JPEG,0.2500,0.2000,0.7500,0.8000
n01440764_10.JPEG,0.0000,0.5000,1.0000,1.0000
n01440764_10.JPEG,0.0000,0.0000,0.5000,0.5000
n01443537_7.JPEG,0.2500,0.1000,0.7500,0.9000
n01443537_7.JPEG,0.1000,0.2000,0.2000,0.4000
"""


def _write_tree(directory, files):
  for name, data in files.items():
    path = os.path.join(directory, name)
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, 'wb') as f:
      f.write(data)
  return directory


def _write_tarball(path, files, mode='w:gz', in_given_order=False):
  with tarfile.open(path, mode) as archive:
    for name, data in (files.items() if in_given_order else sorted(files.items())):
      info = tarfile.TarInfo(name)
      info.size = len(data)
      archive.addfile(info, io.BytesIO(data))
  return path


def _read(path):
  with open(path) as f:
    return f.read()


def _many_xmls(count):
  """`count` plain train XMLs over 3 classes, some with bad boxes."""
  files = {}
  for i in range(count):
    synset = SYNSETS[i % 2] if i % 3 else 'n02000000'
    objects = [(synset, i % 50, i % 40, 60 + i % 90, 50 + i % 70)]
    if i % 7 == 0:
      objects.append((synset, 90, 80, 10, 5))  # inverted
    if i % 11 == 0:
      objects.append((SYNSETS[0], 1, 2, 3, 4))  # another synset for most
    files['%s/%s_%d.xml' % (synset, synset, i)] = _xml(160 + i % 13, 120, objects)
  return files


class PureFunctionTest(absltest.TestCase):

  def test_parse_annotation(self):
    annotation = _bounding_boxes.parse_annotation(
        HAND_XMLS['n01443537/n01443537_7.xml'], 'some/dir/n01443537_7.xml')
    self.assertEqual(annotation.image_name, 'n01443537_7.JPEG')
    self.assertEqual((annotation.width, annotation.height), (400, 300))
    self.assertEqual(annotation.boxes, [
        _bounding_boxes.RawBox(GOLDFISH, 100, 30, 300, 270),
        _bounding_boxes.RawBox('n09999999', 40, 60, 80, 120)])

  def test_parse_errors_name_the_file_and_the_reason(self):
    cases = {
        b'not xml at all': (_bounding_boxes.MALFORMED, 'not well-formed'),
        _xml(0, 0, [], size=False): (_bounding_boxes.NO_SIZE, 'size'),
        _xml(0, 10, []): (_bounding_boxes.NO_SIZE, 'size'),
        _xml(10, 10, [(TENCH, 1, 'one', 3, 4)]): (_bounding_boxes.MALFORMED,
                                                   '<object> 1'),
        b'<annotation><size><width>5</width><height>5</height></size>'
        b'<object><name>x</name></object></annotation>':
            (_bounding_boxes.MALFORMED, 'no <bndbox>'),
    }
    for data, (reason, words) in cases.items():
      with self.assertRaises(_bounding_boxes.AnnotationError) as raised:
        _bounding_boxes.parse_annotation(data, 'd/n01440764_1.xml')
      self.assertEqual(raised.exception.reason, reason)
      self.assertIn('d/n01440764_1.xml', str(raised.exception))
      self.assertIn(words, str(raised.exception))

  def test_normalize_box(self):
    raw = _bounding_boxes.RawBox
    box = _bounding_boxes.Box
    self.assertEqual(_bounding_boxes.normalize_box(raw('a', 20, 10, 120, 90), 200, 100),
                     (box(0.1, 0.1, 0.6, 0.9), False, False, None))
    self.assertEqual(_bounding_boxes.normalize_box(raw('a', 150, 80, 50, 20), 200, 100),
                     (box(0.25, 0.2, 0.75, 0.8), True, False, None))
    self.assertEqual(_bounding_boxes.normalize_box(raw('a', -10, 50, 250, 120), 200, 100),
                     (box(0.0, 0.5, 1.0, 1.0), False, True, None))
    self.assertEqual(_bounding_boxes.normalize_box(raw('a', 60, 10, 60, 90), 200, 100)[3],
                     _bounding_boxes.ZERO_AREA)
    self.assertEqual(_bounding_boxes.normalize_box(raw('a', 210, 1, 300, 5), 200, 100)[3],
                     _bounding_boxes.OUTSIDE_IMAGE)
    self.assertEqual(_bounding_boxes.normalize_box(raw('a', 5, -9, 9, -1), 200, 100)[3],
                     _bounding_boxes.OUTSIDE_IMAGE)

  def test_format_csv_line_rounds_to_four_decimals(self):
    line = _bounding_boxes.format_csv_line(
        'n00007846_64193.JPEG', _bounding_boxes.Box(0.006, 0.08864, 0.80396, 0.999))
    self.assertEqual(line, 'n00007846_64193.JPEG,0.0060,0.0886,0.8040,0.9990')
    name, box = _bounding_boxes.parse_csv_line(line)
    self.assertEqual(name, 'n00007846_64193.JPEG')
    self.assertAlmostEqual(box.xmax, 0.804)

  def test_image_synset_order(self):
    annotation = _bounding_boxes.parse_annotation(
        HAND_XMLS['val/ILSVRC2012_val_00000003.xml'], 'ILSVRC2012_val_00000003.xml')
    self.assertEqual(_bounding_boxes.image_synset(annotation), GOLDFISH)  # majority
    rules = _bounding_boxes.BoxRules(
        image_synsets={'ILSVRC2012_val_00000003.JPEG': TENCH})
    self.assertEqual(_bounding_boxes.image_synset(annotation, rules), TENCH)
    lines, counts = _bounding_boxes.select_boxes(annotation, rules)
    self.assertEqual(lines, ['ILSVRC2012_val_00000003.JPEG,0.0000,0.0000,0.5000,0.5000'])
    self.assertEqual(counts[_bounding_boxes.OTHER_SYNSET], 2)
    train = _bounding_boxes.parse_annotation(HAND_XMLS['n01443537/n01443537_7.xml'],
                                            'n01443537_7.xml')
    self.assertEqual(_bounding_boxes.image_synset(train, rules), GOLDFISH)


class ProcessBoundingBoxesTest(absltest.TestCase):

  def setUp(self):
    super().setUp()
    self.directory = self.create_tempdir().full_path
    self.xml_dir = _write_tree(os.path.join(self.directory, 'xml'), HAND_XMLS)

  def test_golden_csv(self):
    output = os.path.join(self.directory, 'out', 'boxes.csv')
    stats = _bounding_boxes.process_bounding_boxes(
        self.xml_dir, output, synsets=SYNSETS, image_synsets=VALIDATION_LABELS,
        num_workers=1)
    self.assertEqual(_read(output), GOLDEN_CSV)
    self.assertEqual(stats.files_read, 5)
    self.assertEqual(stats.images_with_boxes, 3)
    self.assertEqual(stats.boxes_written, 8)
    self.assertEqual(stats.boxes_swapped, 1)
    self.assertEqual(stats.boxes_clamped, 1)
    self.assertEqual(stats.boxes_dropped, {_bounding_boxes.OTHER_SYNSET: 2,
                                           _bounding_boxes.OUTSIDE_IMAGE: 1,
                                           _bounding_boxes.ZERO_AREA: 1})
    self.assertEqual(stats.bad_file_counts(), {_bounding_boxes.MALFORMED: 1,
                                               _bounding_boxes.NO_SIZE: 1})
    bad_names = sorted(os.path.relpath(bad.name, self.xml_dir)
                       for bad in stats.bad_files)
    self.assertEqual(bad_names, ['n01440764/n01440764_20.xml',
                                 'n01443537/n01443537_9.xml'])
    summary = '\n'.join(stats.summary_lines())
    self.assertIn('n01443537_9.xml', summary)
    self.assertIn('zero area 1', summary)
    self.assertLen(_bounding_boxes.read_boxes_csv(output)['n01440764_10.JPEG'], 4)

  def test_without_synsets_or_labels_any_other_wnid_is_dropped(self):
    output = os.path.join(self.directory, 'boxes.csv')
    stats = _bounding_boxes.process_bounding_boxes(self.xml_dir, output, num_workers=1)
    expected = [line for line in GOLDEN_CSV.splitlines(True)
                if line != 'n01443537_7.JPEG,0.1000,0.2000,0.2000,0.4000\n']
    self.assertEqual(_read(output), ''.join(expected))
    self.assertEqual(stats.boxes_dropped[_bounding_boxes.OTHER_SYNSET], 3)

  def test_directory_and_tarballs_give_identical_csv(self):
    outputs = []
    for source in [self.xml_dir,
                   _write_tarball(os.path.join(self.directory, 'a.tar.gz'), HAND_XMLS),
                   _write_tarball(os.path.join(self.directory, 'a.tgz'), HAND_XMLS),
                   _write_tarball(os.path.join(self.directory, 'a.tar'), HAND_XMLS,
                                  'w')]:
      output = os.path.join(self.directory, os.path.basename(source) + '.csv')
      stats = _bounding_boxes.process_bounding_boxes(
          source, output, synsets=SYNSETS, image_synsets=VALIDATION_LABELS,
          num_workers=2)
      outputs.append(_read(output))
      self.assertLen(stats.bad_files, 2)
      self.assertTrue(all(bad.name.endswith('.xml') for bad in stats.bad_files))
    self.assertEqual(outputs, [GOLDEN_CSV] * 4)

  def test_workers_do_not_change_the_output(self):
    xml_dir = _write_tree(os.path.join(self.directory, 'many'), _many_xmls(2500))
    results = []
    for num_workers in (1, 2, 3):
      output = os.path.join(self.directory, 'many-%d.csv' % num_workers)
      stats = _bounding_boxes.process_bounding_boxes(xml_dir, output, synsets=SYNSETS,
                                                    num_workers=num_workers)
      results.append((_read(output), stats))
    self.assertEqual(results[1], results[0])
    self.assertEqual(results[2], results[0])
    csv, stats = results[0]
    self.assertEqual(stats.files_read, 2500)
    self.assertEqual(stats.files_outside_synsets, 834)  # every third: n02000000
    self.assertEqual(csv.splitlines(), sorted(csv.splitlines(),
                                              key=lambda line: line.split(',')[0]))
    self.assertGreater(stats.boxes_swapped, 0)
    self.assertGreater(stats.boxes_dropped[_bounding_boxes.OTHER_SYNSET], 0)

  def test_strict_raises_naming_the_file_and_keeps_the_old_output(self):
    output = os.path.join(self.directory, 'boxes.csv')
    core.write_text(output, 'old\n')
    for num_workers in (1, 2):
      with self.assertRaisesRegex(ValueError, r'n01440764_20\.xml.*size'):
        _bounding_boxes.process_bounding_boxes(self.xml_dir, output, strict=True,
                                              num_workers=num_workers)
      self.assertEqual(_read(output), 'old\n')
    self.assertEqual(sorted(os.listdir(self.directory)), ['boxes.csv', 'xml'])

  def test_a_source_of_only_bad_xmls_fails_even_without_strict(self):
    xml_dir = _write_tree(os.path.join(self.directory, 'bad'), {
        'n01440764/n01440764_1.xml': b'<annotation><size>',
        'n01440764/n01440764_2.xml': b'not xml at all'})
    output = os.path.join(self.directory, 'boxes.csv')
    with self.assertRaisesRegex(ValueError, r'none of the 2 XML files.*n01440764_1\.xml'):
      _bounding_boxes.process_bounding_boxes(xml_dir, output, num_workers=1)
    self.assertFalse(os.path.exists(output))

  def test_files_of_other_synsets_are_skipped_with_synsets(self):
    xml_dir = _write_tree(os.path.join(self.directory, 'other'), {
        'n02000000/n02000000_1.xml': _xml(10, 10, [('n02000000', 1, 1, 5, 5)]),
        'n01440764/n01440764_1.xml': _xml(10, 10, [(TENCH, 1, 1, 5, 5)])})
    output = os.path.join(self.directory, 'boxes.csv')
    stats = _bounding_boxes.process_bounding_boxes(xml_dir, output, synsets=SYNSETS)
    self.assertEqual(_read(output), 'n01440764_1.JPEG,0.1000,0.1000,0.5000,0.5000\n')
    self.assertEqual((stats.files_read, stats.files_outside_synsets), (2, 1))

  def test_second_xml_for_an_image_is_reported_and_ignored(self):
    copy = _write_tree(os.path.join(self.directory, 'copy'), {
        'n01443537_7.xml': _xml(10, 10, [(GOLDFISH, 1, 1, 2, 2)])})
    output = os.path.join(self.directory, 'boxes.csv')
    stats = _bounding_boxes.process_bounding_boxes(
        [self.xml_dir, copy], output, synsets=SYNSETS, image_synsets=VALIDATION_LABELS)
    self.assertEqual(_read(output), GOLDEN_CSV)
    self.assertEqual(stats.bad_file_counts()[_bounding_boxes.DUPLICATE], 1)
    good = _write_tree(os.path.join(self.directory, 'good'), {
        'n01443537_7.xml': HAND_XMLS['n01443537/n01443537_7.xml']})
    with self.assertRaisesRegex(ValueError, 'copy/n01443537_7.xml: a second XML'):
      _bounding_boxes.process_bounding_boxes([good, copy], output, strict=True)

  def test_second_xml_in_a_tarball_loses_by_name_not_by_archive_order(self):
    kept = HAND_XMLS['n01443537/n01443537_7.xml']
    tarball = _write_tarball(os.path.join(self.directory, 'dup.tar.gz'), {
        'z_copy/n01443537_7.xml': _xml(10, 10, [(GOLDFISH, 1, 1, 2, 2)]),
        'n01443537/n01443537_7.xml': kept,
    }, in_given_order=True)
    output = os.path.join(self.directory, 'boxes.csv')
    for num_workers in (1, 2):
      stats = _bounding_boxes.process_bounding_boxes(tarball, output, synsets=SYNSETS,
                                                    num_workers=num_workers)
      self.assertEqual(_read(output),
                       'n01443537_7.JPEG,0.2500,0.1000,0.7500,0.9000\n'
                       'n01443537_7.JPEG,0.1000,0.2000,0.2000,0.4000\n')
      self.assertEqual((stats.files_read, stats.images_with_boxes,
                        stats.boxes_written), (2, 1, 2))
      self.assertEqual([(bad.name, bad.reason) for bad in stats.bad_files],
                       [(tarball + ':z_copy/n01443537_7.xml',
                         _bounding_boxes.DUPLICATE)])
    with self.assertRaisesRegex(ValueError, r'z_copy/n01443537_7\.xml: a second XML '
                                r'for n01443537_7\.JPEG \(the first is .*dup\.tar\.gz:'
                                r'n01443537/n01443537_7\.xml'):
      _bounding_boxes.process_bounding_boxes(tarball, output, strict=True)

  def test_tarball_reader_streams_one_chunk_at_a_time(self):
    # tarfile keeps the header of every member read (~400 bytes each: 220 MB for the
    # 544,546 train XMLs) unless told otherwise; the reader must not.
    files = _many_xmls(3 * _bounding_boxes._CHUNK_FILES)
    tarball = _write_tarball(os.path.join(self.directory, 'many.tar.gz'), files)
    live_headers = []
    chunks = 0
    for chunk in _bounding_boxes._tarball_chunks(0, tarball, first_number=0):
      self.assertEqual(chunk.number, chunks)
      chunks += 1
      self.assertLen(chunk.names.split('\0'), _bounding_boxes._CHUNK_FILES)
      self.assertLen(chunk.ends, _bounding_boxes._CHUNK_FILES)
      live_headers.append(sum(isinstance(o, tarfile.TarInfo) for o in gc.get_objects()))
    self.assertEqual(chunks, 3)
    self.assertLess(live_headers[-1] - live_headers[0], 10, live_headers)

  def test_rerun_and_interrupted_run(self):
    output = os.path.join(self.directory, 'boxes.csv')
    # What an interrupted run leaves: a partial temporary, no CSV.
    with open(core.temporary_path(output) + '1', 'w') as f:
      f.write(GOLDEN_CSV[:40])
    for _ in range(2):
      _bounding_boxes.process_bounding_boxes(self.xml_dir, output, synsets=SYNSETS,
                                            image_synsets=VALIDATION_LABELS)
      self.assertEqual(_read(output), GOLDEN_CSV)

  def test_truncated_tarballs_are_refused_and_the_old_csv_kept(self):
    output = os.path.join(self.directory, 'boxes.csv')
    core.write_text(output, GOLDEN_CSV)
    files = _many_xmls(300)
    # tarfile alone would end silently at a cut on a header boundary (5120 = the
    # first 5 members of the plain tar); these must all fail, not lose boxes.
    for name, mode, cuts in [('t.tar.gz', 'w:gz', ('half',)),
                             ('t.tar', 'w', ('half', 5120, 5120 + 100))]:
      tarball = _write_tarball(os.path.join(self.directory, name), files, mode)
      with open(tarball, 'rb') as f:
        data = f.read()
      for cut in cuts:
        cut_path = os.path.join(self.directory, 'cut-' + name)
        with open(cut_path, 'wb') as f:
          f.write(data[:len(data) // 2 if cut == 'half' else cut])
        with self.assertRaisesRegex(acquire.CorruptArchiveError,
                                    r'cut-t\.tar.*not a readable'):
          _bounding_boxes.process_bounding_boxes(cut_path, output, num_workers=2)
        self.assertEqual(_read(output), GOLDEN_CSV)
      stats = _bounding_boxes.process_bounding_boxes(tarball, output + '.new')
      self.assertEqual(stats.files_read, 300)
    # A gzipped archive under a misleading name is read all the same (by content).
    os.rename(os.path.join(self.directory, 't.tar.gz'),
              os.path.join(self.directory, 'gzipped.tar'))
    stats = _bounding_boxes.process_bounding_boxes(
        os.path.join(self.directory, 'gzipped.tar'), output + '.new')
    self.assertEqual(stats.files_read, 300)

  def test_member_climbing_out_is_refused_as_extraction_refuses_it(self):
    output = os.path.join(self.directory, 'boxes.csv')
    core.write_text(output, GOLDEN_CSV)
    files = _many_xmls(3)
    files['../../../x.xml'] = next(iter(files.values()))
    tarball = _write_tarball(os.path.join(self.directory, 'evil.tar.gz'), files)
    with self.assertRaisesRegex(acquire.UnsafeArchiveError,
                                r"evil\.tar\.gz: member '\.\./\.\./\.\./x\.xml' climbs "
                                r"out of the destination"):
      _bounding_boxes.process_bounding_boxes(tarball, output, num_workers=1)
    self.assertEqual(_read(output), GOLDEN_CSV)

  def test_bad_sources(self):
    output = os.path.join(self.directory, 'boxes.csv')
    with self.assertRaisesRegex(FileNotFoundError, 'nowhere'):
      _bounding_boxes.process_bounding_boxes(os.path.join(self.directory, 'nowhere'),
                                            output)
    empty = self.create_tempdir().full_path
    with self.assertRaisesRegex(ValueError, 'holds no .xml'):
      _bounding_boxes.process_bounding_boxes(empty, output)
    self.assertFalse(os.path.exists(output))


class MiniImagenetTest(absltest.TestCase):

  @classmethod
  def setUpClass(cls):
    super().setUpClass()
    cls.fixture = demo.generate(
        absltest.get_default_test_tmpdir() + '/mini',
        demo.Config(num_classes=3, images_per_class=6,
                             num_validation_images=6, min_side=64, max_side=96))

  def test_train_and_validation_boxes(self):
    fixture = self.fixture
    output = os.path.join(self.create_tempdir().full_path, 'boxes.csv')
    image_synsets = {'ILSVRC2012_val_%08d.JPEG' % i: synset
                     for i, synset in enumerate(fixture.validation_labels, 1)}
    stats = _bounding_boxes.process_bounding_boxes(
        [fixture.bbox_train_tar_gz, fixture.bbox_validation_tgz], output,
        synsets=fixture.synsets, image_synsets=image_synsets, num_workers=2)
    self.assertEqual(stats.bad_files, [])
    self.assertEqual(stats.boxes_swapped, 1)
    self.assertEqual(stats.boxes_clamped, 1)
    self.assertEqual(stats.boxes_dropped, {_bounding_boxes.OTHER_SYNSET: 1,
                                           _bounding_boxes.ZERO_AREA: 1})
    boxes = _bounding_boxes.read_boxes_csv(output)
    self.assertEqual(sum(len(b) for b in boxes.values()), stats.boxes_written)
    image = lambda kind: fixture.box_cases[kind].replace('.xml', '.JPEG')
    # Each case is a second box after a normal one: kept (fixed) or dropped.
    self.assertLen(boxes[image('inverted')], 2)
    self.assertLen(boxes[image('outside')], 2)
    self.assertEqual(boxes[image('outside')][1][0], 0.0)
    self.assertEqual(boxes[image('outside')][1][2:], (1.0, 1.0))
    self.assertLen(boxes[image('degenerate')], 1)
    self.assertLen(boxes[image('other_synset')], 1)
    for box_list in boxes.values():
      for box in box_list:
        self.assertTrue(0 <= box.xmin < box.xmax <= 1 and 0 <= box.ymin < box.ymax <= 1)
    # Beyond the original: every validation image gets its boxes.
    self.assertEqual(sorted(n for n in boxes if n.startswith('ILSVRC2012_val_')),
                     sorted(image_synsets))

  def test_extracted_xmls_give_the_csv_read_from_the_archives(self):
    # What the driver does (CSV from the archive) against what it did before
    # (extract with acquire, as --extract_xml does, then read the tree): same bytes.
    fixture = self.fixture
    raw = self.create_tempdir().full_path
    image_synsets = {'ILSVRC2012_val_%08d.JPEG' % i: synset
                     for i, synset in enumerate(fixture.validation_labels, 1)}
    for archive, dirname, labels in (
        (fixture.bbox_train_tar_gz, core.BOUNDING_BOXES_DIRNAME, None),
        (fixture.bbox_validation_tgz, core.VALIDATION_BOUNDING_BOXES_DIRNAME,
         image_synsets)):
      with self.subTest(archive=os.path.basename(archive)):
        acquire.extract_tree(archive, raw, dirname)
        outputs = []
        for source in (os.path.join(raw, dirname), archive):
          output = os.path.join(raw, '%s-%d.csv' % (dirname, len(outputs)))
          _bounding_boxes.process_bounding_boxes(
              source, output, synsets=fixture.synsets, image_synsets=labels,
              num_workers=1)
          with open(output, 'rb') as f:
            outputs.append(f.read())
        self.assertNotEmpty(outputs[0])
        self.assertEqual(outputs[0], outputs[1])


if __name__ == '__main__':
  absltest.main()
