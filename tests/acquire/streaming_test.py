"""Tests of inception.acquire._streaming: extracting image tarballs as they download,
from a real HTTP server on 127.0.0.1 (FetchOptions.extract_while_downloading)."""

import hashlib
import json
import os
import threading

from absl.testing import absltest

from inception import acquire
from inception import demo
from inception.acquire import _options
from inception.acquire import _streaming
from inception.acquire import _verification
from tests import archives
from tests import file_trees
from tests import http_test_server
from tests.acquire import fetch_fixtures

_USER = 'grace'
_KEY = 'stream-key-0123'
_CHUNK = fetch_fixtures.CHUNK
_TRAIN_TAR = fetch_fixtures.TRAIN_TAR
_VALIDATION_TAR = fetch_fixtures.VALIDATION_TAR
_TEST_TAR = fetch_fixtures.TEST_TAR
_IMAGE_TARS = (_VALIDATION_TAR, _TEST_TAR, _TRAIN_TAR)
# Where the image tarballs go: the layout of raw-data/ (inception.imagenet's).
_TRAIN_DIRNAME = 'train'
_VALIDATION_DIRNAME = 'validation'


def _read(path):
  with open(path, 'rb') as f:
    return f.read()


def _tree(data_dir):
  """Every file under `data_dir`, stamps without the tarballs' mtimes."""
  tree = {}
  for name, data in file_trees.file_contents(data_dir).items():
    if name.endswith('.extracted'):
      stamp = json.loads(data)
      del stamp['archive']['mtime_ns']
      data = stamp
    elif name.endswith(acquire.STAMP_SUFFIX):
      data = data.split()[:2]  # md5, size
    tree[name] = data
  return tree


def _downloads(data_dir):
  return os.path.join(data_dir, 'downloads')


def _raw_dir(data_dir):
  return os.path.join(data_dir, 'raw-data')


def _extractions(raw_dir):
  """How each image tarball is extracted into raw_dir."""
  return {_TRAIN_TAR: acquire.Extraction(acquire.CLASS_TARS, raw_dir, _TRAIN_DIRNAME),
          _VALIDATION_TAR: acquire.Extraction(acquire.FLAT, raw_dir,
                                              _VALIDATION_DIRNAME),
          _TEST_TAR: acquire.Extraction(acquire.FLAT, raw_dir, 'test')}


def _extract_all(data_dir, names=_IMAGE_TARS):
  """The extraction of the image tarballs `names` in data_dir's downloads/, after the
  download: {name: what it returned}."""
  extractions = _extractions(_raw_dir(data_dir))
  return {name: acquire.extract(os.path.join(_downloads(data_dir), name),
                                extractions[name])
          for name in names}


