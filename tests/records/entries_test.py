"""Tests of inception.records._entries: a split's image entries as columns."""

import pickle

from absl.testing import absltest

from inception import records
from inception.records import _entries
from tests.records import shard_fixtures

Member = shard_fixtures.Member


class PicklableMember(tuple):
  """A tar member's stand-in that pickles (a module-level tuple type)."""


def _layout_entries(layout, count=7):
  """Entries of three labels in the given source layout."""
  entries = []
  for n in range(count):
    label = 1 + n % 3
    name = 'n%08d_%d.JPEG' % (label, n)
    source = {'directories': '/raw/train/n%08d/%s' % (label, name),
              'other_paths': '/raw/flat/%d-%s' % (n, name),
              'objects': PicklableMember(('/raw/train.tar', 512 * n, 100, name))}[layout]
    entries.append(_entries.ImageEntry(source, name, label, 'n%08d' % label,
                                       'text, of %d' % label))
  return entries


class ShardEntriesTest(absltest.TestCase):

  def test_round_trips_every_layout_through_pickle(self):
    for layout in ('directories', 'other_paths', 'objects'):
      entries = _layout_entries(layout)
      compact = _entries.ShardEntries.from_entries(entries)
      self.assertEqual(list(compact), entries, layout)
      self.assertLen(compact, 7)
      self.assertEqual(compact[3], entries[3])
      self.assertEqual(compact[-1], entries[-1])
      self.assertEqual(compact[:2], tuple(entries[:2]))
      self.assertEqual(compact, entries)
      again = pickle.loads(pickle.dumps(compact, protocol=pickle.HIGHEST_PROTOCOL))
      self.assertEqual(list(again), entries, layout)
    self.assertEqual(list(_entries.ShardEntries.from_entries([])), [])

  def test_no_per_image_object_crosses_to_the_worker(self):
    task = records.ShardTask('train', 0, 1, '/out/train-00000-of-00001',
                             _entries.ShardEntries.from_entries(
                                 _layout_entries('directories', 1000)), ((),) * 1000)
    data = pickle.dumps(task, protocol=pickle.HIGHEST_PROTOCOL)
    self.assertNotIn(b'ImageEntry', data)
    self.assertNotIn(b'/raw/train/n00000001/', data[data.find(b'/raw/train/n00000001/')
                                                     + 1:])  # each directory once
    self.assertLess(len(data), 30 * 1000)  # the file names and labels, ~25 bytes each
    self.assertEqual(pickle.loads(data), task)

  def test_a_shard_carries_only_its_own_labels_classes(self):
    # A split's class table (1000 classes) is shared by its shards in this process;
    # a shard's pickle, its task's, holds the classes of its own labels only.
    builder = _entries.EntriesBuilder()
    for label in range(1, 1001):
      builder.add_member(label, 'n%08d' % label, 'the text of class %d' % label,
                         Member('/t.tar', 512 * label, 100, 'n%08d_1.JPEG' % label,
                                'n%08d.tar' % label))
    entries = builder.build()
    shard = entries.take([999, 4, 500])
    data = pickle.dumps(shard, protocol=pickle.HIGHEST_PROTOCOL)
    self.assertLess(len(data), 1000)
    self.assertNotIn(b'the text of class 6', data)
    again = pickle.loads(data)
    self.assertEqual(list(again), list(shard))
    self.assertEqual(sorted(again.classes), [5, 501, 1000])
    self.assertEqual(sorted(again.members_of().label_fields), [5, 501, 1000])
    self.assertLen(entries.classes, 1000)  # the split's own table is left whole

  def test_refuses_what_it_cannot_hold(self):
    entry = _layout_entries('directories', 1)[0]
    with self.assertRaisesRegex(ValueError, 'NUL'):
      _entries.ShardEntries.from_entries([entry._replace(filename='a\0b')])
    with self.assertRaisesRegex(ValueError, 'label 1 is both'):
      _entries.ShardEntries.from_entries([entry, entry._replace(text='other')])


