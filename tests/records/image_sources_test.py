"""Tests of inception.records._image_sources: reading an image entry's bytes."""

import os
import pickle
import threading
from unittest import mock

from absl.testing import absltest

from inception import core
from inception import records
from inception.records import _image_sources
from tests import conversion_fixtures as fixtures
from tests.records import shard_fixtures

MemberSource = shard_fixtures.MemberSource
_read_shard = shard_fixtures.read_shard
_value = shard_fixtures.value
_write_tar = shard_fixtures.write_tar


class ImageSourcesTest(shard_fixtures.ShardTestCase):

  def test_read_bytes_sources(self):
    data = fixtures.image_bytes(5)
    entry = records.ImageEntry(MemberSource(data, 'x.JPEG'), 'x.JPEG', 1, 'n1', 't')
    task = pickle.loads(pickle.dumps(self._task([entry])))
    records.write_shard(task)
    self.assertEqual(_value(_read_shard(self.output)[0], 'image/encoded'), data)

  def _check_read_through_one_open_archive(self, write_archive, name):
    """The shard of five images as files, then as the members of the archive that
    `write_archive(path, files)` writes (returning the members): the same bytes, the
    archive opened once."""
    files = {'%d.JPEG' % n: fixtures.image_bytes(n, kind) for n, kind in
             enumerate((None, 'png', 'cmyk', None, 'progressive'))}
    entries = [self._entry(name, data) for name, data in files.items()]
    records.write_shard(self._task(entries))
    with open(self.output, 'rb') as f:
      expected = f.read()
    archive = os.path.join(self.directory, name)
    builder = records.EntriesBuilder()
    for member in write_archive(archive, files):
      builder.add_member(1, 'n00000001', 'text 1', member)
    task = pickle.loads(pickle.dumps(self._task(entries)._replace(
        entries=builder.build())))
    real_open, opened = os.open, []

    def counting_open(path, *args, **kwargs):
      opened.append(path)
      return real_open(path, *args, **kwargs)

    with mock.patch.object(os, 'open', counting_open):
      result = records.write_shard(task)
    self.assertEqual(opened.count(archive), 1)
    self.assertEqual(result.num_input_bytes, sum(map(len, files.values())))
    with open(self.output, 'rb') as f:
      self.assertEqual(f.read(), expected)

  def test_tar_members_of_a_shard_are_read_through_one_open_archive(self):
    self._check_read_through_one_open_archive(_write_tar, 'images.tar')

  def test_zip_members_of_a_shard_are_read_through_one_open_archive(self):
    self._check_read_through_one_open_archive(
        lambda path, files: shard_fixtures.write_zip(path, files, zip64=True),
        'images.zip')

  def test_tar_members_on_a_store_are_read_one_range_each_ahead_in_order(self):
    """A tar on memory:// (fsspec, this process): each member one core.read_range of
    exactly its bytes (one ranged GET on a store, no HEAD, no read-ahead:
    docs/OBJECT_STORAGE.md), read by the read-ahead threads, the same shard."""
    files = {'%d.JPEG' % n: fixtures.image_bytes(n) for n in range(12)}
    entries = [self._entry(name, data) for name, data in files.items()]
    records.write_shard(self._task(entries))
    with open(self.output, 'rb') as f:
      expected = f.read()
    local = os.path.join(self.directory, 'remote.tar')
    members = _write_tar(local, files)
    remote = 'memory://image_sources_test/remote.tar'
    with open(local, 'rb') as f:
      core.write_bytes(remote, f.read())
    builder = records.EntriesBuilder()
    for member in members:
      builder.add_member(1, 'n00000001', 'text 1', member._replace(archive_path=remote))
    real_read_range, reads = core.read_range, []

    def recording_read_range(path, offset, size):
      reads.append((path, offset, size, threading.current_thread().name))
      return real_read_range(path, offset, size)

    with mock.patch.object(core, 'read_range', recording_read_range):
      records.write_shard(self._task(entries)._replace(entries=builder.build()))
    with open(self.output, 'rb') as f:
      self.assertEqual(f.read(), expected)
    self.assertCountEqual([read[:3] for read in reads],
                          [(remote, m.offset, m.size) for m in members])
    self.assertTrue(all(read[3].startswith('store-read') for read in reads))

  def test_truncated_and_missing_archives_name_the_member(self):
    files = {'a.JPEG': fixtures.image_bytes(1), 'b.JPEG': fixtures.image_bytes(2)}
    archive = os.path.join(self.directory, 'cut.tar')
    members = _write_tar(archive, files)
    os.truncate(archive, members[1].offset + 10)
    builder = records.EntriesBuilder()
    for member in members:
      builder.add_member(1, 'n1', 't', member)
    task = self._task(members)._replace(entries=builder.build(), skip_bad_images=True)
    result = records.write_shard(task)
    self.assertEqual(result.num_records, 1)
    (skipped,) = result.skipped
    self.assertEqual(skipped.source, 'cut.tar:b.JPEG')
    self.assertEqual(skipped.reason, 'unreadable (OSError: %s: member b.JPEG is '
                     'truncated: 10 of %d bytes at offset %d)' %
                     (archive, members[1].size, members[1].offset))
    os.remove(archive)
    with self.assertRaisesRegex(records.ImageError,
                                r'^cut.tar:a.JPEG: unreadable \(FileNotFoundError'):
      records.write_shard(task._replace(skip_bad_images=False))

  def test_a_zip_member_with_a_bad_crc_names_the_zip_and_the_member(self):
    files = {'a.JPEG': fixtures.image_bytes(1), 'b.JPEG': fixtures.image_bytes(2)}
    archive = os.path.join(self.directory, 'bad.zip')
    members = shard_fixtures.write_zip(archive, files, compression=0)
    with open(archive, 'r+b') as f:
      f.seek(members[1].offset + 30 + len('images/b.JPEG') + 100)
      f.write(b'\0\0\0')
    builder = records.EntriesBuilder()
    for member in members:
      builder.add_member(1, 'n1', 't', member)
    task = self._task(members)._replace(entries=builder.build())
    with self.assertRaisesRegex(records.ImageError,
                                r'^bad.zip:images/b.JPEG: bad CRC-32: '):
      records.write_shard(task)
    self.assertFalse(os.path.exists(self.output))
    result = records.write_shard(task._replace(skip_bad_images=True))
    self.assertEqual(result.num_records, 1)
    self.assertStartsWith(result.skipped[0].reason, 'bad CRC-32: ')
    self.assertEqual(result.skipped[0].source, 'bad.zip:images/b.JPEG')

  def test_missing_file_is_a_bad_image(self):
    entry = records.ImageEntry(os.path.join(self.directory, 'gone.JPEG'),
                               'gone.JPEG', 1, 'n1', 't')
    with self.assertRaisesRegex(records.ImageError, 'gone.JPEG: unreadable'):
      records.write_shard(self._task([entry]))

  def test_entries_with_bytes_reads_in_order_an_error_in_its_place(self):
    files = {'a.JPEG': b'first', 'b.JPEG': b'second', 'c.JPEG': b'third'}
    members = _write_tar(os.path.join(self.directory, 'x.tar'), files)
    builder = records.EntriesBuilder()
    for member in members:
      builder.add_member(1, 'n1', 't', member)
    entries = builder.build()
    gone = records.ImageEntry(os.path.join(self.directory, 'gone.JPEG'), 'gone.JPEG',
                              1, 'n1', 't')
    for shard in (entries, [entries[0], gone, entries[2]]):
      read = list(_image_sources.entries_with_bytes(shard))
      self.assertEqual([entry for entry, _ in read], list(shard))
      self.assertEqual((read[0][1], read[2][1]), (b'first', b'third'))
    self.assertIsInstance(read[1][1], records.ImageError)
    self.assertStartsWith(read[1][1].reason, 'unreadable (FileNotFoundError')
    self.assertEqual(_image_sources.read_source_bytes(members[1]), b'second')
    with self.assertRaisesRegex(records.ImageError, 'gone.JPEG: unreadable'):
      _image_sources.read_source_bytes(gone.source)


if __name__ == '__main__':
  absltest.main()
