"""The whole pipeline, in-process: download → … → convert → check.

Each step is a library call (no subprocess, no chdir). The steps, in order:

  download            tarballs into <data_dir>/downloads/ (URL or local directory)
  extract             <data_dir>/raw-data/{train,validation}/ (and test/); the box
                      XMLs (bounding_boxes/, validation_bounding_boxes/) only with
                      extract_xml
  bounding_boxes      <data_dir>/raw-data/imagenet_2012_bounding_boxes.csv
                      (+ imagenet_2012_validation_bounding_boxes.csv with the v3 XMLs),
                      read straight from the box archives in downloads/
  validation_relabel  raw-data/validation/<synset>/ILSVRC2012_val_*.JPEG
  convert             <data_dir>/train-?????-of-01024, validation-?????-of-00128
                      (with_test: also test-?????-of-00100, unlabelled)
  check               <data_dir>/check_report/

The box CSVs always come straight from the box .tar.gz files (544,546 train XMLs
are not written as tiny files only to be read back); with `no_extract` they are
written into <data_dir>/downloads/.

With `stream_extract` and a URL source, `download` extracts each image tarball
(train, validation, test) while it downloads, from the .partial file as it grows: the
download's MD5 decides, as always (a wrong tarball leaves nothing extracted and is
moved aside; a failed download leaves its .partial and nothing marked extracted).
`extract` then finds those tarballs extracted (their stamps), and has only the box
XMLs left to write if extract_xml asks for them.

With `no_extract`, `extract` and `validation_relabel` are not run, and the converter
reads each image by its offset inside the tarballs (convert.convert_imagenet with
train_tar and validation_tar), in the same order and with the same records as the
extract path. Every path is core's layout (docs/ARCHITECTURE.md).

Resumable as a whole: <data_dir>/pipeline_state.json records each finished step, the
settings it ran with and what it produced. A re-run skips a finished step whose
settings are unchanged, and runs the others (each step is itself idempotent and
resumes its own partial work). Redoing a step redoes every step after it.

The download step's settings hold the expected checksums themselves (a changed
checksums file fetches again), and it counts as finished only while every tarball is
still in downloads/ with its verified stamp, or (a linked image tarball) with its
pending record: its MD5 is then checked by the extraction or index that reads it
(one gone or changed is fetched again). A tarball that such a read finds wrong (MD5)
is moved aside as downloads/<name>.bad-md5-<md5>, what was made from it discarded;
one that a later step finds truncated or unreadable (it passed a checksum made from a
bad copy) is moved aside as downloads/<name>.corrupt-<md5>; either way the download
step is un-finished, so the same command run again fetches it again.
"""

import dataclasses
import json
import os
import time
from typing import Any, Callable, Dict, List, Mapping, Optional, Sequence

from absl import logging

from inception import acquire
from inception import annotations
from inception import check
from inception import convert
from inception import core
from inception import demo
from inception import label_files
from inception import records
from inception.pipeline import _steps

DOWNLOAD = 'download'
EXTRACT = 'extract'
BOUNDING_BOXES = 'bounding_boxes'
VALIDATION_RELABEL = 'validation_relabel'
CONVERT = 'convert'
CHECK = 'check'
STEPS = (DOWNLOAD, EXTRACT, BOUNDING_BOXES, VALIDATION_RELABEL, CONVERT, CHECK)
NO_EXTRACT_STEPS = (DOWNLOAD, BOUNDING_BOXES, CONVERT, CHECK)

DEMO_RECORD = 'fixture.json'
CHECK_MODES = ('quick', 'full')

# The demo's mini ImageNet: a few classes, a few hundred photo-like images.
DEMO_FIXTURE = demo.Config(num_classes=8, images_per_class=32,
                                    num_validation_images=64, seed=2012)
DEMO_TRAIN_SHARDS = 8
DEMO_VALIDATION_SHARDS = 2
# With with_test: the demo's unlabelled test images.
DEMO_TEST_IMAGES = 24
DEMO_TEST_SHARDS = 2


class PipelineError(RuntimeError):
  """A step cannot go on; the message says which input is wrong."""


