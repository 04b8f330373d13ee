"""The flowers demo: the identical flowers driver on a mini flower_photos.tgz, offline."""

import dataclasses
import json
import os
from typing import Any

from inception import core
from inception import driver
from inception import flowers
from inception.demo import _mini_flowers

FLOWERS_DEMO_CONFIG = _mini_flowers.FlowersConfig(images_per_class=12, seed=2012)
FLOWERS_DEMO_VALIDATION_PER_CLASS = 3
_RECORD = 'mini_flowers.json'


def flowers_demo_archive(data_dir: str,
                         config: _mini_flowers.FlowersConfig = FLOWERS_DEMO_CONFIG
                         ) -> flowers.Archive:
  """Builds the mini flower_photos.tgz under <data_dir>/demo-source/ once.

  Its facts are recorded in demo-source/mini_flowers.json with the config, so that a
  re-run neither regenerates nor touches the tarball.
  """
  source = driver.demo_source_dir(data_dir)
  record_path = os.path.join(source, _RECORD)
  wanted = dataclasses.asdict(config)
  record = json.loads(core.read_text(record_path)) if core.exists(record_path) else {}
  if record.get('config') != wanted:
    mini = _mini_flowers.generate_flowers(source, config)
    record = {'config': wanted, 'archive': flowers.Archive(
        os.path.basename(mini.path), mini.size, mini.md5, mini.sha256)._asdict()}
    core.write_text(record_path, json.dumps(record, indent=2, sort_keys=True) + '\n')
  return flowers.Archive(**record['archive'])


def flowers_demo_settings(data_dir: str,
                          config: _mini_flowers.FlowersConfig = FLOWERS_DEMO_CONFIG,
                          **overrides: Any) -> flowers.Settings:
  """The settings that run the identical flowers driver on the mini tarball, offline
  (symlinked from demo-source/)."""
  values = dict(data_dir=data_dir, source=driver.demo_source_dir(data_dir),
                link_mode='symlink', archive=flowers_demo_archive(data_dir, config),
                validation_per_class=FLOWERS_DEMO_VALIDATION_PER_CLASS)
  values.update(overrides)
  return flowers.Settings(**values)
