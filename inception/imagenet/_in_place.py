"""A source with an index of its own (_sources.LISTED: Kaggle's tree or zip, read in
place; Hugging Face's parquet or tar.gz, spooled): what is refused before any work,
what its steps read, and what they record.

Such a source has no download, extract or relabel step: its images are read where
they are (or, Hugging Face's, in one pass per split into a spool under DATA_DIR),
and nothing in it is written, moved or deleted. Before any work:
- `refuse_options`: the tarballs' own options mean nothing here and are refused, as is
  a run of only the download or extract step (download_imagenet);
- `open_source`: the source's index is read and checked (_kaggle.read_kaggle,
  _hugging_face.read_hugging_face), and what it lists is said in one line; for
  Hugging Face's, which has no boxes, the official box archive beside data/ (or
  --bounding_box_archive) is checked against its MD5 (`box_sources`), or the line
  says the run converts without boxes;
- `refuse_changed_source`: a source whose index files differ from those the finished
  steps of this DATA_DIR read is refused: its shards would mix both.
The bounding_boxes and check steps record the source they read (`source_record`: its
path, format and the MD5 of each index file: Hugging Face's, of each file's rows or
members and of its box archive) in their outputs.

In object storage (--source=s3://..., gs://, az://) the same source is read in
place through core's fsspec file io, nothing copied: the tree's files one GET each,
the zip's directory and members by byte range, parquet's footers and column chunks
by byte range, a tar.gz streamed. Each object read as a whole (the tree's index
files, the zip, each Hugging Face file, a box archive) is recorded with its size and
version (`store_objects`, under _in_store.OBJECTS_KEY), and one replaced since is
refused on resume (`refuse_changed_source`). DATA_DIR may be in a store too; Hugging
Face's spool then goes to the local temporary directory (_layout.spool_dir).
"""

import dataclasses
import hashlib
import os
from typing import Any, Dict, Mapping, Optional, Sequence, Tuple, Union

from absl import logging

from inception import acquire
from inception import core
from inception import driver
from inception.imagenet import _archives
from inception.imagenet import _hugging_face
from inception.imagenet import _in_store
from inception.imagenet import _kaggle
from inception.imagenet import _layout
from inception.imagenet import _settings
from inception.imagenet import _sources
from inception.imagenet import _splits

# The key of a step's outputs that records the source it read.
SOURCE_KEY = 'source'

Index = Union[_kaggle.KaggleIndex, _hugging_face.HuggingFaceIndex]
_HF_LAYOUTS = {_sources.HF_PARQUET: _hugging_face.PARQUET,
               _sources.HF_TARGZ: _hugging_face.TARGZ}


def refuse_options(settings: _settings.Settings, source: _sources.Source,
                   only: Optional[Sequence[str]] = None) -> None:
  """Refuses what only the tarballs have: their options, and their steps alone.

  Raises:
    ValueError: naming the options or steps, and what the source is.
  """
  spooled = source.format in _sources.SPOOLED
  what = '--source %s is %s, read %s' % (
      source.path, _sources.DESCRIPTIONS[source.format],
      'in one pass per split' if spooled else 'in place')
  given = [flag for flag, value in (
      ('--no_extract', settings.no_extract), ('--link_mode', settings.link_mode),
      ('--stream_extract', settings.stream_extract),
      ('--extract_xml', settings.extract_xml),
      # Hugging Face's box archive is checked against its MD5, or the file's.
      ('--checksums_file', settings.checksums_file and not spooled),
      ('--with_devkit', settings.with_devkit)) if value]
  if settings.bounding_box_archive and not spooled:
    raise ValueError('%s: --bounding_box_archive is for Hugging Face\'s layouts, '
                     'which have no boxes; leave it out' % what)
  if given:
    raise ValueError('%s: %s %s only to the official tarballs (nothing is downloaded, '
                     'linked or extracted here); leave %s out' % (
                         what, ', '.join(given), 'applies' if len(given) == 1
                         else 'apply', 'it' if len(given) == 1 else 'them'))
  others = [name for name in only or () if name not in _settings.IN_PLACE_STEPS]
  if others:
    raise ValueError('%s: it has no %s step (nothing to download or extract); '
                     'download_and_preprocess_imagenet --source=%s DATA_DIR converts '
                     'it' % (what, ' or '.join(others), source.path))


def open_source(settings: _settings.Settings, source: _sources.Source) -> Index:
  """The source's index, read and checked; its counts logged in one line (and for
  Hugging Face's, its boxes: the box archives' MD5s checked and fingerprinted).

  Raises:
    convert.ConversionError: the index disagrees with what is there or with the label
      files (_kaggle.read_kaggle, _hugging_face.read_hugging_face).
    driver.DriverError: a box archive that is not what its MD5 says.
  """
  if source.format not in _sources.SPOOLED:
    zipped = source.format == _sources.KAGGLE_ZIP
    index = _kaggle.read_kaggle(source.path, zipped, settings.labels,
                                settings.with_test)
    logging.info(index.counts_line())
    files = ({os.path.basename(source.path): source.path} if zipped else
             {name: core.join(source.path, name) for name in index.fingerprint})
    return dataclasses.replace(index, objects=store_objects(files))
  spool = _layout.spool_dir(settings.data_dir)
  index = _hugging_face.read_hugging_face(
      source.path, _HF_LAYOUTS[source.format], settings.labels, settings.with_test,
      spool)
  logging.info(index.counts_line())
  if core.is_remote(settings.data_dir):
    logging.info('DATA_DIR %s is in object storage: each split\'s images are spooled '
                 'on this machine\'s disk under %s (the split\'s size at once; '
                 'TMPDIR chooses the disk), removed when the split is written',
                 settings.data_dir, spool)
  files = {name: core.join(source.path, name) for name in index.fingerprint}
  archives = box_sources(settings, source)
  if archives is None:
    logging.info('No bounding boxes: Hugging Face ships none, and %s is not beside '
                 '%s/ (--bounding_box_archive names one): converting without boxes',
                 _archives.BBOX_TRAIN_TAR_GZ, _hugging_face.HF_DATA_DIRNAME)
    return dataclasses.replace(index, objects=store_objects(files))
  fingerprint = dict(index.fingerprint)
  for name, path in zip((_archives.BBOX_TRAIN_TAR_GZ, _archives.BBOX_VALIDATION_TGZ),
                        archives):
    if path:
      fingerprint[os.path.basename(path)] = _checked_md5(settings, name, path)
      files[os.path.basename(path)] = path
  logging.info('Bounding boxes from %s', ', '.join(path for path in archives if path))
  return dataclasses.replace(index, fingerprint=fingerprint,
                             objects=store_objects(files))


