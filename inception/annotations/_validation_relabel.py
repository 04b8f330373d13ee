"""Validation relabel: move `ILSVRC2012_val_%08d.JPEG` into `<dir>/<synset>/`.

Line i (from 1) of the validation label file is the synset of `ILSVRC2012_val_%08d`
% i (docs/FORMAT.md, "Pipeline", step 4). The original renamed files in place and could not be re-run; here
the step is idempotent (docs/FORMAT.md, "Semantics"):
- the directory is checked against the label file before anything moves: every named
  image must be present exactly once, flat or already in its class directory, and no
  other file may be there; otherwise the run is refused with the counts and the first
  names, and nothing is moved;
- a re-run finds every image in place and does nothing; a run interrupted halfway
  (some images moved, some still flat) is completed;
- moves are renames that never replace a file, and no image is ever deleted. An image
  both flat and in its class directory with identical bytes (a copy, not our doing)
  is left where it is and reported; with different bytes the run is refused.
"""

import dataclasses
from typing import Dict, Iterable, List, Mapping, NamedTuple, Optional, Sequence, Set

from absl import logging

from inception import core

VALIDATION_FILENAME = 'ILSVRC2012_val_%08d.JPEG'
_MAX_NAMES_SHOWN = 5


class DirectoryMismatchError(ValueError):
  """The validation directory does not hold exactly the images of the label file."""


class Move(NamedTuple):
  filename: str
  synset: str


@dataclasses.dataclass
class RelabelStats:
  """What one run found and did."""
  images: int = 0  # images named by the label file
  moved: int = 0  # moved into their class directory by this run
  already_in_place: int = 0  # found in their class directory
  flat_copies_left: List[str] = dataclasses.field(default_factory=list)

  def summary(self) -> str:
    text = ('Validation images: %d; moved into class directories: %d; already in '
            'place: %d' % (self.images, self.moved, self.already_in_place))
    if self.flat_copies_left:
      text += ('; %d identical flat copies of images already in place left untouched '
               '(first: %s)' % (len(self.flat_copies_left),
                                ', '.join(self.flat_copies_left[:_MAX_NAMES_SHOWN])))
    return text


class Plan(NamedTuple):
  """The outcome of checking a directory: what to move, and what is wrong."""
  moves: List[Move]  # flat images to move into their class directory
  in_place: List[str]  # images only in their class directory
  flat_and_in_place: List[Move]  # images both flat and in their class directory
  missing: List[str]  # named by the labels, found nowhere
  unexpected: List[str]  # files the labels do not name (as `dir/name` if in a subdir)
  misplaced: List[str]  # `synset/name` where the labels give another synset


def validation_filename(index: int) -> str:
  """The file name of validation image `index` (from 1)."""
  return VALIDATION_FILENAME % index


def plan_moves(labels: Sequence[str]) -> List[Move]:
  """Line i of the labels → (ILSVRC2012_val_%08d.JPEG % (i + 1), synset)."""
  return [Move(validation_filename(i), synset) for i, synset in enumerate(labels, 1)]


def validation_image_synsets(labels: Sequence[str]) -> Dict[str, str]:
  """{ILSVRC2012_val_%08d.JPEG: synset} for every image the validation labels name."""
  return dict(plan_moves(labels))


def plan_relabel(moves: Sequence[Move], flat_files: Iterable[str],
                 class_files: Mapping[str, Iterable[str]]) -> Plan:
  """Compares what the labels name with what the directory holds.

  Args:
    moves: the full list from plan_moves.
    flat_files: names of the files directly in the validation directory.
    class_files: subdirectory name → names of the files in it.

  Returns:
    The Plan; the directory is usable when missing, unexpected and misplaced are empty.
  """
  synset_of = {move.filename: move.synset for move in moves}
  flat = set(flat_files)
  placed: Set[str] = set()
  misplaced_names: Set[str] = set()
  unexpected, misplaced = [], []
  for directory in sorted(class_files):
    for name in sorted(class_files[directory]):
      if name not in synset_of:
        unexpected.append('%s/%s' % (directory, name))
      elif synset_of[name] != directory:
        misplaced.append('%s/%s (the label file says %s)' %
                         (directory, name, synset_of[name]))
        misplaced_names.add(name)
      else:
        placed.add(name)
  unexpected = sorted(name for name in flat if name not in synset_of) + unexpected
  plan = Plan([], [], [], [], unexpected, misplaced)
  for move in moves:
    if move.filename in placed:
      if move.filename in flat:
        plan.flat_and_in_place.append(move)
      else:
        plan.in_place.append(move.filename)
    elif move.filename in flat:
      plan.moves.append(move)
    elif move.filename not in misplaced_names:
      plan.missing.append(move.filename)
  return plan


