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
present), because the relabel step moves the files afterwards.
"""

import os
from typing import Dict, NamedTuple, Optional

from absl import logging

from inception import acquire
from inception import driver
from inception.imagenet import _archives
from inception.imagenet import _layout


class ExtractResult(NamedTuple):
  """What `extract_all` produced; None for an archive that was not given."""
  raw_dir: str
  train_counts: Optional[Dict[str, int]]
  num_validation_images: Optional[int]
  num_bounding_box_files: Optional[int]
  num_validation_bounding_box_files: Optional[int]
  num_test_images: Optional[int] = None


def image_extractions(raw_dir: str) -> Dict[str, acquire.Extraction]:
  """How each image tarball is extracted into `raw_dir`: the train tar's class tars
  into train/<wnid>/, the validation and test images into validation/ and test/."""
  return {
      _archives.TRAIN_TAR: acquire.Extraction(acquire.CLASS_TARS, raw_dir,
                                              driver.TRAIN_DIRNAME),
      _archives.VALIDATION_TAR: acquire.Extraction(acquire.FLAT, raw_dir,
                                                   driver.VALIDATION_DIRNAME),
      _archives.TEST_TAR: acquire.Extraction(acquire.FLAT, raw_dir,
                                             _layout.TEST_DIRNAME),
  }


def extract_all(data_dir: str, train_tar: Optional[str] = None,
                validation_tar: Optional[str] = None,
                bbox_train_tar_gz: Optional[str] = None,
                bbox_validation_tgz: Optional[str] = None,
                progress_interval: float = 10.0,
                test_tar: Optional[str] = None) -> ExtractResult:
  """Extracts the given archives into data_dir/raw-data, smallest first."""
  if '://' in data_dir:
    raise ValueError('extraction needs a local directory, got %s' % data_dir)
  raw_dir = driver.raw_data_dir(data_dir)
  os.makedirs(raw_dir, exist_ok=True)
  images = image_extractions(raw_dir)
  boxes = validation_boxes = validation = train = test = None
  if bbox_train_tar_gz:
    boxes = acquire.extract_tree(bbox_train_tar_gz, raw_dir,
                                 _layout.BOUNDING_BOXES_DIRNAME, progress_interval)
  if bbox_validation_tgz:
    validation_boxes = acquire.extract_tree(
        bbox_validation_tgz, raw_dir, _layout.VALIDATION_BOUNDING_BOXES_DIRNAME,
        progress_interval)
  if validation_tar:
    validation = acquire.extract(validation_tar, images[_archives.VALIDATION_TAR],
                                 progress_interval)
  if test_tar:
    test = acquire.extract(test_tar, images[_archives.TEST_TAR], progress_interval)
  if train_tar:
    train = acquire.extract(train_tar, images[_archives.TRAIN_TAR], progress_interval)
  result = ExtractResult(raw_dir, train, validation, boxes, validation_boxes, test)
  logging.info('Extracted into %s: %s', raw_dir, ', '.join(
      '%s %d' % (what, count) for what, count in (
          ('train classes', len(train) if train is not None else None),
          ('train images', sum(train.values()) if train is not None else None),
          ('validation images', validation), ('box files', boxes),
          ('validation box files', validation_boxes), ('test images', test))
      if count is not None))
  return result
