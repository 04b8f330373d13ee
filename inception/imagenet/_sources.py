"""Where the images come from: the source formats, and which one --source holds.

The formats (--source_format, docs/SOURCES.md):
  tarballs    the official ILSVRC2012 tarballs, from a URL or a directory holding them:
              downloaded (or linked), extracted and relabelled, as ever;
  kaggle      Kaggle's imagenet-object-localization-challenge unpacked, read in place;
  kaggle_zip  its zip (the file, or a directory holding it), read in place;
  hf_parquet, hf_targz   Hugging Face's ILSVRC/imagenet-1k (parquet files, or the
              older tar.gz files): indexed, then each split's images spooled in one
              sequential pass (SPOOLED);
  auto        whichever of these --source holds (`detect_source`).

Detection reads names only, never a file: a directory's own names (and those of its
data/ folder), or a file's. It finds each layout by the names its publisher ships; a
directory holding two layouts, or files of none, is a SourceError saying what was
found and what was expected, before any work. A directory that does not exist or is
empty is the tarballs' (their download step names what it lacks, and a finished
download does not need it again).

A store URL (s3://, gs://, az://: core's fsspec file io) is detected the same way,
by listing the prefix (and its data/): every layout is read there in place, nothing
copied (a missing bucket is the store's one-line error naming the URL). A `.zip`
object is Kaggle's zip itself.
"""

import dataclasses
import os
from typing import Dict, List

from inception import acquire
from inception import core
from inception.imagenet import _archives
from inception.imagenet import _hugging_face
from inception.imagenet import _kaggle

AUTO = 'auto'
TARBALLS = 'tarballs'
KAGGLE = 'kaggle'
KAGGLE_ZIP = 'kaggle_zip'
HF_PARQUET = 'hf_parquet'
HF_TARGZ = 'hf_targz'
SOURCE_FORMATS = (AUTO, TARBALLS, KAGGLE, KAGGLE_ZIP, HF_PARQUET, HF_TARGZ)
# Read where they are, with random access to every image: no download, extract or
# relabel step.
IN_PLACE = (KAGGLE, KAGGLE_ZIP)
# Read in one sequential pass that spools the images (parquet row groups, gzip
# streams allow no random access); no download, extract or relabel step either.
SPOOLED = (HF_PARQUET, HF_TARGZ)
# The sources with an index of their own, read where they are: the steps
# bounding_boxes, convert and check only (_in_place).
LISTED = IN_PLACE + SPOOLED

DESCRIPTIONS = {
    TARBALLS: 'the official ILSVRC2012 tarballs',
    KAGGLE: "Kaggle's imagenet-object-localization-challenge, unpacked",
    KAGGLE_ZIP: "Kaggle's %s" % _kaggle.KAGGLE_ZIP_FILE,
    HF_PARQUET: "Hugging Face's ILSVRC/imagenet-1k parquet files",
    HF_TARGZ: "Hugging Face's ILSVRC/imagenet-1k tar.gz files (older revisions)",
}
# What each layout is recognised by, for messages.
_EXPECTED = {
    TARBALLS: '%s, %s, ...' % (_archives.TRAIN_TAR, _archives.VALIDATION_TAR),
    KAGGLE: '%s and %s/' % (_kaggle.SYNSET_MAPPING, _kaggle.DATA_DIR),
    KAGGLE_ZIP: _kaggle.KAGGLE_ZIP_FILE,
    HF_PARQUET: 'data/train-000NN-of-000MM.parquet, ...',
    HF_TARGZ: 'data/train_images_0.tar.gz, ...',
}
_HF_DIRNAME = _hugging_face.HF_DATA_DIRNAME
# What the line saying what --source is says of a store's.
_IN_STORE = 'object storage: read in place, nothing copied'
_SHOWN = 4  # names a message shows, at most


class SourceError(ValueError):
  """--source does not hold what --source_format says, or holds no known layout."""


@dataclasses.dataclass(frozen=True)
class Source:
  """What --source holds.

  Attributes:
    format: one of SOURCE_FORMATS but AUTO.
    path: the URL or directory of the tarballs; Kaggle's unpacked directory; Kaggle's
      zip file; the directory holding Hugging Face's data/.
    found: the names it was recognised by, for the line that says so.
  """
  format: str
  path: str
  found: str

  def line(self) -> str:
    """The one line saying what the source is."""
    return 'Source %s: %s (%s)' % (self.path, DESCRIPTIONS[self.format], self.found)


def detect_source(source: str, source_format: str = AUTO) -> Source:
  """What `source` (a URL, a directory, or a zip) holds, as `source_format` says or as
  its names show (AUTO).

  Raises:
    SourceError: an unknown format; an http(s) URL for a format other than the
      tarballs'; a source that does not hold the format asked for; with AUTO, a
      directory (or store prefix) holding two layouts, or files of none.
    OSError: a store's bucket missing, or the store unreachable (naming the URL).
  """
  if source_format not in SOURCE_FORMATS:
    raise SourceError('unknown source format %r (one of %s)' %
                      (source_format, ', '.join(SOURCE_FORMATS)))
  if acquire.is_url(source):
    if source_format not in (AUTO, TARBALLS):
      raise SourceError('--source_format=%s reads a local copy; a URL source (%s) '
                        'serves the official tarballs' % (source_format, source))
    return Source(TARBALLS, source, 'a URL')
  in_store = acquire.is_store_url(source)
  if in_store and source_format == TARBALLS:
    return Source(TARBALLS, source, _IN_STORE)
  if source_format != TARBALLS and _is_file(source, in_store):
    return _file_source(source, source_format)
  found = _layouts(source)
  if source_format == TARBALLS:  # today's rules: the download step names what lacks
    return Source(TARBALLS, source, ', '.join(found.get(TARBALLS, ())) or
                  'as --source_format says')
  if source_format == AUTO:
    return _only_layout(source, found)
  if source_format not in found:
    raise SourceError('--source %s holds no %s: expected %s; found %s' % (
        source, DESCRIPTIONS[source_format], _EXPECTED[source_format],
        _contents(source)))
  return Source(source_format, _layout_path(source, source_format),
                ', '.join(found[source_format]))


