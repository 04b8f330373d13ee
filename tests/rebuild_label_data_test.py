"""Tests for tools/rebuild_label_data: WordNet lines give the shipped metadata text."""

from absl.testing import absltest

from inception import label_files
from tools import rebuild_label_data

# Real lines of WordNet 3.0's data.noun (pointers shortened: the parser ignores them).
_DATA_NOUN = [
    '  1 This software and database is being provided to you, the LICENSEE, by  \n',
    '01440764 05 n 02 tench 0 Tinca_tinca 0 002 @ 01439121 n 0000 | freshwater fish\n',
    '00007846 03 n 06 person 0 individual 0 someone 0 somebody 0 mortal 0 soul 0 '
    '001 @ 00004475 n 0000 | a human being\n',
    '04596742 06 n 01 wok 0 001 @ 03880531 n 0000 | pan with a convex bottom\n',
]


class RebuildLabelDataTest(absltest.TestCase):

  def test_texts_match_the_shipped_metadata(self):
    texts = rebuild_label_data.wordnet_noun_texts(_DATA_NOUN)
    shipped = label_files.read_metadata()
    self.assertCountEqual(texts, ['n01440764', 'n00007846', 'n04596742'])
    for wnid, text in texts.items():
      self.assertEqual(text, shipped[wnid], wnid)

  def test_marker_is_dropped_and_output_sorted(self):
    texts = rebuild_label_data.wordnet_noun_texts(
        ['09999999 18 n 02 galore(ip) 0 plenty_more 0 000 | x\n',
         '01000000 03 n 01 alpha 0 000 | y\n'])
    self.assertEqual(
        rebuild_label_data.metadata_text(['n09999999', 'n01000000'], texts),
        'n01000000\talpha\nn09999999\tgalore, plenty more\n')


if __name__ == '__main__':
  absltest.main()
