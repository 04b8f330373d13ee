"""Tests for inception.demo._hugging_face_layout: parquet and tar.gz read back."""

import hashlib
import json
import os
import re

from absl.testing import absltest
import pyarrow as pa
import pyarrow.parquet as pq

from inception import demo
from inception.demo import _hugging_face_layout
from tests.demo import fixture_archives

_CONFIG = demo.ParquetConfig(train_files=3, validation_files=2, test_files=1,
                             row_group_size=4, seed=0)


def _digests(paths):
  digests = []
  for path in paths:
    with open(path, 'rb') as f:
      digests.append(hashlib.md5(f.read()).hexdigest())
  return digests


def _official_name(path, split):
  """The official name in a Hugging Face path: the `_<wnid>` suffix removed."""
  if split == 'test':
    return path
  return re.sub(r'_n\d{8}\.JPEG$', '.JPEG', path)


class ParquetTest(fixture_archives.SmallFixtureTestCase):
  """The parquet layout of one small fixture with test images."""

  @classmethod
  def setUpClass(cls):
    super().setUpClass()
    cls.layout = demo.write_hf_parquet(
        cls.fixture, os.path.join(cls.directory, 'parquet'), _CONFIG)
    cls.tables = {split: [pq.read_table(path) for path in paths]
                  for split, paths in cls.layout.files.items()}

  def _rows(self, split):
    """[(path, bytes, label)] of a split, over its files in order."""
    return [(row['image']['path'], row['image']['bytes'], row['label'])
            for table in self.tables[split] for row in table.to_pylist()]

  def test_file_names_split_over_several_files(self):
    data_dir = os.path.join(self.layout.directory, 'data')
    self.assertEqual(sorted(os.listdir(data_dir)), [
        'test-00000-of-00001.parquet',
        'train-00000-of-00003.parquet', 'train-00001-of-00003.parquet',
        'train-00002-of-00003.parquet',
        'validation-00000-of-00002.parquet', 'validation-00001-of-00002.parquet'])
    self.assertEqual(self.layout.files['train'], [
        os.path.join(data_dir, 'train-%05d-of-00003.parquet' % i) for i in range(3)])
    self.assertEqual(self.layout.counts, {'train': 18, 'validation': 7, 'test': 3})
    self.assertEqual([t.num_rows for t in self.tables['train']], [6, 6, 6])
    self.assertEqual([t.num_rows for t in self.tables['validation']], [3, 4])

  def test_schema_and_features_metadata(self):
    for paths in self.layout.files.values():
      for path in paths:
        schema = pq.read_schema(path)
        self.assertEqual(schema.names, ['image', 'label'])
        self.assertEqual(schema.field('image').type, pa.struct(
            [('bytes', pa.binary()), ('path', pa.string())]))
        self.assertEqual(schema.field('label').type, pa.int64())
        features = json.loads(schema.metadata[b'huggingface'])['info']['features']
        self.assertEqual(features['image'], {'_type': 'Image'})
        self.assertEqual(features['label']['_type'], 'ClassLabel')
        self.assertEqual(features['label']['names'][0], 'tench, Tinca tinca')
        self.assertLen(features['label']['names'], 3)

  def test_small_row_groups(self):
    for paths in self.layout.files.values():
      for path in paths:
        metadata = pq.ParquetFile(path).metadata
        sizes = [metadata.row_group(i).num_rows
                 for i in range(metadata.num_row_groups)]
        self.assertTrue(all(size == 4 for size in sizes[:-1]), (path, sizes))
        self.assertBetween(sizes[-1], 1, 4)
    train = pq.ParquetFile(self.layout.files['train'][0]).metadata
    self.assertEqual(train.num_row_groups, 2)
    self.assertEqual(demo.ParquetConfig().row_group_size, 100)

  def test_the_tarballs_bytes_under_suffixed_names_with_sorted_wnid_labels(self):
    for split in ('train', 'validation'):
      rows = self._rows(split)
      self.assertLen(rows, len(self.official[split]))
      for path, data, label in rows:
        name = _official_name(path, split)
        synset = fixture_archives.synset_of(self.fixture, name)
        self.assertEqual(path, name[:-len('.JPEG')] + '_%s.JPEG' % synset)
        self.assertEqual(data, self.official[split][name], name)
        self.assertEqual(self.fixture.synsets[label], synset, name)
    png = [data for path, data, _ in self._rows('train')
           if _official_name(path, 'train') == self.fixture.hard_cases['png']]
    self.assertTrue(png[0].startswith(b'\x89PNG'))

  def test_test_rows_plain_names_label_minus_one(self):
    rows = self._rows('test')
    self.assertEqual(sorted(path for path, _, _ in rows), list(self.official['test']))
    for path, data, label in rows:
      self.assertEqual((data, label), (self.official['test'][path], -1))

  def test_rows_not_in_class_order_and_located(self):
    labels = [label for _, _, label in self._rows('train')]
    self.assertNotEqual(labels, sorted(labels))
    self.assertLen(self.layout.rows, 18 + 7 + 3)
    for split in self.layout.files:
      for index, table in enumerate(self.tables[split]):
        path = self.layout.files[split][index]
        for row, image in enumerate(table.column('image').to_pylist()):
          name = _official_name(image['path'], split)
          self.assertEqual(self.layout.rows[name], (path, row))

  def test_the_same_config_gives_the_same_bytes_another_seed_another_order(self):
    tmp = self.create_tempdir().full_path
    again = demo.write_hf_parquet(self.fixture, os.path.join(tmp, 'again'), _CONFIG)
    self.assertEqual(
        _digests(again.files['train'] + again.files['validation']),
        _digests(self.layout.files['train'] + self.layout.files['validation']))
    other = demo.write_hf_parquet(
        self.fixture, os.path.join(tmp, 'other'),
        demo.ParquetConfig(train_files=1, validation_files=1, seed=1))
    self.assertNotEqual(
        [name for name, _ in sorted(other.rows.items(), key=lambda kv: kv[1])],
        [name for name, _ in sorted(self.layout.rows.items(), key=lambda kv: kv[1])])

  def test_more_files_than_images_is_refused(self):
    with self.assertRaisesRegex(ValueError, 'cannot spread 3 test images over 4 '
                                'files'):
      demo.write_hf_parquet(self.fixture, self.create_tempdir().full_path,
                            demo.ParquetConfig(test_files=4))

  def test_bad_configs_are_refused(self):
    with self.assertRaisesRegex(ValueError, 'row_group_size must be at least 1'):
      demo.ParquetConfig(row_group_size=0)
    with self.assertRaisesRegex(ValueError, 'train_archives must be at least 1'):
      demo.TarGzConfig(train_archives=0)
    self.assertEqual(_hugging_face_layout.TEST_LABEL, -1)


