"""Tests of inception.acquire._download against a real HTTP server on 127.0.0.1."""

import hashlib
import io
import json
import logging as std_logging
import os
import socket
import subprocess

from absl.testing import absltest

from inception import demo
from inception.acquire import _download
from tests import http_test_server
from tests.core import full_disk

_USER = 'alice'
_KEY = 'S3cret-Access-Key-0123456789'
_CHUNK = 4096
_FILES = (_download.BBOX_TRAIN_TAR_GZ, _download.VALIDATION_TAR,
          _download.TRAIN_TAR, _download.BBOX_VALIDATION_TGZ)


def _md5(path):
  with open(path, 'rb') as f:
    return hashlib.md5(f.read()).hexdigest()


def _read(path):
  with open(path, 'rb') as f:
    return f.read()


class _FixtureTestCase(absltest.TestCase):
  """A mini ImageNet generated once, served by a fresh server per test."""

  @classmethod
  def setUpClass(cls):
    super().setUpClass()
    directory = os.path.join(absltest.TEST_TMPDIR.value, 'mini_imagenet_fixture')
    cls.fixture = demo.generate(directory, demo.Config(
        num_classes=3, images_per_class=4, num_validation_images=6, num_test_images=2,
        min_side=64, max_side=64))
    with open(cls.fixture.checksums_file) as f:
      cls.checksums = _download.parse_checksums_file(f.read(),
                                                    cls.fixture.checksums_file)

  def setUp(self):
    super().setUp()
    self.server = http_test_server.FileServer(self.fixture.directory, _USER,
                                              _KEY).start()
    self.addCleanup(self.server.stop)
    self.data_dir = self.create_tempdir().full_path
    self.credentials = _download.Credentials(_USER, _KEY)

  def fetch(self, files=_FILES, **kwargs):
    options = dict(credentials=self.credentials, checksums=self.checksums,
                   chunk_size=_CHUNK, backoff_seconds=0.0, progress_interval=0.0)
    options.update(kwargs)
    return _download.fetch_all(self.data_dir, self.server.url, files, **options)

  def source(self, name):
    return os.path.join(self.fixture.directory, name)