def _is_file(source: str, in_store: bool) -> bool:
  """Whether `source` is a file (a store's: a `.zip` object; a prefix is listed)."""
  if in_store:
    return source.lower().endswith('.zip') and core.exists(source)
  return os.path.isfile(source)


def _file_source(path: str, source_format: str) -> Source:
  """A file given as --source: Kaggle's zip (by its name or its end)."""
  if source_format in (AUTO, KAGGLE_ZIP) and path.lower().endswith('.zip'):
    return Source(KAGGLE_ZIP, path, 'a zip object in object storage, read in place'
                  if acquire.is_store_url(path) else 'a zip file')
  raise SourceError('--source %s is a file; expected a directory holding %s' % (
      path, DESCRIPTIONS[source_format] if source_format != AUTO else
      "one of ImageNet's layouts, or Kaggle's zip"))


def _only_layout(path: str, found: Dict[str, List[str]]) -> Source:
  """The one layout found; the tarballs' for a directory missing or empty."""
  if len(found) > 1:
    raise SourceError('--source %s holds a mixture: %s; give --source_format=%s, or a '
                      'directory holding one of them' % (path, '; '.join(
                          '%s (%s)' % (DESCRIPTIONS[layout], ', '.join(names))
                          for layout, names in found.items()), ' or '.join(found)))
  if found:
    (layout, names), = found.items()
    return Source(layout, _layout_path(path, layout), ', '.join(names))
  if acquire.is_store_url(path) and not _listdir(path):
    return Source(TARBALLS, path, '%s; nothing there yet: the download step names '
                  'what it lacks, if it needs it' % _IN_STORE)
  if not os.path.isdir(path) and not acquire.is_store_url(path):
    return Source(TARBALLS, path, 'does not exist: the download step names what it '
                  'lacks, if it needs it')
  if not _listdir(path):
    return Source(TARBALLS, path, 'empty: the download step names what it lacks, if '
                  'it needs it')
  raise SourceError('--source %s holds none of the layouts ImageNet comes in: '
                    'expected %s; found %s' % (path, '; or '.join(
                        '%s (%s)' % (DESCRIPTIONS[layout], _EXPECTED[layout])
                        for layout in DESCRIPTIONS), _contents(path)))


def _layout_path(path: str, layout: str) -> str:
  """The path a layout is read from: Kaggle's zip itself, else the directory."""
  if layout == KAGGLE_ZIP:
    return core.join(path, _kaggle.KAGGLE_ZIP_FILE)
  return path


def _layouts(directory: str) -> Dict[str, List[str]]:
  """{layout: the names it was found by} of what `directory` holds (nothing for a
  directory that does not exist)."""
  names = _listdir(directory)
  tarball_names = set(_archives.KNOWN_FILES) | {_archives.TEST_TAR,
                                                _archives.TFDS_TEST_TAR}
  hf_names = (_listdir(core.join(directory, _HF_DIRNAME)) if _HF_DIRNAME in names
              else [])
  found = {
      TARBALLS: sorted(set(names) & tarball_names),
      KAGGLE: [name + ('/' if name == _kaggle.ILSVRC_DIRNAME else '')
               for name in (_kaggle.SYNSET_MAPPING, _kaggle.ILSVRC_DIRNAME)
               if name in names],
      KAGGLE_ZIP: [name for name in names if name == _kaggle.KAGGLE_ZIP_FILE],
      HF_PARQUET: _shown(['%s/%s' % (_HF_DIRNAME, name) for name in hf_names
                          if _hugging_face.PARQUET_NAME.match(name)]),
      HF_TARGZ: _shown(['%s/%s' % (_HF_DIRNAME, name) for name in hf_names
                        if _hugging_face.TARGZ_NAME.match(name)]),
  }
  # Hugging Face ships no boxes: the official box archives beside its data/ are
  # read with it, not a tarball layout of their own.
  if ((found[HF_PARQUET] or found[HF_TARGZ]) and
      set(found[TARBALLS]) <= set(_archives.BOX_ARCHIVES)):
    found[TARBALLS] = []
  return {layout: names for layout, names in found.items() if names}


def _listdir(directory: str) -> List[str]:
  """The names in `directory` (a store prefix's: its objects and sub-prefixes, none
  for a prefix holding nothing); none for a directory missing.

  Raises:
    OSError: a store's bucket missing, or the store unreachable (naming the URL).
  """
  if acquire.is_store_url(directory):
    return sorted(core.listdir(directory))
  try:
    return sorted(os.listdir(directory))
  except (FileNotFoundError, NotADirectoryError):
    return []


def _shown(names: List[str]) -> List[str]:
  """The first few names, and how many more."""
  if len(names) <= _SHOWN:
    return names
  return names[:_SHOWN] + ['%d more' % (len(names) - _SHOWN)]


def _contents(directory: str) -> str:
  """What a directory holds, in a few names."""
  names = _listdir(directory)
  if not names and not core.isdir(directory):
    return 'no such directory'
  return ', '.join(_shown(names)) if names else 'nothing'
