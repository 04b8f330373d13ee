"""Tests of inception.acquire._extract on the mini fixture and on crafted malicious tars."""

import hashlib
import io
import json
import os
import shutil
import subprocess
import tarfile

from absl.testing import absltest
from absl.testing import parameterized

from inception import acquire
from inception import core
from inception import demo
from inception.acquire import _extract
from tests import archives
from tests.core import full_disk


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


def _write(path, data):
  with open(path, 'wb') as f:
    f.write(data)
  return path


def _read(path):
  with open(path, 'rb') as f:
    return f.read()


def _tree(root):
  """{relative path: bytes or '->link'} of everything under root."""
  found = {}
  for directory, dirnames, filenames in os.walk(root):
    for name in dirnames + filenames:
      path = os.path.join(directory, name)
      relative = os.path.relpath(path, root)
      if os.path.islink(path):
        found[relative] = '->' + os.readlink(path)
      elif os.path.isfile(path):
        with open(path, 'rb') as f:
          found[relative] = f.read()
      else:
        found[relative + '/'] = None
  return found


class MiniImagenetTest(absltest.TestCase):

  @classmethod
  def setUpClass(cls):
    super().setUpClass()
    cls.fixture = demo.generate(
        os.path.join(absltest.TEST_TMPDIR.value, 'mini_fixture'),
        demo.Config(num_classes=3, images_per_class=4,
                             num_validation_images=6, min_side=64, max_side=64))

  def setUp(self):
    super().setUp()
    self.data_dir = self.create_tempdir().full_path
    self.raw_dir = core.raw_data_dir(self.data_dir)

  def extract_all(self):
    return _extract.extract_all(
        self.data_dir, train_tar=self.fixture.train_tar,
        validation_tar=self.fixture.validation_tar,
        bbox_train_tar_gz=self.fixture.bbox_train_tar_gz,
        bbox_validation_tgz=self.fixture.bbox_validation_tgz, progress_interval=0)

  def expected_train_files(self):
    """{wnid/name: bytes} read from the fixture's nested tars with plain tarfile."""
    expected = {}
    with tarfile.open(self.fixture.train_tar) as outer:
      for member in outer:
        wnid = member.name[:-4]
        with tarfile.open(fileobj=outer.extractfile(member)) as inner:
          for image in inner:
            expected['%s/%s' % (wnid, image.name)] = inner.extractfile(image).read()
    return expected

  def test_layout_and_contents(self):
    result = self.extract_all()
    self.assertEqual(result.raw_dir, self.raw_dir)
    self.assertEqual(result.train_counts, self.fixture.train_counts)
    self.assertEqual(result.num_validation_images, 6)
    self.assertEqual(_tree(os.path.join(self.raw_dir, 'train')),
                     dict(self.expected_train_files(),
                          **{wnid + '/': None for wnid in self.fixture.synsets}))
    validation = os.listdir(os.path.join(self.raw_dir, 'validation'))
    self.assertCountEqual(validation, [demo.validation_filename(i)
                                       for i in range(6)])
    boxes = _tree(os.path.join(self.raw_dir, 'bounding_boxes'))
    xml_files = [name for name in boxes if name.endswith('.xml')]
    self.assertLen(xml_files, result.num_bounding_box_files)
    for name in xml_files:
      wnid, basename = name.split('/')
      self.assertIn(wnid, self.fixture.synsets)
      self.assertStartsWith(basename, wnid + '_')
    val_boxes = os.listdir(os.path.join(self.raw_dir, 'validation_bounding_boxes',
                                        'val'))
    self.assertLen(val_boxes, 6)
    self.assertEqual(result.num_validation_bounding_box_files, 6)
    self.assertFalse(os.path.exists(os.path.join(self.raw_dir, '.extracting')))
    self.assertCountEqual(os.listdir(self.data_dir), ['raw-data'])

  def test_rerun_writes_nothing(self):
    self.extract_all()
    before = {path: os.stat(os.path.join(self.raw_dir, path))
              for path in _tree(self.raw_dir)}
    again = self.extract_all()
    self.assertEqual(again.train_counts, self.fixture.train_counts)
    after = {path: os.stat(os.path.join(self.raw_dir, path))
             for path in _tree(self.raw_dir)}
    self.assertEqual(before.keys(), after.keys())
    for path in before:
      self.assertEqual((before[path].st_ino, before[path].st_mtime_ns),
                       (after[path].st_ino, after[path].st_mtime_ns), path)

  def test_without_stamp_complete_classes_are_kept_and_broken_ones_replaced(self):
    _extract.extract_train(self.fixture.train_tar, self.raw_dir)
    os.remove(os.path.join(self.raw_dir, '.%s.extracted' % acquire.TRAIN_TAR))
    kept, broken, missing = self.fixture.synsets
    train = os.path.join(self.raw_dir, 'train')
    kept_inode = os.stat(os.path.join(train, kept)).st_ino
    victim = sorted(os.listdir(os.path.join(train, broken)))[0]
    _write(os.path.join(train, broken, victim), b'truncated')
    _write(os.path.join(train, broken, 'stray.JPEG'), b'from another run')
    for name in os.listdir(os.path.join(train, missing)):
      os.remove(os.path.join(train, missing, name))
    os.rmdir(os.path.join(train, missing))

    counts = _extract.extract_train(self.fixture.train_tar, self.raw_dir)
    self.assertEqual(counts, self.fixture.train_counts)
    self.assertEqual(os.stat(os.path.join(train, kept)).st_ino, kept_inode)
    self.assertEqual(_tree(train), dict(
        self.expected_train_files(),
        **{wnid + '/': None for wnid in self.fixture.synsets}))

  def test_partial_output_of_an_interrupted_run_is_replaced(self):
    staging = os.path.join(self.raw_dir, '.extracting')
    wnid = self.fixture.synsets[0]
    os.makedirs(os.path.join(staging, 'train', wnid))
    _write(os.path.join(staging, 'train', wnid, 'junk.JPEG'), b'junk')
    os.makedirs(os.path.join(staging, 'validation'))
    _write(os.path.join(staging, 'validation', 'junk.JPEG'), b'junk')
    self.extract_all()
    self.assertNotIn('junk.JPEG', os.listdir(os.path.join(self.raw_dir, 'train', wnid)))
    self.assertNotIn('junk.JPEG', os.listdir(os.path.join(self.raw_dir, 'validation')))
    self.assertFalse(os.path.exists(staging))

  def test_validation_is_not_extracted_again_after_relabel(self):
    _extract.extract_validation(self.fixture.validation_tar, self.raw_dir)
    validation = os.path.join(self.raw_dir, 'validation')
    synset_dir = os.path.join(validation, self.fixture.synsets[0])
    os.makedirs(synset_dir)
    for name in os.listdir(validation):
      if name.endswith('.JPEG'):
        os.rename(os.path.join(validation, name), os.path.join(synset_dir, name))
    self.assertEqual(
        _extract.extract_validation(self.fixture.validation_tar, self.raw_dir), 6)
    self.assertEqual(os.listdir(validation), [self.fixture.synsets[0]])

  def test_changed_archive_is_extracted_again(self):
    _extract.extract_validation(self.fixture.validation_tar, self.raw_dir)
    other = _write(os.path.join(self.create_tempdir().full_path,
                                acquire.VALIDATION_TAR),
                   archives.tar_bytes([('ILSVRC2012_val_00000001.JPEG', b'new')]))
    self.assertEqual(_extract.extract_validation(other, self.raw_dir), 1)
    self.assertEqual(_tree(os.path.join(self.raw_dir, 'validation')),
                     {'ILSVRC2012_val_00000001.JPEG': b'new'})


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
    with self.assertRaises(_extract.UnsafeArchiveError) as raised:
      _extract.extract_train(train, self.raw_dir)
    self.assert_refused(raised, 'ILSVRC2012_img_train.tar:n02.tar', member_name)
    # The good class before it is complete; the bad class left nothing.
    self.assertEqual(_tree(os.path.join(self.raw_dir, 'train')),
                     {'n01/': None, 'n01/n01_1.JPEG': b'good'})

  @parameterized.parameters(*_KINDS)
  def test_train_tar_itself(self, kind):
    member_name, members = self.bad_members(kind)
    train = _write(os.path.join(self.archives, 'ILSVRC2012_img_train.tar'),
                   archives.tar_bytes(members))
    with self.assertRaises(_extract.UnsafeArchiveError) as raised:
      _extract.extract_train(train, self.raw_dir)
    self.assert_refused(raised, 'ILSVRC2012_img_train.tar', member_name)

  @parameterized.parameters(*_KINDS)
  def test_validation_tar(self, kind):
    member_name, members = self.bad_members(kind)
    tar = _write(os.path.join(self.archives, 'ILSVRC2012_img_val.tar'),
                 archives.tar_bytes([('ILSVRC2012_val_00000001.JPEG', b'v')] + members))
    with self.assertRaises(_extract.UnsafeArchiveError) as raised:
      _extract.extract_validation(tar, self.raw_dir)
    self.assert_refused(raised, 'ILSVRC2012_img_val.tar', member_name)
    self.assertFalse(os.path.exists(os.path.join(self.raw_dir, 'validation')))

  @parameterized.parameters(*_KINDS)
  def test_bounding_box_tar_gz(self, kind):
    member_name, members = self.bad_members(kind)
    tar = _write(os.path.join(self.archives, 'ILSVRC2012_bbox_train_v2.tar.gz'),
                 archives.tar_bytes([('n01/n01_1.xml', b'<a/>')] + members, 'w:gz'))
    with self.assertRaises(_extract.UnsafeArchiveError) as raised:
      _extract.extract_bounding_boxes(tar, self.raw_dir)
    self.assert_refused(raised, 'ILSVRC2012_bbox_train_v2.tar.gz', member_name)
    self.assertFalse(os.path.exists(os.path.join(self.raw_dir, 'bounding_boxes')))

  def test_subdirectory_in_image_archive_is_refused(self):
    tar = _write(os.path.join(self.archives, 'val.tar'),
                 archives.tar_bytes([('sub/ILSVRC2012_val_00000001.JPEG', b'v')]))
    with self.assertRaisesRegex(_extract.UnsafeArchiveError, 'not a plain file name'):
      _extract.extract_validation(tar, self.raw_dir)

  def test_outer_member_that_is_not_a_class_tar(self):
    train = _write(os.path.join(self.archives, 'train.tar'),
                   archives.tar_bytes([('README.txt', b'hello')]))
    with self.assertRaisesRegex(_extract.ExtractionError,
                                r"train.tar: member 'README.txt' is not a class tar"):
      _extract.extract_train(train, self.raw_dir)

  def test_corrupt_archives_are_named(self):
    garbage = _write(os.path.join(self.archives, 'garbage.tar'), b'\x01' * 5000)
    with self.assertRaisesRegex(_extract.CorruptArchiveError, 'garbage.tar'):
      _extract.extract_train(garbage, self.raw_dir)
    with self.assertRaisesRegex(_extract.CorruptArchiveError, 'garbage.tar'):
      _extract.extract_validation(garbage, self.raw_dir)
    bad_class = _write(os.path.join(self.archives, 'train.tar'),
                       archives.tar_bytes([('n01.tar', b'\x02' * 3000)]))
    with self.assertRaisesRegex(_extract.CorruptArchiveError,
                                r'train.tar:n01.tar: not a ') as raised:
      _extract.extract_train(bad_class, self.raw_dir)
    self.assertEqual(raised.exception.archive_path, bad_class)

  def test_duplicate_member_is_an_error_naming_archive_and_member(self):
    twice = [('ILSVRC2012_val_00000001.JPEG', b'one'),
             ('ILSVRC2012_val_00000002.JPEG', b'two'),
             ('ILSVRC2012_val_00000001.JPEG', b'again')]
    tar = _write(os.path.join(self.archives, 'ILSVRC2012_img_val.tar'),
                 archives.tar_bytes(twice))
    message = "ILSVRC2012_img_val.tar: member 'ILSVRC2012_val_00000001.JPEG' appears twice"
    with self.assertRaisesRegex(_extract.ExtractionError, message):
      _extract.extract_validation(tar, self.raw_dir)
    self.assertFalse(os.path.exists(os.path.join(self.raw_dir, 'validation')))
    train = _write(os.path.join(self.archives, 'ILSVRC2012_img_train.tar'),
                   archives.tar_bytes([('n01.tar', archives.tar_bytes(twice))]))
    with self.assertRaisesRegex(_extract.ExtractionError,
                                'ILSVRC2012_img_train.tar:n01.tar: member '
                                "'ILSVRC2012_val_00000001.JPEG' appears twice"):
      _extract.extract_train(train, self.raw_dir)
    self.assertFalse(os.path.exists(os.path.join(self.raw_dir, 'train', 'n01')))

  def test_archive_cut_on_a_member_boundary_is_corrupt_not_shorter(self):
    for name, extract, members in (
        ('ILSVRC2012_img_train.tar', _extract.extract_train,
         [('n%02d.tar' % i, archives.tar_bytes([('n%02d_1.JPEG' % i, b'x' * 600)]))
          for i in range(3)]),
        ('ILSVRC2012_img_val.tar', _extract.extract_validation,
         [('ILSVRC2012_val_%08d.JPEG' % i, b'v' * 600) for i in range(3)])):
      path = _write(os.path.join(self.archives, name),
                    archives.cut_before_member(archives.tar_bytes(members), 2))
      with self.assertRaisesRegex(_extract.CorruptArchiveError,
                                  name + ': .*truncated') as raised:
        extract(path, self.raw_dir)
      self.assertEqual(raised.exception.archive_path, path)
    self.assertFalse(os.path.exists(os.path.join(self.raw_dir, 'validation')))

  def test_missing_extraction_filters_fail_clearly(self):
    saved = tarfile.data_filter
    del tarfile.data_filter
    try:
      with self.assertRaisesRegex(_extract.ExtractionError, 'extraction filters'):
        _extract.require_extraction_filters()
    finally:
      tarfile.data_filter = saved


