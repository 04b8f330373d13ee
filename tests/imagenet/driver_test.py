"""Tests for inception.imagenet's driver: the whole pipeline in-process on a mini ImageNet."""

import dataclasses
import hashlib
import io
import json
import os
import shutil
import tarfile

from absl.testing import absltest
from bazel_tools.tools.python.runfiles import runfiles
import tensorflow as tf

from inception import acquire
from inception import annotations
from inception import convert
from inception import core
from inception import demo
from inception import driver
from inception import imagenet
from inception import label_files
from inception.imagenet import _archives
from inception.imagenet import _driver
from inception.imagenet import _settings
from tests import file_trees
from tests import http_test_server

_FIXTURE = demo.Config(num_classes=3, images_per_class=7,
                                num_validation_images=6, min_side=48, max_side=80,
                                seed=5)


def _run_settings(data_dir, config=_FIXTURE, **overrides):
  values = dict(shards=convert.ShardCounts(3, 2),
                options=convert.ConvertOptions(workers=core.Workers(1), progress_interval=60))
  values.update(overrides)
  return demo.imagenet_demo_settings(data_dir, config, **values)


def _write(path, data):
  with open(path, 'wb' if isinstance(data, bytes) else 'w') as f:
    f.write(data)


def _read(path):
  with open(path, 'rb') as f:
    return f.read()


def _records(path):
  return list(tf.data.TFRecordDataset(path).as_numpy_iterator())


