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

from tests import binaries
from tests import object_stores
from tests import store_driver_runs

_SECRET = 'secret-' + secrets.token_hex(12)
_BUCKET = 'inception-driver'
_BINARY = store_driver_runs.BINARY
_SERVER = None
_RUNS = None  # the mini ImageNet, and its local run


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


def setUpModule():
  global _SERVER, _RUNS
  tmp = absltest.get_default_test_tmpdir()
  _SERVER = object_stores.s3(os.path.join(tmp, 'moto.log'))
  os.environ.update(object_stores.aws_environment(_SERVER.url, _SECRET))  # this process's s3fs and the binaries'
  _RUNS = store_driver_runs.DriverFixture(tmp)
  s3 = fsspec.filesystem('s3')
  s3.mkdir(_BUCKET)
  _RUNS.upload(s3, _BUCKET + '/tarballs')


def tearDownModule():
  _SERVER.stop()


def _driver(source: str, data_dir: str, *extra: str) -> subprocess.CompletedProcess:
  return _RUNS.run(source, data_dir, *extra)


def _objects(prefix: str) -> dict:
  return object_stores.s3_objects(_BUCKET, prefix)


class S3DriverTest(object_stores.StoreRunAssertions):
  SECRET = _SECRET

  def test_readme_command_s3_to_s3_is_byte_identical_to_local_and_copies_nothing(self):
    source = 's3://%s/tarballs' % _BUCKET
    data_dir = 's3://%s/imagenet' % _BUCKET
    args = _readme_driver_args()
    self.assertEqual(args, ['--source=' + source, '--no_extract', data_dir])
    result = binaries.run(_BINARY, args[:-1] + _RUNS.subset_flags() + args[-1:],
                          cwd=_RUNS.root)
    self.assert_clean_run(result)
    self.assertEqual(result.stdout.splitlines()[1:],
                     _RUNS.local_stdout.splitlines()[1:])  # the closing lines
    self.assertEqual(result.stdout.splitlines()[0],
                     'Output: %s (train 18, validation 6).' % data_dir)
    self.assertIn('it has no run lock', result.stderr)  # a store has no flock
    objects = _objects('imagenet')
    shards = store_driver_runs.shards(objects)
    self.assertLen(shards, 3)
    self.assertEqual(shards, _RUNS.local_shards)
    # Nothing copied: downloads/ holds the box CSV and the tarballs' verification
    # stamps, each a line, and no archive.
    downloads = {name[len('downloads/'):]: data for name, data in objects.items()
                 if name.startswith('downloads/')}
    self.assertEqual(sorted(downloads), [
        'ILSVRC2012_bbox_train_v2.tar.gz.md5-verified',
        'ILSVRC2012_img_train.tar.md5-verified',
        'ILSVRC2012_img_val.tar.md5-verified', 'imagenet_2012_bounding_boxes.csv'])
    with open(os.path.join(_RUNS.local_data_dir, 'downloads',
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
                     _RUNS.local_stdout.splitlines()[1:])
    self.assertEqual(store_driver_runs.shards(store_driver_runs.local_files(data_dir)),
                     _RUNS.local_shards)
    self.assertEqual(sorted(os.listdir(os.path.join(data_dir, 'downloads'))), [
        'ILSVRC2012_bbox_train_v2.tar.gz.md5-verified',
        'ILSVRC2012_img_train.tar.md5-verified',
        'ILSVRC2012_img_val.tar.md5-verified', 'imagenet_2012_bounding_boxes.csv'])

  def test_a_wrong_md5_fails_in_one_line_naming_the_object(self):
    s3 = fsspec.filesystem('s3')
    source = 's3://%s/bad-tarballs' % _BUCKET
    s3.copy('%s/tarballs/' % _BUCKET, '%s/bad-tarballs/' % _BUCKET, recursive=True)
    checksums = os.path.join(self.create_tempdir().full_path, 'MD5SUMS')
    with open(_RUNS.archives.checksums_file) as f:
      lines = [line.replace(line[:32], '0' * 32) if 'img_val' in line else line
               for line in f]
    with open(checksums, 'w') as f:
      f.writelines(lines)
    result = _driver(source, 's3://%s/bad-md5' % _BUCKET,
                     '--checksums_file=' + checksums)
    self.assert_one_line_error(result, source + '/ILSVRC2012_img_val.tar',
                               'MD5 mismatch', '0' * 32)
    self.assertFalse(store_driver_runs.shards(_objects('bad-md5')))
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
        '--checksums_file=' + _RUNS.archives.checksums_file, data_dir], cwd=_RUNS.root)
    self.assert_clean_run(first)
    box_archive = '%s/changing/ILSVRC2012_bbox_train_v2.tar.gz' % _BUCKET
    s3.pipe_file(box_archive, s3.cat_file(box_archive) + b'\0' * 512)
    result = _driver(source, data_dir)
    self.assert_one_line_error(
        result, 's3://%s: changed since the download step recorded it' % box_archive,
        '--redo=download')
    self.assertFalse(store_driver_runs.shards(_objects('changed-out')))

  def test_a_remote_data_dir_with_extraction_is_refused_before_any_work(self):
    data_dir = 's3://%s/extracting' % _BUCKET
    result = binaries.run(_BINARY, [
        '--source=s3://%s/tarballs' % _BUCKET,
        '--checksums_file=' + _RUNS.archives.checksums_file, data_dir], cwd=_RUNS.root)
    self.assert_one_line_error(result, data_dir, '--no_extract')
    self.assertEqual(_objects('extracting'), {})
    # Local tarballs are not copied into a store either.
    result = _driver(_RUNS.archives.directory, data_dir)
    self.assert_one_line_error(result, data_dir, 'object storage too')
    self.assertEqual(_objects('extracting'), {})

  def test_a_demo_into_a_store_without_no_extract_is_refused_before_any_work(self):
    data_dir = 's3://%s/demo' % _BUCKET
    for extra, parts in (
        ([], [data_dir, 'give --no_extract', data_dir + '/demo-source']),
        (['--no_extract', '--source_format=kaggle'],
         [data_dir, '--source_format=kaggle', 'local files only'])):
      result = binaries.run(_BINARY, ['--demo'] + extra + [data_dir], cwd=_RUNS.root)
      self.assertEqual(result.stderr.count('\n'), 1, result.stderr)  # no warning
      self.assert_one_line_error(result, *parts)
      self.assertEqual(_objects('demo'), {})  # no mini ImageNet written there


if __name__ == '__main__':
  absltest.main()
