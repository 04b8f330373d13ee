"""The conversion manifest: `<output>/conversion_manifest.json`, written atomically.

It says what a conversion planned and wrote, so that a re-run resumes only a run of the
same plan, and so that checkers know the expected counts without reading the shards.
Its name matches neither `train-*` nor `validation-*`. Keys:

  format: "inception-conversion-manifest"
  version: 1
  splits: {<split>: {
    record_format: "imagenet" (15 keys, SPEC §2) or "generic" (build_image_data keys)
    num_shards: int
    plan_fingerprint: sha256 hex over the record format, the number of shards and, per
      shard in order, each image's (filename, label, synset, text, boxes): everything
      that decides the records' content and order (not where the files are read from)
    num_planned_images: images in the plan
    shard_counts: per shard, in index order, the records it holds (null until written)
    complete: true once every shard is written and the counts below are final
    num_images: records written = num_planned_images - num_skipped (null until complete)
    class_counts: {"<label>": records with that label} (empty until complete)
    num_skipped: images left out under --skip_bad_images
    skipped_images: [{source, filename, label, reason, shard}], in shard order
  }}
"""

import hashlib
import json
import os
from typing import Any, Dict, Sequence

from inception import core
from inception.records import _shard_tasks

MANIFEST_NAME = 'conversion_manifest.json'
FORMAT = 'inception-conversion-manifest'
VERSION = 1


def manifest_path(output_directory: str) -> str:
  return os.path.join(output_directory, MANIFEST_NAME)


def plan_fingerprint(record_format: str, num_shards: int,
                     tasks: Sequence[_shard_tasks.ShardTask]) -> str:
  """A sha256 over everything that decides the split's records and their order."""
  digest = hashlib.sha256()
  digest.update(('%s\t%d\n' % (record_format, num_shards)).encode('utf-8'))
  for task in tasks:
    digest.update(('shard\t%d\t%d\n' % (task.index, len(task.entries))).encode('utf-8'))
    for entry, boxes in zip(task.entries, task.boxes):
      digest.update(('%s\t%d\t%s\t%s\t%r\n' % (
          entry.filename, entry.label, entry.synset, entry.text,
          [tuple(b) for b in boxes])).encode('utf-8'))
  return digest.hexdigest()


def empty_manifest() -> Dict[str, Any]:
  return {'format': FORMAT, 'version': VERSION, 'splits': {}}


def new_split_record(record_format: str, num_shards: int, fingerprint: str,
                     num_planned_images: int) -> Dict[str, Any]:
  """The record of a split whose shards are not written yet."""
  return {
      'record_format': record_format,
      'num_shards': num_shards,
      'plan_fingerprint': fingerprint,
      'num_planned_images': num_planned_images,
      'shard_counts': [None] * num_shards,
      'complete': False,
      'num_images': None,
      'class_counts': {},
      'num_skipped': 0,
      'skipped_images': [],
  }


def read_manifest(output_directory: str) -> Dict[str, Any]:
  """Reads the manifest; an empty one if there is none.

  Raises:
    ValueError: the file exists but is not a manifest of this format.
  """
  path = manifest_path(output_directory)
  if not core.exists(path):
    return empty_manifest()
  text = core.read_text(path)
  try:
    manifest = json.loads(text)
  except ValueError as e:
    raise ValueError('%s is not valid JSON (%s); delete it or use --overwrite' %
                     (path, e)) from None
  if not isinstance(manifest, dict) or manifest.get('format') != FORMAT:
    raise ValueError('%s is not a conversion manifest (no "format": "%s")' %
                     (path, FORMAT))
  if manifest.get('version') != VERSION:
    raise ValueError('%s has version %r; this converter writes version %d' %
                     (path, manifest.get('version'), VERSION))
  manifest.setdefault('splits', {})
  return manifest


def write_manifest(output_directory: str, manifest: Dict[str, Any]) -> None:
  """Writes the manifest atomically."""
  core.write_text(manifest_path(output_directory),
                          json.dumps(manifest, indent=1, sort_keys=True) + '\n')


def skipped_to_json(skipped: _shard_tasks.SkippedImage) -> Dict[str, Any]:
  return skipped._asdict()


def skipped_from_json(value: Dict[str, Any]) -> _shard_tasks.SkippedImage:
  return _shard_tasks.SkippedImage(**value)
