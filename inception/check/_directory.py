"""`check_directory`: the walk over a directory of shards, and the verdict on it.

The names in the directory give the shards of each split (`_expectations`); the
manifest, the caller's counts (`_expectations.Expected`, which also names the label
files) or ImageNet's numbers say what each split should hold; the first readable record
gives the schema. Each shard is then checked by `_shard_checks.check_shard_task`, by
inception.core's local pool (`core.Workers`: fresh worker processes, or this process
for one); each shard's result is folded in as it arrives (`_split_checks.ShardResults`),
progress is counted per shard, and the merged results are checked across shards
(`_split_checks`) into a `CheckReport`, written out by `_reports`. Only the shards that
the contact sheet shows make thumbnails (`sample_counts`).
"""

import collections
import math
import time
from typing import Dict, List, Optional, Sequence, Tuple

from absl import logging

from inception import core
from inception import records
from inception.check import _expectations
from inception.check import _failures
from inception.check import _record_checks
from inception.check import _reports
from inception.check import _shard_checks
from inception.check import _split_checks

# Share of images fully decoded in the driver's quick check; everything else is
# checked for every record in both modes.
QUICK_SAMPLE_FRACTION = 0.02

_MAX_REPORTED_FAILURES = 1000
_CONTACT_SHEET_SAMPLES = 24
_MAX_SAMPLES_PER_SHARD = 8
_ONE_TENSORFLOW_THREAD = {'TF_NUM_INTRAOP_THREADS': '1', 'TF_NUM_INTEROP_THREADS': '1'}
# Local shards of at most this many bytes in all get a sampled check (Pillow's
# decoder) in this process (the demo's 27 MB: ~0.5 s), without the pool's worker
# processes, whose start costs more (~0.5 s of CPU each, their imports). A full check
# keeps its workers: TensorFlow's decoder stays out of the main process.
IN_PROCESS_MAX_BYTES = 64 << 20


def check_directory(directory: str, *, workers: core.Workers,
                    expected: _expectations.Expected = _expectations.Expected(),
                    sample_fraction: float = 1.0,
                    report_dir: Optional[str] = None) -> _reports.CheckReport:
  """Checks every shard in `directory` and writes the reports.

  Args:
    directory: the converter's output directory (local or gs://).
    workers: the processes checking shards; one checks in this process.
    expected: the records per split and the label files (default: neither; the
      counts then come from the manifest or ImageNet's numbers).
    sample_fraction: share of images fully decoded (all headers are always read):
      with TensorFlow's decoder when it is 1 (all), else with Pillow's
      (`_record_checks.decoder_for`).
    report_dir: where the reports go; default `<directory>/check_report`.

  Returns:
    The report; `ok` is False on any failure.

  Raises:
    FileNotFoundError: `directory` does not exist.
    ValueError: a label file is malformed.
  """
  started = time.monotonic()
  workers.check_reachable(directory)
  if not core.isdir(directory):
    raise FileNotFoundError('%s is not a directory' % directory)
  if not 0.0 <= sample_fraction <= 1.0:
    raise ValueError('sample_fraction must be in [0, 1], got %r' % sample_fraction)
  names = [n.rstrip('/') for n in core.listdir(directory)]
  shards_by_split, failures = _expectations.check_shard_names(names)
  strays = {f.location for f in failures}  # a temporary a glob reads fails instead
  warnings = ['leftover temporary file %s (an interrupted run?)' % n
              for n in sorted(names) if core.is_temporary_path(n) and n not in strays]
  shards = [s for split_shards in shards_by_split.values() for s in split_shards]
  if not shards:
    failures.append(_failures.Failure(_failures.SHARD_NAMES, directory,
                                      'no shards found'))

  try:
    manifest = _expectations.manifest_expectations(directory)
  except ValueError as e:
    failures.append(_failures.Failure(_failures.MANIFEST, core.manifest_path(directory),
                                      str(e)))
    manifest = None
  shard_totals = {split: _expectations.split_total(split_shards)
                  for split, split_shards in shards_by_split.items()}
  expectations = _expectations.resolve_expectations(shard_totals, expected.counts,
                                                    manifest)

  paths = [core.join(directory, s.name) for s in shards]
  schema = _shard_checks.peek_schema(paths)
  labels = None
  if schema == _record_checks.IMAGENET_SCHEMA and expected.synsets_file:
    # Read here, once: a malformed file fails before any shard is checked, and the
    # workers get the data, not paths of this machine.
    _record_checks.read_label_files.cache_clear()
    labels = _record_checks.read_label_files(expected.synsets_file,
                                             expected.metadata_file,
                                             expected.validation_labels_file)
  index_paths, index_failures = _index_paths(directory, shards)
  failures.extend(index_failures)

  settings = _shard_checks.CheckSettings(schema, sample_fraction,
                                         _record_checks.decoder_for(sample_fraction))
  samples = sample_counts(len(shards), _CONTACT_SHEET_SAMPLES)
  tasks = [_shard_checks.ShardCheckTask(path, shard, index_paths.get(shard.name),
                                        settings, samples.get(number, 0))
           for number, (path, shard) in enumerate(zip(paths, shards))]
  small = _is_small_quick_check(paths, settings.decoder)
  shard_results = _check_shards(tasks, labels, workers.in_process_when(small),
                                'check %s' % directory)
  results = shard_results.results

  # Failures in order: names and files, then each shard's, then what the merge finds.
  by_kind = collections.Counter(f.kind for f in failures)
  for result in results:
    failures.extend(result.failures)
    by_kind.update(result.failures_by_kind)
  splits = _split_checks.merge_splits(shard_results, shards_by_split, expectations)
  merged = _split_checks.expectation_failures(splits, shards_by_split, expectations,
                                              shard_results, schema)
  if labels is None:
    merged.extend(_split_checks.consistency_failures(shard_results.class_keys))
  merged.extend(_split_checks.duplicate_failures(results))
  failures.extend(merged)
  by_kind.update(f.kind for f in merged)
  warnings.extend(_split_checks.small_shard_warnings(splits))
  num_failures = sum(by_kind.values())

  report = _reports.CheckReport(
      directory=directory, ok=num_failures == 0, schema=schema,
      sample_fraction=sample_fraction, failures=failures[:_MAX_REPORTED_FAILURES],
      num_failures=num_failures, failures_by_kind=dict(sorted(by_kind.items())),
      warnings=warnings, splits=splits,
      class_names=_split_checks.class_names(shard_results.class_keys, labels))
  report.report_files = _reports.write_reports(
      report, _split_checks.choose_samples(shard_results.samples,
                                           _CONTACT_SHEET_SAMPLES),
      report_dir or core.check_report_dir(directory))
  logging.info('Checked %s in %.1f s', directory, time.monotonic() - started)
  return report


