"""The converter: images → sharded TFRecords, inception format (docs/FORMAT.md).

Stages, each usable on its own (a runner replaces only the fourth):
1. Find the images: `find_imagenet_entries` (per synset `<dir>/<synset>/*.JPEG`, also
   .jpg/.jpeg/.png in any case; their boxes are found by stem, `match_boxes`),
   `find_generic_entries` (flowers style), or, read in place from the ILSVRC2012
   tarballs, `train_tar_entries` and `validation_tar_entries`; the unlabelled test
   split: `test_directory_entries`, `test_tar_entries`. Each gives the split's entries
   as columns (records.ShardEntries, a sequence of ImageEntry); `read_bounding_boxes`
   gives the boxes packed (records.BoxTable).
2. Plan: `plan_split` sorts the entries by (label, filename), shuffles them with
   `random.seed(12345)` + `random.shuffle` of the index list as the original did (both
   on index arrays over the entries' columns, records.ShardEntries), and cuts them
   into shards whose boundaries depend only on (number of images, number of shards).
   A plan is a list of picklable `ShardTask`s, each with its slice of the columns.
3. Prepare: `prepare_split` checks the output directory against the conversion
   manifest (records.Manifest), keeps the complete shards of the same plan
   and returns the tasks still to write.
4. Write: `records.write_shard` per task, by the runner `shard_runner` picks for
   options.runner: inception.core's local process pool ('local', the default), or an
   Apache Beam pipeline (any other runner name: DirectRunner, DataflowRunner, ...),
   which gives byte-identical shards; apache_beam is imported only for a Beam runner.
5. Finish: `finish_split` writes the final manifest and the bad-image report (under
   --skip_bad_images: `<output>/bad_images-<split>.txt`, `source<TAB>reason` lines).
   Its result's `summary_line()` is `Finished writing all N images in data set.`,
   which the binaries print.

`convert_split` does 2–5 with the runner of its options; `convert_imagenet` (from
directories or the tarballs) and `convert_generic` do it all, the validation split
first, then train, as the original, handing each finished split to
`on_split_finished`. Any failure raises (a bad image names its path), before that split
is handed on, and leaves nothing partial under a shard's final name; a re-run resumes.
"""

import array
import collections
import dataclasses
import os
import random
from typing import (Any, Callable, Dict, List, Mapping, NamedTuple, Optional, Sequence,
                    Tuple)

from absl import logging

from inception import acquire
from inception import annotations
from inception import core
from inception import label_files
from inception import records

ImageEntry = records.ImageEntry
ShardTask = records.ShardTask
ShardResult = records.ShardResult
write_shard = records.write_shard

SHUFFLE_SEED = 12345
IMAGE_EXTENSIONS = ('.jpeg', '.jpg', '.png')
LOCAL_RUNNER = 'local'

class ConversionError(RuntimeError):
  """The output directory or the run cannot give a correct, complete split."""


@dataclasses.dataclass(frozen=True)
class ConvertOptions:
  """How to run a conversion (none of these change the records' bytes).

  Attributes:
    workers: the local worker pool (core.Workers; default: one process per core);
      a Beam DirectRunner or local Dask cluster gets as many workers.
    validate_images: one of records.VALIDATE_IMAGES ('none', 'structure', 'full').
    skip_bad_images: leave bad images out and list them, instead of failing.
    overwrite: rewrite every shard, even complete ones of the same plan, and delete
      shards of the split that belong to another plan.
    write_index: write `<output>/index/<shard>.idx` (docs/FORMAT.md, "Index files")
      with each shard.
    progress_interval: seconds between progress lines.
    runner: 'local' (worker processes of this machine) or an Apache Beam runner's
      name: 'DirectRunner' (this machine, multi-process), 'DataflowRunner', ...
    beam_pipeline_args: options for a Beam runner as '--name=value' strings (project,
      region, temp_location, num_workers, setup_file, direct_num_workers, ...).
  """
  workers: core.Workers = dataclasses.field(default_factory=core.Workers)
  validate_images: str = records.DEFAULT_VALIDATE_IMAGES
  skip_bad_images: bool = False
  overwrite: bool = False
  write_index: bool = False
  progress_interval: float = 10.0
  runner: str = LOCAL_RUNNER
  beam_pipeline_args: Tuple[str, ...] = ()


