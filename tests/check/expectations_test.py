"""Tests of inception.check._expectations: shard names and expected counts."""


from absl.testing import absltest

from inception.check import _expectations
from inception.check import _failures


class ExpectationsTest(absltest.TestCase):

  def test_shard_names(self):
    shards, failures = _expectations.check_shard_names([
        'train-00000-of-00003', 'train-00002-of-00003', 'train-00003-of-00003',
        'validation-00000-of-00002', 'validation-00001-of-00004',
        'test-1-of-2', 'train-00001-of-00003.incomplete-12', 'README', 'index'])
    self.assertEqual([s.index for s in shards['train']], [0, 2, 3])
    messages = [str(f) for f in failures]
    self.assertTrue(any('test-1-of-2' in m and 'test-00001-of-00002' in m
                        for m in messages), messages)
    self.assertTrue(any('train: 1 of 3 shards missing: train-00001-of-00003' in m
                        for m in messages), messages)
    self.assertTrue(any('beyond the total: train-00003-of-00003' in m
                        for m in messages), messages)
    self.assertTrue(any('validation' in m and 'disagree' in m for m in messages),
                    messages)
    self.assertEqual({f.kind for f in failures}, {_failures.SHARD_NAMES})

  def test_expectations(self):
    imagenet = _expectations.resolve_expectations({'train': 1024, 'validation': 128})
    self.assertEqual(imagenet['train'].num_records, 1281167)
    self.assertEqual(imagenet['validation'].class_count_range, (50, 50))
    self.assertEqual(_expectations.resolve_expectations({'train': 8}), {})
    flagged = _expectations.resolve_expectations({'train': 1024, 'validation': 128},
                                                 {'validation': 10})
    self.assertEqual((flagged['validation'].num_records, flagged['validation'].source),
                     (10, 'flag'))
    self.assertEqual(flagged['validation'].class_count_range, (50, 50))
    with_test = _expectations.resolve_expectations({'train': 1024, 'test': 100})
    self.assertEqual(with_test['test'].num_records, 100000)
    self.assertEqual(with_test['test'].num_shards, 100)
    self.assertIsNone(with_test['test'].class_count_range)
    self.assertIsNone(with_test['test'].num_classes)
    self.assertEqual(with_test['train'].num_classes, 1000)
    manifest = {'train': _expectations.SplitExpectation(source='manifest', num_records=5)}
    self.assertEqual(_expectations.resolve_expectations({'train': 1024}, None, manifest),
                     manifest)

  def test_parse_expected_counts(self):
    self.assertEqual(_expectations.parse_expected_counts('train=6, validation=3'),
                     {'train': 6, 'validation': 3})
    self.assertEqual(_expectations.parse_expected_counts(''), {})
    with self.assertRaisesRegex(ValueError, 'train:6'):
      _expectations.parse_expected_counts('train:6')


if __name__ == '__main__':
  absltest.main()
