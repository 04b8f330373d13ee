"""Tests of inception.annotations._xml_sources: directories, tarballs and zips as
chunks."""

import gc
import io
import os
import tarfile

from absl.testing import absltest

from inception import acquire
from inception.acquire import _tar_stream
from inception.annotations import _xml_sources
from tests.annotations import annotation_fixtures


class XmlSourcesTest(absltest.TestCase):

  def setUp(self):
    super().setUp()
    self.directory = self.create_tempdir().full_path

  def test_directory_chunks_leave_local_files_to_the_workers(self):
    files = annotation_fixtures.many_xmls(_xml_sources.CHUNK_FILES + 5)
    files['n01440764/notes.txt'] = b'not an XML'
    tree = annotation_fixtures.write_tree(os.path.join(self.directory, 'tree'), files)
    paths = _xml_sources.list_xml_files(tree)
    self.assertLen(paths, _xml_sources.CHUNK_FILES + 5)
    self.assertEqual(paths, sorted(paths))
    chunks = list(_xml_sources.directory_chunks(2, paths, first_number=4))
    self.assertEqual([chunk.number for chunk in chunks], [4, 5])
    self.assertEqual([len(chunk.names.split('\0')) for chunk in chunks],
                     [_xml_sources.CHUNK_FILES, 5])
    self.assertEqual('\0'.join(chunk.names for chunk in chunks), '\0'.join(paths))
    for chunk in chunks:
      self.assertEqual((chunk.source_index, chunk.prefix, chunk.data, chunk.ends),
                       (2, '', None, None))

  def test_tarball_reader_streams_one_chunk_at_a_time(self):
    # tarfile keeps the header of every member read (~400 bytes each: 220 MB for the
    # 544,546 train XMLs) unless told otherwise; the reader must not.
    files = annotation_fixtures.many_xmls(3 * _xml_sources.CHUNK_FILES)
    tarball = annotation_fixtures.write_tarball(
        os.path.join(self.directory, 'many.tar.gz'), files)
    live_headers = []
    chunks = 0
    for chunk in _xml_sources.tarball_chunks(0, tarball, first_number=0):
      self.assertEqual(chunk.number, chunks)
      chunks += 1
      self.assertLen(chunk.names.split('\0'), _xml_sources.CHUNK_FILES)
      self.assertLen(chunk.ends, _xml_sources.CHUNK_FILES)
      live_headers.append(sum(isinstance(o, tarfile.TarInfo) for o in gc.get_objects()))
    self.assertEqual(chunks, 3)
    self.assertLess(live_headers[-1] - live_headers[0], 10, live_headers)

  def test_a_tarball_left_to_tarfile_midway_gives_each_xml_once_in_order(self):
    # The first batches are read by their headers alone (acquire.plain_tree_files);
    # a long name after them makes the rest tarfile's, the files given skipped.
    files = annotation_fixtures.many_xmls(_tar_stream._BATCH + 10)
    long_name = 'n01440764/' + 'n01440764_' * 12 + '1.xml'
    files[long_name] = next(iter(files.values()))
    names = sorted(files)
    names.remove(long_name)
    names.append(long_name)  # last: after the first batch
    tarball = annotation_fixtures.write_tarball(
        os.path.join(self.directory, 'long.tar.gz'),
        {name: files[name] for name in names}, in_given_order=True)
    chunks = list(_xml_sources.tarball_chunks(0, tarball, first_number=0))
    self.assertEqual('\0'.join(chunk.names for chunk in chunks), '\0'.join(names))
    self.assertEqual(b''.join(chunk.data for chunk in chunks),
                     b''.join(files[name] for name in names))
    # A second copy of a file after the fast batches: tarfile's path, acquire's
    # error, as ever.
    names[-1] = names[0]
    tarball = os.path.join(self.directory, 'twice.tar.gz')
    with tarfile.open(tarball, 'w:gz') as archive:
      for name in names:
        info = tarfile.TarInfo(name)
        info.size = len(files[name])
        archive.addfile(info, io.BytesIO(files[name]))
    with self.assertRaisesRegex(acquire.ExtractionError, 'appears twice'):
      list(_xml_sources.tarball_chunks(0, tarball, first_number=0))

  def test_zip_chunks_hold_the_xmls_under_the_folder_in_name_order(self):
    files = annotation_fixtures.many_xmls(_xml_sources.CHUNK_FILES + 3)
    files['n01440764/notes.txt'] = b'not an XML'
    archive = annotation_fixtures.write_zip(os.path.join(self.directory, 'k.zip'),
                                            files, 'ILSVRC/Annotations')
    source = _xml_sources.ZipXmls(archive, 'ILSVRC/Annotations')
    self.assertEqual(str(source), archive + ':ILSVRC/Annotations/')
    index, names = _xml_sources.zip_xml_members(source)
    self.assertEqual(names, sorted('ILSVRC/Annotations/' + name for name in files
                                   if name.endswith('.xml')))
    chunks = list(_xml_sources.zip_chunks(1, index, names, first_number=3))
    self.assertEqual([(chunk.number, chunk.source_index, chunk.prefix)
                      for chunk in chunks],
                     [(3, 1, archive + ':'), (4, 1, archive + ':')])
    self.assertEqual('\0'.join(chunk.names for chunk in chunks), '\0'.join(names))
    self.assertEqual(b''.join(chunk.data for chunk in chunks), b''.join(
        files[name[len('ILSVRC/Annotations/'):]] for name in names))


if __name__ == '__main__':
  absltest.main()
