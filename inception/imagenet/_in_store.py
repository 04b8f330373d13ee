"""The tarballs in object storage (--source=s3://..., gs://, az://), read in place.

The download step copies nothing: it records each archive object (URL, size and
version: S3's ETag, GCS's generation, Azure's etag) in the state file under
OBJECTS_KEY, and its `files` are the objects' URLs, which the steps after it read
(`archive_paths`). The image tarballs' MD5s are checked by the --no_extract index
that streams each once; their verification records are named after
downloads/<name> (`verification_records`), small files (or objects, for a DATA_DIR
in a store) beside the box CSVs. An object replaced since the download step
recorded it is refused on resume (`refuse_changed_objects`): the shards made from
it and those still to make would mix two versions (`refuse_changed`, which
_in_place uses for the objects of Kaggle's and Hugging Face's layouts in a store).

Where it runs: DATA_DIR may be in a store only with no_extract and the tarballs in
a store too (the extraction would write 1.28 M objects, and nothing is copied into
a store); tarballs in a store are read in place only, so with no_extract
(`refuse_settings`).
"""

from typing import Dict, Optional, Sequence

from inception import acquire
from inception import core
from inception import driver
from inception.imagenet import _settings

OBJECTS_KEY = 'objects'


def refuse_settings(settings: _settings.Settings) -> None:
  """Refuses, in one line and before any work, what a store cannot run.

  Raises:
    ValueError: a DATA_DIR in a store with extraction or with tarballs not in a
      store; tarballs in a store with extraction.
  """
  remote_data_dir = core.is_remote(settings.data_dir)
  if remote_data_dir and not settings.no_extract:
    raise ValueError('DATA_DIR %s is in object storage: give --no_extract (the '
                     'extraction would write each image as an object, 1.28 M of '
                     'them); the shards are the same' % settings.data_dir)
  if remote_data_dir and not settings.reads_store_in_place():
    raise ValueError('DATA_DIR %s is in object storage: the tarballs must be in '
                     'object storage too (--source=s3://..., gs://, az://), read in '
                     'place; %s would be copied there' %
                     (settings.data_dir, settings.source))
  if settings.reads_store_in_place() and not settings.no_extract:
    raise ValueError('--source %s is in object storage, whose tarballs are read in '
                     'place: give --no_extract (nothing is extracted; the shards are '
                     'the same)' % settings.source)


def verification_records(settings: _settings.Settings,
                         paths: Dict[str, str]) -> Dict[str, str]:
  """{object URL: downloads/<name>, the path its verification records are named
  after} for the archives at `paths` ({name: URL}); {} for tarballs not in a store."""
  if not settings.reads_store_in_place():
    return {}
  downloads = driver.downloads_dir(settings.data_dir)
  return {url: core.join(downloads, name) for name, url in paths.items()}


def recorded_objects(data_dir: str) -> Optional[Dict[str, Dict[str, object]]]:
  """{name: {url, size, version}} the finished download step recorded; None if it
  has not finished."""
  record = driver.read_state(data_dir).get(_settings.DOWNLOAD)
  if record is None:
    return None
  return record.get('outputs', {}).get(OBJECTS_KEY)


def archive_paths(settings: _settings.Settings) -> Dict[str, str]:
  """{name: URL} of the archive objects the download step recorded.

  Raises:
    driver.DriverError: the download step has not recorded them.
  """
  objects = recorded_objects(settings.data_dir)
  if objects is None:
    raise driver.DriverError('the download step of %s has not recorded the tarballs '
                             'of %s yet: run the whole driver' %
                             (settings.data_dir, settings.source))
  return {name: record[acquire.URL_KEY] for name, record in objects.items()}


def download_outputs(summary: acquire.FetchSummary) -> Dict[str, object]:
  """The download step's record of a store source: each object's URL (`files`)
  and its size and version."""
  return {'files': summary.paths, 'bytes_transferred': 0,
          OBJECTS_KEY: {name: acquire.record_of(url)
                        for name, url in summary.paths.items()}}


def refuse_changed_objects(settings: _settings.Settings,
                           redo: Sequence[str]) -> None:
  """Refuses, in one line, to resume from objects replaced (or deleted) since the
  download step recorded them; --redo=download records them again, and --overwrite
  rewrites the shards already made (a redone convert keeps those of the same plan).

  Raises:
    driver.DriverError: one is.
  """
  if not settings.reads_store_in_place() or _settings.DOWNLOAD in redo:
    return
  recorded = driver.read_state(settings.data_dir).get(_settings.DOWNLOAD)
  if recorded is None or recorded.get('settings') != driver.jsonable(
      settings.step_settings(_settings.DOWNLOAD)):
    return  # the download step runs (again) anyway
  refuse_changed(recorded.get('outputs', {}).get(OBJECTS_KEY),
                 'the download step', _settings.DOWNLOAD)


def refuse_changed(objects: Optional[Dict[str, Dict[str, object]]], recorder: str,
                   first_step: str) -> None:
  """Refuses, in one line, the first of `objects` ({name: acquire.record_of}, as
  `recorder` recorded them) replaced, resized or deleted since; --redo=`first_step`
  --overwrite is the way to convert again from the start.

  Raises:
    driver.DriverError: one is.
  """
  for name in sorted(objects or {}):
    change = acquire.changed_object(objects[name], recorder)
    if change:
      raise driver.DriverError(
          '%s; the shards made from it and those still to make would mix two '
          'versions: run again with --redo=%s --overwrite to convert it from the '
          'start' % (change, first_step))
