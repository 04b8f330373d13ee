"""Tests of inception.acquire._http against a real HTTP server on 127.0.0.1."""

import io
import logging as std_logging
import os
import socket

from absl.testing import absltest

from inception import acquire
from inception.acquire import _http
from inception.acquire import _options
from inception.acquire import _verification
from tests.acquire import fetch_fixtures

_USER = fetch_fixtures.USER
_KEY = fetch_fixtures.KEY
_CHUNK = fetch_fixtures.CHUNK
_FILES = fetch_fixtures.FILES
_TRAIN_TAR = fetch_fixtures.TRAIN_TAR
_VALIDATION_TAR = fetch_fixtures.VALIDATION_TAR
_BBOX_TRAIN_TAR_GZ = fetch_fixtures.BBOX_TRAIN_TAR_GZ
_BBOX_VALIDATION_TGZ = fetch_fixtures.BBOX_VALIDATION_TGZ
# A file the server does not hold.
_MISSING = 'missing.tar.gz'
_read = fetch_fixtures.read
_md5 = fetch_fixtures.md5


class FetchUrlTest(fetch_fixtures.FixtureTestCase):

  def test_full_download_then_rerun_transfers_nothing(self):
    summary = self.fetch()
    self.assertEqual([r.action for r in summary.files], ['downloaded'] * 4)
    total = 0
    for name in _FILES:
      path = os.path.join(self.data_dir, name)
      self.assertEqual(summary.paths[name], path)
      self.assertEqual(_read(path), _read(self.source(name)))
      self.assertTrue(os.path.exists(path + acquire.STAMP_SUFFIX))
      self.assertFalse(os.path.exists(path + _options.PARTIAL_SUFFIX))
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
    name = _TRAIN_TAR
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
    name = _VALIDATION_TAR
    size = os.path.getsize(self.source(name))
    cut = size // 3
    self.server.cut_next(cut, times=1)
    with self.assertRaisesRegex(acquire.DownloadError,
                                'broke 1 times.*next run resumes'):
      self.fetch([name], max_attempts=1)
    partial = os.path.join(self.data_dir, name + _options.PARTIAL_SUFFIX)
    self.assertEqual(os.path.getsize(partial), cut)
    self.assertFalse(os.path.exists(os.path.join(self.data_dir, name)))

    summary = self.fetch([name])
    self.assertEqual(summary.files[0].action, 'resumed')
    self.assertEqual(summary.files[0].bytes_transferred, size - cut)
    self.assertEqual(self.server.requests[-1].range, 'bytes=%d-' % cut)
    self.assertEqual(self.server.bytes_sent, size)  # Nothing fetched twice.
    self.assertEqual(_md5(summary.paths[name]), self.checksums[name])

  def test_server_ignoring_range_restarts_the_file_cleanly(self):
    name = _TRAIN_TAR
    size = os.path.getsize(self.source(name))
    with open(os.path.join(self.data_dir, name + _options.PARTIAL_SUFFIX), 'wb') as f:
      f.write(b'\xff' * (size // 2))  # Bytes that would spoil an appended file.
    self.server.ignore_range = True
    summary = self.fetch([name])
    self.assertEqual(summary.files[0].action, 'downloaded')
    self.assertEqual(self.server.requests[0].range, 'bytes=%d-' % (size // 2))
    self.assertEqual(self.server.requests[0].status, 200)
    self.assertEqual(_read(summary.paths[name]), _read(self.source(name)))

  def test_wrong_checksum_names_file_and_values_and_moves_it_aside(self):
    name = _BBOX_TRAIN_TAR_GZ
    actual = self.checksums[name]
    wrong = '0' * 32
    with self.assertRaises(acquire.ChecksumMismatch) as raised:
      self.fetch([name], {name: wrong})
    message = str(raised.exception)
    self.assertIn(name, message)
    self.assertIn(wrong, message)
    self.assertIn(actual, message)
    final = os.path.join(self.data_dir, name)
    self.assertFalse(os.path.exists(final))
    self.assertFalse(os.path.exists(final + _options.PARTIAL_SUFFIX))
    aside = final + _verification.BAD_MD5_INFIX + actual
    self.assertEqual(raised.exception.moved_to, aside)
    self.assertEqual(_md5(aside), actual)

  def test_refused_credentials_fail_at_once_without_body(self):
    wrong = acquire.Credentials(_USER, 'wrong-key-987')
    with self.assertRaisesRegex(acquire.CredentialsRefused,
                                'refused the ImageNet credentials .HTTP 401'):
      self.fetch(credentials=wrong)
    self.assertLen(self.server.requests, 1)  # No retry, no other file.
    self.assertEqual(self.server.requests[0].status, 401)
    self.assertEqual(self.server.bytes_sent, 0)
    self.assertEmpty(os.listdir(self.data_dir))

  def test_missing_credentials_say_how_to_give_them(self):
    with self.assertRaisesRegex(acquire.CredentialsRefused,
                                'requires credentials.*IMAGENET_USERNAME'):
      self.fetch(credentials=None)

  def test_without_a_login_the_refusal_names_no_variables(self):
    with self.assertRaisesRegex(acquire.CredentialsRefused,
                                r'requires credentials \(HTTP 401\) for \S+$'):
      self.fetch(credentials=None, login=None)
    with self.assertRaisesRegex(acquire.CredentialsRefused,
                                'refused the credentials .HTTP 401'):
      self.fetch(credentials=acquire.Credentials(_USER, 'wrong'), login=None)

  def test_403_is_refused_credentials(self):
    self.server.fail_statuses = [403]
    with self.assertRaisesRegex(acquire.CredentialsRefused, 'HTTP 403'):
      self.fetch()

  def test_404_names_the_file_and_url(self):
    with self.assertRaises(acquire.DownloadError) as raised:
      self.fetch([_MISSING], {_MISSING: '0' * 32})
    self.assertIn('%s: not found at %s%s (HTTP 404)' % (
        _MISSING, self.server.url, _MISSING), str(raised.exception))

  def test_5xx_is_retried(self):
    self.server.fail_statuses = [503, 500]
    name = _BBOX_TRAIN_TAR_GZ
    summary = self.fetch([name])
    self.assertEqual([r.status for r in self.server.requests], [503, 500, 200])
    self.assertEqual(_md5(summary.paths[name]), self.checksums[name])

  def test_5xx_on_the_resume_request_is_retried_then_the_file_resumes(self):
    name = _VALIDATION_TAR
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
    with self.assertRaisesRegex(acquire.DownloadError, 'HTTP 502'):
      self.fetch([_BBOX_TRAIN_TAR_GZ], max_attempts=2)
    self.assertLen(self.server.requests, 3)  # The first try and two retries.

  def test_complete_partial_file_is_finished_without_a_body(self):
    name = _VALIDATION_TAR
    data = _read(self.source(name))
    with open(os.path.join(self.data_dir, name + _options.PARTIAL_SUFFIX), 'wb') as f:
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
    with self.assertRaisesRegex(acquire.DownloadError,
                                'ILSVRC2012_img_train.tar: cannot download http'):
      acquire.fetch_all(self.data_dir, 'http://127.0.0.1:%d/' % port,
                        self.archives([_TRAIN_TAR]),
                        acquire.FetchOptions(max_attempts=1, backoff_seconds=0.0))

  def test_wrong_size_offered_is_refused_before_the_body(self):
    name = _VALIDATION_TAR
    size = os.path.getsize(self.source(name))
    path = os.path.join(self.data_dir, name)
    archive = acquire.Archive(name, size + 1, self.checksums[name])
    with self.assertRaisesRegex(acquire.DownloadError,
                                'offers %d bytes, expected %d' % (size, size + 1)):
      _http.fetch_url(self.server.url + name, path, archive, acquire.FetchOptions(
          credentials=self.credentials, backoff_seconds=0.0))
    self.assertLen(self.server.requests, 1)
    self.assertEmpty(os.listdir(self.data_dir))  # No body was read.

  def test_credentials_never_in_logs_exceptions_or_files(self):
    handler_stream = io.StringIO()
    handler = std_logging.StreamHandler(handler_stream)
    absl_logger = std_logging.getLogger('absl')
    absl_logger.addHandler(handler)
    self.addCleanup(absl_logger.removeHandler, handler)
    self.server.cut_next(1000, times=1)
    self.fetch([_TRAIN_TAR])
    messages = []
    for credentials in (acquire.Credentials(_USER, 'wrong-' + _KEY),
                        self.credentials):
      self.server.fail_statuses = [401] if credentials is self.credentials else []
      try:
        self.fetch([_VALIDATION_TAR], credentials=credentials)
      except acquire.DownloadError as e:
        messages.append(str(e) + repr(e))
    self.assertLen(messages, 2)
    messages.append(handler_stream.getvalue())
    messages.append(repr(self.credentials) + str(self.credentials))
    self.assertIn('transfer broke', handler_stream.getvalue())
    for text in messages:
      self.assertNotIn(_KEY, text)
    for name in os.listdir(self.data_dir):
      self.assertNotIn(_KEY.encode(), _read(os.path.join(self.data_dir, name)))


if __name__ == '__main__':
  absltest.main()
