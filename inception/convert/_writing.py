"""Writing a prepared split's pending shards with a runner, and finishing it.

`write_pending` runs `records.write_shard` per pending task on the runner
`shard_runner` picks: the workers of the options (inception.core's local process pool,
or its Dask engine when they name a cluster, or for `--runner=DaskRunner`), or an
Apache Beam pipeline (any other runner name: DirectRunner, DataflowRunner, ...); all
give byte-identical shards; apache_beam is imported only for a Beam runner.
`finish_split` writes the final manifest and the bad-image report (under
--skip_bad_images: `<output>/bad_images-<split>.txt`, `source<TAB>reason` lines) and
gives the split's result.
"""

import collections
import dataclasses
import time
from typing import List, Optional, Sequence

from absl import logging

from inception import core
from inception import records
from inception.convert import _dask_cluster
from inception.convert import _options
from inception.convert import _planning
from inception.convert import _preparing

# The manifest records each shard as it completes, written out at most this often (and
# when the split's writing ends): rewriting the whole file after every shard cost 13 %
# of the convert step at 1,152 shards (bench/README.md). A shard renamed into place but
# not yet recorded is still kept on resume (_preparing._reusable_shard).
MANIFEST_SAVE_SECONDS = 1.0
# Shards each local worker process writes at a time, in threads: while one waits for
# its fsync before the rename (~1-4 ms a shard here), the other encodes, so the cores
# stay busy (the GIL runs one shard's Python at a time).
SHARDS_AT_ONCE_PER_WORKER = 2


def shard_runner(options: _options.ConvertOptions) -> core.Runner:
  """The runner that writes shards for `options`: its workers (local processes, or a
  Dask cluster: `workers.dask`, or `--runner=DaskRunner`), or a Beam pipeline.

  Raises:
    ConversionError: Beam options without a Beam runner, a Dask cluster with a Beam
      runner, or apache_beam missing.
  """
  workers = shard_workers(options)
  if workers is not None:
    return workers.runner(records.write_shard,
                          describe=lambda task: 'writing ' + task.output_path,
                          expected_errors=(records.ImageError,),
                          tasks_at_once=SHARDS_AT_ONCE_PER_WORKER)
  try:
    from inception.convert import _beam_runner  # pylint: disable=g-import-not-at-top
  except ImportError as e:
    raise _options.ConversionError('--runner=%s needs apache-beam (pip install -r '
                                   'requirements.txt): %s' % (options.runner, e)) from e
  return _beam_runner.BeamRunner(options.runner, options.beam_pipeline_args,
                                 options.workers.count, options.progress_interval)


def shard_workers(options: _options.ConvertOptions) -> Optional[core.Workers]:
  """The workers that write the shards, or None for a Beam runner.

  `--runner=DaskRunner` and its Beam options name a Dask cluster of the workers.

  Raises:
    ConversionError: Beam options without a Beam runner, or a Dask cluster with one.
  """
  runner = options.runner.strip().lower()
  if _dask_cluster.is_dask_runner(runner):
    try:
      cluster = _dask_cluster.dask_cluster_from_beam_options(
          options.beam_pipeline_args, options.workers.dask)
    except ValueError as e:
      raise _options.ConversionError(str(e)) from None
    return dataclasses.replace(options.workers, dask=cluster)
  if runner != _options.LOCAL_RUNNER:
    if options.workers.dask is not None:
      raise _options.ConversionError(
          '--dask_address runs the shards on %s; it cannot be combined with '
          '--runner=%s' % (options.workers.dask, options.runner))
    return None
  if options.beam_pipeline_args:
    raise _options.ConversionError('Beam pipeline options (%s) need a Beam runner, '
                                   'e.g. --runner=DirectRunner' %
                                   ' '.join(options.beam_pipeline_args))
  return options.workers


