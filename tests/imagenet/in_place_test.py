"""Tests of inception.imagenet._in_place, and of the driver on a source read in place:
Kaggle's tree and zip give the tarballs' shards, box CSVs and closing lines, leave the
source untouched, and are refused where they should be."""

import dataclasses
import hashlib
import os
import shutil
import tempfile

from absl.testing import absltest

from inception import acquire
from inception import convert
from inception import core
from inception import demo
from inception import driver
from inception import imagenet
from inception import records
from inception.imagenet import _driver
from inception.imagenet import _in_place
from inception.imagenet import _kaggle
from inception.imagenet import _settings
from inception.imagenet import _sources
from tests import file_trees

_FIXTURE = demo.Config(num_classes=3, images_per_class=7, num_validation_images=6,
                       num_test_images=4, min_side=48, max_side=80, seed=5)
_SPLITS = ('train-', 'validation-', 'test-')
_CSVS = (imagenet.TRAIN_BOXES_CSV, imagenet.VALIDATION_BOXES_CSV)


def _settings_for(data_dir, source_format, **overrides):
  values = dict(with_test=True, shards=convert.ShardCounts(3, 2, test=2),
                options=convert.ConvertOptions(workers=core.Workers(1),
                                               progress_interval=60))
  values.update(overrides)
  return demo.imagenet_demo_settings(data_dir, _FIXTURE, source_format=source_format,
                                     **values)


def _digests(directory):
  return {name: hashlib.sha256(data).hexdigest()
          for name, data in file_trees.file_contents(directory).items()}


def _csvs(data_dir):
  return {name: file_trees.file_contents(driver.raw_data_dir(data_dir))[name]
          for name in _CSVS}


def _closing_lines(data_dir, state):
  """The closing lines, DATA_DIR left out."""
  return [line.replace(data_dir, 'DATA_DIR')
          for line in driver.closing_lines(data_dir, state)]


