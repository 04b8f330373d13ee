"""The ILSVRC2012 tarballs extracted into <data_dir>/raw-data (core's layout).

  <data_dir>/raw-data/train/<wnid>/*.JPEG      one directory per class tar inside
                                               ILSVRC2012_img_train.tar
  <data_dir>/raw-data/validation/*.JPEG        ILSVRC2012_img_val.tar (the relabel step
                                               later moves them into <synset>/)
  <data_dir>/raw-data/test/*.JPEG              ILSVRC2012_img_test_v10102019.tar
                                               (with_test; unlabelled)
  <data_dir>/raw-data/bounding_boxes/<wnid>/*.xml   ILSVRC2012_bbox_train_v2.tar.gz
  <data_dir>/raw-data/validation_bounding_boxes/val/*.xml
                                               ILSVRC2012_bbox_val_v3.tgz

The devkit is not extracted (nothing downstream reads it). acquire extracts each
archive safely, atomically and once (a stamp raw-data/.<archive>.extracted skips it
next time); for validation the stamp alone decides (with the directory still
present), because the relabel step moves the files afterwards. Given the validation
label file's lines, the validation tar's members must be the images it names, checked
before anything is moved into place: a refused tar leaves nothing behind.
"""

import functools
import os
from typing import Dict, Mapping, NamedTuple, Optional, Sequence

from absl import logging

from inception import acquire
from inception import annotations
from inception import driver
from inception.imagenet import _archives
from inception.imagenet import _layout
from inception.imagenet import _splits

# Where each box archive goes in raw-data/.
_BOX_DIRNAMES = {_archives.BBOX_TRAIN_TAR_GZ: _layout.BOUNDING_BOXES_DIRNAME,
                 _archives.BBOX_VALIDATION_TGZ:
                     _layout.VALIDATION_BOUNDING_BOXES_DIRNAME}


class ExtractResult(NamedTuple):
  """What `extract_all` produced; None for an archive that was not given."""
  raw_dir: str
  train_counts: Optional[Dict[str, int]]
  num_validation_images: Optional[int]
  num_bounding_box_files: Optional[int]
  num_validation_bounding_box_files: Optional[int]
  num_test_images: Optional[int] = None


def image_extractions(raw_dir: str,
                      validation_labels: Optional[Sequence[str]] = None
                      ) -> Dict[str, acquire.Extraction]:
  """How each image tarball is extracted into `raw_dir`: the train tar's class tars
  into train/<wnid>/, the validation and test images into validation/ and test/.

  Args:
    validation_labels: the validation label file's lines
      (label_files.read_validation_labels): the validation tar must hold exactly the
      images they name. None: not checked.
  """
  check_members = None
  if validation_labels is not None:
    check_members = functools.partial(
        _splits.validation_members_problem,
        expected=annotations.validation_image_synsets(validation_labels))
  return {
      _archives.TRAIN_TAR: acquire.Extraction(acquire.CLASS_TARS, raw_dir,
                                              driver.TRAIN_DIRNAME),
      _archives.VALIDATION_TAR: acquire.Extraction(acquire.FLAT, raw_dir,
                                                   driver.VALIDATION_DIRNAME,
                                                   check_members),
      _archives.TEST_TAR: acquire.Extraction(acquire.FLAT, raw_dir,
                                             _layout.TEST_DIRNAME),
  }


def extract_all(data_dir: str, archives: Mapping[str, str],
                validation_labels: Optional[Sequence[str]] = None,
                progress_interval: float = 10.0) -> ExtractResult:
  """Extracts the given archives into data_dir/raw-data, smallest first.

  Args:
    archives: {catalogue name (e.g. TRAIN_TAR): its path} of the image tarballs and
      box archives to extract.
    validation_labels: as for image_extractions.

  Raises:
    ValueError: an archive this module does not extract (e.g. the devkit).
    acquire.ExtractionError (and acquire's other errors): an archive is refused.
  """
  if '://' in data_dir:
    raise ValueError('extraction needs a local directory, got %s' % data_dir)
  unknown = sorted(set(archives) - set(_BOX_DIRNAMES) - set(_archives.IMAGE_TARS))
  if unknown:
    raise ValueError('not extracted into raw-data: %s' % ', '.join(unknown))
  raw_dir = driver.raw_data_dir(data_dir)
  os.makedirs(raw_dir, exist_ok=True)
  images = image_extractions(raw_dir, validation_labels)
  counts = {}
  for name in (_archives.BBOX_TRAIN_TAR_GZ, _archives.BBOX_VALIDATION_TGZ):
    if archives.get(name):
      counts[name] = acquire.extract_tree(archives[name], raw_dir, _BOX_DIRNAMES[name],
                                          progress_interval)
  for name in (_archives.VALIDATION_TAR, _archives.TEST_TAR, _archives.TRAIN_TAR):
    if archives.get(name):
      counts[name] = acquire.extract(archives[name], images[name], progress_interval)
  result = ExtractResult(
      raw_dir, counts.get(_archives.TRAIN_TAR), counts.get(_archives.VALIDATION_TAR),
      counts.get(_archives.BBOX_TRAIN_TAR_GZ), counts.get(_archives.BBOX_VALIDATION_TGZ),
      counts.get(_archives.TEST_TAR))
  train = result.train_counts
  logging.info('Extracted into %s: %s', raw_dir, ', '.join(
      '%s %d' % (what, count) for what, count in (
          ('train classes', len(train) if train is not None else None),
          ('train images', sum(train.values()) if train is not None else None),
          ('validation images', result.num_validation_images),
          ('box files', result.num_bounding_box_files),
          ('validation box files', result.num_validation_bounding_box_files),
          ('test images', result.num_test_images))
      if count is not None))
  return result
