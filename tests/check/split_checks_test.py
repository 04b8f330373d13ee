"""Tests of inception.check._split_checks: counts, labels and names across shards."""

import os
import shutil

from absl.testing import absltest

from inception import core
from inception import records
from inception.check import _expectations
from inception.check import _failures
from inception.check import _file_names
from inception.check import _reports
from inception.check import _shard_checks
from inception.check import _split_checks
from tests.check import check_fixtures


class SplitChecksTest(check_fixtures.CheckTestBase):

  def test_without_label_files_checks_consistency_only(self):
    check_fixtures.write_output(self.directory)
    self.assertTrue(self.run_check(use_label_files=False).ok)

  def test_duplicate_file_names(self):
    def change(split, shard, record, fields):
      if (split, shard, record) == ('train', 1, 0):  # same class as record 0
        fields['filename'] = b'n00000011_0.JPEG'
      if (split, shard, record) == ('validation', 1, 0):
        fields['filename'] = b'n00000033_5.JPEG'

    check_fixtures.write_output(self.directory, change)
    report = self.run_check()
    self.assertFails(report, _failures.DUPLICATE, 'n00000011_0.JPEG',
                     'train-00000-of-00002 record 0', 'train-00001-of-00002 record 0')
    self.assertFails(report, _failures.DUPLICATE, 'n00000033_5.JPEG',
                     'validation-00001-of-00002 record 0')

  def test_a_shard_cut_at_a_record_boundary_without_a_manifest(self):
    check_fixtures.write_output(self.directory)
    name = 'train-00001-of-00002'
    index = core.index_path(self.directory, name)
    with open(index) as f:
      lines = f.readlines()
    cut = int(lines[-1].split()[0])  # the last record's offset: 2 of 3 records left
    self.damage_file(name, lambda data: data[:cut])
    with open(index, 'w') as f:
      f.writelines(lines[:-1])
    self.assertFails(self.run_check(), _failures.COUNT, name, '2 records',
                     'no total gives the shard sizes found',
                     'closest plan, of 6 records, in 2 shards', 'gives it 3')
    self.assertFails(self.run_check(expected_counts={'train': 6}), _failures.COUNT,
                     name, '2 records; the plan of 6 records (from flag) in 2 shards '
                     "(the converter's plan) gives it 3")

  def test_files_a_splits_glob_reads_are_named(self):
    check_fixtures.write_output(self.directory)
    shard = os.path.join(self.directory, 'train-00001-of-00002')
    for name in ('train-00001-of-00002.copy', 'train-extra-00000-of-00001',
                 core.temporary_path('validation-00000-of-00002'),
                 core.temporary_path(core.MANIFEST_FILENAME), 'notes-train.txt'):
      shutil.copy(shard, os.path.join(self.directory, name))
    report = self.run_check()
    self.assertFails(report, _failures.SHARD_NAMES, 'train-00001-of-00002.copy',
                     'matches train-*, the glob readers use for the train shards',
                     'not one of its shards')
    self.assertFails(report, _failures.SHARD_NAMES, 'train-extra-00000-of-00001',
                     'matches train-*')
    self.assertFails(report, _failures.SHARD_NAMES, 'validation-00000-of-00002.incomplete',
                     'matches validation-*', 'a leftover temporary file')
    self.assertLen([f for f in report.failures if f.kind == _failures.SHARD_NAMES], 3)
    self.assertEqual([w for w in report.warnings if 'temporary' in w],
                     ['leftover temporary file %s (an interrupted run?)' %
                      core.temporary_path(core.MANIFEST_FILENAME)])

  def test_counts_against_the_manifest(self):
    check_fixtures.write_output(self.directory)
    manifest = records.Manifest({
        'train': records.SplitManifest(
            'imagenet', 2, 'f' * 64, 6, [3, 3], complete=True, num_images=6,
            class_counts={'1': 2, '2': 2, '3': 2}),
        'validation': records.SplitManifest(
            'imagenet', 2, 'f' * 64, 6, [2, 4], complete=True, num_images=6,
            class_counts={'1': 3, '2': 2}),
    })
    records.save_manifest(self.directory, manifest)
    path = core.manifest_path(self.directory)
    report = self.run_check()
    self.assertEqual(report.splits['validation'].expected_source, 'manifest')
    self.assertFails(report, _failures.COUNT, 'validation', '5 records, expected 6')
    self.assertFails(report, _failures.COUNT, 'validation-00001-of-00002',
                     '3 records, the manifest says 4')
    self.assertFails(report, _failures.CLASS_COUNT, '1: 2, expected 3',
                     '3: 1, expected none')
    self.assertFalse([f for f in report.failures if f.location.startswith('train')])

    train, validation = manifest.splits['train'], manifest.splits['validation']
    train.complete, train.num_images = False, None
    train.shard_counts, train.class_counts = [3, None], {}
    validation.num_images, validation.shard_counts = 5, [2, 3]
    validation.class_counts = {'1': 2, '2': 2, '3': 1}
    validation.record_format = 'generic'
    records.save_manifest(self.directory, manifest)
    report = self.run_check()
    self.assertFails(report, _failures.MANIFEST, 'train', 'not complete',
                     '1 of 2 shards have no count: train-00001-of-00002')
    self.assertFails(report, _failures.SCHEMA, 'validation', 'records are generic')
    self.assertLen(report.failures, 2)

    with open(path, 'w') as f:
      f.write('{"splits": []}')
    self.assertFails(self.run_check(), _failures.MANIFEST, 'not a conversion manifest')

  def test_failed_conversion_is_reported_as_incomplete(self):
    # The manifest as a failed run leaves it (conversion_manifest's own writer): the
    # split is planned, two train shards were written and recorded, the rest not.
    check_fixtures.write_output(self.directory, layout={'train': [3, 3, 2, 2]})
    for name in ('train-00002-of-00004', 'train-00003-of-00004'):
      os.remove(os.path.join(self.directory, name))
      os.remove(core.index_path(self.directory, name))
    record = records.SplitManifest.planned('imagenet', 4, 'f' * 64, 10)
    record.shard_counts[:2] = [3, 3]
    manifest = records.Manifest({'train': record})
    records.save_manifest(self.directory, manifest)

    report = self.run_check()
    self.assertFalse(report.ok)
    self.assertFails(report, _failures.MANIFEST, 'train', 'not complete',
                     '2 of 4 shards have no count',
                     'train-00002-of-00004, train-00003-of-00004')
    self.assertFails(report, _failures.SHARD_NAMES, '2 of 4 shards missing')
    self.assertFalse([f for f in report.failures
                      if 'not a conversion manifest' in f.message])
    self.assertLen(report.failures, 2)

    # Nothing written before the failure: still named as incomplete, with every shard.
    for name in ('train-00000-of-00004', 'train-00001-of-00004'):
      os.remove(os.path.join(self.directory, name))
    record.shard_counts[:2] = [None, None]
    records.save_manifest(self.directory, manifest)
    report = self.run_check()
    self.assertFails(report, _failures.MANIFEST, 'train', '4 of 4 shards have no count')
    self.assertFails(report, _failures.COUNT, 'train', 'no shards of this split')

    # Every shard recorded, but the split was not finished.
    record.shard_counts = [3, 3, 2, 2]
    records.save_manifest(self.directory, manifest)
    report = self.run_check()
    self.assertFails(report, _failures.MANIFEST, 'train', 'all 4 shards have a count')


