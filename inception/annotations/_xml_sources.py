"""The XML sources: a directory tree, a tarball of XMLs, or a zip's folder of them,
read as chunks for the pool.

A local tree's files are read by the workers; a remote tree's, a tarball's and a zip's,
here (a tarball as a stream, a zip's members in place by their offsets; one chunk's
XMLs held at a time).
"""

import array
import gzip
import os
import tarfile
from typing import IO, Iterator, List, NamedTuple, Optional, Sequence, Tuple
import zlib

from inception import acquire
from inception import core
from inception import records
from inception.annotations import _xml_chunks

CHUNK_FILES = 1000  # XMLs per task handed to a worker process.


def _is_xml(name: str) -> bool:
  return name.lower().endswith('.xml')


def list_xml_files(directory: str) -> List[str]:
  """Every `*.xml` under `directory`, at any depth, sorted.

  A local tree is listed with os.walk (scandir: several times faster than
  tf.io.gfile.walk on 544,546 files); a remote one with tf.io.gfile.walk.
  """
  paths = []
  for parent, _, names in core.walk(directory):
    paths.extend(os.path.join(parent, name) for name in names if _is_xml(name))
  return sorted(paths)


class ChunkBuilder(object):
  """Gathers the files of one source into Chunks of up to CHUNK_FILES files."""

  def __init__(self, source_index: int, prefix: str, with_data: bool,
               first_number: int):
    self._source_index = source_index
    self._prefix = prefix
    self._with_data = with_data
    self.next_number = first_number
    self._names: List[str] = []
    self._data: List[bytes] = []
    self._ends = array.array('Q')
    self._length = 0

  def add(self, name: str,
          data: Optional[bytes] = None) -> Optional[_xml_chunks.Chunk]:
    """Adds one file; returns the chunk it completes, if it does."""
    if _xml_chunks.SEPARATOR in name:
      raise ValueError('%s%r: a file name with a NUL character' % (self._prefix, name))
    self._names.append(name)
    if self._with_data:
      self._data.append(data)
      self._length += len(data)
      self._ends.append(self._length)
    return self.flush() if len(self._names) == CHUNK_FILES else None

  def flush(self) -> Optional[_xml_chunks.Chunk]:
    """The chunk of the files added since the last one (None if there are none)."""
    if not self._names:
      return None
    chunk = _xml_chunks.Chunk(self.next_number, self._source_index,
                              _xml_chunks.SEPARATOR.join(self._names), self._prefix,
                              b''.join(self._data) if self._with_data else None,
                              self._ends if self._with_data else None)
    self.next_number += 1
    self._names, self._data, self._ends, self._length = [], [], array.array('Q'), 0
    return chunk


def directory_chunks(source_index: int, paths: Sequence[str],
                     first_number: int) -> Iterator[_xml_chunks.Chunk]:
  """The files `paths` in chunks; a remote file is read here (workers stay free of
  TensorFlow), a local one by the worker."""
  remote = core.is_remote(paths[0]) if paths else False
  builder = ChunkBuilder(source_index, '', remote, first_number)
  for path in paths:
    chunk = builder.add(path, core.read_bytes(path) if remote else None)
    if chunk:
      yield chunk
  chunk = builder.flush()
  if chunk:
    yield chunk


class _CountingReader(object):
  """A read-only stream that counts the bytes read through it."""

  def __init__(self, stream: IO[bytes]):
    self._stream = stream
    self.count = 0

  def read(self, size: int = -1) -> bytes:
    data = self._stream.read(size)
    self.count += len(data)
    return data

  def drain(self) -> None:
    while self.read(1 << 20):
      pass


