"""Tests of inception.check._failures: how a failure reads."""


from absl.testing import absltest

from inception.check import _failures


class FailuresTest(absltest.TestCase):

  def test_failure_reads_location_message_and_kind(self):
    failure = _failures.Failure(_failures.COUNT, 'train', '5 records, expected 6')
    self.assertEqual(str(failure), 'train: 5 records, expected 6 [count]')

  def test_first_items_says_how_many_more(self):
    self.assertEqual(_failures.first_items(['a', 'b']), 'a, b')
    self.assertEqual(_failures.first_items([str(i) for i in range(7)]),
                     '0, 1, 2, 3, 4 and 2 more')

  def test_first_line(self):
    self.assertEqual(_failures.first_line('\n  one\ntwo'), 'one')
    self.assertEqual(_failures.first_line(''), '')
    self.assertEqual(_failures.first_line(None), '')


if __name__ == '__main__':
  absltest.main()