class PipelineTest(absltest.TestCase):

  @classmethod
  def setUpClass(cls):
    super().setUpClass()
    cls.root = absltest.get_default_test_tmpdir()
    cls.reference_dir = os.path.join(cls.root, 'reference')
    cls.reference_state = _driver.run(_run_settings(cls.reference_dir))

  def test_demo_runs_every_step_and_writes_all_images(self):
    self.assertEqual(list(self.reference_state), list(_settings.STEPS))
    counts = driver.total_images(self.reference_state)
    fixture = demo.imagenet_demo_source(self.reference_dir, _FIXTURE)
    self.assertEqual(counts, fixture['expected_counts'])
    digests = file_trees.shard_digests(self.reference_dir)
    self.assertEqual(sorted(digests), [
        'train-00000-of-00003', 'train-00001-of-00003', 'train-00002-of-00003',
        'validation-00000-of-00002', 'validation-00001-of-00002'])
    total = sum(len(_records(os.path.join(self.reference_dir, name)))
                for name in digests if name.startswith('train-'))
    self.assertEqual(total, counts['train'])
    self.assertTrue(os.path.isfile(os.path.join(
        self.reference_dir, 'raw-data', imagenet.TRAIN_BOXES_CSV)))

  def test_validation_records_get_boxes_from_v3_xmls(self):
    example = tf.train.Example()
    example.ParseFromString(_records(os.path.join(
        self.reference_dir, 'validation-00000-of-00002'))[0])
    features = example.features.feature
    self.assertNotEmpty(features['image/object/bbox/xmin'].float_list.value)
    self.assertStartsWith(features['image/filename'].bytes_list.value[0],
                          b'ILSVRC2012_val_')

  def test_rerun_is_a_no_op(self):
    data_dir = os.path.join(self.root, 'rerun')
    shutil.copytree(self.reference_dir, data_dir, symlinks=True)
    # The copied state names the reference paths; settings of this dir differ, so
    # run once to record them, then check that the second run does nothing at all.
    first = _driver.run(_run_settings(data_dir))
    mtimes = {n: os.stat(os.path.join(data_dir, n)).st_mtime_ns
              for n in file_trees.shard_digests(data_dir)}
    second = _driver.run(_run_settings(data_dir))
    self.assertEqual(first, second)
    self.assertEqual(mtimes, {n: os.stat(os.path.join(data_dir, n)).st_mtime_ns
                              for n in mtimes})
    self.assertEqual(file_trees.shard_digests(data_dir),
                     file_trees.shard_digests(self.reference_dir))

  def test_box_csvs_come_from_the_archives_without_writing_the_xmls(self):
    raw = driver.raw_data_dir(self.reference_dir)
    self.assertFalse(os.path.exists(imagenet.train_xml_dir(self.reference_dir)))
    self.assertFalse(os.path.exists(imagenet.validation_xml_dir(self.reference_dir)))
    self.assertCountEqual(
        [name for name in os.listdir(raw) if not name.startswith('.')],
        [driver.TRAIN_DIRNAME, driver.VALIDATION_DIRNAME, imagenet.TRAIN_BOXES_CSV,
         imagenet.VALIDATION_BOXES_CSV])
    # What the extract step records is what it recorded before extract_xml existed,
    # so a state file of an earlier run stays finished.
    self.assertEqual(self.reference_state[_settings.EXTRACT]['settings'],
                     {'no_extract': False})

  def test_extract_xml_writes_the_xmls_and_the_same_csvs_and_shards(self):
    data_dir = os.path.join(self.root, 'extract_xml')
    state = _driver.run(_run_settings(data_dir, extract_xml=True))
    train_xmls = [name for _, _, names in os.walk(imagenet.train_xml_dir(data_dir))
                  for name in names if name.endswith('.xml')]
    # As many XMLs as the bounding_boxes step read from the archive.
    box_outputs = state[_settings.BOUNDING_BOXES]['outputs']
    self.assertLen(train_xmls, box_outputs[imagenet.train_boxes_csv(data_dir)]['files'])
    self.assertEqual(state[_settings.EXTRACT]['outputs']['xml_files'], len(train_xmls))
    self.assertLen(os.listdir(os.path.join(imagenet.validation_xml_dir(data_dir), 'val')),
                   _FIXTURE.num_validation_images)
    for name in (imagenet.TRAIN_BOXES_CSV, imagenet.VALIDATION_BOXES_CSV):
      with self.subTest(csv=name):
        self.assertEqual(_read(os.path.join(driver.raw_data_dir(data_dir), name)),
                         _read(os.path.join(driver.raw_data_dir(self.reference_dir),
                                            name)))
    # The CSV read from the archive is the CSV the extracted XMLs give.
    from_xmls = os.path.join(self.create_tempdir().full_path, 'from_xmls.csv')
    annotations.process_bounding_boxes(
        imagenet.train_xml_dir(data_dir), from_xmls, workers=core.Workers(1),
        rules=annotations.BoxRules(
            label_files.read_synsets(_run_settings(data_dir).labels.synsets)))
    self.assertEqual(_read(from_xmls), _read(imagenet.train_boxes_csv(data_dir)))
    self.assertEqual(file_trees.shard_digests(data_dir),
                     file_trees.shard_digests(self.reference_dir))

  def test_turning_extract_xml_on_extracts_the_xmls_on_a_rerun(self):
    data_dir = os.path.join(self.root, 'extract_xml_later')
    shutil.copytree(self.reference_dir, data_dir, symlinks=True)
    _driver.run(_run_settings(data_dir))  # records this directory's settings
    self.assertEqual(_driver.steps_to_run(_run_settings(data_dir)), [])
    turned_on = _run_settings(data_dir, extract_xml=True)
    self.assertEqual(_driver.steps_to_run(turned_on),
                     list(_settings.STEPS[1:]))
    _driver.run(turned_on)
    self.assertNotEmpty(os.listdir(imagenet.train_xml_dir(data_dir)))
    self.assertEqual(_driver.steps_to_run(turned_on), [])
    self.assertEqual(file_trees.shard_digests(data_dir),
                     file_trees.shard_digests(self.reference_dir))

  def test_extract_xml_without_the_extract_step_is_an_error(self):
    with self.assertRaisesRegex(ValueError, 'extract_xml needs the extract step'):
      _driver.steps(_run_settings(self.reference_dir, no_extract=True, extract_xml=True))

  def test_no_extract_gives_identical_shards_without_raw_data(self):
    data_dir = os.path.join(self.root, 'no_extract')
    state = _driver.run(_run_settings(data_dir, no_extract=True))
    self.assertEqual(list(state), list(_settings.NO_EXTRACT_STEPS))
    self.assertEqual(file_trees.shard_digests(data_dir),
                     file_trees.shard_digests(self.reference_dir))
    self.assertFalse(os.path.exists(os.path.join(data_dir, 'raw-data')))

  def test_failed_conversion_resumes_to_identical_output(self):
    data_dir = os.path.join(self.root, 'resume')
    settings = _run_settings(data_dir)
    _driver.run(settings)
    # As if the conversion had died before writing the train shards, with one image
    # broken since: the redone conversion fails and names it.
    for name in file_trees.shard_digests(data_dir):
      if name.startswith('train-'):
        os.remove(os.path.join(data_dir, name))
    class_dir = os.path.join(data_dir, 'raw-data', 'train', 'n01440764')
    victim = sorted(os.listdir(class_dir))[0]
    victim_path = os.path.join(class_dir, victim)
    with open(victim_path, 'rb') as f:
      good_bytes = f.read()
    with open(victim_path, 'wb') as f:
      f.write(b'not an image')
    with self.assertRaisesRegex(Exception, victim):
      _driver.run(settings, redo=[_settings.CONVERT])
    recorded = driver.read_state(data_dir)
    self.assertNotIn(_settings.CONVERT, recorded)
    self.assertIn(_settings.VALIDATION_RELABEL, recorded)
    # Repaired, a plain re-run resumes with convert and check only.
    with open(victim_path, 'wb') as f:
      f.write(good_bytes)
    state = _driver.run(settings)
    self.assertEqual(file_trees.shard_digests(data_dir),
                     file_trees.shard_digests(self.reference_dir))
    self.assertEqual(driver.total_images(state),
                     driver.total_images(self.reference_state))

  def _truncated_source_run(self, data_dir, **overrides):
    """Runs with a source train tar cut short whose checksums line says so (it passes
    its MD5), then repairs both; returns (settings, the error of the failed run)."""
    settings = _run_settings(data_dir, link_mode='copy', **overrides)
    source = os.path.join(driver.demo_source_dir(data_dir), _archives.TRAIN_TAR)
    with open(source, 'rb') as f:
      good_bytes = f.read()
    with open(settings.checksums_file) as f:
      good_checksums = f.read()
    cut = good_bytes[:len(good_bytes) // 2]
    _write(source, cut)
    _write(settings.checksums_file, good_checksums.replace(
        hashlib.md5(good_bytes).hexdigest(), hashlib.md5(cut).hexdigest()))
    with self.assertRaises(driver.ResumableError) as raised:
      _driver.run(settings)
    _write(source, good_bytes)
    _write(settings.checksums_file, good_checksums)
    return settings, raised.exception

  def _wrong_md5_run(self, data_dir, **overrides):
    """Runs with a checksums file whose train tar MD5 is wrong (the symlinked tarball
    is then not what it should be); returns (settings with the right file, error)."""
    settings = _run_settings(data_dir, **overrides)
    with open(settings.checksums_file) as f:
      good_checksums = f.read()
    with open(os.path.join(settings.source, _archives.TRAIN_TAR), 'rb') as f:
      md5 = hashlib.md5(f.read()).hexdigest()
    wrong = os.path.join(self.create_tempdir().full_path, 'MD5SUMS')
    _write(wrong, good_checksums.replace(md5, '0' * 32))
    with self.assertRaises(driver.ResumableError) as raised:
      _driver.run(dataclasses.replace(settings, checksums_file=wrong))
    downloads = driver.downloads_dir(data_dir)
    path = os.path.join(downloads, _archives.TRAIN_TAR)
    self.assertRegex(str(raised.exception), '^%s: MD5 mismatch: expected 0{32}, actual '
                     '%s; the file was moved aside to %s.bad-md5-%s .*The next run '
                     'fetches it again' % (path, md5, path, md5))
    self.assertTrue(os.path.islink(path + '.bad-md5-' + md5))
    self.assertFalse(os.path.lexists(path))
    self.assertNotIn(_settings.DOWNLOAD, driver.read_state(data_dir))
    return settings, raised.exception

  def test_wrong_md5_found_by_extraction_keeps_nothing_and_is_fetched_again(self):
    data_dir = os.path.join(self.root, 'wrong_md5')
    settings, _ = self._wrong_md5_run(data_dir)
    raw_dir = os.path.join(data_dir, 'raw-data')
    self.assertFalse(os.path.exists(os.path.join(raw_dir, 'train')))
    self.assertFalse(os.path.exists(os.path.join(raw_dir, '.extracting')))
    self.assertNotIn('.%s.extracted' % _archives.TRAIN_TAR, os.listdir(raw_dir))
    self.assertNotIn(_settings.EXTRACT, driver.read_state(data_dir))
    _driver.run(settings)  # The right checksums again: linked, verified, extracted.
    self.assertTrue(os.path.isfile(os.path.join(
        driver.downloads_dir(data_dir), _archives.TRAIN_TAR + acquire.STAMP_SUFFIX)))
    self.assertEqual(file_trees.shard_digests(data_dir),
                     file_trees.shard_digests(self.reference_dir))

  def test_wrong_md5_found_by_the_index_writes_no_train_shard(self):
    data_dir = os.path.join(self.root, 'wrong_md5_no_extract')
    settings, _ = self._wrong_md5_run(data_dir, no_extract=True)
    self.assertEqual(file_trees.shard_digests(data_dir, ('train-',)), {})
    self.assertNotIn(_settings.CONVERT, driver.read_state(data_dir))
    _driver.run(settings)
    self.assertEqual(file_trees.shard_digests(data_dir),
                     file_trees.shard_digests(self.reference_dir))

  def test_linked_tarballs_are_verified_once_by_their_first_read(self):
    downloads = driver.downloads_dir(self.reference_dir)
    for name in (_archives.TRAIN_TAR, _archives.VALIDATION_TAR):
      self.assertTrue(os.path.islink(os.path.join(downloads, name)))
      self.assertTrue(os.path.isfile(os.path.join(downloads,
                                                  name + acquire.STAMP_SUFFIX)))
      self.assertFalse(os.path.exists(os.path.join(downloads,
                                                   name + acquire.PENDING_SUFFIX)))

  def test_archive_found_truncated_is_set_aside_and_fetched_again(self):
    data_dir = os.path.join(self.root, 'truncated')
    settings, error = self._truncated_source_run(data_dir)
    downloads = driver.downloads_dir(data_dir)
    self.assertRegex(str(error), '%s:.*; moved aside to .*%s.corrupt-.*The next '
                     'run fetches it again' % (_archives.TRAIN_TAR, _archives.TRAIN_TAR))
    self.assertFalse(os.path.exists(os.path.join(downloads, _archives.TRAIN_TAR)))
    self.assertLen([name for name in os.listdir(downloads)
                    if name.startswith(_archives.TRAIN_TAR + '.corrupt-')], 1)
    self.assertNotIn(_settings.DOWNLOAD, driver.read_state(data_dir))
    _driver.run(settings)
    self.assertEqual(file_trees.shard_digests(data_dir),
                     file_trees.shard_digests(self.reference_dir))

  def test_no_extract_archive_found_truncated_is_fetched_again(self):
    data_dir = os.path.join(self.root, 'truncated_no_extract')
    settings, error = self._truncated_source_run(data_dir, no_extract=True)
    self.assertIn('The next run fetches it again', str(error))
    _driver.run(settings)
    self.assertEqual(file_trees.shard_digests(data_dir),
                     file_trees.shard_digests(self.reference_dir))

  def test_download_settings_hold_the_checksums_not_the_file_name(self):
    settings = _run_settings(self.reference_dir)
    with open(settings.checksums_file) as f:
      lines = f.read().splitlines()
    checksums = os.path.join(self.create_tempdir().full_path, 'MD5SUMS')
    _write(checksums, '\n'.join(lines) + '\n')
    moved = dataclasses.replace(settings, checksums_file=checksums)
    self.assertEqual(_driver.steps_to_run(moved), [])
    _write(checksums, '\n'.join(['0' * 32 + lines[0][32:]] + lines[1:]) + '\n')
    self.assertEqual(_driver.steps_to_run(moved),
                     list(_settings.STEPS))

  def test_file_gone_from_downloads_is_fetched_again(self):
    data_dir = os.path.join(self.root, 'deleted')
    settings = _run_settings(data_dir)
    _driver.run(settings)
    os.remove(os.path.join(driver.downloads_dir(data_dir), _archives.VALIDATION_TAR))
    self.assertEqual(_driver.steps_to_run(settings), list(_settings.STEPS))
    _driver.run(settings)
    self.assertTrue(os.path.isfile(os.path.join(driver.downloads_dir(data_dir),
                                                _archives.VALIDATION_TAR)))
    self.assertEqual(file_trees.shard_digests(data_dir),
                     file_trees.shard_digests(self.reference_dir))

  def test_steps_to_run_redo_reruns_later_steps(self):
    settings = _run_settings(self.reference_dir)
    self.assertEqual(_driver.steps_to_run(settings), [])
    self.assertEqual(
        _driver.steps_to_run(settings,
                              redo=[_settings.VALIDATION_RELABEL]),
        [_settings.VALIDATION_RELABEL, _settings.CONVERT, _settings.CHECK])
    changed = _run_settings(self.reference_dir, check_mode='full')
    self.assertEqual(_driver.steps_to_run(changed),
                     [_settings.CHECK])
    with self.assertRaisesRegex(ValueError, 'unpack'):
      _driver.steps_to_run(settings, redo=['unpack'])

  def test_stream_extract_from_a_url_extracts_in_the_download_step(self):
    data_dir = os.path.join(self.root, 'stream')
    local = _run_settings(data_dir)
    raw = driver.raw_data_dir(data_dir)
    stamps = [os.path.join(raw, '.%s.extracted' % name)
              for name in (_archives.VALIDATION_TAR, _archives.TRAIN_TAR)]
    with http_test_server.FileServer(driver.demo_source_dir(data_dir)) as server:
      settings = dataclasses.replace(local, source=server.url, stream_extract=True)
      _driver.run_download(settings, None)
      self.assertEqual(sorted(os.listdir(raw)), sorted(
          [os.path.basename(stamp) for stamp in stamps] +
          [driver.TRAIN_DIRNAME, driver.VALIDATION_DIRNAME]))  # The boxes are left.
      mtimes = [os.stat(stamp).st_mtime_ns for stamp in stamps]
      server.reset_counters()
      state = _driver.run(settings)
      self.assertEqual(server.bytes_sent, 0)  # The download step finds all verified.
    self.assertEqual([os.stat(stamp).st_mtime_ns for stamp in stamps], mtimes)
    self.assertTrue(state[_settings.DOWNLOAD]['settings']['stream_extract'])
    expected = demo.imagenet_demo_source(data_dir, _FIXTURE)['expected_counts']
    self.assertEqual(state[_settings.EXTRACT]['outputs']['train_images'],
                     expected['train'])
    self.assertEqual(file_trees.shard_digests(data_dir),
                     file_trees.shard_digests(self.reference_dir))

  def test_stream_extract_is_recorded_only_where_it_changes_the_download(self):
    local = _run_settings(self.reference_dir)
    url = dataclasses.replace(local, source='https://mirror.example/ilsvrc/')
    for settings, recorded in (
        (local, False), (dataclasses.replace(local, stream_extract=True), False),
        (url, False), (dataclasses.replace(url, stream_extract=True), True)):
      with self.subTest(settings=settings):
        self.assertEqual('stream_extract' in settings.step_settings(_settings.DOWNLOAD),
                         recorded)
    # A state file written without it stays finished.
    self.assertEqual(_driver.steps_to_run(dataclasses.replace(local, stream_extract=True)), [])
    with self.assertRaisesRegex(ValueError, 'cannot be combined with no_extract'):
      _driver.run(dataclasses.replace(url, stream_extract=True, no_extract=True))

  def test_box_csvs_go_to_raw_data_or_beside_the_tarballs(self):
    self.assertEqual(
        _settings.boxes_csv_paths(_settings.Settings('/d', validation_bounding_boxes=True)),
        ['/d/raw-data/imagenet_2012_bounding_boxes.csv',
         '/d/raw-data/imagenet_2012_validation_bounding_boxes.csv'])
    self.assertEqual(_settings.boxes_csv_paths(_settings.Settings('/d', no_extract=True)),
                     ['/d/downloads/imagenet_2012_bounding_boxes.csv'])

  def test_state_file_is_json_with_settings_and_outputs(self):
    with open(driver.state_path(self.reference_dir)) as f:
      steps = json.load(f)['steps']
    self.assertEqual(steps[_settings.CONVERT]['outputs']['train']['shards'], 3)
    self.assertEqual(steps[_settings.DOWNLOAD]['settings']['link_mode'], 'symlink')


_TEST_FIXTURE = dataclasses.replace(_FIXTURE, num_test_images=5)
_TEST_SHARDS = ('test-00000-of-00002', 'test-00001-of-00002')
_ALL_SPLITS = ('train-', 'validation-', 'test-')


def _break_first_train_image(settings):
  """Replaces the first image of the first class tar in the source train tar with
  bytes that are no image (and its MD5 in the checksums file); returns the image's
  name as errors give it, ARCHIVE:CLASS_TAR:MEMBER."""
  path = os.path.join(settings.source, _archives.TRAIN_TAR)
  old_bytes = _read(path)
  outer = io.BytesIO()
  with tarfile.open(path) as source, tarfile.open(fileobj=outer, mode='w') as target:
    for number, class_member in enumerate(source):
      data = source.extractfile(class_member).read()
      if number == 0:
        inner = io.BytesIO()
        with tarfile.open(fileobj=io.BytesIO(data)) as images, tarfile.open(
            fileobj=inner, mode='w') as rewritten:
          for index, image in enumerate(images):
            image_bytes = b'not an image' if index == 0 else images.extractfile(
                image).read()
            if index == 0:
              victim = '%s:%s:%s' % (_archives.TRAIN_TAR, class_member.name, image.name)
            image.size = len(image_bytes)
            rewritten.addfile(image, io.BytesIO(image_bytes))
        data = inner.getvalue()
      class_member.size = len(data)
      target.addfile(class_member, io.BytesIO(data))
  _write(path, outer.getvalue())
  checksums = _read(settings.checksums_file).decode()
  _write(settings.checksums_file, checksums.replace(
      hashlib.md5(old_bytes).hexdigest(), hashlib.md5(outer.getvalue()).hexdigest()))
  return victim


class NoExtractBadImageTest(absltest.TestCase):
  """With no_extract, a bad image is named ARCHIVE:MEMBER (issue 24, item 3)."""

  def test_error_and_bad_images_report_name_archive_and_member(self):
    data_dir = os.path.join(absltest.get_default_test_tmpdir(), 'bad_member')
    settings = _run_settings(data_dir, no_extract=True)
    victim = _break_first_train_image(settings)
    self.assertRegex(victim, r'^ILSVRC2012_img_train\.tar:n\d{8}\.tar:n\d{8}_\d+\.JPEG$')
    with self.assertRaises(Exception) as raised:
      _driver.run(settings)
    self.assertIn(victim + ': ', str(raised.exception))
    self.assertNotIn('TarMember', str(raised.exception))
    skipping = dataclasses.replace(settings, options=dataclasses.replace(
        settings.options, skip_bad_images=True), expected_counts=None)
    _driver.run(skipping)
    with open(core.bad_images_path(data_dir, 'train')) as f:
      lines = f.read().splitlines()
    self.assertLen(lines, 1)
    self.assertTrue(lines[0].startswith(victim + '\t'), lines)


def _with_test_settings(data_dir, **overrides):
  return _run_settings(data_dir, _TEST_FIXTURE, with_test=True,
                       shards=convert.ShardCounts(3, 2, test=2), **overrides)


class TestSplitTest(absltest.TestCase):
  """--with_test: the unlabelled test split, next to unchanged train and validation."""

  @classmethod
  def setUpClass(cls):
    super().setUpClass()
    cls.root = os.path.join(absltest.get_default_test_tmpdir(), 'with_test')
    cls.plain_dir = os.path.join(cls.root, 'plain')
    cls.plain_state = _driver.run(_run_settings(cls.plain_dir))
    cls.test_dir = os.path.join(cls.root, 'test')
    cls.test_state = _driver.run(_with_test_settings(cls.test_dir))

  def test_writes_unlabelled_test_shards_that_pass_the_check(self):
    self.assertIn(_settings.CHECK, self.test_state)
    self.assertEqual(driver.total_images(self.test_state)['test'], 5)
    self.assertEqual(self.test_state[_settings.CHECK]['outputs']['records']['test'], 5)
    digests = file_trees.shard_digests(self.test_dir, ('test-',))
    self.assertEqual(sorted(digests), list(_TEST_SHARDS))
    examples = [tf.train.Example.FromString(record)
                for name in _TEST_SHARDS
                for record in _records(os.path.join(self.test_dir, name))]
    self.assertLen(examples, 5)
    filenames = set()
    for example in examples:
      features = example.features.feature
      self.assertLen(features, 15)
      self.assertEqual(list(features['image/class/label'].int64_list.value), [0])
      self.assertEqual(list(features['image/class/synset'].bytes_list.value), [b''])
      self.assertEqual(list(features['image/class/text'].bytes_list.value), [b''])
      for key in ('xmin', 'ymin', 'xmax', 'ymax', 'label'):
        feature = features['image/object/bbox/' + key]
        self.assertEmpty(feature.float_list.value or feature.int64_list.value)
      filenames.add(features['image/filename'].bytes_list.value[0].decode())
    self.assertEqual(filenames, {demo.test_filename(i) for i in range(5)})
    self.assertLen(os.listdir(imagenet.test_images_dir(self.test_dir)), 5)

  def test_train_and_validation_shards_are_unchanged(self):
    self.assertEqual(file_trees.shard_digests(self.test_dir),
                     file_trees.shard_digests(self.plain_dir))

  def test_no_extract_gives_identical_test_shards(self):
    data_dir = os.path.join(self.root, 'no_extract')
    state = _driver.run(_with_test_settings(data_dir, no_extract=True))
    self.assertEqual(list(state), list(_settings.NO_EXTRACT_STEPS))
    self.assertFalse(os.path.exists(os.path.join(data_dir, 'raw-data')))
    self.assertEqual(file_trees.shard_digests(data_dir, _ALL_SPLITS),
                     file_trees.shard_digests(self.test_dir, _ALL_SPLITS))

  def test_without_with_test_nothing_is_fetched_or_recorded_for_it(self):
    self.assertEqual(file_trees.shard_digests(self.plain_dir, ('test-',)), {})
    self.assertFalse(os.path.exists(os.path.join(
        driver.demo_source_dir(self.plain_dir), _archives.TEST_TAR)))
    self.assertNotIn(_archives.TEST_TAR, os.listdir(driver.downloads_dir(self.plain_dir)))
    for step in self.plain_state.values():
      self.assertNotIn('with_test', step['settings'])
      self.assertNotIn('test_shards', step['settings'])
    self.assertEqual(self.test_state[_settings.DOWNLOAD]['settings']['with_test'], True)
    self.assertEqual(self.test_state[_settings.CONVERT]['settings']['test_shards'], 2)

  def test_finished_lines_end_with_the_test_split(self):
    self.assertEqual(driver.finished_lines(self.test_state)[-1],
                     'Finished writing all 5 images in data set.')
    self.assertLen(driver.finished_lines(self.plain_state), 2)

  def test_test_tar_without_an_md5_is_a_clear_error_before_any_download(self):
    data_dir = os.path.join(self.root, 'no_md5')
    settings = _with_test_settings(data_dir)
    checksums = os.path.join(self.create_tempdir().full_path, 'MD5SUMS')
    with open(settings.checksums_file) as f:
      _write(checksums, ''.join(line for line in f if _archives.TEST_TAR not in line))
    settings = dataclasses.replace(settings, checksums_file=checksums)
    with self.assertRaisesRegex(
        ValueError, r'^ILSVRC2012_img_test_v10102019\.tar: no checksum known .*'
        r'--checksums_file'):
      _driver.run(settings)
    self.assertFalse(os.path.exists(driver.downloads_dir(data_dir)))


class OlderVersionTest(absltest.TestCase):
  """A DATA_DIR left half-done by the version before the driver layer (06c5926):
  its state file (download to validation_relabel finished), its conversion manifest
  and its shards' digests, kept in testdata/ as that version wrote them. Since issue
  25 re-encodes PNG and CMYK images at 4:4:4 chroma (that version: 4:2:0), the shards
  holding one differ, and the conversion is refused in one line rather than mixing
  shards of both; the finished steps stay finished."""

  def _testdata(self, name):
    return runfiles.Create().Rlocation(
        'inception/tests/imagenet/testdata/written_by_06c5926/' + name)

  def _reencoded_shards(self, data_dir):
    """The shards holding one of the fixture's PNG or CMYK images."""
    hard_cases = demo.generate(self.create_tempdir().full_path, _FIXTURE).hard_cases
    names = {hard_cases['png'].encode(), hard_cases['cmyk'].encode()}
    return {name for name in file_trees.shard_digests(data_dir)
            if names & {tf.train.Example.FromString(record).features.feature[
                'image/filename'].bytes_list.value[0]
                        for record in _records(os.path.join(data_dir, name))}}

  def test_refused_in_one_line_then_rewritten_with_overwrite_keeping_its_steps(self):
    data_dir = self.create_tempdir().full_path
    # The older version's shards, byte for byte (SHARDS.sha256 holds their digests),
    # but for the shards holding a re-encoded image.
    _driver.run(_run_settings(data_dir))
    now = file_trees.shard_digests(data_dir)
    before = dict(reversed(line.split()) for line in
                  _read(self._testdata('SHARDS.sha256')).decode().splitlines())
    reencoded = self._reencoded_shards(data_dir)
    self.assertNotEmpty(reencoded)
    self.assertEqual({n for n in before if now[n] != before[n]}, reencoded)
    self.assertEqual(now.keys(), before.keys())
    # What the older version left: its state file and manifest, one shard missing.
    old_state = _read(self._testdata('pipeline_state.json')).decode().replace(
        '@DATA_DIR@', data_dir)
    _write(os.path.join(data_dir, 'pipeline_state.json'), old_state)
    shutil.copy(self._testdata('conversion_manifest.json'), data_dir)
    os.remove(os.path.join(data_dir, 'train-00001-of-00003'))

    with self.assertRaises(convert.ConversionError) as refused:
      _driver.run(_run_settings(data_dir))
    self.assertEqual(
        str(refused.exception),
        '%s: the validation shards there were written by an earlier version, which '
        're-encoded PNG and CMYK images with other JPEG options (4:2:0 chroma; now '
        '4:4:4), and resuming would mix the two; use --overwrite to write them again'
        % data_dir)
    self.assertFalse(os.path.exists(os.path.join(data_dir, 'train-00001-of-00003')))

    overwrite = _run_settings(data_dir, options=convert.ConvertOptions(
        workers=core.Workers(1), progress_interval=60, overwrite=True))
    state = _driver.run(overwrite)
    old_steps = json.loads(old_state)['steps']
    for step in (_settings.DOWNLOAD, _settings.EXTRACT, _settings.BOUNDING_BOXES,
                 _settings.VALIDATION_RELABEL):
      self.assertEqual(state[step], old_steps[step], step)  # not run again
    self.assertEqual(file_trees.shard_digests(data_dir), now)


if __name__ == '__main__':
  absltest.main()
