"""Extracting a tarball while it downloads: one pass over its bytes in all.

The download runs in a thread (its retries, HTTP Range resume and MD5 unchanged) and
tells a `Feed` how many bytes of `<name>.partial` are on disk (flushed) and when it
starts the file over from byte 0, and why (a download resumed from its .partial reads
its bytes on disk first; a fresh one starts nothing over). The extraction reads the same file through a
`GrowingFileReader`, which waits for the bytes it asks for, so it reads them from the
page cache just after the download wrote them.

The download's MD5 decides, as for any download: the extraction's output counts only
once the download has finished and matched (`Stream.open`). Whatever else happens,
what the extraction produced is discarded (its `discard` callback) and nothing is
stamped extracted:
  - the MD5 or size is wrong: the download moved the file aside; ChecksumMismatch;
  - the download failed (retries exhausted, refused): its error, the .partial kept
    for the next run to resume;
  - the download started over from byte 0 (a server ignoring Range, a partial file
    longer than the file): the extraction had read bytes that are gone, so it is
    abandoned (`Restarted`) and run again from the start over the new bytes;
  - the extraction itself failed (an error the download cannot cure, or an
    interruption): the download is stopped, the .partial kept.
An extraction error that a bad copy could cause (`check_after`, e.g. a corrupt
archive) waits for the download to end first, as a pending tarball's read does
(_verification.verifying_read): a wrong MD5 is then the error reported; a right one
leaves the extraction's error standing.
"""

import contextlib
import os
import threading
from typing import Any, Callable, IO, Iterator, Optional, Tuple, Type

from absl import logging

from inception.acquire import _verification

# How long to wait for a stopped download thread (it may sit in a socket read).
_STOP_TIMEOUT_SECONDS = 30.0


class Restarted(Exception):
  """The download started the file over: what was read from it before is gone.

  Its message says why (the server ignored the Range request, ...)."""


class DownloadStopped(Exception):
  """The download ended with an error while the extraction was reading it."""


class DownloadCancelled(Exception):
  """Raised in the download thread to stop it (the extraction failed)."""


class Feed(object):
  """What the download thread tells the reader: bytes on disk, restarts, the end.

  The download calls `restarting(reason)` before it truncates the file,
  `on_disk(size)` after the first `size` bytes are written and flushed, and
  `sleep(seconds)` to wait between attempts; `on_disk` and `sleep` raise
  DownloadCancelled once `cancel()` was called. A restart while no byte is on disk
  (a fresh download's first answer) changes nothing for the reader.
  """

  def __init__(self, partial: str):
    self.partial = partial
    self._condition = threading.Condition()
    self._available = 0
    self._epoch = 0
    self._restart_reason = ''
    self._finished = False
    self._result: Any = None
    self._error: Optional[BaseException] = None
    self._cancelled = threading.Event()
    self._fd: Optional[int] = None

  # The download's side.

  def restarting(self, reason: str) -> None:
    with self._condition:
      if not self._available:
        return  # Nothing on disk: the reader cannot have read a byte of it.
      self._epoch += 1
      self._restart_reason = reason
      self._available = 0
      self._condition.notify_all()

  def on_disk(self, size: int) -> None:
    if self._cancelled.is_set():
      raise DownloadCancelled()
    with self._condition:
      if self._fd is None and size:
        # Opened while the download holds the name; a rename keeps it valid.
        self._fd = os.open(self.partial, os.O_RDONLY | getattr(os, 'O_CLOEXEC', 0))
      self._available = size
      self._condition.notify_all()

  def sleep(self, seconds: float) -> None:
    if self._cancelled.wait(seconds):
      raise DownloadCancelled()

  def run(self, download: Callable[[], Any]) -> None:
    """The thread's body: runs `download()`, then records its result or error."""
    result, error = None, None
    try:
      result = download()
    except BaseException as e:  # pylint: disable=broad-except  (handed over)
      error = e
    with self._condition:
      self._result, self._error, self._finished = result, error, True
      self._condition.notify_all()

  # The reader's side.

  def cancel(self) -> None:
    self._cancelled.set()

  @property
  def epoch(self) -> int:
    with self._condition:
      return self._epoch

  def wait_for(self, end: Optional[int], epoch: int) -> Tuple[Optional[int], int]:
    """Waits until bytes [0, end) are on disk (None: the download ended), at `epoch`.

    Returns (the file descriptor, bytes on disk) to read from.

    Raises:
      Restarted: the download started over since `epoch`.
      DownloadStopped: the download failed.
    """
    with self._condition:
      while True:
        if self._epoch != epoch:
          raise Restarted(self._restart_reason)
        if self._finished and self._error is not None:
          raise DownloadStopped()
        if self._finished or (end is not None and self._available >= end):
          return self._fd, self._available
        self._condition.wait()

  def check_epoch(self, epoch: int) -> None:
    with self._condition:
      if self._epoch != epoch:
        raise Restarted(self._restart_reason)

  def outcome(self) -> Tuple[Any, Optional[BaseException], int]:
    """Waits for the download to end; (its result, its error, the last epoch)."""
    with self._condition:
      while not self._finished:
        self._condition.wait()
      return self._result, self._error, self._epoch

  @property
  def restart_reason(self) -> str:
    """Why the download last started over ('' if it never did)."""
    with self._condition:
      return self._restart_reason

  def close(self) -> None:
    with self._condition:
      if self._fd is not None:
        os.close(self._fd)
        self._fd = None


