"""Tests of inception.core._user_paths."""

import os

from absl.testing import absltest

from inception.core import _user_paths


class AbsoluteUserPathTest(absltest.TestCase):

  def test_relative_path_resolves_against_build_working_directory(self):
    environ = {'BUILD_WORKING_DIRECTORY': '/home/me/work'}
    self.assertEqual(_user_paths.absolute_user_path('out/../data', environ),
                     '/home/me/work/data')

  def test_relative_path_without_bazel_uses_cwd(self):
    self.assertEqual(_user_paths.absolute_user_path('d', {}),
                     os.path.join(os.getcwd(), 'd'))

  def test_unset_optional_path_is_none(self):
    self.assertIsNone(_user_paths.absolute_user_path(''))
    self.assertIsNone(_user_paths.absolute_user_path(None))

  def test_absolute_and_remote_paths_are_kept(self):
    environ = {'BUILD_WORKING_DIRECTORY': '/elsewhere'}
    self.assertEqual(_user_paths.absolute_user_path('/data//x/', environ), '/data/x')
    self.assertEqual(_user_paths.absolute_user_path('gs://b/x', environ), 'gs://b/x')


if __name__ == '__main__':
  absltest.main()
