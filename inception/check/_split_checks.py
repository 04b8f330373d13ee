"""Checks across the shards: each split's totals, labels and file names.

The main process folds each shard's result as it arrives (`ShardResults.add`): the
images per class into its split's counts and the class names into one set per label,
so that it keeps per shard only its numbers, failures and packed file names (at
ImageNet's 1152 shards, per-shard class tables alone were ~500 MB). The results are
merged into each split's numbers (`merge_splits`) and compared with what the split should hold
(`expectation_failures`: records per split and per shard, each shard's size against
the converter's plan (`shard_plan_failures`), shard total, images per class, schema,
and whether the conversion finished); without label files to compare
with, each label must name one class across the whole output
(`consistency_failures`); and no file name may appear twice, within or across splits
(`duplicate_failures`, `_file_names.find_duplicates`).
"""

import collections
import dataclasses
from typing import Dict, Iterable, List, Optional, Sequence, Set, Tuple

from inception import records
from inception.check import _expectations
from inception.check import _failures
from inception.check import _file_names
from inception.check import _record_checks
from inception.check import _reports
from inception.check import _shard_checks

Failure = _failures.Failure
Results = Sequence[_shard_checks.ShardCheckResult]  # in the order of the shard names
ShardsBySplit = Dict[str, List[records.ShardName]]
Expectations = Dict[str, _expectations.SplitExpectation]
Splits = Dict[str, _reports.SplitStats]
ClassKeys = Dict[int, Set[Tuple[str, str]]]  # label → its (synset, text) names


@dataclasses.dataclass
class ShardResults:
  """The shards' results as the main process keeps them (see the module docstring).

  Attributes:
    results: each shard's result, without its class tables and samples.
    class_counts: split → label → images.
    class_keys: label → the (synset, text) pairs its records carry, over all splits.
    samples: the shards' thumbnails, in shard order once `sort` ran.
  """
  results: List[_shard_checks.ShardCheckResult] = dataclasses.field(
      default_factory=list)
  class_counts: Dict[str, Dict[int, int]] = dataclasses.field(default_factory=dict)
  class_keys: ClassKeys = dataclasses.field(default_factory=dict)
  samples: List[_shard_checks.Sample] = dataclasses.field(default_factory=list)

  def add(self, result: _shard_checks.ShardCheckResult) -> None:
    """Folds one shard's result in."""
    counts = self.class_counts.setdefault(result.split, collections.Counter())
    counts.update(result.class_counts)
    for label, keys in result.class_keys.items():
      self.class_keys.setdefault(label, set()).update(keys)
    self.samples.extend(result.samples)
    self.results.append(dataclasses.replace(result, class_counts={}, class_keys={},
                                            samples=[]))

  def sort(self, shard_order: Dict[str, int]) -> None:
    """Puts results and samples in shard order (they arrive in any order)."""
    self.results.sort(key=lambda r: shard_order[r.name])
    self.samples.sort(key=lambda s: (shard_order[s.shard], s.record))


def merge_splits(shard_results: ShardResults, shards_by_split: ShardsBySplit,
                 expectations: Expectations) -> Splits:
  """Each split's numbers: the sums of its shards', and what was expected."""
  splits = {name: _reports.SplitStats(name=name) for name in shards_by_split}
  for result in shard_results.results:
    stats = splits[result.split]
    stats.num_shards += 1
    stats.num_records += result.num_records
    stats.num_bytes += result.num_bytes
    stats.shard_records.append(result.num_records)
    stats.shard_bytes.append(result.num_bytes)
    stats.num_boxes += result.num_boxes
    stats.num_images_with_boxes += result.num_images_with_boxes
    stats.num_decoded += result.num_decoded
    if result.framing_ok and not result.num_records:
      stats.empty_shards.append(records.parse_shard_name(result.name).index)
  for name, stats in splits.items():
    stats.class_counts = dict(sorted(shard_results.class_counts.get(name, {}).items()))
    expectation = expectations.get(name)
    if expectation is not None:
      stats.expected_records = expectation.num_records
      stats.expected_source = expectation.source
  return splits


