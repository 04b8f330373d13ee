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

With the tarballs in object storage (--source=s3://..., with no_extract only),
`download` records each object and copies nothing, and the steps after it read the
objects where they are; DATA_DIR may then be in a store too (_in_store).

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

A source with an index of its own (Kaggle's tree or zip, read in place; Hugging
Face's parquet or tar.gz, spooled a split at a time; found by _sources.detect_source
or named by source_format) has the steps bounding_boxes (from Kaggle's XMLs, or the
box archive beside Hugging Face's data/: none without one), convert and check only;
its index is read and checked before any work, and each step records its index
files' MD5s, so that a source changed since is refused on resume (_in_place).

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
import os
import time
from typing import Any, Callable, Dict, List, Mapping, Optional, Sequence

from absl import logging

from inception import acquire
from inception import annotations
from inception import check
from inception import convert
from inception import driver
from inception import label_files
from inception.imagenet import _archives
from inception.imagenet import _extraction
from inception.imagenet import _in_place
from inception.imagenet import _in_store
from inception.imagenet import _layout
from inception.imagenet import _settings
from inception.imagenet import _sources
from inception.imagenet import _splits


def steps(settings: _settings.Settings,
          credentials: Optional[acquire.Credentials] = None,
          only: Optional[Sequence[str]] = None,
          index: Optional[_in_place.Index] = None) -> List[driver.Step]:
  """The driver's steps for `settings`, in order (driver.run_steps runs them).

  `only`: the steps this run may run (None: all); the download then leaves the image
  tarballs' MD5 to the step that reads them only if that step is one of them.
  `index`: a source read in place, its index read already (else read when needed).

  Raises:
    ValueError: a tarball has no known MD5 (the test tar's must come from the
      checksums file), or extract_xml or stream_extract is set with no_extract
      (nothing is extracted), before anything is asked or fetched; the source is
      not what its format says (_sources.SourceError); an option of the tarballs'
      with a source read in place.
  """
  source = _sources.detect_source(settings.source, settings.source_format)
  if source.format in _sources.LISTED:
    return _in_place_steps(settings, source, only, index)
  if settings.bounding_box_archive:
    raise ValueError('bounding_box_archive is for Hugging Face\'s layouts, which have '
                     'no boxes; the tarballs\' is %s, fetched with them' %
                     _archives.BBOX_TRAIN_TAR_GZ)
  if settings.extract_xml and settings.no_extract:
    raise ValueError('extract_xml needs the extract step: with no_extract nothing is '
                     'extracted')
  if settings.stream_extract and settings.no_extract:
    raise ValueError('stream_extract extracts the tarballs while they download; it '
                     'cannot be combined with no_extract')
  _in_store.refuse_settings(settings)
  _archive_specs(settings)  # a tarball without a known MD5 is refused here, first
  names = _settings.step_names(settings)
  only = names if only is None else only
  reader = _settings.CONVERT if settings.no_extract else _settings.EXTRACT
  verified_later = _archives.IMAGE_TARS if reader in only else ()
  runners = {
      _settings.DOWNLOAD: lambda: run_download(settings, credentials, verified_later),
      _settings.EXTRACT: lambda: run_extract(settings),
      _settings.BOUNDING_BOXES: lambda: run_bounding_boxes(settings),
      _settings.VALIDATION_RELABEL: lambda: run_validation_relabel(settings),
      _settings.CONVERT: lambda: run_convert(settings),
      _settings.CHECK: lambda: run_check(settings),
  }
  # A finished download holds only while every tarball is in downloads/, verified or
  # awaiting its first read to be (acquire.files_needing_fetch); one of objects in a
  # store while they are unchanged, which run() checks first (refusing a change).
  still_done = {} if settings.reads_store_in_place() else {
      _settings.DOWNLOAD: lambda: not _archives_to_fetch(settings)}
  return [driver.Step(name, runners[name], settings.step_settings(name),
                      still_done.get(name))
          for name in names]


def _in_place_steps(settings: _settings.Settings, source: _sources.Source,
                    only: Optional[Sequence[str]],
                    index: Optional[_in_place.Index]) -> List[driver.Step]:
  """bounding_boxes, convert and check of a source with its own index; the first
  and the last record the source they read (_in_place.source_record)."""
  _in_place.refuse_options(settings, source, only)
  opened = [index]
  box_sources = _in_place.box_sources(settings, source)

  def listed() -> _in_place.Index:
    """The index run() read, or (a step run without it) read now."""
    if opened[0] is None:
      opened[0] = _in_place.open_source(settings, source)
    return opened[0]

  def recorded(outputs: Dict[str, Any]) -> Dict[str, Any]:
    return dict(outputs, **{
        _in_place.SOURCE_KEY: _in_place.source_record(source, listed())})

  runners = {
      _settings.BOUNDING_BOXES: lambda: recorded(
          _box_csvs(settings, box_sources) if box_sources else {'boxes': None}),
      _settings.CONVERT: lambda: _in_place.run_convert(settings, listed(),
                                                       box_sources is not None),
      _settings.CHECK: lambda: recorded(run_check(settings, listed().counts())),
  }
  return [driver.Step(name, runners[name], settings.step_settings(name, source.format))
          for name in _settings.step_names(settings, in_place=True)]


def steps_to_run(settings: _settings.Settings, redo: Sequence[str] = (),
                 only: Optional[Sequence[str]] = None) -> List[str]:
  """The steps a run will run: from the first not finished with the same settings
  (or redone) on, those of `only`."""
  pending = driver.pending_steps(steps(settings), driver.read_state(settings.data_dir),
                                 redo)
  return [name for name in pending if only is None or name in only]


def credentials(settings: _settings.Settings, netrc_file: Optional[str],
                prompt: bool, redo: Sequence[str] = (),
                only: Optional[Sequence[str]] = None) -> Optional[acquire.Credentials]:
  """The ImageNet credentials, asked once and first, only if this run will download
  from a URL (None otherwise); from IMAGENET_USERNAME / IMAGENET_ACCESS_KEY, then the
  netrc file, then the terminal when `prompt`."""
  if (_settings.DOWNLOAD not in steps_to_run(settings, redo, only) or
      not acquire.is_url(settings.source)):
    return None
  return acquire.resolve_credentials(_archives.login_for(settings.source), os.environ,
                                     netrc_file, prompt)


def _archives_to_fetch(settings: _settings.Settings) -> List[str]:
  """The tarballs not (or no longer) in downloads/, verified or pending."""
  return acquire.files_needing_fetch(driver.downloads_dir(settings.data_dir),
                                     _archive_specs(settings))


# The steps. Each returns a JSON-able dict of what it produced.


def _archive_names(settings: _settings.Settings) -> List[str]:
  return _archives.files_to_fetch(with_bbox_val=settings.validation_bounding_boxes,
                                  with_devkit=settings.with_devkit,
                                  with_test=settings.with_test)


def _archive_specs(settings: _settings.Settings) -> List[acquire.Archive]:
  """What each tarball must be: the catalogue's size and MD5, or the checksums
  file's MD5."""
  return _archives.archives(_archive_names(settings), settings.checksums())


def _archive_paths(settings: _settings.Settings) -> Dict[str, str]:
  """{name: path} of each archive: in downloads/, or the object in a store the
  download step recorded."""
  if settings.reads_store_in_place():
    return _in_store.archive_paths(settings)
  return {name: os.path.join(driver.downloads_dir(settings.data_dir), name)
          for name in _archive_names(settings)}


def run_download(settings: _settings.Settings,
                 credentials: Optional[acquire.Credentials],
                 verified_later: Sequence[str] = _archives.IMAGE_TARS
                 ) -> Dict[str, Any]:
  """Fetches the tarballs; with streams_extraction, extracts the image tarballs as
  they download (the extract step then finds them done).

  `verified_later`: the tarballs whose size and MD5 the stream that first reads them
  checks (a linked image tarball is not read twice); the others are hashed here.
  """
  options = acquire.FetchOptions(
      credentials=credentials, login=_archives.LOGIN,
      link_mode=settings.fetch_link_mode(),
      verify_on_first_read=tuple(verified_later),
      extract_while_downloading=(
          _extraction.image_extractions(driver.raw_data_dir(settings.data_dir),
                                        _validation_labels(settings))
          if settings.streams_extraction() else None))
  summary = acquire.fetch_all(driver.downloads_dir(settings.data_dir), settings.source,
                              _archive_specs(settings), options)
  if settings.reads_store_in_place():
    return _in_store.download_outputs(summary)
  return {'files': summary.paths, 'bytes_transferred': summary.bytes_transferred}


def run_extract(settings: _settings.Settings) -> Dict[str, Any]:
  """Extracts the image tarballs; the box archives only with extract_xml."""
  wanted = _archives.IMAGE_TARS + (
      (_archives.BBOX_TRAIN_TAR_GZ, _archives.BBOX_VALIDATION_TGZ)
      if settings.extract_xml else ())
  result = _extraction.extract_all(
      settings.data_dir, {name: path for name, path in _archive_paths(settings).items()
                          if name in wanted},
      _validation_labels(settings))
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


def _box_archives(settings: _settings.Settings) -> List[Optional[str]]:
  """The train box .tar.gz, and the validation one (None without
  validation_bounding_boxes), in downloads/."""
  archives = _archive_paths(settings)
  return [archives[_archives.BBOX_TRAIN_TAR_GZ],
          archives.get(_archives.BBOX_VALIDATION_TGZ)]


def _validation_labels(settings: _settings.Settings) -> List[str]:
  """The validation label file's lines: the images the validation tar must hold."""
  return label_files.read_validation_labels(settings.labels.validation_labels_path())


def run_bounding_boxes(settings: _settings.Settings) -> Dict[str, Any]:
  """The box CSVs, read straight from the box archives (extracted XMLs or not)."""
  return _box_csvs(settings, _box_archives(settings))


def _box_csvs(settings: _settings.Settings,
              sources: Sequence[Any]) -> Dict[str, Any]:
  """The box CSVs from the train XMLs and, with validation_bounding_boxes, the
  validation XMLs (`sources`: each an annotations source)."""
  synsets = label_files.read_synsets(settings.labels.synsets)
  train_source, validation_source = sources
  csv_paths = _settings.boxes_csv_paths(settings)
  outputs = {}
  stats = annotations.process_bounding_boxes(
      train_source, csv_paths[0], workers=settings.options.workers,
      rules=annotations.BoxRules(synsets))
  outputs[csv_paths[0]] = _box_counts(stats)
  if settings.validation_bounding_boxes:
    stats = annotations.process_bounding_boxes(
        validation_source, csv_paths[1], workers=settings.options.workers,
        rules=annotations.BoxRules(synsets, annotations.validation_image_synsets(
            label_files.read_validation_labels(settings.labels.validation_labels))))
    outputs[csv_paths[1]] = _box_counts(stats)
  return outputs


def _box_counts(stats: annotations.BoxStats) -> Dict[str, Any]:
  for line in stats.summary_lines():
    logging.info(line)
  return {'files': stats.files_read, 'boxes': stats.boxes_written,
          'dropped': sum(stats.boxes_dropped.values()),
          'bad_files': len(stats.bad_files)}


def run_validation_relabel(settings: _settings.Settings) -> Dict[str, Any]:
  labels_file = settings.labels.validation_labels_path()
  directory = driver.validation_images_dir(settings.data_dir)
  stats = annotations.relabel_validation_directory(
      directory, label_files.read_validation_labels(labels_file), labels_file)
  logging.info(stats.summary())
  return {'directory': directory, 'images': stats.images, 'moved': stats.moved}


def run_convert(settings: _settings.Settings) -> Dict[str, Any]:
  """Converts the extracted images, or with no_extract the tarballs in place."""
  data_dir = settings.data_dir
  if settings.no_extract:
    archives = _archive_paths(settings)
    sources = _splits.SplitSources(tarballs=convert.SplitPaths(
        train=archives[_archives.TRAIN_TAR],
        validation=archives[_archives.VALIDATION_TAR],
        test=archives.get(_archives.TEST_TAR)),
        verification_records=_in_store.verification_records(settings, archives))
  else:
    sources = _splits.SplitSources(directories=convert.SplitPaths(
        train=driver.train_images_dir(data_dir),
        validation=driver.validation_images_dir(data_dir),
        test=_layout.test_images_dir(data_dir) if settings.with_test else None))
  results = _splits.convert_imagenet(
      sources, data_dir, settings.options,
      settings.labels, _settings.boxes_csv_paths(settings), settings.shards)
  return driver.conversion_outputs(results)


def run_check(settings: _settings.Settings,
              counts: Optional[Mapping[str, int]] = None) -> Dict[str, Any]:
  """Checks the output; its counts are expected_counts, else `counts` (what a source's
  index lists), else ImageNet's."""
  counts = settings.expected_counts or counts
  report = check.check_directory(
      settings.data_dir, workers=settings.options.workers,
      expected=check.Expected(
          counts=dict(counts) if counts else None,
          synsets_file=settings.labels.synsets_path(),
          metadata_file=settings.labels.metadata_path(),
          validation_labels_file=settings.labels.validation_labels_path()),
      sample_fraction=driver.check_mode_sample(settings.check_mode))
  return driver.check_verdict(report)


# The driver.


def run(settings: _settings.Settings,
        credentials: Optional[acquire.Credentials] = None,
        redo: Sequence[str] = (), only: Optional[Sequence[str]] = None,
        clock: Callable[[], float] = time.time) -> Dict[str, Any]:
  """Runs the steps that are not finished; returns the state of every step.

  `only` limits the run to some steps (download_imagenet: download, and extract
  unless no_extract), with the rules of driver.run_steps.

  The steps share one pool of worker processes (core.Workers.sharing_one_pool),
  ended when the run ends, however it ends.

  Raises:
    driver.DriverError (or a step's own error): a step failed; the steps before it stay
      recorded as finished, so a re-run resumes there (driver.ResumableError: a
      tarball found bad, moved aside, and the next run fetches it again).
  """
  driver.check_mode_sample(settings.check_mode)  # refuses an unknown mode first
  with settings.options.workers.sharing_one_pool() as workers:
    settings = dataclasses.replace(
        settings, options=dataclasses.replace(settings.options, workers=workers))
    return _run_steps(settings, credentials, redo, only, clock)


def _run_steps(settings: _settings.Settings,
               credentials: Optional[acquire.Credentials], redo: Sequence[str],
               only: Optional[Sequence[str]], clock: Callable[[], float]
               ) -> Dict[str, Any]:
  """run()'s work, with the settings' shared workers."""
  source = _sources.detect_source(settings.source, settings.source_format)
  logging.info(source.line())
  if source.format in _sources.LISTED:
    _in_place.refuse_options(settings, source, only)
    index = _in_place.open_source(settings, source)
    _in_place.refuse_changed_source(settings.data_dir, index, redo)
    return driver.run_steps(settings.data_dir, steps(settings, None, only, index),
                            redo, only, clock)
  _in_store.refuse_changed_objects(settings, redo)
  try:
    return driver.run_steps(settings.data_dir, steps(settings, credentials, only),
                            redo, only, clock)
  except acquire.ChecksumMismatch as e:
    # Found by the stream that read a linked tarball (or by the download itself):
    # what it produced is discarded and the tarball moved aside.
    _unfinish_download(settings.data_dir)
    # Moved aside, it is fetched again; the user's file, left in place, stays bad.
    error = driver.ResumableError if e.moved_to else driver.DriverError
    raise error(str(e)) from None
  except acquire.CorruptArchiveError as e:
    message = acquire.set_aside_corrupt(e, driver.downloads_dir(settings.data_dir))
    if message is None:
      raise
    _unfinish_download(settings.data_dir)
    raise driver.ResumableError(message) from None


def _unfinish_download(data_dir: str) -> None:
  """Drops the download step from the state file: the next run fetches again."""
  state = driver.read_state(data_dir)
  state.pop(_settings.DOWNLOAD, None)
  driver.write_state(data_dir, state)


