"""The converter: image folders → sharded TFRecords, inception format (SPEC §2, §3).

Stages, each usable on its own (a runner replaces only the fourth):
1. Find the images: `find_imagenet_entries` (per synset `<dir>/<synset>/*.JPEG`, also
   .jpg/.jpeg/.png in any case) or `find_generic_entries` (flowers style).
2. Plan: `plan_split` sorts the entries by (label, filename), shuffles them with
   `random.seed(12345)` + `random.shuffle` of the index list as the original did, and
   cuts them into shards whose boundaries depend only on (number of images, number of
   shards). A plan is a list of picklable `ShardTask`s.
3. Prepare: `prepare_split` checks the output directory against the conversion
   manifest (inception.conversion_manifest), keeps the complete shards of the same plan
   and returns the tasks still to write.
4. Write: `records.write_shard` per task, by the runner `shard_runner` picks for
   options.runner: inception.core's local process pool ('local', the default), or an
   Apache Beam pipeline (any other runner name: DirectRunner, DataflowRunner, ...),
   which gives byte-identical shards; apache_beam is imported only for a Beam runner.
5. Finish: `finish_split` writes the final manifest, the bad-image report (under
   --skip_bad_images: `<output>/bad_images-<split>.txt`, `source<TAB>reason` lines) and
   prints `Finished writing all N images in data set.`

`convert_split` does 2–5 with the runner of its options; `convert_imagenet` and
`convert_generic` do it all, the validation split first, then train, as the original.
Any failure raises (a bad image names its path), after which no 'Finished' line is
printed and nothing partial is left under a shard's final name; a re-run resumes.
"""

import collections
import dataclasses
import os
import random
import re
from typing import Any, Dict, List, Mapping, NamedTuple, Optional, Sequence, Tuple

from absl import logging

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
VALIDATION = 'validation'
TRAIN = 'train'
LOCAL_RUNNER = 'local'

_SHARD_NAME = re.compile(r'^(?P<split>.+)-(?P<index>\d{5})-of-(?P<count>\d{5})$')


class ConversionError(RuntimeError):
  """The output directory or the run cannot give a correct, complete split."""


@dataclasses.dataclass(frozen=True)
class ConvertOptions:
  """How to run a conversion (none of these change the records' bytes).

  Attributes:
    num_workers: worker processes; None = the number of cores.
    validate_images: 'none' (header only) or 'full' (decode every image with TF).
    skip_bad_images: leave bad images out and list them, instead of failing.
    overwrite: rewrite every shard, even complete ones of the same plan, and delete
      shards of the split that belong to another plan.
    write_index: write `<output>/index/<shard>.idx` (SPEC §8) with each shard.
    progress_interval: seconds between progress lines.
    runner: 'local' (worker processes of this machine) or an Apache Beam runner's
      name: 'DirectRunner' (this machine, multi-process), 'DataflowRunner', ...
    beam_pipeline_args: options for a Beam runner as '--name=value' strings (project,
      region, temp_location, num_workers, setup_file, direct_num_workers, ...).
  """
  num_workers: Optional[int] = None
  validate_images: str = 'none'
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


class PreparedSplit(NamedTuple):
  """A plan checked against the output directory: what is left to write."""
  plan: SplitPlan
  pending: Tuple[ShardTask, ...]
  reused: Tuple[ShardResult, ...]
  manifest: dict  # the manifest being updated as shards complete


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


# 1. Finding the images.


def find_imagenet_entries(directory: str, synsets: Sequence[str],
                          texts: Sequence[str]) -> List[ImageEntry]:
  """Lists `<directory>/<synset>/` images; label = 1 + the synset's index.

  Returns:
    Entries sorted by (label, filename): the sorted file list that is shuffled.

  Raises:
    ConversionError: a class directory is missing or holds no image.
  """
  if len(synsets) != len(texts):
    raise ValueError('%d synsets but %d texts' % (len(synsets), len(texts)))
  entries = []
  for label, (synset, text) in enumerate(zip(synsets, texts), 1):
    for path in _class_images(directory, synset):
      entries.append(ImageEntry(path, os.path.basename(path), label, synset, text))
  return entries


