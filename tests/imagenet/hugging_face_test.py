"""Tests of inception.imagenet._hugging_face, and of the driver on Hugging Face's
layouts: parquet and tar.gz give the tarballs' shards (with the box archive beside
data/, their boxes; without, none, said in one line), leave the source untouched,
spool nothing twice, and refuse each bad input naming the file and row (member)."""

import dataclasses
import io
import os
import shutil
import tarfile
import tempfile

from absl.testing import absltest
import pyarrow as pa
import pyarrow.parquet as pq
import tensorflow as tf

from inception import convert
from inception import demo
from inception import driver
from inception import imagenet
from inception import label_files
from inception import records
from inception.imagenet import _driver
from inception.imagenet import _hugging_face
from inception.imagenet import _in_place
from inception.imagenet import _settings
from tests import file_trees
from tests.imagenet import layout_runs

_SPLITS = layout_runs.SPLITS
_BOX_KEYS = ('image/object/bbox/xmin', 'image/object/bbox/ymin',
             'image/object/bbox/xmax', 'image/object/bbox/ymax',
             'image/object/bbox/label')
_settings_for = layout_runs.settings_for
_csvs = layout_runs.csvs


def _listing(directory):
  """Every file under `directory`: its size and mtime."""
  listing = {}
  for root, _, names in os.walk(directory):
    for name in names:
      stat = os.stat(os.path.join(root, name))
      listing[os.path.relpath(os.path.join(root, name), directory)] = (
          stat.st_size, stat.st_mtime_ns)
  return listing


def _examples_without_boxes(data_dir):
  """{shard: its records parsed, the box features emptied}."""
  examples = {}
  for name in sorted(file_trees.shard_digests(data_dir, _SPLITS)):
    parsed = []
    path = os.path.join(data_dir, name)
    with open(path, 'rb') as f:
      read = [record for _, record in records.read_records(f, os.path.getsize(path))]
    for record in read:
      example = tf.train.Example.FromString(record)
      for key in _BOX_KEYS:
        feature = example.features.feature[key]
        feature.CopyFrom(type(feature)(**{feature.WhichOneof('kind'): {}}))
      parsed.append(example)
    examples[name] = parsed
  return examples


