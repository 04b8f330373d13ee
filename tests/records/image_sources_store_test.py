"""inception.records._image_sources reading a shard's images from S3 (moto's server
on 127.0.0.1, behind a counting proxy, both started once for this file).

A shard written from a tar in the store (its members read in place) and from image
objects in a store directory gives the same bytes as from local files; each image
costs one GET of exactly its bytes (counted at the proxy: no HEAD, no read-ahead),
several in flight at once but never more than STORE_READS_IN_FLIGHT; a GET refused
mid-shard fails the shard naming the image and the object, with no shard written.
"""

import os
import re
import secrets

from absl.testing import absltest
import fsspec

from inception import core
from inception import records
from inception.records import _image_sources
from tests import conversion_fixtures as fixtures
from tests import object_stores
from tests.records import shard_fixtures

_BUCKET = 'image-sources'
_NUM_IMAGES = 24
_SERVER = None
_PROXY = None
_FILES = None  # {name: bytes} of the shard's images


def setUpModule():
  global _SERVER, _PROXY, _FILES
  tmp = absltest.get_default_test_tmpdir()
  _SERVER = object_stores.s3(os.path.join(tmp, 'moto.log'))
  _PROXY = object_stores.FaultProxy(_SERVER.port)
  os.environ.update(object_stores.aws_environment(
      _PROXY.url, 'secret-' + secrets.token_hex(8)))
  _FILES = {'%02d.JPEG' % n: fixtures.image_bytes(n, kind) for n, kind in zip(
      range(_NUM_IMAGES), [None, 'png', 'cmyk', 'progressive'] * _NUM_IMAGES)}
  fsspec.filesystem('s3').mkdir(_BUCKET)


def tearDownModule():
  _PROXY.stop()
  _SERVER.stop()


class ImageSourcesStoreTest(shard_fixtures.ShardTestCase):
  maxDiff = None

  def setUp(self):
    super().setUp()
    entries = [self._entry(name, data) for name, data in _FILES.items()]
    self.local_task = self._task(entries)
    records.write_shard(self.local_task)
    with open(self.output, 'rb') as f:
      self.expected = f.read()
    os.remove(self.output)

  def _tar_in_store(self, name: str):
    """The images as a tar at s3://bucket/`name`; (its URL, the shard's entries)."""
    members = shard_fixtures.write_tar(os.path.join(self.directory, name), _FILES)
    url = 's3://%s/%s' % (_BUCKET, name)
    with open(members[0].archive_path, 'rb') as f:
      core.write_bytes(url, f.read())
    builder = records.EntriesBuilder()
    for member in members:
      builder.add_member(1, 'n00000001', 'text 1',
                         member._replace(archive_path=url))
    return url, members, builder.build()

  def _write_counting(self, task) -> records.ShardResult:
    _PROXY.reset_counts()
    result = records.write_shard(task)
    with open(self.output, 'rb') as f:
      self.assertEqual(f.read(), self.expected)
    return result

  def test_tar_members_one_ranged_get_each_several_in_flight_same_bytes(self):
    _, members, entries = self._tar_in_store('members.tar')
    self._write_counting(self.local_task._replace(entries=entries))
    key = '/%s/members.tar' % _BUCKET
    self.assertCountEqual(_PROXY.requests, [
        'GET %s bytes=%d-%d' % (key, m.offset, m.offset + m.size - 1)
        for m in members])  # one per image, nothing else
    self.assertEqual(_PROXY.bytes_answered, sum(map(len, _FILES.values())))
    self.assertBetween(_PROXY.most_in_flight, 2,
                       _image_sources.STORE_READS_IN_FLIGHT)

  def test_objects_of_a_directory_one_get_each_same_bytes(self):
    tasks_entries = []
    for entry in self.local_task.entries:
      url = 's3://%s/raw/n00000001/%s' % (_BUCKET, entry.filename)
      with open(entry.source, 'rb') as f:
        core.write_bytes(url, f.read())
      tasks_entries.append(entry._replace(source=url))
    self._write_counting(self.local_task._replace(entries=tuple(tasks_entries)))
    self.assertCountEqual(_PROXY.requests, [
        'GET /%s/raw/n00000001/%s' % (_BUCKET, name) for name in _FILES])
    self.assertEqual(_PROXY.bytes_answered, sum(map(len, _FILES.values())))
    self.assertBetween(_PROXY.most_in_flight, 2,
                       _image_sources.STORE_READS_IN_FLIGHT)

  def test_a_get_refused_mid_shard_fails_it_naming_the_image_and_object(self):
    url, members, entries = self._tar_in_store('refused.tar')
    refused = members[_NUM_IMAGES // 2]
    _PROXY.deny_request = lambda line: line.endswith(' bytes=%d-%d' % (
        refused.offset, refused.offset + refused.size - 1))
    try:
      with self.assertRaisesRegex(records.ImageError, '^%s: unreadable \\(.*%s' % (
          re.escape('refused.tar:' + refused.name), re.escape(url))) as caught:
        records.write_shard(self.local_task._replace(entries=entries))
    finally:
      _PROXY.deny_request = None
    self.assertIn('Access Denied', str(caught.exception))
    self.assertNotIn('\n', str(caught.exception))
    self.assertFalse(os.path.exists(self.output))
    self.assertCountEqual(os.listdir(self.directory), ['raw', 'refused.tar', 'staging'])


if __name__ == '__main__':
  absltest.main()
