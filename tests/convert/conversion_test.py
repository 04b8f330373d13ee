"""Tests of inception.convert._conversion: finding, planning, converting whole splits."""

import contextlib
import gc
import glob
import io
import json
import os
import pickle
import random
import signal
import subprocess
import sys
import time

from absl.testing import absltest
import tensorflow as tf

from inception import annotations
from inception import core
from inception import records as records_lib
from inception.convert import _conversion
from tests import conversion_fixtures as fixtures
from tests import file_trees

SYNSETS = fixtures.synset_names(3)
WORKER_SYNSETS = fixtures.synset_names(4)


class _Member(object):
  """A tar member as acquire's tar index gives it (only its name matters here)."""

  def __init__(self, name):
    self.name = name


def _print_summary(result):
  """Prints a split's summary line, as the binaries do."""
  print(result.summary_line())


def spec_parse(serialized):
  """A parser written from docs/FORMAT.md, "Records" (as the inception / TPU readers
  parse)."""
  features = tf.io.parse_single_example(serialized, {
      'image/encoded': tf.io.FixedLenFeature([], tf.string, ''),
      'image/filename': tf.io.FixedLenFeature([], tf.string, ''),
      'image/height': tf.io.FixedLenFeature([], tf.int64, -1),
      'image/width': tf.io.FixedLenFeature([], tf.int64, -1),
      'image/class/label': tf.io.FixedLenFeature([], tf.int64, -1),
      'image/class/synset': tf.io.FixedLenFeature([], tf.string, ''),
      'image/class/text': tf.io.FixedLenFeature([], tf.string, ''),
      'image/object/bbox/xmin': tf.io.VarLenFeature(tf.float32),
      'image/object/bbox/ymin': tf.io.VarLenFeature(tf.float32),
      'image/object/bbox/xmax': tf.io.VarLenFeature(tf.float32),
      'image/object/bbox/ymax': tf.io.VarLenFeature(tf.float32),
  })
  boxes = tf.stack([tf.sparse.to_dense(features['image/object/bbox/' + k])
                    for k in ('ymin', 'xmin', 'ymax', 'xmax')], axis=-1)
  return features, boxes


def read_split(output, split):
  """[(features, boxes)] of every record of `split`, in shard then record order."""
  records = []
  for path in sorted(glob.glob(os.path.join(output, split + '-*'))):
    for serialized in tf.data.TFRecordDataset(path):
      records.append(spec_parse(serialized))
  return records