@dataclasses.dataclass(frozen=True)
class Settings:
  """Everything that decides what the pipeline produces (all paths absolute).

  Attributes:
    data_dir: where everything goes; the shards land directly in it.
    source: base URL, or a local directory holding the tarballs.
    link_mode: for a directory source: 'copy' or 'symlink'.
    checksums_file: md5sum-format file adding to or overriding the known MD5s
      (acquire.KNOWN_FILES); the download step's settings hold its content.
    validation_bounding_boxes: also fetch ILSVRC2012_bbox_val_v3.tgz and give
      validation records their boxes (the original gave them none).
    no_extract: convert straight from the tarballs, writing no raw-data/ images.
    extract_xml: the extract step also writes the box XMLs (raw-data/bounding_boxes/,
      and raw-data/validation_bounding_boxes/ with validation_bounding_boxes) for
      users who want them; the box CSVs never need them. Needs the extract step
      (not no_extract).
    stream_extract: with a URL source, the download step extracts each image tarball
      as it downloads (acquire.fetch_all's stream_extract_into), so the extract
      step finds them done; not with no_extract. Nothing changes for a directory
      source.
    with_test: also fetch the test tar (acquire.TEST_TAR; a checksums file must give
      its MD5) and write the unlabelled test split (records.TEST).
    labels_file, imagenet_metadata_file, validation_labels_file: None = data/.
    train_shards, validation_shards, test_shards: shard counts.
    expected_counts: {'train': N, 'validation': M} for the check; None = ImageNet's.
    check_mode: 'quick' (decode a sample of images) or 'full' (decode all).
    options: converter options (workers, index files, validation, skipping).
  """
  data_dir: str
  source: str = acquire.DEFAULT_BASE_URL
  link_mode: str = 'copy'
  checksums_file: Optional[str] = None
  validation_bounding_boxes: bool = False
  no_extract: bool = False
  extract_xml: bool = False
  stream_extract: bool = False
  labels_file: Optional[str] = None
  imagenet_metadata_file: Optional[str] = None
  validation_labels_file: Optional[str] = None
  train_shards: int = records.IMAGENET_TRAIN_SHARDS
  validation_shards: int = records.IMAGENET_VALIDATION_SHARDS
  with_test: bool = False
  test_shards: int = records.IMAGENET_TEST_SHARDS
  expected_counts: Optional[Mapping[str, int]] = None
  check_mode: str = 'quick'
  options: convert.ConvertOptions = convert.ConvertOptions()

  def step_settings(self, step: str) -> Dict[str, Any]:
    """The settings a step's output depends on: a change re-runs the step.

    with_test and test_shards appear only when with_test is set, extract_xml only
    when set, and stream_extract only when it changes what the download step does
    (streams_extraction), so that a state file written without them stays finished
    (and turning extract_xml on runs the extract step again, which then writes the
    XMLs).
    """
    common = {'no_extract': self.no_extract}
    download = {}
    if self.streams_extraction():
      download['stream_extract'] = True
    test = {}
    if self.with_test:
      common['with_test'] = True
      test['test_shards'] = self.test_shards
    by_step = {
        DOWNLOAD: {'source': self.source, 'link_mode': self.link_mode,
                   'checksums': self.checksums(),
                   'validation_bounding_boxes': self.validation_bounding_boxes,
                   **download},
        EXTRACT: {'extract_xml': True} if self.extract_xml else {},
        BOUNDING_BOXES: {'labels_file': self.labels_file,
                         'validation_labels_file': self.validation_labels_file,
                         'validation_bounding_boxes': self.validation_bounding_boxes},
        VALIDATION_RELABEL: {'validation_labels_file': self.validation_labels_file},
        CONVERT: {'labels_file': self.labels_file,
                  'imagenet_metadata_file': self.imagenet_metadata_file,
                  'train_shards': self.train_shards,
                  'validation_shards': self.validation_shards,
                  'write_index': self.options.write_index,
                  'validate_images': self.options.validate_images,
                  'skip_bad_images': self.options.skip_bad_images, **test},
        CHECK: {'check_mode': self.check_mode,
                'expected_counts': dict(self.expected_counts or {})},
    }
    return dict(common, **by_step[step])

  def streams_extraction(self) -> bool:
    """Whether the download step extracts the image tarballs as they download."""
    return (self.stream_extract and not self.no_extract and
            acquire.is_url(self.source))

  def checksums(self) -> Optional[Dict[str, str]]:
    """The checksums file's {name: md5}, read now (None without one)."""
    return (acquire.read_checksums_file(self.checksums_file) if self.checksums_file
            else None)


def boxes_csv_paths(settings: Settings) -> List[str]:
  """The box CSVs the bounding_boxes step writes (train, then validation)."""
  paths = [core.train_boxes_csv(settings.data_dir, settings.no_extract)]
  if settings.validation_bounding_boxes:
    paths.append(core.validation_boxes_csv(settings.data_dir, settings.no_extract))
  return paths


def step_names(settings: Settings) -> Sequence[str]:
  return NO_EXTRACT_STEPS if settings.no_extract else STEPS