class FetchUrlTest(_FixtureTestCase):

  def test_full_download_then_rerun_transfers_nothing(self):
    summary = self.fetch()
    self.assertEqual([r.action for r in summary.files], ['downloaded'] * 4)
    total = 0
    for name in _FILES:
      path = os.path.join(self.data_dir, name)
      self.assertEqual(summary.paths[name], path)
      self.assertEqual(_read(path), _read(self.source(name)))
      self.assertTrue(os.path.exists(path + _download.STAMP_SUFFIX))
      self.assertFalse(os.path.exists(path + _download.PARTIAL_SUFFIX))
      total += os.path.getsize(path)
    self.assertEqual(self.server.bytes_sent, total)
    self.assertEqual(summary.bytes_transferred, total)
    basic = 'Basic YWxpY2U6UzNjcmV0LUFjY2Vzcy1LZXktMDEyMzQ1Njc4OQ=='  # alice:S3cret...
    self.assertTrue(all(r.authorization == basic for r in self.server.requests))

    self.server.reset_counters()
    again = self.fetch()
    self.assertEqual([r.action for r in again.files], ['already verified'] * 4)
    self.assertEmpty(self.server.requests)
    self.assertEqual(self.server.bytes_sent, 0)

  def test_cut_transfer_resumes_with_range_in_the_same_run(self):
    name = _download.TRAIN_TAR
    size = os.path.getsize(self.source(name))
    cut = size // 3
    self.server.cut_next(cut, times=2)
    summary = self.fetch([name])
    self.assertEqual(summary.files[0].action, 'resumed')
    self.assertEqual(_read(summary.paths[name]), _read(self.source(name)))
    self.assertEqual([r.range for r in self.server.requests],
                     [None, 'bytes=%d-' % cut, 'bytes=%d-' % (2 * cut)])
    # Bytes sent twice: at most what a cut can lose in flight, here none.
    self.assertLessEqual(self.server.bytes_sent - size, _CHUNK)

  def test_interrupted_run_is_resumed_by_the_next_run(self):
    name = _download.VALIDATION_TAR
    size = os.path.getsize(self.source(name))
    cut = size // 3
    self.server.cut_next(cut, times=1)
    with self.assertRaisesRegex(_download.DownloadError,
                                'broke 1 times.*next run resumes'):
      self.fetch([name], max_attempts=1)
    partial = os.path.join(self.data_dir, name + _download.PARTIAL_SUFFIX)
    self.assertEqual(os.path.getsize(partial), cut)
    self.assertFalse(os.path.exists(os.path.join(self.data_dir, name)))

    summary = self.fetch([name])
    self.assertEqual(summary.files[0].action, 'resumed')
    self.assertEqual(summary.files[0].bytes_transferred, size - cut)
    self.assertEqual(self.server.requests[-1].range, 'bytes=%d-' % cut)
    self.assertEqual(self.server.bytes_sent, size)  # Nothing fetched twice.
    self.assertEqual(_md5(summary.paths[name]), self.checksums[name])

  def test_server_ignoring_range_restarts_the_file_cleanly(self):
    name = _download.TRAIN_TAR
    size = os.path.getsize(self.source(name))
    with open(os.path.join(self.data_dir, name + _download.PARTIAL_SUFFIX), 'wb') as f:
      f.write(b'\xff' * (size // 2))  # Bytes that would spoil an appended file.
    self.server.ignore_range = True
    summary = self.fetch([name])
    self.assertEqual(summary.files[0].action, 'downloaded')
    self.assertEqual(self.server.requests[0].range, 'bytes=%d-' % (size // 2))
    self.assertEqual(self.server.requests[0].status, 200)
    self.assertEqual(_read(summary.paths[name]), _read(self.source(name)))

  def test_wrong_checksum_names_file_and_values_and_moves_it_aside(self):
    name = _download.BBOX_TRAIN_TAR_GZ
    actual = self.checksums[name]
    wrong = '0' * 32
    with self.assertRaises(_download.ChecksumMismatch) as raised:
      self.fetch([name], checksums={name: wrong})
    message = str(raised.exception)
    self.assertIn(name, message)
    self.assertIn(wrong, message)
    self.assertIn(actual, message)
    final = os.path.join(self.data_dir, name)
    self.assertFalse(os.path.exists(final))
    self.assertFalse(os.path.exists(final + _download.PARTIAL_SUFFIX))
    aside = final + _download.BAD_MD5_INFIX + actual
    self.assertEqual(raised.exception.moved_to, aside)
    self.assertEqual(_md5(aside), actual)

  def test_existing_bad_file_is_moved_aside_and_fetched_again(self):
    name = _download.BBOX_VALIDATION_TGZ
    final = os.path.join(self.data_dir, name)
    with open(final, 'wb') as f:
      f.write(b'not the archive')
    summary = self.fetch([name])
    self.assertEqual(summary.files[0].action, 'downloaded')
    self.assertEqual(_md5(final), self.checksums[name])
    bad_md5 = hashlib.md5(b'not the archive').hexdigest()
    self.assertTrue(os.path.exists(final + _download.BAD_MD5_INFIX + bad_md5))

  def test_changed_file_is_hashed_again_not_trusted(self):
    name = _download.BBOX_VALIDATION_TGZ
    self.fetch([name])
    final = os.path.join(self.data_dir, name)
    data = bytearray(_read(final))
    data[-1] ^= 1
    with open(final, 'wb') as f:
      f.write(data)
    self.server.reset_counters()
    self.fetch([name])
    self.assertLen(self.server.requests, 1)
    self.assertEqual(_md5(final), self.checksums[name])

  def test_refused_credentials_fail_at_once_without_body(self):
    wrong = _download.Credentials(_USER, 'wrong-key-987')
    with self.assertRaisesRegex(_download.CredentialsRefused,
                                'refused the ImageNet credentials .HTTP 401'):
      self.fetch(credentials=wrong)
    self.assertLen(self.server.requests, 1)  # No retry, no other file.
    self.assertEqual(self.server.requests[0].status, 401)
    self.assertEqual(self.server.bytes_sent, 0)
    self.assertEmpty(os.listdir(self.data_dir))

  def test_missing_credentials_say_how_to_give_them(self):
    with self.assertRaisesRegex(_download.CredentialsRefused,
                                'requires credentials.*IMAGENET_USERNAME'):
      self.fetch(credentials=None)

  def test_403_is_refused_credentials(self):
    self.server.fail_statuses = [403]
    with self.assertRaisesRegex(_download.CredentialsRefused, 'HTTP 403'):
      self.fetch()

  def test_404_names_the_file_and_url(self):
    with self.assertRaises(_download.DownloadError) as raised:
      self.fetch([_download.DEVKIT_TAR_GZ])
    self.assertIn('%s: not found at %s%s (HTTP 404)' % (
        _download.DEVKIT_TAR_GZ, self.server.url, _download.DEVKIT_TAR_GZ),
                  str(raised.exception))

  def test_5xx_is_retried(self):
    self.server.fail_statuses = [503, 500]
    name = _download.BBOX_TRAIN_TAR_GZ
    summary = self.fetch([name])
    self.assertEqual([r.status for r in self.server.requests], [503, 500, 200])
    self.assertEqual(_md5(summary.paths[name]), self.checksums[name])

  def test_5xx_on_the_resume_request_is_retried_then_the_file_resumes(self):
    name = _download.VALIDATION_TAR
    cut = os.path.getsize(self.source(name)) // 3
    self.server.cut_next(cut)
    self.server.fail_statuses = [503, 503]
    self.server.fail_after_requests = 1
    summary = self.fetch([name])
    resume = 'bytes=%d-' % cut
    self.assertEqual([(r.status, r.range) for r in self.server.requests],
                     [(200, None), (503, resume), (503, resume), (206, resume)])
    self.assertEqual(summary.files[0].action, 'resumed')
    self.assertEqual(_read(summary.paths[name]), _read(self.source(name)))

  def test_5xx_beyond_retries_is_an_error(self):
    self.server.fail_statuses = [502] * 10
    with self.assertRaisesRegex(_download.DownloadError, 'HTTP 502'):
      self.fetch([_download.BBOX_TRAIN_TAR_GZ], max_attempts=2)
    self.assertLen(self.server.requests, 3)  # The first try and two retries.

  def test_complete_partial_file_is_finished_without_a_body(self):
    name = _download.VALIDATION_TAR
    data = _read(self.source(name))
    with open(os.path.join(self.data_dir, name + _download.PARTIAL_SUFFIX), 'wb') as f:
      f.write(data)
    summary = self.fetch([name])
    self.assertEqual([(r.range, r.status) for r in self.server.requests],
                     [('bytes=%d-' % len(data), 416)])
    self.assertEqual(summary.files[0].bytes_transferred, 0)
    self.assertEqual(_read(summary.paths[name]), data)

  def test_unreachable_server(self):
    with socket.socket() as unused:
      unused.bind(('127.0.0.1', 0))
      port = unused.getsockname()[1]
    with self.assertRaisesRegex(_download.DownloadError,
                                'ILSVRC2012_img_train.tar: cannot download http'):
      _download.fetch_all(self.data_dir, 'http://127.0.0.1:%d/' % port,
                         [_download.TRAIN_TAR], checksums=self.checksums,
                         max_attempts=1, backoff_seconds=0.0)

  def test_wrong_size_offered_is_refused_before_the_body(self):
    name = _download.VALIDATION_TAR
    size = os.path.getsize(self.source(name))
    path = os.path.join(self.data_dir, name)
    expected = _download.Expected(size + 1, self.checksums[name])
    with self.assertRaisesRegex(_download.DownloadError,
                                'offers %d bytes, expected %d' % (size, size + 1)):
      _download.fetch_url(self.server.url + name, path, expected,
                         credentials=self.credentials, backoff_seconds=0.0)
    self.assertLen(self.server.requests, 1)
    self.assertEmpty(os.listdir(self.data_dir))  # No body was read.

  def test_credentials_never_in_logs_exceptions_or_files(self):
    handler_stream = io.StringIO()
    handler = std_logging.StreamHandler(handler_stream)
    absl_logger = std_logging.getLogger('absl')
    absl_logger.addHandler(handler)
    self.addCleanup(absl_logger.removeHandler, handler)
    self.server.cut_next(1000, times=1)
    self.fetch([_download.TRAIN_TAR])
    messages = []
    for credentials in (_download.Credentials(_USER, 'wrong-' + _KEY),
                        self.credentials):
      self.server.fail_statuses = [401] if credentials is self.credentials else []
      try:
        self.fetch([_download.VALIDATION_TAR], credentials=credentials)
      except _download.DownloadError as e:
        messages.append(str(e) + repr(e))
    self.assertLen(messages, 2)
    messages.append(handler_stream.getvalue())
    messages.append(repr(self.credentials) + str(self.credentials))
    self.assertIn('transfer broke', handler_stream.getvalue())
    for text in messages:
      self.assertNotIn(_KEY, text)
    for name in os.listdir(self.data_dir):
      self.assertNotIn(_KEY.encode(), _read(os.path.join(self.data_dir, name)))


class FetchLocalTest(_FixtureTestCase):

  def test_copy_then_rerun_copies_nothing(self):
    summary = _download.fetch_all(self.data_dir, self.fixture.directory, _FILES,
                                 checksums=self.checksums)
    self.assertEqual([r.action for r in summary.files], ['copied'] * 4)
    for name in _FILES:
      self.assertFalse(os.path.islink(summary.paths[name]))
      self.assertEqual(_read(summary.paths[name]), _read(self.source(name)))
    again = _download.fetch_all(self.data_dir, self.fixture.directory, _FILES,
                               checksums=self.checksums)
    self.assertEqual([r.action for r in again.files], ['already verified'] * 4)
    self.assertEqual(again.bytes_transferred, 0)

  def test_symlink(self):
    summary = _download.fetch_all(self.data_dir, self.fixture.directory, _FILES,
                                 checksums=self.checksums, link_mode='symlink')
    self.assertEqual([r.action for r in summary.files], ['symlinked'] * 4)
    for name in _FILES:
      self.assertEqual(os.readlink(summary.paths[name]), self.source(name))

  def test_symlink_verified_on_first_read_is_not_hashed_and_counts_as_fetched(self):
    name = _download.TRAIN_TAR
    options = dict(checksums=self.checksums, link_mode='symlink',
                   verify_on_first_read=_download.IMAGE_TARS)
    summary = _download.fetch_all(self.data_dir, self.fixture.directory,
                                  [name, _download.BBOX_TRAIN_TAR_GZ], **options)
    self.assertEqual([r.action for r in summary.files],
                     ['symlinked, MD5 checked when first read', 'symlinked'])
    path = summary.paths[name]
    self.assertEqual(os.readlink(path), self.source(name))
    self.assertFalse(os.path.exists(path + _download.STAMP_SUFFIX))
    self.assertTrue(os.path.exists(path + _download.PENDING_SUFFIX))
    self.assertEqual(_download.files_needing_fetch(
        self.data_dir, [name, _download.BBOX_TRAIN_TAR_GZ], self.checksums), [])
    again = _download.fetch_all(self.data_dir, self.fixture.directory, [name],
                                **options)
    self.assertEqual(again.files[0].action,
                     'already there, MD5 checked when first read')
    # Another expected MD5 is not the one pending: fetched again (here: hashed now).
    self.assertEqual(_download.files_needing_fetch(self.data_dir, [name],
                                                   {name: '0' * 32}), [name])

  def test_bad_source_file_is_an_error_and_left_alone(self):
    name = _download.BBOX_TRAIN_TAR_GZ
    for link_mode in _download.LINK_MODES:
      with self.assertRaisesRegex(_download.ChecksumMismatch, 'MD5 mismatch: expected '
                                  + 'f' * 32):
        _download.fetch_all(self.data_dir, self.fixture.directory, [name],
                           checksums={name: 'f' * 32}, link_mode=link_mode)
      self.assertFalse(os.path.lexists(os.path.join(self.data_dir, name)))
    self.assertEqual(_md5(self.source(name)), self.checksums[name])

  def test_missing_source_file(self):
    with self.assertRaisesRegex(_download.DownloadError,
                                _download.DEVKIT_TAR_GZ + ': not found in the source'):
      _download.fetch_all(self.data_dir, self.fixture.directory,
                         [_download.DEVKIT_TAR_GZ])

  def test_partial_copy_is_continued(self):
    name = _download.TRAIN_TAR
    data = _read(self.source(name))
    with open(os.path.join(self.data_dir, name + _download.PARTIAL_SUFFIX), 'wb') as f:
      f.write(data[:1000])
    summary = _download.fetch_all(self.data_dir, self.fixture.directory, [name],
                                 checksums=self.checksums)
    self.assertEqual(summary.files[0].bytes_transferred, len(data) - 1000)
    self.assertEqual(_read(summary.paths[name]), data)


class TestTarTest(_FixtureTestCase):
  """The test tar: image-net.org's current name, TFDS's older one accepted too."""

  @classmethod
  def setUpClass(cls):
    super().setUpClass()
    cls.md5 = cls.checksums[_download.TEST_TAR]

  def test_fetched_only_when_asked(self):
    self.assertNotIn(_download.TEST_TAR, _download.files_to_fetch(True, True))
    self.assertEqual(_download.files_to_fetch(with_test=True)[-1], _download.TEST_TAR)

  def test_no_md5_without_a_checksums_file_is_a_clear_error(self):
    with self.assertRaisesRegex(
        ValueError, r'^ILSVRC2012_img_test_v10102019\.tar: no checksum known \(none '
        r'is published\); give its MD5 in a checksums file \(--checksums_file'):
      _download.expected_checksums([_download.TEST_TAR])

  def test_source_directory_may_hold_the_tfds_name(self):
    source = self.create_tempdir().full_path
    os.symlink(self.fixture.test_tar, os.path.join(source, _download.TFDS_TEST_TAR))
    for checksums in ({_download.TEST_TAR: self.md5},
                      {_download.TFDS_TEST_TAR: self.md5}):
      for link_mode in _download.LINK_MODES:
        data_dir = self.create_tempdir().full_path
        summary = _download.fetch_all(data_dir, source, [_download.TEST_TAR],
                                      checksums=checksums, link_mode=link_mode)
        path = summary.paths[_download.TEST_TAR]
        self.assertEqual(path, os.path.join(data_dir, _download.TEST_TAR))
        self.assertEqual(_read(path), _read(self.fixture.test_tar))

  def test_current_name_wins_in_a_source_directory_holding_both(self):
    source = self.create_tempdir().full_path
    os.symlink(self.fixture.test_tar, os.path.join(source, _download.TEST_TAR))
    with open(os.path.join(source, _download.TFDS_TEST_TAR), 'wb') as f:
      f.write(b'another file')
    self.assertEqual(_download.local_source(source, _download.TEST_TAR),
                     os.path.join(source, _download.TEST_TAR))
    self.assertEqual(_download.local_source(source, _download.TRAIN_TAR),
                     os.path.join(source, _download.TRAIN_TAR))

  def test_url_source_is_asked_for_the_current_name(self):
    summary = self.fetch([_download.TEST_TAR])
    self.assertEqual(summary.files[0].action, 'downloaded')
    self.assertEqual(self.server.requests[0].path, '/data/' + _download.TEST_TAR)
    self.assertEqual(_read(summary.paths[_download.TEST_TAR]),
                     _read(self.fixture.test_tar))


class CredentialsTest(absltest.TestCase):

  def test_repr_and_str_hide_the_key(self):
    credentials = _download.Credentials('bob', 'hunter2-key')
    for text in (repr(credentials), str(credentials), '%s' % credentials,
                 repr([credentials])):
      self.assertNotIn('hunter2', text)
      self.assertIn('bob', text)

  def test_environment_wins_and_nothing_is_asked(self):
    credentials = _download.resolve_credentials(
        {_download.USERNAME_ENV: 'u', _download.ACCESS_KEY_ENV: 'k'}, None, prompt=True,
        input_fn=self.fail, getpass_fn=self.fail)
    self.assertEqual(credentials, _download.Credentials('u', 'k'))

  def test_netrc(self):
    path = self.create_tempfile(content=(
        'machine example.com login x password y\n'
        'machine image-net.org login carol password netrc-key\n')).full_path
    credentials = _download.resolve_credentials({}, path, prompt=True,
                                                input_fn=self.fail,
                                                getpass_fn=self.fail)
    self.assertEqual(credentials, _download.Credentials('carol', 'netrc-key'))

  def test_bad_netrc_error_does_not_quote_it(self):
    path = self.create_tempfile(
        content='machine image-net.org login a password b\nsecret-oops\n').full_path
    with self.assertRaises(_download.DownloadError) as raised:
      _download.resolve_credentials({}, path, prompt=False)
    self.assertIn(path, str(raised.exception))
    self.assertNotIn('secret-oops', str(raised.exception))

  def test_prompt_asks_username_then_key_with_getpass(self):
    asked = []

    def ask(question):
      asked.append(question)
      return 'dave\n'

    credentials = _download.resolve_credentials(
        {}, None, prompt=True, input_fn=ask, getpass_fn=lambda q: 'typed-key')
    self.assertEqual(credentials, _download.Credentials('dave', 'typed-key'))
    self.assertLen(asked, 1)

  def test_only_key_asked_when_username_is_set(self):
    credentials = _download.resolve_credentials(
        {_download.USERNAME_ENV: 'erin'}, None, prompt=True, input_fn=self.fail,
        getpass_fn=lambda q: 'k2')
    self.assertEqual(credentials, _download.Credentials('erin', 'k2'))

  def test_empty_username_means_no_credentials(self):
    self.assertIsNone(_download.resolve_credentials(
        {}, None, prompt=True, input_fn=lambda q: '', getpass_fn=self.fail))

  def test_no_prompt_allowed(self):
    self.assertIsNone(_download.resolve_credentials({}, None, prompt=False))
    with self.assertRaisesRegex(_download.DownloadError, 'IMAGENET_ACCESS_KEY is not'):
      _download.resolve_credentials({_download.USERNAME_ENV: 'x'}, None, prompt=False)


class ChecksumsTest(absltest.TestCase):

  def test_parse_md5sum_format(self):
    text = ('# comment\n\n'
            'D41D8CD98F00B204E9800998ECF8427E  a.tar\n'
            '0123456789abcdef0123456789abcdef *dir/b.tgz\n')
    self.assertEqual(_download.parse_checksums_file(text), {
        'a.tar': 'd41d8cd98f00b204e9800998ecf8427e',
        'b.tgz': '0123456789abcdef0123456789abcdef'})

  def test_parse_error_names_file_and_line(self):
    with self.assertRaisesRegex(ValueError, r'MD5SUMS:2: not an md5sum line'):
      _download.parse_checksums_file('%s  a\nxyz  b\n' % ('0' * 32), 'MD5SUMS')

  def test_known_files_and_overrides(self):
    names = _download.files_to_fetch(with_bbox_val=True, with_devkit=True)
    self.assertEqual(names, list(_download.DEFAULT_FILES + _download.OPTIONAL_FILES))
    expected = _download.expected_checksums(
        names, {_download.VALIDATION_TAR: 'A' * 32})
    self.assertEqual(
        expected[_download.TRAIN_TAR],
        _download.Expected(147897477120, '1d675b47d978889d74fa0da5fadfb00e'))
    self.assertEqual(expected[_download.VALIDATION_TAR],
                     _download.Expected(None, 'a' * 32))
    with self.assertRaisesRegex(ValueError, 'other.tar: no checksum known'):
      _download.expected_checksums(['other.tar'])
    with self.assertRaisesRegex(ValueError, 'is not an MD5'):
      _download.expected_checksums(['x'], {'x': 'abc'})


# In a child process: copy argv[1]'s train tar into argv[2]; print the error.
_COPY_INTO = """
import json, sys
from inception.acquire import _download
try:
  _download.fetch_all(sys.argv[2], sys.argv[1], [_download.TRAIN_TAR],
                      checksums={_download.TRAIN_TAR: '0' * 32})
except OSError as e:
  print(json.dumps([e.filename, e.strerror]))
"""


class FullDiskTest(absltest.TestCase):

  def test_a_full_disk_names_the_partial_download_and_its_directory(self):
    source = self.create_tempdir().full_path
    with open(os.path.join(source, _download.TRAIN_TAR), 'wb') as f:
      f.write(os.urandom(1 << 20))
    with full_disk.small_directory(self.create_tempdir().full_path) as (target, limit):
      command, env = full_disk.python_command(_COPY_INTO)
      output = subprocess.run(command + [source, target], env=env, preexec_fn=limit,
                              check=True, capture_output=True, text=True).stdout
    filename, strerror = json.loads(output)
    self.assertEqual(os.path.dirname(filename), target)
    self.assertTrue(os.path.basename(filename).startswith(_download.TRAIN_TAR), filename)
    self.assertIn('writing into directory %s' % target, strerror)


if __name__ == '__main__':
  absltest.main()