def _first(names: Sequence[str]) -> str:
  shown = ', '.join(names[:_MAX_NAMES_SHOWN])
  return shown + (', ...' if len(names) > _MAX_NAMES_SHOWN else '')


def mismatch_message(plan: Plan, validation_dir: str, labels_source: str,
                     num_labels: int) -> Optional[str]:
  """The refusal message for a directory that does not match the labels, else None."""
  problems = []
  if plan.missing:
    problems.append('%d missing (first: %s)' % (len(plan.missing), _first(plan.missing)))
  if plan.unexpected:
    problems.append('%d files the label file does not name (first: %s)' %
                    (len(plan.unexpected), _first(plan.unexpected)))
  if plan.misplaced:
    problems.append('%d in the wrong class directory (first: %s)' %
                    (len(plan.misplaced), _first(plan.misplaced)))
  if not problems:
    return None
  return ('validation directory %s does not match %s (%d images): %s. Nothing was '
          'moved. The directory must hold exactly the images of the label file (as '
          'extracted from ILSVRC2012_img_val.tar, or already moved into their class '
          'directories by an earlier run).' %
          (validation_dir, labels_source, num_labels, '; '.join(problems)))


def _list_directory(validation_dir: str) -> (List[str], Dict[str, List[str]]):
  """(files directly in the directory, {subdirectory: its files})."""
  flat, class_files = [], {}
  for entry in core.listdir(validation_dir):
    name = entry.rstrip('/')
    path = core.join(validation_dir, name)
    if entry.endswith('/') or core.isdir(path):
      class_files[name] = [child for child in core.listdir(path)
                           if not child.endswith('/')
                           and not core.isdir(core.join(path, child))]
    else:
      flat.append(name)
  return flat, class_files


def _same_bytes(path_a: str, path_b: str) -> bool:
  return core.read_bytes(path_a) == core.read_bytes(path_b)


def relabel_validation_directory(
    validation_dir: str, labels: Sequence[str],
    labels_source: str = 'the validation label file') -> RelabelStats:
  """Moves each validation image into the directory of its synset.

  Args:
    validation_dir: holds `ILSVRC2012_val_*.JPEG` flat, in class directories, or both
      (a run interrupted halfway).
    labels: line i is the synset of image i + 1 (label_data.read_validation_labels).
    labels_source: how to name the labels in messages (e.g. the label file's path).

  Returns:
    What was found and moved.

  Raises:
    FileNotFoundError: `validation_dir` is not a directory.
    DirectoryMismatchError: the images present are not exactly those the labels
      name, or an image is both flat and in place with different bytes; nothing moved.
  """
  if not core.isdir(validation_dir):
    raise FileNotFoundError('validation directory %s does not exist' % validation_dir)
  if not labels:
    raise ValueError('%s names no image' % labels_source)
  moves = plan_moves(labels)
  flat, class_files = _list_directory(validation_dir)
  plan = plan_relabel(moves, flat, class_files)
  message = mismatch_message(plan, validation_dir, labels_source, len(moves))
  if message:
    raise DirectoryMismatchError(message)
  different = [move.filename for move in plan.flat_and_in_place
               if not _same_bytes(core.join(validation_dir, move.filename),
                                  core.join(validation_dir, move.synset,
                                               move.filename))]
  if different:
    raise DirectoryMismatchError(
        'validation directory %s: %d images are both flat and in their class '
        'directory with different bytes (first: %s); which one is right is unknown. '
        'Nothing was moved.' % (validation_dir, len(different), _first(different)))

  stats = RelabelStats(images=len(moves), already_in_place=len(plan.in_place),
                       flat_copies_left=[m.filename for m in plan.flat_and_in_place])
  stats.already_in_place += len(plan.flat_and_in_place)
  created: Set[str] = set(class_files)
  meter = core.Progress('Relabeling validation images', len(plan.moves), 'images')
  for move in plan.moves:
    if move.synset not in created:
      core.makedirs(core.join(validation_dir, move.synset))
      created.add(move.synset)
    core.rename(core.join(validation_dir, move.filename),
                core.join(validation_dir, move.synset, move.filename), overwrite=False)
    stats.moved += 1
    meter.update()
  meter.finish()
  if stats.flat_copies_left:
    logging.warning('%s', stats.summary())
  return stats
