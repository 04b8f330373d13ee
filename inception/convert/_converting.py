"""Converting whole splits: plan, prepare, write and finish, split after split.

`convert_split` does one split with the runner of its options; `convert_splits` the
splits of a data set, the validation split first, then train (the original's order),
then test, handing each finished split to `on_split_finished`; `convert_generic` a
folder-per-class set as build_image_data. Any failure raises (a bad image names its
path), before that split is handed on, and leaves nothing partial under a shard's
final name; a re-run resumes.
"""

from typing import Any, Callable, Dict, List, Mapping, Optional, Sequence, Tuple

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
  results = {}
  for split, source, num_shards in sources:
    found = find_entries(split, source)
    spooled = found if isinstance(found, _spooling.SpooledEntries) else None
    entries = found if spooled is None else found.entries
    num_images = len(entries)
    num_classes = len(set(_planning.entry_labels(entries)))
    plan = _planning.plan_split(split, entries, num_shards, output_directory, boxes,
                                options, record_format)
    del entries  # columns the plan's shards were cut from (bench/README.md)
    logging.info('%s: found %d images in %d classes%s', split, num_images, num_classes,
                 '' if boxes is None else
                 ', %d with bounding boxes' % plan.num_with_boxes)
    results[split] = _convert_plan(plan, options, spooled)
    del plan
    if on_split_finished:
      on_split_finished(results[split])
  return results


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