class FindEntriesTest(absltest.TestCase):

  def test_imagenet_entries_sorted_with_labels_in_synset_order(self):
    root = self.create_tempdir().full_path
    synsets = ['n00000002', 'n00000001']  # file order decides labels, not sorting
    for synset, names in ((synsets[0], ['b.JPEG', 'a.jpg', 'c.PNG', 'notes.txt']),
                          (synsets[1], ['z.jpeg'])):
      for name in names:
        fixtures.write(os.path.join(root, synset, name), b'x')
    os.makedirs(os.path.join(root, synsets[1], 'sub.JPEG'))
    entries = _conversion.find_imagenet_entries(root, synsets, ['two', 'one'])
    self.assertEqual([(e.filename, e.label, e.synset, e.text) for e in entries],
                     [('a.jpg', 1, 'n00000002', 'two'),
                      ('b.JPEG', 1, 'n00000002', 'two'),
                      ('c.PNG', 1, 'n00000002', 'two'),
                      ('z.jpeg', 2, 'n00000001', 'one')])
    self.assertEqual(entries[0].source, os.path.join(root, 'n00000002', 'a.jpg'))

  def test_missing_or_empty_class_directory_is_an_error(self):
    root = self.create_tempdir().full_path
    fixtures.write(os.path.join(root, 'n00000001', 'a.JPEG'), b'x')
    with self.assertRaisesRegex(_conversion.ConversionError,
                                'n00000002 does not exist'):
      _conversion.find_imagenet_entries(root, ['n00000001', 'n00000002'], ['a', 'b'])
    fixtures.write(os.path.join(root, 'n00000002', 'readme.txt'), b'x')
    with self.assertRaisesRegex(_conversion.ConversionError, 'n00000002 holds no'):
      _conversion.find_imagenet_entries(root, ['n00000001', 'n00000002'], ['a', 'b'])

  def test_tar_entries_match_the_directory_entries(self):
    members = {'n00000002': [_Member('b.JPEG'), _Member('a.jpg'), _Member('notes.txt')],
               'n00000001': [_Member('z.jpeg')]}
    entries = _conversion.train_tar_entries(members, ['n00000002', 'n00000001'],
                                            ['two', 'one'], 'train.tar')
    self.assertEqual([(e.filename, e.label, e.synset, e.text) for e in entries],
                     [('a.jpg', 1, 'n00000002', 'two'),
                      ('b.JPEG', 1, 'n00000002', 'two'),
                      ('z.jpeg', 2, 'n00000001', 'one')])
    self.assertIs(entries[2].source, members['n00000001'][0])
    with self.assertRaisesRegex(_conversion.ConversionError,
                                r'train.tar holds no image of class n00000003'):
      _conversion.train_tar_entries(members, ['n00000003'], ['three'], 'train.tar')
    validation = [_Member('ILSVRC2012_val_00000002.JPEG'),
                  _Member('ILSVRC2012_val_00000001.JPEG')]
    entries = _conversion.validation_tar_entries(
        validation, ['n00000002', 'n00000001'], ['n00000001', 'n00000002'],
        ['one', 'two'], 'val.tar')
    self.assertEqual([(e.filename, e.label, e.synset, e.text) for e in entries],
                     [('ILSVRC2012_val_00000002.JPEG', 1, 'n00000001', 'one'),
                      ('ILSVRC2012_val_00000001.JPEG', 2, 'n00000002', 'two')])
    with self.assertRaisesRegex(_conversion.ConversionError, 'not in the synsets file'):
      _conversion.validation_tar_entries(validation, ['n00000002', 'n00000009'],
                                         ['n00000002'], ['two'], 'val.tar')

  def test_test_entries_are_unlabelled_from_a_directory_or_the_tar(self):
    root = self.create_tempdir().full_path
    directory = os.path.join(root, 'test')
    for name in ('ILSVRC2012_test_00000002.JPEG', 'ILSVRC2012_test_00000001.JPEG',
                 'readme.txt'):
      fixtures.write(os.path.join(directory, name), b'x')
    expected = [('ILSVRC2012_test_00000001.JPEG', 0, '', ''),
                ('ILSVRC2012_test_00000002.JPEG', 0, '', '')]
    entries = _conversion.test_directory_entries(directory)
    self.assertEqual([(e.filename, e.label, e.synset, e.text) for e in entries],
                     expected)
    self.assertEqual(entries[0].source,
                     os.path.join(directory, 'ILSVRC2012_test_00000001.JPEG'))
    members = [_Member('ILSVRC2012_test_00000002.JPEG'), _Member('readme.txt'),
               _Member('ILSVRC2012_test_00000001.JPEG')]
    entries = _conversion.test_tar_entries(members, 'test.tar')
    self.assertEqual([(e.filename, e.label, e.synset, e.text) for e in entries],
                     expected)
    self.assertIs(entries[0].source, members[2])
    with self.assertRaisesRegex(_conversion.ConversionError, 'test.tar holds no'):
      _conversion.test_tar_entries([_Member('readme.txt')], 'test.tar')
    with self.assertRaisesRegex(_conversion.ConversionError,
                                'test directory .*/missing does not exist'):
      _conversion.test_directory_entries(os.path.join(root, 'missing'))
    os.remove(os.path.join(directory, 'ILSVRC2012_test_00000001.JPEG'))
    os.remove(os.path.join(directory, 'ILSVRC2012_test_00000002.JPEG'))
    with self.assertRaisesRegex(_conversion.ConversionError,
                                'test directory .*/test holds no'):
      _conversion.test_directory_entries(directory)

  def test_validation_tar_must_match_the_label_file(self):
    with self.assertRaisesRegex(_conversion.ConversionError, 'ILSVRC2012_val_00000002'):
      _conversion.validation_tar_entries(
          [_Member('ILSVRC2012_val_00000001.JPEG')], ['n01440764', 'n01440764'],
          ['n01440764'], ['tench'], 'val.tar')

  def test_a_split_comes_from_a_directory_or_a_tarball_not_both(self):
    with self.assertRaisesRegex(ValueError, 'not both'):
      _conversion.convert_imagenet('/raw/train', None, '/out', train_tar='/train.tar')
    with self.assertRaisesRegex(ValueError, 'not both'):
      _conversion.convert_imagenet(None, None, '/out', test_directory='/raw/test',
                                   test_tar='/test.tar')

  def test_generic_entries(self):
    root = self.create_tempdir().full_path
    for name in ('roses/r1.JPG', 'roses/r2.png', 'tulips/t.Jpeg', 'tulips/t.gif'):
      fixtures.write(os.path.join(root, name), b'x')
    labels_file = fixtures.write(os.path.join(root, 'labels.txt'), b'tulips\nroses\n')
    labels = _conversion.read_generic_labels(labels_file)
    entries = _conversion.find_generic_entries(root, labels)
    self.assertEqual([(e.filename, e.label, e.text, e.synset) for e in entries],
                     [('t.Jpeg', 1, 'tulips', ''), ('r1.JPG', 2, 'roses', ''),
                      ('r2.png', 2, 'roses', '')])


