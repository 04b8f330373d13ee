"""Converting whole splits: plan, prepare, write and finish, split after split.

`convert_split` does one split with the runner of its options; `convert_splits` the
splits of a data set, the validation split first, then train (the original's order),
then test, handing each finished split to `on_split_finished` (each split found and
planned in a thread beside the one before it); `convert_generic` a
folder-per-class set as build_image_data. Any failure raises (a bad image names its
path), before that split is handed on, and leaves nothing partial under a shard's
final name; a re-run resumes.
"""

import concurrent.futures
from typing import (Any, Callable, Dict, List, Mapping, NamedTuple, Optional, Sequence,
                    Tuple)

from absl import logging

from inception import records
from inception.convert import _finding
from inception.convert import _options
from inception.convert import _planning
from inception.convert import _preparing
from inception.convert import _spooling
from inception.convert import _writing

# (split, where its images are, its shard count)
SplitSource = Tuple[str, Any, int]


def convert_split(split: str, entries: Sequence[records.ImageEntry], num_shards: int,
                  output_directory: str, options: _options.ConvertOptions,
                  boxes: Optional[Mapping[str, Sequence[Sequence[float]]]] = None,
                  record_format: str = records.IMAGENET_FORMAT
                  ) -> _options.SplitResult:
  """Plans, writes (resuming) and finishes one split with the runner of `options`."""
  return _convert_plan(_planning.plan_split(split, entries, num_shards,
                                            output_directory, boxes, options,
                                            record_format), options)


def _convert_plan(plan: _planning.SplitPlan, options: _options.ConvertOptions,
                  spooled: Optional[_spooling.SpooledEntries] = None
                  ) -> _options.SplitResult:
  """Writes (resuming) and finishes a planned split with the runner of `options`,
  its pending shards' images spooled first when the source is `spooled`."""
  prepared = _preparing.prepare_split(plan, options)
  with _spooling.spooled_pending(prepared, spooled, options) as prepared:
    results = _writing.write_pending(prepared, options)
  return _writing.finish_split(prepared, results, options)


def splits_in_order(paths: _options.SplitPaths, shards: _options.ShardCounts
                    ) -> List[SplitSource]:
  """(split, its images' path, its shard count) for each path given (not None or
  empty): validation first, then train, the original's order; then test."""
  return [(split, path, num_shards)
          for split, path, num_shards in (
              (records.VALIDATION, paths.validation, shards.validation),
              (records.TRAIN, paths.train, shards.train),
              (records.TEST, paths.test, shards.test))
          if path]


def convert_splits(sources: Sequence[SplitSource],
                   find_entries: Callable[[str, Any], Sequence[records.ImageEntry]],
                   output_directory: str,
                   boxes: Optional[records.BoxTable],
                   options: _options.ConvertOptions,
                   record_format: str,
                   on_split_finished: Optional[_options.SplitCallback] = None
                   ) -> Dict[str, _options.SplitResult]:
  """Converts each (split, source, shard count) of splits_in_order, in order.

  Args:
    find_entries: (split, source) → the split's images, or a SpooledEntries (a
      source read in one pass: its pending shards' images spooled first).
    boxes: {filename: boxes}, or None for a format without boxes.
    on_split_finished: called with each split's result as soon as it is complete.
  """
  def planned(split: str, source: Any, num_shards: int) -> _PlannedSplit:
    found = find_entries(split, source)
    spooled = found if isinstance(found, _spooling.SpooledEntries) else None
    entries = found if spooled is None else found.entries
    num_classes = len(set(_planning.entry_labels(entries)))
    # The entries, columns the plan's shards were cut from, are dropped on return
    # (bench/README.md).
    return _PlannedSplit(_planning.plan_split(split, entries, num_shards,
                                              output_directory, boxes, options,
                                              record_format), spooled, num_classes)

  results = {}
  # Each split is found and planned in a thread, beside the split before it (the
  # train tar's index and plan, ~2 s of a 10 %-scale ImageNet, beside the validation
  # split's, then its shards); the splits still start and end in order.
  with concurrent.futures.ThreadPoolExecutor(2, thread_name_prefix='plan') as planner:
    upcoming = [planner.submit(planned, *source) for source in sources[:1]]
    try:
      for number, (split, _, _) in enumerate(sources):
        if number + 1 < len(sources):
          upcoming.append(planner.submit(planned, *sources[number + 1]))
        plan, spooled, num_classes = upcoming.pop(0).result()
        logging.info('%s: found %d images in %d classes%s', split, plan.num_images,
                     num_classes, '' if boxes is None else
                     ', %d with bounding boxes' % plan.num_with_boxes)
        results[split] = _convert_plan(plan, options, spooled)
        del plan
        if on_split_finished:
          on_split_finished(results[split])
    finally:
      for future in upcoming:  # after a failure: the next split is not needed
        future.cancel()
  return results


class _PlannedSplit(NamedTuple):
  """A split found and planned: its plan, its spooled source or None, its class
  count (for the log line)."""
  plan: _planning.SplitPlan
  spooled: Optional[_spooling.SpooledEntries]
  num_classes: int


def convert_generic(directories: _options.SplitPaths, output_directory: str,
                    labels_file: str, shards: _options.ShardCounts,
                    options: _options.ConvertOptions,
                    on_split_finished: Optional[_options.SplitCallback] = None
                    ) -> Dict[str, _options.SplitResult]:
  """Converts a folder-per-class set like build_image_data: validation, then train.

  Raises:
    ValueError: a test directory is given (such a set has no test split).
  """
  if directories.test:
    raise ValueError('a folder-per-class set has no test split (test directory %s)' %
                     directories.test)
  labels = _finding.read_generic_labels(labels_file)
  return convert_splits(
      splits_in_order(directories, shards),
      lambda split, directory: _finding.find_generic_entries(directory, labels),
      output_directory, None, options, records.GENERIC_FORMAT, on_split_finished)