def tarball_chunks(source_index: int, tarball: str,
                   first_number: int) -> Iterator[_xml_chunks.Chunk]:
  """Streams the XML members of a tarball (gzipped or not) in chunks, in archive order.

  Only one chunk's XMLs are held at a time. Read by their headers alone while every
  header is the common case (acquire.plain_tree_files); at anything else, the
  tarball is read again from its start by tarfile (_tarfile_files), the files
  already given skipped, so that each rule and message is tarfile's and acquire's.

  tarfile alone ends a stream silently at a truncated header, so a truncated download
  would lose boxes without a word. Here gzip is decoded by the gzip module, which
  fails on a truncated stream or a bad CRC once the rest is read, and the archive
  must reach its end-of-archive marker.
  """
  builder = ChunkBuilder(source_index, tarball + ':', True, first_number)
  try:
    with core.open_file(tarball, 'rb') as raw:
      gzipped = raw.read(2) == b'\x1f\x8b'  # by content: names can lie
      raw.seek(0)
      stream = gzip.GzipFile(fileobj=raw, mode='rb') if gzipped else raw
      given = 0
      try:
        for name, data in acquire.plain_tree_files(stream):
          given += 1
          if _is_xml(name):
            chunk = builder.add(name, data)
            if chunk:
              yield chunk
      except acquire.NotPlain:
        stream.seek(0)
        for name, data in _tarfile_files(tarball, stream, skip=given):
          if _is_xml(name):
            chunk = builder.add(name, data)
            if chunk:
              yield chunk
  except (tarfile.TarError, EOFError, zlib.error, OSError) as e:
    # CorruptArchiveError: the driver moves a bad copy in downloads/ aside and fetches
    # it again, as it does for an image tarball.
    raise acquire.CorruptArchiveError(
        tarball, 'not a readable tar/tar.gz archive of XMLs (%s)' % e) from None
  chunk = builder.flush()
  if chunk:
    yield chunk


def _tarfile_files(tarball: str, stream: IO[bytes],
                   skip: int) -> Iterator[Tuple[str, bytes]]:
  """(name, data) of each regular file of the tar `stream` after the first `skip`,
  read by tarfile, every member checked by acquire.plain_member_name.

  tarfile's list of the members read so far is emptied as it goes (it would keep
  every header: ~400 bytes per member).
  """
  reader = _CountingReader(stream)
  with tarfile.open(fileobj=reader, mode='r|') as archive:
    seen = set()
    for member in archive:
      archive.members.clear()  # streamed: no header is needed again
      # Extraction's own rule, so that both modes accept the same archives.
      acquire.plain_member_name(tarball, member, allow_subdirectories=True,
                                seen=seen)
      if member.isfile():
        if skip:
          skip -= 1
        else:
          yield member.name, archive.extractfile(member).read()
    end = archive.offset
  reader.drain()
  if reader.count < end + 2 * tarfile.BLOCKSIZE:
    raise acquire.CorruptArchiveError(
        tarball, 'not a readable tar/tar.gz archive of XMLs (truncated: it ends at '
        'byte %d, before its end-of-archive marker)' % reader.count)


class ZipXmls(NamedTuple):
  """The XMLs of a zip under one folder, at any depth (e.g. Kaggle's
  ILSVRC/Annotations/CLS-LOC/train of imagenet-object-localization-challenge.zip),
  read in place."""
  archive: str
  folder: str

  def __str__(self) -> str:
    return '%s:%s/' % (self.archive, self.folder.strip('/'))


def zip_xml_members(source: ZipXmls) -> Tuple[acquire.ZipIndex, List[str]]:
  """The zip's index and the names of the XML members under the folder, sorted."""
  index = acquire.index_zip(source.archive)
  return index, [name for name in index.names_under(source.folder) if _is_xml(name)]


def zip_chunks(source_index: int, index: acquire.ZipIndex, names: Sequence[str],
               first_number: int) -> Iterator[_xml_chunks.Chunk]:
  """The zip members `names` in chunks, in that order, each read by its offset through
  one open file (its CRC-32 checked: records.read_zip_member).

  Raises:
    records.ZipMemberError: a member cannot be read (named with the zip).
  """
  builder = ChunkBuilder(source_index, index.path + ':', True, first_number)
  with core.open_file(index.path, 'rb') as f:

    def read_at(offset: int, size: int) -> bytes:
      f.seek(offset)
      return f.read(size)

    for name in names:
      chunk = builder.add(name, records.read_zip_member(read_at, index.member(name)))
      if chunk:
        yield chunk
  chunk = builder.flush()
  if chunk:
    yield chunk