class PlanTest(absltest.TestCase):

  def _entries(self, count):
    return [_conversion.ImageEntry('/raw/%d.JPEG' % i, '%03d.JPEG' % i, 1 + i % 3,
                               'n%d' % (1 + i % 3), 't') for i in range(count)]

  def test_shuffle_is_the_originals(self):
    items = list('abcdefghijklmnopqrstuvwxyz')
    index = list(range(len(items)))
    random.seed(12345)
    random.shuffle(index)
    self.assertEqual(_conversion.shuffled(items), [items[i] for i in index])
    state = random.getstate()
    _conversion.shuffled(items)
    self.assertEqual(random.getstate(), state)  # the caller's random is untouched

  def test_shuffled_index_is_the_list_shuffle(self):
    for count in (0, 1, 2, 1000, 12345):
      index = list(range(count))
      random.seed(12345)
      random.shuffle(index)
      self.assertEqual(list(_conversion.shuffled_index(count)), index, count)

  def test_columns_and_lists_plan_the_same(self):
    root = self.create_tempdir().full_path
    synsets = ['n00000002', 'n00000001']
    for n, synset in enumerate(synsets * 20):
      fixtures.write(os.path.join(root, synset, '%s_%02d.JPEG' % (synset, 40 - n)),
                     b'x')
    columns = _conversion.find_imagenet_entries(root, synsets, ['two', 'one'])
    self.assertIsInstance(columns, records_lib.ShardEntries)
    boxes = {'n00000001_%02d.JPEG' % n: [(0.1, 0.2, 0.3, n / 100)] for n in range(40)}
    plan = _conversion.plan_split('train', columns, 3, '/out', boxes)
    from_list = _conversion.plan_split('train', list(columns)[::-1], 3, '/out',
                                       records_lib.BoxTable.from_mapping(boxes))
    self.assertEqual(plan, from_list)
    expected = _conversion.shuffled(sorted(columns, key=lambda e: (e.label, e.filename)))
    self.assertEqual([e for t in plan.tasks for e in t.entries], expected)
    self.assertEqual([b for t in plan.tasks for b in t.boxes],
                     [tuple(tuple(b) for b in boxes.get(e.filename, ()))
                      for e in expected])
    self.assertEqual(plan.num_with_boxes, 20)
    for task in plan.tasks:
      self.assertIsInstance(task.boxes, records_lib.ShardBoxes)

  def test_a_split_holds_no_object_per_image(self):
    root = self.create_tempdir().full_path
    synsets = ['n%08d' % n for n in range(1, 5)]
    for n in range(2000):
      fixtures.write(os.path.join(root, synsets[n % 4], '%s_%d.JPEG' % (
          synsets[n % 4], n)), b'')
    boxes_csv = fixtures.write(os.path.join(root, 'boxes.csv'), ''.join(
        '%s_%d.JPEG,0.1,0.2,0.3,0.4\n' % (synsets[n % 4], n)
        for n in range(0, 2000, 2)).encode())
    gc.collect()
    before = len(gc.get_objects())
    entries = _conversion.find_imagenet_entries(root, synsets, ['t'] * 4)
    boxes = _conversion.read_bounding_boxes([boxes_csv])
    plan = _conversion.plan_split('train', entries, 2, '/out', boxes)
    gc.collect()
    self.assertLess(len(gc.get_objects()) - before, 200)  # not ~2000 entries + boxes
    self.assertEqual(plan.num_images, 2000)
    self.assertEqual(plan.num_with_boxes, 1000)

  def test_plan_sorts_shuffles_and_cuts_by_counts_only(self):
    entries = self._entries(23)
    output = self.create_tempdir().full_path
    plan = _conversion.plan_split('train', entries, 4, output)
    reversed_plan = _conversion.plan_split('train', entries[::-1], 4, output)
    self.assertEqual(plan, reversed_plan)
    expected = _conversion.shuffled(sorted(entries, key=lambda e: (e.label, e.filename)))
    self.assertEqual([e for t in plan.tasks for e in t.entries], expected)
    self.assertEqual([len(t.entries) for t in plan.tasks], [5, 6, 6, 6])
    self.assertEqual([os.path.basename(t.output_path) for t in plan.tasks],
                     ['train-%05d-of-00004' % i for i in range(4)])
    self.assertEqual(plan.num_images, 23)

  def test_tasks_carry_their_entries_compactly(self):
    plan = _conversion.plan_split('train', self._entries(300), 2, '/out')
    for task in plan.tasks:
      self.assertIsInstance(task.entries, records_lib.ShardEntries)
      data = pickle.dumps(task, protocol=pickle.HIGHEST_PROTOCOL)
      self.assertNotIn(b'ImageEntry', data)  # no per-image NamedTuple to unpickle
      self.assertEqual(pickle.loads(data), task)

  def test_boxes_go_with_their_image_as_plain_tuples(self):
    entries = self._entries(4)
    boxes = {'002.JPEG': [annotations.Box(0.1, 0.2, 0.3, 0.4)]}
    plan = _conversion.plan_split('train', entries, 1, '/out', boxes)
    (task,) = plan.tasks
    for entry, entry_boxes in zip(task.entries, task.boxes):
      self.assertEqual(entry_boxes,
                       ((0.1, 0.2, 0.3, 0.4),) if entry.filename == '002.JPEG' else ())
      self.assertTrue(all(type(b) is tuple for b in entry_boxes))

  def test_boxes_follow_an_image_whose_extension_changed(self):
    # The CSV names images as the XMLs do, `<stem>.JPEG`; the exact name wins.
    names = ['a.jpg', 'b.JPEG', 'b.jpg', 'c.jpg', 'c.png', 'd.png']
    entries = [_conversion.ImageEntry('/raw/' + n, n, 1, 'n1', 't') for n in names]
    box = (0.1, 0.2, 0.3, 0.4)
    boxes = {stem + '.JPEG': [box] for stem in 'abcz'}
    with self.assertLogs(level='WARNING') as logs:
      plan = _conversion.plan_split('train', entries, 1, '/out', boxes)
    (task,) = plan.tasks
    self.assertEqual({e.filename: b for e, b in zip(task.entries, task.boxes) if b},
                     {'a.jpg': (box,), 'b.JPEG': (box,)})
    self.assertIn('c.JPEG has boxes, but 2 images have its stem (c.jpg, c.png): '
                  'neither gets them', '\n'.join(logs.output))

  def test_empty_split_and_bad_options(self):
    with self.assertRaisesRegex(_conversion.ConversionError, 'no images'):
      _conversion.plan_split('train', [], 2, '/out')
    with self.assertRaisesRegex(ValueError, 'validate_images'):
      _conversion.plan_split('train', self._entries(2), 1, '/out',
                         options=_conversion.ConvertOptions(validate_images='most'))