class SplitColumnsTest(absltest.TestCase):
  """A split's entries built as columns, sorted, cut into shards."""

  def _built(self):
    builder = _entries.EntriesBuilder()
    builder.add_directory(1, 'n1', 'one', '/raw/train/n1', ['a.JPEG', 'b.JPEG'])
    builder.add_directory(2, 'n2', 'two', '/raw/train/n2/', ['a.JPEG'])
    return builder.build()

  def test_builder_gives_the_entries_of_the_paths(self):
    entries = self._built()
    expected = [_entries.ImageEntry('/raw/train/n1/a.JPEG', 'a.JPEG', 1, 'n1', 'one'),
                _entries.ImageEntry('/raw/train/n1/b.JPEG', 'b.JPEG', 1, 'n1', 'one'),
                _entries.ImageEntry('/raw/train/n2/a.JPEG', 'a.JPEG', 2, 'n2', 'two')]
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
    builder = _entries.EntriesBuilder()
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
    builder = _entries.EntriesBuilder()
    builder.add_directory(1, 'n1', 'one', '/raw', ['a.JPEG'])
    with self.assertRaisesRegex(ValueError, 'all files or all archive members'):
      builder.add_member(1, 'n1', 'one', Member('/t.tar', 512, 3, 'b.JPEG'))
    with self.assertRaisesRegex(ValueError, 'label 1 is both'):
      builder.add_directory(1, 'n1', 'other', '/raw', ['b.JPEG'])
    with self.assertRaisesRegex(ValueError, 'NUL'):
      builder.add_directory(2, 'n2', 'two', '/raw', ['a\0.JPEG', 'b'])

  def test_tar_members_are_columns(self):
    builder = _entries.EntriesBuilder()
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
    builder = _entries.EntriesBuilder()
    for member in members + [Member('/other.tar', 512, 1, 'x.JPEG')]:
      builder.add_member(1, 'n1', 'one', member)
    mixed = builder.build()
    self.assertIsNone(mixed.members_of())
    self.assertEqual([e.source for e in mixed],
                     members + [Member('/other.tar', 512, 1, 'x.JPEG')])
    self.assertEqual(_entries.ShardEntries.from_entries(list(entries)).members_of(),
                     entries.members_of())

  def test_class_tars_are_kept_per_label(self):
    members = [Member('/t.tar', 512 * (n + 1), 10, 'n%d_%d.JPEG' % (n % 2, n),
                      'n%d.tar' % (n % 2)) for n in range(6)]
    builder = _entries.EntriesBuilder()
    for member in members:
      builder.add_member(1 + member.offset // 512 % 2, 'n', 't', member)
    entries = builder.build()
    self.assertEqual(entries.members_of().label_fields, {1: 'n1.tar', 2: 'n0.tar'})
    shard = pickle.loads(pickle.dumps(entries.take([5, 0, 3])))
    self.assertEqual([e.source for e in shard], [members[5], members[0], members[3]])
    self.assertEqual(str(shard[0].source), 't.tar:n1.tar:n1_5.JPEG')
    self.assertEqual(_entries.ShardEntries.from_entries(list(entries)).members_of(),
                     entries.members_of())
    # A label whose members are in two class tars: kept as they are.
    builder = _entries.EntriesBuilder()
    for member in members:
      builder.add_member(1, 'n', 't', member)
    entries = builder.build()
    self.assertIsNone(entries.members_of())
    self.assertEqual([e.source for e in entries], members)
    self.assertIsNone(_entries.ShardEntries.from_entries(list(entries)).members_of())

  def test_zip_members_are_columns(self):
    members = [records.ZipMember('/k.zip', 100 * n, 50 + n, 60 + n, 7 * n, 8,
                                 'n1_%d.JPEG' % n, 'train/n1') for n in range(500)]
    builder = _entries.EntriesBuilder()
    for member in members:
      builder.add_member(1, 'n1', 'one', member)
    entries = builder.build()
    self.assertTrue(entries.members_of().is_zip())
    self.assertEqual(list(entries.members_of().sizes), [m.size for m in members])
    self.assertEqual(entries.members_of().label_fields, {1: 'train/n1'})
    data = pickle.dumps(entries.take(range(499, -1, -1)),
                        protocol=pickle.HIGHEST_PROTOCOL)
    self.assertEqual(data.count(b'/k.zip'), 1)
    self.assertEqual(data.count(b'train/n1'), 1)
    self.assertLess(len(data), 500 * 70)  # name, label and five numbers
    self.assertEqual([e.source for e in pickle.loads(data)], members[::-1])
    self.assertEqual(_entries.ShardEntries.from_entries(list(entries)).members_of(),
                     entries.members_of())
    # A tar member after zip members: kept as they are.
    builder = _entries.EntriesBuilder()
    for member in members[:2] + [Member('/t.tar', 512, 3, 'b.JPEG')]:
      builder.add_member(1, 'n1', 'one', member)
    self.assertEqual([e.source for e in builder.build()],
                     members[:2] + [Member('/t.tar', 512, 3, 'b.JPEG')])


if __name__ == '__main__':
  absltest.main()
