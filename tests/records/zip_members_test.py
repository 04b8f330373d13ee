"""Tests of inception.records._zip_members: a zip member read in place by its offset."""

import os
import pickle
import struct
import zipfile

from absl.testing import absltest

from inception import records
from inception.records import _zip_members
from tests.records import shard_fixtures

_FILES = {'a.JPEG': b'first image ' * 50, 'b.JPEG': b'second', 'c.JPEG': b''}


def _read(member):
  with open(member.archive_path, 'rb') as f:
    data = f.read()
  return _zip_members.read_zip_member(
      lambda offset, size: data[offset:offset + size], member)


class ReadZipMemberTest(absltest.TestCase):

  def setUp(self):
    super().setUp()
    self.directory = self.create_tempdir().full_path

  def _zip(self, name='x.zip', **kwargs):
    return shard_fixtures.write_zip(os.path.join(self.directory, name), _FILES,
                                    **kwargs)

  def test_stored_deflated_and_zip64_members_are_read_back(self):
    for name, kwargs in (('stored.zip', dict(compression=zipfile.ZIP_STORED)),
                         ('deflated.zip', {}), ('zip64.zip', dict(zip64=True))):
      with self.subTest(name):
        members = self._zip(name, **kwargs)
        self.assertEqual({m.name: _read(m) for m in members}, _FILES)
        self.assertEqual({m.name: m.read_bytes() for m in members}, _FILES)
        self.assertEqual(str(members[0]), name + ':images/a.JPEG')
    with open(os.path.join(self.directory, 'zip64.zip'), 'rb') as f:
      self.assertIn(struct.pack('<HH', 1, 16), f.read(200))  # a zip64 local header

  def _corrupt(self, member, offset, data):
    with open(member.archive_path, 'r+b') as f:
      f.seek(offset)
      f.write(data)

  def test_a_bad_crc_names_the_zip_and_the_member(self):
    member = self._zip(compression=zipfile.ZIP_STORED)[0]
    self._corrupt(member, member.offset + 30 + len('images/a.JPEG') + 3, b'X')
    with self.assertRaises(records.ZipMemberError) as raised:
      _read(member)
    error = raised.exception
    self.assertIsInstance(error, records.ImageError)
    self.assertEqual(error.name, 'x.zip:images/a.JPEG')
    self.assertRegex(error.reason, r"^bad CRC-32: its bytes give [0-9a-f]{8}, the "
                     r"zip's directory says %08x \(a damaged copy\)$" % member.crc)
    self.assertEqual(str(pickle.loads(pickle.dumps(error))), str(error))

  def test_what_cannot_be_read_is_named(self):
    members = self._zip()
    first = members[0]
    cases = (
        (first._replace(offset=first.offset + 1), 'no local file header at offset'),
        (first._replace(method=12), r'compression method 12; only stored \(0\) and '
         r'deflated \(8\)'),
        (first._replace(size=first.size + 1), 'bytes once inflated, where the zip'),
        (first._replace(compressed_size=first.compressed_size - 2),
         'deflated data is cut short'),
    )
    for member, message in cases:
      with self.subTest(message):
        with self.assertRaisesRegex(records.ZipMemberError, message):
          _read(member)
    self._corrupt(first, first.offset + 30 + len('images/a.JPEG'), b'\xff\xff\xff')
    with self.assertRaisesRegex(records.ZipMemberError, 'deflated data is corrupt'):
      _read(first)
    self._corrupt(first, first.offset + 6, struct.pack('<H', 1))
    with self.assertRaisesRegex(records.ZipMemberError, 'images/a.JPEG: encrypted'):
      _read(first)
    last = members[1]
    os.truncate(last.archive_path, last.offset + 30 + len('images/b.JPEG') + 1)
    with self.assertRaisesRegex(records.ZipMemberError,
                                r'x.zip:images/b.JPEG: cut short: \d+ of its'):
      _read(last)


if __name__ == '__main__':
  absltest.main()
