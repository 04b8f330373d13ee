"""Tests of inception.annotations._bounding_boxes: XML sources → the CSV."""

import os
import resource
from unittest import mock

from absl.testing import absltest

from inception import acquire
from inception import annotations
from inception import core
from inception import demo
from inception import records
from inception.annotations import _bounding_boxes
from inception.annotations import _box_rules
from inception.annotations import _boxes_csv
from inception.annotations import _xml_chunks
from tests.annotations import annotation_fixtures

TENCH = annotation_fixtures.TENCH
GOLDFISH = annotation_fixtures.GOLDFISH
SYNSETS = annotation_fixtures.SYNSETS
HAND_XMLS = annotation_fixtures.HAND_XMLS
VALIDATION_LABELS = annotation_fixtures.VALIDATION_LABELS
GOLDEN_CSV = annotation_fixtures.GOLDEN_CSV
_xml = annotation_fixtures.xml
_write_tree = annotation_fixtures.write_tree
_write_tarball = annotation_fixtures.write_tarball
_read = annotation_fixtures.read
_many_xmls = annotation_fixtures.many_xmls
# The challenge synsets, and the validation images' synsets from their label file.
HAND_RULES = _box_rules.BoxRules(SYNSETS, VALIDATION_LABELS)
TRAIN_RULES = _box_rules.BoxRules(SYNSETS)