class StreamExtractTest(absltest.TestCase):

  @classmethod
  def setUpClass(cls):
    super().setUpClass()
    root = absltest.TEST_TMPDIR.value
    cls.fixture = demo.generate(os.path.join(root, 'fixture'), demo.Config(
        num_classes=3, images_per_class=4, num_validation_images=6, num_test_images=2,
        min_side=64, max_side=64))
    cls.checksums = acquire.read_checksums_file(cls.fixture.checksums_file)
    # Download, then extract: what streaming must give.
    cls.reference_dir = os.path.join(root, 'reference')
    acquire.fetch_all(_downloads(cls.reference_dir), cls.fixture.directory,
                      fetch_fixtures.archives(_IMAGE_TARS, cls.checksums))
    _extract_all(cls.reference_dir)
    cls.reference = _tree(cls.reference_dir)

  def setUp(self):
    super().setUp()
    self.server = http_test_server.FileServer(self.fixture.directory, _USER,
                                              _KEY).start()
    self.addCleanup(self.server.stop)
    self.data_dir = self.create_tempdir().full_path
    self.downloads = _downloads(self.data_dir)
    self.raw_dir = _raw_dir(self.data_dir)

  def fetch(self, files=_IMAGE_TARS, checksums=None, **kwargs):
    options = dict(credentials=acquire.Credentials(_USER, _KEY), chunk_size=_CHUNK,
                   backoff_seconds=0.0, progress_interval=0.0,
                   extract_while_downloading=_extractions(self.raw_dir))
    options.update(kwargs)
    return acquire.fetch_all(
        self.downloads, self.server.url,
        fetch_fixtures.archives(files, checksums or self.checksums),
        acquire.FetchOptions(**options))

  def path(self, name):
    return os.path.join(self.downloads, name)

  def extraction_stamp(self, name):
    return os.path.join(self.raw_dir, '.%s.extracted' % name)

  def assert_like_the_reference(self):
    self.assertEqual(_tree(self.data_dir), self.reference)

  def test_same_tree_and_stamps_as_download_then_extract(self):
    summary = self.fetch()
    self.assertEqual([r.action for r in summary.files],
                     ['downloaded, extracted as it came'] * 3)
    self.assert_like_the_reference()
    # Each tarball was sent once, and the extraction afterwards reads none of them.
    self.assertEqual(self.server.bytes_sent,
                     sum(os.path.getsize(self.path(n)) for n in _IMAGE_TARS))
    stamps = {n: os.stat(self.extraction_stamp(n)).st_mtime_ns for n in _IMAGE_TARS}
    train_tar = self.path(_TRAIN_TAR)
    before = os.stat(train_tar)
    with open(train_tar, 'r+b') as f:
      f.seek(600)  # Spoilt in place (size and mtime kept): only a read would see it.
      f.write(b'\0' * 512)
    os.utime(train_tar, ns=(before.st_atime_ns, before.st_mtime_ns))
    result = _extract_all(self.data_dir)
    self.assertEqual(result[_TRAIN_TAR], self.fixture.train_counts)
    self.assertEqual({n: os.stat(self.extraction_stamp(n)).st_mtime_ns
                      for n in _IMAGE_TARS}, stamps)

  def test_transfer_broken_in_the_middle_resumes_and_the_extraction_is_right(self):
    name = _TRAIN_TAR
    cut = os.path.getsize(os.path.join(self.fixture.directory, name)) // 3
    self.server.cut_next(cut, times=2)
    with self.assertLogs(level='INFO') as logs:
      summary = self.fetch([name])
    self.assertEqual(summary.files[0].action, 'resumed, extracted as it came')
    log = '\n'.join(logs.output)
    self.assertNotIn('started over', log)  # Issue 24, item 10: it resumed.
    for offset in (cut, 2 * cut):
      self.assertIn('%s: resuming the download at byte %d' % (name, offset), log)
    self.assertEqual([r.range for r in self.server.requests],
                     [None, 'bytes=%d-' % cut, 'bytes=%d-' % (2 * cut)])
    reference = _tree(_raw_dir(self.reference_dir))
    self.assertEqual(_tree(self.raw_dir), {
        n: data for n, data in reference.items()
        if n.startswith(('train' + os.sep, '.' + name))})

  def test_failed_download_keeps_the_partial_and_marks_nothing_done(self):
    name = _TRAIN_TAR
    size = os.path.getsize(os.path.join(self.fixture.directory, name))
    cut = size * 2 // 3  # Past the first class tars.
    self.server.cut_next(cut, times=1)
    with self.assertRaisesRegex(acquire.DownloadError, 'next run resumes from there'):
      self.fetch([name], max_attempts=1)
    self.assertEqual(os.path.getsize(self.path(name) + _options.PARTIAL_SUFFIX), cut)
    self.assertFalse(os.path.exists(self.path(name)))
    self.assertFalse(os.path.exists(self.extraction_stamp(name)))
    train_dir = os.path.join(self.raw_dir, _TRAIN_DIRNAME)
    self.assertEqual(os.listdir(train_dir) if os.path.isdir(train_dir) else [], [])
    self.assertEqual(acquire.files_needing_fetch(
        self.downloads, fetch_fixtures.archives([name], self.checksums)), [name])

    self.server.reset_counters()
    summary = self.fetch([name])
    self.assertEqual(summary.files[0].action, 'resumed, extracted as it came')
    self.assertEqual([r.range for r in self.server.requests], ['bytes=%d-' % cut])
    self.assertEqual(self.server.bytes_sent, size - cut)
    self.assertEqual(_read(self.path(name)),
                     _read(os.path.join(self.fixture.directory, name)))
    self.assertEqual(_extract_all(self.data_dir, [name])[name],
                     self.fixture.train_counts)
    self.assertEqual(
        file_trees.file_contents(os.path.join(self.raw_dir, _TRAIN_DIRNAME)),
        file_trees.file_contents(os.path.join(self.reference_dir, 'raw-data',
                                              _TRAIN_DIRNAME)))

  def test_resumed_download_logs_that_it_resumed(self):
    # Issue 24, item 10: a download resumed from its .partial logged "the download
    # started over from byte 0".
    name = _TRAIN_TAR
    data = _read(os.path.join(self.fixture.directory, name))
    cut = len(data) // 2
    os.makedirs(self.downloads)
    with open(self.path(name) + _options.PARTIAL_SUFFIX, 'wb') as f:
      f.write(data[:cut])
    with self.assertLogs(level='INFO') as logs:
      summary = self.fetch([name])
    self.assertEqual(summary.files[0].action, 'resumed, extracted as it came')
    self.assertEqual([r.range for r in self.server.requests], ['bytes=%d-' % cut])
    log = '\n'.join(logs.output)
    self.assertIn('%s: resuming the download at byte %d of %s' % (
        name, cut, self.path(name) + _options.PARTIAL_SUFFIX), log)
    self.assertNotIn('started over', log)

  def test_fresh_download_starts_nothing_over(self):
    with self.assertLogs(level='INFO') as logs:
      summary = self.fetch()
    self.assertEqual([r.action for r in summary.files],
                     ['downloaded, extracted as it came'] * 3)
    log = '\n'.join(logs.output)
    self.assertNotIn('started over', log)
    self.assertNotIn('resuming', log)

  def test_wrong_md5_leaves_nothing_extracted_and_moves_the_file_aside(self):
    wrong = dict(self.checksums)
    wrong[_TRAIN_TAR] = wrong[_VALIDATION_TAR] = '0' * 32
    for name in (_VALIDATION_TAR, _TRAIN_TAR):
      with self.subTest(name=name):
        with self.assertRaisesRegex(
            acquire.ChecksumMismatch, '%s: MD5 mismatch: expected 0{32}, actual %s; '
            'the file was moved aside to .*; extracted while it downloaded: '
            '(everything|nothing) extracted from it .*(removed|kept)'
            % (name, self.checksums[name])):
          self.fetch([name], checksums=wrong)
        self.assertFalse(os.path.lexists(self.path(name)))
        self.assertFalse(os.path.exists(self.path(name) + _options.PARTIAL_SUFFIX))
        self.assertTrue(os.path.exists(self.path(name) + _verification.BAD_MD5_INFIX +
                                       self.checksums[name]))
        self.assertFalse(os.path.exists(self.extraction_stamp(name)))
    self.assertFalse(os.path.exists(os.path.join(self.raw_dir, _TRAIN_DIRNAME)))
    self.assertFalse(os.path.exists(os.path.join(self.raw_dir,
                                                 _VALIDATION_DIRNAME)))
    self.assertEqual(os.listdir(self.raw_dir), [])  # No staging left either.

  def test_server_ignoring_range_restarts_the_extraction_cleanly(self):
    name = _TRAIN_TAR
    # An earlier partial download of another archive: a class the real one lacks.
    other = archives.tar_bytes([
        ('n99999999.tar', archives.tar_bytes([('n99999999_1.JPEG', b'x' * 3000)])),
        ('n99999998.tar', archives.tar_bytes([('n99999998_1.JPEG', b'y' * 3000)]))])
    os.makedirs(self.downloads)
    with open(self.path(name) + _options.PARTIAL_SUFFIX, 'wb') as f:
      f.write(archives.cut_before_member(other, 1))
    self.server.ignore_range = True
    self.server.delay_seconds = 0.5  # The extraction reads the old bytes meanwhile.
    with self.assertLogs(level='INFO') as logs:
      summary = self.fetch([name])
    self.assertIn(
        '%s: the download started over from byte 0 (the server ignored the Range '
        'request for byte %d on); extracting it again from the start' % (
            name, len(archives.cut_before_member(other, 1))),
        '\n'.join(logs.output))
    self.assertEqual(summary.files[0].action, 'downloaded, extracted as it came')
    self.assertEqual(self.server.requests[0].status, 200)
    self.assertEqual(
        file_trees.file_contents(os.path.join(self.raw_dir, _TRAIN_DIRNAME)),
        file_trees.file_contents(os.path.join(self.reference_dir, 'raw-data',
                                              _TRAIN_DIRNAME)))
    self.assertEqual(_extract_all(self.data_dir, [name])[name],
                     self.fixture.train_counts)

  def test_archive_cut_short_with_a_matching_md5_is_a_corrupt_archive(self):
    name = _TRAIN_TAR
    served = self.create_tempdir().full_path
    cut = archives.cut_before_member(
        _read(os.path.join(self.fixture.directory, name)), 2)
    with open(os.path.join(served, name), 'wb') as f:
      f.write(cut)
    server = http_test_server.FileServer(served).start()
    self.addCleanup(server.stop)
    archive = [acquire.Archive(name, None, hashlib.md5(cut).hexdigest())]
    with self.assertRaisesRegex(acquire.CorruptArchiveError,
                                '%s: truncated' % name) as raised:
      acquire.fetch_all(self.downloads, server.url, archive, acquire.FetchOptions(
          chunk_size=_CHUNK, backoff_seconds=0.0, progress_interval=0.0,
          extract_while_downloading=_extractions(self.raw_dir)))
    # The download passed its MD5 before the extraction's error was raised: the
    # tarball is in place and verified, for the caller to set aside
    # (set_aside_corrupt); nothing is stamped extracted.
    self.assertEqual(raised.exception.archive_path, self.path(name))
    self.assertEqual(_read(self.path(name)), cut)
    self.assertEqual(acquire.files_needing_fetch(self.downloads, archive), [])
    self.assertFalse(os.path.exists(self.extraction_stamp(name)))

  def test_directory_source_extracts_nothing_while_fetching(self):
    summary = acquire.fetch_all(
        self.downloads, self.fixture.directory,
        fetch_fixtures.archives(_IMAGE_TARS, self.checksums),
        acquire.FetchOptions(extract_while_downloading=_extractions(self.raw_dir)))
    self.assertEqual([r.action for r in summary.files], ['copied'] * 3)
    self.assertFalse(os.path.exists(self.raw_dir))


