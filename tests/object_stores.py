"""Object-store emulators on 127.0.0.1 for the tests, and a fault proxy in front of one.

- `Emulator`: a server process (moto's S3 server, gcp-storage-emulator) on a free
  port, started once per test file and stopped by it; `s3()` and `gcs()` make one.
- `make_tree`, `converter_args`: the small labelled image tree every store test
  converts (a PNG among its JPEGs), and build_imagenet_data's arguments for it.
- `aws_environment`, `s3_objects`, `StoreRunAssertions`: what the S3 tests of the
  binaries share (the AWS variables of a user's shell, the objects under a prefix,
  a clean run and a one-line error with the secret in no output).
- `FaultProxy`: an HTTP proxy to an emulator that can answer 503 SlowDown (or any
  canned error) to the first requests, or hold the requests that match a test (a
  multipart upload's completion, say) until released, never forwarding them: a
  writer killed while held has sent its last request, which the store never got. It
  can also delay every request (a real store's latency), deny the ones whose request
  line matches, and counts what it forwards (requests, body bytes answered, most
  requests in flight at once).

The tests reach a store only through the standard variables (AWS_ENDPOINT_URL and
the AWS keys, STORAGE_EMULATOR_HOST), as a user's shell would pass them.
"""

import http.client
import http.server
import os
import socket
import subprocess
import sys
import threading
import time
from typing import Callable, Dict, List, Optional, Sequence
import urllib.request

from absl.testing import absltest

from tests import conversion_fixtures as fixtures


def aws_environment(endpoint: str, secret: str) -> Dict[str, str]:
  """The variables a user's shell would hold for an S3-compatible store at
  `endpoint`, with `secret` as the secret key (and no other AWS configuration)."""
  return dict(AWS_ENDPOINT_URL=endpoint, AWS_ACCESS_KEY_ID='test-key-id',
              AWS_SECRET_ACCESS_KEY=secret, AWS_DEFAULT_REGION='us-east-1',
              AWS_EC2_METADATA_DISABLED='true',
              AWS_CONFIG_FILE=os.devnull, AWS_SHARED_CREDENTIALS_FILE=os.devnull)


def s3_objects(bucket: str, prefix: str) -> Dict[str, bytes]:
  """{name below `prefix`: bytes} of the objects under s3://bucket/prefix."""
  import fsspec  # pylint: disable=g-import-not-at-top  (the S3 tests only)
  s3 = fsspec.filesystem('s3')
  s3.invalidate_cache()
  root = '%s/%s/' % (bucket, prefix)
  return {key[len(root):]: s3.cat_file(key) for key in s3.find(root)}


class StoreRunAssertions(absltest.TestCase):
  """A binary's run on a store: clean, or failing in one line; SECRET (set by the
  test class) in no output."""
  SECRET = ''

  def assert_clean_run(self, result: subprocess.CompletedProcess, status: int = 0):
    self.assertEqual(result.returncode, status, result.stderr[-3000:])
    self.assertNotIn('Traceback', result.stderr)
    self.assertTrue(self.SECRET)
    self.assertNotIn(self.SECRET, result.stdout + result.stderr)

  def assert_one_line_error(self, result: subprocess.CompletedProcess,
                            *parts: str) -> str:
    """The one error line, holding each of `parts`."""
    self.assert_clean_run(result, 1)
    errors = [line for line in result.stderr.splitlines() if ': error: ' in line]
    self.assertLen(errors, 1, result.stderr)
    for part in parts:
      self.assertIn(part, errors[0])
    return errors[0]


def make_tree(root: str, synsets: Sequence[str], train_per_class: int) -> None:
  """`root`/raw/train and raw/validation (folder per class) and labels/ (synsets.txt,
  metadata.txt), the second train image of the second class a PNG."""
  fixtures.make_imagenet_split(os.path.join(root, 'raw', 'train'), synsets,
                               train_per_class, special={
                                   '%s_1.JPEG' % synsets[1]:
                                       fixtures.image_bytes(8, 'png')})
  fixtures.make_imagenet_split(os.path.join(root, 'raw', 'validation'), synsets, 2,
                               name_format='val_%(synset)s_%(n)d.JPEG')
  fixtures.write_label_files(os.path.join(root, 'labels'), synsets)