class TarGzTest(fixture_archives.SmallFixtureTestCase):
  """The older tar.gz layout of one small fixture with test images."""

  @classmethod
  def setUpClass(cls):
    super().setUpClass()
    cls.layout = demo.write_hf_targz(cls.fixture, os.path.join(cls.directory, 'targz'),
                                     demo.TarGzConfig(train_archives=5))
    cls.members = {split: [fixture_archives.tar_members(path) for path in paths]
                   for split, paths in cls.layout.archives.items()}

  def test_archive_names(self):
    data_dir = os.path.join(self.layout.directory, 'data')
    self.assertEqual(sorted(os.listdir(data_dir)), sorted(
        ['train_images_%d.tar.gz' % i for i in range(5)] +
        ['val_images.tar.gz', 'test_images.tar.gz']))
    self.assertEqual(self.layout.archives['validation'],
                     [os.path.join(data_dir, 'val_images.tar.gz')])
    self.assertEqual(self.layout.counts, {'train': 18, 'validation': 7, 'test': 3})

  def test_flat_suffixed_members_with_the_tarballs_bytes(self):
    for split, archives in self.members.items():
      names = []
      for members in archives:
        for member, data in members.items():
          self.assertNotIn('/', member)
          name = _official_name(member, split)
          if split != 'test':
            self.assertEqual(member, '%s_%s.JPEG' % (
                name[:-5], fixture_archives.synset_of(self.fixture, name)))
          self.assertEqual(data, self.official[split][name], member)
          names.append(name)
      self.assertCountEqual(names, self.official[split])

  def test_classes_spread_over_the_train_archives(self):
    classes = [{member.split('_')[0] for member in members}
               for members in self.members['train']]
    self.assertGreater(len(classes[0]), 1)
    self.assertEqual([len(members) for members in self.members['train']],
                     [3, 4, 3, 4, 4])

  def test_members_located_and_in_the_parquet_order(self):
    for name, (archive, member) in self.layout.members.items():
      split = 'test' if 'test' in name else 'validation' if 'val' in name else 'train'
      self.assertIn(member, self.members[split][
          self.layout.archives[split].index(archive)])
    parquet = demo.write_hf_parquet(self.fixture, self.create_tempdir().full_path,
                                    demo.ParquetConfig(train_files=1))
    parquet_order = [name for name, _ in sorted(parquet.rows.items(),
                                                key=lambda kv: kv[1])
                     if not name.startswith('ILSVRC')]
    tar_order = [_official_name(member, 'train')
                 for members in self.members['train'] for member in members]
    self.assertEqual(tar_order, parquet_order)

  def test_the_same_config_gives_the_same_bytes(self):
    again = demo.write_hf_targz(self.fixture, self.create_tempdir().full_path)
    paths = [p for paths in self.layout.archives.values() for p in paths]
    again_paths = [p for paths in again.archives.values() for p in paths]
    self.assertEqual(_digests(again_paths), _digests(paths))
    for path in paths:
      with open(path, 'rb') as f:
        header = f.read(10)
      # gzip magic, deflate, no flags (so no file name), mtime 0.
      self.assertEqual(header[:8], b'\x1f\x8b\x08\x00\x00\x00\x00\x00', path)


if __name__ == '__main__':
  absltest.main()
