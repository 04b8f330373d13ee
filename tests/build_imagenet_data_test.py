"""Tests the build_imagenet_data binary as users run it (exit status, output, flags)."""

import os

from absl.testing import absltest
from PIL import Image
import tensorflow as tf

from inception import label_files
from tests import binaries
from tests import conversion_fixtures as fixtures

_BINARY = 'build_imagenet_data'


def _tiny_jpeg(path, shade):
  os.makedirs(os.path.dirname(path), exist_ok=True)
  Image.new('RGB', (9, 7), (shade % 256, 40, 90)).save(path, 'JPEG', quality=80)


class ShippedLabelFilesTest(absltest.TestCase):

  def test_all_1000_classes_with_default_label_files_and_relative_paths(self):
    root = self.create_tempdir().full_path
    synsets = label_files.read_synsets()
    self.assertLen(synsets, 1000)
    for index, synset in enumerate(synsets):
      _tiny_jpeg(os.path.join(root, 'raw', 'train', synset, '%s_1.JPEG' % synset), index)
      _tiny_jpeg(os.path.join(root, 'raw', 'validation', synset,
                              'ILSVRC2012_val_%08d.JPEG' % (index + 1)), index)
    with open(os.path.join(root, 'raw', 'boxes.csv'), 'w') as f:
      f.write('n01440764_1.JPEG,0.1000,0.2000,0.3000,0.4000\n')
    elsewhere = self.create_tempdir().full_path
    result = binaries.run(_BINARY, ['--train_directory=raw/train', '--validation_directory=raw/validation',
                   '--output_directory=out', '--bounding_box_file=raw/boxes.csv',
                   '--train_shards=4', '--validation_shards=2', '--num_threads=2'],
                  cwd=elsewhere, BUILD_WORKING_DIRECTORY=root)
    self.assertEqual(result.returncode, 0, result.stderr[-3000:])
    self.assertEqual(result.stdout.splitlines(),
                     ['Finished writing all 1000 images in data set.'] * 2)
    self.assertIn('ETA', result.stderr)  # progress lines with rate and ETA
    output = os.path.join(root, 'out')
    self.assertEqual(sorted(n for n in os.listdir(output) if '-of-' in n),
                     ['train-%05d-of-00004' % i for i in range(4)] +
                     ['validation-00000-of-00002', 'validation-00001-of-00002'])
    found = 0
    for serialized in tf.data.TFRecordDataset(
        [os.path.join(output, 'train-%05d-of-00004' % i) for i in range(4)]):
      feature = tf.train.Example.FromString(serialized.numpy()).features.feature
      if feature['image/filename'].bytes_list.value[0] == b'n01440764_1.JPEG':
        found += 1
        self.assertEqual(feature['image/class/label'].int64_list.value, [1])
        self.assertEqual(feature['image/class/text'].bytes_list.value,
                         [b'tench, Tinca tinca'])
        self.assertLen(feature['image/object/bbox/xmin'].float_list.value, 1)
      if feature['image/filename'].bytes_list.value[0] == b'n15075141_1.JPEG':
        self.assertEqual(feature['image/class/label'].int64_list.value, [1000])
    self.assertEqual(found, 1)


class FailureTest(absltest.TestCase):

  def setUp(self):
    super().setUp()
    self.root = self.create_tempdir().full_path
    self.synsets = fixtures.synset_names(2)
    self.bad = os.path.join(self.root, 'train', self.synsets[1], '%s_1.JPEG' %
                            self.synsets[1])
    fixtures.make_imagenet_split(os.path.join(self.root, 'train'), self.synsets, 3,
                                 special={os.path.basename(self.bad): b'GIF89a broken'})
    fixtures.make_imagenet_split(os.path.join(self.root, 'validation'), self.synsets, 2,
                                 name_format='val_%(synset)s_%(n)d.JPEG')
    self.labels = fixtures.write_label_files(self.root, self.synsets)

  def _args(self, *extra):
    return ['--train_directory=%s/train' % self.root,
            '--validation_directory=%s/validation' % self.root,
            '--output_directory=%s/out' % self.root,
            '--labels_file=%s' % self.labels[0],
            '--imagenet_metadata_file=%s' % self.labels[1],
            '--train_shards=2', '--validation_shards=1', '--num_threads=1'] + list(extra)

  def test_bad_image_exits_non_zero_naming_it(self):
    result = binaries.run(_BINARY, self._args('--bounding_box_file='), cwd=self.root)
    self.assertNotEqual(result.returncode, 0)
    self.assertIn(self.bad, result.stderr)
    self.assertEqual(result.stdout, 'Finished writing all 4 images in data set.\n')

  def test_skip_bad_images_exits_zero_with_honest_counts(self):
    result = binaries.run(_BINARY, self._args('--bounding_box_file=', '--skip_bad_images',
                             '--write_index'), cwd=self.root)
    self.assertEqual(result.returncode, 0, result.stderr[-3000:])
    self.assertEqual(result.stdout.splitlines(),
                     ['Finished writing all 4 images in data set.',
                      'Finished writing all 5 images in data set.'])
    with open(os.path.join(self.root, 'out', 'bad_images-train.txt')) as f:
      self.assertTrue(f.read().startswith(self.bad + '\t'))
    self.assertLen(os.listdir(os.path.join(self.root, 'out', 'index')), 3)

  def test_missing_default_bounding_box_file(self):
    result = binaries.run(_BINARY, self._args(), cwd=self.root)
    self.assertNotEqual(result.returncode, 0)
    self.assertIn('imagenet_2012_bounding_boxes.csv does not exist', result.stderr)
    self.assertIn('--bounding_box_file=', result.stderr)
    self.assertEqual(result.stdout, '')


if __name__ == '__main__':
  absltest.main()
