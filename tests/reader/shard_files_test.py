"""data_files on real shards: sorted shard paths only, a clear error on none."""

import os
import shutil

from absl.testing import absltest

from inception import core
from inception import reader
from inception.reader import _shard_files
from tests.reader import reader_fixtures

_SHARDS = ['train-%05d-of-00004' % i for i in range(4)]


class DataFilesTest(reader_fixtures.ShardsTestCase):

  def copy_of_shards(self):
    directory = self.create_tempdir().full_path
    for name in _SHARDS:
      shutil.copy(os.path.join(self.imagenet.directory, name), directory)
    return directory

  def test_the_converters_shards_sorted(self):
    self.assertEqual(_shard_files.data_files(self.imagenet.directory, 'train'),
                     [os.path.join(self.imagenet.directory, n) for n in _SHARDS])

  def test_the_public_name(self):
    self.assertEqual(reader.data_files(self.imagenet.directory, 'train'),
                     _shard_files.data_files(self.imagenet.directory, 'train'))

  def test_only_shard_names_of_the_subset(self):
    directory = self.copy_of_shards()
    first = os.path.join(directory, _SHARDS[1])
    for name in ('train-00001-of-00004.copy', 'train-00000-of-00004.incomplete-123',
                 'train-1-of-4', 'train-extra-00000-of-00001', 'train-notes.txt'):
      shutil.copy(first, os.path.join(directory, name))
    os.mkdir(os.path.join(directory, 'train-00009-of-00010.d'))
    self.assertEqual(_shard_files.data_files(directory, 'train'),
                     [os.path.join(directory, n) for n in _SHARDS])
    self.assertEqual(_shard_files.data_files(directory, 'train-extra'),
                     [os.path.join(directory, 'train-extra-00000-of-00001')])

  def test_no_shard_names_the_pattern(self):
    directory = self.create_tempdir().full_path
    pattern = os.path.join(directory, 'validation-*')
    with self.assertRaisesRegex(ValueError, "no shard of 'validation' matches %s" %
                                pattern):
      _shard_files.data_files(directory, 'validation')

  def test_copies_alone_are_no_shards(self):
    directory = self.create_tempdir().full_path
    shutil.copy(os.path.join(self.imagenet.directory, _SHARDS[1]),
                os.path.join(directory, 'train-00001-of-00004.copy'))
    with self.assertRaisesRegex(ValueError, 'no shard of .train. matches'):
      _shard_files.data_files(directory, 'train')

  def test_missing_directory(self):
    missing = os.path.join(self.create_tempdir().full_path, 'nowhere')
    with self.assertRaisesRegex(ValueError, 'matches %s' % os.path.join(missing,
                                                                         'train-')):
      _shard_files.data_files(missing, 'train')

  def test_a_remote_path(self):
    directory = 'memory://reader_shard_files_test'  # fsspec's, this process only
    copies = [(n, n) for n in reversed(_SHARDS)] + [(_SHARDS[1], _SHARDS[1] + '.copy')]
    for source, name in copies:
      with open(os.path.join(self.imagenet.directory, source), 'rb') as f:
        core.write_bytes(directory + '/' + name, f.read())
    self.assertEqual(_shard_files.data_files(directory, 'train'),
                     [directory + '/' + n for n in _SHARDS])


if __name__ == '__main__':
  absltest.main()