class ProcessBoundingBoxesTest(absltest.TestCase):

  def setUp(self):
    super().setUp()
    self.directory = self.create_tempdir().full_path
    self.xml_dir = _write_tree(os.path.join(self.directory, 'xml'), HAND_XMLS)

  def test_golden_csv(self):
    output = os.path.join(self.directory, 'out', 'boxes.csv')
    stats = _bounding_boxes.process_bounding_boxes(
        self.xml_dir, output, workers=core.Workers(1), rules=HAND_RULES)
    self.assertEqual(_read(output), GOLDEN_CSV)
    self.assertEqual(stats.files_read, 5)
    self.assertEqual(stats.images_with_boxes, 3)
    self.assertEqual(stats.boxes_written, 8)
    self.assertEqual(stats.boxes_swapped, 1)
    self.assertEqual(stats.boxes_clamped, 1)
    self.assertEqual(stats.boxes_dropped, {_box_rules.OTHER_SYNSET: 2,
                                           _box_rules.OUTSIDE_IMAGE: 1,
                                           _box_rules.ZERO_AREA: 1})
    self.assertEqual(stats.bad_file_counts(), {_box_rules.MALFORMED: 1,
                                               _box_rules.NO_SIZE: 1})
    bad_names = sorted(os.path.relpath(bad.name, self.xml_dir)
                       for bad in stats.bad_files)
    self.assertEqual(bad_names, ['n01440764/n01440764_20.xml',
                                 'n01443537/n01443537_9.xml'])
    summary = '\n'.join(stats.summary_lines())
    self.assertIn('n01443537_9.xml', summary)
    self.assertIn('zero area 1', summary)
    self.assertLen(_boxes_csv.read_boxes_csv(output)['n01440764_10.JPEG'], 4)

  def test_without_synsets_or_labels_any_other_wnid_is_dropped(self):
    output = os.path.join(self.directory, 'boxes.csv')
    stats = _bounding_boxes.process_bounding_boxes(self.xml_dir, output,
                                                   workers=core.Workers(1))
    expected = [line for line in GOLDEN_CSV.splitlines(True)
                if line != 'n01443537_7.JPEG,0.1000,0.2000,0.2000,0.4000\n']
    self.assertEqual(_read(output), ''.join(expected))
    self.assertEqual(stats.boxes_dropped[_box_rules.OTHER_SYNSET], 3)

  def test_directory_and_tarballs_give_identical_csv(self):
    outputs = []
    for source in [self.xml_dir,
                   _write_tarball(os.path.join(self.directory, 'a.tar.gz'), HAND_XMLS),
                   _write_tarball(os.path.join(self.directory, 'a.tgz'), HAND_XMLS),
                   _write_tarball(os.path.join(self.directory, 'a.tar'), HAND_XMLS,
                                  'w'),
                   annotations.ZipXmls(annotation_fixtures.write_zip(
                       os.path.join(self.directory, 'a.zip'), HAND_XMLS,
                       'ILSVRC/Annotations/CLS-LOC'), 'ILSVRC/Annotations/CLS-LOC')]:
      output = os.path.join(self.directory, os.path.basename(str(source)) + '.csv')
      stats = _bounding_boxes.process_bounding_boxes(
          source, output, workers=core.Workers(2), rules=HAND_RULES)
      outputs.append(_read(output))
      self.assertLen(stats.bad_files, 2)
      self.assertTrue(all(bad.name.endswith('.xml') for bad in stats.bad_files))
    self.assertEqual(outputs, [GOLDEN_CSV] * 5)

  def test_a_zip_member_with_a_bad_crc_names_the_zip_and_the_member(self):
    folder = 'ILSVRC/Annotations/CLS-LOC/train'
    archive = annotation_fixtures.write_zip(os.path.join(self.directory, 'k.zip'),
                                            _many_xmls(30), folder)
    with open(archive, 'rb') as f:
      data = bytearray(f.read())
    name = (folder + '/n01440764/n01440764_2.xml').encode()
    record = data.rindex(b'PK\x01\x02', 0, data.rindex(name))  # its central record
    data[record + 16] ^= 0xff  # the CRC-32 the central directory gives
    with open(archive, 'wb') as f:
      f.write(data)
    output = os.path.join(self.directory, 'boxes.csv')
    with self.assertRaisesRegex(
        records.ZipMemberError,
        r'^k.zip:%s/n01440764/n01440764_2.xml: bad CRC-32: ' % folder):
      _bounding_boxes.process_bounding_boxes(annotations.ZipXmls(archive, folder),
                                             output, workers=core.Workers(1))
    self.assertFalse(os.path.exists(output))

  def test_workers_do_not_change_the_output(self):
    xml_dir = _write_tree(os.path.join(self.directory, 'many'), _many_xmls(2500))
    results = []
    # 2500 XMLs are parsed in this process; with no in-process share, by the pool.
    for num_workers, in_process_max in ((1, 5000), (2, 5000), (2, 0), (3, 0)):
      output = os.path.join(self.directory, 'many-%d.csv' % num_workers)
      with mock.patch.object(_bounding_boxes, 'IN_PROCESS_MAX_FILES', in_process_max):
        stats = _bounding_boxes.process_bounding_boxes(
            xml_dir, output, workers=core.Workers(num_workers), rules=TRAIN_RULES)
      results.append((_read(output), stats))
    for result in results[1:]:
      self.assertEqual(result, results[0])
    csv, stats = results[0]
    self.assertEqual(stats.files_read, 2500)
    self.assertEqual(stats.files_outside_synsets, 834)  # every third: n02000000
    self.assertEqual(csv.splitlines(), sorted(csv.splitlines(),
                                              key=lambda line: line.split(',')[0]))
    self.assertGreater(stats.boxes_swapped, 0)
    self.assertGreater(stats.boxes_dropped[_box_rules.OTHER_SYNSET], 0)

  def test_a_small_source_is_parsed_in_this_process_a_larger_one_by_workers(self):
    tarball = _write_tarball(os.path.join(self.directory, 'small.tar.gz'),
                             _many_xmls(30))
    csvs, workers_cpu = [], []
    for in_process_max in (_bounding_boxes.IN_PROCESS_MAX_FILES, 29):
      before = _children_cpu_seconds()
      with mock.patch.object(_bounding_boxes, 'IN_PROCESS_MAX_FILES', in_process_max):
        _bounding_boxes.process_bounding_boxes(
            tarball, os.path.join(self.directory, '%d.csv' % in_process_max),
            workers=core.Workers(2), rules=TRAIN_RULES)
      workers_cpu.append(_children_cpu_seconds() - before)
      csvs.append(_read(os.path.join(self.directory, '%d.csv' % in_process_max)))
    self.assertEqual(csvs[1], csvs[0])
    self.assertEqual(workers_cpu[0], 0, 'no worker process for 30 XMLs')
    self.assertGreater(workers_cpu[1], 0, 'worker processes past the threshold')

  def test_reading_ahead_stops_past_the_threshold_and_loses_no_chunk(self):
    taken = []

    def chunks(count):
      for number in range(count):
        taken.append(number)
        yield _xml_chunks.Chunk(
            number, 0, _xml_chunks.SEPARATOR.join(['a.xml'] * 1000), '', None, None)

    small, head = _bounding_boxes._read_ahead(chunks(3), 3000)
    self.assertTrue(small)
    self.assertEqual([chunk.number for chunk in head], [0, 1, 2])
    taken.clear()
    small, rest = _bounding_boxes._read_ahead(chunks(10), 1500)
    self.assertFalse(small)
    self.assertEqual(taken, [0, 1], 'streamed: read only past the threshold')
    self.assertEqual([chunk.number for chunk in rest], list(range(10)))

  def test_strict_raises_naming_the_file_and_keeps_the_old_output(self):
    output = os.path.join(self.directory, 'boxes.csv')
    core.write_text(output, 'old\n')
    for num_workers in (1, 2):
      with self.assertRaisesRegex(ValueError, r'n01440764_20\.xml.*size'):
        _bounding_boxes.process_bounding_boxes(
            self.xml_dir, output, workers=core.Workers(num_workers), strict=True)
      self.assertEqual(_read(output), 'old\n')
    self.assertEqual(sorted(os.listdir(self.directory)), ['boxes.csv', 'xml'])

  def test_a_source_of_only_bad_xmls_fails_even_without_strict(self):
    xml_dir = _write_tree(os.path.join(self.directory, 'bad'), {
        'n01440764/n01440764_1.xml': b'<annotation><size>',
        'n01440764/n01440764_2.xml': b'not xml at all'})
    output = os.path.join(self.directory, 'boxes.csv')
    with self.assertRaisesRegex(ValueError, r'none of the 2 XML files.*n01440764_1\.xml'):
      _bounding_boxes.process_bounding_boxes(xml_dir, output, workers=core.Workers(1))
    self.assertFalse(os.path.exists(output))

  def test_files_of_other_synsets_are_skipped_with_synsets(self):
    xml_dir = _write_tree(os.path.join(self.directory, 'other'), {
        'n02000000/n02000000_1.xml': _xml(10, 10, [('n02000000', 1, 1, 5, 5)]),
        'n01440764/n01440764_1.xml': _xml(10, 10, [(TENCH, 1, 1, 5, 5)])})
    output = os.path.join(self.directory, 'boxes.csv')
    stats = _bounding_boxes.process_bounding_boxes(xml_dir, output,
                                                   workers=core.Workers(),
                                                   rules=TRAIN_RULES)
    self.assertEqual(_read(output), 'n01440764_1.JPEG,0.1000,0.1000,0.5000,0.5000\n')
    self.assertEqual((stats.files_read, stats.files_outside_synsets), (2, 1))

  def test_second_xml_for_an_image_is_reported_and_ignored(self):
    copy = _write_tree(os.path.join(self.directory, 'copy'), {
        'n01443537_7.xml': _xml(10, 10, [(GOLDFISH, 1, 1, 2, 2)])})
    output = os.path.join(self.directory, 'boxes.csv')
    stats = _bounding_boxes.process_bounding_boxes(
        [self.xml_dir, copy], output, workers=core.Workers(), rules=HAND_RULES)
    self.assertEqual(_read(output), GOLDEN_CSV)
    self.assertEqual(stats.bad_file_counts()[_box_rules.DUPLICATE], 1)
    good = _write_tree(os.path.join(self.directory, 'good'), {
        'n01443537_7.xml': HAND_XMLS['n01443537/n01443537_7.xml']})
    with self.assertRaisesRegex(ValueError, 'copy/n01443537_7.xml: a second XML'):
      _bounding_boxes.process_bounding_boxes([good, copy], output,
                                             workers=core.Workers(), strict=True)

  def test_second_xml_in_a_tarball_loses_by_name_not_by_archive_order(self):
    kept = HAND_XMLS['n01443537/n01443537_7.xml']
    tarball = _write_tarball(os.path.join(self.directory, 'dup.tar.gz'), {
        'z_copy/n01443537_7.xml': _xml(10, 10, [(GOLDFISH, 1, 1, 2, 2)]),
        'n01443537/n01443537_7.xml': kept,
    }, in_given_order=True)
    output = os.path.join(self.directory, 'boxes.csv')
    for num_workers in (1, 2):
      stats = _bounding_boxes.process_bounding_boxes(
          tarball, output, workers=core.Workers(num_workers), rules=TRAIN_RULES)
      self.assertEqual(_read(output),
                       'n01443537_7.JPEG,0.2500,0.1000,0.7500,0.9000\n'
                       'n01443537_7.JPEG,0.1000,0.2000,0.2000,0.4000\n')
      self.assertEqual((stats.files_read, stats.images_with_boxes,
                        stats.boxes_written), (2, 1, 2))
      self.assertEqual([(bad.name, bad.reason) for bad in stats.bad_files],
                       [(tarball + ':z_copy/n01443537_7.xml',
                         _box_rules.DUPLICATE)])
    with self.assertRaisesRegex(ValueError, r'z_copy/n01443537_7\.xml: a second XML '
                                r'for n01443537_7\.JPEG \(the first is .*dup\.tar\.gz:'
                                r'n01443537/n01443537_7\.xml'):
      _bounding_boxes.process_bounding_boxes(tarball, output, workers=core.Workers(),
                                             strict=True)

  def test_rerun_and_interrupted_run(self):
    output = os.path.join(self.directory, 'boxes.csv')
    # What an interrupted run leaves: a partial temporary, no CSV.
    with open(core.temporary_path(output) + '1', 'w') as f:
      f.write(GOLDEN_CSV[:40])
    for _ in range(2):
      _bounding_boxes.process_bounding_boxes(self.xml_dir, output,
                                             workers=core.Workers(), rules=HAND_RULES)
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
          _bounding_boxes.process_bounding_boxes(cut_path, output,
                                                 workers=core.Workers(2))
        self.assertEqual(_read(output), GOLDEN_CSV)
      stats = _bounding_boxes.process_bounding_boxes(tarball, output + '.new',
                                                     workers=core.Workers())
      self.assertEqual(stats.files_read, 300)
    # A gzipped archive under a misleading name is read all the same (by content).
    os.rename(os.path.join(self.directory, 't.tar.gz'),
              os.path.join(self.directory, 'gzipped.tar'))
    stats = _bounding_boxes.process_bounding_boxes(
        os.path.join(self.directory, 'gzipped.tar'), output + '.new',
        workers=core.Workers())
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
      _bounding_boxes.process_bounding_boxes(tarball, output, workers=core.Workers(1))
    self.assertEqual(_read(output), GOLDEN_CSV)

  def test_bad_sources(self):
    output = os.path.join(self.directory, 'boxes.csv')
    with self.assertRaisesRegex(FileNotFoundError, 'nowhere'):
      _bounding_boxes.process_bounding_boxes(os.path.join(self.directory, 'nowhere'),
                                             output, workers=core.Workers())
    empty = self.create_tempdir().full_path
    with self.assertRaisesRegex(ValueError, 'holds no .xml'):
      _bounding_boxes.process_bounding_boxes(empty, output, workers=core.Workers())
    archive = annotation_fixtures.write_zip(os.path.join(empty, 'k.zip'), {}, 'x')
    with self.assertRaisesRegex(ValueError, r'k.zip:x/ holds no .xml'):
      _bounding_boxes.process_bounding_boxes(annotations.ZipXmls(archive, 'x'),
                                             output, workers=core.Workers())
    with self.assertRaisesRegex(FileNotFoundError, 'gone.zip'):
      _bounding_boxes.process_bounding_boxes(
          annotations.ZipXmls(os.path.join(empty, 'gone.zip'), 'x'), output,
          workers=core.Workers())
    self.assertFalse(os.path.exists(output))


