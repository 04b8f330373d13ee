"""The ImageNet driver with its tarballs and DATA_DIR on S3 (moto's server on
127.0.0.1, started once for this file), issue 22's "reads in place".

The demo's mini ImageNet archives are uploaded to s3://bucket/tarballs; the built
binary runs with --source there and DATA_DIR on the bucket, reaching the store only
through the standard AWS variables. Its shards are compared byte for byte with the
same run from a local directory into a local DATA_DIR; nothing is copied from the
tarballs; the secret key is in no output.
"""

import os
import secrets
import shlex
import subprocess

from absl.testing import absltest
import fsspec
from runfiles import runfiles

from inception import demo
from tests import binaries
from tests import object_stores

_SECRET = 'secret-' + secrets.token_hex(12)
_BUCKET = 'inception-driver'
_BINARY = 'download_and_preprocess_imagenet'
_SERVER = None
_FIXTURE = None
_ROOT = None
_LOCAL = None  # the local run: its DATA_DIR and its output


def _readme_driver_args():
  """The arguments of the driver command in README's "The ImageNet driver on a
  store", `my-bucket` replaced by this test's bucket."""
  with open(runfiles.Create().Rlocation('inception/README.md')) as f:
    text = f.read()
  section = text.split('### The ImageNet driver on a store', 1)[1]
  block = section.split('```', 2)[1].replace('\\\n', ' ')
  command = 'bazel run //inception:%s -- ' % _BINARY
  line, = [line for line in block.splitlines() if line.startswith(command)]
  return shlex.split(line[len(command):].replace('my-bucket', _BUCKET))


def _subset_flags(*extra: str):
  """The flags of the mini ImageNet (its MD5s and label files) and small shards."""
  return ['--checksums_file=' + _FIXTURE.checksums_file,
      '--labels_file=' + _FIXTURE.synsets_file,
      '--imagenet_metadata_file=' + _FIXTURE.metadata_file,
      '--validation_labels_file=' + _FIXTURE.validation_labels_file,
      '--train_shards=2', '--validation_shards=1', '--num_threads=2'] + list(extra)


def _driver(source: str, data_dir: str, *extra: str) -> subprocess.CompletedProcess:
  return binaries.run(_BINARY, ['--source=' + source, '--no_extract'] +
                      _subset_flags(*extra) + [data_dir], cwd=_ROOT)


def setUpModule():
  global _SERVER, _FIXTURE, _ROOT, _LOCAL
  tmp = absltest.get_default_test_tmpdir()
  _SERVER = object_stores.s3(os.path.join(tmp, 'moto.log'))
  os.environ.update(object_stores.aws_environment(_SERVER.url, _SECRET))  # this process's s3fs and the binaries'
  _ROOT = tmp
  _FIXTURE = demo.generate(os.path.join(tmp, 'fixture'), demo.Config(
      num_classes=3, images_per_class=6, num_validation_images=6, min_side=48,
      max_side=96, seed=22))
  s3 = fsspec.filesystem('s3')
  s3.mkdir(_BUCKET)
  for path in (_FIXTURE.train_tar, _FIXTURE.validation_tar,
               _FIXTURE.bbox_train_tar_gz):
    s3.put_file(path, '%s/tarballs/%s' % (_BUCKET, os.path.basename(path)))
  local = os.path.join(tmp, 'local')
  result = _driver(_FIXTURE.directory, local)
  assert result.returncode == 0, result.stderr[-3000:]
  _LOCAL = (local, result)


def tearDownModule():
  _SERVER.stop()


def _shards(files: dict) -> dict:
  return {name: data for name, data in files.items()
          if name.startswith(('train-', 'validation-'))}


def _files(directory: str) -> dict:
  """{name: bytes} of the files directly in `directory`."""
  found = {}
  for name in os.listdir(directory):
    path = os.path.join(directory, name)
    if os.path.isfile(path):
      with open(path, 'rb') as f:
        found[name] = f.read()
  return found


def _local_files() -> dict:
  return _files(_LOCAL[0])


def _objects(prefix: str) -> dict:
  return object_stores.s3_objects(_BUCKET, prefix)


