"""The ImageNet demo: the identical pipeline on a generated mini ImageNet, offline,
from the official tarballs' layout or (source_format) from Kaggle's tree or zip, or
Hugging Face's parquet or tar.gz files (with the fixture's box archives beside them)."""

import dataclasses
import json
import os
import shutil
from typing import Any, Dict

from inception import convert
from inception import core
from inception import driver
from inception import imagenet
from inception import label_files
from inception import records
from inception.demo import _mini_imagenet

_RECORD = 'fixture.json'
# Where the demo's mini ImageNet goes in the other publishers' layouts, under
# demo-source/.
LAYOUT_DEMO_DIRNAMES = {imagenet.KAGGLE: 'kaggle', imagenet.KAGGLE_ZIP: 'kaggle-zip',
                        imagenet.HF_PARQUET: 'hf-parquet',
                        imagenet.HF_TARGZ: 'hf-targz'}

# The demo's mini ImageNet: a few classes, a few hundred photo-like images.
IMAGENET_DEMO_CONFIG = _mini_imagenet.Config(num_classes=8, images_per_class=32,
                                             num_validation_images=64, seed=2012)
# 8 train, 2 validation and (with with_test) 2 test shards.
IMAGENET_DEMO_SHARD_COUNTS = convert.ShardCounts(train=8, validation=2, test=2)
# With with_test: the demo's unlabelled test images.
IMAGENET_DEMO_TEST_IMAGES = 24


def imagenet_demo_source(data_dir: str,
                         config: _mini_imagenet.Config = IMAGENET_DEMO_CONFIG
                         ) -> Dict[str, Any]:
  """Builds the demo's mini ImageNet under <data_dir>/demo-source/ once.

  Returns the paths and expected counts the settings need. The counts are recorded
  in demo-source/fixture.json so that a re-run neither regenerates nor touches the
  tarballs (the download and extract steps trust their stamps).
  """
  source = driver.demo_source_dir(data_dir)
  record_path = os.path.join(source, _RECORD)
  wanted = dataclasses.asdict(config)
  record = None
  if core.exists(record_path):
    record = json.loads(core.read_text(record_path))
  if not record or record.get('config') != wanted:
    fixture = _mini_imagenet.generate(source, config)
    counts = {records.TRAIN: sum(fixture.train_counts.values()),
              records.VALIDATION: len(fixture.validation_labels)}
    if fixture.num_test_images:
      counts[records.TEST] = fixture.num_test_images
    record = {'config': wanted, 'expected_counts': counts,
              'hard_cases': dict(fixture.hard_cases)}
    core.write_text(record_path, json.dumps(record, indent=2, sort_keys=True))
  paths = {key: os.path.join(source, name) for key, name in (
      ('checksums_file', _mini_imagenet.CHECKSUMS_FILE),
      ('labels_file', label_files.SYNSETS_FILE),
      ('metadata_file', label_files.METADATA_FILE),
      ('validation_labels_file', label_files.VALIDATION_LABELS_FILE))}
  return dict(record, source=source, **paths)


def layout_demo_source(data_dir: str, source_format: str,
                       config: _mini_imagenet.Config = IMAGENET_DEMO_CONFIG) -> str:
  """Writes the demo's mini ImageNet in another publisher's layout (source_format:
  Kaggle's tree or zip, Hugging Face's parquet or tar.gz, the fixture's box archives
  beside its data/) under demo-source/ once; returns its directory.

  The layout is made from the tarballs' fixture (generated again: the same config
  gives the same bytes), and a stamp beside it records the config it was made from.
  """
  source = driver.demo_source_dir(data_dir)
  imagenet_demo_source(data_dir, config)
  directory = os.path.join(source, LAYOUT_DEMO_DIRNAMES[source_format])
  stamp = directory + '.json'
  wanted = json.dumps(dataclasses.asdict(config), sort_keys=True)
  if not core.exists(stamp) or core.read_text(stamp) != wanted:
    # Imported here: Hugging Face's layout needs pyarrow, a third of the driver's
    # start-up, and only a demo in another layout writes one.
    # pylint: disable=g-import-not-at-top
    from inception.demo import _hugging_face_layout
    from inception.demo import _kaggle_layout
    # pylint: enable=g-import-not-at-top
    fixture = _mini_imagenet.generate(source, config)
    writers = {imagenet.KAGGLE: _kaggle_layout.write_kaggle_tree,
               imagenet.KAGGLE_ZIP: _kaggle_layout.write_kaggle_zip,
               imagenet.HF_PARQUET: _hugging_face_layout.write_hf_parquet,
               imagenet.HF_TARGZ: _hugging_face_layout.write_hf_targz}
    writers[source_format](fixture, directory)
    if source_format in imagenet.SPOOLED:
      for archive in (fixture.bbox_train_tar_gz, fixture.bbox_validation_tgz):
        with open(archive, 'rb') as f, core.atomic_output(
            os.path.join(directory, os.path.basename(archive))) as copy:
          shutil.copyfileobj(f, copy)
    core.write_text(stamp, wanted)
  return directory