def find_generic_entries(directory: str, labels: Sequence[str]) -> List[ImageEntry]:
  """Lists `<directory>/<name>/` images for a folder-per-class set (flowers style).

  Label = 1 + the name's index in `labels`; the text is the directory name.

  Raises:
    ConversionError: a class directory is missing or holds no image.
  """
  entries = []
  for label, name in enumerate(labels, 1):
    for path in _class_images(directory, name):
      entries.append(ImageEntry(path, os.path.basename(path), label, '', name))
  return entries


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


def _class_images(directory: str, class_name: str) -> List[str]:
  """Sorted paths of the images in one class directory."""
  class_directory = os.path.join(directory, class_name)
  names = _list_files(class_directory)
  if names is None:
    raise ConversionError('class directory %s does not exist' % class_directory)
  images = sorted(n for n in names if n.lower().endswith(IMAGE_EXTENSIONS))
  ignored = len(names) - len(images)
  if ignored:
    logging.warning('%s: ignored %d files that are not .jpeg/.jpg/.png', class_directory,
                    ignored)
  if not images:
    raise ConversionError('class directory %s holds no .jpeg/.jpg/.png image' %
                          class_directory)
  return [os.path.join(class_directory, n) for n in images]


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


def sorted_entries(entries: Sequence[ImageEntry]) -> List[ImageEntry]:
  """The canonical order before shuffling: by (label, filename)."""
  return sorted(entries, key=lambda e: (e.label, e.filename))


def shuffled(entries: Sequence[ImageEntry], seed: int = SHUFFLE_SEED) -> List[ImageEntry]:
  """The original's shuffle: random.seed(seed), random.shuffle of the index list."""
  shuffled_index = list(range(len(entries)))
  state = random.getstate()
  try:
    random.seed(seed)
    random.shuffle(shuffled_index)
  finally:
    random.setstate(state)
  return [entries[i] for i in shuffled_index]


