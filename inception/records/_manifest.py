"""The conversion manifest: `<output>/conversion_manifest.json`, written atomically.

It says what a conversion planned and wrote, so that a re-run resumes only a run of the
same plan, and so that checkers know the expected counts without reading the shards.
Its name matches neither `train-*` nor `validation-*`. Keys:

  format: "inception-conversion-manifest"
  version: 1
  splits: {<split>: {
    record_format: "imagenet" (15 keys, docs/FORMAT.md "Records") or "generic"
      (build_image_data keys)
    num_shards: int
    plan_fingerprint: sha256 hex over the record format, the number of shards, the
      JPEG options of re-encoded images (since issue 25: quality 100, 4:4:4) and, per
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

`Manifest` and `SplitManifest` hold it typed (load_manifest, save_manifest); the file
is their `to_json()`, keys sorted, as it always was, so older manifests read back.
"""

import dataclasses
import hashlib
import json
from typing import Any, Dict, Iterator, List, Mapping, Optional, Sequence, Tuple

from inception import core
from inception.records import _entries
from inception.records import _image_coding
from inception.records import _shard_tasks

FORMAT = 'inception-conversion-manifest'
VERSION = 1


@dataclasses.dataclass
class SplitManifest:
  """One split's record: its plan, and what of it is written so far (keys above)."""
  record_format: str
  num_shards: int
  plan_fingerprint: str
  num_planned_images: int
  shard_counts: List[Optional[int]]
  complete: bool = False
  num_images: Optional[int] = None
  class_counts: Dict[str, int] = dataclasses.field(default_factory=dict)
  skipped_images: List[_shard_tasks.SkippedImage] = dataclasses.field(
      default_factory=list)

  @classmethod
  def planned(cls, record_format: str, num_shards: int, fingerprint: str,
              num_planned_images: int) -> 'SplitManifest':
    """The record of a split whose shards are not written yet."""
    return cls(record_format, num_shards, fingerprint, num_planned_images,
               [None] * num_shards)

  def to_json(self) -> Dict[str, Any]:
    return {
        'record_format': self.record_format,
        'num_shards': self.num_shards,
        'plan_fingerprint': self.plan_fingerprint,
        'num_planned_images': self.num_planned_images,
        'shard_counts': list(self.shard_counts),
        'complete': self.complete,
        'num_images': self.num_images,
        'class_counts': dict(self.class_counts),
        'num_skipped': len(self.skipped_images),
        'skipped_images': [s._asdict() for s in self.skipped_images],
    }

  @classmethod
  def from_json(cls, value: Mapping[str, Any]) -> 'SplitManifest':
    """The record from its JSON object; `num_skipped` is len(skipped_images).

    Raises:
      KeyError, TypeError, ValueError: a key is missing or has the wrong type.
    """
    return cls(
        record_format=str(value['record_format']),
        num_shards=int(value['num_shards']),
        plan_fingerprint=str(value['plan_fingerprint']),
        num_planned_images=int(value['num_planned_images']),
        shard_counts=[None if n is None else int(n) for n in value['shard_counts']],
        complete=bool(value['complete']),
        num_images=None if value['num_images'] is None else int(value['num_images']),
        class_counts={str(k): int(n) for k, n in value['class_counts'].items()},
        skipped_images=[_shard_tasks.SkippedImage(**s) for s in value['skipped_images']])


@dataclasses.dataclass
class Manifest:
  """The whole file: one SplitManifest per split converted into the directory."""
  splits: Dict[str, SplitManifest] = dataclasses.field(default_factory=dict)

  def to_json(self) -> Dict[str, Any]:
    return {'format': FORMAT, 'version': VERSION,
            'splits': {name: split.to_json() for name, split in self.splits.items()}}

  @classmethod
  def from_json(cls, value: Mapping[str, Any], source: str) -> 'Manifest':
    """The manifest from its JSON object, as _read_json checked it.

    Raises:
      ValueError: a split's record lacks a key or has one of the wrong type.
    """
    try:
      return cls({name: SplitManifest.from_json(split)
                  for name, split in value['splits'].items()})
    except (KeyError, TypeError, ValueError, AttributeError) as e:
      raise ValueError('%s is not a conversion manifest (%s: %s); delete it or use '
                       '--overwrite' % (source, type(e).__name__, e)) from None


