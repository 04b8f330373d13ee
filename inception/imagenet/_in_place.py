"""A source read in place (Kaggle's tree or zip): what is refused before any work,
what its steps read, and what they record.

Such a source has no download, extract or relabel step: its images are read where
they are, and nothing in it is written, moved or deleted. Before any work:
- `refuse_options`: the tarballs' own options mean nothing here and are refused, as is
  a run of only the download or extract step (download_imagenet);
- `open_source`: the source's index is read and checked (_kaggle.read_kaggle), and
  what it lists is said in one line;
- `refuse_changed_source`: a source whose index files differ from those the finished
  steps of this DATA_DIR read is refused: its shards would mix both.
The bounding_boxes and check steps record the source they read (`source_record`: its
path, format and the MD5 of each index file) in their outputs.
"""

from typing import Any, Dict, Optional, Sequence

from absl import logging

from inception import driver
from inception.imagenet import _kaggle
from inception.imagenet import _settings
from inception.imagenet import _sources
from inception.imagenet import _splits

# The key of a step's outputs that records the source it read.
SOURCE_KEY = 'source'


def refuse_options(settings: _settings.Settings, source: _sources.Source,
                   only: Optional[Sequence[str]] = None) -> None:
  """Refuses what only the tarballs have: their options, and their steps alone.

  Raises:
    ValueError: naming the options or steps, and what the source is.
  """
  what = '--source %s is %s, read in place' % (source.path,
                                               _sources.DESCRIPTIONS[source.format])
  given = [flag for flag, value in (
      ('--no_extract', settings.no_extract), ('--link_mode', settings.link_mode),
      ('--stream_extract', settings.stream_extract),
      ('--extract_xml', settings.extract_xml),
      ('--checksums_file', settings.checksums_file),
      ('--with_devkit', settings.with_devkit)) if value]
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


def open_source(settings: _settings.Settings,
                source: _sources.Source) -> _kaggle.KaggleIndex:
  """The source's index, read and checked; its counts logged in one line.

  Raises:
    convert.ConversionError: the index disagrees with what is there or with the label
      files (_kaggle.read_kaggle).
  """
  index = _kaggle.read_kaggle(source.path, source.format == _sources.KAGGLE_ZIP,
                              settings.labels, settings.with_test)
  logging.info(index.counts_line())
  return index


def source_record(source: _sources.Source,
                  index: _kaggle.KaggleIndex) -> Dict[str, Any]:
  """What a step records of the source it read."""
  return {'path': source.path, 'format': source.format,
          'index_files': dict(sorted(index.fingerprint.items()))}


def refuse_changed_source(data_dir: str, index: _kaggle.KaggleIndex,
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


def run_convert(settings: _settings.Settings,
                index: _kaggle.KaggleIndex) -> Dict[str, Any]:
  """Converts the splits the index lists, their images read in place."""
  results = _splits.convert_listed(
      index.splits, settings.data_dir, settings.options,
      _settings.boxes_csv_paths(settings), settings.shards)
  return driver.conversion_outputs(results)