def plan_split(split: str, entries: Sequence[ImageEntry], num_shards: int,
               output_directory: str,
               boxes: Optional[Mapping[str, Sequence[annotations.Box]]] = None,
               options: Optional[ConvertOptions] = None,
               record_format: str = records.IMAGENET_FORMAT) -> SplitPlan:
  """Sorts, shuffles and shards `entries` (in any order) into the split's tasks.

  Args:
    split: 'train', 'validation', ...; the shards' name prefix.
    entries: the split's images.
    num_shards: how many shards.
    output_directory: where the shards go (local or any tf.io.gfile path).
    boxes: {image filename: boxes} (annotations.Box or plain tuples, as
      read_bounding_boxes gives); images not in it get no box.
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
  ordered = shuffled(sorted_entries(entries))
  boxes = boxes or {}
  tasks = []
  for index, (start, end) in enumerate(records.shard_ranges(len(ordered), num_shards)):
    name = records.shard_name(split, index, num_shards)
    shard_entries = tuple(ordered[start:end])
    tasks.append(ShardTask(
        split=split, index=index, num_shards=num_shards,
        output_path=os.path.join(output_directory, name),
        entries=shard_entries,
        boxes=tuple(_plain_boxes(boxes.get(e.filename, ())) for e in shard_entries),
        record_format=record_format,
        index_path=(records.index_path(output_directory, name)
                    if options.write_index else None),
        validate_images=options.validate_images,
        skip_bad_images=options.skip_bad_images))
  fingerprint = records.plan_fingerprint(record_format, num_shards, tasks)
  return SplitPlan(split, num_shards, output_directory, record_format, tuple(tasks),
                   fingerprint, len(ordered))


def _plain_boxes(boxes: Sequence[annotations.Box]) -> records.Boxes:
  """Boxes as plain tuples: workers unpickle them without importing bounding_boxes."""
  if not boxes:
    return ()
  # Exact types: a annotations.Box is a tuple subclass, and must be converted.
  # pylint: disable-next=unidiomatic-typecheck
  if type(boxes) is tuple and all(type(b) is tuple for b in boxes):
    return boxes  # already plain: shared, not copied
  return tuple((float(b[0]), float(b[1]), float(b[2]), float(b[3])) for b in boxes)


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
  index_directory = os.path.join(directory, records.INDEX_DIRECTORY)
  if options.write_index:
    core.makedirs(index_directory)
  core.remove_stale_temporaries(index_directory)

  manifest = records.read_manifest(directory)
  previous = manifest['splits'].get(plan.split)
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
    if previous is not None and previous.get('plan_fingerprint') != plan.fingerprint:
      raise ConversionError(
          '%s: the %s shards there were written from a different plan (other images, '
          'labels, boxes or shard count; see %s); use --overwrite to replace them' %
          (directory, plan.split, records.MANIFEST_NAME))
    if previous is None and on_disk & planned_names:
      raise ConversionError(
          '%s holds %s shards but no record of their plan in %s; use --overwrite to '
          'replace them' % (directory, plan.split, records.MANIFEST_NAME))

  pending, reused = [], []
  for task in plan.tasks:
    name = os.path.basename(task.output_path)
    result = None
    if previous is not None and name in on_disk:
      result = _reusable_shard(task, previous, options)
    if result is None:
      pending.append(task)
      if not options.write_index:
        core.remove(records.index_path(directory, name), missing_ok=True)
    else:
      reused.append(result)

  record = records.new_split_record(plan.record_format, plan.num_shards,
                                                plan.fingerprint, plan.num_images)
  manifest['splits'][plan.split] = record
  prepared = PreparedSplit(plan, tuple(pending), tuple(reused), manifest)
  for result in reused:
    _record_result(prepared, result, write=False)
  records.write_manifest(directory, manifest)
  return prepared


def _split_shard_names(directory: str, split: str) -> set:
  names = set()
  for name in core.listdir(directory):
    match = _SHARD_NAME.match(name.rstrip('/'))
    if match and match.group('split') == split:
      names.add(name.rstrip('/'))
  return names


def _remove_shard(directory: str, name: str) -> None:
  logging.info('Removing %s (another plan; --overwrite)', os.path.join(directory, name))
  core.remove(os.path.join(directory, name))
  core.remove(records.index_path(directory, name), missing_ok=True)


def _reusable_shard(task: ShardTask, previous: dict,
                    options: ConvertOptions) -> Optional[ShardResult]:
  """A ShardResult for a complete shard of the same plan, or None to rewrite it."""
  recorded = previous['shard_counts'][task.index]
  skipped = tuple(records.skipped_from_json(s)
                  for s in previous.get('skipped_images', ())
                  if s['shard'] == task.index)
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
  record = prepared.manifest['splits'][prepared.plan.split]
  record['shard_counts'][result.index] = result.num_records
  record['skipped_images'].extend(records.skipped_to_json(s)
                                  for s in result.skipped)
  record['num_skipped'] = len(record['skipped_images'])
  if write:
    records.write_manifest(prepared.plan.output_directory, prepared.manifest)


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
    return core.ProcessPoolRunner(records.write_shard, options.num_workers,
                                  describe=lambda task: 'writing ' + task.output_path,
                                  expected_errors=(records.ImageError,))
  try:
    from inception.convert import _beam_runner  # pylint: disable=g-import-not-at-top
  except ImportError as e:
    raise ConversionError('--runner=%s needs apache-beam (pip install -r '
                          'requirements.txt): %s' % (options.runner, e)) from e
  return _beam_runner.BeamRunner(options.runner, options.beam_pipeline_args,
                                 options.num_workers, options.progress_interval)


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

  Prints `Finished writing all N images in data set.`, N = records written.

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
  class_counts = collections.Counter(e.label for t in plan.tasks for e in t.entries)
  class_counts.subtract(s.label for s in skipped)

  record = records.new_split_record(plan.record_format, plan.num_shards,
                                                plan.fingerprint, plan.num_images)
  record.update({
      'shard_counts': [r.num_records for r in ordered],
      'complete': True,
      'num_images': num_images,
      'class_counts': {str(label): count
                       for label, count in sorted(class_counts.items())},
      'num_skipped': len(skipped),
      'skipped_images': [records.skipped_to_json(s) for s in skipped],
  })
  prepared.manifest['splits'][plan.split] = record
  records.write_manifest(plan.output_directory, prepared.manifest)

  report_path = None
  if options.skip_bad_images:
    report_path = os.path.join(plan.output_directory, 'bad_images-%s.txt' % plan.split)
    core.write_text(report_path, ''.join('%s\t%s\n' % (s.source, s.reason)
                                                 for s in skipped))
    if skipped:
      logging.warning('%s: left out %d bad images, listed in %s', plan.split,
                      len(skipped), report_path)
  message = 'Finished writing all %d images in data set.' % num_images
  logging.info('%s: %s', plan.split, message)
  print(message, flush=True)
  return SplitResult(plan.split, plan.num_shards, num_images, skipped,
                     tuple(t.output_path for t in plan.tasks),
                     len(prepared.reused), sum(r.num_input_bytes for r in ordered),
                     report_path)


def convert_split(split: str, entries: Sequence[ImageEntry], num_shards: int,
                  output_directory: str,
                  boxes: Optional[Mapping[str, Sequence[annotations.Box]]] = None,
                  options: Optional[ConvertOptions] = None,
                  record_format: str = records.IMAGENET_FORMAT) -> SplitResult:
  """Plans, writes (resuming) and finishes one split with the runner of `options`."""
  options = options or ConvertOptions()
  plan = plan_split(split, entries, num_shards, output_directory, boxes, options,
                    record_format)
  prepared = prepare_split(plan, options)
  results = write_pending(prepared, options)
  return finish_split(prepared, results, options)


# The whole data sets.


def read_bounding_boxes(paths: Sequence[str]) -> Dict[str, records.Boxes]:
  """Merges bounding-box CSVs (e.g. train and validation) into {filename: boxes}.

  Boxes are plain (xmin, ymin, xmax, ymax) tuples, the form shard tasks carry, so a
  plan shares them instead of copying (ImageNet: ~615,000 boxes).

  Raises:
    ValueError: an image has boxes in two of the files.
  """
  merged, origin = {}, {}
  for path in paths:
    for filename, image_boxes in annotations.read_boxes_csv(path).items():
      if filename in merged:
        raise ValueError('%s has boxes in both %s and %s' %
                         (filename, origin[filename], path))
      merged[filename] = _plain_boxes(image_boxes)
      origin[filename] = path
  return merged


def imagenet_classes(labels_file: Optional[str] = None,
                     imagenet_metadata_file: Optional[str] = None
                     ) -> Tuple[List[str], List[str]]:
  """The synsets (label order) and their texts; files default to data/ (runfiles)."""
  synsets = label_files.read_synsets(labels_file)
  texts = label_files.class_texts(
      synsets, label_files.read_metadata(imagenet_metadata_file),
      source=imagenet_metadata_file or label_files.METADATA_FILE)
  return synsets, texts


def splits_in_order(train: Any, validation: Any, train_shards: int,
                    validation_shards: int) -> List[Tuple[str, Any, int]]:
  """(split, its images' source, its shard count) for each source given (not None or
  empty): validation first, then train, the original's order."""
  return [(split, source, num_shards)
          for split, source, num_shards in ((VALIDATION, validation, validation_shards),
                                            (TRAIN, train, train_shards))
          if source]


