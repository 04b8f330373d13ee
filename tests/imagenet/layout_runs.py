"""What the tests of the driver on the other publishers' layouts share: one mini
ImageNet converted from the official tarballs and from each layout (in-process, as
the demo lays them out), and the comparison of their shards, box CSVs and closing
lines."""

import dataclasses
import os
import tempfile

from absl.testing import absltest

from inception import convert
from inception import core
from inception import demo
from inception import driver
from inception import imagenet
from inception.imagenet import _driver
from tests import file_trees

FIXTURE = demo.Config(num_classes=3, images_per_class=7, num_validation_images=6,
                      num_test_images=4, min_side=48, max_side=80, seed=5)
SPLITS = ('train-', 'validation-', 'test-')
CSVS = (imagenet.TRAIN_BOXES_CSV, imagenet.VALIDATION_BOXES_CSV)


def settings_for(data_dir, source_format, **overrides):
  """The demo's settings on FIXTURE from `source_format`, small and with test."""
  values = dict(with_test=True, shards=convert.ShardCounts(3, 2, test=2),
                options=convert.ConvertOptions(workers=core.Workers(1),
                                               progress_interval=60))
  values.update(overrides)
  return demo.imagenet_demo_settings(data_dir, FIXTURE, source_format=source_format,
                                     **values)


def csvs(data_dir):
  """The box CSVs the bounding_boxes step wrote (None: not written)."""
  contents = file_trees.file_contents(driver.raw_data_dir(data_dir))
  return {name: contents.get(name) for name in CSVS}


def closing_lines(data_dir, state):
  """The closing lines, DATA_DIR left out."""
  return [line.replace(data_dir, 'DATA_DIR')
          for line in driver.closing_lines(data_dir, state)]


class LayoutRunTestCase(absltest.TestCase):
  """Runs the driver on the tarballs and on each of LAYOUTS once per class;
  `snapshot(source)` records each source before its run."""

  LAYOUTS = ()

  @staticmethod
  def snapshot(source):
    raise NotImplementedError

  @classmethod
  def setUpClass(cls):
    super().setUpClass()
    root = tempfile.mkdtemp(dir=absltest.get_default_test_tmpdir())
    cls.reference_dir = os.path.join(root, 'tarballs')
    cls.reference_state = _driver.run(settings_for(cls.reference_dir, 'tarballs'))
    cls.data_dirs, cls.states, cls.sources, cls.before = {}, {}, {}, {}
    for source_format in cls.LAYOUTS:
      data_dir = os.path.join(root, source_format)
      settings = settings_for(data_dir, source_format)
      cls.sources[source_format] = settings.source
      cls.before[source_format] = cls.snapshot(settings.source)
      cls.data_dirs[source_format] = data_dir
      cls.states[source_format] = _driver.run(settings)

  def test_shards_box_csvs_and_closing_lines_are_the_tarballs(self):
    reference = file_trees.shard_digests(self.reference_dir, SPLITS)
    self.assertLen(reference, 7)
    self.assertLen(self.data_dirs, len(self.LAYOUTS))
    for source_format, data_dir in self.data_dirs.items():
      with self.subTest(source_format):
        self.assertEqual(file_trees.shard_digests(data_dir, SPLITS), reference)
        self.assertEqual(csvs(data_dir), csvs(self.reference_dir))
        self.assertEqual(closing_lines(data_dir, self.states[source_format]),
                         closing_lines(self.reference_dir, self.reference_state))

  def test_the_source_is_untouched(self):
    for source_format, source in self.sources.items():
      with self.subTest(source_format):
        self.assertEqual(self.snapshot(source), self.before[source_format])

  def assert_tarball_options_refused(self, settings):
    """The tarballs' own options, each refused before any work."""
    for option, value in (('no_extract', True), ('link_mode', 'symlink'),
                          ('stream_extract', True)):
      with self.subTest(option):
        with self.assertRaisesRegex(ValueError, '--%s applies only to the official '
                                    'tarballs' % option):
          _driver.run(dataclasses.replace(settings, **{option: value}))
    self.assertEqual(os.listdir(settings.data_dir), [driver.DEMO_SOURCE_DIRNAME])
