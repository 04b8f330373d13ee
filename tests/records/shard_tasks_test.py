"""Tests of inception.records._shard_tasks: writing one shard from its entries."""

import os
import pickle
import subprocess
import sys
import tarfile
from typing import NamedTuple
from unittest import mock

from absl.testing import absltest
import tensorflow as tf

from inception import records
from inception.records import _shard_tasks
from tests import conversion_fixtures as fixtures


class MemberSource(object):
  """A non-path source, like a tar member: anything with read_bytes()."""

  def __init__(self, data, name):
    self.data = data
    self.name = name

  def read_bytes(self):
    return self.data

  def __str__(self):
    return 'archive.tar[%s]' % self.name


def _read_shard(path):
  return [tf.train.Example.FromString(r.numpy()) for r in tf.data.TFRecordDataset(path)]


def _value(example, key):
  feature = example.features.feature[key]
  kind = feature.WhichOneof('kind')
  values = list(getattr(feature, kind).value)
  return values[0] if len(values) == 1 else values


class Member(NamedTuple):
  """A tar member record as acquire.TarMember is: what the columns recognise."""
  archive_path: str
  offset: int
  size: int
  name: str

  def read_bytes(self):
    """As acquire.TarMember reads one member: opening the archive."""
    fd = os.open(self.archive_path, os.O_RDONLY)
    try:
      return os.pread(fd, self.size, self.offset)
    finally:
      os.close(fd)


def _write_tar(path, files):
  """A real tar of {name: bytes}; [Member] of each, at its data's offset."""
  with tarfile.open(path, 'w') as tar:
    for name, data in files.items():
      fixtures.write(os.path.join(os.path.dirname(path), 'staging', name), data)
      tar.add(os.path.join(os.path.dirname(path), 'staging', name), arcname=name)
  with tarfile.open(path) as tar:
    return [Member(path, m.offset_data, m.size, m.name) for m in tar]


class PicklableMember(tuple):
  """A tar member's stand-in that pickles (a module-level tuple type)."""


def _entries(layout, count=7):
  """Entries of three labels in the given source layout."""
  entries = []
  for n in range(count):
    label = 1 + n % 3
    name = 'n%08d_%d.JPEG' % (label, n)
    source = {'directories': '/raw/train/n%08d/%s' % (label, name),
              'other_paths': '/raw/flat/%d-%s' % (n, name),
              'objects': PicklableMember(('/raw/train.tar', 512 * n, 100, name))}[layout]
    entries.append(_shard_tasks.ImageEntry(source, name, label, 'n%08d' % label,
                                           'text, of %d' % label))
  return entries


class ShardEntriesTest(absltest.TestCase):

  def test_round_trips_every_layout_through_pickle(self):
    for layout in ('directories', 'other_paths', 'objects'):
      entries = _entries(layout)
      compact = _shard_tasks.ShardEntries.from_entries(entries)
      self.assertEqual(list(compact), entries, layout)
      self.assertLen(compact, 7)
      self.assertEqual(compact[3], entries[3])
      self.assertEqual(compact[-1], entries[-1])
      self.assertEqual(compact[:2], tuple(entries[:2]))
      self.assertEqual(compact, entries)
      again = pickle.loads(pickle.dumps(compact, protocol=pickle.HIGHEST_PROTOCOL))
      self.assertEqual(list(again), entries, layout)
    self.assertEqual(list(_shard_tasks.ShardEntries.from_entries([])), [])

  def test_no_per_image_object_crosses_to_the_worker(self):
    task = _shard_tasks.ShardTask('train', 0, 1, '/out/train-00000-of-00001',
                                  _shard_tasks.ShardEntries.from_entries(
                                      _entries('directories', 1000)), ((),) * 1000)
    data = pickle.dumps(task, protocol=pickle.HIGHEST_PROTOCOL)
    self.assertNotIn(b'ImageEntry', data)
    self.assertNotIn(b'/raw/train/n00000001/', data[data.find(b'/raw/train/n00000001/')
                                                     + 1:])  # each directory once
    self.assertLess(len(data), 30 * 1000)  # the file names and labels, ~25 bytes each
    self.assertEqual(pickle.loads(data), task)

  def test_refuses_what_it_cannot_hold(self):
    entry = _entries('directories', 1)[0]
    with self.assertRaisesRegex(ValueError, 'NUL'):
      _shard_tasks.ShardEntries.from_entries([entry._replace(filename='a\0b')])
    with self.assertRaisesRegex(ValueError, 'label 1 is both'):
      _shard_tasks.ShardEntries.from_entries([entry, entry._replace(text='other')])


