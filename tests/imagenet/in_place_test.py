"""Tests of inception.imagenet._in_place, and of the driver on a source read in place:
Kaggle's tree and zip give the tarballs' shards, box CSVs and closing lines, leave the
source untouched, and are refused where they should be."""

import dataclasses
import hashlib
import os
import shutil

from absl.testing import absltest
import fsspec

from inception import acquire
from inception import driver
from inception import imagenet
from inception import records
from inception.imagenet import _driver
from inception.imagenet import _in_place
from inception.imagenet import _kaggle
from inception.imagenet import _settings
from inception.imagenet import _sources
from tests import file_trees
from tests.imagenet import layout_runs

_SPLITS = layout_runs.SPLITS
_CSVS = layout_runs.CSVS
_settings_for = layout_runs.settings_for


def _digests(directory):
  return {name: hashlib.sha256(data).hexdigest()
          for name, data in file_trees.file_contents(directory).items()}


class InPlaceRunTest(layout_runs.LayoutRunTestCase):
  """One mini ImageNet converted from the tarballs, Kaggle's tree and Kaggle's zip."""

  LAYOUTS = (imagenet.KAGGLE, imagenet.KAGGLE_ZIP)
  snapshot = staticmethod(_digests)

  def test_the_zip_is_alone_in_its_directory(self):
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
    self.assert_tarball_options_refused(_settings_for(data_dir, imagenet.KAGGLE))


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

  def test_the_objects_of_a_store_are_recorded_and_a_replaced_one_refused(self):
    store = fsspec.filesystem('memory')
    url = 'memory://in_place_test/k/LOC_synset_mapping.txt'
    store.pipe_file(url[len('memory://'):], b'n01 a\n')
    objects = _in_place.store_objects({'LOC_synset_mapping.txt': url,
                                       'local.txt': '/k/local.txt'})
    self.assertEqual(list(objects), ['LOC_synset_mapping.txt'])  # local: not recorded
    self.assertEqual(objects['LOC_synset_mapping.txt'], acquire.record_of(url))
    index = dataclasses.replace(_index({'a': '1'}), objects=objects)
    source = _sources.Source(_sources.KAGGLE, 'memory://in_place_test/k', 'a store')
    record = _in_place.source_record(source, index)
    self.assertEqual(record['objects'], objects)
    data_dir = self.create_tempdir().full_path
    driver.write_state(data_dir, {'bounding_boxes': {'settings': {}, 'outputs': {
        'source': record}}})
    _in_place.refuse_changed_source(data_dir, index)  # unchanged
    store.pipe_file(url[len('memory://'):], b'n01 a\nn02 b\n')
    with self.assertRaisesRegex(
        driver.DriverError,
        r'^%s: changed since the finished bounding_boxes step recorded it \(size 6, '
        r'version .*; now size 12, version .*\); the shards made from it and those '
        r'still to make would mix two versions: run again with --redo=bounding_boxes '
        r'--overwrite to convert it from the start$' % url):
      _in_place.refuse_changed_source(data_dir, index)
    _in_place.refuse_changed_source(data_dir, index, redo=['bounding_boxes'])
    store.rm_file(url[len('memory://'):])
    with self.assertRaisesRegex(driver.DriverError, r'^%s: gone since the finished '
                                r'bounding_boxes step recorded it;' % url):
      _in_place.refuse_changed_source(data_dir, index)

  def test_source_record(self):
    source = _sources.Source(_sources.KAGGLE_ZIP, '/k.zip', 'a zip file')
    self.assertEqual(_in_place.source_record(source, _index({'b': '2', 'a': '1'})),
                     {'path': '/k.zip', 'format': 'kaggle_zip',
                      'index_files': {'a': '1', 'b': '2'}})


if __name__ == '__main__':
  absltest.main()
