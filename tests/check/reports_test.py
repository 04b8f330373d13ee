"""Tests of inception.check._reports: the JSON, Markdown and PNG reports."""

import json
import os

from absl.testing import absltest
from PIL import Image

from inception.check import _failures
from inception.check import _record_checks
from inception.check import _reports
from tests.check import check_fixtures


class ReportsTest(check_fixtures.CheckTestBase):

  def test_failure_report_names_the_failures(self):
    check_fixtures.write_output(self.directory)
    os.remove(os.path.join(self.directory, 'train-00000-of-00002'))
    report = self.run_check()
    self.assertEqual(report.failures_by_kind[_failures.SHARD_NAMES], 1)
    with open(report.report_files['json']) as f:
      data = json.load(f)
    self.assertFalse(data['ok'])
    self.assertIn('train-00000-of-00002', data['failures'][0]['message'])
    with open(report.report_files['markdown']) as f:
      self.assertIn('train-00000-of-00002', f.read())


class ReportFunctionTest(absltest.TestCase):

  def report(self) -> _reports.CheckReport:
    stats = _reports.SplitStats(name='train', num_shards=2, num_records=5,
                                num_bytes=2500, shard_records=[3, 2],
                                shard_bytes=[1500, 1000], class_counts={1: 3, 3: 2})
    return _reports.CheckReport(
        directory='/data', ok=False, schema=_record_checks.IMAGENET_SCHEMA,
        sample_fraction=0.5,
        failures=[_failures.Failure(_failures.COUNT, 'train', 'a | b')], num_failures=3,
        failures_by_kind={_failures.COUNT: 3}, warnings=['uneven shards'],
        splits={'train': stats}, class_names={1: 'n1 one', 3: 'n3 three'})

  def test_summary_line_and_json(self):
    report = self.report()
    self.assertEqual(report.summary_line(),
                     'Check FAILED: /data: 3 failures (count 3); records: train 5.')
    data = report.to_json()
    self.assertEqual(data['splits']['train']['shard_records_spread'],
                     {'min': 2, 'median': 2.5, 'max': 3})
    self.assertEqual(data['splits']['train']['num_classes'], 2)
    self.assertEqual(data['failures'],
                     [{'kind': 'count', 'location': 'train', 'message': 'a | b'}])

  def test_markdown(self):
    markdown = _reports.render_markdown(self.report())
    self.assertIn('# TFRecord check: FAILED', markdown)
    self.assertIn('- schema: imagenet (15 keys)', markdown)
    self.assertIn('| train | 2 | 5 | unknown | - | 2 | 0 | 0 | 2.5 kB |', markdown)
    self.assertIn('- train: a \\| b [count]', markdown)
    self.assertIn('## Warnings\n\n- uneven shards', markdown)

  def test_empty_shards_are_information_in_json_and_markdown(self):
    report = self.report()
    self.assertEqual(report.to_json()['splits']['train']['empty_shards'], [])
    self.assertNotIn('Empty shards', _reports.render_markdown(report))
    report.splits['train'].num_shards = 9
    report.splits['train'].empty_shards = [0, 1, 2, 5, 7, 8]
    self.assertEqual(report.to_json()['splits']['train']['empty_shards'],
                     [0, 1, 2, 5, 7, 8])
    self.assertIn('## Empty shards\n\nInformation, not a failure: with more shards than '
                  'images some shards are empty, and every shard name is still '
                  'written.\n\n- train: 6 of 9 shards hold no record: 0-2, 5, 7-8\n',
                  _reports.render_markdown(report))

  def test_write_reports(self):
    report_dir = os.path.join(self.create_tempdir().full_path, 'reports')
    paths = _reports.write_reports(self.report(), [], report_dir)
    self.assertCountEqual(os.listdir(report_dir),
                          [os.path.basename(path) for path in paths.values()])
    with open(paths['json']) as f:
      self.assertEqual(json.load(f)['failures_by_kind'], {'count': 3})
    for key in ('class_histogram', 'contact_sheet'):
      with Image.open(paths[key]) as image:
        self.assertEqual(image.format, 'PNG')


if __name__ == '__main__':
  absltest.main()
