"""What a directory should hold: its shards' names, and the records of each split.

`Expected` is what the caller says to expect: counts per split and the label files.
`check_shard_names` groups a directory's shards by split and names gaps, extras,
disagreeing `-of-` totals and any other file that a split's glob (`<split>-*`, what
readers give tf.data) would read (docs/FORMAT.md, "Shards"). `resolve_expectations` chooses
what each split should hold: the `--expected_counts` flag (`parse_expected_counts`),
else the conversion manifest (`manifest_expectations`), else ImageNet's numbers when
the shard totals are ImageNet's (docs/FORMAT.md, "Data facts").
"""

import collections
import dataclasses
from typing import Dict, Iterable, List, Mapping, Optional, Sequence, Tuple

from inception import core
from inception import records
from inception.check import _failures

# ImageNet 2012 (docs/FORMAT.md, "Data facts"): shards per split, images per split and
# per class (the test split is unlabelled: no classes to count).
IMAGENET_NUM_SHARDS = {records.TRAIN: records.IMAGENET_TRAIN_SHARDS,
                       records.VALIDATION: records.IMAGENET_VALIDATION_SHARDS,
                       records.TEST: records.IMAGENET_TEST_SHARDS}
IMAGENET_NUM_IMAGES = {records.TRAIN: 1281167, records.VALIDATION: 50000,
                       records.TEST: 100000}
IMAGENET_CLASS_COUNT_RANGE = {records.TRAIN: (732, 1300), records.VALIDATION: (50, 50)}
IMAGENET_NUM_CLASSES = 1000
# Splits whose glob is checked for strays even when they have no shard here.
READER_GLOB_SPLITS = (records.TRAIN, records.VALIDATION)


@dataclasses.dataclass(frozen=True)
class Expected:
  """What the caller expects of a directory: records per split and the label files
  its records are compared with. Built once (from flags or a driver's settings).

  Attributes:
    counts: records per split; overrides the manifest and ImageNet's numbers.
    synsets_file: label i+1 is line i; None checks only that each label has one
      synset and text across the output. Used for the imagenet schema only.
    metadata_file: `wnid<TAB>text`, checks image/class/text (needs synsets_file).
    validation_labels_file: checks `ILSVRC2012_val_%08d.JPEG` records' synsets.
  """
  counts: Optional[Mapping[str, int]] = None
  synsets_file: Optional[str] = None
  metadata_file: Optional[str] = None
  validation_labels_file: Optional[str] = None


@dataclasses.dataclass(frozen=True)
class SplitExpectation:
  """What a split should hold; None where nothing is known."""
  source: str
  num_records: Optional[int] = None
  num_shards: Optional[int] = None
  # Records per shard in index order; None for a shard not known.
  shard_records: Optional[Tuple[Optional[int], ...]] = None
  # Images per class, keyed by label digits, or by synset (imagenet schema) / text.
  class_counts: Optional[Dict[str, int]] = None
  class_count_range: Optional[Tuple[int, int]] = None
  num_classes: Optional[int] = None
  record_format: Optional[str] = None  # the schema the converter says it wrote
  complete: Optional[bool] = None  # False: the conversion did not finish


def split_total(shards: Sequence[records.ShardName]) -> int:
  """The `-of-` total most of a split's shard names carry (the larger on a tie)."""
  totals = collections.Counter(shard.num_shards for shard in shards)
  return max(totals, key=lambda total: (totals[total], total))


def check_shard_names(
    names: Iterable[str]
) -> Tuple[Dict[str, List[records.ShardName]], List[_failures.Failure]]:
  """Groups shard file names by split; reports gaps, extras and mixed totals.

  Args:
    names: file names (not paths) in the output directory. Names that do not look
      like `<split>-<index>-of-<total>` are not shards; they fail only when a split's
      glob matches them (`glob_strays`).

  Returns:
    The shards of each split sorted by index, and the failures found.
  """
  by_split: Dict[str, List[records.ShardName]] = collections.defaultdict(list)
  failures = []
  for name in sorted(names):
    if core.is_temporary_path(name):
      continue
    shard = records.parse_shard_name(name)
    if shard is None:
      continue
    if shard.name != name:
      failures.append(_failures.Failure(
          _failures.SHARD_NAMES, name, 'not a shard name of the form %s' % shard.name))
      continue
    by_split[shard.split].append(shard)
  for split, shards in sorted(by_split.items()):
    totals = collections.Counter(shard.num_shards for shard in shards)
    total = split_total(shards)
    if len(totals) > 1:
      described = ', '.join('%d say -of-%05d' % (totals[t], t) for t in sorted(totals))
      failures.append(_failures.Failure(
          _failures.SHARD_NAMES, split,
          'shard names disagree on the total: %s' % described))
    present = {shard.index for shard in shards if shard.num_shards == total}
    missing = [records.shard_name(split, i, total) for i in range(total)
               if i not in present]
    if missing:
      failures.append(_failures.Failure(
          _failures.SHARD_NAMES, split, '%d of %d shards missing: %s' % (
              len(missing), total, _failures.first_items(missing))))
    extra = [shard.name for shard in shards if shard.index >= shard.num_shards]
    if extra:
      failures.append(_failures.Failure(
          _failures.SHARD_NAMES, split,
          'shard index beyond the total: %s' % _failures.first_items(extra)))
    by_split[split] = sorted(shards, key=lambda s: (s.index, s.num_shards))
  failures.extend(glob_strays(names, set(by_split) | set(READER_GLOB_SPLITS)))
  return dict(sorted(by_split.items())), failures


