"""Tests for inception.cli._tensorflow_logs: no TensorFlow start-up noise in the binaries,
and the user's own settings win."""

import contextlib
import io
import os
import platform
import re
import sys

from absl.testing import absltest

from inception import cli
from inception import convert
from inception import core
from tests import binaries
from tests import conversion_fixtures as fixtures

# The lines TensorFlow 2.21 prints at start-up when not quieted (C++ log lines written
# before absl::InitializeLog carry a zero time).
_NOISE = re.compile(r'absl::InitializeLog|oneDNN custom operations|cpu_feature_guard|'
                    r'To enable the following instructions|^[IWE]0000 00:00:')
_VARIABLES = [name for name, _ in cli.QUIET_ENVIRONMENT]


def _noise(result):
  return [line for line in (result.stdout + result.stderr).splitlines()
          if _NOISE.search(line)]


class QuietTensorflowTest(absltest.TestCase):

  def test_sets_only_what_the_user_did_not(self):
    environ = {'TF_CPP_MIN_LOG_LEVEL': '0'}
    cli.quiet_tensorflow(environ)
    self.assertEqual(environ, dict(cli.QUIET_ENVIRONMENT, TF_CPP_MIN_LOG_LEVEL='0'))

  def test_importing_cli_quiets_this_process_without_loading_tensorflow(self):
    for name in _VARIABLES:
      self.assertIn(name, os.environ)
    self.assertNotIn('tensorflow', sys.modules)


class BinaryOutputTest(absltest.TestCase):
  """check_tfrecords loads TensorFlow to decode the images of a shard."""

  def check_one_shard(self, **environ):
    cwd = self.create_tempdir().full_path
    synsets = fixtures.synset_names(1)
    fixtures.make_imagenet_split(os.path.join(cwd, 'train'), synsets, 1)
    labels_file, _ = fixtures.write_label_files(os.path.join(cwd, 'labels'), synsets)
    with contextlib.redirect_stdout(io.StringIO()):
      convert.convert_generic(
          convert.SplitPaths(train=os.path.join(cwd, 'train')),
          os.path.join(cwd, 'out'), labels_file, convert.ShardCounts(1, 1),
          convert.ConvertOptions(workers=core.Workers(1)))
    result = binaries.run('check_tfrecords', ['--nolabel_files', 'out'], cwd,
                          unset=_VARIABLES, **environ)
    self.assertEqual(result.returncode, 0, result.stderr)  # every image decoded
    self.assertNotIn('Traceback', result.stderr)
    return result

  def test_no_noise(self):
    result = self.check_one_shard()
    self.assertEmpty(_noise(result), result.stderr)

  @absltest.skipIf(platform.machine() not in ('x86_64', 'AMD64'),
                   'the oneDNN line is printed on x86 only')
  def test_the_users_settings_bring_the_logs_back(self):
    result = self.check_one_shard(TF_CPP_MIN_LOG_LEVEL='0',
                                        TF_ENABLE_ONEDNN_OPTS='1')
    self.assertNotEmpty(_noise(result), result.stderr)


if __name__ == '__main__':
  absltest.main()
