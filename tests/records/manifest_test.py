"""Tests of inception.records._manifest: fingerprints, reading and writing."""

import hashlib
import json
import os

from absl.testing import absltest

from inception import core
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

  def test_columns_give_the_fingerprint_of_the_entries(self):
    boxes = (((0.1, 0.2, 0.3, 0.4), (0.5, 0.5, 1.0, 1.0)), ())
    tasks = [_task(0, [('a.JPEG', 1), ('b.JPEG', 2)], boxes), _task(1, [('c.JPEG', 1)])]
    expected = _manifest.plan_fingerprint('imagenet', 2, tasks)
    classes = {}
    table = records.BoxTable.from_mapping({'a.JPEG': boxes[0]})
    compact = [t._replace(entries=records.ShardEntries.from_entries(t.entries, classes),
                          boxes=table.shard_boxes(rows))
               for t, rows in zip(tasks, ([0, -1], [-1]))]
    self.assertEqual(_manifest.plan_fingerprint('imagenet', 2, compact), expected)
    self.assertNotEqual(_manifest.plan_fingerprint('imagenet', 2, compact[::-1]),
                        expected)

  def test_fingerprint_of_a_known_plan_is_fixed(self):
    # Existing output directories resume only if a plan keeps its fingerprint: it is
    # the sha256 of these lines, whatever module defines the tasks and entries. The
    # re-encoding line came with 4:4:4 chroma (issue 25); without it, the lines of
    # the versions before, whose fingerprint was b83092fe... .
    boxes = (((0.1, 0.2, 0.3, 0.4), (0.5, 0.5, 1.0, 1.0)), ())
    tasks = [_task(0, [('a.JPEG', 1), ('b.JPEG', 2)], boxes), _task(1, [('c.JPEG', 1)])]
    images = ('shard\t0\t2\n'
              'a.JPEG\t1\tn1\tt1\t[(0.1, 0.2, 0.3, 0.4), (0.5, 0.5, 1.0, 1.0)]\n'
              'b.JPEG\t2\tn2\tt2\t[]\n'
              'shard\t1\t1\n'
              'c.JPEG\t1\tn1\tt1\t[]\n')
    lines = 'imagenet\t2\nreencode\tquality=100 subsampling=0\n' + images
    expected = '5adb2430a2e5daa9e68220e98a3483fe174c19c3c8580663b2f3d60ea9e850fa'
    self.assertEqual(hashlib.sha256(lines.encode('utf-8')).hexdigest(), expected)
    self.assertEqual(_manifest.plan_fingerprint('imagenet', 2, tasks), expected)
    compact = [t._replace(entries=records.ShardEntries.from_entries(t.entries, {}),
                          boxes=records.BoxTable.from_mapping(
                              {'a.JPEG': boxes[0]}).shard_boxes(rows))
               for t, rows in zip(tasks, ([0, -1], [-1]))]
    self.assertEqual(_manifest.plan_fingerprint('imagenet', 2, compact), expected)
    before = 'b83092fe6a3b70084e746f53f827a1988fd7d7dfea8d670fb5807bd795bdf279'
    self.assertEqual(hashlib.sha256(('imagenet\t2\n' + images).encode('utf-8')
                                    ).hexdigest(), before)
    self.assertEqual(_manifest.plan_fingerprint('imagenet', 2, tasks, reencode=None),
                     before)
    self.assertNotEqual(_manifest.plan_fingerprint(
        'imagenet', 2, tasks, reencode={'quality': 100, 'subsampling': 2}), expected)

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
    directory = self.create_tempdir().full_path
    self.assertEqual(_manifest.load_manifest(directory), _manifest.Manifest())

  def test_round_trip_and_name(self):
    directory = self.create_tempdir().full_path
    manifest = _manifest.Manifest()
    record = _manifest.SplitManifest.planned('imagenet', 3, 'f' * 64, 10)
    skipped = records.SkippedImage('/raw/a.JPEG', 'a.JPEG', 2, 'empty file', 1)
    record.skipped_images.append(skipped)
    manifest.splits['train'] = record
    _manifest.save_manifest(directory, manifest)
    self.assertEqual(os.listdir(directory), ['conversion_manifest.json'])
    read = _manifest.load_manifest(directory)
    self.assertEqual(read, manifest)
    self.assertEqual(read.splits['train'].shard_counts, [None] * 3)
    self.assertEqual(read.splits['train'].skipped_images, [skipped])
    with open(core.manifest_path(directory)) as f:
      self.assertEqual(json.load(f)['splits']['train']['num_skipped'], 1)
    self.assertFalse(core.MANIFEST_FILENAME.startswith(('train-', 'validation-')))

  def test_json_is_as_the_converter_always_wrote_it(self):
    directory = self.create_tempdir().full_path
    record = _manifest.SplitManifest.planned('generic', 2, 'ab', 3)
    record.shard_counts[0] = 1
    record.skipped_images.append(records.SkippedImage('/r/b.jpg', 'b.jpg', 1, 'bad', 0))
    _manifest.save_manifest(directory, _manifest.Manifest({'validation': record}))
    with open(core.manifest_path(directory)) as f:
      self.assertEqual(f.read(), '''{
 "format": "inception-conversion-manifest",
 "splits": {
  "validation": {
   "class_counts": {},
   "complete": false,
   "num_images": null,
   "num_planned_images": 3,
   "num_shards": 2,
   "num_skipped": 1,
   "plan_fingerprint": "ab",
   "record_format": "generic",
   "shard_counts": [
    1,
    null
   ],
   "skipped_images": [
    {
     "filename": "b.jpg",
     "label": 1,
     "reason": "bad",
     "shard": 0,
     "source": "/r/b.jpg"
    }
   ]
  }
 },
 "version": 1
}
''')

  def test_foreign_or_broken_files_are_errors(self):
    directory = self.create_tempdir().full_path
    path = core.manifest_path(directory)
    for content, message in (('{not json', 'not valid JSON'),
                             (json.dumps({'splits': {}}), 'not a conversion manifest'),
                             (json.dumps({'format': _manifest.FORMAT,
                                          'version': 99}), 'version 99')):
      with open(path, 'w') as f:
        f.write(content)
      with self.assertRaisesRegex(ValueError, message):
        _manifest.load_manifest(directory)

  def test_a_split_without_its_keys_is_an_error_naming_the_file(self):
    directory = self.create_tempdir().full_path
    path = core.manifest_path(directory)
    with open(path, 'w') as f:
      json.dump({'format': _manifest.FORMAT, 'version': 1,
                 'splits': {'train': {'num_shards': 2}}}, f)
    with self.assertRaisesRegex(ValueError, '%s is not a conversion manifest .*'
                                'record_format' % path):
      _manifest.load_manifest(directory)


if __name__ == '__main__':
  absltest.main()
