"""Tests of inception.acquire._verification: the hashing reader and the pending record."""

import hashlib
import os
import random
import tarfile

from absl.testing import absltest

from inception.acquire import _verification
from tests import archives


def _write(path, data):
  with open(path, 'wb') as f:
    f.write(data)
  return path


class HashingReaderTest(absltest.TestCase):

  def setUp(self):
    super().setUp()
    self.data = random.Random(7).randbytes(3 * (1 << 20) + 12345)
    self.path = _write(os.path.join(self.create_tempdir().full_path, 'blob'),
                       self.data)

  def test_random_seeks_and_reads_read_the_file_and_hash_it_once_in_order(self):
    rng = random.Random(11)
    with open(self.path, 'rb') as f:
      reader = _verification.HashingReader(f, self.path)
      for _ in range(300):
        position = rng.randrange(len(self.data) + 10)
        if rng.random() < 0.3:
          reader.seek(position - reader.tell(), os.SEEK_CUR)
        else:
          reader.seek(position)
        size = rng.choice([0, 1, 511, 512, 10000, 1 << 20])
        self.assertEqual(reader.read(size), self.data[position:position + size])
        self.assertEqual(reader.tell(), min(position + size, len(self.data))
                         if position <= len(self.data) else position)
      self.assertEqual(reader.finish(),
                       (len(self.data), hashlib.md5(self.data).hexdigest()))

  def test_nothing_read_still_hashes_the_whole_file(self):
    with open(self.path, 'rb') as f:
      reader = _verification.HashingReader(f, self.path)
      reader.seek(-100, os.SEEK_END)
      self.assertEqual(reader.read(), self.data[-100:])
      self.assertEqual(reader.finish()[1], hashlib.md5(self.data).hexdigest())

  def test_tarfile_reads_through_it(self):
    data = archives.tar_bytes([('a.JPEG', b'a' * 3000), ('b.JPEG', b'b' * 10)])
    path = _write(self.path, data)
    with open(path, 'rb') as f:
      reader = _verification.HashingReader(f, path)
      with tarfile.open(fileobj=reader, mode='r:') as tar:
        members = tar.getmembers()  # Skips the data by seeking forward.
        self.assertEqual(tar.extractfile(members[0]).read(), b'a' * 3000)  # Back.
      self.assertEqual(reader.finish(), (len(data), hashlib.md5(data).hexdigest()))


class VerifyingReadTest(absltest.TestCase):

  def setUp(self):
    super().setUp()
    self.directory = self.create_tempdir().full_path
    self.data = archives.tar_bytes([('a.JPEG', b'a' * 3000)])
    self.source = _write(os.path.join(self.directory, 'source.tar'), self.data)
    self.path = os.path.join(self.directory, 'linked.tar')
    os.symlink(self.source, self.path)
    self.md5 = hashlib.md5(self.data).hexdigest()
    self.discarded = []

  def discard(self):
    self.discarded.append(True)
    return 'what it made was removed'

  def read_all(self, check_after=(), fail=None):
    with _verification.verifying_read(self.path, self.discard, check_after) as f:
      with tarfile.open(fileobj=f, mode='r:') as tar:
        tar.getmembers()
      if fail:
        raise fail

  def test_right_md5_writes_the_verified_stamp_and_drops_the_pending_record(self):
    expected = _verification.Expected(len(self.data), self.md5)
    _verification.write_pending(self.path, expected)
    self.assertTrue(_verification.is_pending(self.path, expected))
    self.assertEqual(_verification.pending_expectation(self.path), expected)
    self.read_all()
    self.assertTrue(_verification.stamp_matches(self.path, self.md5))
    self.assertFalse(os.path.exists(self.path + _verification.PENDING_SUFFIX))
    self.assertIsNone(_verification.pending_expectation(self.path))
    self.assertEmpty(self.discarded)

  def test_wrong_md5_discards_moves_the_link_aside_and_names_the_file(self):
    _verification.write_pending(self.path, _verification.Expected(None, '0' * 32))
    with self.assertRaisesRegex(
        _verification.ChecksumMismatch,
        '^%s: MD5 mismatch: expected 0{32}, actual %s; the file was moved aside to '
        '%s.bad-md5-%s .*what it made was removed. The next run fetches it again' %
        (self.path, self.md5, self.path, self.md5)):
      self.read_all()
    self.assertEqual(self.discarded, [True])
    self.assertFalse(os.path.lexists(self.path))
    self.assertTrue(os.path.islink(self.path + '.bad-md5-' + self.md5))
    self.assertEqual(open(self.source, 'rb').read(), self.data)  # Untouched.
    self.assertCountEqual(os.listdir(self.directory),
                          ['source.tar', 'linked.tar.bad-md5-' + self.md5])

  def test_wrong_size_is_a_mismatch(self):
    _verification.write_pending(self.path,
                                _verification.Expected(len(self.data) + 1, self.md5))
    with self.assertRaisesRegex(_verification.ChecksumMismatch,
                                'size mismatch: expected %d bytes, actual %d bytes' %
                                (len(self.data) + 1, len(self.data))):
      self.read_all()

  def test_a_failed_read_of_a_wrong_file_is_reported_as_the_mismatch(self):
    _verification.write_pending(self.path, _verification.Expected(None, '0' * 32))
    with self.assertRaises(_verification.ChecksumMismatch) as raised:
      self.read_all(check_after=(ValueError,), fail=ValueError('bad member'))
    self.assertIsInstance(raised.exception.__cause__, ValueError)
    self.assertEqual(self.discarded, [True])

  def test_a_failed_read_of_a_right_file_raises_its_own_error(self):
    _verification.write_pending(self.path, _verification.Expected(None, self.md5))
    with self.assertRaisesRegex(ValueError, 'bad member'):
      self.read_all(check_after=(ValueError,), fail=ValueError('bad member'))
    self.assertEmpty(self.discarded)
    self.assertTrue(_verification.stamp_matches(self.path, self.md5))

  def test_without_a_pending_record_nothing_is_hashed_or_written(self):
    self.read_all()
    self.assertCountEqual(os.listdir(self.directory), ['source.tar', 'linked.tar'])

  def test_a_changed_file_is_no_longer_pending_but_still_checked_when_read(self):
    expected = _verification.Expected(None, '0' * 32)
    _verification.write_pending(self.path, expected)
    _write(self.source, self.data + b'\0' * 512)
    self.assertFalse(_verification.is_pending(self.path, expected))
    self.assertEqual(_verification.pending_expectation(self.path), expected)
    with self.assertRaises(_verification.ChecksumMismatch):
      self.read_all()


if __name__ == '__main__':
  absltest.main()
