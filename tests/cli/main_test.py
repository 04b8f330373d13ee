"""Tests for inception.cli._main: a user's error is one line and a non-zero status; a bug
keeps its traceback. In-process, and on the built binaries as users start them."""

import contextlib
import errno
import io
import os
import sys
from unittest import mock

from absl import app
from absl.testing import absltest

from inception import acquire
from inception import cli
from inception import core
from inception import driver
from tests import binaries

_MISSING = '/no/such/file.txt'


def _call(main, argv=('prog',), **kwargs):
  """Runs cli.guarded(main); returns (status, stderr)."""
  stderr = io.StringIO()
  with contextlib.redirect_stderr(stderr):
    status = cli.guarded(main, **kwargs)(list(argv))
  return status, stderr.getvalue()


def _raise(error):
  def main(argv):
    del argv
    raise error
  return main


class GuardedTest(absltest.TestCase):

  def test_success_passes_the_status_through(self):
    self.assertEqual(_call(lambda argv: None), (None, ''))
    self.assertEqual(_call(lambda argv: 3), (3, ''))

  def test_missing_file_is_one_line_naming_it(self):
    status, stderr = _call(lambda argv: open(_MISSING), argv=['/x/bin/tool.py'])
    self.assertEqual(status, 1)
    self.assertEqual(stderr, 'tool: error: %s: No such file or directory\n' % _MISSING)

  def test_the_packages_errors_are_one_line(self):
    for error in (acquire.DownloadError('a.tar: MD5 mismatch'),
                  ValueError('labels.txt line 3: not a wnid\n  n0123'),
                  core.WorkerError('worker process 7 exited (status -9) while checking '
                                   '/out/train-00001-of-00004: killed by SIGKILL')):
      with self.subTest(error=error):
        status, stderr = _call(_raise(error))
        self.assertEqual(status, 1)
        self.assertEqual(stderr, 'prog: error: %s\n' % ' '.join(str(error).split()))

  def test_extra_errors(self):

    class StepError(RuntimeError):
      pass

    status, stderr = _call(_raise(StepError('step x failed')), errors=[StepError],
                           hint='Run it again.')
    self.assertEqual((status, stderr), (1, 'prog: error: step x failed\n'))

  def test_the_hint_ends_a_failure_a_rerun_gets_past_once(self):
    for error, message in (
        (acquire.TransferError('a.tar: the transfer broke 5 times in a row; the next '
                               'run resumes from there'), None),
        (core.WorkerError('worker process 7 exited (status -9) while writing '
                          '/out/train-00001-of-00004: killed by SIGKILL'), None),
        (driver.ResumableError('a.tar: truncated; moved aside to a.tar.corrupt-0. The '
                               'next run fetches it again (if the source copy is bad '
                               'too, replace it first)'), None),
        (acquire.ChecksumMismatch('a.tar', 'MD5', '0' * 32, '1' * 32, 'a.tar.bad'),
         None),
        (OSError(errno.ENOSPC, 'No space left on device', '/out/a'),
         '/out/a: No space left on device'),
        (core.WorkerError('a worker died.'), 'a worker died')):  # one full stop
      with self.subTest(error=str(error)):
        status, stderr = _call(_raise(error), hint=driver.RESUME_HINT)
        self.assertEqual((status, stderr), (1, 'prog: error: %s. %s\n' % (
            message or ' '.join(str(error).split()), driver.RESUME_HINT)))
        self.assertEqual(stderr.count('Run the same command again'), 1)

  def test_no_hint_after_bad_input_that_stays_bad(self):
    for error in (ValueError('labels.txt line 3: not a wnid'),
                  FileNotFoundError(2, 'No such file or directory', '/labels.txt'),
                  acquire.DownloadError('source directory /src does not exist'),
                  acquire.CredentialsRefused('a.tar: the server refused the credentials'),
                  acquire.ChecksumMismatch('a.tar', 'MD5', '0' * 32, '1' * 32, None),
                  driver.DriverError('Check FAILED: /out'),
                  core.DirectoryLockedError('/out is in use by another run (pid 1)')):
      with self.subTest(error=type(error).__name__):
        status, stderr = _call(_raise(error), hint=driver.RESUME_HINT)
        self.assertEqual(status, 1)
        self.assertNotIn(driver.RESUME_HINT, stderr)
        self.assertLen(stderr.splitlines(), 1)

  def test_a_usage_error_is_one_line_and_where_to_look(self):
    status, stderr = _call(_raise(app.UsageError('--sample must be in [0, 1], got 2')),
                           argv=['/x/bin/tool'], hint='Run it again.')
    self.assertEqual((status, stderr), (1, 'tool: error: --sample must be in [0, 1], got '
                                           '2\nTry --help.\n'))

  def test_interrupt_is_one_line(self):
    status, stderr = _call(_raise(KeyboardInterrupt()), hint='Run it again.')
    self.assertEqual((status, stderr), (130, 'prog: interrupted. Run it again.\n'))

  def test_a_bug_keeps_its_traceback(self):
    with self.assertRaises(RuntimeError):
      _call(_raise(RuntimeError('a bug')))
    with self.assertRaises(KeyError):
      _call(_raise(KeyError('k')))

  def test_hold_directory_records_the_binary_as_typed(self):
    directory = self.create_tempdir().full_path
    with mock.patch.object(sys, 'argv', ['/x/runfiles/inception/build_image_data.py',
                                         '--output_directory', 'my out']):
      with cli.hold_directory(directory):
        with cli.hold_directory(directory, shared=True):  # nested: the same hold
          with open(core.lock_path(directory)) as f:
            self.assertEqual(f.read(), "%d build_image_data --output_directory 'my "
                             "out'\n" % os.getpid())

  def test_error_line(self):
    self.assertEqual(cli.error_line(FileNotFoundError(2, 'No such file', '/a')),
                     '/a: No such file')
    self.assertEqual(cli.error_line(OSError(18, 'Cross-device link', '/a', None, '/b')),
                     '/a -> /b: Cross-device link')
    self.assertEqual(cli.error_line(OSError('plain message')), 'plain message')
    with self.assertRaises(OSError) as full:  # a full disk, as core names it
      with core.naming_write_errors('/out/train-00001-of-00004'):
        raise OSError(28, 'No space left on device')
    self.assertEqual(cli.error_line(full.exception),
                     '/out/train-00001-of-00004: No space left on device (writing into '
                     'directory /out)')
    self.assertEqual(cli.error_line(ValueError()), 'ValueError')


