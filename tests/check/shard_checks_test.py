"""Tests of inception.check._shard_checks: framing, index, one shard's records."""

import os
import pickle

from absl.testing import absltest

from inception import core
from inception import records
from inception.check import _failures
from inception.check import _record_checks
from inception.check import _shard_checks
from tests.check import check_fixtures


class ShardDamageTest(check_fixtures.CheckTestBase):

  def test_flipped_byte_in_a_record(self):
    check_fixtures.write_output(self.directory)
    name = 'train-00001-of-00002'
    with open(core.index_path(self.directory, name)) as f:
      offset = int(f.read().splitlines()[1].split()[0])

    def flip(data):
      data[offset + 12 + 40] ^= 0x10
      return data

    self.damage_file(name, flip)
    report = self.run_check()
    self.assertFails(report, _failures.FRAMING, name + ' record 1', 'corrupted record',
                     'byte offset %d' % offset)

  def test_truncated_shard(self):
    check_fixtures.write_output(self.directory)
    self.damage_file('train-00000-of-00002', lambda data: data[:-30])
    report = self.run_check(expected_counts={'train': 6})
    self.assertFails(report, _failures.FRAMING, 'train-00000-of-00002 record 2',
                     'truncated record')
    self.assertFails(report, _failures.COUNT, 'train', '5 records, expected 6')

  def test_partial_record_header_at_the_end(self):
    check_fixtures.write_output(self.directory)
    self.damage_file('validation-00000-of-00002', lambda data: data + b'\x05\x00\x00')
    report = self.run_check()
    self.assertFails(report, _failures.FRAMING, 'validation-00000-of-00002 record 2',
                     '3 bytes after the last complete record')

  def test_index_mismatch(self):
    check_fixtures.write_output(self.directory)
    path = core.index_path(self.directory, 'train-00001-of-00002')
    with open(path) as f:
      lines = f.read().splitlines()
    with open(path, 'w') as f:
      f.write('\n'.join(lines[:1] + ['7 9'] + lines[2:]) + '\n')
    os.remove(core.index_path(self.directory, 'validation-00000-of-00002'))
    report = self.run_check()
    self.assertFails(report, _failures.INDEX, 'train-00001-of-00002', "line 2 is '7 9'")
    self.assertFails(report, _failures.INDEX, '1 of 4 shards have no index file',
                     'validation-00000-of-00002')


  def test_damaged_index_files_are_named(self):
    check_fixtures.write_output(self.directory)

    def edit(name, change):
      path = core.index_path(self.directory, name)
      with open(path, 'rb') as f:
        lines = f.read().splitlines(keepends=True)
      with open(path, 'wb') as f:
        f.write(change(lines))

    edit('train-00000-of-00002',  # a wrong offset
         lambda lines: lines[0] + b'1 ' + lines[1].split()[1] + b'\n' + b''.join(lines[2:]))
    edit('train-00001-of-00002', lambda lines: b''.join(lines[:1] + lines[2:]))  # a line
    edit('validation-00000-of-00002', lambda lines: b'\xff\xfe garbage \x00\n')
    edit('validation-00001-of-00002', lambda lines: b''.join(lines) + b'12 x\n')
    report = self.run_check()
    self.assertFails(report, _failures.INDEX, 'train-00000-of-00002',
                     'index train-00000-of-00002.idx line 2 is', 'record 1 is at offset')
    self.assertFails(report, _failures.INDEX, 'train-00001-of-00002',
                     'index train-00001-of-00002.idx line 2 is')
    self.assertFails(report, _failures.INDEX, 'train-00001-of-00002',
                     'train-00001-of-00002.idx has 2 entries, the shard has 3 records')
    self.assertFails(report, _failures.INDEX, 'validation-00000-of-00002',
                     'index validation-00000-of-00002.idx', 'not UTF-8 text')
    self.assertFails(report, _failures.INDEX, 'validation-00001-of-00002',
                     'validation-00001-of-00002.idx has 4 entries, the shard has 3')
    self.assertEqual(report.failures_by_kind, {_failures.INDEX: 5})


class ShardTaskTest(check_fixtures.CheckTestBase):

  def task(self, name: str, samples_per_shard: int = 0) -> _shard_checks.ShardCheckTask:
    settings = _shard_checks.CheckSettings(_record_checks.IMAGENET_SCHEMA,
                                           sample_fraction=1.0)
    return _shard_checks.ShardCheckTask(
        os.path.join(self.directory, name), records.parse_shard_name(name),
        core.index_path(self.directory, name), settings, samples_per_shard)

  def labels(self) -> _record_checks.LabelFiles:
    return _record_checks.read_label_files(self.synsets_file, self.metadata_file,
                                           self.validation_labels_file)

  def test_a_good_shard(self):
    check_fixtures.write_output(self.directory)
    name = 'train-00001-of-00002'
    result = _shard_checks.check_shard_task(self.labels(),
                                            self.task(name, samples_per_shard=2))
    self.assertEqual(result.failures, [])
    self.assertTrue(result.framing_ok)
    self.assertEqual((result.name, result.split, result.num_records), (name, 'train', 3))
    self.assertEqual(result.num_bytes,
                     os.path.getsize(os.path.join(self.directory, name)))
    self.assertEqual(result.filenames.names(),
                     ['n00000011_3.JPEG', 'n00000022_4.JPEG', 'n00000033_5.JPEG'])
    self.assertEqual(result.class_counts, {1: 1, 2: 1, 3: 1})
    self.assertEqual(result.class_keys[2], {('n00000022', 'second class')})
    self.assertEqual(
        (result.num_boxes, result.num_images_with_boxes, result.num_decoded), (1, 1, 3))
    self.assertEqual([s.record for s in result.samples], [0, 1])

  def test_task_and_result_cross_processes(self):
    check_fixtures.write_output(self.directory)
    task = self.task('validation-00000-of-00002', samples_per_shard=1)
    self.assertEqual(pickle.loads(pickle.dumps(task)), task)
    result = _shard_checks.check_shard_task(self.labels(), task)
    self.assertLen(result.samples, 1)
    self.assertEqual(pickle.loads(pickle.dumps(result)), result)

  def test_a_missing_shard_is_a_framing_failure(self):
    result = _shard_checks.check_shard_task(self.labels(),
                                            self.task('train-00000-of-00002'))
    self.assertFalse(result.framing_ok)
    self.assertEqual(result.failures_by_kind, {_failures.FRAMING: 1})
    self.assertIn('cannot read the shard', result.failures[0].message)

  def test_check_index(self):
    positions = [(0, 100), (100, 50)]
    path = self.create_tempfile('a.idx', '0 100\n100 50\n').full_path
    self.assertEqual(_shard_checks.check_index(path, positions), [])
    self.assertEqual(_shard_checks.check_index(path, positions[:1], complete=False), [])
    self.assertIn('a.idx has 2 entries, the shard has 1 records',
                  _shard_checks.check_index(path, positions[:1])[0])
    self.assertIn('cannot read index a.idx.missing',
                  _shard_checks.check_index(path + '.missing', positions)[0])

  def test_peek_schema_reads_the_first_readable_shard(self):
    check_fixtures.write_output(self.directory, generic=True)
    paths = [os.path.join(self.directory, name)
             for name in ('missing', 'train-00000-of-00002')]
    self.assertEqual(_shard_checks.peek_schema(paths), _record_checks.GENERIC_SCHEMA)
    self.assertEqual(_shard_checks.peek_schema([]), _record_checks.IMAGENET_SCHEMA)


if __name__ == '__main__':
  absltest.main()
