"""Tests of inception.acquire._members: crafted malicious tars are refused, whichever
extraction reads them, and unreadable or truncated ones are named."""

import os
import tarfile

from absl.testing import absltest
from absl.testing import parameterized

from inception import acquire
from inception.acquire import _members
from tests import archives
from tests.acquire import extract_fixtures

_write = extract_fixtures.write
_tree = extract_fixtures.tree


def _file_member(name, data=b'x'):
  return (name, data)


def _link(name, target, kind=tarfile.SYMTYPE):
  info = tarfile.TarInfo(name)
  info.type = kind
  info.linkname = target
  return info


def _device(name):
  info = tarfile.TarInfo(name)
  info.type = tarfile.CHRTYPE
  info.devmajor, info.devminor = 1, 3
  return info


class MaliciousTarTest(parameterized.TestCase):
  """Each crafted member is refused, naming archive and member, and nothing is written
  outside the destination (nor left in the layout)."""

  def setUp(self):
    super().setUp()
    self.sandbox = self.create_tempdir().full_path
    self.outside = os.path.join(self.sandbox, 'outside')
    os.makedirs(self.outside)
    self.data_dir = os.path.join(self.sandbox, 'data')
    os.makedirs(self.data_dir)
    self.raw_dir = os.path.join(self.data_dir, 'raw-data')
    self.archives = os.path.join(self.sandbox, 'archives')
    os.makedirs(self.archives)

  def bad_members(self, kind):
    """Members of one attack kind; the first names the member the error must name."""
    if kind == 'dotdot':
      return '../../outside/evil.JPEG', [_file_member('../../outside/evil.JPEG')]
    if kind == 'dotdot_inside':
      return 'a/../../../outside/evil.JPEG', [
          _file_member('a/../../../outside/evil.JPEG')]
    if kind == 'absolute':
      name = os.path.join(self.outside, 'abs_evil.JPEG')
      return name, [_file_member(name)]
    if kind == 'symlink_escape':
      return 'escape', [_link('escape', '../../outside'),
                        _file_member('escape/evil.JPEG')]
    if kind == 'absolute_symlink':
      return 'escape', [_link('escape', self.outside),
                        _file_member('escape/evil.JPEG')]
    if kind == 'hardlink_escape':
      return 'hard', [_link('hard', '../../outside/target', tarfile.LNKTYPE)]
    if kind == 'device':
      return 'null', [_device('null')]
    raise ValueError(kind)

  def assert_refused(self, raised, archive_label, member_name):
    message = str(raised.exception)
    self.assertIn(archive_label, message)
    self.assertIn(repr(member_name), message)
    self.assertIn('refusing to extract', message)
    self.assertEqual(os.listdir(self.outside), [])
    self.assertCountEqual(os.listdir(self.sandbox), ['outside', 'data', 'archives'])
    leftovers = [path for path in _tree(self.data_dir)
                 if 'evil' in path or 'escape' in path or 'null' in path or
                 'hard' in path]
    self.assertEqual(leftovers, [])
    self.assertFalse(os.path.exists(os.path.join(self.raw_dir, '.extracting')))

  _KINDS = ('dotdot', 'dotdot_inside', 'absolute', 'symlink_escape',
            'absolute_symlink', 'hardlink_escape', 'device')

  @parameterized.parameters(*_KINDS)
  def test_class_tar_inside_train_tar(self, kind):
    member_name, members = self.bad_members(kind)
    good_class = archives.tar_bytes([('n01_1.JPEG', b'good')])
    bad_class = archives.tar_bytes([('n02_1.JPEG', b'fine')] + members)
    train = _write(os.path.join(self.archives, 'ILSVRC2012_img_train.tar'),
                   archives.tar_bytes([('n01.tar', good_class), ('n02.tar', bad_class)]))
    with self.assertRaises(acquire.UnsafeArchiveError) as raised:
      extract_fixtures.extract_train(train, self.raw_dir)
    self.assert_refused(raised, 'ILSVRC2012_img_train.tar:n02.tar', member_name)
    # The good class before it is complete; the bad class left nothing.
    self.assertEqual(_tree(os.path.join(self.raw_dir, 'train')),
                     {'n01/': None, 'n01/n01_1.JPEG': b'good'})

  @parameterized.parameters(*_KINDS)
  def test_train_tar_itself(self, kind):
    member_name, members = self.bad_members(kind)
    train = _write(os.path.join(self.archives, 'ILSVRC2012_img_train.tar'),
                   archives.tar_bytes(members))
    with self.assertRaises(acquire.UnsafeArchiveError) as raised:
      extract_fixtures.extract_train(train, self.raw_dir)
    self.assert_refused(raised, 'ILSVRC2012_img_train.tar', member_name)

  @parameterized.parameters(*_KINDS)
  def test_validation_tar(self, kind):
    member_name, members = self.bad_members(kind)
    tar = _write(os.path.join(self.archives, 'ILSVRC2012_img_val.tar'),
                 archives.tar_bytes([('ILSVRC2012_val_00000001.JPEG', b'v')] + members))
    with self.assertRaises(acquire.UnsafeArchiveError) as raised:
      extract_fixtures.extract_validation(tar, self.raw_dir)
    self.assert_refused(raised, 'ILSVRC2012_img_val.tar', member_name)
    self.assertFalse(os.path.exists(os.path.join(self.raw_dir, 'validation')))

  @parameterized.parameters(*_KINDS)
  def test_bounding_box_tar_gz(self, kind):
    member_name, members = self.bad_members(kind)
    tar = _write(os.path.join(self.archives, 'ILSVRC2012_bbox_train_v2.tar.gz'),
                 archives.tar_bytes([('n01/n01_1.xml', b'<a/>')] + members, 'w:gz'))
    with self.assertRaises(acquire.UnsafeArchiveError) as raised:
      extract_fixtures.extract_bounding_boxes(tar, self.raw_dir)
    self.assert_refused(raised, 'ILSVRC2012_bbox_train_v2.tar.gz', member_name)
    self.assertFalse(os.path.exists(os.path.join(self.raw_dir, 'bounding_boxes')))

  def test_subdirectory_in_image_archive_is_refused(self):
    tar = _write(os.path.join(self.archives, 'val.tar'),
                 archives.tar_bytes([('sub/ILSVRC2012_val_00000001.JPEG', b'v')]))
    with self.assertRaisesRegex(acquire.UnsafeArchiveError, 'not a plain file name'):
      extract_fixtures.extract_validation(tar, self.raw_dir)

  def test_outer_member_that_is_not_a_class_tar(self):
    train = _write(os.path.join(self.archives, 'train.tar'),
                   archives.tar_bytes([('README.txt', b'hello')]))
    with self.assertRaisesRegex(acquire.ExtractionError,
                                r"train.tar: member 'README.txt' is not a class tar"):
      extract_fixtures.extract_train(train, self.raw_dir)

  def test_corrupt_archives_are_named(self):
    garbage = _write(os.path.join(self.archives, 'garbage.tar'), b'\x01' * 5000)
    with self.assertRaisesRegex(acquire.CorruptArchiveError, 'garbage.tar'):
      extract_fixtures.extract_train(garbage, self.raw_dir)
    with self.assertRaisesRegex(acquire.CorruptArchiveError, 'garbage.tar'):
      extract_fixtures.extract_validation(garbage, self.raw_dir)
    bad_class = _write(os.path.join(self.archives, 'train.tar'),
                       archives.tar_bytes([('n01.tar', b'\x02' * 3000)]))
    with self.assertRaisesRegex(acquire.CorruptArchiveError,
                                r'train.tar:n01.tar: not a ') as raised:
      extract_fixtures.extract_train(bad_class, self.raw_dir)
    self.assertEqual(raised.exception.archive_path, bad_class)

  def test_duplicate_member_is_an_error_naming_archive_and_member(self):
    twice = [('ILSVRC2012_val_00000001.JPEG', b'one'),
             ('ILSVRC2012_val_00000002.JPEG', b'two'),
             ('ILSVRC2012_val_00000001.JPEG', b'again')]
    tar = _write(os.path.join(self.archives, 'ILSVRC2012_img_val.tar'),
                 archives.tar_bytes(twice))
    message = "ILSVRC2012_img_val.tar: member 'ILSVRC2012_val_00000001.JPEG' appears twice"
    with self.assertRaisesRegex(acquire.ExtractionError, message):
      extract_fixtures.extract_validation(tar, self.raw_dir)
    self.assertFalse(os.path.exists(os.path.join(self.raw_dir, 'validation')))
    train = _write(os.path.join(self.archives, 'ILSVRC2012_img_train.tar'),
                   archives.tar_bytes([('n01.tar', archives.tar_bytes(twice))]))
    with self.assertRaisesRegex(acquire.ExtractionError,
                                'ILSVRC2012_img_train.tar:n01.tar: member '
                                "'ILSVRC2012_val_00000001.JPEG' appears twice"):
      extract_fixtures.extract_train(train, self.raw_dir)
    self.assertFalse(os.path.exists(os.path.join(self.raw_dir, 'train', 'n01')))

  def test_archive_cut_on_a_member_boundary_is_corrupt_not_shorter(self):
    for name, extract, members in (
        ('ILSVRC2012_img_train.tar', extract_fixtures.extract_train,
         [('n%02d.tar' % i, archives.tar_bytes([('n%02d_1.JPEG' % i, b'x' * 600)]))
          for i in range(3)]),
        ('ILSVRC2012_img_val.tar', extract_fixtures.extract_validation,
         [('ILSVRC2012_val_%08d.JPEG' % i, b'v' * 600) for i in range(3)])):
      path = _write(os.path.join(self.archives, name),
                    archives.cut_before_member(archives.tar_bytes(members), 2))
      with self.assertRaisesRegex(acquire.CorruptArchiveError,
                                  name + ': .*truncated') as raised:
        extract(path, self.raw_dir)
      self.assertEqual(raised.exception.archive_path, path)
    self.assertFalse(os.path.exists(os.path.join(self.raw_dir, 'validation')))

  def test_missing_extraction_filters_fail_clearly(self):
    saved = tarfile.data_filter
    del tarfile.data_filter
    try:
      with self.assertRaisesRegex(acquire.ExtractionError, 'extraction filters'):
        _members.require_extraction_filters()
    finally:
      tarfile.data_filter = saved


class PlainMemberNameTest(absltest.TestCase):

  def test_relative_name_without_leading_dot(self):
    member = tarfile.TarInfo('./a.JPEG')
    seen = set()
    self.assertEqual(_members.plain_member_name('x.tar', member, seen=seen), 'a.JPEG')
    self.assertEqual(seen, {'a.JPEG'})

  def test_class_tar_names(self):
    self.assertEqual(_members.class_of_member('t.tar', 'n01440764.tar'), 'n01440764')
    with self.assertRaisesRegex(acquire.ExtractionError,
                                r"t.tar: member '.tar' is not a class tar"):
      _members.class_of_member('t.tar', '.tar')


if __name__ == '__main__':
  absltest.main()
