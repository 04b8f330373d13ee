"""The shards of a split: the original dataset.py's `<data_dir>/<subset>-*`, shards only.

The original globbed `<data_dir>/<subset>-*` and took whatever matched. `data_files`
keeps from that glob only the names that are shard names of the subset
(records.parse_shard_name, docs/FORMAT.md "Shards"), so a copy such as
`train-00001-of-00004.copy`, a temporary of an interrupted write or another split
named `train-extra-...` is never read as training data. The directory is listed
through core (fsspec for a URL), so s3://, gs://, az:// work as local paths do.
"""

from typing import List

from inception import core
from inception import records


def data_files(data_dir: str, subset: str) -> List[str]:
  """The sorted paths of the shards of `subset` in `data_dir`.

  Raises:
    ValueError: no shard of `subset` matches `<data_dir>/<subset>-*`.
  """
  pattern = core.join(data_dir, subset + '-*')
  names = core.listdir(data_dir) if core.isdir(data_dir) else []
  paths = sorted(core.join(data_dir, name) for name in names
                 if _is_shard_of(name, subset))
  if not paths:
    raise ValueError('no shard of %r matches %s (shard names are %s-NNNNN-of-NNNNN)'
                     % (subset, pattern, subset))
  return paths


def _is_shard_of(name: str, subset: str) -> bool:
  parsed = records.parse_shard_name(name)
  return parsed is not None and parsed.name == name and parsed.split == subset