class GrowingFileReader(_verification.PositionedReader):
  """A seekable binary reader of the file a download is writing (one epoch of it).

  A read waits until the bytes it asks for are on disk, or the download ended (then
  it returns what there is, as a file does at its end).
  """

  def __init__(self, feed: Feed, epoch: int, name: str):
    super().__init__(name)
    self._feed = feed
    self._epoch = epoch

  def _size(self) -> int:
    # The whole file: waits for the download's end (as a seek from the end must).
    _, size = self._feed.wait_for(None, self._epoch)
    return size

  def read(self, size: int = -1) -> bytes:
    end = None if size is None or size < 0 else self._position + size
    fd, available = self._feed.wait_for(end, self._epoch)
    count = (available if end is None else min(end, available)) - self._position
    if fd is None or count <= 0:
      return b''
    data = os.pread(fd, count, self._position)
    # Truncated while it was read: the bytes may be of the new file.
    self._feed.check_epoch(self._epoch)
    self._position += len(data)
    return data

  def close(self) -> None:
    pass


class Stream(object):
  """The tarball being downloaded, as the extraction opens it (`open`)."""

  def __init__(self, feed: Feed, name: str, size: Optional[int],
               check_after: Tuple[Type[BaseException], ...] = ()):
    self.name = name
    self.size = size
    self._feed = feed
    self._check_after = check_after
    self.opened = False

  def _settled(self, epoch: int, discard: Callable[[], str],
               drop: Callable[[], str]) -> None:
    """Waits for the download to end; raises unless it ended well at `epoch`."""
    try:
      _, error, last_epoch = self._feed.outcome()
    except BaseException:  # Interrupted while waiting: the bytes stay unverified.
      self._feed.cancel()
      drop()
      raise
    if error is None and last_epoch == epoch:
      return
    if last_epoch != epoch:
      drop()
      raise Restarted(self._feed.restart_reason)
    if isinstance(error, _verification.ChecksumMismatch):
      raise _with_consequence(error, discard())
    drop()
    raise error

  @contextlib.contextmanager
  def open(self, discard: Callable[[], str],
           drop: Optional[Callable[[], str]] = None) -> Iterator[IO[bytes]]:
    """The reader for the extraction's body; on its end, the download decides.

    Args:
      discard: for a wrong tarball: removes everything made from it (and says what).
      drop: for a download that failed, was stopped or started over: removes what
        this read wrote (its bytes are unverified); default `discard`.
    """
    drop = drop or discard
    self.opened = True
    epoch = self._feed.epoch
    try:
      yield GrowingFileReader(self._feed, epoch, self.name)
    except Restarted:
      drop()
      raise
    except DownloadStopped:
      self._settled(epoch, discard, drop)  # Raises the download's error (it has one).
      raise
    except self._check_after as failure:
      logging.warning('%s: %s; finishing the download to check its MD5', self.name,
                      failure)
      try:
        self._settled(epoch, discard, drop)
      except Restarted:
        raise
      except BaseException as error:  # The download's verdict wins.
        raise error from failure
      raise
    except BaseException:
      self._feed.cancel()
      drop()
      raise
    self._settled(epoch, discard, drop)


def _with_consequence(error: _verification.ChecksumMismatch,
                      discarded: str) -> _verification.ChecksumMismatch:
  """The download's ChecksumMismatch, saying also what the extraction discarded."""
  return _verification.ChecksumMismatch(
      error.name, error.what, error.expected, error.actual, error.moved_to,
      '; extracted while it downloaded: %s. The next run fetches it again' % discarded)


def extract_while_downloading(download: Callable[[Feed], Any], partial: str,
                              name: str, size: Optional[int],
                              extract: Callable[[Stream], Any],
                              check_after: Tuple[Type[BaseException], ...] = ()
                              ) -> Tuple[Any, Any]:
  """Runs `download(feed)` in a thread and `extract(stream)` here, over one file.

  Args:
    download: fetches into `partial`, telling `feed` (see Feed); returns its result.
    partial: the file the download writes.
    name: the tarball's name, for messages.
    size: its expected size (None if unknown), for the extraction's progress.
    extract: reads the tarball through `stream.open(discard)`; run again from the
      start if the download starts over.
    check_after: errors of `extract` that a wrong download could cause: the download
      is finished and checked before one is raised.

  Returns:
    (the download's result, the extraction's result).

  Raises:
    The download's error (ChecksumMismatch, DownloadError), or the extraction's.
  """
  feed = Feed(partial)
  thread = threading.Thread(target=feed.run, args=(lambda: download(feed),),
                            name='download %s' % name, daemon=True)
  thread.start()
  try:
    while True:
      stream = Stream(feed, name, size, check_after)
      try:
        value = extract(stream)
      except Restarted as restart:
        logging.warning('%s: the download started over from byte 0 (%s); extracting '
                        'it again from the start', name, restart)
        continue
      if not stream.opened:
        raise ValueError('%s: the extraction did not read the download' % name)
      result, error, _ = feed.outcome()
      if error is not None:
        raise error
      return result, value
  finally:
    feed.cancel()
    thread.join(_STOP_TIMEOUT_SECONDS)
    if thread.is_alive():
      logging.warning('%s: the download thread did not stop within %.0f s', name,
                      _STOP_TIMEOUT_SECONDS)
    else:
      feed.close()
