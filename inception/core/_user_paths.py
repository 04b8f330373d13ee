"""User-given paths made absolute once, at start, the way the user meant them.

Under `bazel run` the process starts inside the runfiles tree; a relative path typed by
the user is relative to BUILD_WORKING_DIRECTORY, where the command was typed (docs/FORMAT.md, "Runfiles").
Nothing in this project chdirs, so an absolute path stays right for the whole run.
"""

import os
from typing import Mapping, Optional


def is_remote(path: str) -> bool:
  """True for URL-style paths (s3://, gs://, az://, ...), which core opens through
  fsspec."""
  return '://' in path


def absolute_user_path(path: Optional[str],
                       environ: Optional[Mapping[str, str]] = None) -> Optional[str]:
  """Returns `path` made absolute against where the user typed the command.

  An empty or None path (an optional flag left unset) gives None.
  """
  if not path:
    return None
  if is_remote(path):
    return path
  environ = os.environ if environ is None else environ
  path = os.path.expanduser(path)
  if os.path.isabs(path):
    return os.path.normpath(path)
  base = environ.get('BUILD_WORKING_DIRECTORY') or os.getcwd()
  return os.path.normpath(os.path.join(base, path))
