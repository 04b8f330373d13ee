"""Tests for inception.conversion_manifest: fingerprints, reading and writing."""

import json
import os

from absl.testing import absltest

from inception import records
from inception.records import _manifest


def _task(index, entries, boxes=None):
  entries = tuple(records.ImageEntry('/raw/' + f, f, label, 'n%d' % label,
                                         't%d' % label) for f, label in entries)
  return records.ShardTask('train', index, 2, '/out/x', entries,
                               boxes or tuple(() for _ in entries))


class FingerprintTest(absltest.TestCase):

  def setUp(self):
    super().setUp()
    self.tasks = [_task(0, [('a.JPEG', 1), ('b.JPEG', 2)]), _task(1, [('c.JPEG', 1)])]
    self.fingerprint = _manifest.plan_fingerprint('imagenet', 2, self.tasks)

  def test_stable_and_independent_of_source_paths(self):
    moved = [t._replace(entries=tuple(e._replace(source='/elsewhere/' + e.filename)
                                      for e in t.entries)) for t in self.tasks]
    self.assertEqual(_manifest.plan_fingerprint('imagenet', 2, moved),
                     self.fingerprint)
    self.assertLen(self.fingerprint, 64)

  def test_changes_with_anything_that_changes_records(self):
    variants = [
        ('generic', 2, self.tasks),
        ('imagenet', 3, self.tasks),
        ('imagenet', 2, [_task(0, [('a.JPEG', 1), ('b.JPEG', 3)]), self.tasks[1]]),
        ('imagenet', 2, [_task(0, [('b.JPEG', 2), ('a.JPEG', 1)]), self.tasks[1]]),
        ('imagenet', 2, [_task(0, [('a.JPEG', 1)]), _task(1, [('b.JPEG', 2),
                                                              ('c.JPEG', 1)])]),
        ('imagenet', 2, [_task(0, [('a.JPEG', 1), ('b.JPEG', 2)],
                               boxes=(((0.1, 0.2, 0.3, 0.4),), ())), self.tasks[1]]),
        ('imagenet', 2, [self.tasks[0], self.tasks[1]._replace(
            entries=(self.tasks[1].entries[0]._replace(text='other'),))]),
    ]
    for variant in variants:
      self.assertNotEqual(_manifest.plan_fingerprint(*variant),
                          self.fingerprint, variant)


class ReadWriteTest(absltest.TestCase):

  def test_missing_manifest_is_empty(self):
    manifest = _manifest.read_manifest(self.create_tempdir().full_path)
    self.assertEqual(manifest['splits'], {})

  def test_round_trip_and_name(self):
    directory = self.create_tempdir().full_path
    manifest = _manifest.empty_manifest()
    record = _manifest.new_split_record('imagenet', 3, 'f' * 64, 10)
    skipped = records.SkippedImage('/raw/a.JPEG', 'a.JPEG', 2, 'empty file', 1)
    record['skipped_images'].append(_manifest.skipped_to_json(skipped))
    manifest['splits']['train'] = record
    _manifest.write_manifest(directory, manifest)
    self.assertEqual(os.listdir(directory), ['conversion_manifest.json'])
    read = _manifest.read_manifest(directory)
    self.assertEqual(read, manifest)
    self.assertEqual(read['splits']['train']['shard_counts'], [None] * 3)
    self.assertEqual(_manifest.skipped_from_json(
        read['splits']['train']['skipped_images'][0]), skipped)
    self.assertFalse(_manifest.MANIFEST_NAME.startswith(('train-',
                                                                   'validation-')))

  def test_foreign_or_broken_files_are_errors(self):
    directory = self.create_tempdir().full_path
    path = _manifest.manifest_path(directory)
    for content, message in (('{not json', 'not valid JSON'),
                             (json.dumps({'splits': {}}), 'not a conversion manifest'),
                             (json.dumps({'format': _manifest.FORMAT,
                                          'version': 99}), 'version 99')):
      with open(path, 'w') as f:
        f.write(content)
      with self.assertRaisesRegex(ValueError, message):
        _manifest.read_manifest(directory)


if __name__ == '__main__':
  absltest.main()
