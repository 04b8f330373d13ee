"""A fingerprint of the software a process runs: this project's sources and its pins.

A cluster's workers must write the same bytes as the launcher, and those bytes depend
on the code (inception/**/*.py) and on the pinned packages (Pillow's re-encoding, say).
`project_fingerprint(pinned)` gives the SHA-256 of every `*.py` under the `inception`
directory this process imports (its real path: Bazel's runfiles are links into the
checkout) with the installed version of each package named in `pinned`;
`pinned_requirements()` names the packages requirements.txt pins (beside the
`inception` directory: a checkout, or an editable install of one), else those the
installed distribution requires. The launcher sends its pinned names, each worker
answers with its own fingerprint, and `difference` says in a few words what differs.
"""

import dataclasses
import functools
import hashlib
import os
import re
from typing import Optional, Sequence, Tuple

_PACKAGE_DIRECTORY = os.path.dirname(os.path.dirname(os.path.realpath(__file__)))
_REQUIREMENTS = os.path.join(os.path.dirname(_PACKAGE_DIRECTORY), 'requirements.txt')
_DISTRIBUTION = 'inception-imagenet-tfrecords'  # setup.py's name
_PIN = re.compile(r'^\s*([A-Za-z0-9][A-Za-z0-9._-]*)\s*==')
_REQUIREMENT_NAME = re.compile(r'^\s*([A-Za-z0-9][A-Za-z0-9._-]*)')


@dataclasses.dataclass(frozen=True)
class Fingerprint:
  """What decides a process's output bytes: its sources' digest and package versions.

  Attributes:
    sources: SHA-256 (hex) of the inception/**/*.py files, names and contents.
    packages: (name, installed version or 'missing') per pinned package, sorted.
  """
  sources: str
  packages: Tuple[Tuple[str, str], ...]

  def __str__(self) -> str:
    digest = hashlib.sha256(repr(dataclasses.astuple(self)).encode()).hexdigest()
    return digest[:12]


def pinned_requirements() -> Tuple[str, ...]:
  """The names of the packages whose versions must match: requirements.txt's pins."""
  try:
    with open(_REQUIREMENTS) as f:
      lines = f.read().splitlines()
    return tuple(sorted({m.group(1).lower() for m in map(_PIN.match, lines) if m}))
  except FileNotFoundError:
    pass
  # Imported here: importlib.metadata (email, zipfile, ...) is a sixth of a binary's
  # start-up, and only a Dask run compares fingerprints.
  import importlib.metadata  # pylint: disable=g-import-not-at-top
  try:
    requires = importlib.metadata.requires(_DISTRIBUTION) or []
  except importlib.metadata.PackageNotFoundError:
    return ()
  return tuple(sorted({m.group(1).lower() for m in map(_REQUIREMENT_NAME.match, requires)
                       if m and 'extra ==' not in m.string}))


@functools.lru_cache(maxsize=4)
def project_fingerprint(pinned: Tuple[str, ...]) -> Fingerprint:
  """This process's fingerprint (computed once per process and `pinned`)."""
  return Fingerprint(_sources_digest(_PACKAGE_DIRECTORY),
                     tuple((name, _version(name)) for name in sorted(pinned)))


def difference(here: Fingerprint, there: Fingerprint) -> Optional[str]:
  """What differs in `there` from `here`, in a few words; None when nothing does."""
  if here == there:
    return None
  theirs = dict(there.packages)
  packages = ['%s %s (here %s)' % (name, theirs.get(name, 'missing'), version)
              for name, version in here.packages if theirs.get(name) != version]
  parts = []
  if here.sources != there.sources:
    parts.append('other inception sources')
  if packages:
    parts.append(', '.join(packages))
  return '; '.join(parts) or 'another fingerprint'


def _sources_digest(directory: str) -> str:
  digest = hashlib.sha256()
  paths = []
  for root, subdirectories, names in os.walk(directory):
    subdirectories[:] = sorted(d for d in subdirectories if d != '__pycache__')
    paths.extend(os.path.join(root, n) for n in names if n.endswith('.py'))
  for path in sorted(paths):
    with open(path, 'rb') as f:
      data = f.read()
    name = os.path.relpath(path, directory).replace(os.sep, '/')
    digest.update(b'%s\0%d\0' % (name.encode(), len(data)))
    digest.update(data)
  return digest.hexdigest()


def _version(name: str) -> str:
  import importlib.metadata  # pylint: disable=g-import-not-at-top  (as above)
  try:
    return importlib.metadata.version(name)
  except importlib.metadata.PackageNotFoundError:
    return 'missing'
