"""Tests of inception.acquire._zip_index: a zip's members from its central directory."""

import os
import zipfile
from unittest import mock

from absl.testing import absltest

from inception import acquire
from inception import records
from inception.acquire import _zip_index

_FILES = {
    'LOC_synset_mapping.txt': b'n01440764 tench\n',
    'ILSVRC/Data/CLS-LOC/train/n01440764/n01440764_1.JPEG': b'one' * 100,
    'ILSVRC/Data/CLS-LOC/train/n01440764/n01440764_2.JPEG': b'two',
    'ILSVRC/Data/CLS-LOC/val/ILSVRC2012_val_00000001.JPEG': b'val',
}


def _write_zip(path, files, comment=b'', directories=()):
  with zipfile.ZipFile(path, 'w', compression=zipfile.ZIP_DEFLATED) as archive:
    for name in directories:
      archive.writestr(zipfile.ZipInfo(name), b'')
    for name, data in files.items():
      archive.writestr(name, data)
    archive.comment = comment
  return path


def _infos(path):
  with zipfile.ZipFile(path) as archive:
    return {info.filename: info for info in archive.infolist()}


class IndexZipTest(absltest.TestCase):

  def setUp(self):
    super().setUp()
    self.directory = self.create_tempdir().full_path

  def _check_members(self, path, files=None):
    files = files or _FILES
    index = acquire.index_zip(path)
    self.assertLen(index, len(files))
    for name, info in _infos(path).items():
      if name.endswith('/'):
        continue
      member = index.member(name)
      self.assertEqual(member, records.ZipMember(
          path, info.header_offset, info.compress_size, info.file_size, info.CRC,
          info.compress_type, os.path.basename(name), os.path.dirname(name)))
      self.assertEqual(index.read(name), files[name])
    return index

  def test_members_folders_and_names(self):
    path = _write_zip(os.path.join(self.directory, 'k.zip'), _FILES,
                      comment=b'a comment', directories=['empty/'])
    index = self._check_members(path)
    # An end record's signature inside the comment (which zipfile itself trips on).
    tricky = _write_zip(os.path.join(self.directory, 'tricky.zip'), _FILES,
                        comment=b'PK\x05\x06 in a comment', directories=['empty/'])
    self.assertEqual(acquire.index_zip(tricky).read(
        'ILSVRC/Data/CLS-LOC/val/ILSVRC2012_val_00000001.JPEG'), b'val')
    self.assertEqual(index.listdir(''), ['LOC_synset_mapping.txt'])
    self.assertEqual(index.listdir('ILSVRC/Data/CLS-LOC/train/n01440764'),
                     ['n01440764_1.JPEG', 'n01440764_2.JPEG'])
    self.assertEqual(index.listdir('ILSVRC/Data/CLS-LOC/train'), [])
    self.assertEqual(index.listdir('empty'), [])
    self.assertIsNone(index.listdir('ILSVRC/Data/CLS-LOC/test'))
    self.assertIsNone(index.member('ILSVRC/nothing.JPEG'))
    self.assertEqual(index.names_under('ILSVRC/Data/CLS-LOC/train'), sorted(
        name for name in _FILES if name.startswith('ILSVRC/Data/CLS-LOC/train/')))
    self.assertLen(index.names_under(''), len(_FILES))
    with self.assertRaisesRegex(FileNotFoundError, 'holds no member ILSVRC/x'):
      index.read('ILSVRC/x')

  def test_zip64_records_and_extra_fields(self):
    # zipfile writes zip64 records past these limits only: lowered, a small zip has
    # them all (its sizes and offsets in the extra fields, a zip64 end record).
    path = os.path.join(self.directory, 'zip64.zip')
    with mock.patch.object(zipfile, 'ZIP64_LIMIT', 2), \
        mock.patch.object(zipfile, 'ZIP_FILECOUNT_LIMIT', 1):
      _write_zip(path, _FILES)
    with open(path, 'rb') as f:
      data = f.read()
    self.assertIn(b'PK\x06\x06', data)  # the zip64 end record
    self.assertIn(b'\xff\xff\xff\xff', data)
    self._check_members(path)

  def test_a_damaged_zip_is_a_corrupt_archive(self):
    path = _write_zip(os.path.join(self.directory, 'cut.zip'), _FILES)
    size = os.path.getsize(path)
    os.truncate(path, size - 10)
    with self.assertRaisesRegex(acquire.CorruptArchiveError,
                                r'cut.zip: not a readable zip \(no end-of-central-'
                                r'directory record; cut short\?\)'):
      acquire.index_zip(path)
    path = _write_zip(os.path.join(self.directory, 'bad.zip'), _FILES)
    with open(path, 'rb') as f:
      data = f.read()
    directory = data.rindex(b'PK\x01\x02')
    with open(path, 'wb') as f:
      f.write(data[:directory] + b'XX' + data[directory + 2:])
    with self.assertRaisesRegex(acquire.CorruptArchiveError,
                                'a damaged central directory record'):
      acquire.index_zip(path)
    with open(path, 'wb') as f:
      f.write(b'junk' + data)
    with self.assertRaisesRegex(acquire.CorruptArchiveError, 'does not end where'):
      acquire.index_zip(path)

  def test_a_member_seen_twice_is_refused(self):
    path = os.path.join(self.directory, 'twice.zip')
    with mock.patch('warnings.warn'):
      _write_zip(path, {'a/x.JPEG': b'1'})
      with zipfile.ZipFile(path, 'a') as archive:
        archive.writestr('a/x.JPEG', b'2')
    with self.assertRaisesRegex(acquire.ExtractionError,
                                'twice.zip: member a/x.JPEG appears twice'):
      acquire.index_zip(path)

  def test_the_directory_is_read_in_chunks(self):
    files = {'d%d/f%04d.JPEG' % (n % 3, n): b'%d' % n for n in range(300)}
    path = _write_zip(os.path.join(self.directory, 'many.zip'), files)
    with mock.patch.object(_zip_index, '_CHUNK_BYTES', 100):
      self._check_members(path, files)


if __name__ == '__main__':
  absltest.main()