# The state file.


def steps(settings: Settings,
          credentials: Optional[acquire.Credentials] = None) -> List[_steps.Step]:
  """The driver's steps for `settings`, in order (pipeline._steps runs them).

  Raises:
    ValueError: a tarball has no known MD5 (the test tar's must come from the
      checksums file), or extract_xml or stream_extract is set with no_extract
      (nothing is extracted), before anything is asked or fetched.
  """
  if settings.extract_xml and settings.no_extract:
    raise ValueError('extract_xml needs the extract step: with no_extract nothing is '
                     'extracted')
  if settings.stream_extract and settings.no_extract:
    raise ValueError('stream_extract extracts the tarballs while they download; it '
                     'cannot be combined with no_extract')
  acquire.expected_checksums(_archive_names(settings), settings.checksums())
  runners = {
      DOWNLOAD: lambda: run_download(settings, credentials),
      EXTRACT: lambda: run_extract(settings),
      BOUNDING_BOXES: lambda: run_bounding_boxes(settings),
      VALIDATION_RELABEL: lambda: run_validation_relabel(settings),
      CONVERT: lambda: run_convert(settings),
      CHECK: lambda: run_check(settings),
  }
  # A finished download holds only while every tarball is in downloads/, verified or
  # awaiting its first read to be (acquire.files_needing_fetch).
  still_done = {DOWNLOAD: lambda: not _archives_to_fetch(settings)}
  return [_steps.Step(name, runners[name], settings.step_settings(name),
                      still_done.get(name))
          for name in step_names(settings)]


def steps_to_run(names: Sequence[str], state: Mapping[str, Any],
                 settings: Settings, redo: Sequence[str] = ()) -> List[str]:
  """The steps of `names` that must run: the first not finished with the same
  settings, or redone, and every step after it."""
  return _steps.pending_steps([s for s in steps(settings) if s.name in names], state,
                              redo)


def _archives_to_fetch(settings: Settings) -> List[str]:
  """The tarballs not (or no longer) in downloads/, verified or pending."""
  return acquire.files_needing_fetch(core.downloads_dir(settings.data_dir),
                                     _archive_names(settings), settings.checksums())


# The steps. Each returns a JSON-able dict of what it produced.


def _archive_names(settings: Settings) -> List[str]:
  return acquire.files_to_fetch(with_bbox_val=settings.validation_bounding_boxes,
                                with_test=settings.with_test)


def _archive_paths(settings: Settings) -> Dict[str, str]:
  return {name: os.path.join(core.downloads_dir(settings.data_dir), name)
          for name in _archive_names(settings)}


def run_download(settings: Settings,
                 credentials: Optional[acquire.Credentials]) -> Dict[str, Any]:
  """Fetches the tarballs; with streams_extraction, extracts the image tarballs as
  they download (the extract step then finds them done)."""
  summary = acquire.fetch_all(
      core.downloads_dir(settings.data_dir), settings.source, _archive_names(settings),
      credentials, settings.checksums(), settings.link_mode,
      verify_on_first_read=acquire.IMAGE_TARS,
      stream_extract_into=(core.raw_data_dir(settings.data_dir)
                           if settings.streams_extraction() else None))
  return {'files': summary.paths, 'bytes_transferred': summary.bytes_transferred}


def run_extract(settings: Settings) -> Dict[str, Any]:
  """Extracts the image tarballs; the box archives only with extract_xml."""
  archives = _archive_paths(settings)
  box_archives = _box_archives(settings) if settings.extract_xml else [None, None]
  result = acquire.extract_all(
      settings.data_dir,
      train_tar=archives[acquire.TRAIN_TAR],
      validation_tar=archives[acquire.VALIDATION_TAR],
      bbox_train_tar_gz=box_archives[0],
      bbox_validation_tgz=box_archives[1],
      test_tar=archives.get(acquire.TEST_TAR))
  outputs = {'raw_dir': result.raw_dir,
             'train_classes': len(result.train_counts or {}),
             'train_images': sum((result.train_counts or {}).values()),
             'validation_images': result.num_validation_images}
  if settings.with_test:
    outputs['test_images'] = result.num_test_images
  if settings.extract_xml:
    outputs['xml_files'] = result.num_bounding_box_files
    if settings.validation_bounding_boxes:
      outputs['validation_xml_files'] = result.num_validation_bounding_box_files
  return outputs


def _box_archives(settings: Settings) -> List[Optional[str]]:
  """The train box .tar.gz, and the validation one (None without
  validation_bounding_boxes), in downloads/."""
  archives = _archive_paths(settings)
  return [archives[acquire.BBOX_TRAIN_TAR_GZ],
          archives.get(acquire.BBOX_VALIDATION_TGZ)]


