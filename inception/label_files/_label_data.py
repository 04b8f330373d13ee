"""The ImageNet label files shipped in data/, found through Bazel runfiles.

Data files are located only with the runfiles library (never a hand-built path), so the
binaries work under `bazel run`, `bazel test`, from `bazel-bin/...` and from any
working directory (docs/FORMAT.md, "Runfiles").
"""

import collections
import dataclasses
import re
from typing import Dict, List, Optional

from runfiles import runfiles

from inception import core

SYNSETS_FILE = 'imagenet_lsvrc_2015_synsets.txt'
VALIDATION_LABELS_FILE = 'imagenet_2012_validation_synset_labels.txt'
METADATA_FILE = 'imagenet_metadata.txt'

_WORKSPACE = 'inception'
_WNID = re.compile(r'^n\d{8}$')


def data_file_path(basename: str) -> str:
  """Returns the absolute path of data/<basename> from the runfiles tree."""
  files = runfiles.Create()
  location = files.Rlocation('%s/data/%s' % (_WORKSPACE, basename)) if files else None
  if not location or not core.exists(location):
    raise FileNotFoundError(
        'data/%s not found in the runfiles (run through Bazel, or declare '
        '//data:%s as a data dependency)' % (basename, basename))
  return location


def label_file_path(path: Optional[str], basename: str) -> str:
  """`path`, or data/<basename> from the runfiles when no path is given (None or '')."""
  return path or data_file_path(basename)


@dataclasses.dataclass(frozen=True)
class LabelFiles:
  """The three label files a run reads, as given; None (or '') = the one in data/.

  Built once from the flags (or a driver's settings) and passed whole; the
  `*_path` methods resolve an unset file to the shipped one.
  """
  synsets: Optional[str] = None
  metadata: Optional[str] = None
  validation_labels: Optional[str] = None

  def synsets_path(self) -> str:
    return label_file_path(self.synsets, SYNSETS_FILE)

  def metadata_path(self) -> str:
    return label_file_path(self.metadata, METADATA_FILE)

  def validation_labels_path(self) -> str:
    return label_file_path(self.validation_labels, VALIDATION_LABELS_FILE)


def parse_synsets(text: str, source: str = 'synsets file') -> List[str]:
  """Parses one wnid per line; label i+1 belongs to line i."""
  synsets = [line.strip() for line in text.splitlines() if line.strip()]
  for line_number, synset in enumerate(synsets, 1):
    if not _WNID.match(synset):
      raise ValueError('%s line %d: %r is not a WordNet id like n01440764' %
                       (source, line_number, synset))
  duplicates = sorted(s for s, n in collections.Counter(synsets).items() if n > 1)
  if duplicates:
    raise ValueError('%s: synsets listed twice: %s' % (source, ', '.join(duplicates)))
  if not synsets:
    raise ValueError('%s is empty' % source)
  return synsets


def parse_metadata(text: str, source: str = 'metadata file') -> Dict[str, str]:
  """Parses `wnid<TAB>human text` lines into a dict."""
  texts = {}
  for line_number, line in enumerate(text.splitlines(), 1):
    if not line.strip():
      continue
    parts = line.split('\t')
    if len(parts) != 2 or not _WNID.match(parts[0]):
      raise ValueError('%s line %d: expected "wnid<TAB>text", got %r' %
                       (source, line_number, line))
    texts[parts[0]] = parts[1]
  return texts


def parse_validation_labels(text: str,
                            source: str = 'validation label file') -> List[str]:
  """Parses the per-image validation labels: line i is ILSVRC2012_val_%08d (i+1)."""
  labels = [line.strip() for line in text.splitlines()]
  while labels and not labels[-1]:
    labels.pop()
  for line_number, synset in enumerate(labels, 1):
    if not _WNID.match(synset):
      raise ValueError('%s line %d: %r is not a WordNet id' %
                       (source, line_number, synset))
  return labels


def read_synsets(path: Optional[str] = None) -> List[str]:
  """Reads the synsets file (default: data/ from runfiles)."""
  path = label_file_path(path, SYNSETS_FILE)
  return parse_synsets(core.read_text(path), source=path)


def read_metadata(path: Optional[str] = None) -> Dict[str, str]:
  """Reads the wnid → text metadata file (default: data/ from runfiles)."""
  path = label_file_path(path, METADATA_FILE)
  return parse_metadata(core.read_text(path), source=path)


def read_validation_labels(path: Optional[str] = None) -> List[str]:
  """Reads the validation label file (default: data/ from runfiles)."""
  path = label_file_path(path, VALIDATION_LABELS_FILE)
  return parse_validation_labels(core.read_text(path), source=path)


def class_texts(synsets: List[str], metadata: Dict[str, str],
                source: str = 'metadata file') -> List[str]:
  """Returns the human text of each synset, failing on any without one."""
  missing = [s for s in synsets if s not in metadata]
  if missing:
    raise ValueError('%s has no text for %d synsets, first: %s' %
                     (source, len(missing), ', '.join(missing[:5])))
  return [metadata[s] for s in synsets]
