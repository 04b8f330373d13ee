"""Tests of inception.acquire._tar_index: offsets read back equal the extracted bytes."""

import hashlib
import os
import re
import tarfile

from absl.testing import absltest

from inception import acquire
from inception import demo
from inception.acquire import _tar_index
from tests import archives
from tests.acquire import fetch_fixtures

_TRAIN_TAR = fetch_fixtures.TRAIN_TAR
_VALIDATION_TAR = fetch_fixtures.VALIDATION_TAR


def _read(path):
  with open(path, 'rb') as f:
    return f.read()


def _member_bytes(member):
  """The `size` bytes at `offset` of the member's archive."""
  with open(member.archive_path, 'rb') as f:
    f.seek(member.offset)
    return f.read(member.size)


class TarIndexTest(absltest.TestCase):

  @classmethod
  def setUpClass(cls):
    super().setUpClass()
    root = os.path.join(absltest.TEST_TMPDIR.value, 'tar_index')
    cls.fixture = demo.generate(
        os.path.join(root, 'fixture'),
        demo.Config(num_classes=3, images_per_class=5,
                             num_validation_images=7, min_side=64, max_side=96))
    cls.raw_dir = os.path.join(root, 'raw-data')
    acquire.extract(cls.fixture.train_tar,
                    acquire.Extraction(acquire.CLASS_TARS, cls.raw_dir, 'train'))
    acquire.extract(cls.fixture.validation_tar,
                    acquire.Extraction(acquire.FLAT, cls.raw_dir, 'validation'))

  def test_train_index_reads_back_the_extracted_bytes(self):
    index = _tar_index.index_train_tar(self.fixture.train_tar)
    self.assertEqual(list(index), self.fixture.synsets)
    self.assertEqual({wnid: len(members) for wnid, members in index.items()},
                     self.fixture.train_counts)
    for wnid, members in index.items():
      for member in members:
        self.assertEqual(member.archive_path, self.fixture.train_tar)
        self.assertEqual(member.class_tar, wnid + '.tar')
        self.assertEqual(str(member), '%s:%s.tar:%s' % (
            os.path.basename(self.fixture.train_tar), wnid, member.name))
        extracted = _read(os.path.join(self.raw_dir, 'train', wnid, member.name))
        self.assertLen(extracted, member.size)
        self.assertEqual(_member_bytes(member), extracted)

  def test_train_index_logs_progress_to_the_whole_archive(self):
    with self.assertLogs(level='INFO') as logs:
      _tar_index.index_train_tar(self.fixture.train_tar, progress_interval=0)
    size = os.path.getsize(self.fixture.train_tar)
    lines = [line for line in logs.output
             if 'index %s' % os.path.basename(self.fixture.train_tar) in line]
    self.assertGreater(len(lines), len(self.fixture.synsets))  # one per class tar
    self.assertIn('%d/%d' % (size, size), lines[-1].replace(',', ''))

  def test_validation_index_reads_back_the_extracted_bytes(self):
    members = _tar_index.index_flat_tar(self.fixture.validation_tar)
    self.assertEqual([m.name for m in members],
                     [demo.validation_filename(i) for i in range(7)])
    for member in members:
      self.assertEqual(member.archive_path, self.fixture.validation_tar)
      self.assertEqual(str(member), '%s:%s' % (
          os.path.basename(self.fixture.validation_tar), member.name))
      self.assertEqual(_member_bytes(member),
                       _read(os.path.join(self.raw_dir, 'validation', member.name)))

  def link_pending(self, name, source, md5):
    """`name` symlinked to `source` in a fresh directory, awaiting verification."""
    directory = self.create_tempdir().full_path
    summary = acquire.fetch_all(
        directory, os.path.dirname(source), [acquire.Archive(name, None, md5)],
        acquire.FetchOptions(link_mode='symlink', verify_on_first_read=[name],
                             progress_interval=0))
    self.assertTrue(os.path.exists(summary.paths[name] + acquire.PENDING_SUFFIX))
    return summary.paths[name]

  def test_a_wrong_md5_found_by_the_index_gives_no_index(self):
    for name, source, index in (
        (_TRAIN_TAR, self.fixture.train_tar, _tar_index.index_train_tar),
        (_VALIDATION_TAR, self.fixture.validation_tar,
         _tar_index.index_flat_tar)):
      path = self.link_pending(name, source, '0' * 32)
      md5 = hashlib.md5(_read(source)).hexdigest()
      with self.assertRaisesRegex(
          acquire.ChecksumMismatch, '^%s: MD5 mismatch: expected 0{32}, actual %s; '
          'the file was moved aside to %s.bad-md5-%s.*no index.*The next run fetches '
          'it again' % (re.escape(path), md5, re.escape(path), md5)):
        index(path)
      self.assertEqual(os.listdir(os.path.dirname(path)),
                       [name + '.bad-md5-' + md5])

  def test_a_right_md5_found_by_the_index_is_stamped(self):
    md5 = hashlib.md5(_read(self.fixture.train_tar)).hexdigest()
    path = self.link_pending(_TRAIN_TAR, self.fixture.train_tar, md5)
    index = _tar_index.index_train_tar(path)
    self.assertEqual({wnid: len(members) for wnid, members in index.items()},
                     self.fixture.train_counts)
    self.assertCountEqual(os.listdir(os.path.dirname(path)),
                          [_TRAIN_TAR, _TRAIN_TAR + acquire.STAMP_SUFFIX])
    self.assertEqual(_member_bytes(index[self.fixture.synsets[0]][0]),
                     _member_bytes(_tar_index.index_train_tar(self.fixture.train_tar)[
                         self.fixture.synsets[0]][0]))

  def test_an_archive_left_to_tarfile_is_verified_in_the_same_pass(self):
    """A tarball awaiting verification that the fast header reader leaves to tarfile
    (a pax long name) after reading ahead: tarfile's index, and the MD5 of the whole
    file, checked once."""
    source = os.path.join(self.create_tempdir().full_path, _TRAIN_TAR)
    long_name = 'n01_' + 'x' * 120 + '.JPEG'
    with open(source, 'wb') as f:
      f.write(archives.tar_bytes(
          [('n01.tar', archives.tar_bytes([('a.JPEG', b'a' * 3000)])),
           ('n02.tar', archives.tar_bytes([(long_name, b'b' * 700)],
                                          tar_format=tarfile.PAX_FORMAT))]))
    md5 = hashlib.md5(_read(source)).hexdigest()
    index = _tar_index.index_train_tar(self.link_pending(_TRAIN_TAR, source, md5))
    self.assertEqual({wnid: [(m.name, _member_bytes(m)) for m in members]
                      for wnid, members in index.items()},
                     {'n01': [('a.JPEG', b'a' * 3000)],
                      'n02': [(long_name, b'b' * 700)]})
    self.assertTrue(os.path.exists(index['n01'][0].archive_path +
                                   acquire.STAMP_SUFFIX))
    with self.assertRaisesRegex(acquire.ChecksumMismatch, 'MD5 mismatch'):
      _tar_index.index_train_tar(self.link_pending(_TRAIN_TAR, source, '0' * 32))

  def test_unsafe_or_unexpected_members_are_refused(self):
    directory = self.create_tempdir().full_path
    link = tarfile.TarInfo('link.JPEG')
    link.type = tarfile.SYMTYPE
    link.linkname = '../../etc/passwd'
    cases = {
        'dotdot': ([('../evil.JPEG', b'x')], "'../evil.JPEG' climbs out"),
        'absolute': ([('/etc/evil.JPEG', b'x')],
                     "'/etc/evil.JPEG' has an absolute path"),
        'symlink': ([link], "'link.JPEG' is a link leading outside"),
        'subdir': ([('a/b.JPEG', b'x')], "'a/b.JPEG' is not a plain file name"),
    }
    for kind, (members, message) in cases.items():
      flat = os.path.join(directory, kind + '_val.tar')
      with open(flat, 'wb') as f:
        f.write(archives.tar_bytes(members))
      with self.assertRaisesRegex(acquire.UnsafeArchiveError,
                                  re.escape(kind + '_val.tar: member ' + message)):
        _tar_index.index_flat_tar(flat)
      nested = os.path.join(directory, kind + '_train.tar')
      with open(nested, 'wb') as f:
        f.write(archives.tar_bytes([('n01.tar', archives.tar_bytes(members))]))
      with self.assertRaisesRegex(acquire.UnsafeArchiveError,
                                  re.escape(kind + '_train.tar:n01.tar: member ' +
                                            message)):
        _tar_index.index_train_tar(nested)

  def test_duplicate_member_is_an_error_naming_archive_and_member(self):
    directory = self.create_tempdir().full_path
    twice = archives.tar_bytes([('a.JPEG', b'one'), ('b.JPEG', b'two'),
                                ('a.JPEG', b'again')])
    flat = os.path.join(directory, 'val.tar')
    with open(flat, 'wb') as f:
      f.write(twice)
    with self.assertRaisesRegex(acquire.ExtractionError,
                                "val.tar: member 'a.JPEG' appears twice"):
      _tar_index.index_flat_tar(flat)
    nested = os.path.join(directory, 'train.tar')
    with open(nested, 'wb') as f:
      f.write(archives.tar_bytes([('n01.tar', twice)]))
    with self.assertRaisesRegex(acquire.ExtractionError,
                                "train.tar:n01.tar: member 'a.JPEG' appears twice"):
      _tar_index.index_train_tar(nested)

  def test_archive_cut_on_a_member_boundary_is_corrupt_not_shorter(self):
    directory = self.create_tempdir().full_path
    for name, index, members in (
        ('val.tar', _tar_index.index_flat_tar,
         [('%d.JPEG' % i, b'x' * 600) for i in range(3)]),
        ('train.tar', _tar_index.index_train_tar,
         [('n%02d.tar' % i, archives.tar_bytes([('a.JPEG', b'x' * 600)]))
          for i in range(3)])):
      path = os.path.join(directory, name)
      with open(path, 'wb') as f:
        f.write(archives.cut_before_member(archives.tar_bytes(members), 2))
      with self.assertRaisesRegex(acquire.CorruptArchiveError,
                                  re.escape(name) + ': .*truncated') as raised:
        index(path)
      self.assertEqual(raised.exception.archive_path, path)

  def test_outer_member_must_be_a_class_tar(self):
    path = os.path.join(self.create_tempdir().full_path, 'train.tar')
    with open(path, 'wb') as f:
      f.write(archives.tar_bytes([('n01.JPEG', b'x')]))
    with self.assertRaisesRegex(acquire.ExtractionError, 'is not a class tar'):
      _tar_index.index_train_tar(path)


if __name__ == '__main__':
  absltest.main()
