"""Tests for inception.cli._tensorflow_logs: no TensorFlow start-up noise in the binaries,
and the user's own settings win."""

import os
import platform
import re
import sys

from absl.testing import absltest

from inception import cli
from tests import binaries

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
  """check_tfrecords loads TensorFlow for a remote path and lists it through it.

  (For a local directory it loads TensorFlow only to decode images.)
  """

  def check_empty_directory(self, **environ):
    cwd = self.create_tempdir().full_path
    result = binaries.run('check_tfrecords', ['--nolabel_files', 'ram://' + cwd], cwd,
                          unset=_VARIABLES, **environ)
    self.assertNotEqual(result.returncode, 0)  # no shards in an empty directory
    self.assertNotIn('Traceback', result.stderr)
    return result

  def test_no_noise(self):
    result = self.check_empty_directory()
    self.assertEmpty(_noise(result), result.stderr)

  @absltest.skipIf(platform.machine() not in ('x86_64', 'AMD64'),
                   'the oneDNN line is printed on x86 only')
  def test_the_users_settings_bring_the_logs_back(self):
    result = self.check_empty_directory(TF_CPP_MIN_LOG_LEVEL='0',
                                        TF_ENABLE_ONEDNN_OPTS='1')
    self.assertNotEmpty(_noise(result), result.stderr)


if __name__ == '__main__':
  absltest.main()
