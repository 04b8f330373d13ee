"""Image sources for the shard tests, and a shard read back with TensorFlow.

`MemberSource` is any object with read_bytes(); `Member` a tar member record as
acquire.TarMember is (what ShardEntries packs as columns), and `write_tar` a real tar
of such members; `write_zip` a real zip and its records.ZipMembers; `read_shard` and
`value` read a written shard's Examples back; `ShardTestCase` makes image files and
the task of a shard of them.
"""

import os
import tarfile
from typing import NamedTuple
import zipfile

from absl.testing import absltest
import tensorflow as tf

from inception import records
from tests import conversion_fixtures as fixtures


class MemberSource(object):
  """A non-path source, like a tar member: anything with read_bytes()."""

  def __init__(self, data, name):
    self.data = data
    self.name = name

  def read_bytes(self):
    return self.data

  def __str__(self):
    return 'archive.tar[%s]' % self.name


def read_shard(path):
  return [tf.train.Example.FromString(r.numpy()) for r in tf.data.TFRecordDataset(path)]


def value(example, key):
  feature = example.features.feature[key]
  kind = feature.WhichOneof('kind')
  values = list(getattr(feature, kind).value)
  return values[0] if len(values) == 1 else values


class Member(NamedTuple):
  """A tar member record as acquire.TarMember is: what the columns recognise."""
  archive_path: str
  offset: int
  size: int
  name: str
  class_tar: str = ''

  def __str__(self):
    """As acquire.TarMember names itself: ARCHIVE[:CLASS_TAR]:MEMBER."""
    return ':'.join(part for part in (os.path.basename(self.archive_path),
                                      self.class_tar, self.name) if part)

  def read_bytes(self):
    """As acquire.TarMember reads one member: opening the archive."""
    fd = os.open(self.archive_path, os.O_RDONLY)
    try:
      return os.pread(fd, self.size, self.offset)
    finally:
      os.close(fd)


def write_tar(path, files):
  """A real tar of {name: bytes}; [Member] of each, at its data's offset."""
  with tarfile.open(path, 'w') as tar:
    for name, data in files.items():
      fixtures.write(os.path.join(os.path.dirname(path), 'staging', name), data)
      tar.add(os.path.join(os.path.dirname(path), 'staging', name), arcname=name)
  with tarfile.open(path) as tar:
    return [Member(path, m.offset_data, m.size, m.name) for m in tar]


def write_zip(path, files, compression=zipfile.ZIP_DEFLATED, zip64=False,
              folder='images/'):
  """A real zip of {name: bytes} under `folder`; [records.ZipMember] of each, as the
  central directory gives them, named by their base names (and their folder)."""
  with zipfile.ZipFile(path, 'w', compression=compression) as archive:
    for name, data in files.items():
      info = zipfile.ZipInfo(folder + name)
      info.compress_type = compression
      with archive.open(info, 'w', force_zip64=zip64) as member:
        member.write(data)
  with zipfile.ZipFile(path) as archive:
    return [records.ZipMember(path, info.header_offset, info.compress_size,
                              info.file_size, info.CRC, info.compress_type,
                              *reversed(info.filename.rsplit('/', 1)))
            for info in archive.infolist()]


class ShardTestCase(absltest.TestCase):
  """A test that writes one shard, `self.output`, of images under `self.directory`."""

  def setUp(self):
    super().setUp()
    self.directory = self.create_tempdir().full_path
    self.output = os.path.join(self.directory, 'train-00000-of-00001')

  def _entry(self, name, data, label=1):
    path = fixtures.write(os.path.join(self.directory, 'raw', name), data)
    return records.ImageEntry(path, name, label, 'n%08d' % label, 'text %d' % label)

  def _task(self, entries, boxes=None, **kwargs):
    boxes = boxes or tuple(() for _ in entries)
    return records.ShardTask('train', 0, 1, self.output, tuple(entries), boxes,
                             **kwargs)