def expectation_failures(splits: Splits, shards_by_split: ShardsBySplit,
                         expectations: Expectations, shard_results: ShardResults,
                         schema: str) -> List[Failure]:
  """Counts per split, per shard and per class against what was expected."""
  results = shard_results.results
  failures = []
  for split, expectation in expectations.items():
    if expectation.complete is False:
      failures.append(Failure(_failures.MANIFEST, split,
                              _incomplete_message(split, expectation)))
    stats = splits.get(split)
    if stats is None:
      failures.append(Failure(_failures.COUNT, split, 'no shards of this split '
                              '(expected from %s)' % expectation.source))
      continue
    total = _expectations.split_total(shards_by_split[split])
    if expectation.record_format not in (None, schema):
      failures.append(Failure(_failures.SCHEMA, split,
                              'the %s says the records are %s, they are %s' % (
                                  expectation.source, expectation.record_format,
                                  schema)))
    if expectation.num_shards is not None and expectation.num_shards != total:
      failures.append(Failure(_failures.SHARD_NAMES, split,
                              'shard names say -of-%05d, the %s says %d shards' % (
                                  total, expectation.source, expectation.num_shards)))
    if (expectation.num_records is not None and
        stats.num_records != expectation.num_records):
      failures.append(Failure(_failures.COUNT, split,
                              '%d records, expected %d (from %s)' % (
                                  stats.num_records, expectation.num_records,
                                  expectation.source)))
    if expectation.shard_records is not None:
      failures.extend(_shard_record_failures(split, expectation, results))
    failures.extend(_class_count_failures(split, stats, expectation,
                                          shard_results.class_keys, schema))
  for split in splits:
    expectation = expectations.get(split)
    if expectation is None or expectation.shard_records is None:
      failures.extend(shard_plan_failures(
          [r for r in results if r.split == split],
          _expectations.split_total(shards_by_split[split]), expectation))
  for split, stats in splits.items():
    empty = [r.name for r in results if r.split == split and r.num_records == 0]
    if empty and stats.num_records >= stats.num_shards:
      failures.append(Failure(_failures.COUNT, split,
                              'empty shards: %s' % _failures.first_items(empty)))
  return failures


def _incomplete_message(split: str, expectation: _expectations.SplitExpectation) -> str:
  """Says that the conversion of `split` did not finish, and which shards it lacks."""
  message = ('the conversion manifest says this split is not complete (a failed, '
             'interrupted or running conversion)')
  counts = expectation.shard_records
  if counts is None:
    return message
  unwritten = [records.shard_name(split, index, len(counts))
               for index, count in enumerate(counts) if count is None]
  if unwritten:
    return '%s: %d of %d shards have no count: %s' % (
        message, len(unwritten), len(counts), _failures.first_items(unwritten))
  return ('%s: all %d shards have a count, but the run stopped before it finished the '
          'split' % (message, len(counts)))


def _shard_record_failures(split: str, expectation: _expectations.SplitExpectation,
                           results: Results) -> List[Failure]:
  failures = []
  by_index = {records.parse_shard_name(r.name).index: r
              for r in results if r.split == split}
  for index, count in enumerate(expectation.shard_records):
    result = by_index.get(index)
    if result is not None and count is not None and result.num_records != count:
      failures.append(Failure(_failures.COUNT, result.name, '%d records, the %s says %d'
                              % (result.num_records, expectation.source, count)))
  return failures


def _class_count_failures(split: str, stats: _reports.SplitStats,
                          expectation: _expectations.SplitExpectation,
                          class_keys: ClassKeys, schema: str) -> List[Failure]:
  failures = []
  if expectation.class_count_range is not None:
    low, high = expectation.class_count_range
    num_classes = expectation.num_classes or max(stats.class_counts, default=0)
    outside = [(label, stats.class_counts.get(label, 0))
               for label in range(1, num_classes + 1)
               if not low <= stats.class_counts.get(label, 0) <= high]
    extra = sorted(label for label in stats.class_counts if label > num_classes)
    if outside:
      failures.append(Failure(_failures.CLASS_COUNT, split,
                              '%d classes outside %d..%d images (from %s): %s' % (
                                  len(outside), low, high, expectation.source,
                                  _failures.first_items(
                                      ['label %d: %d' % o for o in outside]))))
    if extra:
      failures.append(Failure(_failures.CLASS_COUNT, split, 'labels beyond %d: %s' % (
          num_classes, _failures.first_items([str(label) for label in extra]))))
  if expectation.class_counts is not None:
    actual = _class_counts_by_key(stats.class_counts, class_keys, schema,
                                  keys=expectation.class_counts.keys())
    differing = ['%s: %d, expected %d' % (key, actual.get(key, 0), count)
                 for key, count in sorted(expectation.class_counts.items())
                 if actual.get(key, 0) != count]
    differing += ['%s: %d, expected none' % (key, count)
                  for key, count in sorted(actual.items())
                  if key not in expectation.class_counts]
    if differing:
      failures.append(Failure(_failures.CLASS_COUNT, split,
                              '%d classes differ from the %s: %s' % (
                                  len(differing), expectation.source,
                                  _failures.first_items(differing))))
  return failures


def _class_counts_by_key(class_counts: Dict[int, int], class_keys: ClassKeys,
                         schema: str, keys: Iterable[str]) -> Dict[str, int]:
  """Images per class keyed like the manifest: label digits, or synset/text."""
  by_label = all(str(k).isdigit() for k in keys)
  counts: Dict[str, int] = collections.Counter()
  for label, count in class_counts.items():
    if by_label:
      counts[str(label)] += count
    else:
      # A label with several names is reported elsewhere; count it under its first.
      synset, text = sorted(class_keys[label])[0]
      counts[synset if schema == _record_checks.IMAGENET_SCHEMA else text] += count
  return dict(counts)


