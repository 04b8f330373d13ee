"""Tests of inception.acquire._tar_headers: on archives of every kind tarfile writes,
the fast header reader gives the index that tarfile gives, or leaves the archive to
tarfile, and the index functions then give tarfile's index or its error."""

import contextlib
import io
import os
import sys
import tarfile
import threading

from absl.testing import absltest

from inception import acquire
from inception import core
from inception.acquire import _tar_headers
from inception.acquire import _tar_index
from tests import archives

_PLAIN = [('a%d.JPEG' % i, bytes([i]) * (700 + 37 * i)) for i in range(5)]
_LONG_NAME = 'n01440764_' + 'x' * 100 + '.JPEG'


def _tar(members=None, tar_format=tarfile.GNU_FORMAT):
  return archives.tar_bytes(_PLAIN if members is None else members,
                            tar_format=tar_format)


def _info(name, member_type, linkname=''):
  info = tarfile.TarInfo(name)
  info.type = member_type
  info.linkname = linkname
  return info


def _header_offset(data, member):
  with tarfile.open(fileobj=io.BytesIO(data)) as tar:
    return tar.getmembers()[member].offset


def _end_of_members(data):
  """Where the end-of-archive marker of tar `data` starts."""
  with tarfile.open(fileobj=io.BytesIO(data)) as tar:
    tar.getmembers()
    return tar.offset


def _with_field(data, member, start, field, keep_checksum=False):
  """Tar `data` with bytes [start, start + len(field)) of member `member`'s header
  replaced, and its checksum made right again (as tarfile writes it) unless
  `keep_checksum`."""
  offset = _header_offset(data, member)
  header = bytearray(data[offset:offset + 512])
  header[start:start + len(field)] = field
  if not keep_checksum:
    header[148:156] = b' ' * 8
    header[148:156] = b'%06o\x00 ' % sum(header)
  return data[:offset] + bytes(header) + data[offset + 512:]


# {case: (tar bytes, whether the fast reader answers for it as a whole file, as a
# class tar inside a train tar)}.
_CASES = {
    'gnu': (_tar(), True, True),
    'ustar': (_tar(tar_format=tarfile.USTAR_FORMAT), True, True),
    'pax': (_tar(tar_format=tarfile.PAX_FORMAT), True, True),
    'dot slash names': (_tar([('./' + name, data) for name, data in _PLAIN]),
                        True, True),
    'empty files': (_tar([('e.JPEG', b''), ('f.JPEG', b'')]), True, True),
    'a name of 100 bytes': (_tar([('b' * 95 + '.JPEG', b'x')] + _PLAIN), True, True),
    'numbers padded with spaces': (_with_field(_tar(), 1, 100, b'  644 \x00 '),
                                   True, True),
    'trailing garbage': (_tar() + b'garbage' * 100, True, True),
    'one zero block': (_tar()[:_end_of_members(_tar()) + 512], False, True),
    'gnu long name': (_tar(_PLAIN + [(_LONG_NAME, b'long')]), False, False),
    'pax long name': (_tar(_PLAIN + [(_LONG_NAME, b'long')], tarfile.PAX_FORMAT),
                      False, False),
    'pax non-ascii name': (_tar([('caf\xe9.JPEG', b'x')] + _PLAIN,
                                tarfile.PAX_FORMAT), False, False),
    'gnu non-ascii name': (_tar([('caf\xe9.JPEG', b'x')]), False, False),
    'directory': (_tar(_PLAIN[:2] + [_info('d', tarfile.DIRTYPE)]), False, False),
    'symlink': (_tar(_PLAIN[:2] + [_info('s.JPEG', tarfile.SYMTYPE, 'a0.JPEG')]),
                False, False),
    'hard link': (_tar(_PLAIN[:2] + [_info('h.JPEG', tarfile.LNKTYPE, 'a0.JPEG')]),
                  False, False),
    'fifo': (_tar([_info('p.JPEG', tarfile.FIFOTYPE)] + _PLAIN), False, False),
    'contiguous file': (_with_field(_tar(), 0, 156, b'7'), False, False),
    'subdirectory': (_tar(_PLAIN + [('a/b.JPEG', b'x')]), False, False),
    'ustar prefix': (_with_field(_tar(tar_format=tarfile.USTAR_FORMAT), 1, 345,
                                 b'dir'), False, False),
    'dot dot': (_tar([('..', b'x')]), False, False),
    'dot': (_tar([('.', b'x')]), False, False),
    'duplicate name': (_tar(_PLAIN + [_PLAIN[1]]), False, False),
    'duplicate with dot slash': (_tar(_PLAIN + [('./a1.JPEG', b'x')]), False, False),
    'cut on a member boundary': (archives.cut_before_member(_tar(), 3), False, False),
    'cut in member data': (_tar()[:3000], False, False),
    'cut in a header': (_tar()[:1024 + 100], False, False),
    'zero blocks only': (bytes(10240), False, False),
    'empty file': (b'', False, False),
    'not a tar': (b'JFIF' * 3000, False, False),
    'bad checksum': (_with_field(_tar(), 2, 148, b'0000001\x00', True), False, False),
    'bad mtime': (_with_field(_tar(), 1, 136, b'99999999999\x00'), False, False),
    'base-256 size': (_with_field(_tar(), 1, 124,
                                  b'\x80' + len(_PLAIN[1][1]).to_bytes(11, 'big')),
                      False, False),
    'v7 header': (_with_field(_tar(), 0, 257, bytes(8)), False, False),
}

