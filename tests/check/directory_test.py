"""Tests of inception.check._directory: check_directory over a whole output."""

import json
import os
import resource
import subprocess
import sys
from unittest import mock

from absl.testing import absltest
from PIL import Image

from inception import core
from inception.check import _directory
from inception.check import _failures
from inception.check import _record_checks
from inception.check import _reports
from tests.check import check_fixtures


class DirectoryTest(check_fixtures.CheckTestBase):

  def test_good_output_passes_with_counts_and_reports(self):
    check_fixtures.write_output(self.directory)
    report = self.run_check(expected_counts={'train': 6, 'validation': 5})
    self.assertTrue(report.ok, '\n'.join(map(str, report.failures)))
    self.assertEqual(report.schema, _record_checks.IMAGENET_SCHEMA)
    self.assertEqual(report.splits['train'].num_records, 6)
    self.assertEqual(report.splits['train'].class_counts, {1: 2, 2: 2, 3: 2})
    self.assertEqual(report.splits['validation'].shard_records, [2, 3])
    self.assertEqual(report.splits['train'].num_boxes, 3)
    self.assertEqual(report.splits['validation'].num_decoded, 5)
    self.assertEqual(report.class_names[2], 'n00000022 second class')

    with open(report.report_files['json']) as f:
      data = json.load(f)
    self.assertTrue(data['ok'])
    self.assertEqual(data['splits']['train']['class_counts'], {'1': 2, '2': 2, '3': 2})
    self.assertEqual(data['splits']['validation']['expected_source'], 'flag')
    with open(report.report_files['markdown']) as f:
      markdown = f.read()
    self.assertIn('PASSED', markdown)
    self.assertIn('| train | 2 | 6 | 6 | flag | 3 |', markdown)
    for key in ('class_histogram', 'contact_sheet'):
      with Image.open(report.report_files[key]) as image:
        image.load()
        self.assertEqual(image.format, 'PNG')
        self.assertGreater(image.width, 200)
        self.assertGreater(image.height, 100)
        # Something is drawn: not a blank page.
        self.assertGreater(len(image.convert('L').getcolors(256 * 256) or []), 3)
    report_dir = os.path.dirname(report.report_files['json'])
    self.assertEqual(report_dir, os.path.join(self.directory, 'check_report'))
    for name in os.listdir(report_dir):
      self.assertFalse(name.startswith(('train-', 'validation-')), name)

  def test_empty_shards_pass_and_are_named_in_the_reports(self):
    # Issue 24, item 8: more shards than images leaves empty shards, which the
    # report names as information.
    check_fixtures.write_output(self.directory, layout={'train': [0, 1, 0, 1, 1],
                                                        'validation': [2, 3]})
    report = self.run_check(expected_counts={'train': 3, 'validation': 5})
    self.assertTrue(report.ok, '\n'.join(map(str, report.failures)))
    self.assertEqual(report.splits['train'].empty_shards, [0, 2])
    self.assertEqual(report.splits['validation'].empty_shards, [])
    with open(report.report_files['json']) as f:
      self.assertEqual(json.load(f)['splits']['train']['empty_shards'], [0, 2])
    with open(report.report_files['markdown']) as f:
      self.assertIn('- train: 2 of 5 shards hold no record: 0, 2\n', f.read())

  def test_parallel_check_gives_the_same_report(self):
    check_fixtures.write_output(self.directory)
    serial = self.run_check(report_dir=self.create_tempdir('serial').full_path)
    parallel = self.run_check(workers=core.Workers(2),
                              report_dir=self.create_tempdir('parallel').full_path)
    self.assertTrue(parallel.ok, '\n'.join(map(str, parallel.failures)))
    for name in (_reports.REPORT_JSON, _reports.REPORT_MARKDOWN,
                 _reports.CONTACT_SHEET_PNG, _reports.CLASS_HISTOGRAM_PNG):
      with open(os.path.join(os.path.dirname(serial.report_files['json']), name),
                'rb') as a, open(os.path.join(
                    os.path.dirname(parallel.report_files['json']), name), 'rb') as b:
        self.assertEqual(a.read(), b.read(), name)

  def test_a_small_quick_check_runs_in_this_process_a_larger_one_in_workers(self):
    check_fixtures.write_output(self.directory)
    reports, workers_cpu = [], []
    for in_process_max in (_directory.IN_PROCESS_MAX_BYTES, 0):
      before = _children_cpu_seconds()
      with mock.patch.object(_directory, 'IN_PROCESS_MAX_BYTES', in_process_max):
        report = self.run_check(
            workers=core.Workers(2), sample_fraction=0.5,
            report_dir=self.create_tempdir('max-%d' % in_process_max).full_path)
      workers_cpu.append(_children_cpu_seconds() - before)
      self.assertTrue(report.ok, '\n'.join(map(str, report.failures)))
      with open(report.report_files['json'], 'rb') as f:
        reports.append(f.read().replace(
            os.path.dirname(report.report_files['json']).encode(), b'REPORT_DIR'))
    self.assertEqual(reports[1], reports[0])
    self.assertEqual(workers_cpu[0], 0, 'no worker process for a small quick check')
    self.assertGreater(workers_cpu[1], 0, 'worker processes past the threshold')
    # A full check decodes with TensorFlow in workers, however small: see
    # test_the_main_process_and_undecoding_workers_import_no_tensorflow.

  def test_generic_schema_passes(self):
    check_fixtures.write_output(self.directory, generic=True)
    report = self.run_check()
    self.assertTrue(report.ok, '\n'.join(map(str, report.failures)))
    self.assertEqual(report.schema, _record_checks.GENERIC_SCHEMA)

  def test_sample_fraction_decodes_a_share(self):
    check_fixtures.write_output(self.directory)
    none = self.run_check(sample_fraction=0.0)
    self.assertTrue(none.ok)
    self.assertEqual(sum(s.num_decoded for s in none.splits.values()), 0)
    everything = self.run_check(sample_fraction=1.0)
    self.assertEqual(sum(s.num_decoded for s in everything.splits.values()), 11)

  def test_missing_directory_raises(self):
    with self.assertRaisesRegex(FileNotFoundError, 'nowhere'):
      _directory.check_directory(os.path.join(self.directory, 'nowhere'),
                                 workers=core.Workers(1))

  def test_missing_shard(self):
    check_fixtures.write_output(self.directory)
    os.remove(os.path.join(self.directory, 'validation-00001-of-00002'))
    report = self.run_check()
    self.assertFails(report, _failures.SHARD_NAMES, '1 of 2 shards missing',
                     'validation-00001-of-00002')
    self.assertFails(report, _failures.INDEX, 'validation-00001-of-00002.idx')

  def test_the_main_process_and_undecoding_workers_import_no_tensorflow(self):
    # TensorFlow (~500 MiB) is for decoding only: the main process of a pool never
    # loads it, nor does a check in one process that decodes nothing.
    check_fixtures.write_output(self.directory)
    code = ('import sys; from inception import core; '
            'from inception.check import _directory; '
            'report = _directory.check_directory(sys.argv[1], '
            'workers=core.Workers(int(sys.argv[2])), '
            'sample_fraction=float(sys.argv[3]), report_dir=sys.argv[4]); '
            'print(report.ok, sum(s.num_decoded for s in report.splits.values()), '
            '"tensorflow" in sys.modules)')
    for workers, sample, decoded in (('2', '1.0', '11'), ('1', '0.0', '0')):
      output = subprocess.run(
          [sys.executable, '-c', code, self.directory, workers, sample,
           self.create_tempdir().full_path],
          check=True, capture_output=True, text=True).stdout
      self.assertEqual(output.split(), ['True', decoded, 'False'], (workers, sample))
    # A sample (a quick check) is decoded with Pillow: no TensorFlow in the process.
    report_dir = self.create_tempdir().full_path
    output = subprocess.run(
        [sys.executable, '-c', code, self.directory, '1', '0.5', report_dir],
        check=True, capture_output=True, text=True).stdout.split()
    self.assertEqual((output[0], output[2]), ('True', 'False'))
    self.assertBetween(int(output[1]), 1, 10)
    with open(os.path.join(report_dir, 'check_report.json')) as f:
      self.assertEqual(json.load(f)['decoder'], 'pillow')

  def test_only_the_contact_sheets_shards_give_thumbnails(self):
    self.assertEqual(_directory.sample_counts(0, 24), {})
    self.assertEqual(_directory.sample_counts(2, 24), {0: 8, 1: 8})
    self.assertEqual(_directory.sample_counts(5, 24), {n: 5 for n in range(5)})
    many = _directory.sample_counts(1152, 24)
    self.assertEqual(many, {48 * n: 1 for n in range(24)})

  def test_import_needs_no_tensorflow(self):
    # The shard workers import the check's modules; TensorFlow comes with the first
    # shard, not with the import.
    output = subprocess.run(
        [sys.executable, '-c', 'import sys; from inception import check; '
         'print("tensorflow" in sys.modules)'],
        check=True, capture_output=True, text=True).stdout
    self.assertEqual(output.strip(), 'False')


def _children_cpu_seconds() -> float:
  """CPU seconds of this process's ended child processes (a pool's workers)."""
  usage = resource.getrusage(resource.RUSAGE_CHILDREN)
  return usage.ru_utime + usage.ru_stime


if __name__ == '__main__':
  absltest.main()