class SplitColumnsTest(absltest.TestCase):
  """A split's entries built as columns, sorted, cut into shards."""

  def _built(self):
    builder = _shard_tasks.EntriesBuilder()
    builder.add_directory(1, 'n1', 'one', '/raw/train/n1', ['a.JPEG', 'b.JPEG'])
    builder.add_directory(2, 'n2', 'two', '/raw/train/n2/', ['a.JPEG'])
    return builder.build()

  def test_builder_gives_the_entries_of_the_paths(self):
    entries = self._built()
    expected = [_shard_tasks.ImageEntry('/raw/train/n1/a.JPEG', 'a.JPEG', 1, 'n1', 'one'),
                _shard_tasks.ImageEntry('/raw/train/n1/b.JPEG', 'b.JPEG', 1, 'n1', 'one'),
                _shard_tasks.ImageEntry('/raw/train/n2/a.JPEG', 'a.JPEG', 2, 'n2', 'two')]
    self.assertEqual(list(entries), expected)
    self.assertEqual(entries[2], expected[2])
    self.assertEqual(entries[-3], expected[0])
    self.assertEqual(list(entries.filenames()), ['a.JPEG', 'b.JPEG', 'a.JPEG'])
    self.assertEqual(list(entries.labels), [1, 1, 2])
    self.assertEqual(list(entries.take([2, 0])), [expected[2], expected[0]])
    self.assertEqual(list(entries[1:]), expected[1:])
    with self.assertRaises(IndexError):
      entries[3]  # pylint: disable=pointless-statement

  def test_sorted_order_is_the_stable_sort(self):
    entries = self._built()
    self.assertEqual(list(entries.sorted_order()), [0, 1, 2])
    shuffled = entries.take([2, 1, 0, 1])
    expected = sorted(range(4), key=lambda i: (shuffled[i].label, shuffled[i].filename))
    self.assertEqual(list(shuffled.sorted_order()), expected)
    self.assertEqual(list(shuffled.sorted_order()), [2, 1, 3, 0])

  def test_a_large_split_is_read_in_chunks(self):
    builder = _shard_tasks.EntriesBuilder()
    names = {label: ['%d_%06d.JPEG' % (label, n) for n in range(70001)]
             for label in (1, 2)}
    for label, class_names in names.items():
      builder.add_directory(label, 'n%d' % label, 't', '/raw/%d' % label, class_names)
    entries = builder.build()
    self.assertEqual(list(entries.filenames()), names[1] + names[2])
    self.assertEqual(list(entries.sorted_order()), list(range(140002)))
    backwards = entries.take(range(140001, -1, -1))
    self.assertEqual(list(backwards.sorted_order()), list(range(140001, -1, -1)))
    self.assertEqual(backwards[0].source, '/raw/2/2_070000.JPEG')

  def test_one_kind_of_source_per_split(self):
    builder = _shard_tasks.EntriesBuilder()
    builder.add_directory(1, 'n1', 'one', '/raw', ['a.JPEG'])
    with self.assertRaisesRegex(ValueError, 'all files or all tar members'):
      builder.add_member(1, 'n1', 'one', Member('/t.tar', 512, 3, 'b.JPEG'))
    with self.assertRaisesRegex(ValueError, 'label 1 is both'):
      builder.add_directory(1, 'n1', 'other', '/raw', ['b.JPEG'])
    with self.assertRaisesRegex(ValueError, 'NUL'):
      builder.add_directory(2, 'n2', 'two', '/raw', ['a\0.JPEG', 'b'])

  def test_tar_members_are_columns(self):
    builder = _shard_tasks.EntriesBuilder()
    members = [Member('/t.tar', 512 * (n + 1), 100 + n, 'n1_%d.JPEG' % n)
               for n in range(500)]
    for member in members:
      builder.add_member(1, 'n1', 'one', member)
    entries = builder.build()
    self.assertEqual([e.source for e in entries], members)
    self.assertEqual(list(entries.members_of().offsets), [m.offset for m in members])
    shard = entries.take(range(499, -1, -1))
    data = pickle.dumps(shard, protocol=pickle.HIGHEST_PROTOCOL)
    self.assertEqual(data.count(b'/t.tar'), 1)  # the archive once, not per member
    self.assertLess(len(data), 500 * 40)  # name, label, offset and size: ~36 bytes
    self.assertEqual([e.source for e in pickle.loads(data)], members[::-1])
    with self.assertRaisesRegex(ValueError, 'built already'):
      builder.add_member(1, 'n1', 'one', members[0])
    # Members of two archives: kept as they are.
    builder = _shard_tasks.EntriesBuilder()
    for member in members + [Member('/other.tar', 512, 1, 'x.JPEG')]:
      builder.add_member(1, 'n1', 'one', member)
    mixed = builder.build()
    self.assertIsNone(mixed.members_of())
    self.assertEqual([e.source for e in mixed],
                     members + [Member('/other.tar', 512, 1, 'x.JPEG')])
    self.assertEqual(_shard_tasks.ShardEntries.from_entries(list(entries)).members_of(),
                     entries.members_of())