class ConvertImagenetTest(absltest.TestCase):

  @classmethod
  def setUpClass(cls):
    super().setUpClass()
    root = absltest.get_default_test_tmpdir()
    cls.root = os.path.join(root, 'convert_imagenet')
    special = {
        '%s_0.JPEG' % SYNSETS[0]: fixtures.image_bytes(900, 'png', 52, 36),
        '%s_1.JPEG' % SYNSETS[0]: fixtures.image_bytes(901, 'cmyk', 44, 40),
        '%s_0.JPEG' % SYNSETS[1]: fixtures.image_bytes(902, 'grayscale', 41, 39),
        '%s_1.JPEG' % SYNSETS[1]: fixtures.image_bytes(903, 'progressive', 50, 30),
        '%s_0.JPEG' % SYNSETS[2]: fixtures.image_bytes(904, 'exif', 47, 33),
    }
    cls.train_files = fixtures.make_imagenet_split(
        os.path.join(cls.root, 'train'), SYNSETS, 6, seed=1, special=special)
    cls.validation_files = fixtures.make_imagenet_split(
        os.path.join(cls.root, 'validation'), SYNSETS, 3, seed=2,
        name_format='val_%(synset)s_%(n)d.JPEG')
    cls.synsets_file, cls.metadata_file = fixtures.write_label_files(
        os.path.join(cls.root, 'labels'), SYNSETS)
    train_boxes = fixtures.write(os.path.join(cls.root, 'train_boxes.csv'), (
        '%s_2.JPEG,0.1000,0.2000,0.3000,0.4000\n'
        '%s_2.JPEG,0.5000,0.6000,0.7000,0.8000\n'
        '%s_0.JPEG,0.0000,0.0000,1.0000,1.0000\n' % (SYNSETS[0], SYNSETS[0], SYNSETS[0])
    ).encode())
    validation_boxes = fixtures.write(os.path.join(cls.root, 'val_boxes.csv'), (
        'val_%s_1.JPEG,0.2500,0.2500,0.7500,0.7500\n' % SYNSETS[2]).encode())
    cls.output = os.path.join(cls.root, 'out')
    stdout = io.StringIO()
    with contextlib.redirect_stdout(stdout):
      cls.results = _conversion.convert_imagenet(
          os.path.join(cls.root, 'train'), os.path.join(cls.root, 'validation'),
          cls.output, cls.synsets_file, cls.metadata_file,
          [train_boxes, validation_boxes], train_shards=3, validation_shards=2,
          options=_conversion.ConvertOptions(workers=core.Workers(1), write_index=True),
          on_split_finished=_print_summary)
    cls.stdout = stdout.getvalue()

  def test_finished_lines_validation_first(self):
    self.assertEqual(self.stdout.splitlines(),
                     ['Finished writing all 9 images in data set.',
                      'Finished writing all 18 images in data set.'])
    self.assertEqual(list(self.results), ['validation', 'train'])
    self.assertEqual(self.results['train'].num_images, 18)

  def test_shard_names_and_counts(self):
    names = sorted(n for n in os.listdir(self.output) if '-of-' in n)
    self.assertEqual(names, ['train-00000-of-00003', 'train-00001-of-00003',
                             'train-00002-of-00003', 'validation-00000-of-00002',
                             'validation-00001-of-00002'])
    counts = [sum(1 for _ in tf.data.TFRecordDataset(os.path.join(self.output, n)))
              for n in names]
    self.assertEqual(counts, [6, 6, 6, 4, 5])

  def test_round_trip_labels_texts_and_boxes(self):
    records = read_split(self.output, 'train')
    self.assertLen(records, 18)
    filenames = [f['image/filename'].numpy().decode() for f, _ in records]
    self.assertCountEqual(filenames, self.train_files)
    for features, boxes in records:
      filename = features['image/filename'].numpy().decode()
      label = SYNSETS.index(filename.split('_')[0]) + 1
      self.assertEqual(features['image/class/label'].numpy(), label)
      self.assertEqual(features['image/class/synset'].numpy().decode(),
                       SYNSETS[label - 1])
      self.assertEqual(features['image/class/text'].numpy().decode(),
                       'class %s, number %d' % (SYNSETS[label - 1][-3:], label - 1))
      expected_boxes = {
          '%s_2.JPEG' % SYNSETS[0]: [[0.2, 0.1, 0.4, 0.3], [0.6, 0.5, 0.8, 0.7]],
          '%s_0.JPEG' % SYNSETS[0]: [[0.0, 0.0, 1.0, 1.0]],
      }.get(filename, [])
      self.assertAllClose(boxes.numpy().tolist(), expected_boxes)
    (validation_boxed,) = [b for f, b in read_split(self.output, 'validation')
                           if b.shape[0]]
    self.assertAllClose(validation_boxed.numpy().tolist(), [[0.25, 0.25, 0.75, 0.75]])

  def assertAllClose(self, actual, expected):
    self.assertEqual(len(actual), len(expected))
    for a, e in zip(actual, expected):
      self.assertSequenceAlmostEqual(a, e, places=5)

  def test_order_is_the_shuffled_sorted_list(self):
    filenames = [f['image/filename'].numpy().decode()
                 for f, _ in read_split(self.output, 'train')]
    ordered = sorted(self.train_files, key=lambda n: (SYNSETS.index(n.split('_')[0]), n))
    self.assertEqual(filenames, _conversion.shuffled(ordered))

  def test_images_decode_to_their_size_with_three_channels(self):
    for split, files in (('train', self.train_files),
                         ('validation', self.validation_files)):
      for features, _ in read_split(self.output, split):
        encoded = features['image/encoded'].numpy()
        decoded = tf.io.decode_jpeg(encoded, channels=3)
        self.assertEqual(tuple(decoded.shape), (features['image/height'].numpy(),
                                                features['image/width'].numpy(), 3))
        original = files[features['image/filename'].numpy().decode()]
        if original[:8] == b'\x89PNG\r\n\x1a\n' or _components(original) == 4:
          self.assertNotEqual(encoded, original)
          self.assertEqual(_components(encoded), 3)
        else:  # plain, grayscale, progressive, EXIF: byte for byte
          self.assertEqual(encoded, original)

  def test_hard_cases_sizes(self):
    sizes = {f['image/filename'].numpy().decode(): (f['image/height'].numpy(),
                                                    f['image/width'].numpy())
             for f, _ in read_split(self.output, 'train')}
    self.assertEqual(sizes['%s_0.JPEG' % SYNSETS[0]], (36, 52))  # PNG
    self.assertEqual(sizes['%s_1.JPEG' % SYNSETS[0]], (40, 44))  # CMYK
    self.assertEqual(sizes['%s_0.JPEG' % SYNSETS[1]], (39, 41))  # grayscale
    self.assertEqual(sizes['%s_1.JPEG' % SYNSETS[1]], (30, 50))  # progressive
    self.assertEqual(sizes['%s_0.JPEG' % SYNSETS[2]], (33, 47))  # EXIF

  def test_index_files_match_the_shards(self):
    for name in (n for n in os.listdir(self.output) if '-of-' in n):
      shard = os.path.join(self.output, name)
      with open(core.index_path(self.output, name)) as f:
        lines = [tuple(map(int, line.split())) for line in f]
      self.assertEqual(lines, records_lib.record_spans(shard))
      with open(shard, 'rb') as f:
        data = f.read()
      records = [r.numpy() for r in tf.data.TFRecordDataset(shard)]
      self.assertEqual([data[o + 12:o + s - 4] for o, s in lines], records)
    self.assertEqual(glob.glob(os.path.join(self.output, 'train-*')),
                     glob.glob(os.path.join(self.output, 'train-*-of-00003')))

  def test_manifest(self):
    train = records_lib.load_manifest(self.output).splits['train']
    self.assertEqual((train.num_shards, train.num_images, train.complete), (3, 18, True))
    self.assertEqual(train.shard_counts, [6, 6, 6])
    self.assertEqual(train.class_counts, {'1': 6, '2': 6, '3': 6})
    self.assertEqual(train.skipped_images, [])
    with open(os.path.join(self.output, 'conversion_manifest.json')) as f:
      manifest = json.load(f)
    self.assertEqual(manifest['splits']['validation']['shard_counts'], [4, 5])
    typed = records_lib.load_manifest(self.output)
    self.assertEqual(typed.to_json(), manifest)
    self.assertEqual(typed.splits['train'].num_images, 18)

  def test_merged_box_files_must_not_overlap(self):
    csv = fixtures.write(os.path.join(self.create_tempdir().full_path, 'b.csv'),
                         b'x.JPEG,0.1,0.1,0.2,0.2\n')
    with self.assertRaisesRegex(ValueError, 'x.JPEG has boxes in both'):
      _conversion.read_bounding_boxes([csv, csv])

  def test_box_files_merge_into_one_packed_table(self):
    directory = self.create_tempdir().full_path
    train = fixtures.write(os.path.join(directory, 'train.csv'),
                           b'a.JPEG,0.1,0.1,0.2,0.2\nb.JPEG,0,0,1,1\n'
                           b'a.JPEG,0.3,0.3,0.4,0.5\n')
    validation = fixtures.write(os.path.join(directory, 'validation.csv'),
                                b'v.JPEG,0.5,0.25,0.75,1\n')
    table = _conversion.read_bounding_boxes([train, validation])
    self.assertIsInstance(table, records_lib.BoxTable)
    self.assertEqual(dict(table), {
        'a.JPEG': ((0.1, 0.1, 0.2, 0.2), (0.3, 0.3, 0.4, 0.5)),
        'b.JPEG': ((0.0, 0.0, 1.0, 1.0),), 'v.JPEG': ((0.5, 0.25, 0.75, 1.0),)})
    with self.assertRaisesRegex(ValueError, 'v.JPEG has boxes in both .*validation.csv '
                                'and .*again.csv'):
      _conversion.read_bounding_boxes([train, validation, fixtures.write(
          os.path.join(directory, 'again.csv'), b'c.JPEG,0,0,1,1\nv.JPEG,0,0,1,1\n')])