# {case: (train tar bytes, whether the fast reader answers)}: the outer tar's own.
_TRAIN_CASES = {
    'pax outer': (_tar([('n01.tar', _tar()), ('n02.tar', _tar())],
                       tarfile.PAX_FORMAT), True),
    'outer trailing garbage': (_tar([('n01.tar', _tar())]) + b'x' * 5000, True),
    'outer member not a class tar': (_tar([('n01.tar', _tar()), ('n02.JPEG', b'x')]),
                                     False),
    'outer duplicate class tar': (_tar([('n01.tar', _tar())] * 2), False),
    'outer dot tar': (_tar([('.tar', _tar())]), False),
    'outer directory': (_tar([_info('n01', tarfile.DIRTYPE), ('n01.tar', _tar())]),
                        False),
    'outer cut': (archives.cut_before_member(
        _tar([('n%02d.tar' % i, _tar()) for i in range(3)]), 2), False),
    'class tar cut before the next class tar': (_tar([
        ('n01.tar', archives.cut_before_member(_tar(), 3)),
        ('n02.tar', _tar([('b' + name, data) for name, data in _PLAIN]))]), False),
    'outer one zero block': (_tar([('n01.tar', _tar())])[:_end_of_members(
        _tar([('n01.tar', _tar())])) + 512], False),
}


# {name: a context manager of the Blocks of a file}: every way of reading them, with
# pieces that split headers anywhere.
_BLOCK_READERS = {
    **{'seeking, %d bytes' % size: (
        lambda f, size=size: contextlib.nullcontext(_tar_headers.Blocks(f, size)))
       for size in (0, 700, 8192, 1 << 20)},
    **{'read ahead, %d bytes' % size: (
        lambda f, size=size: _tar_headers.ReadAhead(f, size, depth=2))
       for size in (100, 700, 8192, 1 << 20)},
}


def _outcome(function, *args):
  """What `function(*args)` gives: its value, or its error's type and message."""
  try:
    return function(*args)
  except Exception as e:  # pylint: disable=broad-except
    return type(e), str(e)