def write_pending(prepared: _preparing.PreparedSplit,
                  options: _options.ConvertOptions) -> List[records.ShardResult]:
  """Writes the pending shards with the runner of `options`; returns their results.

  Each shard is recorded in the manifest as it completes, so an interrupted run
  keeps what it finished.

  Raises:
    ConversionError: no runner for the options, or the runner failed other than by
      a shard's own exception (which is raised as it is, e.g. records.ImageError
      naming the image).
  """
  plan = prepared.plan
  runner = shard_runner(options)
  workers = shard_workers(options)
  if workers is not None and prepared.pending:
    # A remote cluster's workers cannot see this machine's files.
    workers.check_reachable(plan.output_directory)
    for entry in prepared.pending[0].entries[:1]:
      if isinstance(entry.source, str):
        workers.check_reachable(entry.source)
  if not prepared.pending:
    logging.info('%s: all %d shards already complete', plan.split, plan.num_shards)
    return []
  total = sum(len(t.entries) for t in prepared.pending)
  logging.info('%s: %d images in %d shards; %d shards already complete, %d to write '
               'with %s', plan.split, plan.num_images, plan.num_shards,
               len(prepared.reused), len(prepared.pending), runner)
  meter = core.Progress(plan.split, total=total, unit='images',
                        interval=options.progress_interval)
  results = []
  saved = [time.monotonic(), 0]  # when the manifest was last written, with how many

  def on_result(result: records.ShardResult) -> None:
    results.append(result)
    due = time.monotonic() - saved[0] >= MANIFEST_SAVE_SECONDS
    _preparing.record_result(prepared, result, write=due)
    if due:
      saved[:] = [time.monotonic(), len(results)]

  try:
    runner.run(prepared.pending, on_result, meter.update)
  except core.WorkerError as e:
    raise _options.ConversionError(str(e)) from e
  finally:
    if saved[1] != len(results):  # the shards done since the last write
      records.save_manifest(plan.output_directory, prepared.manifest)
    if workers is not None and workers.dask is not None:
      # A worker killed mid-shard (its shard re-run elsewhere) could not remove its
      # temporary file; every shard is over now.
      for directory in (plan.output_directory, core.index_dir(plan.output_directory)):
        core.remove_stale_temporaries(directory)
  meter.finish()
  return sorted(results, key=lambda r: r.index)


def finish_split(prepared: _preparing.PreparedSplit,
                 results: Sequence[records.ShardResult],
                 options: _options.ConvertOptions) -> _options.SplitResult:
  """Checks every shard is written, writes the final manifest and the report.

  Raises:
    ConversionError: a planned shard has no result, or counts do not add up.
  """
  plan = prepared.plan
  by_index = {r.index: r for r in prepared.reused}
  by_index.update((r.index, r) for r in results)
  missing = [t.output_path for t in plan.tasks if t.index not in by_index]
  if missing:
    raise _options.ConversionError('%s: %d shards were not written, e.g. %s' %
                                   (plan.split, len(missing), missing[0]))
  ordered = [by_index[t.index] for t in plan.tasks]
  skipped = tuple(s for r in ordered for s in r.skipped)
  num_images = sum(r.num_records for r in ordered)
  if num_images + len(skipped) != plan.num_images:
    raise _options.ConversionError(
        '%s: %d records written + %d skipped != %d planned images' %
        (plan.split, num_images, len(skipped), plan.num_images))
  class_counts = collections.Counter(label for t in plan.tasks
                                     for label in _planning.entry_labels(t.entries))
  class_counts.subtract(s.label for s in skipped)

  prepared.manifest.splits[plan.split] = dataclasses.replace(
      _preparing.planned_record(plan),
      shard_counts=[r.num_records for r in ordered],
      complete=True,
      num_images=num_images,
      class_counts={str(label): count for label, count in sorted(class_counts.items())},
      skipped_images=list(skipped))
  records.save_manifest(plan.output_directory, prepared.manifest)

  report_path = None
  if options.skip_bad_images:
    report_path = core.bad_images_path(plan.output_directory, plan.split)
    core.write_text(report_path, ''.join('%s\t%s\n' % (s.source, s.reason)
                                                 for s in skipped))
    if skipped:
      logging.warning('%s: left out %d bad images, listed in %s', plan.split,
                      len(skipped), report_path)
  return _options.SplitResult(plan.split, plan.num_shards, num_images, skipped,
                              tuple(t.output_path for t in plan.tasks),
                              len(prepared.reused),
                              sum(r.num_input_bytes for r in ordered), report_path)