class GfilePathTest(absltest.TestCase):
  """Input and output through tf.io.gfile (ram:// stands in for gs://; it lives in
  this process's memory, hence one worker)."""

  def test_ram_filesystem_in_and_out_with_resume(self):
    labels_dir = self.create_tempdir().full_path
    synsets_file, metadata_file = fixtures.write_label_files(labels_dir, SYNSETS)
    for synset in SYNSETS:
      for n in range(3):
        with tf.io.gfile.GFile('ram://raw/train/%s/%s_%d.JPEG' % (synset, synset, n),
                               'wb') as f:
          f.write(fixtures.image_bytes(n, 'png' if n == 2 else None))
    options = _conversion.ConvertOptions(workers=core.Workers(1), write_index=True)
    for expected_reused in (0, 2):
      with contextlib.redirect_stdout(io.StringIO()):
        result = _conversion.convert_imagenet('ram://raw/train', None, 'ram://out',
                                          synsets_file, metadata_file,
                                          train_shards=2, options=options)['train']
      self.assertEqual((result.num_images, result.num_reused_shards),
                       (9, expected_reused))
    self.assertCountEqual(tf.io.gfile.listdir('ram://out'),
                          ['conversion_manifest.json', 'index', 'train-00000-of-00002',
                           'train-00001-of-00002'])
    records = list(tf.data.TFRecordDataset(tf.io.gfile.glob('ram://out/train-*')))
    self.assertLen(records, 9)
    spans = records_lib.record_spans('ram://out/train-00000-of-00002')
    with tf.io.gfile.GFile('ram://out/index/train-00000-of-00002.idx') as f:
      self.assertEqual(records_lib.index_text(spans), f.read())


