"""Tests of inception.acquire._archive: what an archive must be, and md5sum files."""

from absl.testing import absltest

from inception import acquire
from inception.acquire import _archive
from inception.acquire import _verification


class ArchiveTest(absltest.TestCase):

  def test_names_and_expectation(self):
    archive = acquire.Archive('a.tar', 10, 'f' * 32, ('b.tar',))
    self.assertEqual(archive.names, ('a.tar', 'b.tar'))
    self.assertEqual(archive.expected, _verification.Expected(10, 'f' * 32))
    self.assertEqual(acquire.Archive('a.tar', None, 'f' * 32).names, ('a.tar',))


class ChecksumsTest(absltest.TestCase):

  def test_parse_md5sum_format(self):
    text = ('# comment\n\n'
            'D41D8CD98F00B204E9800998ECF8427E  a.tar\n'
            '0123456789abcdef0123456789abcdef *dir/b.tgz\n')
    self.assertEqual(_archive.parse_checksums_file(text), {
        'a.tar': 'd41d8cd98f00b204e9800998ecf8427e',
        'b.tgz': '0123456789abcdef0123456789abcdef'})

  def test_parse_error_names_file_and_line(self):
    with self.assertRaisesRegex(ValueError, r'MD5SUMS:2: not an md5sum line'):
      _archive.parse_checksums_file('%s  a\nxyz  b\n' % ('0' * 32), 'MD5SUMS')

  def test_read_checksums_file(self):
    path = self.create_tempfile(content='%s  a.tar\n' % ('0' * 32)).full_path
    self.assertEqual(acquire.read_checksums_file(path), {'a.tar': '0' * 32})


if __name__ == '__main__':
  absltest.main()