class InPlaceRunTest(absltest.TestCase):
  """One mini ImageNet converted from the tarballs, Kaggle's tree and Kaggle's zip."""

  @classmethod
  def setUpClass(cls):
    super().setUpClass()
    root = tempfile.mkdtemp(dir=absltest.get_default_test_tmpdir())
    cls.reference_dir = os.path.join(root, 'tarballs')
    cls.reference_state = _driver.run(_settings_for(cls.reference_dir, 'tarballs'))
    cls.data_dirs, cls.states, cls.sources, cls.before = {}, {}, {}, {}
    for source_format in (imagenet.KAGGLE, imagenet.KAGGLE_ZIP):
      data_dir = os.path.join(root, source_format)
      settings = _settings_for(data_dir, source_format)
      cls.sources[source_format] = settings.source
      cls.before[source_format] = _digests(settings.source)
      cls.data_dirs[source_format] = data_dir
      cls.states[source_format] = _driver.run(settings)

  def test_shards_box_csvs_and_closing_lines_are_the_tarballs(self):
    reference = file_trees.shard_digests(self.reference_dir, _SPLITS)
    self.assertLen(reference, 7)
    for source_format, data_dir in self.data_dirs.items():
      with self.subTest(source_format):
        self.assertEqual(file_trees.shard_digests(data_dir, _SPLITS), reference)
        self.assertEqual(_csvs(data_dir), _csvs(self.reference_dir))
        self.assertEqual(_closing_lines(data_dir, self.states[source_format]),
                         _closing_lines(self.reference_dir, self.reference_state))

  def test_the_source_is_untouched(self):
    for source_format, source in self.sources.items():
      with self.subTest(source_format):
        self.assertEqual(_digests(source), self.before[source_format])
    self.assertEqual(os.listdir(self.sources[imagenet.KAGGLE_ZIP]),
                     [imagenet.KAGGLE_ZIP_FILE])

  def test_only_boxes_convert_and_check_run_and_record_the_source(self):
    for source_format, state in self.states.items():
      with self.subTest(source_format):
        data_dir = self.data_dirs[source_format]
        self.assertEqual(list(state), list(_settings.IN_PLACE_STEPS))
        self.assertFalse(os.path.exists(driver.downloads_dir(data_dir)))
        self.assertCountEqual(os.listdir(driver.raw_data_dir(data_dir)), _CSVS)
        for step in state.values():
          self.assertEqual(step['settings']['source_format'], source_format)
        path = self.sources[source_format]
        if source_format == imagenet.KAGGLE_ZIP:
          path = os.path.join(path, imagenet.KAGGLE_ZIP_FILE)
        for step in (_settings.BOUNDING_BOXES, _settings.CHECK):
          recorded = state[step]['outputs'][_in_place.SOURCE_KEY]
          self.assertEqual((recorded['path'], recorded['format']),
                           (path, source_format))
          self.assertCountEqual(recorded['index_files'], _kaggle.INDEX_FILES)
        self.assertEqual(driver.total_images(state),
                         {'train': 21, 'validation': 6, 'test': 4})

  def test_a_rerun_does_nothing_and_auto_finds_the_same_layout(self):
    data_dir = self.data_dirs[imagenet.KAGGLE]
    settings = _settings_for(data_dir, imagenet.KAGGLE)
    mtimes = {name: os.stat(os.path.join(data_dir, name)).st_mtime_ns
              for name in file_trees.shard_digests(data_dir, _SPLITS)}
    auto = dataclasses.replace(settings, source_format=imagenet.AUTO)
    self.assertEqual(_driver.steps_to_run(auto), [])
    self.assertEqual(_driver.credentials(auto, None, prompt=False), None)
    self.assertEqual(_driver.run(auto), self.states[imagenet.KAGGLE])
    self.assertEqual({name: os.stat(os.path.join(data_dir, name)).st_mtime_ns
                      for name in mtimes}, mtimes)

  def _copied_source(self, source_format):
    """A copy of a layout, which a test may change, and settings reading it."""
    directory = os.path.join(self.create_tempdir().full_path, 'source')
    shutil.copytree(self.sources[source_format], directory)
    data_dir = os.path.join(self.create_tempdir().full_path, 'data')
    return directory, dataclasses.replace(_settings_for(data_dir, source_format),
                                          source=directory)

  def test_a_changed_source_is_refused_on_resume(self):
    source, settings = self._copied_source(imagenet.KAGGLE)
    _driver.run(settings)
    with open(os.path.join(source, _kaggle.IMAGE_SETS_DIR, 'train_loc.txt'), 'a') as f:
      f.write('\n')
    with self.assertRaisesRegex(
        driver.DriverError,
        r'^%s changed since the finished bounding_boxes step of %s read %s: '
        r'ILSVRC/ImageSets/CLS-LOC/train_loc.txt differs; the shards would mix both. '
        r'Give another DATA_DIR, or --redo=bounding_boxes to convert it again from '
        r'the start$' % (source, settings.data_dir, source)):
      _driver.run(settings)
    state = _driver.run(settings, redo=[_settings.BOUNDING_BOXES])
    self.assertEqual(file_trees.shard_digests(settings.data_dir, _SPLITS),
                     file_trees.shard_digests(self.reference_dir, _SPLITS))
    self.assertIn(_settings.CHECK, state)

  def test_a_bad_crc_in_the_zip_names_the_zip_and_the_member(self):
    directory, settings = self._copied_source(imagenet.KAGGLE_ZIP)
    archive = os.path.join(directory, imagenet.KAGGLE_ZIP_FILE)
    with open(archive, 'rb') as f:
      data = bytearray(f.read())
    name = acquire.index_zip(archive).listdir('ILSVRC/Data/CLS-LOC/val')[2]
    member = ('ILSVRC/Data/CLS-LOC/val/' + name).encode()
    record = data.rindex(b'PK\x01\x02', 0, data.rindex(member))  # its central record
    data[record + 16] ^= 0xff  # the CRC-32 the central directory gives
    with open(archive, 'wb') as f:
      f.write(data)
    with self.assertRaisesRegex(records.ImageError,
                                r'^%s:%s: bad CRC-32: its bytes give [0-9a-f]{8}, the '
                                r"zip's directory says" % (imagenet.KAGGLE_ZIP_FILE,
                                                           member.decode())):
      _driver.run(settings)
    # The shard of that image is not written; nothing is left under its name.
    self.assertLen(file_trees.shard_digests(settings.data_dir, ('validation-',)), 1)

  def test_the_tarballs_options_are_refused_before_any_work(self):
    data_dir = os.path.join(self.create_tempdir().full_path, 'data')
    settings = _settings_for(data_dir, imagenet.KAGGLE)
    for option, value in (('no_extract', True), ('link_mode', 'symlink'),
                          ('stream_extract', True)):
      with self.subTest(option):
        with self.assertRaisesRegex(ValueError, '--%s applies only to the official '
                                    'tarballs' % option):
          _driver.run(dataclasses.replace(settings, **{option: value}))
    self.assertEqual(os.listdir(data_dir), [driver.DEMO_SOURCE_DIRNAME])


