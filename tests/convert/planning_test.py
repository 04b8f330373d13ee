"""Tests of inception.convert._planning: sort, the original's shuffle, shards, boxes."""

import os
import pickle
import random

from absl.testing import absltest

from inception import annotations
from inception import convert
from inception import records as records_lib
from inception.convert import _planning
from tests import conversion_fixtures as fixtures


class PlanTest(absltest.TestCase):

  def _entries(self, count):
    return [_planning.ImageEntry('/raw/%d.JPEG' % i, '%03d.JPEG' % i, 1 + i % 3,
                               'n%d' % (1 + i % 3), 't') for i in range(count)]

  def test_shuffle_is_the_originals(self):
    items = list('abcdefghijklmnopqrstuvwxyz')
    index = list(range(len(items)))
    random.seed(12345)
    random.shuffle(index)
    self.assertEqual(_planning.shuffled(items), [items[i] for i in index])
    state = random.getstate()
    _planning.shuffled(items)
    self.assertEqual(random.getstate(), state)  # the caller's random is untouched

  def test_shuffled_index_is_the_list_shuffle(self):
    for count in (0, 1, 2, 1000, 12345):
      index = list(range(count))
      random.seed(12345)
      random.shuffle(index)
      self.assertEqual(list(_planning.shuffled_index(count)), index, count)

  def test_columns_and_lists_plan_the_same(self):
    root = self.create_tempdir().full_path
    synsets = ['n00000002', 'n00000001']
    for n, synset in enumerate(synsets * 20):
      fixtures.write(os.path.join(root, synset, '%s_%02d.JPEG' % (synset, 40 - n)),
                     b'x')
    columns = convert.find_class_entries(
        root, [convert.ImageClass(s, s, t) for s, t in zip(synsets, ['two', 'one'])])
    self.assertIsInstance(columns, records_lib.ShardEntries)
    boxes = {'n00000001_%02d.JPEG' % n: [(0.1, 0.2, 0.3, n / 100)] for n in range(40)}
    plan = _planning.plan_split('train', columns, 3, '/out', boxes)
    from_list = _planning.plan_split('train', list(columns)[::-1], 3, '/out',
                                     records_lib.BoxTable.from_mapping(boxes))
    self.assertEqual(plan, from_list)
    expected = _planning.shuffled(sorted(columns, key=lambda e: (e.label, e.filename)))
    self.assertEqual([e for t in plan.tasks for e in t.entries], expected)
    self.assertEqual([b for t in plan.tasks for b in t.boxes],
                     [tuple(tuple(b) for b in boxes.get(e.filename, ()))
                      for e in expected])
    self.assertEqual(plan.num_with_boxes, 20)
    for task in plan.tasks:
      self.assertIsInstance(task.boxes, records_lib.ShardBoxes)

  def test_plan_sorts_shuffles_and_cuts_by_counts_only(self):
    entries = self._entries(23)
    output = self.create_tempdir().full_path
    plan = _planning.plan_split('train', entries, 4, output)
    reversed_plan = _planning.plan_split('train', entries[::-1], 4, output)
    self.assertEqual(plan, reversed_plan)
    expected = _planning.shuffled(sorted(entries, key=lambda e: (e.label, e.filename)))
    self.assertEqual([e for t in plan.tasks for e in t.entries], expected)
    self.assertEqual([len(t.entries) for t in plan.tasks], [5, 6, 6, 6])
    self.assertEqual([os.path.basename(t.output_path) for t in plan.tasks],
                     ['train-%05d-of-00004' % i for i in range(4)])
    self.assertEqual(plan.num_images, 23)

  def test_tasks_carry_their_entries_compactly(self):
    plan = _planning.plan_split('train', self._entries(300), 2, '/out')
    for task in plan.tasks:
      self.assertIsInstance(task.entries, records_lib.ShardEntries)
      data = pickle.dumps(task, protocol=pickle.HIGHEST_PROTOCOL)
      self.assertNotIn(b'ImageEntry', data)  # no per-image NamedTuple to unpickle
      self.assertEqual(pickle.loads(data), task)

  def test_boxes_go_with_their_image_as_plain_tuples(self):
    entries = self._entries(4)
    boxes = {'002.JPEG': [annotations.Box(0.1, 0.2, 0.3, 0.4)]}
    plan = _planning.plan_split('train', entries, 1, '/out', boxes)
    (task,) = plan.tasks
    for entry, entry_boxes in zip(task.entries, task.boxes):
      self.assertEqual(entry_boxes,
                       ((0.1, 0.2, 0.3, 0.4),) if entry.filename == '002.JPEG' else ())
      self.assertTrue(all(type(b) is tuple for b in entry_boxes))

  def test_boxes_follow_an_image_whose_extension_changed(self):
    # The CSV names images as the XMLs do, `<stem>.JPEG`; the exact name wins.
    names = ['a.jpg', 'b.JPEG', 'b.jpg', 'c.jpg', 'c.png', 'd.png']
    entries = [_planning.ImageEntry('/raw/' + n, n, 1, 'n1', 't') for n in names]
    box = (0.1, 0.2, 0.3, 0.4)
    boxes = {stem + '.JPEG': [box] for stem in 'abcz'}
    with self.assertLogs(level='WARNING') as logs:
      plan = _planning.plan_split('train', entries, 1, '/out', boxes)
    (task,) = plan.tasks
    self.assertEqual({e.filename: b for e, b in zip(task.entries, task.boxes) if b},
                     {'a.jpg': (box,), 'b.JPEG': (box,)})
    self.assertIn('c.JPEG has boxes, but 2 images have its stem (c.jpg, c.png): '
                  'neither gets them', '\n'.join(logs.output))

  def test_more_shards_than_images_warns_in_one_line(self):
    # Issue 24, item 8: --train_shards=500 on 120 images wrote 380 empty shards
    # without a word.
    with self.assertLogs(level='WARNING') as logs:
      plan = _planning.plan_split('train', self._entries(120), 500, '/out')
    self.assertEqual([record.getMessage() for record in logs.records],
                     ['train: 500 shards for 120 images: 380 shards will be empty '
                      '(written all the same, so that every shard name exists)'])
    self.assertLen(plan.tasks, 500)
    self.assertEqual(sum(1 for task in plan.tasks if not task.entries), 380)
    with self.assertNoLogs(level='WARNING'):
      _planning.plan_split('train', self._entries(120), 120, '/out')

  def test_empty_split(self):
    with self.assertRaisesRegex(convert.ConversionError, 'no images'):
      _planning.plan_split('train', [], 2, '/out')


if __name__ == '__main__':
  absltest.main()