def plan_fingerprint(record_format: str, num_shards: int,
                     tasks: Sequence[_shard_tasks.ShardTask],
                     reencode: Optional[Mapping[str, Any]] = (
                         _image_coding.REENCODE_OPTIONS)) -> str:
  """A sha256 over everything that decides the split's records and their order.

  `reencode` is how images are re-encoded (PIL's JPEG options, sorted into one line);
  None gives the fingerprint of the versions before it counted (quality 100, 4:2:0),
  so that such a plan can be told apart from another one.
  """
  digest = hashlib.sha256()
  digest.update(('%s\t%d\n' % (record_format, num_shards)).encode('utf-8'))
  if reencode is not None:
    digest.update(('reencode\t%s\n' % ' '.join(
        '%s=%s' % item for item in sorted(reencode.items()))).encode('utf-8'))
  class_fields = {}  # id(a class table) -> {label: its fields' text}
  for task in tasks:
    digest.update(('shard\t%d\t%d\n' % (task.index, len(task.entries))).encode('utf-8'))
    # A shard's lines hashed at once (the same byte stream as line by line), read
    # from the entries' columns where they are (no ImageEntry, no source path made).
    digest.update(''.join(_fingerprint_lines(task, class_fields)).encode('utf-8'))
  return digest.hexdigest()


def _fingerprint_lines(task: _shard_tasks.ShardTask,
                       class_fields: Dict[int, Tuple[Any, Dict[int, str]]]
                       ) -> Iterator[str]:
  """`filename<TAB>label<TAB>synset<TAB>text<TAB>[boxes]` per entry."""
  entries = task.entries
  if not isinstance(entries, _entries.ShardEntries):
    for entry, boxes in zip(entries, task.boxes):
      yield '%s\t%d\t%s\t%s\t%r\n' % (entry.filename, entry.label, entry.synset,
                                      entry.text, [tuple(b) for b in boxes])
    return
  table = entries.classes
  known = class_fields.get(id(table))
  if known is None or known[0] is not table or len(known[1]) != len(table):
    known = class_fields[id(table)] = (table, {
        label: '\t%d\t%s\t%s\t' % (label, synset, text)
        for label, (synset, text, _) in table.items()})
  classes = known[1]
  for filename, label, boxes in zip(entries.filenames(), entries.labels, task.boxes):
    yield '%s%s%s\n' % (filename, classes[label],
                        '[]' if not boxes else repr([tuple(b) for b in boxes]))


def _read_json(output_directory: str) -> Dict[str, Any]:
  """Reads the manifest as JSON; an empty one if there is none.

  Checks the format and version only; load_manifest also checks each split's keys.

  Raises:
    ValueError: the file exists but is not a manifest of this format.
  """
  path = core.manifest_path(output_directory)
  if not core.exists(path):
    return Manifest().to_json()
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


def _write_json(output_directory: str, manifest: Mapping[str, Any]) -> None:
  """Writes the manifest's JSON atomically."""
  core.write_text(core.manifest_path(output_directory),
                  json.dumps(manifest, indent=1, sort_keys=True) + '\n')


def load_manifest(output_directory: str) -> Manifest:
  """Reads the manifest, every split's record checked; an empty one if there is none.

  Raises:
    ValueError: the file exists but is not a manifest of this format.
  """
  return Manifest.from_json(_read_json(output_directory),
                            core.manifest_path(output_directory))


def save_manifest(output_directory: str, manifest: Manifest) -> None:
  """Writes the manifest atomically, in the same JSON as ever (keys sorted)."""
  _write_json(output_directory, manifest.to_json())
