"""Tests of inception.imagenet._splits: ImageNet's splits found (folders, tarballs),
labelled and boxed, and converted whole."""

import contextlib
import gc
import glob
import io
import json
import os
import random

from absl.testing import absltest
import tensorflow as tf

from inception import convert
from inception import core
from inception import label_files
from inception import records as records_lib
from inception.imagenet import _splits
from tests import conversion_fixtures as fixtures

SYNSETS = fixtures.synset_names(3)


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


def _shuffled(items):
  """The original's shuffle: random.seed(12345), random.shuffle of the index list."""
  index = list(range(len(items)))
  state = random.getstate()
  random.seed(12345)
  random.shuffle(index)
  random.setstate(state)
  return [items[i] for i in index]


class FindEntriesTest(absltest.TestCase):

  def test_imagenet_entries_sorted_with_labels_in_synset_order(self):
    root = self.create_tempdir().full_path
    synsets = ['n00000002', 'n00000001']  # file order decides labels, not sorting
    for synset, names in ((synsets[0], ['b.JPEG', 'a.jpg', 'c.PNG', 'notes.txt']),
                          (synsets[1], ['z.jpeg'])):
      for name in names:
        fixtures.write(os.path.join(root, synset, name), b'x')
    os.makedirs(os.path.join(root, synsets[1], 'sub.JPEG'))
    entries = _splits.find_imagenet_entries(root, synsets, ['two', 'one'])
    self.assertEqual([(e.filename, e.label, e.synset, e.text) for e in entries],
                     [('a.jpg', 1, 'n00000002', 'two'),
                      ('b.JPEG', 1, 'n00000002', 'two'),
                      ('c.PNG', 1, 'n00000002', 'two'),
                      ('z.jpeg', 2, 'n00000001', 'one')])
    self.assertEqual(entries[0].source, os.path.join(root, 'n00000002', 'a.jpg'))

  def test_tar_entries_match_the_directory_entries(self):
    members = {'n00000002': [_Member('b.JPEG'), _Member('a.jpg'), _Member('notes.txt')],
               'n00000001': [_Member('z.jpeg')]}
    entries = _splits.train_tar_entries(members, ['n00000002', 'n00000001'],
                                            ['two', 'one'], 'train.tar')
    self.assertEqual([(e.filename, e.label, e.synset, e.text) for e in entries],
                     [('a.jpg', 1, 'n00000002', 'two'),
                      ('b.JPEG', 1, 'n00000002', 'two'),
                      ('z.jpeg', 2, 'n00000001', 'one')])
    self.assertIs(entries[2].source, members['n00000001'][0])
    with self.assertRaisesRegex(convert.ConversionError,
                                r'train.tar holds no image of class n00000003'):
      _splits.train_tar_entries(members, ['n00000003'], ['three'], 'train.tar')
    validation = [_Member('ILSVRC2012_val_00000002.JPEG'),
                  _Member('ILSVRC2012_val_00000001.JPEG')]
    entries = _splits.validation_tar_entries(
        validation, ['n00000002', 'n00000001'], ['n00000001', 'n00000002'],
        ['one', 'two'], 'val.tar')
    self.assertEqual([(e.filename, e.label, e.synset, e.text) for e in entries],
                     [('ILSVRC2012_val_00000002.JPEG', 1, 'n00000001', 'one'),
                      ('ILSVRC2012_val_00000001.JPEG', 2, 'n00000002', 'two')])
    with self.assertRaisesRegex(convert.ConversionError, 'not in the synsets file'):
      _splits.validation_tar_entries(validation, ['n00000002', 'n00000009'],
                                         ['n00000002'], ['two'], 'val.tar')

  def test_test_entries_are_unlabelled_from_a_directory_or_the_tar(self):
    root = self.create_tempdir().full_path
    directory = os.path.join(root, 'test')
    for name in ('ILSVRC2012_test_00000002.JPEG', 'ILSVRC2012_test_00000001.JPEG',
                 'readme.txt'):
      fixtures.write(os.path.join(directory, name), b'x')
    expected = [('ILSVRC2012_test_00000001.JPEG', 0, '', ''),
                ('ILSVRC2012_test_00000002.JPEG', 0, '', '')]
    entries = _splits.test_directory_entries(directory)
    self.assertEqual([(e.filename, e.label, e.synset, e.text) for e in entries],
                     expected)
    self.assertEqual(entries[0].source,
                     os.path.join(directory, 'ILSVRC2012_test_00000001.JPEG'))
    members = [_Member('ILSVRC2012_test_00000002.JPEG'), _Member('readme.txt'),
               _Member('ILSVRC2012_test_00000001.JPEG')]
    entries = _splits.test_tar_entries(members, 'test.tar')
    self.assertEqual([(e.filename, e.label, e.synset, e.text) for e in entries],
                     expected)
    self.assertIs(entries[0].source, members[2])
    with self.assertRaisesRegex(convert.ConversionError, 'test.tar holds no'):
      _splits.test_tar_entries([_Member('readme.txt')], 'test.tar')
    with self.assertRaisesRegex(convert.ConversionError,
                                'test directory .*/missing does not exist'):
      _splits.test_directory_entries(os.path.join(root, 'missing'))
    os.remove(os.path.join(directory, 'ILSVRC2012_test_00000001.JPEG'))
    os.remove(os.path.join(directory, 'ILSVRC2012_test_00000002.JPEG'))
    with self.assertRaisesRegex(convert.ConversionError,
                                'test directory .*/test holds no'):
      _splits.test_directory_entries(directory)

  def test_validation_tar_must_match_the_label_file(self):
    with self.assertRaisesRegex(convert.ConversionError, 'ILSVRC2012_val_00000002'):
      _splits.validation_tar_entries(
          [_Member('ILSVRC2012_val_00000001.JPEG')], ['n01440764', 'n01440764'],
          ['n01440764'], ['tench'], 'val.tar')

  def test_a_split_comes_from_a_directory_or_a_tarball_not_both(self):
    with self.assertRaisesRegex(ValueError, 'not both'):
      _splits.SplitSources(convert.SplitPaths(train='/raw/train'),
                           convert.SplitPaths(train='/train.tar'))
    with self.assertRaisesRegex(ValueError, 'not both'):
      _splits.SplitSources(convert.SplitPaths(test='/raw/test'),
                           convert.SplitPaths(test='/test.tar'))
    sources = _splits.SplitSources(convert.SplitPaths(train='/raw/train'),
                                   convert.SplitPaths(validation='/val.tar'))
    self.assertEqual(sources.paths(),
                     convert.SplitPaths(train='/raw/train', validation='/val.tar'))
    self.assertEqual(sources.tarball_paths(), {'/val.tar'})