class SplitPlan(NamedTuple):
  """The shards of one split, and the fingerprint of what they will hold."""
  split: str
  num_shards: int
  output_directory: str
  record_format: str
  tasks: Tuple[ShardTask, ...]
  fingerprint: str
  num_images: int
  num_with_boxes: int = 0  # images that got boxes


class PreparedSplit(NamedTuple):
  """A plan checked against the output directory: what is left to write."""
  plan: SplitPlan
  pending: Tuple[ShardTask, ...]
  reused: Tuple[ShardResult, ...]
  manifest: records.Manifest  # the manifest being updated as shards complete


class SplitResult(NamedTuple):
  """What a split's conversion produced."""
  split: str
  num_shards: int
  num_images: int
  skipped: Tuple[records.SkippedImage, ...]
  shard_paths: Tuple[str, ...]
  num_reused_shards: int
  num_input_bytes: int
  report_path: Optional[str]

  def summary_line(self) -> str:
    """The original's last line for a split, printed by the binaries and the driver."""
    return finished_line(self.num_images)


def finished_line(num_images: int) -> str:
  """The line the original printed after each split: `Finished writing all N …`."""
  return 'Finished writing all %d images in data set.' % num_images


SplitCallback = Callable[[SplitResult], None]


# 1. Finding the images.


def find_imagenet_entries(directory: str, synsets: Sequence[str],
                          texts: Sequence[str]) -> records.ShardEntries:
  """Lists `<directory>/<synset>/` images; label = 1 + the synset's index.

  Returns:
    The entries as columns (records.ShardEntries, a sequence of ImageEntry), sorted
    by (label, filename): the sorted file list that is shuffled.

  Raises:
    ConversionError: a class directory is missing or holds no image.
  """
  return _directory_classes(directory, _imagenet_classes(synsets, texts))


def find_generic_entries(directory: str, labels: Sequence[str]
                         ) -> records.ShardEntries:
  """Lists `<directory>/<name>/` images for a folder-per-class set (flowers style).

  Label = 1 + the name's index in `labels`; the text is the directory name.

  Raises:
    ConversionError: a class directory is missing or holds no image.
  """
  return _directory_classes(directory, [(name, '', name) for name in labels])


def train_tar_entries(members_by_synset: Mapping[str, Sequence[Any]],
                      synsets: Sequence[str], texts: Sequence[str],
                      archive: str) -> records.ShardEntries:
  """The train entries read in place from the train tar, as find_imagenet_entries
  lists them from its extracted directory (the members as columns: offsets and sizes).

  Args:
    members_by_synset: acquire.index_train_tar(archive).
    archive: the tar's path, for messages.

  Raises:
    ConversionError: a class has no image in the tar.
  """
  builder = records.EntriesBuilder()
  for label, (_, synset, text) in enumerate(_imagenet_classes(synsets, texts), 1):
    members = sorted((m for m in members_by_synset.get(synset, ()) if _is_image(m.name)),
                     key=lambda m: m.name)
    if not members:
      raise ConversionError('%s holds no image of class %s (%s.tar missing or empty)' %
                            (archive, synset, synset))
    for member in members:
      builder.add_member(label, synset, text, member)
  return builder.build()


