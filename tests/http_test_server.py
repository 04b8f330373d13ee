"""A real HTTP file server on 127.0.0.1 for download tests.

Serves the files of one directory with HTTP basic auth, Range requests (206 +
Content-Range, 416), and switches for the faults a downloader must survive: a server
that ignores Range, a connection cut after N body bytes, canned error statuses, and a
delay before each answer.
It counts the body bytes it sends and records every request.
"""

import base64
import http.server
import os
import re
import threading
import time
import urllib.parse
from typing import List, NamedTuple, Optional

_RANGE = re.compile(r'^bytes=(\d+)-(\d*)$')
_SEND_CHUNK = 16 * 1024


class RequestRecord(NamedTuple):
  path: str
  range: Optional[str]
  authorization: Optional[str]
  status: int


class FileServer(object):
  """Serves `directory` at `url` until `stop()`; use as a context manager or in tests'
  setUp/tearDown."""

  def __init__(self, directory: str, username: Optional[str] = None,
               access_key: Optional[str] = None):
    self.directory = directory
    self._expected_authorization = None
    if username is not None:
      token = base64.b64encode(('%s:%s' % (username, access_key)).encode()).decode()
      self._expected_authorization = 'Basic ' + token
    self.ignore_range = False
    self.cut_after_bytes: Optional[int] = None  # Body bytes before the cut.
    self.cuts_left = 0  # How many responses get cut.
    self.fail_statuses: List[int] = []  # Answered (in order) before serving normally,
    self.fail_after_requests = 0  # once this many requests have been served.
    self.delay_seconds = 0.0  # Waited before answering each request.
    self.bytes_sent = 0
    self.requests: List[RequestRecord] = []
    self._lock = threading.Lock()
    self._httpd = http.server.ThreadingHTTPServer(('127.0.0.1', 0),
                                                  self._handler_class())
    self._httpd.daemon_threads = True
    self._thread = threading.Thread(target=self._httpd.serve_forever,
                                    kwargs={'poll_interval': 0.05}, daemon=True)

  @property
  def url(self) -> str:
    return 'http://127.0.0.1:%d/data/' % self._httpd.server_address[1]

  def start(self) -> 'FileServer':
    self._thread.start()
    return self

  def stop(self) -> None:
    self._httpd.shutdown()
    self._httpd.server_close()
    self._thread.join()

  def __enter__(self) -> 'FileServer':
    return self.start()

  def __exit__(self, *unused_exc_info) -> None:
    self.stop()

  def cut_next(self, after_bytes: int, times: int = 1) -> None:
    """Cuts the next `times` responses' connections after `after_bytes` body bytes."""
    self.cut_after_bytes = after_bytes
    self.cuts_left = times

  def reset_counters(self) -> None:
    with self._lock:
      self.bytes_sent = 0
      self.requests = []

  def _handler_class(self):
    server = self

    class Handler(http.server.BaseHTTPRequestHandler):
      protocol_version = 'HTTP/1.1'

      def log_message(self, *unused_args):  # Quiet test logs.
        pass

      def _record(self, status: int) -> None:
        with server._lock:
          server.requests.append(RequestRecord(
              urllib.parse.unquote(self.path), self.headers.get('Range'),
              self.headers.get('Authorization'), status))

      def _send_empty(self, status: int, **headers) -> None:
        self._record(status)
        self.send_response(status)
        for key, value in headers.items():
          self.send_header(key.replace('_', '-'), value)
        self.send_header('Content-Length', '0')
        self.end_headers()

      def do_GET(self):  # pylint: disable=invalid-name
        if server.delay_seconds:
          time.sleep(server.delay_seconds)
        with server._lock:
          canned = None
          if server.fail_statuses and len(server.requests) >= server.fail_after_requests:
            canned = server.fail_statuses.pop(0)
        if canned is not None:
          self._send_empty(canned)
          return
        if (server._expected_authorization is not None and
            self.headers.get('Authorization') != server._expected_authorization):
          self._send_empty(401, WWW_Authenticate='Basic realm="ImageNet"')
          return
        name = os.path.basename(urllib.parse.unquote(urllib.parse.urlsplit(
            self.path).path))
        path = os.path.join(server.directory, name)
        if not name or not os.path.isfile(path):
          self._send_empty(404)
          return
        size = os.path.getsize(path)
        start, end, status = 0, size - 1, 200
        match = _RANGE.match(self.headers.get('Range') or '')
        if match and not server.ignore_range:
          start = int(match.group(1))
          end = min(int(match.group(2)), size - 1) if match.group(2) else size - 1
          if start >= size:
            self._send_empty(416, Content_Range='bytes */%d' % size)
            return
          status = 206
        self._record(status)
        self.send_response(status)
        self.send_header('Content-Type', 'application/octet-stream')
        self.send_header('Content-Length', str(end - start + 1))
        self.send_header('Accept-Ranges', 'none' if server.ignore_range else 'bytes')
        if status == 206:
          self.send_header('Content-Range', 'bytes %d-%d/%d' % (start, end, size))
        self.end_headers()
        with server._lock:
          limit = None
          if server.cuts_left > 0 and server.cut_after_bytes is not None:
            server.cuts_left -= 1
            limit = server.cut_after_bytes
        remaining = end - start + 1 if limit is None else min(limit, end - start + 1)
        try:
          with open(path, 'rb') as f:
            f.seek(start)
            while remaining > 0:
              chunk = f.read(min(_SEND_CHUNK, remaining))
              if not chunk:
                break
              with server._lock:  # Counted first: the client may be done at once.
                server.bytes_sent += len(chunk)
              self.wfile.write(chunk)
              remaining -= len(chunk)
          self.wfile.flush()
        except (BrokenPipeError, ConnectionResetError):
          self.close_connection = True  # The client hung up: fine.
          return
        if limit is not None:
          self.close_connection = True  # The client sees the body end early.

    return Handler