class ValidationSubsetTest(absltest.TestCase):

  def test_a_validation_class_its_label_file_does_not_name_may_be_missing(self):
    root = self.create_tempdir().full_path
    fixtures.make_imagenet_split(os.path.join(root, 'validation'), SYNSETS[1:], 1,
                                 seed=3)
    synsets_file, metadata_file = fixtures.write_label_files(
        os.path.join(root, 'labels'), SYNSETS)
    subset_labels = fixtures.write(os.path.join(root, 'subset_labels.txt'), ''.join(
        '%s\n' % synset for synset in SYNSETS[1:]).encode())
    labels = label_files.LabelFiles(synsets_file, metadata_file, subset_labels)
    sources = _splits.SplitSources(convert.SplitPaths(
        validation=os.path.join(root, 'validation')))
    options = convert.ConvertOptions(workers=core.Workers(1))
    results = _splits.convert_imagenet(sources, os.path.join(root, 'out'), options,
                                       labels, (), convert.ShardCounts(train=1, validation=1))
    self.assertEqual(results['validation'].num_images, 2)
    records = read_split(os.path.join(root, 'out'), 'validation')
    self.assertEqual(sorted(int(features['image/class/label'])
                            for features, _ in records), [2, 3])
    every_class = fixtures.write(os.path.join(root, 'all_labels.txt'), ''.join(
        '%s\n' % synset for synset in SYNSETS).encode())
    with self.assertRaisesRegex(convert.ConversionError,
                                '%s does not exist' % SYNSETS[0]):
      _splits.convert_imagenet(
          sources, os.path.join(root, 'out2'), options,
          label_files.LabelFiles(synsets_file, metadata_file, every_class), (),
          convert.ShardCounts(train=1, validation=1))


class MemoryTest(absltest.TestCase):

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
    entries = _splits.find_imagenet_entries(root, synsets, ['t'] * 4)
    boxes = _splits.read_bounding_boxes([boxes_csv])
    plan = convert.plan_split('train', entries, 2, '/out', boxes)
    gc.collect()
    self.assertLess(len(gc.get_objects()) - before, 200)  # not ~2000 entries + boxes
    self.assertEqual(plan.num_images, 2000)
    self.assertEqual(plan.num_with_boxes, 1000)


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
      cls.results = _splits.convert_imagenet(
          _splits.SplitSources(convert.SplitPaths(
              train=os.path.join(cls.root, 'train'),
              validation=os.path.join(cls.root, 'validation'))),
          cls.output,
          convert.ConvertOptions(workers=core.Workers(1), write_index=True),
          label_files.LabelFiles(cls.synsets_file, cls.metadata_file),
          [train_boxes, validation_boxes], convert.ShardCounts(train=3, validation=2),
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
    self.assertEqual(filenames, _shuffled(ordered))

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
      _splits.read_bounding_boxes([csv, csv])

  def test_box_files_merge_into_one_packed_table(self):
    directory = self.create_tempdir().full_path
    train = fixtures.write(os.path.join(directory, 'train.csv'),
                           b'a.JPEG,0.1,0.1,0.2,0.2\nb.JPEG,0,0,1,1\n'
                           b'a.JPEG,0.3,0.3,0.4,0.5\n')
    validation = fixtures.write(os.path.join(directory, 'validation.csv'),
                                b'v.JPEG,0.5,0.25,0.75,1\n')
    table = _splits.read_bounding_boxes([train, validation])
    self.assertIsInstance(table, records_lib.BoxTable)
    self.assertEqual(dict(table), {
        'a.JPEG': ((0.1, 0.1, 0.2, 0.2), (0.3, 0.3, 0.4, 0.5)),
        'b.JPEG': ((0.0, 0.0, 1.0, 1.0),), 'v.JPEG': ((0.5, 0.25, 0.75, 1.0),)})
    with self.assertRaisesRegex(ValueError, 'v.JPEG has boxes in both .*validation.csv '
                                'and .*again.csv'):
      _splits.read_bounding_boxes([train, validation, fixtures.write(
          os.path.join(directory, 'again.csv'), b'c.JPEG,0,0,1,1\nv.JPEG,0,0,1,1\n')])


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


if __name__ == '__main__':
  absltest.main()