def store_objects(files: Mapping[str, str]) -> Dict[str, Dict[str, Any]]:
  """{name: {url, size, version}} of those of `files` ({name: path}) in a store (one
  HEAD each); local files are not recorded."""
  return {name: acquire.record_of(path) for name, path in sorted(files.items())
          if acquire.is_store_url(path)}


def box_sources(settings: _settings.Settings, source: _sources.Source
                ) -> Optional[Tuple[Any, Any]]:
  """Where the bounding_boxes step reads the train and validation XMLs: Kaggle's
  own; for Hugging Face's, the official box archives (the train one beside data/
  or given, the validation one, with validation_bounding_boxes, beside it), or None
  for none.

  Raises:
    ValueError: a box archive given or needed that is not there.
  """
  if source.format not in _sources.SPOOLED:
    return _kaggle.box_sources(source.path, source.format == _sources.KAGGLE_ZIP)
  train = settings.bounding_box_archive or core.join(source.path,
                                                     _archives.BBOX_TRAIN_TAR_GZ)
  if not _is_file(train):
    if settings.bounding_box_archive:
      raise ValueError('--bounding_box_archive %s: no such file' % train)
    return None
  validation = None
  if settings.validation_bounding_boxes:
    validation = core.join(os.path.dirname(train), _archives.BBOX_VALIDATION_TGZ)
    if not _is_file(validation):
      raise ValueError('--validation_bounding_boxes: %s is missing (expected beside '
                       '%s)' % (validation, train))
  return train, validation


def _is_file(path: str) -> bool:
  """A local file, or an object in a store."""
  return core.exists(path) if acquire.is_store_url(path) else os.path.isfile(path)


def _checked_md5(settings: _settings.Settings, name: str, path: str) -> str:
  """The MD5 of a box archive, which must be its published one (or the checksums
  file's for `name`).

  Raises:
    driver.DriverError: it is not.
  """
  expected = _archives.archives([name], settings.checksums())[0].md5
  digest = hashlib.md5()
  with core.open_file(path, 'rb') as f:
    for chunk in iter(lambda: f.read(1 << 20), b''):
      digest.update(chunk)
  if digest.hexdigest() != expected:
    raise driver.DriverError('%s: MD5 %s, expected %s (%s%s); give the right archive, '
                             'or its MD5 in --checksums_file' % (
                                 path, digest.hexdigest(), expected, name,
                                 '\'s in %s' % settings.checksums_file
                                 if settings.checksums_file else ' as published'))
  return expected


def source_record(source: _sources.Source, index: Index) -> Dict[str, Any]:
  """What a step records of the source it read."""
  record = {'path': source.path, 'format': source.format,
            'index_files': dict(sorted(index.fingerprint.items()))}
  if index.objects:
    record[_in_store.OBJECTS_KEY] = index.objects
  return record


def refuse_changed_source(data_dir: str, index: Index,
                          redo: Sequence[str] = ()) -> None:
  """Refuses to resume on a source whose index files changed since the finished
  steps recorded in DATA_DIR read them (unless every step is redone).

  Raises:
    driver.DriverError: naming the index files that changed.
  """
  if _settings.IN_PLACE_STEPS[0] in redo:
    return
  for step, record in driver.read_state(data_dir).items():
    recorded = (record.get('outputs') or {}).get(SOURCE_KEY)
    if not isinstance(recorded, dict) or 'index_files' not in recorded:
      continue
    _in_store.refuse_changed(recorded.get(_in_store.OBJECTS_KEY),
                             'the finished %s step' % step,
                             _settings.IN_PLACE_STEPS[0])
    before, now = recorded['index_files'], index.fingerprint
    changed = sorted(name for name in set(before) | set(now)
                     if before.get(name) != now.get(name))
    if changed:
      raise driver.DriverError(
          '%s changed since the finished %s step of %s read %s: %s differ%s; the '
          'shards would mix both. Give another DATA_DIR, or --redo=%s to convert it '
          'again from the start' % (
              index.path, step, data_dir, recorded.get('path', 'it'),
              ', '.join(changed), '' if len(changed) > 1 else 's',
              _settings.IN_PLACE_STEPS[0]))


def run_convert(settings: _settings.Settings, index: Index,
                with_boxes: bool = True) -> Dict[str, Any]:
  """Converts the splits the index lists, their images read in place (or spooled),
  boxed from the bounding_boxes step's CSVs unless it had none (`with_boxes`)."""
  results = _splits.convert_listed(
      index.splits, settings.data_dir, settings.options,
      _settings.boxes_csv_paths(settings) if with_boxes else (), settings.shards)
  return driver.conversion_outputs(results)