def _children_cpu_seconds() -> float:
  """CPU seconds of this process's ended child processes (a pool's workers)."""
  usage = resource.getrusage(resource.RUSAGE_CHILDREN)
  return usage.ru_utime + usage.ru_stime


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
        workers=core.Workers(2),
        rules=_box_rules.BoxRules(fixture.synsets, image_synsets))
    self.assertEqual(stats.bad_files, [])
    self.assertEqual(stats.boxes_swapped, 1)
    self.assertEqual(stats.boxes_clamped, 1)
    self.assertEqual(stats.boxes_dropped, {_box_rules.OTHER_SYNSET: 1,
                                           _box_rules.ZERO_AREA: 1})
    boxes = _boxes_csv.read_boxes_csv(output)
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
        (fixture.bbox_train_tar_gz, 'bounding_boxes', None),
        (fixture.bbox_validation_tgz, 'validation_bounding_boxes',
         image_synsets)):
      with self.subTest(archive=os.path.basename(archive)):
        acquire.extract_tree(archive, raw, dirname)
        outputs = []
        for source in (os.path.join(raw, dirname), archive):
          output = os.path.join(raw, '%s-%d.csv' % (dirname, len(outputs)))
          _bounding_boxes.process_bounding_boxes(
              source, output, workers=core.Workers(1),
              rules=_box_rules.BoxRules(fixture.synsets, labels))
          with open(output, 'rb') as f:
            outputs.append(f.read())
        self.assertNotEmpty(outputs[0])
        self.assertEqual(outputs[0], outputs[1])


if __name__ == '__main__':
  absltest.main()