def run_bounding_boxes(settings: Settings) -> Dict[str, Any]:
  """The box CSVs, read straight from the box archives (extracted XMLs or not)."""
  synsets = label_files.read_synsets(settings.labels_file)
  train_source, validation_source = _box_archives(settings)
  csv_paths = boxes_csv_paths(settings)
  outputs = {}
  stats = annotations.process_bounding_boxes(
      train_source, csv_paths[0], workers=settings.options.workers,
      rules=annotations.BoxRules(synsets))
  outputs[csv_paths[0]] = _box_counts(stats)
  if settings.validation_bounding_boxes:
    stats = annotations.process_bounding_boxes(
        validation_source, csv_paths[1], workers=settings.options.workers,
        rules=annotations.BoxRules(synsets, annotations.validation_image_synsets(
            label_files.read_validation_labels(settings.validation_labels_file))))
    outputs[csv_paths[1]] = _box_counts(stats)
  return outputs


def _box_counts(stats: annotations.BoxStats) -> Dict[str, Any]:
  for line in stats.summary_lines():
    logging.info(line)
  return {'files': stats.files_read, 'boxes': stats.boxes_written,
          'dropped': sum(stats.boxes_dropped.values()), 'bad_files': len(stats.bad_files)}


def run_validation_relabel(settings: Settings) -> Dict[str, Any]:
  labels_file = label_files.label_file_path(settings.validation_labels_file,
                                            label_files.VALIDATION_LABELS_FILE)
  directory = core.validation_images_dir(settings.data_dir)
  stats = annotations.relabel_validation_directory(
      directory, label_files.read_validation_labels(labels_file), labels_file)
  logging.info(stats.summary())
  return {'directory': directory, 'images': stats.images, 'moved': stats.moved}


def run_convert(settings: Settings) -> Dict[str, Any]:
  """Converts the extracted images, or with no_extract the tarballs in place."""
  data_dir = settings.data_dir
  if settings.no_extract:
    archives = _archive_paths(settings)
    sources = dict(train_directory=None, validation_directory=None,
                   train_tar=archives[acquire.TRAIN_TAR],
                   validation_tar=archives[acquire.VALIDATION_TAR],
                   test_tar=archives.get(acquire.TEST_TAR))
  else:
    sources = dict(train_directory=core.train_images_dir(data_dir),
                   validation_directory=core.validation_images_dir(data_dir),
                   test_directory=(core.test_images_dir(data_dir) if settings.with_test
                                   else None))
  results = convert.convert_imagenet(
      output_directory=data_dir, labels_file=settings.labels_file,
      imagenet_metadata_file=settings.imagenet_metadata_file,
      validation_labels_file=settings.validation_labels_file,
      bounding_box_files=boxes_csv_paths(settings), train_shards=settings.train_shards,
      validation_shards=settings.validation_shards, test_shards=settings.test_shards,
      options=settings.options, **sources)
  return {split: {'images': result.num_images, 'shards': result.num_shards,
                  'skipped': len(result.skipped)}
          for split, result in results.items()}


def run_check(settings: Settings) -> Dict[str, Any]:
  report = check.check_directory(
      settings.data_dir, workers=settings.options.workers,
      expected=check.Expected(
          counts=(dict(settings.expected_counts) if settings.expected_counts
                  else None),
          synsets_file=label_files.label_file_path(settings.labels_file,
                                                   label_files.SYNSETS_FILE),
          metadata_file=label_files.label_file_path(settings.imagenet_metadata_file,
                                                    label_files.METADATA_FILE),
          validation_labels_file=label_files.label_file_path(
              settings.validation_labels_file, label_files.VALIDATION_LABELS_FILE)),
      sample_fraction=(1.0 if settings.check_mode == 'full'
                       else check.QUICK_SAMPLE_FRACTION))
  return check_verdict(report)


def check_verdict(report) -> Dict[str, Any]:
  """A driver's final check: logs its verdict; the check step's outputs if it passed.

  Raises:
    PipelineError: the check failed; the message has the first failures and the
      report files.
  """
  logging.info(report.summary_line())
  if not report.ok:
    raise PipelineError('%s\nFirst failures:\n  %s\nReport: %s' % (
        report.summary_line(),
        '\n  '.join(str(f) for f in report.failures[:10]),
        ', '.join(sorted(report.report_files.values()))))
  return {'records': {name: stats.num_records for name, stats in report.splits.items()},
          'schema': report.schema, 'report_files': report.report_files}


