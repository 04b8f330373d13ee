"""Tests of inception.core._file_io: local paths by os, remote ones by fsspec.

Remote paths here use fsspec's in-memory file system `memory://` (it lives only in
this process); tests/object_storage_test.py runs the same code against S3 and GCS
emulators.
"""

import inspect
import io
import os
import subprocess
import sys
import tarfile
import textwrap

from absl.testing import absltest
from absl.testing import parameterized
import fsspec

from inception.core import _file_io
from inception.core import _object_store


class FileIoTest(parameterized.TestCase):

  def _root(self, kind: str) -> str:
    """A fresh directory: local under TEST_TMPDIR, or remote under memory://."""
    if kind == 'local':
      return self.create_tempdir().full_path
    root = 'memory://file_io_test/%s' % self.id().split('.')[-1]
    _file_io.remove_tree(root)
    _file_io.makedirs(root)
    return root

  @parameterized.parameters('local', 'remote')
  def test_write_read_list_rename_remove(self, kind):
    root = self._root(kind)
    directory = _file_io.join(root, 'a', 'b')
    self.assertFalse(_file_io.exists(directory))
    _file_io.makedirs(directory)
    _file_io.makedirs(directory)  # already there: no error
    self.assertTrue(_file_io.isdir(directory))
    text_path = _file_io.join(directory, 'text.txt')
    with _file_io.open_file(text_path, 'w') as f:
      f.write('tench, Tinca tinca\r\nß\n')
    with _file_io.open_file(_file_io.join(directory, 'data.bin'), 'wb') as f:
      f.write(b'\x00\xff' * 3)
    # Text is UTF-8 and its newlines are kept as written, on both sides.
    self.assertEqual(_file_io.read_text(text_path), 'tench, Tinca tinca\r\nß\n')
    with fsspec.open(text_path, 'rb') as f:
      self.assertEqual(f.read(), 'tench, Tinca tinca\r\nß\n'.encode('utf-8'))
    self.assertEqual(_file_io.size(text_path), len('tench, Tinca tinca\r\nß\n') + 1)
    self.assertEqual(_file_io.read_bytes(_file_io.join(directory, 'data.bin')),
                     b'\x00\xff' * 3)
    self.assertCountEqual(_file_io.listdir(directory), ['text.txt', 'data.bin'])
    self.assertFalse(_file_io.isdir(text_path))

    # rename replaces an existing target.
    _file_io.rename(_file_io.join(directory, 'data.bin'), text_path)
    self.assertEqual(_file_io.listdir(directory), ['text.txt'])
    self.assertEqual(_file_io.read_bytes(text_path), b'\x00\xff' * 3)

    _file_io.remove(text_path)
    self.assertFalse(_file_io.exists(text_path))
    _file_io.remove(text_path, missing_ok=True)
    with self.assertRaises(FileNotFoundError):
      _file_io.remove(text_path)
    with self.assertRaises(OSError) as raised:
      _file_io.read_bytes(text_path)
    self.assertEqual(raised.exception.filename, text_path)  # the URL the user gave

  @parameterized.parameters('local', 'remote')
  def test_walk_and_seek(self, kind):
    root = self._root(kind)
    for name in ('x/1.xml', 'x/y/2.xml', 'z.xml'):
      path = _file_io.join(root, *name.split('/'))
      _file_io.makedirs(os.path.dirname(path))
      with _file_io.open_file(path, 'wb') as f:
        f.write(b'0123456789')
    found = sorted(_file_io.join(parent, name) for parent, _, names in _file_io.walk(root)
                   for name in names)
    self.assertEqual(found, [_file_io.join(root, 'x', '1.xml'),
                             _file_io.join(root, 'x', 'y', '2.xml'),
                             _file_io.join(root, 'z.xml')])
    with _file_io.open_file(_file_io.join(root, 'z.xml'), 'rb') as f:
      f.seek(4)
      self.assertEqual(f.read(3), b'456')

  @parameterized.parameters('local', 'remote')
  def test_read_range_reads_exactly_the_range(self, kind):
    path = _file_io.join(self._root(kind), 'member.tar')
    with _file_io.open_file(path, 'wb') as f:
      f.write(b'0123456789')
    self.assertEqual(_file_io.read_range(path, 3, 4), b'3456')
    self.assertEqual(_file_io.read_range(path, 8, 4), b'89')  # cut at the end
    _file_io.remove(path)
    with self.assertRaises(OSError) as raised:
      _file_io.read_range(path, 0, 1)
    self.assertEqual(raised.exception.filename, path)

  def test_whole_reads_are_one_request_on_s3(self):
    """s3fs would send a HEAD before the GET of a whole object (to cut a large one
    into concurrent ranges) unless told max_concurrency=1; other stores need nothing
    (tests/records/image_sources_store_test.py counts the requests on moto)."""
    s3 = fsspec.filesystem('s3', anon=True)  # made without a request
    self.assertEqual(_object_store.whole_read_options(s3), {'max_concurrency': 1})
    # The installed s3fs takes the option (a newer one might rename it).
    self.assertIn('max_concurrency', inspect.signature(s3._cat_file).parameters)
    self.assertEqual(_object_store.whole_read_options(fsspec.filesystem('memory')), {})

  @parameterized.parameters('local', 'remote')
  def test_remove_tree(self, kind):
    root = self._root(kind)
    tree = _file_io.join(root, 'staging')
    _file_io.makedirs(_file_io.join(tree, 'deep'))
    with _file_io.open_file(_file_io.join(tree, 'deep', 'task.pkl'), 'wb') as f:
      f.write(b'x')
    _file_io.remove_tree(tree)
    self.assertFalse(_file_io.isdir(tree))
    self.assertEmpty([n for n in _file_io.listdir(root) if n.rstrip('/') == 'staging'])
    _file_io.remove_tree(tree)  # already gone: no error

  @parameterized.parameters('local', 'remote')
  def test_object_version_changes_with_the_content(self, kind):
    path = _file_io.join(self._root(kind), 'archive.tar')
    with _file_io.open_file(path, 'wb') as f:
      f.write(b'first')
    size, version = _file_io.object_version(path)
    self.assertEqual(size, 5)
    self.assertTrue(version)
    self.assertNotIn(' ', version)
    self.assertEqual(_file_io.object_version(path), (size, version))
    with _file_io.open_file(path, 'wb') as f:
      f.write(b'second')
    self.assertNotEqual(_file_io.object_version(path), (size, version))
    with self.assertRaises(FileNotFoundError):
      _file_io.object_version(_file_io.join(self._root(kind), 'missing'))

  def test_start_writeback_flushes_and_starts_the_disk_write(self):
    path = os.path.join(self.create_tempdir().full_path, 'file')
    data = os.urandom(3 << 20)
    with open(path, 'wb') as f:
      f.write(data)
      # Linux's sync_file_range through ctypes: refused (False) if its signature or
      # flags were wrong; the buffered bytes must be in the file before it runs.
      self.assertEqual(_file_io.start_writeback(f, 0, len(data)),
                       sys.platform.startswith('linux'))
      self.assertEqual(os.path.getsize(path), len(data))
      f.write(b'tail')
    with open(path, 'rb') as f:
      self.assertEqual(f.read(), data + b'tail')

  def test_join(self):
    self.assertEqual(_file_io.join('gs://b/out/', 'index', 'x.idx'),
                     'gs://b/out/index/x.idx')
    self.assertEqual(_file_io.join('/data', 'index', 'x.idx'),
                     os.path.join('/data', 'index', 'x.idx'))

  def test_local_work_imports_no_tensorflow(self):
    """Atomic writes, label files, box CSVs, shards and tar members read locally."""
    directory = self.create_tempdir().full_path
    archive = os.path.join(directory, 'images.tar')
    with tarfile.open(archive, 'w') as tar:
      info = tarfile.TarInfo('n01440764_1.JPEG')
      info.size = 5
      tar.addfile(info, io.BytesIO(b'\xff\xd8\xffAB'))
    script = textwrap.dedent('''
        import os, sys
        from inception import acquire, annotations, core, label_files, records
        directory, archive = sys.argv[1:]
        synsets = os.path.join(directory, 'synsets.txt')
        core.write_text(synsets, 'n01440764\\n')
        assert label_files.read_synsets(synsets) == ['n01440764']
        boxes = os.path.join(directory, 'boxes.csv')
        core.write_text(boxes, 'n01440764_1.JPEG,0.1,0.2,0.3,0.4\\n')
        assert list(annotations.read_boxes_csv(boxes)) == ['n01440764_1.JPEG']
        member, = acquire.index_flat_tar(archive)
        with core.open_file(archive, 'rb') as f:
          f.seek(member.offset)
          data = f.read(member.size)
        assert data == b'\\xff\\xd8\\xffAB'
        with records.ShardWriter(os.path.join(directory, 'train-00000-of-00001')) as w:
          w.write(data)
        assert core.remove_stale_temporaries(directory) == 0
        print('tensorflow' in sys.modules, 'fsspec' in sys.modules)
        ''')
    env = dict(os.environ, PYTHONPATH=os.pathsep.join(p for p in sys.path if p))
    output = subprocess.run([sys.executable, '-c', script, directory, archive],
                            env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            check=False)
    self.assertEqual(output.returncode, 0, output.stderr.decode())
    self.assertEqual(output.stdout.decode().strip(), 'False False')

  def test_remote_work_imports_no_tensorflow(self):
    """The same through fsspec (memory:// lives in the one process of the script)."""
    script = textwrap.dedent('''
        import sys
        from inception import core, records
        root = 'memory://no_tensorflow'
        core.write_text(root + '/synsets.txt', 'n01440764\\n')
        assert core.read_text(root + '/synsets.txt') == 'n01440764\\n'
        with records.ShardWriter(root + '/train-00000-of-00001',
                                 root + '/index/train-00000-of-00001.idx') as w:
          w.write(b'record')
        assert records.record_spans(root + '/train-00000-of-00001') == [(0, 22)]
        assert sorted(core.listdir(root)) == ['index', 'synsets.txt',
                                              'train-00000-of-00001'], core.listdir(root)
        print('tensorflow' in sys.modules, 'fsspec' in sys.modules)
        ''')
    env = dict(os.environ, PYTHONPATH=os.pathsep.join(p for p in sys.path if p))
    output = subprocess.run([sys.executable, '-c', script], env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, check=False)
    self.assertEqual(output.returncode, 0, output.stderr.decode())
    self.assertEqual(output.stdout.decode().strip(), 'False True')

  def test_an_emulator_host_turns_off_the_bucket_type_probe(self):
    environ = {'STORAGE_EMULATOR_HOST': 'http://127.0.0.1:1'}
    _object_store._set_emulator_defaults(environ)
    self.assertEqual(environ['GCSFS_EXPERIMENTAL_ZB_HNS_SUPPORT'], 'false')
    environ = {'STORAGE_EMULATOR_HOST': 'http://127.0.0.1:1',
               'GCSFS_EXPERIMENTAL_ZB_HNS_SUPPORT': 'true'}  # the user's choice stays
    _object_store._set_emulator_defaults(environ)
    self.assertEqual(environ['GCSFS_EXPERIMENTAL_ZB_HNS_SUPPORT'], 'true')
    environ = {}
    _object_store._set_emulator_defaults(environ)
    self.assertEqual(environ, {})

  def test_a_bucket_is_named_for_object_stores_only(self):
    self.assertEqual(_object_store.bucket_of('s3://b/x/y'), 'b')
    self.assertEqual(_object_store.bucket_of('gs://b'), 'b')
    self.assertEqual(_object_store.bucket_of('abfs://c@account.dfs.core.windows.net/x'),
                     'c')
    self.assertIsNone(_object_store.bucket_of('memory://b/x'))


if __name__ == '__main__':
  absltest.main()