def converter_args(source: str, output: str, boxes: str = '') -> List[str]:
  """build_imagenet_data's arguments from a make_tree `source` (raw, or its copy in a
  store) into `output`, run from the tree's root."""
  return ['--train_directory=%s/train' % source,
          '--validation_directory=%s/validation' % source,
          '--bounding_box_file=' + boxes, '--output_directory=' + output,
          '--labels_file=labels/synsets.txt',
          '--imagenet_metadata_file=labels/metadata.txt', '--num_threads=2',
          '--train_shards=2', '--validation_shards=1']


def free_port() -> int:
  with socket.socket() as s:
    s.bind(('127.0.0.1', 0))
    return s.getsockname()[1]


class Emulator:
  """A store's emulator process on 127.0.0.1:`port`, until `stop()`."""

  def __init__(self, command: Sequence[str], port: int, log_path: str,
               environ: Optional[Dict[str, str]] = None):
    self.port = port
    self.url = 'http://127.0.0.1:%d' % port
    self._log = open(log_path, 'wb')
    self._process = subprocess.Popen(
        list(command), stdin=subprocess.DEVNULL, stdout=self._log,
        stderr=subprocess.STDOUT, env=dict(os.environ, **(environ or {})))
    deadline = time.monotonic() + 60
    while True:
      try:
        urllib.request.urlopen(self.url, timeout=2).close()
        return
      except urllib.error.HTTPError:
        return  # it answers
      except OSError:
        if self._process.poll() is not None or time.monotonic() > deadline:
          self.stop()
          with open(log_path, 'rb') as f:
            raise RuntimeError('emulator did not start: %s' % f.read()[-2000:])
        time.sleep(0.2)

  def stop(self) -> None:
    if self._process.poll() is None:
      self._process.terminate()
      try:
        self._process.wait(timeout=10)
      except subprocess.TimeoutExpired:
        self._process.kill()
        self._process.wait()
    self._log.close()


def s3(log_path: str) -> Emulator:
  """moto's S3 server (moto[server])."""
  port = free_port()
  return Emulator([sys.executable, '-m', 'moto.server', '-H', '127.0.0.1', '-p',
                   str(port)], port, log_path)


def gcs(log_path: str) -> Emulator:
  """gcp-storage-emulator, in memory."""
  port = free_port()
  return Emulator([sys.executable, '-m', 'gcp_storage_emulator', 'start',
                   '--host=127.0.0.1', '--port=%d' % port, '--in-memory'], port,
                  log_path)


# Azurite's well-known development account (public, in Azure's documentation).
AZURITE_ACCOUNT = 'devstoreaccount1'
AZURITE_KEY = ('Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr'
               '/KBHBeksoGMGw==')


def azurite(log_path: str) -> Emulator:
  """npm's Azurite (Blob service only, in memory), which tools/setup.sh installs into
  the venv's azurite/ directory."""
  binary = os.path.join(sys.prefix, 'azurite', 'node_modules', '.bin', 'azurite-blob')
  if not os.path.exists(binary):
    raise RuntimeError('%s is missing: run tools/setup.sh (it needs npm)' % binary)
  port = free_port()
  return Emulator([binary, '--blobHost', '127.0.0.1', '--blobPort', str(port),
                   '--inMemoryPersistence', '--skipApiVersionCheck', '--loose'], port,
                  log_path)


def azurite_connection_string(emulator: Emulator) -> str:
  """AZURE_STORAGE_CONNECTION_STRING for `emulator`."""
  return ('DefaultEndpointsProtocol=http;AccountName=%s;AccountKey=%s;'
          'BlobEndpoint=%s/%s;' % (AZURITE_ACCOUNT, AZURITE_KEY, emulator.url,
                                   AZURITE_ACCOUNT))


Matcher = Callable[[str, str], bool]  # (method, path with query) -> bool


def completes_an_upload(method: str, path: str) -> bool:
  """S3's CompleteMultipartUpload: POST ...?uploadId=..."""
  return method == 'POST' and 'uploadId=' in path


_SLOW_DOWN = (b'<?xml version="1.0" encoding="UTF-8"?><Error><Code>SlowDown</Code>'
              b'<Message>Please reduce your request rate.</Message></Error>')
_ACCESS_DENIED = (b'<?xml version="1.0" encoding="UTF-8"?><Error><Code>AccessDenied'
                  b'</Code><Message>Access Denied</Message></Error>')