def glob_strays(names: Iterable[str], splits: Iterable[str]) -> List[_failures.Failure]:
  """The names a split's glob `<split>-*` matches that are not that split's shards.

  A reader's `train-*` reads each such file as a shard: a copy
  (`train-00001-of-00004.copy`), a leftover temporary, another split's shards
  (`train-extra-00000-of-00001`). A name shaped like a shard's but misspelt
  (`train-1-of-4`) is named by check_shard_names already.
  """
  failures = []
  for name in sorted(names):
    shard = records.parse_shard_name(name)
    if shard is not None and shard.name != name:
      continue
    for split in sorted(splits):
      if name.startswith(split + '-') and (shard is None or shard.split != split):
        what = ('a leftover temporary file (an interrupted run?)'
                if core.is_temporary_path(name) else 'not one of its shards')
        failures.append(_failures.Failure(
            _failures.SHARD_NAMES, name, 'matches %s-*, the glob readers use for the %s '
            'shards, but is %s: remove it or move it elsewhere' % (split, split, what)))
  return failures


def parse_expected_counts(text: str) -> Dict[str, int]:
  """Parses the `--expected_counts` flag: `train=1281167,validation=50000`."""
  counts = {}
  for item in filter(None, (part.strip() for part in text.split(','))):
    split, separator, value = item.partition('=')
    if not separator or not split.strip() or not value.strip().isdigit():
      raise ValueError('--expected_counts: %r is not split=N (e.g. train=1281167)' %
                       item)
    counts[split.strip()] = int(value)
  return counts


def manifest_expectations(directory: str) -> Optional[Dict[str, SplitExpectation]]:
  """Reads `<directory>/conversion_manifest.json` into per-split expectations.

  The file is read by records.load_manifest (records.SplitManifest documents its
  fields); a shard not written yet has no count, and a split stays incomplete
  (`complete` false, no `num_images` or class counts) until its conversion finished,
  which the checks report as such.

  Returns:
    None when there is no manifest.

  Raises:
    ValueError: the manifest exists but cannot be read as one.
  """
  if not core.exists(core.manifest_path(directory)):
    return None
  return {split: SplitExpectation(
              source='manifest', num_records=entry.num_images,
              num_shards=entry.num_shards, shard_records=tuple(entry.shard_counts),
              class_counts=dict(entry.class_counts) or None,
              record_format=entry.record_format, complete=entry.complete)
          for split, entry in sorted(records.load_manifest(directory).splits.items())}


def resolve_expectations(
    shard_totals: Dict[str, int],
    expected_counts: Optional[Mapping[str, int]] = None,
    manifest: Optional[Dict[str, SplitExpectation]] = None,
) -> Dict[str, SplitExpectation]:
  """Chooses what each split should hold: flag > manifest > ImageNet defaults.

  The ImageNet defaults apply, without a manifest, when every split found is `train`,
  `validation` or `test` with ImageNet's shard total (1024, 128 and 100).
  """
  expectations: Dict[str, SplitExpectation] = {}
  if manifest is not None:
    expectations.update(manifest)
  elif shard_totals and all(IMAGENET_NUM_SHARDS.get(split) == total
                            for split, total in shard_totals.items()):
    for split in shard_totals:
      expectations[split] = SplitExpectation(
          source='ImageNet defaults',
          num_records=IMAGENET_NUM_IMAGES[split],
          num_shards=IMAGENET_NUM_SHARDS[split],
          class_count_range=IMAGENET_CLASS_COUNT_RANGE.get(split),
          num_classes=(IMAGENET_NUM_CLASSES if split in IMAGENET_CLASS_COUNT_RANGE
                       else None))
  for split, count in (expected_counts or {}).items():
    previous = expectations.get(split, SplitExpectation(source='flag'))
    expectations[split] = dataclasses.replace(previous, num_records=count,
                                              source='flag')
  return dict(sorted(expectations.items()))