class BinaryErrorTest(absltest.TestCase):
  """A missing file given to a built binary: one line on stderr naming it."""

  def assert_one_line_naming(self, name, args, path=_MISSING):
    cwd = self.create_tempdir().full_path
    result = binaries.run(name, args, cwd)
    self.assertNotEqual(result.returncode, 0)
    self.assertNotIn('Traceback', result.stderr)
    self.assertLen(result.stderr.splitlines(), 1, result.stderr)
    self.assertStartsWith(result.stderr, name + ': error: ')
    self.assertIn(path, result.stderr)

  def test_check_tfrecords(self):
    self.assert_one_line_naming(
        'check_tfrecords', ['--validation_labels_file=' + _MISSING, os.getcwd()])

  def test_build_imagenet_data(self):
    self.assert_one_line_naming(
        'build_imagenet_data', ['--labels_file=' + _MISSING, '--bounding_box_file=',
                                '--train_directory=' + os.getcwd()])

  def test_preprocess_imagenet_validation_data(self):
    self.assert_one_line_naming('preprocess_imagenet_validation_data',
                                [os.getcwd(), _MISSING])

  def test_process_bounding_boxes(self):
    self.assert_one_line_naming('process_bounding_boxes',
                                ['--xml_source=' + _MISSING, '--output_file=x.csv'])

  def test_download_imagenet(self):
    self.assert_one_line_naming('download_imagenet',
                                ['--checksums_file=' + _MISSING, 'data'])


class BinaryUsageErrorTest(absltest.TestCase):
  """A bad value caught in a built binary's main: the error, then `Try --help.`."""

  def assert_usage_error(self, name, args, error):
    cwd = self.create_tempdir().full_path
    result = binaries.run(name, args, cwd, unset=['DATA_DIR'])
    self.assertEqual(result.returncode, 1)
    self.assertEqual(result.stderr, '%s: error: %s\nTry --help.\n' % (name, error))

  def test_check_tfrecords_sample(self):
    self.assert_usage_error('check_tfrecords', ['--sample=2', os.getcwd()],
                            '--sample must be in [0, 1], got 2')

  def test_check_tfrecords_expected_counts(self):
    self.assert_usage_error('check_tfrecords', ['--expected_counts=foo', os.getcwd()],
                            "--expected_counts: 'foo' is not split=N (e.g. "
                            "train=1281167)")

  def test_drivers_without_data_dir(self):
    for name in ('download_and_preprocess_imagenet', 'download_imagenet'):
      with self.subTest(name=name):
        self.assert_usage_error(name, [],
                                'give DATA_DIR (as an argument or as --data_dir)')

  def test_data_dir_that_is_a_file(self):
    a_file = self.create_tempfile().full_path
    for name in ('download_and_preprocess_imagenet', 'download_and_preprocess_flowers',
                 'download_imagenet'):
      with self.subTest(name=name):
        self.assert_usage_error(name, [a_file], 'DATA_DIR %s is a file; expected a '
                                'directory (or a path to create)' % a_file)

  def test_source_that_is_a_file(self):
    tarball = self.create_tempfile('ILSVRC2012_img_train.tar').full_path
    data_dir = os.path.join(self.create_tempdir().full_path, 'data')
    for name in ('download_and_preprocess_imagenet', 'download_imagenet'):
      with self.subTest(name=name):
        self.assert_usage_error(name, ['--source=' + tarball, data_dir],
                                '--source %s is a file; expected a directory (the '
                                "tarballs, Kaggle's tree, Hugging Face's data/), "
                                "Kaggle's zip, a store prefix or an http(s) URL" %
                                tarball)
    self.assertFalse(os.path.exists(data_dir))

  def test_too_many_arguments(self):
    self.assert_usage_error('check_tfrecords', ['a', 'b'],
                            'too many arguments: a b (expected: [DATA_DIR])')


if __name__ == '__main__':
  absltest.main()
