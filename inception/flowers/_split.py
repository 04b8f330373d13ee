"""The train/validation split of the extracted flower_photos/, deterministic and
non-destructive.

The original moved 100 images per class chosen by `shuf` out of the extracted tree, so
every run gave another split and a re-run found the tree changed. Here an image is
chosen by its rank under SHA-256 of (seed, class, file name): the same images on any
machine, with any listing order or Python version. The extracted tree stays as the
archive has it; raw-data/train/<class>/ and raw-data/validation/<class>/ are built
from it as hard links (copies where links are impossible) under a staging directory
and renamed into place, so a re-run rebuilds the same split from the same tree.
raw-data/labels.txt lists the class directory names, sorted (the original's
`ls | sort`).
"""

import hashlib
import os
import shutil
from typing import Dict, List, Sequence

from inception import core
from inception import driver

LABELS_FILENAME = 'labels.txt'
STAGING_DIRNAME = '.splitting'


class SplitError(ValueError):
  """The extracted tree cannot give the split asked for; the message names it."""


def validation_names(names: Sequence[str], class_name: str, count: int,
                     seed: int) -> List[str]:
  """The `count` names of one class held out for validation, sorted.

  Each name's rank is the SHA-256 of '<seed>/<class>/<name>': independent of the order
  of `names` and of any random number generator.
  """
  def rank(name: str) -> str:
    return hashlib.sha256(('%d/%s/%s' % (seed, class_name, name)).encode()).hexdigest()

  return sorted(sorted(names, key=rank)[:count])


def class_images(root: str) -> Dict[str, List[str]]:
  """{class directory name: its file names, sorted} under the extracted `root`.

  Files directly in `root` (LICENSE.txt) are not classes.

  Raises:
    SplitError: `root` is missing or holds no class directory.
  """
  if not os.path.isdir(root):
    raise SplitError('%s does not exist: the archive is not laid out as '
                     'flower_photos/<class>/' % root)
  classes = {}
  for entry in sorted(os.scandir(root), key=lambda e: e.name):
    if entry.is_dir(follow_symlinks=False):
      with os.scandir(entry.path) as files:
        classes[entry.name] = sorted(f.name for f in files
                                     if f.is_file(follow_symlinks=False))
  if not classes:
    raise SplitError('%s holds no class directory' % root)
  return classes


def _link(source: str, target: str) -> None:
  try:
    os.link(source, target)
  except OSError:
    shutil.copyfile(source, target)


def _replace_dir(staging: str, final: str) -> None:
  if os.path.lexists(final):
    shutil.rmtree(final)
  os.rename(staging, final)


def split_tree(root: str, raw_dir: str, validation_per_class: int,
               seed: int) -> Dict[str, Dict[str, int]]:
  """Builds raw_dir/{train,validation}/<class>/ and raw_dir/labels.txt from `root`.

  Returns:
    {'train': {class: images}, 'validation': {class: images}}.

  Raises:
    SplitError: a class has no more images than `validation_per_class`.
  """
  classes = class_images(root)
  small = ['%s (%d)' % (name, len(files)) for name, files in classes.items()
           if len(files) <= validation_per_class]
  if small:
    raise SplitError('%s: to hold out %d validation images per class and keep some '
                     'for training, each class needs more; these have too few: %s' %
                     (root, validation_per_class, ', '.join(small)))
  staging = os.path.join(raw_dir, STAGING_DIRNAME)
  if os.path.lexists(staging):
    shutil.rmtree(staging)
  counts = {driver.TRAIN_DIRNAME: {}, driver.VALIDATION_DIRNAME: {}}
  for name, files in classes.items():
    held_out = set(validation_names(files, name, validation_per_class, seed))
    for split in counts:
      os.makedirs(os.path.join(staging, split, name))
    for filename in files:
      split = driver.VALIDATION_DIRNAME if filename in held_out else driver.TRAIN_DIRNAME
      _link(os.path.join(root, name, filename),
            os.path.join(staging, split, name, filename))
    counts[driver.TRAIN_DIRNAME][name] = len(files) - len(held_out)
    counts[driver.VALIDATION_DIRNAME][name] = len(held_out)
  for split in counts:
    _replace_dir(os.path.join(staging, split), os.path.join(raw_dir, split))
  os.rmdir(staging)
  core.write_text(labels_path(raw_dir), ''.join(name + '\n' for name in classes))
  return counts


def labels_path(raw_dir: str) -> str:
  """raw-data/labels.txt: the class directory names, one a line, sorted."""
  return os.path.join(raw_dir, LABELS_FILENAME)