class TarHeadersTest(absltest.TestCase):

  def write(self, name, data):
    path = os.path.join(self.create_tempdir().full_path, name)
    with open(path, 'wb') as f:
      f.write(data)
    return path

  def fast_flat(self, path, blocks_of):
    """The fast reader's index of a flat tar, or None if it leaves it to tarfile;
    its blocks read by `blocks_of(file)` (a context manager)."""
    with open(path, 'rb') as f, blocks_of(f) as blocks:
      try:
        return _tar_index._tar_members(path, _tar_headers.members(blocks))
      except _tar_headers.NotPlain:
        return None

  def fast_train(self, path, blocks_of):
    with open(path, 'rb') as f, blocks_of(f) as blocks:
      return _tar_index._fast_train_index(blocks, path, core.Progress('test'))

  def tarfile_flat(self, path):
    with open(path, 'rb') as f:
      return _tar_index._tarfile_flat_index(f, path, os.path.basename(path))

  def tarfile_train(self, path):
    with open(path, 'rb') as f:
      return _tar_index._tarfile_train_index(f, path, os.path.basename(path),
                                             core.Progress('test'))

  def assert_same(self, path, fast, expect_fast, tarfile_index, public_index):
    """The fast reader answers as expected, with tarfile's index; the public index
    function gives tarfile's index or error either way."""
    expected = _outcome(tarfile_index, path)
    self.assertEqual(_outcome(public_index, path), expected)
    for name, blocks_of in _BLOCK_READERS.items():
      found = fast(path, blocks_of)
      self.assertEqual(found is not None, expect_fast, name)
      if found is not None:
        self.assertEqual(found, expected, name)

  def test_flat_tars(self):
    for case, (data, fast_flat, _) in _CASES.items():
      with self.subTest(case):
        path = self.write('val.tar', data)
        self.assert_same(path, self.fast_flat, fast_flat, self.tarfile_flat,
                         _tar_index.index_flat_tar)

  def test_class_tars_in_a_train_tar(self):
    for case, (data, _, fast_nested) in _CASES.items():
      with self.subTest(case):
        path = self.write('train.tar', _tar(
            [('n01.tar', _tar()), ('n02.tar', data), ('n03.tar', _tar())]))
        self.assert_same(path, self.fast_train, fast_nested, self.tarfile_train,
                         _tar_index.index_train_tar)

  def test_train_tars(self):
    for case, (data, fast) in _TRAIN_CASES.items():
      with self.subTest(case):
        path = self.write('train.tar', data)
        self.assert_same(path, self.fast_train, fast, self.tarfile_train,
                         _tar_index.index_train_tar)

  def test_a_train_tar_of_zero_blocks_holds_no_class_tars(self):
    path = self.write('train.tar', bytes(10240))
    for blocks_of in _BLOCK_READERS.values():
      self.assertIsNone(self.fast_train(path, blocks_of))
    self.assertEqual(self.tarfile_train(path), {})
    with self.assertRaisesRegex(acquire.ExtractionError,
                                '^train.tar: holds no class tars$'):
      _tar_index.index_train_tar(path)

  def test_the_refusals_are_tarfile_paths(self):
    """The cases left to tarfile give today's errors, e.g. these."""
    for case, message in (
        ('symlink', "val.tar: member 's.JPEG' is a link"),
        ('dot dot', "val.tar: member '..' climbs out"),
        ('duplicate with dot slash', "val.tar: member 'a1.JPEG' appears twice"),
        ('cut on a member boundary', 'val.tar: truncated: it ends at byte'),
        ('one zero block', 'val.tar: truncated: it ends at byte'),
        ('bad checksum', 'val.tar: truncated: it ends at byte')):
      with self.subTest(case):
        path = self.write('val.tar', _CASES[case][0])
        with self.assertRaisesRegex(acquire.ExtractionError, '^' + message):
          _tar_index.index_flat_tar(path)

  def test_headers_are_checked_in_batches_of_any_size(self):
    path = self.write('train.tar', _tar(
        [('n%02d.tar' % i, _tar(_PLAIN[:i + 1])) for i in range(5)]))
    expected = {wnid + '.tar': _tar_headers.Members(*map(list, zip(*(
        (m.name, m.offset, m.size) for m in members))))
                for wnid, members in self.tarfile_train(path).items()}
    with open(path, 'rb') as f:
      for batch_size in (1, 2, 7, 100):
        self.assertEqual(dict(_tar_headers.class_tars(
            _tar_headers.Blocks(f, 1024), lambda offset: None, batch_size)),
                         expected)

  def test_progress_reaches_each_class_tars_end(self):
    data = _tar([('n%02d.tar' % i, _tar(_PLAIN[:i + 1])) for i in range(3)])
    path = self.write('train.tar', data)
    offsets = []
    with open(path, 'rb') as f:
      list(_tar_headers.class_tars(_tar_headers.Blocks(f), offsets.append))
    with tarfile.open(path) as tar:
      ends = [_tar_headers.padded(m.offset_data + m.size) for m in tar]
    self.assertEqual(offsets, ends)

  def test_read_ahead_stops_and_gives_the_file_back(self):
    """Left early (a name seen twice) or at the end, the reader thread has stopped
    once the read-ahead exits, the switch interval is as before, and the file is
    the caller's to read again."""
    interval = sys.getswitchinterval()
    for case in ('duplicate name', 'gnu'):
      with self.subTest(case):
        path = self.write('val.tar', _CASES[case][0] * 50)
        with open(path, 'rb') as f:
          read_ahead = _tar_headers.ReadAhead(f, 512, depth=1)
          with read_ahead:
            try:
              _tar_headers.members(read_ahead)
            except _tar_headers.NotPlain:
              pass
            self.assertLess(sys.getswitchinterval(), interval)
          self.assertFalse(
              any(t.name == 'tar-read-ahead' for t in threading.enumerate()))
          self.assertEqual(sys.getswitchinterval(), interval)
          f.seek(0)
          self.assertEqual(f.read(), _CASES[case][0] * 50)

  def test_the_switch_interval_is_restored_when_the_last_read_ahead_ends(self):
    interval = sys.getswitchinterval()
    first = _tar_headers.ReadAhead(io.BytesIO(_tar()), 512)
    second = _tar_headers.ReadAhead(io.BytesIO(_tar()), 512)
    first.__enter__()
    second.__enter__()
    first.__exit__(None, None, None)
    self.assertLess(sys.getswitchinterval(), interval)
    second.__exit__(None, None, None)
    self.assertEqual(sys.getswitchinterval(), interval)

  def test_a_read_error_in_the_reader_thread_is_raised_in_the_walk(self):

    class FailingFile(io.BytesIO):

      def read(self, size=-1):
        if self.tell() >= 4096:
          raise OSError('disk on fire')
        return super().read(size)

    with _tar_headers.ReadAhead(FailingFile(_tar() * 10), 1024) as blocks:
      with self.assertRaisesRegex(OSError, '^disk on fire$'):
        for offset in range(0, 10 * 4096, 512):
          blocks.at(offset)


if __name__ == '__main__':
  absltest.main()
