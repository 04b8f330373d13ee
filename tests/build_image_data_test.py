"""Tests the build_image_data binary: a flowers-style folder-per-class set."""

import os

from absl.testing import absltest
import tensorflow as tf

from inception import core
from tests import binaries
from tests import conversion_fixtures as fixtures

_BINARY = 'build_image_data'


class BuildImageDataTest(absltest.TestCase):

  def test_flowers_style_set(self):
    root = self.create_tempdir().full_path
    files = {
        'train/daisy/d1.jpg': fixtures.image_bytes(1),
        'train/daisy/d2.JPG': fixtures.image_bytes(2, 'progressive'),
        'train/roses/r1.jpeg': fixtures.image_bytes(3),
        'train/roses/r2.PNG': fixtures.image_bytes(4, 'png', width=30, height=20),
        'train/roses/notes.txt': b'not an image',
        'validation/daisy/d3.Jpeg': fixtures.image_bytes(5),
        'validation/roses/r3.jpg': fixtures.image_bytes(6),
    }
    for name, data in files.items():
      fixtures.write(os.path.join(root, name), data)
    fixtures.write(os.path.join(root, 'labels.txt'), b'daisy\nroses\n')
    result = binaries.run(_BINARY, ['--train_directory=train', '--validation_directory=validation',
                   '--output_directory=out', '--labels_file=labels.txt'], cwd=root)
    self.assertEqual(result.returncode, 0, result.stderr[-3000:])
    self.assertEqual(result.stdout.splitlines(),
                     ['Finished writing all 2 images in data set.',
                      'Finished writing all 4 images in data set.'])
    output = os.path.join(root, 'out')
    self.assertEqual(sorted(n for n in os.listdir(output) if '-of-' in n),
                     ['train-00000-of-00002', 'train-00001-of-00002',
                      'validation-00000-of-00002', 'validation-00001-of-00002'])
    records = {}
    for serialized in tf.data.TFRecordDataset(
        [os.path.join(output, 'train-0000%d-of-00002' % i) for i in range(2)]):
      feature = tf.train.Example.FromString(serialized.numpy()).features.feature
      self.assertLen(feature, 9)
      name = feature['image/filename'].bytes_list.value[0].decode()
      records[name] = feature
    self.assertCountEqual(records, ['d1.jpg', 'd2.JPG', 'r1.jpeg', 'r2.PNG'])
    self.assertEqual(records['r2.PNG']['image/class/label'].int64_list.value, [2])
    self.assertEqual(records['r2.PNG']['image/class/text'].bytes_list.value, [b'roses'])
    self.assertEqual(records['d2.JPG']['image/class/label'].int64_list.value, [1])
    self.assertEqual(records['d2.JPG']['image/encoded'].bytes_list.value[0],
                     files['train/daisy/d2.JPG'])
    png = records['r2.PNG']['image/encoded'].bytes_list.value[0]
    self.assertEqual(tuple(tf.io.decode_jpeg(png).shape), (20, 30, 3))

  def test_missing_class_directory_fails(self):
    root = self.create_tempdir().full_path
    fixtures.write(os.path.join(root, 'train', 'daisy', 'a.jpg'), fixtures.image_bytes(1))
    fixtures.write(os.path.join(root, 'labels.txt'), b'daisy\ntulips\n')
    result = binaries.run(_BINARY, ['--train_directory=train', '--validation_directory=',
                   '--output_directory=out', '--labels_file=labels.txt'], cwd=root)
    self.assertNotEqual(result.returncode, 0)
    self.assertIn(os.path.join(root, 'train', 'tulips') + ' does not exist',
                  result.stderr)
    self.assertEqual(result.stdout, '')

  def test_refused_while_a_checker_reads_the_output_directory(self):
    root = self.create_tempdir().full_path
    fixtures.write(os.path.join(root, 'train', 'daisy', 'a.jpg'), fixtures.image_bytes(1))
    fixtures.write(os.path.join(root, 'labels.txt'), b'daisy\n')
    output = os.path.join(root, 'out')
    os.mkdir(output)
    with core.hold_directory(output, shared=True, command=['check_tfrecords', 'out']):
      result = binaries.run(_BINARY, ['--train_directory=train', '--validation_directory=',
                                      '--output_directory=out', '--labels_file=labels.txt'],
                            cwd=root)
    self.assertEqual((result.returncode, result.stderr), (
        1, 'build_image_data: error: %s is in use by another run (pid %d: '
        'check_tfrecords out); wait for it to end, or stop it\n' % (output, os.getpid())))
    self.assertEqual(os.listdir(output), [core.LOCK_FILENAME])


if __name__ == '__main__':
  absltest.main()