class SplitFunctionTest(absltest.TestCase):

  def test_shards_of_fewer_than_two_records_are_warned_about(self):
    splits = {'train': _reports.SplitStats('train', num_shards=3, shard_records=[2, 2, 3]),
              'validation': _reports.SplitStats('validation', num_shards=4,
                                                shard_records=[0, 1, 1, 1])}
    warnings = _split_checks.small_shard_warnings(splits)
    self.assertEqual(warnings, ['validation: 4 of 4 shards hold fewer than 2 records '
                                '(the tfrecord package cannot read their index files); '
                                'convert with fewer shards'])
    del splits['validation']
    self.assertEqual(_split_checks.small_shard_warnings(splits), [])

  def test_shard_plan(self):
    def results(*sizes, broken=()):
      return [_shard_checks.ShardCheckResult(
          records.shard_name('a', i, len(sizes)), 'a', num_records=n,
          framing_ok=i not in broken) for i, n in enumerate(sizes)]

    def named(failures):
      return [(f.location, f.message.split(';')[0]) for f in failures]

    self.assertEqual(_split_checks.shard_plan_failures(results(2, 3, 2, 3), 4, None),
                     [])
    # Shard 1 lost records: the closest plans (9 and 10 records) both name it alone.
    self.assertEqual(named(_split_checks.shard_plan_failures(results(2, 1, 2, 3), 4,
                                                             None)),
                     [('a-00001-of-00004', '1 records')])
    # Sizes that differ by one but in another order than the plan's.
    self.assertEqual(named(_split_checks.shard_plan_failures(results(3, 2), 2, None)),
                     [('a-00001-of-00002', '2 records')])
    # Missing or unreadable shards say nothing of the total.
    self.assertEqual(_split_checks.shard_plan_failures(results(2, 1, 2, 3)[1:], 4,
                                                       None), [])
    self.assertEqual(_split_checks.shard_plan_failures(
        results(2, 1, 2, 3, broken=(1,)), 4, None), [])
    known = _expectations.SplitExpectation(source='flag', num_records=12)
    self.assertEqual(named(_split_checks.shard_plan_failures(results(2, 3, 2, 3), 4,
                                                             known)),
                     [('a-00000-of-00004', '2 records'),
                      ('a-00002-of-00004', '2 records')])

  def test_duplicates_and_consistency_of_results(self):
    shard_results = _split_checks.ShardResults()
    for result in [
        _shard_checks.ShardCheckResult('a-00000-of-00002', 'a',
                                       filenames=_file_names.pack_names(['x', 'y']),
                                       class_keys={1: {('n1', 'one')}}),
        _shard_checks.ShardCheckResult('a-00001-of-00002', 'a',
                                       filenames=_file_names.pack_names(['', 'x']),
                                       class_keys={1: {('n2', 'two')},
                                                   2: {('n2', 'two')}}),
    ]:
      shard_results.add(result)
    self.assertEqual(
        [str(f) for f in _split_checks.duplicate_failures(shard_results.results)],
        ['x: file name appears 2 times: a-00000-of-00002 record 0, '
         'a-00001-of-00002 record 1 [duplicate]'])
    self.assertEqual([str(f) for f in _split_checks.consistency_failures(
        shard_results.class_keys)],
                     ["label 1: has several classes: n1 'one', n2 'two' [label]",
                      'n2: has several labels: 1, 2 [label]'])


if __name__ == '__main__':
  absltest.main()