def validation_tar_entries(members: Sequence[Any], labels: Sequence[str],
                           synsets: Sequence[str], texts: Sequence[str],
                           archive: str) -> records.ShardEntries:
  """The validation entries read in place; each image's synset from the label list.

  Args:
    members: acquire.index_flat_tar(archive).
    labels: the validation label file's lines (label_files.read_validation_labels).
    archive: the tar's path, for messages.

  Raises:
    ConversionError: the tar's images are not those the labels name, or an image's
      synset is not in `synsets`.
  """
  expected = annotations.validation_image_synsets(labels)
  present = {m.name for m in members}
  missing = sorted(set(expected) - present)
  unexpected = sorted(present - set(expected))
  if missing or unexpected:
    raise ConversionError(
        '%s does not match the validation label file (%d images named there): '
        '%d missing (first: %s), %d unexpected (first: %s)' %
        (archive, len(expected), len(missing), ', '.join(missing[:3]) or '-',
         len(unexpected), ', '.join(unexpected[:3]) or '-'))
  label_of = {synset: label for label, synset in enumerate(synsets, 1)}
  builder = records.EntriesBuilder()
  for member in members:
    synset = expected[member.name]
    if synset not in label_of:
      raise ConversionError('%s: %s is labelled %s, which is not in the synsets file' %
                            (archive, member.name, synset))
    label = label_of[synset]
    builder.add_member(label, synset, texts[label - 1], member)
  return builder.build()


def test_entries(images: Sequence[Tuple[Any, str]]) -> records.ShardEntries:
  """The test split's entries from its images' (source, filename): unlabelled
  (label records.UNLABELLED, no synset or text)."""
  return records.ShardEntries.from_entries(
      [ImageEntry(source, filename, records.UNLABELLED, '', '')
       for source, filename in images])


def test_directory_entries(directory: str) -> records.ShardEntries:
  """The test images of a flat directory (raw-data/test/*.JPEG).

  Raises:
    ConversionError: the directory is missing or holds no image.
  """
  builder = records.EntriesBuilder()
  builder.add_directory(records.UNLABELLED, '', '', directory,
                        _image_names(directory, 'test directory'))
  return builder.build()


def test_tar_entries(members: Sequence[Any], archive: str) -> records.ShardEntries:
  """The test images read in place from the test tar, as test_directory_entries lists
  them from its extracted directory.

  Args:
    members: acquire.index_flat_tar(archive).
    archive: the tar's path, for messages.

  Raises:
    ConversionError: the tar holds no image.
  """
  images = sorted((m for m in members if _is_image(m.name)), key=lambda m: m.name)
  if not images:
    raise ConversionError('%s holds no .jpeg/.jpg/.png image' % archive)
  builder = records.EntriesBuilder()
  for member in images:
    builder.add_member(records.UNLABELLED, '', '', member)
  return builder.build()


def _imagenet_classes(synsets: Sequence[str], texts: Sequence[str]
                      ) -> List[Tuple[str, str, str]]:
  if len(synsets) != len(texts):
    raise ValueError('%d synsets but %d texts' % (len(synsets), len(texts)))
  return list(zip(synsets, synsets, texts))


def _directory_classes(directory: str, classes: Sequence[Tuple[str, str, str]]
                       ) -> records.ShardEntries:
  """The images of each class directory in label order (label = 1 + the class's
  index), as columns.

  Args:
    classes: per class, (its directory's name, its synset, its text).
  """
  builder = records.EntriesBuilder()
  for label, (name, synset, text) in enumerate(classes, 1):
    class_directory = os.path.join(directory, name)
    builder.add_directory(label, synset, text, class_directory,
                          _image_names(class_directory, 'class directory'))
  return builder.build()


def read_generic_labels(labels_file: str) -> List[str]:
  """Reads a build_image_data labels file: one class directory name per line."""
  labels = [line.strip() for line in core.read_text(labels_file).splitlines()
            if line.strip()]
  if not labels:
    raise ValueError('%s lists no class' % labels_file)
  duplicates = sorted(n for n, c in collections.Counter(labels).items() if c > 1)
  if duplicates:
    raise ValueError('%s lists classes twice: %s' % (labels_file, ', '.join(duplicates)))
  return labels