# In a child process: extract argv[1] (a validation tar) under argv[2]; print the error.
_EXTRACT_INTO = """
import json, sys
from inception.acquire import _extract
try:
  _extract.extract_validation(sys.argv[1], sys.argv[2])
except OSError as e:
  print(json.dumps([e.filename, e.strerror]))
"""


class VerifiedOnFirstReadTest(absltest.TestCase):
  """Symlinked tarballs are not hashed when linked: extraction checks their MD5."""

  @classmethod
  def setUpClass(cls):
    super().setUpClass()
    cls.fixture = demo.generate(
        os.path.join(absltest.TEST_TMPDIR.value, 'linked_fixture'),
        demo.Config(num_classes=3, images_per_class=4, num_validation_images=6,
                    min_side=64, max_side=64))
    with open(cls.fixture.checksums_file) as f:
      cls.checksums = acquire.parse_checksums_file(f.read())

  def setUp(self):
    super().setUp()
    self.data_dir = self.create_tempdir().full_path
    self.downloads = core.downloads_dir(self.data_dir)
    self.raw_dir = core.raw_data_dir(self.data_dir)

  def link(self, name, md5=None, source=None):
    """Links `name` from the fixture (or `source`) as the driver does; its path."""
    checksums = dict(self.checksums, **({name: md5} if md5 else {}))
    summary = acquire.fetch_all(self.downloads, source or self.fixture.directory,
                                [name], checksums=checksums, link_mode='symlink',
                                verify_on_first_read=acquire.IMAGE_TARS,
                                progress_interval=0)
    path = summary.paths[name]
    self.assertTrue(os.path.islink(path))
    self.assertTrue(os.path.exists(path + acquire.PENDING_SUFFIX))
    self.assertFalse(os.path.exists(path + acquire.STAMP_SUFFIX))
    return path

  def assert_set_aside(self, raised, path, md5):
    self.assertRegex(str(raised.exception), (
        '^%s: MD5 mismatch: expected 0{32}, actual %s; the file was moved aside to '
        '%s.bad-md5-%s.*Run the same command again' % (path, md5, path, md5)))
    self.assertCountEqual(os.listdir(self.downloads),
                          [os.path.basename(path) + '.bad-md5-' + md5])
    self.assertEqual(hashlib.md5(_read(os.readlink(path + '.bad-md5-' + md5)))
                     .hexdigest(), md5)  # The user's file is untouched.

  def test_wrong_md5_of_the_train_tar_keeps_nothing_extracted(self):
    path = self.link(acquire.TRAIN_TAR, '0' * 32)
    with self.assertRaises(acquire.ChecksumMismatch) as raised:
      _extract.extract_train(path, self.raw_dir, progress_interval=0)
    self.assert_set_aside(raised, path, self.checksums[acquire.TRAIN_TAR])
    self.assertIn('everything extracted from it', str(raised.exception))
    self.assertEqual(os.listdir(self.raw_dir), [])  # No classes, staging or stamp.

  def test_wrong_md5_found_after_an_interrupted_run_removes_its_classes_too(self):
    path = self.link(acquire.TRAIN_TAR, '0' * 32)
    # As if an earlier run of the same unverified tarball had extracted a class.
    stale = os.path.join(self.raw_dir, 'train', 'n00000000')
    os.makedirs(stale)
    _write(os.path.join(stale, 'n00000000_1.JPEG'), b'x')
    with self.assertRaises(acquire.ChecksumMismatch):
      _extract.extract_train(path, self.raw_dir, progress_interval=0)
    self.assertEqual(os.listdir(self.raw_dir), [])

  def test_wrong_md5_of_the_validation_tar_keeps_nothing_extracted(self):
    path = self.link(acquire.VALIDATION_TAR, '0' * 32)
    with self.assertRaises(acquire.ChecksumMismatch) as raised:
      _extract.extract_validation(path, self.raw_dir, progress_interval=0)
    self.assert_set_aside(raised, path, self.checksums[acquire.VALIDATION_TAR])
    self.assertIn('nothing extracted from it was kept', str(raised.exception))
    self.assertEqual(os.listdir(self.raw_dir), [])

  def test_a_wrong_file_that_is_also_unreadable_is_reported_as_the_mismatch(self):
    source = self.create_tempdir().full_path
    data = _read(self.fixture.validation_tar)
    _write(os.path.join(source, acquire.VALIDATION_TAR), data[:len(data) // 2])
    path = self.link(acquire.VALIDATION_TAR, '0' * 32, source=source)
    with self.assertRaisesRegex(acquire.ChecksumMismatch, 'MD5 mismatch') as raised:
      _extract.extract_validation(path, self.raw_dir, progress_interval=0)
    self.assertIsInstance(raised.exception.__cause__, acquire.CorruptArchiveError)
    self.assertEqual(os.listdir(self.raw_dir), [])

  def test_right_md5_is_stamped_and_never_hashed_again(self):
    source = self.create_tempdir().full_path
    data = _read(self.fixture.train_tar)
    source_tar = _write(os.path.join(source, acquire.TRAIN_TAR), data)
    path = self.link(acquire.TRAIN_TAR, source=source)
    counts = _extract.extract_train(path, self.raw_dir, progress_interval=0)
    self.assertEqual(counts, self.fixture.train_counts)
    self.assertFalse(os.path.exists(path + acquire.PENDING_SUFFIX))
    stamp = path + acquire.STAMP_SUFFIX
    self.assertEqual(_read(stamp).split()[0].decode(),
                     self.checksums[acquire.TRAIN_TAR])
    stamp_mtime = os.stat(stamp).st_mtime_ns
    # Change a byte of image data in place, keeping size and mtime: only a read that
    # hashed the tarball again could notice. Extracting it again does not.
    stat = os.stat(source_tar)
    flipped = bytearray(data)
    flipped[len(data) // 2] ^= 0xff
    _write(source_tar, bytes(flipped))
    os.utime(source_tar, ns=(stat.st_atime_ns, stat.st_mtime_ns))
    shutil.rmtree(self.raw_dir)
    self.assertEqual(_extract.extract_train(path, self.raw_dir, progress_interval=0),
                     counts)
    self.assertEqual(os.stat(stamp).st_mtime_ns, stamp_mtime)
    self.assertTrue(os.path.islink(path))

  def test_a_pending_tarball_is_checked_even_with_an_extraction_stamp(self):
    path = self.link(acquire.VALIDATION_TAR)
    _extract.extract_validation(path, self.raw_dir, progress_interval=0)
    # Linked again with another expected MD5 (say, a changed checksums file).
    os.remove(path + acquire.STAMP_SUFFIX)
    os.remove(path)
    path = self.link(acquire.VALIDATION_TAR, '0' * 32)
    with self.assertRaises(acquire.ChecksumMismatch):
      _extract.extract_validation(path, self.raw_dir, progress_interval=0)


class FullDiskTest(absltest.TestCase):

  def test_a_full_disk_names_the_member_being_written_and_its_directory(self):
    archive = os.path.join(self.create_tempdir().full_path, 'val.tar')
    with tarfile.open(archive, 'w') as tar:
      info = tarfile.TarInfo('ILSVRC2012_val_00000001.JPEG')
      info.size = 1 << 20
      tar.addfile(info, io.BytesIO(os.urandom(info.size)))
    with full_disk.small_directory(self.create_tempdir().full_path) as (raw_dir, limit):
      command, env = full_disk.python_command(_EXTRACT_INTO)
      output = subprocess.run(command + [archive, raw_dir], env=env, preexec_fn=limit,
                              check=True, capture_output=True, text=True).stdout
      self.assertFalse(os.path.exists(os.path.join(raw_dir, core.VALIDATION_DIRNAME)))
    filename, strerror = json.loads(output)
    self.assertTrue(filename.endswith('ILSVRC2012_val_00000001.JPEG'), filename)
    self.assertIn('writing into directory %s' % os.path.dirname(filename), strerror)


if __name__ == '__main__':
  absltest.main()
