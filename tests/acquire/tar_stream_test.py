"""Tests of inception.acquire._tar_stream: on tree-shaped tars of every kind tarfile
writes, the fast reader gives the regular files tarfile gives, or leaves the tar to
tarfile (NotPlain)."""

import gzip
import io
import tarfile

from absl.testing import absltest

from inception import acquire
from inception.acquire import _tar_stream
from tests import archives

_TREE = [('n%02d/n%02d_%d.xml' % (i % 3, i % 3, i), b'<a>%d</a>' % i * (1 + 40 * i))
         for i in range(9)]


def _tar(members=None, tar_format=tarfile.GNU_FORMAT):
  return archives.tar_bytes(_TREE if members is None else members,
                            tar_format=tar_format)


def _info(name, member_type, size=0, linkname=''):
  info = tarfile.TarInfo(name)
  info.type = member_type
  info.size = size
  info.linkname = linkname
  return info


def _tarfile_files(data):
  """What tarfile reads: (name, data) of each regular file."""
  with tarfile.open(fileobj=io.BytesIO(data), mode='r|') as tar:
    return [(member.name, tar.extractfile(member).read())
            for member in tar if member.isreg()]


def _end_of_members(data):
  with tarfile.open(fileobj=io.BytesIO(data)) as tar:
    tar.getmembers()
    return tar.offset


def _with_header_byte(data, member, position, value):
  """Tar `data` with one byte of member `member`'s header replaced, its checksum
  made right again."""
  with tarfile.open(fileobj=io.BytesIO(data)) as tar:
    offset = tar.getmembers()[member].offset
  header = bytearray(data[offset:offset + 512])
  header[position:position + 1] = value
  header[148:156] = b' ' * 8
  header[148:156] = b'%06o\x00 ' % sum(header)
  return data[:offset] + bytes(header) + data[offset + 512:]


_DIRECTORIES = [_info('n00', tarfile.DIRTYPE), _info('n00/', tarfile.DIRTYPE)]
_LONG = 'n01/' + 'x' * 120 + '.xml'

# {case: (tar bytes, whether the fast reader answers)}.
_CASES = {
    'gnu': (_tar(), True),
    'ustar': (_tar(tar_format=tarfile.USTAR_FORMAT), True),
    'pax, plain names': (_tar(tar_format=tarfile.PAX_FORMAT), True),
    'directories': (_tar(_DIRECTORIES + _TREE + [_info('n01/sub', tarfile.DIRTYPE)]),
                    True),
    'flat names': (_tar([('a.xml', b'a'), ('b.txt', b'')]), True),
    'deep names': (_tar([('a/b/c/d.xml', b'd')]), True),
    'a directory twice': (_tar(_DIRECTORIES * 2 + _TREE), True),
    'trailing garbage': (_tar() + b'garbage' * 100, True),
    'dot slash names': (_tar([('./' + name, data) for name, data in _TREE]), False),
    'dot segment': (_tar([('n00/./a.xml', b'a')]), False),
    'dot dot segment': (_tar([('n00/../a.xml', b'a')]), False),
    'absolute name': (_tar([('/etc/a.xml', b'a')]), False),
    'backslash': (_tar([('n00\\a.xml', b'a')]), False),
    'drive': (_tar([('c:a.xml', b'a')]), False),
    'duplicate file': (_tar(_TREE + [_TREE[4]]), False),
    'gnu long name': (_tar(_TREE + [(_LONG, b'long')]), False),
    'pax long name': (_tar(_TREE + [(_LONG, b'long')], tarfile.PAX_FORMAT), False),
    'non-ascii name': (_tar([('caf\xe9/a.xml', b'x')] + _TREE), False),
    'directory with data': (_with_header_byte(
        _tar(_TREE[:2] + [_info('n05', tarfile.DIRTYPE)] + _TREE[2:]), 2, 134, b'1'),
                            False),
    'symlink': (_tar(_TREE + [_info('n00/s.xml', tarfile.SYMTYPE,
                                    linkname=_TREE[0][0])]), False),
    'hard link': (_tar(_TREE + [_info('n00/h.xml', tarfile.LNKTYPE,
                                      linkname=_TREE[0][0])]), False),
    'fifo': (_tar([_info('n00/p.xml', tarfile.FIFOTYPE)] + _TREE), False),
    'file named like a directory': (_with_header_byte(
        _tar([('n00/a', b'')] + _TREE), 0, 5, b'/'), False),
    'ustar prefix': (_with_header_byte(_tar(tar_format=tarfile.USTAR_FORMAT), 1, 345,
                                       b'd'), False),
    'bad checksum': (_tar()[:2] + b'9' + _tar()[3:], False),
    'one zero block': (_tar()[:_end_of_members(_tar()) + 512], False),
    'cut on a member boundary': (archives.cut_before_member(_tar(), 3), False),
    'cut in member data': (_tar()[:3000], False),
    'zero blocks only': (bytes(10240), False),
    'empty file': (b'', False),
    'not a tar': (b'JFIF' * 3000, False),
    'v7 header': (_with_header_byte(_tar(), 0, 257, b'\x00'), False),
}


class TarStreamTest(absltest.TestCase):

  def test_the_fast_reader_gives_tarfile_s_files_or_leaves_the_tar_to_it(self):
    for case, (data, plain) in _CASES.items():
      for piece_size in (1, 700, 1 << 22):
        with self.subTest(case=case, piece_size=piece_size):
          files = acquire.plain_tree_files(io.BytesIO(data), piece_size)
          if plain:
            self.assertEqual(list(files), _tarfile_files(data))
          else:
            with self.assertRaises(acquire.NotPlain):
              list(files)

  def test_files_of_checked_batches_come_before_a_refusal(self):
    # A caller reading the rest with tarfile skips the files already given.
    data = _tar(_TREE + [(_LONG, b'long')])
    given = []
    with self.assertRaises(acquire.NotPlain):
      for name, content in _tar_stream.plain_tree_files(io.BytesIO(data),
                                                        batch_size=4):
        given.append((name, content))
    self.assertEqual(given, _TREE[:8])

  def test_a_gzip_stream_is_read_to_its_end(self):
    # The gzip module checks the CRC at the end: the reader must get there.
    data = bytearray(archives.tar_bytes(_TREE, mode='w:gz'))
    data[-8] ^= 1  # the CRC-32
    with self.assertRaises(OSError):
      list(acquire.plain_tree_files(
          gzip.GzipFile(fileobj=io.BytesIO(bytes(data)))))


if __name__ == '__main__':
  absltest.main()