def _index(fingerprint):
  return _kaggle.KaggleIndex('/k', None, fingerprint, {})


class RefusalsTest(absltest.TestCase):

  def test_options_of_the_tarballs(self):
    source = _sources.Source(_sources.KAGGLE, '/k', 'LOC_synset_mapping.txt')
    refuse = _in_place.refuse_options
    refuse(_settings.Settings('/d'), source)
    with self.assertRaisesRegex(
        ValueError,
        r"^--source /k is Kaggle's imagenet-object-localization-challenge, unpacked, "
        r'read in place: --no_extract, --link_mode, --checksums_file apply only to '
        r'the official tarballs \(nothing is downloaded, linked or extracted here\); '
        r'leave them out$'):
      refuse(_settings.Settings('/d', no_extract=True, link_mode='copy',
                                checksums_file='/MD5SUMS'), source)
    with self.assertRaisesRegex(ValueError, r'--extract_xml applies only .*; leave it '
                                'out$'):
      refuse(_settings.Settings('/d', extract_xml=True), source)
    with self.assertRaisesRegex(
        ValueError, r'read in place: it has no download or extract step \(nothing to '
        r'download or extract\); download_and_preprocess_imagenet --source=/k '
        r'DATA_DIR converts it$'):
      refuse(_settings.Settings('/d'), source, only=('download', 'extract'))
    refuse(_settings.Settings('/d'), source, only=('convert',))

  def test_a_changed_source(self):
    data_dir = self.create_tempdir().full_path
    _in_place.refuse_changed_source(data_dir, _index({'a': '1'}))  # no state yet
    driver.write_state(data_dir, {
        'download': {'settings': {}, 'outputs': {'files': {}}},
        'bounding_boxes': {'settings': {}, 'outputs': {'source': {
            'path': '/old', 'format': 'kaggle', 'index_files': {'a': '1', 'b': '2'}}}},
    })
    _in_place.refuse_changed_source(data_dir, _index({'a': '1', 'b': '2'}))
    with self.assertRaisesRegex(driver.DriverError,
                                r'^/k changed since the finished bounding_boxes step '
                                r'of .* read /old: a, c differ; the shards'):
      _in_place.refuse_changed_source(data_dir, _index({'a': '9', 'b': '2', 'c': '3'}))
    _in_place.refuse_changed_source(data_dir, _index({'a': '9'}),
                                    redo=['bounding_boxes'])

  def test_source_record(self):
    source = _sources.Source(_sources.KAGGLE_ZIP, '/k.zip', 'a zip file')
    self.assertEqual(_in_place.source_record(source, _index({'b': '2', 'a': '1'})),
                     {'path': '/k.zip', 'format': 'kaggle_zip',
                      'index_files': {'a': '1', 'b': '2'}})


if __name__ == '__main__':
  absltest.main()
