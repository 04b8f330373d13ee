"""Tests of inception.records._string_columns: many strings held as one."""

from absl.testing import absltest

from inception.records import _string_columns


class StringColumnsTest(absltest.TestCase):

  def test_starts_cut_the_joined_strings_back(self):
    strings = ['a.JPEG', '', 'ccc', 'd']
    joined = _string_columns.join(strings, 'file name')
    starts = _string_columns.starts(joined, len(strings))
    self.assertEqual(list(starts), [0, 7, 8, 12, 14])
    self.assertEqual([joined[starts[i]:starts[i + 1] - 1] for i in range(4)], strings)
    self.assertEqual(_string_columns.join([], 'file name'), '')
    self.assertEqual(list(_string_columns.starts('only', 1)), [0, 5])

  def test_a_nul_is_refused_naming_the_string(self):
    with self.assertRaisesRegex(ValueError, r"a path holds a NUL character: 'b\\x00'"):
      _string_columns.join(['a', 'b\0'], 'path')
    with self.assertRaisesRegex(ValueError, 'a file name holds a NUL character'):
      _string_columns.refuse_nul('x\0y')
    _string_columns.refuse_nul('xy')


if __name__ == '__main__':
  absltest.main()