class HuggingFaceRunTest(layout_runs.LayoutRunTestCase):
  """One mini ImageNet converted from the tarballs, HF parquet and HF tar.gz."""

  LAYOUTS = imagenet.SPOOLED
  snapshot = staticmethod(_listing)

  def test_auto_finds_the_layout_with_the_box_archives_beside_it(self):
    for source_format, source in self.sources.items():
      with self.subTest(source_format):
        self.assertIn(imagenet.BBOX_TRAIN_TAR_GZ, os.listdir(source))
        self.assertEqual(imagenet.detect_source(source).format, source_format)

  def test_the_spool_is_gone(self):
    for source_format, data_dir in self.data_dirs.items():
      with self.subTest(source_format):
        self.assertFalse(os.path.exists(imagenet.spool_dir(data_dir)))

  def test_only_boxes_convert_and_check_run_and_record_the_source(self):
    for source_format, state in self.states.items():
      with self.subTest(source_format):
        self.assertEqual(list(state), list(_settings.IN_PLACE_STEPS))
        recorded = state[_settings.CHECK]['outputs'][_in_place.SOURCE_KEY]
        self.assertEqual(recorded['format'], source_format)
        self.assertIn(imagenet.BBOX_TRAIN_TAR_GZ, recorded['index_files'])
        self.assertTrue(any(name.startswith('data/train')
                            for name in recorded['index_files']))
        self.assertEqual(driver.total_images(state),
                         {'train': 21, 'validation': 6, 'test': 4})

  def _copied_source(self, source_format, with_boxes=True):
    """A copy of a layout (its data/ only, without_boxes), and settings reading it."""
    directory = os.path.join(self.create_tempdir().full_path, 'source')
    shutil.copytree(self.sources[source_format], directory)
    if not with_boxes:
      for name in (imagenet.BBOX_TRAIN_TAR_GZ, imagenet.BBOX_VALIDATION_TGZ):
        os.remove(os.path.join(directory, name))
    data_dir = os.path.join(self.create_tempdir().full_path, 'data')
    return directory, dataclasses.replace(_settings_for(data_dir, source_format),
                                          source=directory)

  def test_without_a_box_archive_it_says_so_and_gives_the_records_without_boxes(self):
    _, settings = self._copied_source(imagenet.HF_PARQUET, with_boxes=False)
    with self.assertLogs(level='INFO') as logs:
      state = _driver.run(settings)
    lines = [line for line in logs.output if 'No bounding boxes' in line]
    self.assertLen(lines, 1)
    self.assertIn('converting without boxes', lines[0])
    self.assertEqual(state[_settings.BOUNDING_BOXES]['outputs']['boxes'], None)
    self.assertEqual(_examples_without_boxes(settings.data_dir),
                     _examples_without_boxes(self.reference_dir))
    self.assertNotEqual(file_trees.shard_digests(settings.data_dir, ('train-',)),
                        file_trees.shard_digests(self.reference_dir, ('train-',)))

  def test_a_box_archive_given_by_its_path_and_checked_against_its_md5(self):
    directory, settings = self._copied_source(imagenet.HF_PARQUET, with_boxes=False)
    archive = os.path.join(self.sources[imagenet.HF_PARQUET],
                           imagenet.BBOX_TRAIN_TAR_GZ)
    given = dataclasses.replace(settings, bounding_box_archive=archive,
                                validation_bounding_boxes=False)
    with self.assertRaisesRegex(driver.DriverError, r'^%s: MD5 [0-9a-f]{32}, expected '
                                r'9271167e2176350e65cfe4e546f14b17 \(%s as published'
                                r'\); give' % (archive, imagenet.BBOX_TRAIN_TAR_GZ)):
      _driver.run(dataclasses.replace(given, checksums_file=None))
    _driver.run(given)
    self.assertEqual(_csvs(settings.data_dir)[imagenet.TRAIN_BOXES_CSV],
                     _csvs(self.reference_dir)[imagenet.TRAIN_BOXES_CSV])
    self.assertEqual(os.listdir(directory), [_hugging_face.HF_DATA_DIRNAME])

  def test_resume_spools_only_what_is_pending(self):
    _, settings = self._copied_source(imagenet.HF_TARGZ)
    _driver.run(settings)
    os.remove(os.path.join(settings.data_dir, 'train-00001-of-00003'))
    with self.assertLogs(level='INFO') as logs:
      _driver.run(settings, redo=[_settings.CONVERT])
    spooled = [line for line in logs.output if ': spooled ' in line]
    self.assertLen(spooled, 1)
    self.assertRegex(spooled[0], r'train: spooled 7 images \(\d+ bytes\) into 1 files')
    self.assertEqual(file_trees.shard_digests(settings.data_dir, _SPLITS),
                     file_trees.shard_digests(self.reference_dir, _SPLITS))

  def test_a_changed_source_is_refused_on_resume(self):
    source, settings = self._copied_source(imagenet.HF_PARQUET)
    _driver.run(settings)
    path = os.path.join(source, 'data', 'train-00000-of-00003.parquet')
    pq.write_table(pq.read_table(path), path, row_group_size=2)
    with self.assertRaisesRegex(
        driver.DriverError, r'^%s changed since the finished bounding_boxes step of '
        r'%s read %s: data/train-00000-of-00003.parquet differs; the shards would mix '
        r'both' % (source, settings.data_dir, source)):
      _driver.run(settings)

  def test_a_jpeg_that_does_not_decode_is_named_before_any_shard(self):
    source, settings = self._copied_source(imagenet.HF_PARQUET)
    path = os.path.join(source, 'data', 'validation-00001-of-00002.parquet')
    table = pq.read_table(path)
    images = table.column('image').to_pylist()
    images[1] = dict(images[1], bytes=b'\xff\xd8\xff\xe0 not a jpeg')
    pq.write_table(table.set_column(0, 'image', pa.array(
        images, table.schema.field('image').type)), path)
    with self.assertRaisesRegex(records.ImageError, r'^%s row 1 \(%s\): ' % (
        path, images[1]['path'])):
      _driver.run(settings)
    self.assertEqual(file_trees.shard_digests(settings.data_dir, _SPLITS), {})
    self.assertFalse(os.path.exists(imagenet.spool_dir(settings.data_dir)))

  def test_an_unreadable_row_group_is_named(self):
    source, settings = self._copied_source(imagenet.HF_PARQUET)
    path = os.path.join(source, 'data', 'validation-00000-of-00002.parquet')
    chunk = pq.ParquetFile(path).metadata.row_group(0).column(0)  # image.bytes
    with open(path, 'r+b') as f:
      f.seek(chunk.data_page_offset)
      f.write(b'\x00garbage\xff' * 4)
    with self.assertRaisesRegex(convert.ConversionError, r'^%s: row group 0 \(rows '
                                r'0\.\.\): unreadable' % path):
      _driver.run(settings)
    self.assertEqual(file_trees.shard_digests(settings.data_dir, _SPLITS), {})

  def test_the_tarballs_options_are_refused_and_checksums_allowed(self):
    data_dir = os.path.join(self.create_tempdir().full_path, 'data')
    settings = _settings_for(data_dir, imagenet.HF_PARQUET)
    self.assertTrue(settings.checksums_file)
    self.assert_tarball_options_refused(settings)
    with self.assertRaisesRegex(ValueError, 'bounding_box_archive is for Hugging '
                                "Face's layouts"):
      _driver.run(_settings_for(data_dir, imagenet.KAGGLE, bounding_box_archive='/b'))


