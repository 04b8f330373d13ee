"""Tests of inception.acquire._tree: flat archives and trees, extracted atomically
and once."""

import io
import json
import os
import subprocess
import tarfile

from absl.testing import absltest

from inception.acquire import _tree
from tests import archives
from tests.acquire import extract_fixtures
from tests.core import full_disk

_write = extract_fixtures.write
_read_tree = extract_fixtures.tree


class FlatTest(extract_fixtures.MiniImagenetTestCase):

  def setUp(self):
    super().setUp()
    self.raw_dir = os.path.join(self.create_tempdir().full_path, 'raw-data')

  def test_validation_is_not_extracted_again_after_relabel(self):
    _tree.extract_flat(self.fixture.validation_tar, self.raw_dir, 'validation')
    validation = os.path.join(self.raw_dir, 'validation')
    synset_dir = os.path.join(validation, self.fixture.synsets[0])
    os.makedirs(synset_dir)
    for name in os.listdir(validation):
      if name.endswith('.JPEG'):
        os.rename(os.path.join(validation, name), os.path.join(synset_dir, name))
    self.assertEqual(
        _tree.extract_flat(self.fixture.validation_tar, self.raw_dir, 'validation'), 6)
    self.assertEqual(os.listdir(validation), [self.fixture.synsets[0]])

  def test_changed_archive_is_extracted_again(self):
    _tree.extract_flat(self.fixture.validation_tar, self.raw_dir, 'validation')
    other = _write(os.path.join(self.create_tempdir().full_path,
                                os.path.basename(self.fixture.validation_tar)),
                   archives.tar_bytes([('ILSVRC2012_val_00000001.JPEG', b'new')]))
    self.assertEqual(_tree.extract_flat(other, self.raw_dir, 'validation'), 1)
    self.assertEqual(_read_tree(os.path.join(self.raw_dir, 'validation')),
                     {'ILSVRC2012_val_00000001.JPEG': b'new'})

  def test_tree_keeps_the_archive_layout(self):
    count = _tree.extract_tree(self.fixture.bbox_validation_tgz, self.raw_dir,
                               'validation_bounding_boxes')
    self.assertEqual(count, 6)
    self.assertEqual(os.listdir(os.path.join(self.raw_dir,
                                             'validation_bounding_boxes')), ['val'])


# In a child process: extract argv[1] (a validation tar) under argv[2]; print the error.
_EXTRACT_INTO = """
import json, sys
from inception.acquire import _tree
try:
  _tree.extract_flat(sys.argv[1], sys.argv[2], 'validation')
except OSError as e:
  print(json.dumps([e.filename, e.strerror]))
"""


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
      self.assertFalse(os.path.exists(os.path.join(raw_dir, 'validation')))
    filename, strerror = json.loads(output)
    self.assertTrue(filename.endswith('ILSVRC2012_val_00000001.JPEG'), filename)
    self.assertIn('writing into directory %s' % os.path.dirname(filename), strerror)


if __name__ == '__main__':
  absltest.main()