class FaultProxy:
  """Forwards HTTP requests on 127.0.0.1:`port` to `target_port`, with faults."""

  def __init__(self, target_port: int):
    self.target_port = target_port
    self.slow_downs_left = 0  # answer 503 SlowDown to this many requests first
    self.deny = False  # answer 403 AccessDenied to every request
    self.hold: Optional[Matcher] = None
    self.delay_seconds = 0.0  # before forwarding each request (a store's latency)
    # Answer 403 AccessDenied to the requests whose line (`requests`' form) it matches.
    self.deny_request: Optional[Callable[[str], bool]] = None
    self.bytes_answered = 0  # body bytes of the forwarded answers
    self.in_flight = self.most_in_flight = 0
    self.held = threading.Event()  # set once a request is being held
    self.requests: List[str] = []
    self._release = threading.Event()
    self._lock = threading.Lock()
    proxy = self

    class Handler(http.server.BaseHTTPRequestHandler):
      protocol_version = 'HTTP/1.1'

      def log_message(self, *args):
        pass

      def _body(self) -> bytes:
        if self.headers.get('Transfer-Encoding', '').lower() == 'chunked':
          chunks = []
          while True:
            size = int(self.rfile.readline().split(b';')[0], 16)
            chunk = self.rfile.read(size + 2)[:size]
            if not size:
              self.rfile.readline()
              return b''.join(chunks)
            chunks.append(chunk)
        return self.rfile.read(int(self.headers.get('Content-Length') or 0))

      def _answer(self, status: int, body: bytes, headers=(),
                  length: Optional[str] = None) -> None:
        self.send_response(status)
        for name, value in headers:
          self.send_header(name, value)
        self.send_header('Content-Length', length or str(len(body)))
        self.end_headers()
        if self.command != 'HEAD':
          self.wfile.write(body)

      def _forward(self) -> None:
        body = self._body()
        line = ' '.join([self.command, self.path] + (
            [self.headers['Range']] if self.headers.get('Range') else []))
        with proxy._lock:
          proxy.requests.append(line)
          if proxy.deny_request and proxy.deny_request(line):
            self._answer(403, _ACCESS_DENIED, [('Content-Type', 'application/xml')])
            return
          if proxy.slow_downs_left > 0:
            proxy.slow_downs_left -= 1
            self._answer(503, _SLOW_DOWN, [('Content-Type', 'application/xml')])
            return
        if proxy.deny:
          self._answer(403, _ACCESS_DENIED, [('Content-Type', 'application/xml')])
          return
        if proxy.hold and proxy.hold(self.command, self.path):
          proxy.held.set()
          proxy._release.wait()
          self.close_connection = True
          return  # never forwarded: the store never sees it
        headers = {k: v for k, v in self.headers.items()
                   if k.lower() not in ('transfer-encoding', 'connection')}
        headers['Content-Length'] = str(len(body))
        with proxy._lock:
          proxy.in_flight += 1
          proxy.most_in_flight = max(proxy.most_in_flight, proxy.in_flight)
        try:
          time.sleep(proxy.delay_seconds)
          self._relay(body, headers)
        finally:
          with proxy._lock:
            proxy.in_flight -= 1

      def _relay(self, body: bytes, headers: Dict[str, str]) -> None:
        connection = http.client.HTTPConnection('127.0.0.1', proxy.target_port,
                                                timeout=60)
        try:
          connection.request(self.command, self.path, body=body, headers=headers)
          response = connection.getresponse()
          data = response.read()
          with proxy._lock:
            proxy.bytes_answered += len(data)
          kept = [(k, v) for k, v in response.getheaders()
                  if k.lower() not in ('transfer-encoding', 'connection',
                                       'content-length')]
          self._answer(response.status, data, kept,
                       response.getheader('Content-Length') if self.command == 'HEAD'
                       else None)
        finally:
          connection.close()

      do_GET = do_PUT = do_POST = do_DELETE = do_HEAD = _forward

    self._server = http.server.ThreadingHTTPServer(('127.0.0.1', 0), Handler)
    self._server.daemon_threads = True
    self.port = self._server.server_address[1]
    self.url = 'http://127.0.0.1:%d' % self.port
    self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)
    self._thread.start()

  def reset_counts(self) -> None:
    """Forgets the requests and bytes counted so far."""
    with self._lock:
      self.requests.clear()
      self.bytes_answered = self.most_in_flight = 0

  def release(self) -> None:
    """Lets the held requests go (unanswered: their connections are closed)."""
    self._release.set()

  def stop(self) -> None:
    self.release()
    self._server.shutdown()
    self._server.server_close()
