"""Tests of inception.annotations._chunk_merge: chunk results → counts and the CSV."""

import gc
import io

from absl.testing import absltest

from inception.annotations import _box_rules
from inception.annotations import _chunk_merge
from inception.annotations import _xml_chunks
from tests.annotations import annotation_fixtures

GOLDFISH = annotation_fixtures.GOLDFISH
RULES = _box_rules.BoxRules(annotation_fixtures.SYNSETS,
                            annotation_fixtures.VALIDATION_LABELS)


class ChunkMergeTest(absltest.TestCase):

  def setUp(self):
    super().setUp()
    self.addCleanup(gc.enable)  # the work pauses the collector, as in a worker
    # The hand cases in archive order, split in two chunks, then a second source
    # with another XML for n01443537_7.JPEG.
    files = sorted(annotation_fixtures.HAND_XMLS.items(), reverse=True)
    copy = {'copy/n01443537_7.xml': annotation_fixtures.xml(
        10, 10, [(GOLDFISH, 1, 1, 2, 2)])}
    self.results = [_xml_chunks.process_chunk(RULES, chunk) for chunk in (
        annotation_fixtures.chunk_of(dict(files[:2]), 0, 0, 'a:'),
        annotation_fixtures.chunk_of(dict(files[2:]), 1, 0, 'a:'),
        annotation_fixtures.chunk_of(copy, 2, 1, 'b:'))]

  def test_merge_sorts_by_image_and_keeps_the_first_xml_of_an_image(self):
    stats = _chunk_merge.BoxStats()
    merged = _chunk_merge.merge_results(self.results, stats, strict=False)
    for batch in (1, 4096):
      output = io.StringIO()
      _chunk_merge.write_csv(merged, self.results, output, batch=batch)
      self.assertEqual(output.getvalue(), annotation_fixtures.GOLDEN_CSV)
    self.assertEqual([(bad.name, bad.reason) for bad in stats.bad_files],
                     [('b:copy/n01443537_7.xml', _box_rules.DUPLICATE)])
    self.assertIn('a second XML for n01443537_7.JPEG (the first is '
                  'a:n01443537/n01443537_7.xml, which is kept)',
                  stats.bad_files[0].message)
    self.assertEqual((stats.images_with_boxes, stats.boxes_written,
                      stats.boxes_swapped, stats.boxes_clamped), (3, 8, 1, 1))
    self.assertEqual(stats.boxes_dropped, {_box_rules.OTHER_SYNSET: 2,
                                           _box_rules.OUTSIDE_IMAGE: 1,
                                           _box_rules.ZERO_AREA: 1})

  def test_strict_refuses_a_second_xml_for_an_image(self):
    with self.assertRaisesRegex(ValueError, r'b:copy/n01443537_7\.xml: a second XML'):
      _chunk_merge.merge_results(self.results, _chunk_merge.BoxStats(), strict=True)

  def test_summary_lines_name_the_bad_files_up_to_a_limit(self):
    bad = [_xml_chunks.BadFile('x%d.xml' % i, _box_rules.MALFORMED, 'x%d.xml: bad' % i)
           for i in range(3)]
    stats = _chunk_merge.BoxStats(files_read=5, images_with_boxes=2, boxes_written=4,
                                  boxes_dropped={_box_rules.ZERO_AREA: 1},
                                  bad_files=bad)
    self.assertEqual(stats.bad_file_counts(), {_box_rules.MALFORMED: 3})
    self.assertEqual(stats.summary_lines(max_bad_files=1), [
        'XML files read: 5 (bad: 3 = malformed 3; outside the synsets: 0)',
        'Boxes written: 4 for 2 images (inverted min/max swapped: 0, clamped to the '
        'image: 0)',
        'Boxes dropped: 1 (zero area 1)',
        '  bad file (malformed) x0.xml: bad',
        '  ... and 2 more bad files'])


if __name__ == '__main__':
  absltest.main()