def _components(jpeg):
  """The component count of a JPEG's SOF segment."""
  position = 2
  while position < len(jpeg):
    marker, length = jpeg[position + 1], int.from_bytes(jpeg[position + 2:position + 4],
                                                        'big')
    if 0xC0 <= marker <= 0xCF and marker not in (0xC4, 0xC8, 0xCC):
      return jpeg[position + 9]
    position += 2 + length
  return None


# Worker counts.


class WorkerCountTest(absltest.TestCase):

  def test_identical_shards_and_indexes_for_one_two_and_three_workers(self):
    root = self.create_tempdir().full_path
    special = {'%s_0.JPEG' % WORKER_SYNSETS[0]: fixtures.image_bytes(1, 'png'),
               '%s_1.JPEG' % WORKER_SYNSETS[1]: fixtures.image_bytes(2, 'cmyk'),
               '%s_2.JPEG' % WORKER_SYNSETS[2]: fixtures.image_bytes(3, 'grayscale')}
    fixtures.make_imagenet_split(os.path.join(root, 'train'), WORKER_SYNSETS, 7,
                                 special=special)
    synsets_file, metadata_file = fixtures.write_label_files(root, WORKER_SYNSETS)
    boxes = fixtures.write(os.path.join(root, 'boxes.csv'),
                           ('%s_3.JPEG,0.1,0.2,0.3,0.4\n' % WORKER_SYNSETS[3]).encode())
    outputs = {}
    for workers in (1, 2, 3):
      output = os.path.join(root, 'out%d' % workers)
      with contextlib.redirect_stdout(io.StringIO()) as stdout:
        result = _conversion.convert_imagenet(
            os.path.join(root, 'train'), None, output, synsets_file, metadata_file,
            [boxes], train_shards=5,
            options=_conversion.ConvertOptions(workers=core.Workers(workers), write_index=True),
            on_split_finished=_print_summary)
      self.assertEqual(stdout.getvalue(), 'Finished writing all 28 images in data set.\n')
      self.assertEqual(result['train'].num_images, 28)
      outputs[workers] = file_trees.file_contents(output)
    self.assertLen(outputs[1], 5 + 5 + 1)  # shards, indexes, manifest
    self.assertEqual(outputs[2], outputs[1])
    self.assertEqual(outputs[3], outputs[1])


# Resuming: complete shards are kept, a killed run resumes to identical output,
# shards of another plan are refused, and bad images stop or are skipped honestly.