def _is_small_quick_check(paths: Sequence[str], decoder: str) -> bool:
  """Whether checking the shards `paths` costs less than starting worker processes:
  a sampled check (Pillow's decoder) of local shards of IN_PROCESS_MAX_BYTES at most."""
  if decoder != _record_checks.PILLOW or any(map(core.is_remote, paths)):
    return False
  return sum(map(core.size, paths)) <= IN_PROCESS_MAX_BYTES


def _index_paths(directory: str, shards: Sequence[records.ShardName]
                 ) -> Tuple[Dict[str, str], List[_failures.Failure]]:
  """The index file of each shard that has one; failures for missing and extra ones."""
  index_dir = core.index_dir(directory)
  if not core.isdir(index_dir):
    return {}, []
  suffix = core.INDEX_SUFFIX
  indexed = {n[:-len(suffix)] for n in core.listdir(index_dir)
             if n.endswith(suffix) and not core.is_temporary_path(n)}
  if not indexed:
    return {}, []
  shard_names = [s.name for s in shards]
  failures = []
  missing = [n for n in shard_names if n not in indexed]
  if missing:
    failures.append(_failures.Failure(
        _failures.INDEX, index_dir, '%d of %d shards have no index file: %s' % (
            len(missing), len(shard_names), _failures.first_items(missing))))
  extra = sorted(indexed - set(shard_names))
  if extra:
    failures.append(_failures.Failure(
        _failures.INDEX, index_dir, 'index files without a shard: %s' %
        _failures.first_items([n + suffix for n in extra])))
  return ({n: core.index_path(directory, n) for n in shard_names if n in indexed},
          failures)


def sample_counts(num_shards: int, num_samples: int) -> Dict[int, int]:
  """shard number → thumbnails it gives the contact sheet: `num_samples` in all.

  Shards spread evenly over the list give them (up to _MAX_SAMPLES_PER_SHARD each),
  so that the main process receives a contact sheet's worth, not one per shard.
  """
  if not num_shards:
    return {}
  per_shard = min(_MAX_SAMPLES_PER_SHARD, math.ceil(num_samples / num_shards))
  givers = sorted({int(i * num_shards / math.ceil(num_samples / per_shard))
                   for i in range(math.ceil(num_samples / per_shard))})
  return {number: per_shard for number in givers}


def _check_shards(tasks: Sequence[_shard_checks.ShardCheckTask],
                  labels: Optional[_record_checks.LabelFiles], workers: core.Workers,
                  description: str) -> _split_checks.ShardResults:
  """Runs check_shard_task on every task with the workers; results folded in.

  The label data goes once to each worker (`shared`). Progress is counted per shard,
  as each shard's result arrives.
  """
  tracker = core.Progress(description, total=len(tasks), unit='shards')
  shard_results = _split_checks.ShardResults()

  def on_result(result: _shard_checks.ShardCheckResult) -> None:
    shard_results.add(result)
    tracker.update(1, result.num_bytes)

  runner = workers.runner(
      _shard_checks.check_shard_task,
      describe=lambda task: 'checking ' + task.path, shared=labels,
      # One worker per core already: each worker's TensorFlow keeps to one thread.
      worker_environment=_ONE_TENSORFLOW_THREAD)
  runner.run(tasks, on_result)
  tracker.finish()
  shard_results.sort({task.shard.name: i for i, task in enumerate(tasks)})
  return shard_results
