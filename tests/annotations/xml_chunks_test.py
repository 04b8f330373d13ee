"""Tests of inception.annotations._xml_chunks: the pool's work on one chunk of XMLs."""

import gc
import os

from absl.testing import absltest

from inception.annotations import _box_rules
from inception.annotations import _xml_chunks
from tests.annotations import annotation_fixtures

HAND_XMLS = annotation_fixtures.HAND_XMLS


class ProcessChunkTest(absltest.TestCase):

  def setUp(self):
    super().setUp()
    self.addCleanup(gc.enable)  # the work pauses the collector, as in a worker

  def test_a_chunk_gives_its_csv_counts_and_bad_files_in_chunk_order(self):
    files = dict(sorted(HAND_XMLS.items()))
    chunk = annotation_fixtures.chunk_of(files, number=7, source_index=1,
                                         prefix='a.tar:')
    rules = _box_rules.BoxRules(annotation_fixtures.SYNSETS,
                                annotation_fixtures.VALIDATION_LABELS)
    result = _xml_chunks.process_chunk(rules, chunk)
    self.assertEqual((result.number, result.source_index, result.prefix),
                     (7, 1, 'a.tar:'))
    self.assertEqual(result.image_names.split('\0'), [
        'n01440764_10.JPEG', 'n01443537_7.JPEG', 'ILSVRC2012_val_00000003.JPEG'])
    self.assertEqual(result.names.split('\0'), [
        'n01440764/n01440764_10.xml', 'n01443537/n01443537_7.xml',
        'val/ILSVRC2012_val_00000003.xml'])
    self.assertEqual(sorted(result.csv.splitlines(True)),
                     sorted(annotation_fixtures.GOLDEN_CSV.splitlines(True)))
    # Each file's lines end where the next file's begin: 4 lines of 46 characters,
    # 2 of 45, 2 of 57.
    self.assertEqual(list(result.csv_ends), [184, 274, 388])
    width = len(_box_rules.COUNT_KEYS)
    self.assertEqual([list(result.counts[i * width:(i + 1) * width]) for i in range(3)],
                     [[4, 1, 1, 0, 1, 1, 1], [2, 0, 0, 0, 0, 0, 0],
                      [2, 0, 0, 0, 1, 0, 0]])
    self.assertEqual([(bad.name, bad.reason) for bad in result.bad_files], [
        ('a.tar:n01440764/n01440764_20.xml', _box_rules.NO_SIZE),
        ('a.tar:n01443537/n01443537_9.xml', _box_rules.MALFORMED)])

  def test_local_files_are_read_by_the_worker(self):
    directory = annotation_fixtures.write_tree(self.create_tempdir().full_path, {
        'n01440764_1.xml': annotation_fixtures.xml(
            10, 10, [(annotation_fixtures.TENCH, 1, 1, 5, 5)])})
    names = [os.path.join(directory, 'n01440764_1.xml'),
             os.path.join(directory, 'gone.xml')]
    chunk = _xml_chunks.Chunk(0, 0, '\0'.join(names), '', None, None)
    result = _xml_chunks.process_chunk(_box_rules.BoxRules(), chunk)
    self.assertEqual(result.csv, 'n01440764_1.JPEG,0.1000,0.1000,0.5000,0.5000\n')
    self.assertEqual([(bad.name, bad.reason) for bad in result.bad_files],
                     [(names[1], _box_rules.UNREADABLE)])
    self.assertIn('gone.xml: cannot be read', result.bad_files[0].message)
    self.assertEqual(_xml_chunks.describe_chunk(chunk),
                     'parsing %s … %s' % tuple(names))


if __name__ == '__main__':
  absltest.main()
