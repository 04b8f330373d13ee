"""The binaries on S3, against moto's S3 server on 127.0.0.1 (issue 22).

The server is started once for this file. The binaries reach it only through the
standard AWS variables (AWS_ENDPOINT_URL, AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY),
passed as a user's shell would; the secret key is a string no output may hold.
Shards written to S3 are compared byte for byte with a local run's.
"""

import contextlib
import io
import os
import secrets
import shlex
import signal
import subprocess

from absl.testing import absltest
import fsspec
from runfiles import runfiles

from inception import check
from inception import core
from tests import binaries
from tests import conversion_fixtures as fixtures
from tests import object_stores

_SECRET = 'secret-' + secrets.token_hex(12)
_BUCKET = 'inception-test'
_SYNSETS = fixtures.synset_names(3)
_SERVER = None
_ROOT = None  # local tree: raw/, labels/, boxes.csv, out/ (the local run's output)


def _aws(endpoint: str) -> dict:
  """The variables a user's shell would hold for an S3-compatible store."""
  return object_stores.aws_environment(endpoint, _SECRET)


def setUpModule():
  global _SERVER, _ROOT
  tmp = absltest.get_default_test_tmpdir()
  _SERVER = object_stores.s3(os.path.join(tmp, 'moto.log'))
  os.environ.update(_aws(_SERVER.url))  # this process's s3fs and the binaries'
  _ROOT = os.path.join(tmp, 'tree')
  object_stores.make_tree(_ROOT, _SYNSETS, 4)
  fixtures.write(os.path.join(_ROOT, 'raw', 'boxes.csv'),
                 ('%s_0.JPEG,0.1000,0.2000,0.3000,0.4000\n' % _SYNSETS[0]).encode())
  s3 = fsspec.filesystem('s3')
  s3.mkdir(_BUCKET)
  s3.put(os.path.join(_ROOT, 'raw'), _BUCKET + '/raw', recursive=True)
  result = _convert('raw', 'out')
  assert result.returncode == 0, result.stderr


def tearDownModule():
  _SERVER.stop()


def _convert(source: str, output: str, **environ) -> subprocess.CompletedProcess:
  """build_imagenet_data from `source` (raw/ or an s3:// copy) into `output`."""
  return binaries.run('build_imagenet_data', object_stores.converter_args(
      source, output, source + '/boxes.csv'), cwd=_ROOT, **environ)


def _check(directory: str, **environ) -> subprocess.CompletedProcess:
  return binaries.run('check_tfrecords', ['--nolabel_files', '--sample=0', directory],
                      cwd=_ROOT, **environ)


def _readme_commands():
  """[(binary, args)] of the `bazel run` commands in README's "Data in object
  storage" block, `my-bucket` replaced by this test's bucket."""
  with open(runfiles.Create().Rlocation('inception/README.md')) as f:
    text = f.read()
  section = text.split('## Data in object storage', 1)[1].split('\n## ', 1)[0]
  block = section.split('```', 2)[1].replace('\\\n', ' ')
  commands = []
  for line in block.splitlines():
    if line.startswith('bazel run //inception:'):
      target, args = line[len('bazel run //inception:'):].split(' -- ', 1)
      commands.append((target.strip(),
                       shlex.split(args.replace('my-bucket', _BUCKET))))
  return commands


def _local_output() -> dict:
  """{relative name: bytes} of the local run's shards, indexes and manifest."""
  found = {}
  out = os.path.join(_ROOT, 'out')
  for parent, _, names in os.walk(out):
    for name in names:
      path = os.path.join(parent, name)
      if name != 'inception-run.lock' and 'check_report' not in path:
        with open(path, 'rb') as f:
          found[os.path.relpath(path, out)] = f.read()
  return found


def _objects(prefix: str) -> dict:
  return object_stores.s3_objects(_BUCKET, prefix)


