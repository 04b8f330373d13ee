"""Preparing the output directory for a plan: what is complete, what is left (resume).

`prepare_split` checks the output directory against the conversion manifest
(records.Manifest), keeps the complete shards of the same plan and returns the tasks
still to write; `record_result` records a shard in the manifest as it completes.
"""

import os
from typing import NamedTuple, Optional, Tuple

from absl import logging

from inception import core
from inception import records
from inception.convert import _options
from inception.convert import _planning


class PreparedSplit(NamedTuple):
  """A plan checked against the output directory: what is left to write."""
  plan: _planning.SplitPlan
  pending: Tuple[records.ShardTask, ...]
  reused: Tuple[records.ShardResult, ...]
  manifest: records.Manifest  # the manifest being updated as shards complete


def prepare_split(plan: _planning.SplitPlan, options: _options.ConvertOptions
                  ) -> PreparedSplit:
  """Checks the output directory; returns the shards still to write.

  A shard is kept (not rewritten) when the manifest holds the same plan, the file's
  TFRecord framing chains to its end and it holds the expected number of records
  (and, with --write_index, its index is then rewritten if it differs). Shards
  that held skipped images are rewritten unless skip_bad_images is on.

  Raises:
    ConversionError: the directory holds shards of another plan (use overwrite).
  """
  directory = plan.output_directory
  core.makedirs(directory)
  core.remove_stale_temporaries(directory)
  index_directory = core.index_dir(directory)
  if options.write_index:
    core.makedirs(index_directory)
  core.remove_stale_temporaries(index_directory)

  manifest = records.load_manifest(directory)
  previous = manifest.splits.get(plan.split)
  planned_names = {os.path.basename(t.output_path) for t in plan.tasks}
  on_disk = _split_shard_names(directory, plan.split)
  foreign = sorted(on_disk - planned_names)
  if options.overwrite:
    for name in foreign:
      _remove_shard(directory, name)
    previous = None
  else:
    if foreign:
      raise _options.ConversionError(
          '%s holds %d %s shards of another plan (e.g. %s); use --overwrite to replace '
          'them' % (directory, len(foreign), plan.split, foreign[0]))
    if previous is not None and previous.plan_fingerprint != plan.fingerprint:
      raise _options.ConversionError(_other_plan_message(plan, previous))
    if previous is None and on_disk & planned_names:
      raise _options.ConversionError(
          '%s holds %s shards but no record of their plan in %s; use --overwrite to '
          'replace them' % (directory, plan.split, core.MANIFEST_FILENAME))

  pending, reused = [], []
  for task in plan.tasks:
    name = os.path.basename(task.output_path)
    result = None
    if previous is not None and name in on_disk:
      result = _reusable_shard(task, previous, options)
    if result is None:
      pending.append(task)
      if not options.write_index:
        core.remove(core.index_path(directory, name), missing_ok=True)
    else:
      reused.append(result)

  manifest.splits[plan.split] = planned_record(plan)
  prepared = PreparedSplit(plan, tuple(pending), tuple(reused), manifest)
  for result in reused:
    record_result(prepared, result, write=False)
  records.save_manifest(directory, manifest)
  return prepared


def _other_plan_message(plan: _planning.SplitPlan,
                        previous: records.SplitManifest) -> str:
  """Why the shards in the directory are not resumed, in one line: another plan, or
  the same images re-encoded by a version before the re-encoding options counted."""
  directory = plan.output_directory
  if previous.plan_fingerprint == records.plan_fingerprint(
      plan.record_format, plan.num_shards, plan.tasks, reencode=None):
    return ('%s: the %s shards there were written by an earlier version, which '
            're-encoded PNG and CMYK images with other JPEG options (4:2:0 chroma; now '
            '4:4:4), and resuming would mix the two; use --overwrite to write them '
            'again' % (directory, plan.split))
  return ('%s: the %s shards there were written from a different plan (other images, '
          'labels, boxes, shard count or re-encoding; see %s); use --overwrite to '
          'replace them' % (directory, plan.split, core.MANIFEST_FILENAME))


def planned_record(plan: _planning.SplitPlan) -> records.SplitManifest:
  """The manifest's record of a split planned, before any shard is written."""
  return records.SplitManifest.planned(plan.record_format, plan.num_shards,
                                       plan.fingerprint, plan.num_images)


def record_result(prepared: PreparedSplit, result: records.ShardResult,
                  write: bool = True) -> None:
  """Records a complete shard in the manifest (written out if `write`)."""
  record = prepared.manifest.splits[prepared.plan.split]
  record.shard_counts[result.index] = result.num_records
  record.skipped_images.extend(result.skipped)
  if write:
    records.save_manifest(prepared.plan.output_directory, prepared.manifest)


def _split_shard_names(directory: str, split: str) -> set:
  """The names in `directory` that are shard names of `split` (of any plan)."""
  names = set()
  for name in core.listdir(directory):
    name = name.rstrip('/')
    parsed = records.parse_shard_name(name)
    if parsed and parsed.name == name and parsed.split == split:
      names.add(name)
  return names


def _remove_shard(directory: str, name: str) -> None:
  logging.info('Removing %s (another plan; --overwrite)', os.path.join(directory, name))
  core.remove(os.path.join(directory, name))
  core.remove(core.index_path(directory, name), missing_ok=True)


def _reusable_shard(task: records.ShardTask, previous: records.SplitManifest,
                    options: _options.ConvertOptions) -> Optional[records.ShardResult]:
  """A ShardResult for a complete shard of the same plan, or None to rewrite it."""
  recorded = previous.shard_counts[task.index]
  skipped = tuple(s for s in previous.skipped_images if s.shard == task.index)
  if recorded is None:  # renamed, but the run stopped before recording it
    recorded, skipped = len(task.entries), ()
  if skipped and not options.skip_bad_images:
    return None  # was written leaving images out; this run must not
  try:
    spans = records.record_spans(task.output_path)
  except records.CorruptShardError as e:
    logging.warning('Rewriting %s', e)
    return None
  if len(spans) != recorded:
    logging.warning('Rewriting %s: %d records, expected %d', task.output_path,
                    len(spans), recorded)
    return None
  if task.index_path:
    text = records.index_text(spans)
    if (not core.exists(task.index_path) or
        core.read_text(task.index_path) != text):
      core.write_text(task.index_path, text)
  return records.ShardResult(task.split, task.index, task.output_path, len(spans), 0,
                             sum(size for _, size in spans), skipped, True, 0.0)
