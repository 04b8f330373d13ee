"""Tests of inception.records._shard_tasks: writing one shard from its entries."""

import os
import pickle
import subprocess
import sys

from absl.testing import absltest

from inception import records
from inception.records import _shard_tasks
from tests import conversion_fixtures as fixtures
from tests.records import shard_fixtures

MemberSource = shard_fixtures.MemberSource
_read_shard = shard_fixtures.read_shard
_value = shard_fixtures.value


class WriteShardTest(shard_fixtures.ShardTestCase):

  def test_compact_entries_write_the_same_shard(self):
    entries = [self._entry('%d.JPEG' % n, fixtures.image_bytes(n, kind), 1 + n % 2)
               for n, kind in enumerate((None, 'png', 'cmyk', 'grayscale', None))]
    boxes = ((), ((0.1, 0.2, 0.3, 0.4),), (), (), ())
    _shard_tasks.write_shard(self._task(entries, boxes))
    with open(self.output, 'rb') as f:
      expected = f.read()
    compact = records.ShardEntries.from_entries(entries)
    task = self._task(entries, boxes)._replace(entries=compact)
    _shard_tasks.write_shard(pickle.loads(pickle.dumps(task)))
    with open(self.output, 'rb') as f:
      self.assertEqual(f.read(), expected)
    self.assertLen(_read_shard(self.output), 5)

  def test_records_in_entry_order_with_kept_and_reencoded_images(self):
    plain = fixtures.image_bytes(1, width=45, height=31)
    grayscale = fixtures.image_bytes(2, 'grayscale', width=33, height=44)
    png = fixtures.image_bytes(3, 'png', width=50, height=20)
    entries = [self._entry('a.JPEG', plain, 1), self._entry('b.JPEG', grayscale, 2),
               self._entry('c.JPEG', png, 3)]
    boxes = ((), ((0.1, 0.2, 0.3, 0.4),), ())
    result = _shard_tasks.write_shard(self._task(entries, boxes))
    self.assertEqual((result.num_records, result.skipped, result.reused), (3, (), False))
    self.assertEqual(result.num_input_bytes, len(plain) + len(grayscale) + len(png))
    self.assertEqual(result.num_output_bytes, os.path.getsize(self.output))
    examples = _read_shard(self.output)
    self.assertEqual([_value(e, 'image/filename') for e in examples],
                     [b'a.JPEG', b'b.JPEG', b'c.JPEG'])
    self.assertEqual(_value(examples[0], 'image/encoded'), plain)
    self.assertEqual(_value(examples[1], 'image/encoded'), grayscale)
    self.assertNotEqual(_value(examples[2], 'image/encoded'), png)
    self.assertEqual([(_value(e, 'image/height'), _value(e, 'image/width'))
                      for e in examples], [(31, 45), (44, 33), (20, 50)])
    self.assertEqual(_value(examples[1], 'image/object/bbox/label'), 2)
    self.assertAlmostEqual(_value(examples[1], 'image/object/bbox/ymin'), 0.2, 6)
    self.assertEqual(_value(examples[2], 'image/class/synset'), b'n00000003')

  def test_generic_format(self):
    entry = self._entry('rose.jpg', fixtures.image_bytes(4), 2)._replace(synset='')
    _shard_tasks.write_shard(self._task([entry], record_format='generic'))
    (example,) = _read_shard(self.output)
    self.assertLen(example.features.feature, 9)
    self.assertNotIn('image/class/synset', example.features.feature)

  def test_bad_image_fails_naming_it_and_leaves_nothing(self):
    entries = [self._entry('good.JPEG', fixtures.image_bytes(1)),
               self._entry('bad.JPEG', fixtures.truncated_jpeg())]
    with self.assertRaises(records.ImageError) as raised:
      _shard_tasks.write_shard(self._task(entries))
    self.assertIn(os.path.join(self.directory, 'raw', 'bad.JPEG'), str(raised.exception))
    self.assertEqual(os.listdir(self.directory), ['raw'])

  def test_skip_bad_images_lists_them(self):
    entries = [self._entry('good.JPEG', fixtures.image_bytes(1), 1),
               self._entry('bad.JPEG', b'not an image', 2),
               records.ImageEntry(MemberSource(b'', 'empty.JPEG'), 'empty.JPEG', 3,
                                  'n3', 't')]
    result = _shard_tasks.write_shard(self._task(entries, skip_bad_images=True))
    self.assertEqual(result.num_records, 1)
    self.assertEqual([(s.filename, s.label, s.shard) for s in result.skipped],
                     [('bad.JPEG', 2, 0), ('empty.JPEG', 3, 0)])
    self.assertEqual(result.skipped[1].source, 'archive.tar[empty.JPEG]')
    self.assertEqual(result.skipped[1].reason, 'empty file')
    self.assertLen(_read_shard(self.output), 1)

  def test_full_validation_catches_cut_scan_data(self):
    entries = [self._entry('cut.JPEG', fixtures.truncated_scan_jpeg())]
    _shard_tasks.write_shard(self._task(entries, validate_images='none'))  # header only
    with self.assertRaisesRegex(records.ImageError, 'cut.JPEG: TensorFlow'):
      _shard_tasks.write_shard(self._task(entries, validate_images='full'))

  def test_damaged_jpegs_fail_by_default_naming_the_file(self):
    good = self._entry('good.JPEG', fixtures.image_bytes(1))
    for damage in ('half', 'garbled'):
      for kind in (None, 'progressive'):
        bad = self._entry('bad.JPEG', fixtures.damaged_jpeg(damage, kind))
        with self.assertRaises(records.ImageError) as raised:
          _shard_tasks.write_shard(self._task([good, bad]))
        self.assertEqual(raised.exception.name,
                         os.path.join(self.directory, 'raw', 'bad.JPEG'))
        self.assertRegex(str(raised.exception), r'bad\.JPEG: (truncated|corrupt) JPEG')
        self.assertEqual(os.listdir(self.directory), ['raw'])
        # validate_images='none' (the header only) still lets them in, unchanged.
        _shard_tasks.write_shard(self._task([good, bad], validate_images='none'))
        self.assertEqual(_value(_read_shard(self.output)[1], 'image/encoded'),
                         fixtures.damaged_jpeg(damage, kind))
        os.remove(self.output)

  def test_skip_bad_images_lists_damaged_jpegs_with_stable_reasons(self):
    entries = [self._entry('good.JPEG', fixtures.image_bytes(1), 1),
               self._entry('half.JPEG', fixtures.damaged_jpeg('half', 'progressive'), 2),
               self._entry('garbled.JPEG', fixtures.damaged_jpeg('garbled'), 3),
               self._entry('text.JPEG', b'not an image', 4)]
    results = [_shard_tasks.write_shard(self._task(entries, skip_bad_images=True))
               for _ in range(2)]
    self.assertEqual(results[0].skipped, results[1].skipped)
    self.assertEqual(results[0].num_records, 1)
    reasons = {s.filename: s.reason for s in results[0].skipped}
    self.assertEqual(sorted(reasons), ['garbled.JPEG', 'half.JPEG', 'text.JPEG'])
    self.assertStartsWith(reasons['half.JPEG'], 'truncated JPEG: ')
    self.assertStartsWith(reasons['garbled.JPEG'], 'corrupt JPEG scan data: ')
    self.assertEqual(reasons['text.JPEG'], 'not a decodable image '
                     '(UnidentifiedImageError: cannot identify image file)')
    for reason in reasons.values():
      self.assertNotIn('0x', reason)

  def test_progress_adds_up(self):
    entries = [self._entry('%d.JPEG' % i, fixtures.image_bytes(i)) for i in range(5)]
    calls = []
    result = _shard_tasks.write_shard(self._task(entries),
                                     lambda n, b: calls.append((n, b)))
    self.assertEqual(sum(n for n, _ in calls), 5)
    self.assertEqual(sum(b for _, b in calls), result.num_input_bytes)

  def test_invalid_tasks(self):
    entry = self._entry('a.JPEG', fixtures.image_bytes(1))
    with self.assertRaisesRegex(ValueError, 'record format'):
      _shard_tasks.write_shard(self._task([entry], record_format='coco'))
    with self.assertRaisesRegex(ValueError, 'validate_images'):
      _shard_tasks.write_shard(self._task([entry], validate_images='some'))
    with self.assertRaisesRegex(ValueError, 'box lists'):
      _shard_tasks.write_shard(self._task([entry], boxes=((), ())))

  def test_worker_modules_do_not_import_tensorflow(self):
    code = ('import sys; from inception import convert, records; '
            'print("tensorflow" in sys.modules)')
    env = dict(os.environ, PYTHONPATH=os.pathsep.join(p for p in sys.path if p))
    output = subprocess.run([sys.executable, '-c', code], env=env, check=True,
                            capture_output=True, text=True).stdout
    self.assertEqual(output.strip(), 'False')


if __name__ == '__main__':
  absltest.main()