class S3DriverTest(object_stores.StoreRunAssertions):
  SECRET = _SECRET

  def test_readme_command_s3_to_s3_is_byte_identical_to_local_and_copies_nothing(self):
    source = 's3://%s/tarballs' % _BUCKET
    data_dir = 's3://%s/imagenet' % _BUCKET
    args = _readme_driver_args()
    self.assertEqual(args, ['--source=' + source, '--no_extract', data_dir])
    result = binaries.run(_BINARY, args[:-1] + _subset_flags() + args[-1:],
                          cwd=_ROOT)
    self.assert_clean_run(result)
    self.assertEqual(result.stdout.splitlines()[1:],
                     _LOCAL[1].stdout.splitlines()[1:])  # the closing lines
    self.assertEqual(result.stdout.splitlines()[0],
                     'Output: %s (train 18, validation 6).' % data_dir)
    self.assertIn('it has no run lock', result.stderr)  # a store has no flock
    objects = _objects('imagenet')
    shards = _shards(objects)
    self.assertLen(shards, 3)
    self.assertEqual(shards, _shards(_local_files()))
    # Nothing copied: downloads/ holds the box CSV and the tarballs' verification
    # stamps, each a line, and no archive.
    downloads = {name[len('downloads/'):]: data for name, data in objects.items()
                 if name.startswith('downloads/')}
    self.assertEqual(sorted(downloads), [
        'ILSVRC2012_bbox_train_v2.tar.gz.md5-verified',
        'ILSVRC2012_img_train.tar.md5-verified',
        'ILSVRC2012_img_val.tar.md5-verified', 'imagenet_2012_bounding_boxes.csv'])
    with open(os.path.join(_LOCAL[0], 'downloads',
                           'imagenet_2012_bounding_boxes.csv'), 'rb') as f:
      self.assertEqual(downloads['imagenet_2012_bounding_boxes.csv'], f.read())
    for name, data in objects.items():
      self.assertNotIn(_SECRET.encode(), data, name)
    state = objects['pipeline_state.json'].decode()
    self.assertIn('"url": "%s/ILSVRC2012_img_train.tar"' % source, state)
    # A re-run has nothing to do.
    again = _driver(source, data_dir)
    self.assert_clean_run(again)
    self.assertEqual(again.stdout, result.stdout)
    self.assertNotIn('Indexing', again.stderr)

  def test_s3_source_into_a_local_data_dir(self):
    data_dir = self.create_tempdir().full_path
    result = _driver('s3://%s/tarballs' % _BUCKET, data_dir)
    self.assert_clean_run(result)
    self.assertEqual(result.stdout.splitlines()[1:],
                     _LOCAL[1].stdout.splitlines()[1:])
    self.assertEqual(_shards(_files(data_dir)), _shards(_local_files()))
    self.assertEqual(sorted(os.listdir(os.path.join(data_dir, 'downloads'))), [
        'ILSVRC2012_bbox_train_v2.tar.gz.md5-verified',
        'ILSVRC2012_img_train.tar.md5-verified',
        'ILSVRC2012_img_val.tar.md5-verified', 'imagenet_2012_bounding_boxes.csv'])

  def test_a_wrong_md5_fails_in_one_line_naming_the_object(self):
    s3 = fsspec.filesystem('s3')
    source = 's3://%s/bad-tarballs' % _BUCKET
    s3.copy('%s/tarballs/' % _BUCKET, '%s/bad-tarballs/' % _BUCKET, recursive=True)
    checksums = os.path.join(self.create_tempdir().full_path, 'MD5SUMS')
    with open(_FIXTURE.checksums_file) as f:
      lines = [line.replace(line[:32], '0' * 32) if 'img_val' in line else line
               for line in f]
    with open(checksums, 'w') as f:
      f.writelines(lines)
    result = _driver(source, 's3://%s/bad-md5' % _BUCKET,
                     '--checksums_file=' + checksums)
    self.assert_one_line_error(result, source + '/ILSVRC2012_img_val.tar',
                               'MD5 mismatch', '0' * 32)
    self.assertFalse(_shards(_objects('bad-md5')))
    # The user's object is left where it was.
    self.assertTrue(s3.exists('%s/bad-tarballs/ILSVRC2012_img_val.tar' % _BUCKET))

  def test_a_changed_source_object_is_refused_on_resume(self):
    s3 = fsspec.filesystem('s3')
    source = 's3://%s/changing' % _BUCKET
    s3.copy('%s/tarballs/' % _BUCKET, '%s/changing/' % _BUCKET, recursive=True)
    data_dir = 's3://%s/changed-out' % _BUCKET
    # Only the download step: it records the objects.
    first = binaries.run('download_imagenet', [
        '--source=' + source, '--no_extract',
        '--checksums_file=' + _FIXTURE.checksums_file, data_dir], cwd=_ROOT)
    self.assert_clean_run(first)
    box_archive = '%s/changing/ILSVRC2012_bbox_train_v2.tar.gz' % _BUCKET
    s3.pipe_file(box_archive, s3.cat_file(box_archive) + b'\0' * 512)
    result = _driver(source, data_dir)
    self.assert_one_line_error(
        result, 's3://%s: changed since the download step recorded it' % box_archive,
        '--redo=download')
    self.assertFalse(_shards(_objects('changed-out')))

  def test_a_remote_data_dir_with_extraction_is_refused_before_any_work(self):
    data_dir = 's3://%s/extracting' % _BUCKET
    result = binaries.run(_BINARY, [
        '--source=s3://%s/tarballs' % _BUCKET,
        '--checksums_file=' + _FIXTURE.checksums_file, data_dir], cwd=_ROOT)
    self.assert_one_line_error(result, data_dir, '--no_extract')
    self.assertEqual(_objects('extracting'), {})
    # Local tarballs are not copied into a store either.
    result = _driver(_FIXTURE.directory, data_dir)
    self.assert_one_line_error(result, data_dir, 'object storage too')
    self.assertEqual(_objects('extracting'), {})


if __name__ == '__main__':
  absltest.main()