def refuse_imagenet_demo_in_store(data_dir: str, no_extract: bool = False,
                                  source_format: str = imagenet.AUTO) -> None:
  """Refuses, in one line and before the mini ImageNet is written, a demo whose
  DATA_DIR is in object storage but that could not run there: its tarballs, written
  under DATA_DIR/demo-source/ in the store, are read in place, so with no_extract
  only (as a store's tarballs are); the other layouts' demo sources are written
  with local files only.

  Raises:
    ValueError: a remote DATA_DIR without no_extract, or with another layout.
  """
  if not core.is_remote(data_dir):
    return
  if source_format in LAYOUT_DEMO_DIRNAMES:
    raise ValueError('--demo --source_format=%s: DATA_DIR %s is in object storage, '
                     'and the demo writes that layout with local files only; give a '
                     'local DATA_DIR, or the tarballs\' demo (--no_extract)' %
                     (source_format, data_dir))
  if not no_extract:
    raise ValueError('--demo: DATA_DIR %s is in object storage: give --no_extract '
                     '(the demo\'s tarballs are written under %s and read there in '
                     'place, as tarballs in a store are; the extraction would write '
                     'each image as an object)' %
                     (data_dir, driver.demo_source_dir(data_dir)))


def imagenet_demo_settings(data_dir: str,
                           config: _mini_imagenet.Config = IMAGENET_DEMO_CONFIG,
                           **overrides: Any) -> imagenet.Settings:
  """The settings that run the identical pipeline on the demo's mini ImageNet,
  with no credentials: the tarballs symlinked from demo-source/, or with
  source_format=kaggle (kaggle_zip, hf_parquet, hf_targz) Kaggle's tree (zip,
  Hugging Face's parquet or tar.gz files, their box archives' MD5s from the
  fixture's checksums file) there;
  with_test=True adds test images to the fixture (IMAGENET_DEMO_TEST_IMAGES unless
  `config` has some)."""
  refuse_imagenet_demo_in_store(data_dir, overrides.get('no_extract', False),
                                overrides.get('source_format', imagenet.AUTO))
  if overrides.get('with_test') and not config.num_test_images:
    config = dataclasses.replace(config, num_test_images=IMAGENET_DEMO_TEST_IMAGES)
  fixture = imagenet_demo_source(data_dir, config)
  values = dict(
      data_dir=data_dir, validation_bounding_boxes=True,
      labels=label_files.LabelFiles(fixture['labels_file'], fixture['metadata_file'],
                                    fixture['validation_labels_file']),
      shards=IMAGENET_DEMO_SHARD_COUNTS, expected_counts=fixture['expected_counts'])
  source_format = overrides.get('source_format', imagenet.AUTO)
  if source_format in LAYOUT_DEMO_DIRNAMES:
    values['source'] = layout_demo_source(data_dir, source_format, config)
    if source_format in imagenet.SPOOLED:
      values['checksums_file'] = fixture['checksums_file']
  else:
    values.update(source=fixture['source'], link_mode='symlink',
                  checksums_file=fixture['checksums_file'])
  values.update(overrides)
  return imagenet.Settings(**values)