def _image_names(directory: str, what: str) -> List[str]:
  """The names of the images in `directory` (`what` names it), sorted."""
  names = _list_files(directory)
  if names is None:
    raise ConversionError('%s %s does not exist' % (what, directory))
  images = sorted(n for n in names if _is_image(n))
  ignored = len(names) - len(images)
  if ignored:
    logging.warning('%s: ignored %d files that are not .jpeg/.jpg/.png', directory,
                    ignored)
  if not images:
    raise ConversionError('%s %s holds no .jpeg/.jpg/.png image' % (what, directory))
  return images


def _is_image(name: str) -> bool:
  return name.lower().endswith(IMAGE_EXTENSIONS)


def _list_files(directory: str) -> Optional[List[str]]:
  """Names of the non-directories in `directory`; None if it does not exist.

  Anything not a directory counts, so a broken link is reported as unreadable rather
  than silently left out.
  """
  if '://' in directory:
    if not core.isdir(directory):
      return None
    return [n for n in core.listdir(directory) if not n.endswith('/')]
  try:
    with os.scandir(directory) as scan:
      return [e.name for e in scan if not e.is_dir()]
  except (FileNotFoundError, NotADirectoryError):
    return None


# 2. Planning.


def shuffled_index(count: int, seed: int = SHUFFLE_SEED) -> array.array:
  """The original's shuffle of the index list (random.seed(seed), random.shuffle),
  shuffled in an array: the same permutation, 8 bytes an image."""
  index = array.array('q', range(count))
  state = random.getstate()
  try:
    random.seed(seed)
    random.shuffle(index)
  finally:
    random.setstate(state)
  return index


def shuffled(entries: Sequence[ImageEntry], seed: int = SHUFFLE_SEED) -> List[ImageEntry]:
  """The original's shuffle: random.seed(seed), random.shuffle of the index list."""
  return [entries[i] for i in shuffled_index(len(entries), seed)]


def plan_split(split: str, entries: Sequence[ImageEntry], num_shards: int,
               output_directory: str,
               boxes: Optional[Mapping[str, Sequence[annotations.Box]]] = None,
               options: Optional[ConvertOptions] = None,
               record_format: str = records.IMAGENET_FORMAT) -> SplitPlan:
  """Sorts, shuffles and shards `entries` (in any order) into the split's tasks.

  The entries (best a records.ShardEntries, as the finders give) are sorted and
  shuffled as index arrays, and each shard's entries and boxes are cut from the
  columns (records.ShardEntries.take, records.BoxTable.shard_boxes).

  Args:
    split: 'train', 'validation', ...; the shards' name prefix.
    entries: the split's images.
    num_shards: how many shards.
    output_directory: where the shards go (local or any tf.io.gfile path).
    boxes: {image filename: boxes} (a records.BoxTable, as read_bounding_boxes gives,
      or any mapping to (xmin, ymin, xmax, ymax) sequences), matched to the images by
      `match_boxes`; images not in it get no box.
    options: conversion options (index, validation, skipping).
    record_format: records.IMAGENET_FORMAT or GENERIC_FORMAT.
  """
  options = options or ConvertOptions()
  if options.validate_images not in records.VALIDATE_IMAGES:
    raise ValueError('validate_images must be one of %s, got %r' %
                     (', '.join(records.VALIDATE_IMAGES), options.validate_images))
  if record_format not in records.RECORD_FORMATS:
    raise ValueError('unknown record format %r' % record_format)
  if not entries:
    raise ConversionError('%s: no images to convert' % split)
  table = records.ShardEntries.from_entries(entries)
  box_table = records.BoxTable.from_mapping(boxes or {})
  rows = match_boxes(table, box_table)
  order = table.sorted_order()
  order = array.array('q', [order[i] for i in shuffled_index(len(order))])
  tasks = []
  for index, (start, end) in enumerate(records.shard_ranges(len(order), num_shards)):
    name = records.shard_name(split, index, num_shards)
    shard = order[start:end]
    tasks.append(ShardTask(
        split=split, index=index, num_shards=num_shards,
        output_path=os.path.join(output_directory, name),
        entries=table.take(shard),
        boxes=box_table.shard_boxes([rows[i] for i in shard]),
        record_format=record_format,
        index_path=(core.index_path(output_directory, name)
                    if options.write_index else None),
        validate_images=options.validate_images,
        skip_bad_images=options.skip_bad_images))
  fingerprint = records.plan_fingerprint(record_format, num_shards, tasks)
  return SplitPlan(split, num_shards, output_directory, record_format, tuple(tasks),
                   fingerprint, len(order), sum(1 for row in rows if row >= 0))


