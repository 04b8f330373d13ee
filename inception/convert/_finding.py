"""Finding a split's images: a folder per class, a flat folder, or tar members.

Each finder gives the split's entries as columns (records.ShardEntries, a sequence of
ImageEntry), built with records.EntriesBuilder: no object per image. An image is a
.jpeg/.jpg/.png file in any case of extension (`is_image`); other files are left out,
with a warning for a directory.
"""

import collections
import os
from typing import AbstractSet, Any, List, NamedTuple, Optional, Sequence

from absl import logging

from inception import core
from inception import records
from inception.convert import _options

IMAGE_EXTENSIONS = ('.jpeg', '.jpg', '.png')


class ImageClass(NamedTuple):
  """One class of a folder-per-class set: its label is 1 + its index in the list."""
  directory: str  # the class folder's name
  synset: str  # image/class/synset ('' for none)
  text: str  # image/class/text


def is_image(name: str) -> bool:
  """Whether a file name ends in .jpeg, .jpg or .png, in any case."""
  return name.lower().endswith(IMAGE_EXTENSIONS)


def find_class_entries(directory: str, classes: Sequence[ImageClass],
                       optional: AbstractSet[str] = frozenset()
                       ) -> records.ShardEntries:
  """Lists the images of each `<directory>/<class directory>/` in label order (label =
  1 + the class's index). A class directory named in `optional` may be missing (the
  class then has no image here: a split that holds some classes only).

  Returns:
    The entries as columns, sorted by (label, filename): the sorted file list that is
    shuffled.

  Raises:
    ConversionError: a class directory is missing (and not optional) or holds no
      image.
  """
  builder = records.EntriesBuilder()
  for label, (name, synset, text) in enumerate(classes, 1):
    class_directory = os.path.join(directory, name)
    if name in optional and not core.isdir(class_directory):
      continue
    builder.add_directory(label, synset, text, class_directory,
                          _image_names(class_directory, 'class directory'))
  return builder.build()


def find_generic_entries(directory: str, labels: Sequence[str]
                         ) -> records.ShardEntries:
  """Lists `<directory>/<name>/` images for a folder-per-class set (flowers style).

  Label = 1 + the name's index in `labels`; the text is the directory name.

  Raises:
    ConversionError: a class directory is missing or holds no image.
  """
  return find_class_entries(directory, [ImageClass(name, '', name) for name in labels])


def find_unlabelled_entries(directory: str, what: str) -> records.ShardEntries:
  """The images of a flat directory, unlabelled (label records.UNLABELLED, no synset
  or text), sorted by name.

  Args:
    what: how messages name the directory, e.g. 'test directory'.

  Raises:
    ConversionError: the directory is missing or holds no image.
  """
  builder = records.EntriesBuilder()
  builder.add_directory(records.UNLABELLED, '', '', directory,
                        _image_names(directory, what))
  return builder.build()


def image_members(members: Sequence[Any]) -> List[Any]:
  """The members of a tar index (acquire.TarMember-like) that are images, sorted by
  name: in a split's tar, what a directory of its files would list."""
  return sorted((m for m in members if is_image(m.name)), key=lambda m: m.name)


def read_generic_labels(labels_file: str) -> List[str]:
  """Reads a build_image_data labels file: one class directory name per line."""
  labels = [line.strip() for line in core.read_text(labels_file).splitlines()
            if line.strip()]
  if not labels:
    raise ValueError('%s lists no class' % labels_file)
  duplicates = sorted(n for n, c in collections.Counter(labels).items() if c > 1)
  if duplicates:
    raise ValueError('%s lists classes twice: %s' % (labels_file, ', '.join(duplicates)))
  return labels


def _image_names(directory: str, what: str) -> List[str]:
  """The names of the images in `directory` (`what` names it), sorted."""
  names = _list_files(directory)
  if names is None:
    raise _options.ConversionError('%s %s does not exist' % (what, directory))
  images = sorted(n for n in names if is_image(n))
  ignored = len(names) - len(images)
  if ignored:
    logging.warning('%s: ignored %d files that are not .jpeg/.jpg/.png', directory,
                    ignored)
  if not images:
    raise _options.ConversionError('%s %s holds no .jpeg/.jpg/.png image' %
                                   (what, directory))
  return images


def _list_files(directory: str) -> Optional[List[str]]:
  """Names of the non-directories in `directory`; None if it does not exist.

  Anything not a directory counts, so a broken link is reported as unreadable rather
  than silently left out.
  """
  if '://' in directory:
    if not core.isdir(directory):
      return None
    return [n for n in core.listdir(directory) if not n.endswith('/')]
  try:
    with os.scandir(directory) as scan:
      return [e.name for e in scan if not e.is_dir()]
  except (FileNotFoundError, NotADirectoryError):
    return None