class ResumeTest(absltest.TestCase):

  def setUp(self):
    super().setUp()
    self.root = self.create_tempdir().full_path
    self.train = os.path.join(self.root, 'train')
    self.files = fixtures.make_imagenet_split(self.train, SYNSETS, 8)
    self.labels = fixtures.write_label_files(os.path.join(self.root, 'labels'), SYNSETS)

  def convert(self, output, num_shards=6, num_workers=1, **options):
    options['workers'] = core.Workers(num_workers)
    with contextlib.redirect_stdout(io.StringIO()) as stdout:
      result = _conversion.convert_imagenet(self.train, None, output, *self.labels,
                                            train_shards=num_shards,
                                            options=_conversion.ConvertOptions(**options),
                                            on_split_finished=_print_summary)
    self.stdout = stdout.getvalue()
    return result.get('train')

  def test_rerun_keeps_complete_shards(self):
    output = os.path.join(self.root, 'out')
    self.convert(output)
    before = {n: os.stat(os.path.join(output, n)).st_ino for n in os.listdir(output)
              if '-of-' in n}
    contents = file_trees.file_contents(output)
    result = self.convert(output, write_index=True)
    self.assertEqual(result.num_reused_shards, 6)
    self.assertEqual(self.stdout, 'Finished writing all 24 images in data set.\n')
    for name, inode in before.items():
      self.assertEqual(os.stat(os.path.join(output, name)).st_ino, inode)
    after = file_trees.file_contents(output)
    self.assertLen([n for n in after if n.startswith('index/')], 6)  # added on reuse
    self.assertEqual({n: b for n, b in after.items() if not n.startswith('index/')},
                     contents)
    result = self.convert(output, overwrite=True)
    self.assertEqual(result.num_reused_shards, 0)
    # ... and the index files of no use are gone.
    self.assertEqual(file_trees.file_contents(output), contents)

  def test_corrupt_or_missing_shard_is_rewritten(self):
    output = os.path.join(self.root, 'out')
    self.convert(output)
    contents = file_trees.file_contents(output)
    with open(os.path.join(output, 'train-00002-of-00006'), 'r+b') as f:
      f.truncate(100)
    os.remove(os.path.join(output, 'train-00004-of-00006'))
    result = self.convert(output)
    self.assertEqual(result.num_reused_shards, 4)
    self.assertEqual(file_trees.file_contents(output), contents)

  def test_killed_run_resumes_to_identical_output(self):
    reference = os.path.join(self.root, 'reference')
    self.convert(reference)
    # Block one image (a FIFO never written) so the run is mid-way when killed.
    plan = _conversion.plan_split('train', _conversion.find_imagenet_entries(
        self.train, SYNSETS, ['t'] * 3), 6, '/unused')
    blocked_shard = 3
    blocked = plan.tasks[blocked_shard].entries[1].source
    os.remove(blocked)
    os.mkfifo(blocked)
    output = os.path.join(self.root, 'out')
    code = ('from inception import convert\n'
            'from inception import core\n'
            'convert.convert_imagenet(%r, None, %r, %r, %r, train_shards=6,\n'
            '    options=convert.ConvertOptions(workers=core.Workers(2)),\n'
            '    on_split_finished=lambda result: print(result.summary_line()))\n' %
            ((self.train, output) + tuple(self.labels)))
    env = dict(os.environ, PYTHONPATH=os.pathsep.join(p for p in sys.path if p))
    child = subprocess.Popen([sys.executable, '-c', code], env=env,
                             start_new_session=True, stdout=subprocess.PIPE,
                             stderr=subprocess.DEVNULL)
    others = ['train-%05d-of-00006' % i for i in range(6) if i != blocked_shard]
    deadline = time.monotonic() + 50
    while not all(os.path.exists(os.path.join(output, n)) for n in others):
      self.assertIsNone(child.poll(), 'the run ended before it was killed')
      self.assertLess(time.monotonic(), deadline, 'the run did not get far enough')
      time.sleep(0.05)
    os.killpg(child.pid, signal.SIGKILL)
    child.wait()
    self.assertNotIn(b'Finished', child.stdout.read())
    child.stdout.close()
    names = os.listdir(output)
    self.assertNotIn('train-00003-of-00006', names)
    self.assertTrue(any('train-00003-of-00006.incomplete-' in n for n in names), names)

    os.remove(blocked)
    fixtures.write(blocked, self.files[os.path.basename(blocked)])
    result = self.convert(output)
    self.assertEqual(result.num_reused_shards, 5)
    self.assertEqual(file_trees.file_contents(output),
                     file_trees.file_contents(reference))

  def test_shards_of_another_plan_are_refused_unless_overwrite(self):
    output = os.path.join(self.root, 'out')
    self.convert(output, num_shards=2)
    with self.assertRaisesRegex(_conversion.ConversionError, 'another plan'):
      self.convert(output, num_shards=3)
    fixtures.write(os.path.join(self.train, SYNSETS[0], 'extra.JPEG'),
                   fixtures.image_bytes(77))
    with self.assertRaisesRegex(_conversion.ConversionError, 'different plan'):
      self.convert(output, num_shards=2)
    self.convert(output, num_shards=3, overwrite=True)
    self.assertEqual(sorted(n for n in os.listdir(output) if '-of-' in n),
                     ['train-%05d-of-00003' % i for i in range(3)])
    self.assertEqual(self.stdout, 'Finished writing all 25 images in data set.\n')

  def test_shards_without_a_manifest_are_refused(self):
    output = os.path.join(self.root, 'out')
    fixtures.write(os.path.join(output, 'train-00000-of-00006'), b'')
    with self.assertRaisesRegex(_conversion.ConversionError, 'no record of their plan'):
      self.convert(output)


