"""Tests for download_imagenet.main(), in-process, against a real HTTP server.

main() runs inside cli.guarded, as `cli.run` runs it (with the drivers' resume hint):
errors end as one line on stderr.
"""

import contextlib
import hashlib
import io
import json
import os
from unittest import mock

from absl import flags
from absl.testing import absltest
from absl.testing import flagsaver

from inception import acquire
from inception import cli
from inception import core
from inception import demo
from inception import download_imagenet
from inception import driver
from inception import imagenet
from tests import file_trees
from tests import http_test_server

FLAGS = flags.FLAGS
_USER = 'frank'
_KEY = 'k3y-that-must-not-leak'
_NO_CREDENTIALS = {imagenet.USERNAME_ENV: '', imagenet.ACCESS_KEY_ENV: ''}


class DownloadImagenetTest(absltest.TestCase):

  @classmethod
  def setUpClass(cls):
    super().setUpClass()
    cls.fixture = demo.generate(
        os.path.join(absltest.TEST_TMPDIR.value, 'fixture'),
        demo.Config(num_classes=2, images_per_class=3,
                             num_validation_images=4, num_test_images=2, min_side=48,
                             max_side=48))

  def setUp(self):
    super().setUp()
    self.server = http_test_server.FileServer(self.fixture.directory, _USER,
                                              _KEY).start()
    self.addCleanup(self.server.stop)
    self.data_dir = self.create_tempdir().full_path
    self.netrc = os.path.join(self.create_tempdir().full_path, 'no-netrc')

  def main(self, *args, environ=None, labels=True):
    """Runs main() with these flags (and the fixture's validation label file unless
    `labels` is False); returns (exit status, None for 0; stderr)."""
    env = {imagenet.USERNAME_ENV: _USER, imagenet.ACCESS_KEY_ENV: _KEY}
    env.update(environ or {})
    stderr = io.StringIO()
    with flagsaver.flagsaver(), mock.patch.dict(os.environ, env), \
        contextlib.redirect_stderr(stderr):
      labels_flag = (['--validation_labels_file=' + self.fixture.validation_labels_file]
                     if labels else [])
      argv = FLAGS(['download_imagenet', '--netrc_file=' + self.netrc] + labels_flag +
                   list(args))
      code = cli.guarded(download_imagenet.main, hint=driver.RESUME_HINT)(argv)
    return code, stderr.getvalue()

  def test_validation_tar_unlike_the_label_file_is_refused_leaving_nothing(self):
    # Issue 24, item 9: the fixture's 4 validation images against the shipped label
    # file's 50,000, refused before anything is in raw-data/validation.
    code, stderr = self.main('--source=' + self.fixture.directory,
                             '--checksums_file=' + self.fixture.checksums_file,
                             self.data_dir, labels=False)
    self.assertEqual(code, 1)
    validation_tar = os.path.join(driver.downloads_dir(self.data_dir),
                                  imagenet.VALIDATION_TAR)
    self.assertIn('error: %s does not match the validation label file (50000 images '
                  'named there): 49996 missing (first: ILSVRC2012_val_00000005.JPEG, '
                  'ILSVRC2012_val_00000006.JPEG, ILSVRC2012_val_00000007.JPEG), 0 '
                  'unexpected (first: -); nothing extracted from it was kept' %
                  validation_tar, stderr.splitlines()[-1])
    raw = driver.raw_data_dir(self.data_dir)
    self.assertFalse(os.path.exists(os.path.join(raw, 'validation')))
    self.assertFalse(os.path.exists(os.path.join(raw, '.extracting')))

  def test_url_source_fetches_extracts_and_rerun_does_nothing(self):
    code, _ = self.main('--source=' + self.server.url,
                        '--checksums_file=' + self.fixture.checksums_file,
                        '--with_bbox_val', self.data_dir)
    self.assertIsNone(code)
    raw = driver.raw_data_dir(self.data_dir)
    for wnid, count in self.fixture.train_counts.items():
      self.assertLen(os.listdir(os.path.join(raw, 'train', wnid)), count)
    self.assertLen(os.listdir(os.path.join(raw, 'validation')), 4)
    # The box archives stay packed in downloads/ (the CSVs are read from them).
    self.assertFalse(os.path.exists(os.path.join(raw, 'bounding_boxes')))
    self.assertFalse(os.path.exists(os.path.join(raw, 'validation_bounding_boxes')))
    for name in (imagenet.BBOX_TRAIN_TAR_GZ, imagenet.BBOX_VALIDATION_TGZ):
      self.assertTrue(os.path.isfile(os.path.join(driver.downloads_dir(self.data_dir),
                                                  name)))
    self.assertLen(self.server.requests, 4)
    # The driver's own steps ran, and the driver run later takes over from here.
    with open(os.path.join(self.data_dir, driver.STATE_FILENAME)) as f:
      self.assertCountEqual(json.load(f)['steps'], ['download', 'extract'])

    self.server.reset_counters()
    code, _ = self.main('--source=' + self.server.url,
                        '--checksums_file=' + self.fixture.checksums_file,
                        '--with_bbox_val', '--data_dir=' + self.data_dir,
                        environ=_NO_CREDENTIALS)
    self.assertIsNone(code)
    self.assertEmpty(self.server.requests)

  def test_extract_xml_also_extracts_the_box_xmls(self):
    code, _ = self.main('--source=' + self.fixture.directory, '--link_mode=symlink',
                        '--checksums_file=' + self.fixture.checksums_file,
                        '--with_bbox_val', '--extract_xml', self.data_dir,
                        environ=_NO_CREDENTIALS)
    self.assertIsNone(code)
    raw = driver.raw_data_dir(self.data_dir)
    self.assertCountEqual(os.listdir(os.path.join(raw, 'bounding_boxes')),
                          list(self.fixture.train_counts))
    self.assertLen(os.listdir(os.path.join(raw, 'validation_bounding_boxes', 'val')),
                   4)

  def test_extract_xml_without_extract_is_a_usage_error(self):
    with self.assertRaisesRegex(flags.IllegalFlagValueError,
                                '--extract_xml needs --extract'):
      self.main('--source=' + self.fixture.directory, '--noextract', '--extract_xml',
                self.data_dir)
    self.assertEmpty(os.listdir(self.data_dir))

  def test_with_test_fetches_and_extracts_the_test_tar(self):
    code, _ = self.main('--source=' + self.server.url,
                        '--checksums_file=' + self.fixture.checksums_file,
                        '--with_test', self.data_dir)
    self.assertIsNone(code)
    self.assertCountEqual(os.listdir(imagenet.test_images_dir(self.data_dir)),
                          [demo.test_filename(0), demo.test_filename(1)])
    self.assertEqual(self.server.requests[-1].path, '/data/' + imagenet.TEST_TAR)

  def test_with_test_without_its_md5_fails_before_any_request(self):
    checksums = os.path.join(self.create_tempdir().full_path, 'MD5SUMS')
    with open(self.fixture.checksums_file) as f, open(checksums, 'w') as out:
      out.writelines(line for line in f if imagenet.TEST_TAR not in line)
    code, stderr = self.main('--source=' + self.server.url,
                             '--checksums_file=' + checksums, '--with_test',
                             self.data_dir)
    self.assertEqual(code, 1)
    self.assertIn('download_imagenet: error: %s: no checksum known' % imagenet.TEST_TAR,
                  stderr)
    self.assertIn('--checksums_file', stderr)
    self.assertLen(stderr.splitlines(), 1, stderr)
    self.assertEmpty(self.server.requests)

  def test_refused_credentials_exit_non_zero_without_leaking_the_key(self):
    code, stderr = self.main('--source=' + self.server.url,
                             '--checksums_file=' + self.fixture.checksums_file,
                             self.data_dir,
                             environ={imagenet.ACCESS_KEY_ENV: 'wrong-' + _KEY})
    self.assertEqual(code, 1)
    self.assertIn('download_imagenet: error: %s: the server refused the ImageNet '
                  'credentials' % imagenet.BBOX_TRAIN_TAR_GZ, stderr)
    self.assertRegex(stderr.splitlines()[-1], '^download_imagenet: error: ')
    self.assertLen([line for line in stderr.splitlines() if 'error' in line], 1, stderr)
    self.assertNotIn(_KEY, stderr)

  def test_checksum_mismatch_exits_non_zero(self):
    # Without the fixture's checksums file the published MD5s apply: a mismatch.
    code, stderr = self.main('--source=' + self.server.url, '--noextract',
                             self.data_dir)
    self.assertEqual(code, 1)
    self.assertIn('%s: MD5 mismatch: expected %s' % (
        imagenet.BBOX_TRAIN_TAR_GZ, imagenet.KNOWN_FILES[
            imagenet.BBOX_TRAIN_TAR_GZ].md5), stderr)

  def test_tarball_found_truncated_is_set_aside_and_fetched_by_the_next_run(self):
    # A source whose validation tar was cut short, with a checksums line made from
    # the cut copy: it passes its MD5, and extraction finds it truncated.
    source = self.create_tempdir().full_path
    for name in os.listdir(self.fixture.directory):
      with open(os.path.join(self.fixture.directory, name), 'rb') as f:
        data = f.read()
      if name == imagenet.VALIDATION_TAR:
        good, cut = data, data[:len(data) // 2]
        data = cut
      with open(os.path.join(source, name), 'wb') as f:
        f.write(data)
    checksums = os.path.join(source, 'MD5SUMS')
    with open(checksums) as f:
      good_checksums = f.read()
    with open(checksums, 'w') as f:
      f.write(good_checksums.replace(hashlib.md5(good).hexdigest(),
                                     hashlib.md5(cut).hexdigest()))
    with http_test_server.FileServer(source, _USER, _KEY) as server:
      args = ('--source=' + server.url, '--checksums_file=' + checksums, self.data_dir)
      code, stderr = self.main(*args)
      self.assertEqual(code, 1)
      self.assertRegex(stderr.splitlines()[-1],
                       r'^download_imagenet: error: %s: .*; moved aside to .*%s.corrupt-'
                       r'\S+\. The next run fetches it again \(if the source copy is bad '
                       r'too, replace it and its line in the checksums file first\)\. '
                       r'Run the same command again to resume: finished steps are not '
                       r'redone\.$' % (imagenet.VALIDATION_TAR, imagenet.VALIDATION_TAR))
      self.assertEqual(stderr.count('Run the same command again'), 1)
      with open(os.path.join(source, imagenet.VALIDATION_TAR), 'wb') as f:
        f.write(good)
      with open(checksums, 'w') as f:
        f.write(good_checksums)
      code, stderr = self.main(*args)
    self.assertIsNone(code, stderr)
    self.assertLen(os.listdir(os.path.join(self.data_dir, 'raw-data', 'validation')), 4)

  def test_local_directory_symlinked_without_extraction(self):
    code, _ = self.main('--source=' + self.fixture.directory, '--link_mode=symlink',
                        '--checksums_file=' + self.fixture.checksums_file,
                        '--noextract', self.data_dir,
                        environ=_NO_CREDENTIALS)
    self.assertIsNone(code)
    # The driver's layout: the tarballs in DATA_DIR/downloads/, nothing extracted,
    # the driver's record of its download step, and the run lock's file.
    downloads = driver.downloads_dir(self.data_dir)
    self.assertCountEqual(os.listdir(self.data_dir), [
        driver.DOWNLOADS_DIRNAME, driver.STATE_FILENAME, core.LOCK_FILENAME])
    self.assertCountEqual(
        [name for name in os.listdir(downloads)
         if not name.endswith(acquire.STAMP_SUFFIX)],
        list(imagenet.DEFAULT_FILES))
    self.assertTrue(os.path.islink(os.path.join(downloads, imagenet.TRAIN_TAR)))
    self.assertEmpty(self.server.requests)

  def test_driver_names_are_aliases(self):
    code, _ = self.main('--source=' + self.fixture.directory, '--link_mode=symlink',
                        '--checksums_file=' + self.fixture.checksums_file,
                        '--no_extract', '--validation_bounding_boxes',
                        '--netrc=' + self.netrc, self.data_dir,
                        environ=_NO_CREDENTIALS)
    self.assertIsNone(code)
    self.assertFalse(os.path.exists(driver.raw_data_dir(self.data_dir)))
    self.assertTrue(os.path.islink(os.path.join(driver.downloads_dir(self.data_dir),
                                                imagenet.BBOX_VALIDATION_TGZ)))

  def test_stream_extract_gives_the_same_tree_from_one_read(self):
    reference = self.create_tempdir().full_path
    args = ['--source=' + self.server.url, '--with_test',
            '--checksums_file=' + self.fixture.checksums_file]
    code, log = self.main(*args, reference)
    self.assertIsNone(code)
    self.assertNotIn('extracted as it came', log)
    self.server.reset_counters()
    code, log = self.main('--stream_extract', *args, self.data_dir)
    self.assertIsNone(code)
    for name in (imagenet.TRAIN_TAR, imagenet.VALIDATION_TAR, imagenet.TEST_TAR):
      self.assertIn('%s: downloaded, extracted as it came' % name, log)
      self.assertIn('%s: already extracted' % name, log)  # By extract_all: no read.
    self.assertLen(self.server.requests, 4)
    downloads = driver.downloads_dir(self.data_dir)
    self.assertEqual(self.server.bytes_sent,
                     sum(os.path.getsize(os.path.join(downloads, name))
                         for name in os.listdir(downloads) if name.endswith('.tar')
                         or name.endswith('.tar.gz')))
    for directory in (reference, self.data_dir):
      raw = driver.raw_data_dir(directory)
      self.assertEqual(sorted(os.listdir(raw)), [
          '.%s.extracted' % name for name in sorted(
              (imagenet.TRAIN_TAR, imagenet.TEST_TAR, imagenet.VALIDATION_TAR))] +
                     ['test', 'train', 'validation'])  # The box XMLs stay packed.
    for subdirectory in ('train', 'validation', 'test'):
      self.assertEqual(
          file_trees.file_contents(os.path.join(driver.raw_data_dir(reference),
                                                subdirectory)),
          file_trees.file_contents(os.path.join(driver.raw_data_dir(self.data_dir),
                                                subdirectory)))

  def test_stream_extract_with_no_extract_is_a_usage_error(self):
    with self.assertRaisesRegex(flags.IllegalFlagValueError,
                                '--stream_extract .* cannot be combined with '
                                '--no_extract'):
      self.main('--stream_extract', '--no_extract', self.data_dir)
    self.assertEmpty(self.server.requests)

  def test_usage_errors(self):
    self.assertEqual(self.main(), (1, 'download_imagenet: error: give DATA_DIR (as an '
                                      'argument or as --data_dir)\nTry --help.\n'))
    code, stderr = self.main('--data_dir=/a', '/b')
    self.assertEqual(code, 1)
    self.assertRegex(stderr, r'^download_imagenet: error: DATA_DIR given twice.*\n'
                     r'Try --help\.\n$')


if __name__ == '__main__':
  absltest.main()