def consistency_failures(class_keys: ClassKeys) -> List[Failure]:
  """Without label files: each label one (synset, text), each synset one label."""
  failures = []
  labels_of: Dict[str, Set[int]] = collections.defaultdict(set)
  for label, keys in sorted(class_keys.items()):
    if len(keys) > 1:
      failures.append(Failure(_failures.LABEL, 'label %d' % label,
                              'has several classes: %s' % _failures.first_items(
                                  ['%s %r' % k for k in sorted(keys)])))
    for synset, text in keys:
      labels_of[synset or text].add(label)
  for key, labels in sorted(labels_of.items()):
    if len(labels) > 1:
      failures.append(Failure(_failures.LABEL, key, 'has several labels: %s' %
                              ', '.join(map(str, sorted(labels)))))
  return failures


def duplicate_failures(results: Results) -> List[Failure]:
  """No image/filename twice, within or across splits."""
  duplicates = _file_names.find_duplicates([r.filenames for r in results])
  return [Failure(_failures.DUPLICATE, filename,
                  'file name appears %d times: %s' % (
                      len(positions), _failures.first_items(
                          ['%s record %d' % (results[shard].name, record)
                           for shard, record in positions])))
          for filename, positions in duplicates]


def shard_plan_failures(results: Results, num_shards: int,
                        expectation: Optional[_expectations.SplitExpectation]
                        ) -> List[Failure]:
  """Records per shard against the converter's plan (records.shard_ranges).

  A split's shard sizes follow from its total and shard count alone, so a shard cut
  short at a record boundary shows without a manifest: against the plan of the
  expected total, or, with none known and every shard present and readable, the
  sizes must be those of their own sum; the shards named are then those that differ
  from the closest plan (the most shards agreeing, then the total nearest the sum).

  Args:
    results: one split's shards (any order); those of another `-of-` total, or whose
      framing is broken (reported already), are not compared.
    num_shards: the split's `-of-` total.
    expectation: what the split should hold, if anything is known.
  """
  by_index = {records.parse_shard_name(r.name).index: r for r in results
              if records.parse_shard_name(r.name).num_shards == num_shards}
  if expectation is not None and expectation.num_records is not None:
    num_records = expectation.num_records
    how = 'the plan of %d records (from %s)' % (num_records, expectation.source)
  else:
    if len(by_index) != num_shards or not all(r.framing_ok for r in by_index.values()):
      return []
    sizes = [by_index[i].num_records for i in range(num_shards)]
    if sizes == _plan_sizes(sum(sizes), num_shards):
      return []
    common = collections.Counter(sizes).most_common(1)[0][0]
    num_records = max(
        range(common * num_shards, (common + 1) * num_shards + 1),
        key=lambda total: (sum(a == b for a, b in zip(
            sizes, _plan_sizes(total, num_shards))), -abs(total - sum(sizes))))
    how = ('no total gives the shard sizes found; the closest plan, of %d records,' %
           num_records)
  planned = _plan_sizes(num_records, num_shards)
  return [Failure(_failures.COUNT, result.name,
                  "%d records; %s in %d shards (the converter's plan) gives it %d" % (
                      result.num_records, how, num_shards, planned[index]))
          for index, result in sorted(by_index.items())
          if result.framing_ok and result.num_records != planned[index]]


def _plan_sizes(num_records: int, num_shards: int) -> List[int]:
  return [end - start for start, end in records.shard_ranges(num_records, num_shards)]


# The PyPI `tfrecord` package's index reader fails on an index of fewer records.
_MIN_RECORDS_FOR_INDEX_READERS = 2


def small_shard_warnings(splits: Splits) -> List[str]:
  """A warning per split with shards of 0 or 1 record, which some readers cannot open.

  The shards are valid; but the `tfrecord` package (1.14) cannot read the index file of
  such a shard (README, "Reading the records"), so the warning suggests fewer shards.
  """
  warnings = []
  for name, stats in sorted(splits.items()):
    small = [n for n in stats.shard_records if n < _MIN_RECORDS_FOR_INDEX_READERS]
    if small:
      warnings.append(
          '%s: %d of %d shards hold fewer than %d records (the tfrecord package cannot '
          'read their index files); convert with fewer shards' % (
              name, len(small), stats.num_shards, _MIN_RECORDS_FOR_INDEX_READERS))
  return warnings


def class_names(class_keys: ClassKeys,
                labels: Optional[_record_checks.LabelFiles]) -> Dict[int, str]:
  """label → 'synset text' (or text) for the report, from the files or the records."""
  names: Dict[int, str] = {}
  if labels is not None:
    for label, synset in enumerate(labels.synsets, 1):
      text = labels.texts[label - 1] if labels.texts else ''
      names[label] = ('%s %s' % (synset, text)).strip()
  for label, keys in class_keys.items():
    if label not in names:
      names[label] = ('%s %s' % sorted(keys)[0]).strip()
  return dict(sorted(names.items()))


def choose_samples(samples: Sequence[_shard_checks.Sample],
                   count: int) -> List[_shard_checks.Sample]:
  """Up to `count` of the samples (in shard order), spread evenly over them."""
  if len(samples) <= count:
    return list(samples)
  step = len(samples) / count
  return [samples[int(i * step)] for i in range(count)]