def match_boxes(entries: Sequence[ImageEntry],
                boxes: Mapping[str, Sequence[annotations.Box]]) -> array.array:
  """Each entry's row in `boxes` (a records.BoxTable, or a mapping made one), or -1:
  by the exact file name, else by the stem.

  The box CSVs name each image as its XML does, `<stem>.JPEG`; an image whose
  extension was changed (`n01440764_10026.jpg`) keeps its boxes. The exact name wins:
  with `x.JPEG` and `x.jpg` both there, only `x.JPEG` gets the boxes of `x.JPEG`; two
  images of one stem without the exact name (`x.jpg`, `x.png`) get none, and a
  warning names them.
  """
  table = records.ShardEntries.from_entries(entries)
  boxes = records.BoxTable.from_mapping(boxes)
  if not len(boxes):
    return array.array('q', [-1]) * len(table)
  find = boxes.index
  rows = array.array('q', [find(name) for name in table.filenames()])
  used = bytearray(len(boxes))
  for row in rows:
    if row >= 0:
      used[row] = 1
  if used.count(0) == 0:
    return rows
  unmatched = {os.path.splitext(key)[0]: row
               for row, key in enumerate(boxes.names()) if not used[row]}
  by_stem = collections.defaultdict(dict)  # stem: {image name: [entry index]}
  for index, (name, row) in enumerate(zip(table.filenames(), rows)):
    if row < 0:
      stem = os.path.splitext(name)[0]
      if stem in unmatched:
        by_stem[stem].setdefault(name, []).append(index)
  for stem, found in sorted(by_stem.items()):
    row = unmatched[stem]
    if len(found) == 1:
      for index in next(iter(found.values())):
        rows[index] = row
    else:
      logging.warning('%s has boxes, but %d images have its stem (%s): neither gets '
                      'them', boxes.name(row), len(found), ', '.join(sorted(found)))
  return rows


# 3. Preparing the output directory (resume).


