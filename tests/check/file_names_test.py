"""Tests of inception.check._file_names: packed names and duplicates among them."""

import pickle

from absl.testing import absltest

from inception.check import _file_names


class FileNamesTest(absltest.TestCase):

  def test_pack_keeps_any_name(self):
    names = ['n01440764_10026.JPEG', '', 'with\nnewline\x00and nul', 'été.JPEG', 'x']
    packed = _file_names.pack_names(names)
    self.assertEqual(packed.names(), names)
    self.assertEqual(packed.name(3), 'été.JPEG')
    self.assertLen(packed, 5)
    self.assertEqual(pickle.loads(pickle.dumps(packed)).names(), names)
    self.assertEqual(_file_names.pack_names([]).names(), [])

  def test_duplicates_within_and_across_shards_in_order(self):
    shards = [_file_names.pack_names(['a', 'b', '', 'c']),
              _file_names.pack_names(['', 'd', 'b']),
              _file_names.pack_names(['c', 'a', 'e', 'a'])]
    self.assertEqual(_file_names.find_duplicates(shards),
                     [('b', [(0, 1), (1, 2)]), ('c', [(0, 3), (2, 0)]),
                      ('a', [(0, 0), (2, 1), (2, 3)])])
    self.assertEqual(_file_names.find_duplicates(
        [_file_names.pack_names(['', '']), _file_names.pack_names([])]), [])
    self.assertEqual(_file_names.find_duplicates([]), [])

  def test_many_names_with_two_duplicates(self):
    shards = [_file_names.pack_names(['n%08d_%d.JPEG' % (shard, n) for n in range(1251)])
              for shard in range(40)]
    shards[39] = _file_names.pack_names(shards[39].names()[:-2] +
                                        ['n00000003_7.JPEG', 'n00000000_0.JPEG'])
    self.assertEqual(_file_names.find_duplicates(shards),
                     [('n00000003_7.JPEG', [(3, 7), (39, 1249)]),
                      ('n00000000_0.JPEG', [(0, 0), (39, 1250)])])


if __name__ == '__main__':
  absltest.main()