class GrowingFileReaderTest(absltest.TestCase):
  """The reader over a file another thread writes, told by a Feed."""

  def setUp(self):
    super().setUp()
    self.partial = os.path.join(self.create_tempdir().full_path, 'x.partial')

  def test_reads_wait_for_the_bytes_and_see_a_restart(self):
    feed = _streaming.Feed(self.partial)
    may_write = threading.Event()

    def write():
      with open(self.partial, 'wb') as f:
        f.write(b'abc')
        f.flush()
        feed.on_disk(3)
        may_write.wait()
        f.write(b'def')
        f.flush()
        feed.on_disk(6)
      return 'done'

    thread = threading.Thread(target=feed.run, args=(write,))
    thread.start()
    reader = _streaming.GrowingFileReader(feed, feed.epoch, 'x')
    self.assertEqual(reader.read(2), b'ab')
    threading.Timer(0.2, may_write.set).start()
    self.assertEqual(reader.read(3), b'cde')  # Waited for 'de'.
    self.assertEqual(reader.read(), b'f')  # To the end: waited for the download's.
    thread.join()
    self.assertEqual(feed.outcome(), ('done', None, 0))
    reader.seek(1)
    self.assertEqual(reader.read(10), b'bcdef')
    feed.restarting('the server ignored the Range request')
    with self.assertRaisesRegex(_streaming.Restarted,
                                '^the server ignored the Range request$'):
      reader.read(1)
    feed.close()

  def test_a_restart_with_no_byte_on_disk_restarts_nothing(self):
    feed = _streaming.Feed(self.partial)
    epoch = feed.epoch
    feed.on_disk(0)
    feed.restarting('the server sent the whole file')  # A fresh download's start.
    self.assertEqual(feed.epoch, epoch)
    feed.check_epoch(epoch)
    self.assertEqual(feed.restart_reason, '')

  def test_a_failed_download_stops_the_reader(self):
    feed = _streaming.Feed(self.partial)

    def fail():
      raise acquire.DownloadError('x: broken')

    feed.run(fail)
    reader = _streaming.GrowingFileReader(feed, feed.epoch, 'x')
    with self.assertRaises(_streaming.DownloadStopped):
      reader.read(1)
    self.assertIsInstance(feed.outcome()[1], acquire.DownloadError)


if __name__ == '__main__':
  absltest.main()