class BoxesTest(absltest.TestCase):

  def test_box_table_is_a_mapping_of_plain_tuples(self):
    table = _shard_tasks.BoxTable()
    boxes = {'n%d_%d.JPEG' % (n % 7, n): [(n / 1000, 0.25, 0.5, 0.75)] * (1 + n % 2)
             for n in range(2000)}
    for name, image_boxes in boxes.items():
      table.add(name, image_boxes)
    self.assertLen(table, 2000)
    self.assertEqual(dict(table), {k: tuple(v) for k, v in boxes.items()})
    self.assertEqual(list(table), list(boxes))  # insertion order
    self.assertEqual(table.num_boxes, 3000)
    self.assertEqual(table.index('n3_3.JPEG'), 3)
    self.assertEqual(table.index('n3_3.jpeg'), -1)
    self.assertNotIn('missing', table)
    table.add('late.JPEG', [(0.0, 0.0, 1.0, 1.0)])  # indexed again on the next look-up
    self.assertEqual(table['late.JPEG'], ((0.0, 0.0, 1.0, 1.0),))
    self.assertEqual(dict(_shard_tasks.BoxTable.from_mapping(boxes)),
                     {k: tuple(v) for k, v in boxes.items()})

  def test_equal_hashes_are_told_apart_by_name(self):
    table = _shard_tasks.BoxTable()
    table.add('a', [(0.1, 0.1, 0.2, 0.2)])
    table.add('b', [(0.3, 0.3, 0.4, 0.4)])
    with mock.patch.object(_shard_tasks, 'hash', create=True, new=lambda name: 7):
      self.assertEqual((table.index('a'), table.index('b'), table.index('c')),
                       (0, 1, -1))

  def test_shard_boxes(self):
    table = _shard_tasks.BoxTable.from_mapping(
        {'a': [(0.1, 0.2, 0.3, 0.4)], 'b': [(0.5, 0.5, 0.6, 0.6), (0, 0, 1, 1)]})
    boxes = table.shard_boxes([1, -1, 0, 1])
    expected = (((0.5, 0.5, 0.6, 0.6), (0.0, 0.0, 1.0, 1.0)), (),
                ((0.1, 0.2, 0.3, 0.4),), ((0.5, 0.5, 0.6, 0.6), (0.0, 0.0, 1.0, 1.0)))
    self.assertEqual(tuple(boxes), expected)
    self.assertEqual(boxes, expected)
    self.assertEqual(boxes[2], expected[2])
    self.assertLen(boxes, 4)
    self.assertEqual(tuple(pickle.loads(pickle.dumps(boxes))), expected)
    self.assertTrue(all(type(b) is tuple for image in boxes for b in image))