class ReadTest(absltest.TestCase):
  """read_hugging_face on generated layouts, good and bad."""

  @classmethod
  def setUpClass(cls):
    super().setUpClass()
    root = tempfile.mkdtemp(dir=absltest.get_default_test_tmpdir())
    cls.fixture = demo.generate(os.path.join(root, 'fixture'), layout_runs.FIXTURE)
    cls.labels = label_files.LabelFiles(cls.fixture.synsets_file,
                                        cls.fixture.metadata_file,
                                        cls.fixture.validation_labels_file)
    cls.parquet = demo.write_hf_parquet(cls.fixture, os.path.join(root, 'parquet'))
    cls.targz = demo.write_hf_targz(cls.fixture, os.path.join(root, 'targz'))

  def _copy(self, layout):
    directory = os.path.join(self.create_tempdir().full_path, 'source')
    shutil.copytree(layout.directory, directory)
    return directory

  def _read(self, directory, layout=_hugging_face.PARQUET, with_test=True):
    return _hugging_face.read_hugging_face(directory, layout, self.labels, with_test,
                                           self.create_tempdir().full_path)

  def test_the_entries_are_the_tarballs(self):
    synsets, texts = imagenet.imagenet_classes(self.labels)
    for layout, written, where in ((_hugging_face.PARQUET, self.parquet,
                                    self.parquet.rows),
                                   (_hugging_face.TARGZ, self.targz,
                                    self.targz.members)):
      with self.subTest(layout):
        index = self._read(written.directory, layout)
        self.assertEqual(index.counts(), {'train': 21, 'validation': 6, 'test': 4})
        train = index.splits.entries['train'].entries
        self.assertCountEqual(list(train.filenames()),
                              [name for name in where if name.startswith('n')])
        for entry in train:
          self.assertEqual((entry.synset, entry.text),
                           (synsets[entry.label - 1], texts[entry.label - 1]))
          self.assertTrue(entry.filename.startswith(entry.synset + '_'))
        self.assertEqual(set(index.splits.entries['test'].entries.labels),
                         {records.UNLABELLED})
        self.assertRegex(index.counts_line(), r'^Hugging Face source %s: 21 train '
                         r'images of 3 classes, 6 validation images, 4 test images' %
                         written.directory)

  def test_official_name(self):
    self.assertEqual(_hugging_face.official_name('n01440764_10026_n01440764.JPEG'),
                     ('n01440764_10026.JPEG', 'n01440764'))
    self.assertEqual(_hugging_face.official_name(
        'a/ILSVRC2012_val_00000001_n01751748.JPEG'),
                     ('ILSVRC2012_val_00000001.JPEG', 'n01751748'))
    self.assertEqual(_hugging_face.official_name('ILSVRC2012_test_00000001.JPEG'),
                     ('ILSVRC2012_test_00000001.JPEG', None))

  def test_a_gap_or_a_missing_split(self):
    directory = self._copy(self.parquet)
    os.remove(os.path.join(directory, 'data', 'train-00001-of-00003.parquet'))
    with self.assertRaisesRegex(convert.ConversionError,
                                r"^%s/data: the train split's files are numbered 0, 2 "
                                r'of 3: file 1 is missing$' % directory):
      self._read(directory)
    for name in os.listdir(os.path.join(directory, 'data')):
      if name.startswith('test-'):
        os.remove(os.path.join(directory, 'data', name))
    with self.assertRaisesRegex(convert.ConversionError,
                                r'^%s/data holds no file of the test split$' %
                                directory):
      self._read(directory, with_test=True)

  def _rewrite(self, directory, name, change):
    """Rewrites data/name with change(rows) (a list of {'image', 'label'})."""
    path = os.path.join(directory, 'data', name)
    table = pq.read_table(path)
    rows = change(table.to_pylist())
    pq.write_table(pa.Table.from_pylist(rows, schema=table.schema), path)
    return path

  def test_bad_rows_are_named(self):
    def relabel(label):
      return lambda rows: [dict(rows[0], label=label)] + rows[1:]

    def other_wnid(rows):
      image = rows[0]['image']
      stem, _ = _hugging_face.official_name(image['path'])
      other = sorted(self.fixture.synsets)[(rows[0]['label'] + 1) % 3]
      return [dict(rows[0], image=dict(image, path='%s_%s.JPEG' % (
          stem[:-5], other)))] + rows[1:]

    cases = (
        (relabel(3), r'row 0: label 3 is outside 0\.\.2$'),
        (relabel(-1), r'row 0: label -1 is outside 0\.\.2$'),
        (other_wnid, r'row 0: the path \S+ names class n\d{8}, its label \d class '
         r'n\d{8}$'),
        (lambda rows: rows + rows[:1], r'row \d+: \S+\.JPEG again \(first in \S+'
         r'train-00000-of-00003\.parquet\)$'),
    )
    for change, message in cases:
      with self.subTest(message):
        directory = self._copy(self.parquet)
        path = self._rewrite(directory, 'train-00000-of-00003.parquet', change)
        with self.assertRaisesRegex(convert.ConversionError, '^' + path + ' ' +
                                    message):
          self._read(directory)

  def test_a_validation_class_other_than_the_label_files(self):
    directory = self._copy(self.parquet)
    wnids = sorted(self.fixture.synsets)

    def other_class(rows):
      image, label = rows[0]['image'], (rows[0]['label'] + 1) % 3
      stem = _hugging_face.official_name(image['path'])[0][:-5]
      return [dict(image=dict(image, path='%s_%s.JPEG' % (stem, wnids[label])),
                   label=label)] + rows[1:]

    path = self._rewrite(directory, 'validation-00000-of-00002.parquet', other_class)
    with self.assertRaisesRegex(convert.ConversionError,
                                r'^%s row 0: ILSVRC2012_val_\d{8}\.JPEG is of class '
                                r'n\d{8} there, of class n\d{8} in the validation label '
                                r'file %s$' % (path, self.fixture.validation_labels_file)):
      self._read(directory)

  def test_an_unreadable_parquet_file(self):
    directory = self._copy(self.parquet)
    path = os.path.join(directory, 'data', 'validation-00000-of-00002.parquet')
    with open(path, 'wb') as f:
      f.write(b'not parquet at all')
    with self.assertRaisesRegex(convert.ConversionError,
                                r'^%s: not a readable parquet file' % path):
      self._read(directory)

  def test_a_targz_member_of_no_known_class_or_twice(self):
    directory = self._copy(self.targz)
    archive = os.path.join(directory, 'data', 'val_images.tar.gz')
    with tarfile.open(archive) as tar:
      members = [(m.name, tar.extractfile(m).read()) for m in tar.getmembers()]
    for case, extra_name in (('unknown', 'ILSVRC2012_val_00099999_n99999999.JPEG'),
                             ('twice', members[0][0])):
      with self.subTest(case):
        with tarfile.open(archive, 'w:gz') as tar:
          for name, data in members + [(extra_name, members[0][1])]:
            info = tarfile.TarInfo(name)
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))
        message = ('class n99999999 is not in the synsets file' if case == 'unknown'
                   else r'\S+ again \(first in %s\)' % archive)
        with self.assertRaisesRegex(convert.ConversionError, '^%s:%s: %s$' % (
            archive, extra_name, message)):
          self._read(directory, _hugging_face.TARGZ)


if __name__ == '__main__':
  absltest.main()