class BadImageTest(absltest.TestCase):

  def setUp(self):
    super().setUp()
    self.root = self.create_tempdir().full_path
    self.train = os.path.join(self.root, 'train')
    self.bad_name = '%s_2.JPEG' % SYNSETS[1]
    self.bad_path = os.path.join(self.train, SYNSETS[1], self.bad_name)
    fixtures.make_imagenet_split(self.train, SYNSETS, 5,
                                 special={self.bad_name: fixtures.truncated_jpeg()})
    self.labels = fixtures.write_label_files(os.path.join(self.root, 'labels'), SYNSETS)
    self.output = os.path.join(self.root, 'out')

  def convert(self, num_workers=1, **options):
    options['workers'] = core.Workers(num_workers)
    with contextlib.redirect_stdout(io.StringIO()) as stdout:
      try:
        return _conversion.convert_imagenet(self.train, None, self.output, *self.labels,
                                            train_shards=3,
                                            options=_conversion.ConvertOptions(**options),
                                            on_split_finished=_print_summary)
      finally:
        self.stdout = stdout.getvalue()

  def test_default_stops_naming_the_image(self):
    with self.assertRaises(records_lib.ImageError) as raised:
      self.convert(num_workers=2)
    self.assertIn(self.bad_path, str(raised.exception))
    self.assertEqual(self.stdout, '')
    plan = _conversion.plan_split('train', _conversion.find_imagenet_entries(
        self.train, SYNSETS, ['t'] * 3), 3, self.output)
    (bad_task,) = [t for t in plan.tasks
                   if self.bad_name in [e.filename for e in t.entries]]
    self.assertFalse(os.path.exists(bad_task.output_path))
    self.assertEqual([n for n in os.listdir(self.output) if 'incomplete' in n], [])
    record = records_lib.load_manifest(self.output).splits['train']
    self.assertFalse(record.complete)
    self.assertIsNone(record.shard_counts[bad_task.index])

  def test_skip_lists_the_image_and_counts_honestly(self):
    result = self.convert(num_workers=2, skip_bad_images=True)['train']
    self.assertEqual(self.stdout, 'Finished writing all 14 images in data set.\n')
    self.assertEqual(result.num_images, 14)
    self.assertEqual([(s.source, s.filename) for s in result.skipped],
                     [(self.bad_path, self.bad_name)])
    with open(os.path.join(self.output, 'bad_images-train.txt')) as f:
      lines = f.read().splitlines()
    self.assertLen(lines, 1)
    self.assertTrue(lines[0].startswith(self.bad_path + '\tcorrupt JPEG header'))
    with open(os.path.join(self.output, 'conversion_manifest.json')) as f:
      record = json.load(f)['splits']['train']
    self.assertEqual((record['num_images'], record['num_skipped']), (14, 1))
    self.assertEqual(sum(record['shard_counts']), 14)
    self.assertEqual(record['class_counts'], {'1': 5, '2': 4, '3': 5})
    self.assertEqual(record['skipped_images'][0]['filename'], self.bad_name)

    # A resumed skip run keeps everything; a strict run redoes the shard and fails.
    again = self.convert(num_workers=1, skip_bad_images=True)['train']
    self.assertEqual((again.num_reused_shards, again.num_images, len(again.skipped)),
                     (3, 14, 1))
    with self.assertRaisesRegex(records_lib.ImageError, self.bad_name):
      self.convert(num_workers=1)

  def test_full_validation_finds_cut_scan_data(self):
    fixtures.write(self.bad_path, fixtures.truncated_scan_jpeg())
    self.assertEqual(self.convert(num_workers=1, validate_images='none')['train']
                     .num_images, 15)
    with self.assertRaisesRegex(records_lib.ImageError, 'TensorFlow cannot decode'):
      self.convert(num_workers=2, validate_images='full', overwrite=True)


class LocalShardRunnerTest(absltest.TestCase):
  """The local pool writing shards: what `shard_runner` gives for runner 'local'."""

  def setUp(self):
    super().setUp()
    self.directory = self.create_tempdir().full_path

  def _runner(self, num_workers):
    return _conversion.shard_runner(
        _conversion.ConvertOptions(workers=core.Workers(num_workers)))

  def _tasks(self, num_shards, per_shard, bad=None):
    tasks = []
    for index in range(num_shards):
      entries = []
      for n in range(per_shard):
        name = 's%d_%d.JPEG' % (index, n)
        data = fixtures.image_bytes(index * 100 + n)
        if name == bad:
          data = b'garbage'
        path = fixtures.write(os.path.join(self.directory, 'raw', name), data)
        entries.append(records_lib.ImageEntry(path, name, index + 1, 'n1', 't'))
      tasks.append(records_lib.ShardTask(
          'train', index, num_shards,
          os.path.join(self.directory, 'train-%05d-of-%05d' % (index, num_shards)),
          tuple(entries), tuple(() for _ in entries)))
    return tasks

  def _bytes(self, tasks):
    result = []
    for task in tasks:
      with open(task.output_path, 'rb') as f:
        result.append(f.read())
    return result

  def test_workers_write_every_shard_as_in_process_does(self):
    tasks = self._tasks(5, 3)
    results, progress = [], []
    self._runner(3).run(tasks, results.append, lambda n, b: progress.append((n, b)))
    self.assertCountEqual([r.index for r in results], range(5))
    self.assertEqual(sum(n for n, _ in progress), 15)
    self.assertEqual(sum(b for _, b in progress), sum(r.num_input_bytes for r in results))
    from_workers = self._bytes(tasks)
    in_process = []
    self._runner(1).run(tasks, in_process.append)
    self.assertEqual([r.index for r in in_process], list(range(5)))
    self.assertEqual(self._bytes(tasks), from_workers)

  def test_a_failure_is_raised_with_the_image_path(self):
    tasks = self._tasks(4, 2, bad='s1_1.JPEG')
    results = []
    with self.assertRaises(records_lib.ImageError) as raised:
      self._runner(2).run(tasks, results.append)
    self.assertIn(os.path.join(self.directory, 'raw', 's1_1.JPEG'), str(raised.exception))
    self.assertNotIn(1, [r.index for r in results])
    self.assertFalse(os.path.exists(tasks[1].output_path))
    for result in results:  # shards reported done are whole
      self.assertTrue(os.path.exists(result.output_path))
    leftovers = [n for n in os.listdir(self.directory) if 'incomplete' in n]
    self.assertEqual(leftovers, [])

  def test_no_tasks(self):
    self._runner(4).run([], self.fail)


if __name__ == '__main__':
  absltest.main()