class WriteShardTest(absltest.TestCase):

  def setUp(self):
    super().setUp()
    self.directory = self.create_tempdir().full_path
    self.output = os.path.join(self.directory, 'train-00000-of-00001')

  def _entry(self, name, data, label=1):
    path = fixtures.write(os.path.join(self.directory, 'raw', name), data)
    return _shard_tasks.ImageEntry(path, name, label, 'n%08d' % label, 'text %d' % label)

  def _task(self, entries, boxes=None, **kwargs):
    boxes = boxes or tuple(() for _ in entries)
    return _shard_tasks.ShardTask('train', 0, 1, self.output, tuple(entries), boxes,
                                 **kwargs)

  def test_compact_entries_write_the_same_shard(self):
    entries = [self._entry('%d.JPEG' % n, fixtures.image_bytes(n, kind), 1 + n % 2)
               for n, kind in enumerate((None, 'png', 'cmyk', 'grayscale', None))]
    boxes = ((), ((0.1, 0.2, 0.3, 0.4),), (), (), ())
    _shard_tasks.write_shard(self._task(entries, boxes))
    with open(self.output, 'rb') as f:
      expected = f.read()
    compact = _shard_tasks.ShardEntries.from_entries(entries)
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

  def test_read_bytes_sources(self):
    data = fixtures.image_bytes(5)
    entry = _shard_tasks.ImageEntry(MemberSource(data, 'x.JPEG'), 'x.JPEG', 1, 'n1', 't')
    task = pickle.loads(pickle.dumps(self._task([entry])))
    _shard_tasks.write_shard(task)
    self.assertEqual(_value(_read_shard(self.output)[0], 'image/encoded'), data)

  def test_tar_members_of_a_shard_are_read_through_one_open_archive(self):
    files = {'%d.JPEG' % n: fixtures.image_bytes(n, kind) for n, kind in
             enumerate((None, 'png', 'cmyk', None, 'progressive'))}
    archive = os.path.join(self.directory, 'images.tar')
    members = _write_tar(archive, files)
    entries = [self._entry(m.name, files[m.name]) for m in members]
    _shard_tasks.write_shard(self._task(entries))
    with open(self.output, 'rb') as f:
      expected = f.read()
    builder = _shard_tasks.EntriesBuilder()
    for member in members:
      builder.add_member(1, 'n00000001', 'text 1', member)
    task = pickle.loads(pickle.dumps(self._task(entries)._replace(
        entries=builder.build())))
    real_open, opened = os.open, []

    def counting_open(path, *args, **kwargs):
      opened.append(path)
      return real_open(path, *args, **kwargs)

    with mock.patch.object(os, 'open', counting_open):
      result = _shard_tasks.write_shard(task)
    self.assertEqual(opened.count(archive), 1)
    self.assertEqual(result.num_input_bytes, sum(map(len, files.values())))
    with open(self.output, 'rb') as f:
      self.assertEqual(f.read(), expected)

  def test_truncated_and_missing_archives_name_the_member(self):
    files = {'a.JPEG': fixtures.image_bytes(1), 'b.JPEG': fixtures.image_bytes(2)}
    archive = os.path.join(self.directory, 'cut.tar')
    members = _write_tar(archive, files)
    os.truncate(archive, members[1].offset + 10)
    builder = _shard_tasks.EntriesBuilder()
    for member in members:
      builder.add_member(1, 'n1', 't', member)
    task = self._task(members)._replace(entries=builder.build(), skip_bad_images=True)
    result = _shard_tasks.write_shard(task)
    self.assertEqual(result.num_records, 1)
    (skipped,) = result.skipped
    self.assertEqual(skipped.source, str(members[1]))
    self.assertEqual(skipped.reason, 'unreadable (OSError: %s: member b.JPEG is '
                     'truncated: 10 of %d bytes at offset %d)' %
                     (archive, members[1].size, members[1].offset))
    os.remove(archive)
    with self.assertRaisesRegex(records.ImageError,
                                r'Member\(archive_path=.*cut.tar.*a.JPEG.*: unreadable '
                                r'\(FileNotFoundError'):
      _shard_tasks.write_shard(task._replace(skip_bad_images=False))

  def test_bad_image_fails_naming_it_and_leaves_nothing(self):
    entries = [self._entry('good.JPEG', fixtures.image_bytes(1)),
               self._entry('bad.JPEG', fixtures.truncated_jpeg())]
    with self.assertRaises(records.ImageError) as raised:
      _shard_tasks.write_shard(self._task(entries))
    self.assertIn(os.path.join(self.directory, 'raw', 'bad.JPEG'), str(raised.exception))
    self.assertEqual(os.listdir(self.directory), ['raw'])

  def test_missing_file_is_a_bad_image(self):
    entry = _shard_tasks.ImageEntry(os.path.join(self.directory, 'gone.JPEG'),
                                   'gone.JPEG', 1, 'n1', 't')
    with self.assertRaisesRegex(records.ImageError, 'gone.JPEG: unreadable'):
      _shard_tasks.write_shard(self._task([entry]))

  def test_skip_bad_images_lists_them(self):
    entries = [self._entry('good.JPEG', fixtures.image_bytes(1), 1),
               self._entry('bad.JPEG', b'not an image', 2),
               _shard_tasks.ImageEntry(MemberSource(b'', 'empty.JPEG'), 'empty.JPEG', 3,
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
