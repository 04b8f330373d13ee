"""What a directory holds, for tests that compare outputs byte for byte."""

import hashlib
import os
from typing import Dict, Tuple


def file_contents(directory: str) -> Dict[str, bytes]:
  """{path relative to `directory`: bytes} of every file below it."""
  files = {}
  for parent, _, names in os.walk(directory):
    for name in names:
      path = os.path.join(parent, name)
      with open(path, 'rb') as f:
        files[os.path.relpath(path, directory)] = f.read()
  return files


def output_contents(directory: str) -> Dict[str, bytes]:
  """file_contents of an output directory a binary wrote, without its run lock's
  file (inception-run.lock), which names the process that ran."""
  return {name: data for name, data in file_contents(directory).items()
          if name != 'inception-run.lock'}


def shard_digests(directory: str,
                  prefixes: Tuple[str, ...] = ('train-', 'validation-')
                  ) -> Dict[str, str]:
  """{shard name: sha256} of the files in `directory` named `<prefix>…` (default the
  train-* and validation-* shards)."""
  return {name: hashlib.sha256(content).hexdigest()
          for name, content in file_contents(directory).items()
          if os.sep not in name and name.startswith(prefixes)}
