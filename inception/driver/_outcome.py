"""What every driver ends with: the check's verdict, its closing lines, its errors."""

from typing import Any, Dict, List, Mapping

from absl import logging

from inception import check
from inception import convert
from inception import records
from inception.driver import _steps

# What a driver's failure that a re-run can get past ends with (cli decides which
# failures those are): its steps resume where they stopped.
RESUME_HINT = 'Run the same command again to resume: finished steps are not redone.'
# --check: 'quick' decodes a sample of the images, 'full' every one.
CHECK_MODES = ('quick', 'full')


class DriverError(RuntimeError):
  """A step cannot go on; the message says which input is wrong."""


class ResumableError(DriverError):
  """A step stopped on something it set aside (a tarball found bad, moved aside and
  its step marked unfinished): the next run gets past it by fetching it again."""


def check_mode_sample(check_mode: str) -> float:
  """The share of images the checker decodes in `check_mode`.

  Raises:
    ValueError: not one of CHECK_MODES.
  """
  if check_mode not in CHECK_MODES:
    raise ValueError('check_mode must be one of %s' % ', '.join(CHECK_MODES))
  return 1.0 if check_mode == 'full' else check.QUICK_SAMPLE_FRACTION


def conversion_outputs(results: Mapping[str, Any]) -> Dict[str, Any]:
  """The convert step's record of what it wrote, per split (convert.SplitResult)."""
  return {split: {'images': result.num_images, 'shards': result.num_shards,
                  'skipped': len(result.skipped)}
          for split, result in results.items()}


def check_verdict(report) -> Dict[str, Any]:
  """A driver's final check: logs its verdict; the check step's outputs if it passed.

  Raises:
    DriverError: the check failed; the message has the first failures and the
      report files.
  """
  logging.info(report.summary_line())
  if not report.ok:
    raise DriverError('%s\nFirst failures:\n  %s\nReport: %s' % (
        report.summary_line(),
        '\n  '.join(str(f) for f in report.failures[:10]),
        ', '.join(sorted(report.report_files.values()))))
  return {'records': {name: stats.num_records for name, stats in report.splits.items()},
          'schema': report.schema, 'report_files': report.report_files}


def total_images(state: Mapping[str, Any]) -> Dict[str, int]:
  """Images written per split, from the convert step's record."""
  return {split: value['images']
          for split, value in state.get(_steps.CONVERT, {}).get('outputs', {}).items()}


def finished_lines(state: Mapping[str, Any]) -> List[str]:
  """The original's closing lines, validation's then train's (then test's), from the
  state.

  A driver prints them once, at the very end (after the check), so that they are
  the last lines of a run, the same again when a re-run has nothing left to do.
  """
  counts = total_images(state)
  return [convert.finished_line(counts[split])
          for split in (records.VALIDATION, records.TRAIN, records.TEST)
          if split in counts]


def closing_lines(data_dir: str, state: Mapping[str, Any]) -> List[str]:
  """What a driver prints last: where the output is and its counts, then finished_lines."""
  counts = total_images(state)
  output = 'Output: %s (%s).' % (data_dir, ', '.join(
      '%s %d' % item for item in sorted(counts.items())))
  return [output] + finished_lines(state)