def convert_imagenet(train_directory: Optional[str],
                     validation_directory: Optional[str],
                     output_directory: str,
                     labels_file: Optional[str] = None,
                     imagenet_metadata_file: Optional[str] = None,
                     bounding_box_files: Sequence[str] = (),
                     train_shards: int = 1024,
                     validation_shards: int = 128,
                     options: Optional[ConvertOptions] = None
                     ) -> Dict[str, SplitResult]:
  """Converts ImageNet: validation first, then train (a None directory is skipped)."""
  synsets, texts = imagenet_classes(labels_file, imagenet_metadata_file)
  boxes = read_bounding_boxes(bounding_box_files)
  results = {}
  for split, directory, num_shards in splits_in_order(
      train_directory, validation_directory, train_shards, validation_shards):
    entries = find_imagenet_entries(directory, synsets, texts)
    logging.info('%s: found %d images in %d classes, %d with bounding boxes', split,
                 len(entries), len(synsets), sum(e.filename in boxes for e in entries))
    results[split] = convert_split(split, entries, num_shards, output_directory, boxes,
                                   options, records.IMAGENET_FORMAT)
  return results


def convert_generic(train_directory: Optional[str],
                    validation_directory: Optional[str],
                    output_directory: str,
                    labels_file: str,
                    train_shards: int = 2,
                    validation_shards: int = 2,
                    options: Optional[ConvertOptions] = None
                    ) -> Dict[str, SplitResult]:
  """Converts a folder-per-class set like build_image_data: validation, then train."""
  labels = read_generic_labels(labels_file)
  results = {}
  for split, directory, num_shards in splits_in_order(
      train_directory, validation_directory, train_shards, validation_shards):
    entries = find_generic_entries(directory, labels)
    logging.info('%s: found %d images in %d classes', split, len(entries), len(labels))
    results[split] = convert_split(split, entries, num_shards, output_directory, None,
                                   options, records.GENERIC_FORMAT)
  return results