def prepare_split(plan: SplitPlan, options: Optional[ConvertOptions] = None
                  ) -> PreparedSplit:
  """Checks the output directory; returns the shards still to write.

  A shard is kept (not rewritten) when the manifest holds the same plan, the file's
  TFRecord framing chains to its end and it holds the expected number of records
  (and, with --write_index, its index is then rewritten if it differs). Shards
  that held skipped images are rewritten unless skip_bad_images is on.

  Raises:
    ConversionError: the directory holds shards of another plan (use overwrite).
  """
  options = options or ConvertOptions()
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
      raise ConversionError(
          '%s holds %d %s shards of another plan (e.g. %s); use --overwrite to replace '
          'them' % (directory, len(foreign), plan.split, foreign[0]))
    if previous is not None and previous.plan_fingerprint != plan.fingerprint:
      raise ConversionError(
          '%s: the %s shards there were written from a different plan (other images, '
          'labels, boxes or shard count; see %s); use --overwrite to replace them' %
          (directory, plan.split, core.MANIFEST_FILENAME))
    if previous is None and on_disk & planned_names:
      raise ConversionError(
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

  manifest.splits[plan.split] = _planned_record(plan)
  prepared = PreparedSplit(plan, tuple(pending), tuple(reused), manifest)
  for result in reused:
    _record_result(prepared, result, write=False)
  records.save_manifest(directory, manifest)
  return prepared


def _planned_record(plan: SplitPlan) -> records.SplitManifest:
  return records.SplitManifest.planned(plan.record_format, plan.num_shards,
                                       plan.fingerprint, plan.num_images)


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


def _reusable_shard(task: ShardTask, previous: records.SplitManifest,
                    options: ConvertOptions) -> Optional[ShardResult]:
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
  return ShardResult(task.split, task.index, task.output_path, len(spans), 0,
                     sum(size for _, size in spans), skipped, True, 0.0)


def _record_result(prepared: PreparedSplit, result: ShardResult, write: bool = True
                   ) -> None:
  """Records a complete shard in the manifest (written out if `write`)."""
  record = prepared.manifest.splits[prepared.plan.split]
  record.shard_counts[result.index] = result.num_records
  record.skipped_images.extend(result.skipped)
  if write:
    records.save_manifest(prepared.plan.output_directory, prepared.manifest)


# 4. Writing, and 5. finishing.


def shard_runner(options: ConvertOptions) -> core.Runner:
  """The runner that writes shards for `options.runner`: the local pool, or Beam.

  Raises:
    ConversionError: Beam options without a Beam runner, or apache_beam missing.
  """
  if options.runner.strip().lower() == LOCAL_RUNNER:
    if options.beam_pipeline_args:
      raise ConversionError('Beam pipeline options (%s) need a Beam runner, e.g. '
                            '--runner=DirectRunner' %
                            ' '.join(options.beam_pipeline_args))
    return options.workers.runner(records.write_shard,
                                  describe=lambda task: 'writing ' + task.output_path,
                                  expected_errors=(records.ImageError,))
  try:
    from inception.convert import _beam_runner  # pylint: disable=g-import-not-at-top
  except ImportError as e:
    raise ConversionError('--runner=%s needs apache-beam (pip install -r '
                          'requirements.txt): %s' % (options.runner, e)) from e
  return _beam_runner.BeamRunner(options.runner, options.beam_pipeline_args,
                                 options.workers.count, options.progress_interval)


def write_pending(prepared: PreparedSplit, options: Optional[ConvertOptions] = None
                  ) -> List[ShardResult]:
  """Writes the pending shards with the runner of `options`; returns their results.

  Each shard is recorded in the manifest as it completes, so an interrupted run
  keeps what it finished.

  Raises:
    ConversionError: no runner for the options, or the runner failed other than by
      a shard's own exception (which is raised as it is, e.g. records.ImageError
      naming the image).
  """
  options = options or ConvertOptions()
  plan = prepared.plan
  runner = shard_runner(options)
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

  def on_result(result: ShardResult) -> None:
    results.append(result)
    _record_result(prepared, result)

  try:
    runner.run(prepared.pending, on_result, meter.update)
  except core.WorkerError as e:
    raise ConversionError(str(e)) from e
  meter.finish()
  return sorted(results, key=lambda r: r.index)


def finish_split(prepared: PreparedSplit, results: Sequence[ShardResult],
                 options: Optional[ConvertOptions] = None) -> SplitResult:
  """Checks every shard is written, writes the final manifest and the report.

  Raises:
    ConversionError: a planned shard has no result, or counts do not add up.
  """
  options = options or ConvertOptions()
  plan = prepared.plan
  by_index = {r.index: r for r in prepared.reused}
  by_index.update((r.index, r) for r in results)
  missing = [t.output_path for t in plan.tasks if t.index not in by_index]
  if missing:
    raise ConversionError('%s: %d shards were not written, e.g. %s' %
                          (plan.split, len(missing), missing[0]))
  ordered = [by_index[t.index] for t in plan.tasks]
  skipped = tuple(s for r in ordered for s in r.skipped)
  num_images = sum(r.num_records for r in ordered)
  if num_images + len(skipped) != plan.num_images:
    raise ConversionError('%s: %d records written + %d skipped != %d planned images' %
                          (plan.split, num_images, len(skipped), plan.num_images))
  class_counts = collections.Counter(label for t in plan.tasks
                                     for label in _labels(t.entries))
  class_counts.subtract(s.label for s in skipped)

  prepared.manifest.splits[plan.split] = dataclasses.replace(
      _planned_record(plan),
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
  return SplitResult(plan.split, plan.num_shards, num_images, skipped,
                     tuple(t.output_path for t in plan.tasks),
                     len(prepared.reused), sum(r.num_input_bytes for r in ordered),
                     report_path)


def _labels(entries: Sequence[ImageEntry]) -> Sequence[int]:
  return (entries.labels if isinstance(entries, records.ShardEntries) else
          [e.label for e in entries])


def convert_split(split: str, entries: Sequence[ImageEntry], num_shards: int,
                  output_directory: str,
                  boxes: Optional[Mapping[str, Sequence[annotations.Box]]] = None,
                  options: Optional[ConvertOptions] = None,
                  record_format: str = records.IMAGENET_FORMAT) -> SplitResult:
  """Plans, writes (resuming) and finishes one split with the runner of `options`."""
  return _convert_plan(plan_split(split, entries, num_shards, output_directory, boxes,
                                 options, record_format), options)


def _convert_plan(plan: SplitPlan, options: Optional[ConvertOptions] = None
                 ) -> SplitResult:
  """Writes (resuming) and finishes a planned split with the runner of `options`."""
  options = options or ConvertOptions()
  prepared = prepare_split(plan, options)
  results = write_pending(prepared, options)
  return finish_split(prepared, results, options)


# The whole data sets.


def read_bounding_boxes(paths: Sequence[str]) -> records.BoxTable:
  """Merges bounding-box CSVs (e.g. train and validation) into {filename: boxes}.

  The boxes are packed (records.BoxTable: no object per image or box; ImageNet:
  ~615,000 boxes of ~545,000 images), and plans cut their shards' boxes from it.

  Raises:
    ValueError: an image has boxes in two of the files.
  """
  table = records.BoxTable()
  ends = []  # (rows so far, path)
  for path in paths:
    boxes = annotations.read_boxes_csv(path)
    if len(table):
      for filename in boxes:
        row = table.index(filename)
        if row >= 0:
          origin = next(p for end, p in ends if row < end)
          raise ValueError('%s has boxes in both %s and %s' % (filename, origin, path))
    for filename, image_boxes in boxes.items():
      table.add(filename, image_boxes)
    ends.append((len(table), path))
    del boxes
  return table


def imagenet_classes(labels_file: Optional[str] = None,
                     imagenet_metadata_file: Optional[str] = None
                     ) -> Tuple[List[str], List[str]]:
  """The synsets (label order) and their texts; files default to data/ (runfiles)."""
  synsets = label_files.read_synsets(labels_file)
  metadata_file = label_files.label_file_path(imagenet_metadata_file,
                                              label_files.METADATA_FILE)
  texts = label_files.class_texts(synsets, label_files.read_metadata(metadata_file),
                                  source=metadata_file)
  return synsets, texts


def splits_in_order(train: Any, validation: Any, train_shards: int,
                    validation_shards: int, test: Any = None,
                    test_shards: int = records.IMAGENET_TEST_SHARDS
                    ) -> List[Tuple[str, Any, int]]:
  """(split, its images' source, its shard count) for each source given (not None or
  empty): validation first, then train, the original's order; then test."""
  return [(split, source, num_shards)
          for split, source, num_shards in (
              (records.VALIDATION, validation, validation_shards),
              (records.TRAIN, train, train_shards),
              (records.TEST, test, test_shards))
          if source]


def convert_imagenet(train_directory: Optional[str],
                     validation_directory: Optional[str],
                     output_directory: str,
                     labels_file: Optional[str] = None,
                     imagenet_metadata_file: Optional[str] = None,
                     bounding_box_files: Sequence[str] = (),
                     train_shards: int = records.IMAGENET_TRAIN_SHARDS,
                     validation_shards: int = records.IMAGENET_VALIDATION_SHARDS,
                     options: Optional[ConvertOptions] = None,
                     on_split_finished: Optional[SplitCallback] = None,
                     train_tar: Optional[str] = None,
                     validation_tar: Optional[str] = None,
                     validation_labels_file: Optional[str] = None,
                     test_directory: Optional[str] = None,
                     test_tar: Optional[str] = None,
                     test_shards: int = records.IMAGENET_TEST_SHARDS
                     ) -> Dict[str, SplitResult]:
  """Converts ImageNet: validation first, then train, then (if given) test.

  A split's images come from its directory (`<directory>/<synset>/*.JPEG`; the test
  split's is flat) or, read in place, from its tarball: ILSVRC2012_img_train.tar,
  ILSVRC2012_img_val.tar or the test tar (one pass over the tar's headers, nothing
  extracted; a validation image gets its synset from `validation_labels_file`,
  default data/; a test image is unlabelled, test_entries). Both give the same records
  in the same order. A split with neither is skipped.

  Raises:
    ValueError: a split is given both a directory and a tarball.
  """
  if ((train_directory and train_tar) or (validation_directory and validation_tar) or
      (test_directory and test_tar)):
    raise ValueError('give each split a directory or a tarball, not both')
  synsets, texts = imagenet_classes(labels_file, imagenet_metadata_file)
  tarballs = {train_tar, validation_tar, test_tar} - {None}

  def find_entries(split: str, source: str) -> records.ShardEntries:
    if split == records.TEST and source not in tarballs:
      return test_directory_entries(source)
    if source not in tarballs:
      return find_imagenet_entries(source, synsets, texts)
    logging.info('Indexing %s (one pass over the headers)', source)
    if split == records.TEST:
      return test_tar_entries(acquire.index_flat_tar(source), source)
    if split == records.TRAIN:
      return train_tar_entries(acquire.index_train_tar(source), synsets, texts, source)
    return validation_tar_entries(
        acquire.index_flat_tar(source),
        label_files.read_validation_labels(validation_labels_file), synsets, texts,
        source)

  return _convert_splits(
      splits_in_order(train_directory or train_tar,
                      validation_directory or validation_tar, train_shards,
                      validation_shards, test_directory or test_tar, test_shards),
      find_entries, output_directory, read_bounding_boxes(bounding_box_files), options,
      records.IMAGENET_FORMAT, on_split_finished)


def convert_generic(train_directory: Optional[str],
                    validation_directory: Optional[str],
                    output_directory: str,
                    labels_file: str,
                    train_shards: int = 2,
                    validation_shards: int = 2,
                    options: Optional[ConvertOptions] = None,
                    on_split_finished: Optional[SplitCallback] = None
                    ) -> Dict[str, SplitResult]:
  """Converts a folder-per-class set like build_image_data: validation, then train."""
  labels = read_generic_labels(labels_file)
  return _convert_splits(
      splits_in_order(train_directory, validation_directory, train_shards,
                      validation_shards),
      lambda split, directory: find_generic_entries(directory, labels),
      output_directory, None, options, records.GENERIC_FORMAT, on_split_finished)


def _convert_splits(sources: Sequence[Tuple[str, Any, int]],
                    find_entries: Callable[[str, Any], Sequence[ImageEntry]],
                    output_directory: str,
                    boxes: Optional[records.BoxTable],
                    options: Optional[ConvertOptions], record_format: str,
                    on_split_finished: Optional[SplitCallback]
                    ) -> Dict[str, SplitResult]:
  """Converts each (split, source, shard count) of splits_in_order, in order.

  Args:
    find_entries: (split, source) → the split's images.
    boxes: {filename: boxes}, or None for a format without boxes.
    on_split_finished: called with each split's result as soon as it is complete.
  """
  results = {}
  for split, source, num_shards in sources:
    entries = find_entries(split, source)
    num_images, num_classes = len(entries), len(set(_labels(entries)))
    plan = plan_split(split, entries, num_shards, output_directory, boxes, options,
                      record_format)
    del entries  # columns the plan's shards were cut from (bench/README.md)
    logging.info('%s: found %d images in %d classes%s', split, num_images, num_classes,
                 '' if boxes is None else
                 ', %d with bounding boxes' % plan.num_with_boxes)
    results[split] = _convert_plan(plan, options)
    del plan
    if on_split_finished:
      on_split_finished(results[split])
  return results