class S3Test(object_stores.StoreRunAssertions):
  SECRET = _SECRET

  def assert_same_as_local(self, prefix: str):
    objects = {name: data for name, data in _objects(prefix).items()
               if not name.startswith('check_report/')}  # the checker's, checked apart
    self.assertEqual(sorted(objects), sorted(_local_output()))
    for name, data in _local_output().items():
      self.assertEqual(objects[name], data, name)
      self.assertNotIn(_SECRET.encode(), objects[name])

  def test_local_to_s3_is_byte_identical_to_local_and_resumes(self):
    output = 's3://%s/from-local' % _BUCKET
    result = _convert('raw', output)
    self.assert_clean_run(result)
    self.assertEqual(result.stdout.splitlines(),
                     ['Finished writing all 6 images in data set.',
                      'Finished writing all 12 images in data set.'])
    self.assert_same_as_local('from-local')
    # A re-run finds every shard complete (the manifest read back from S3).
    result = _convert('raw', output)
    self.assert_clean_run(result)
    self.assertIn('train: all 2 shards already complete', result.stderr)

  def test_the_readme_commands_s3_to_s3_then_the_check(self):
    """README's "Data in object storage" block, as written, on its bucket: the
    converter from the stored tree (S3 -> S3), then the checker."""
    commands = _readme_commands()
    self.assertEqual([name for name, _ in commands],
                     ['build_imagenet_data', 'check_tfrecords'])
    results = [binaries.run(name, args, cwd=_ROOT) for name, args in commands]
    for result in results:
      self.assert_clean_run(result)
    self.assert_same_as_local('out')
    self.assertIn('Check passed: s3://%s/out (train 12, validation 6)' % _BUCKET,
                  results[1].stdout)
    self.assertTrue(fsspec.filesystem('s3').exists(
        _BUCKET + '/out/check_report/check_report.json'))

  def test_the_checker_names_a_damaged_or_missing_shard(self):
    s3 = fsspec.filesystem('s3')
    s3.put(os.path.join(_ROOT, 'out'), _BUCKET + '/checked', recursive=True)
    directory = 's3://%s/checked' % _BUCKET
    # The library, in this process: a flipped byte, then the shard object deleted.
    shard = _BUCKET + '/checked/train-00001-of-00002'
    data = bytearray(s3.cat_file(shard))
    data[len(data) // 2] ^= 0xff
    s3.pipe_file(shard, bytes(data))
    self.assert_check_fails_naming(directory, 'train-00001-of-00002')
    s3.rm_file(shard)
    self.assert_check_fails_naming(directory, 'train-00001-of-00002')

  def assert_check_fails_naming(self, directory: str, shard: str):
    with contextlib.redirect_stdout(io.StringIO()):
      report = check.check_directory(directory, workers=core.Workers(1),
                                     sample_fraction=0.0)
    self.assertFalse(report.ok)
    self.assertTrue([f for f in report.failures if shard in str(f)], report.failures)

  def test_a_writer_killed_mid_upload_leaves_no_object_and_a_rerun_completes(self):
    proxy = object_stores.FaultProxy(_SERVER.port)
    proxy.hold = object_stores.completes_an_upload
    output = 's3://%s/killed' % _BUCKET
    log_path = os.path.join(self.create_tempdir().full_path, 'log')
    with open(log_path, 'w') as log:
      process = subprocess.Popen(
          [binaries.path('build_imagenet_data')] + object_stores.converter_args(
              'raw', output, 'raw/boxes.csv'),
          cwd=_ROOT, stdin=subprocess.DEVNULL, stdout=log, stderr=subprocess.STDOUT,
          env=binaries.user_environment(**_aws(proxy.url)), start_new_session=True)
    try:
      self.assertTrue(proxy.held.wait(120), 'no upload was completed')
    finally:
      os.killpg(process.pid, signal.SIGKILL)
      process.wait()
      proxy.stop()
    self.assertEqual(_objects('killed'), {})  # the upload's parts are no object
    uploads = fsspec.filesystem('s3').call_s3('list_multipart_uploads', Bucket=_BUCKET)
    self.assertTrue([u for u in uploads.get('Uploads', [])
                     if u['Key'].startswith('killed/')])
    with open(log_path) as f:
      self.assertNotIn(_SECRET, f.read())
    self.assert_clean_run(_convert('raw', output))
    self.assert_same_as_local('killed')

  def test_throttled_requests_are_retried(self):
    proxy = object_stores.FaultProxy(_SERVER.port)
    proxy.slow_downs_left = 3
    try:
      result = _convert('raw', 's3://%s/throttled' % _BUCKET, **_aws(proxy.url))
    finally:
      proxy.stop()
    self.assert_clean_run(result)
    self.assertEqual(proxy.slow_downs_left, 0)
    self.assert_same_as_local('throttled')
    # Throttled for good: the libraries' retries, then one line.
    proxy = object_stores.FaultProxy(_SERVER.port)
    proxy.slow_downs_left = 1 << 30
    try:
      result = _check('s3://%s/throttled' % _BUCKET,
                      **dict(_aws(proxy.url), AWS_MAX_ATTEMPTS='1'))
    finally:
      proxy.stop()
    self.assert_one_line_error(result, 's3://%s/throttled' % _BUCKET, 'SlowDown')
    self.assertGreater(len(proxy.requests), 1)  # retried

  def test_store_errors_are_one_line_naming_the_path(self):
    missing = 's3://no-such-bucket-here/out'
    self.assert_one_line_error(_check(missing), missing)

    output = 's3://%s/unreachable' % _BUCKET
    unreachable = 'http://127.0.0.1:%d' % object_stores.free_port()
    self.assert_one_line_error(
        _convert('raw', output, **dict(_aws(unreachable), AWS_MAX_ATTEMPTS='1')),
        output)

    no_keys = binaries.run(
        'check_tfrecords', ['--nolabel_files', output], cwd=_ROOT,
        unset=['AWS_ACCESS_KEY_ID', 'AWS_SECRET_ACCESS_KEY'])
    self.assert_one_line_error(no_keys, output)

    proxy = object_stores.FaultProxy(_SERVER.port)
    proxy.deny = True
    try:
      denied = _convert('raw', 's3://%s/denied' % _BUCKET, **_aws(proxy.url))
    finally:
      proxy.stop()
    line = self.assert_one_line_error(denied, 's3://%s/denied' % _BUCKET)
    self.assertIn('denied', line.lower())


if __name__ == '__main__':
  absltest.main()