# The driver.


def run(settings: Settings, credentials: Optional[acquire.Credentials] = None,
        redo: Sequence[str] = (),
        clock: Callable[[], float] = time.time) -> Dict[str, Any]:
  """Runs the steps that are not finished; returns the state of every step.

  Raises:
    PipelineError (or a step's own error): a step failed; the steps before it stay
      recorded as finished, so a re-run resumes there (or, for a tarball found
      corrupt, moved aside, at the download).
  """
  if settings.check_mode not in CHECK_MODES:
    raise ValueError('check_mode must be one of %s' % ', '.join(CHECK_MODES))
  try:
    return _steps.run_steps(settings.data_dir, steps(settings, credentials), redo, clock)
  except acquire.ChecksumMismatch as e:
    # Found by the stream that read a linked tarball (or by the download itself):
    # what it produced is discarded and the tarball moved aside.
    _unfinish_download(settings.data_dir)
    raise PipelineError(str(e)) from None
  except acquire.CorruptArchiveError as e:
    message = acquire.set_aside_corrupt(e, core.downloads_dir(settings.data_dir))
    if message is None:
      raise
    _unfinish_download(settings.data_dir)
    raise PipelineError(message) from None


def _unfinish_download(data_dir: str) -> None:
  """Drops the download step from the state file: the next run fetches again."""
  state = _steps.read_state(data_dir)
  state.pop(DOWNLOAD, None)
  _steps.write_state(data_dir, state)


def total_images(state: Mapping[str, Any]) -> Dict[str, int]:
  """Images written per split, from the convert step's record."""
  return {split: value['images']
          for split, value in state.get(CONVERT, {}).get('outputs', {}).items()}


def finished_lines(state: Mapping[str, Any]) -> List[str]:
  """The original's closing lines, validation's then train's (then test's), from the
  state.

  The driver prints them once, at the very end (after the check), so that they are
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


def demo_source(data_dir: str, config: demo.Config = DEMO_FIXTURE
                ) -> Dict[str, Any]:
  """Builds the demo's mini ImageNet under <data_dir>/demo-source/ once.

  Returns the paths and expected counts the settings need. The counts are recorded
  in demo-source/fixture.json so that a re-run neither regenerates nor touches the
  tarballs (the download and extract steps trust their stamps).
  """
  source = core.demo_source_dir(data_dir)
  record_path = os.path.join(source, DEMO_RECORD)
  wanted = dataclasses.asdict(config)
  record = None
  if core.exists(record_path):
    record = json.loads(core.read_text(record_path))
  if not record or record.get('config') != wanted:
    fixture = demo.generate(source, config)
    counts = {records.TRAIN: sum(fixture.train_counts.values()),
              records.VALIDATION: len(fixture.validation_labels)}
    if fixture.num_test_images:
      counts[records.TEST] = fixture.num_test_images
    record = {'config': wanted, 'expected_counts': counts,
              'hard_cases': dict(fixture.hard_cases)}
    core.write_text(record_path, json.dumps(record, indent=2, sort_keys=True))
  paths = {key: os.path.join(source, name) for key, name in (
      ('checksums_file', demo.CHECKSUMS_FILE),
      ('labels_file', label_files.SYNSETS_FILE),
      ('metadata_file', label_files.METADATA_FILE),
      ('validation_labels_file', label_files.VALIDATION_LABELS_FILE))}
  return dict(record, source=source, **paths)


def demo_settings(data_dir: str, config: demo.Config = DEMO_FIXTURE,
                  **overrides: Any) -> Settings:
  """The settings that run the identical pipeline on the demo's mini ImageNet,
  with no credentials (the tarballs are symlinked from demo-source/); with_test=True
  adds test images to the fixture (DEMO_TEST_IMAGES unless `config` has some)."""
  if overrides.get('with_test') and not config.num_test_images:
    config = dataclasses.replace(config, num_test_images=DEMO_TEST_IMAGES)
  fixture = demo_source(data_dir, config)
  values = dict(
      data_dir=data_dir, source=fixture['source'], link_mode='symlink',
      checksums_file=fixture['checksums_file'], validation_bounding_boxes=True,
      labels_file=fixture['labels_file'],
      imagenet_metadata_file=fixture['metadata_file'],
      validation_labels_file=fixture['validation_labels_file'],
      train_shards=DEMO_TRAIN_SHARDS, validation_shards=DEMO_VALIDATION_SHARDS,
      test_shards=DEMO_TEST_SHARDS, expected_counts=fixture['expected_counts'])
  values.update(overrides)
  return Settings(**values)
