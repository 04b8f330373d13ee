"""Tests of inception.acquire._options: how fetch_all fetches, and what it did."""

from absl.testing import absltest

from inception import acquire
from inception.acquire import _options


class FetchOptionsTest(absltest.TestCase):

  def test_defaults(self):
    options = acquire.FetchOptions()
    self.assertIsNone(options.credentials)
    self.assertIsNone(options.login)
    self.assertEqual(options.link_mode, 'copy')
    self.assertEmpty(options.verify_on_first_read)
    self.assertIsNone(options.extract_while_downloading)
    self.assertEqual((options.chunk_size, options.max_attempts,
                      options.backoff_seconds, options.progress_interval),
                     (1 << 20, 5, 1.0, 10.0))

  def test_frozen(self):
    with self.assertRaises(AttributeError):
      acquire.FetchOptions().link_mode = 'symlink'


class FetchSummaryTest(absltest.TestCase):

  def test_paths_and_bytes(self):
    summary = acquire.FetchSummary([
        _options.FileResult('a.tar', '/d/a.tar', 'downloaded', 10, 1.0),
        _options.FileResult('b.tar', '/d/b.tar', 'already verified', 0, 0.0)])
    self.assertEqual(summary.paths, {'a.tar': '/d/a.tar', 'b.tar': '/d/b.tar'})
    self.assertEqual(summary.bytes_transferred, 10)


if __name__ == '__main__':
  absltest.main()
