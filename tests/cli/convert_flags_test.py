"""Tests for inception.cli._convert_flags: the converter binaries' shared flags."""

import os

from absl import flags
from absl.testing import absltest

from inception import convert
from inception import core
from inception.cli import _convert_flags
from inception.cli import _flags


def _parsed(*argv):
  """Fresh FlagValues holding the converter flags, parsed from `argv`."""
  values = flags.FlagValues()
  _convert_flags.define_directory_flags(1024, 128, flag_values=values)
  _convert_flags.define_converter_flags(flag_values=values)
  _flags.define_labels_file('none.', values)
  values(['prog'] + list(argv))
  return values


class ConvertFlagsTest(absltest.TestCase):

  def test_defaults_give_the_local_engine_and_the_original_shard_counts(self):
    values = _parsed()
    self.assertEqual((values.train_shards, values.validation_shards), (1024, 128))
    self.assertEqual(_convert_flags.options_from_flags(values), convert.ConvertOptions())

  def test_flags_make_the_options(self):
    values = _parsed('--num_threads=3', '--validate_images=full', '--skip_bad_images',
                     '--overwrite', '--write_index', '--runner=DirectRunner',
                     '--beam_pipeline_options=direct_num_workers=2')
    self.assertEqual(
        _convert_flags.options_from_flags(values),
        convert.ConvertOptions(workers=core.Workers(3), validate_images='full',
                               skip_bad_images=True, overwrite=True, write_index=True,
                               runner='DirectRunner',
                               beam_pipeline_args=('--direct_num_workers=2',)))

  def test_validate_images_defaults_to_the_structure_walk(self):
    self.assertEqual(_parsed().validate_images, 'structure')
    self.assertEqual(_parsed('--validate_images=none').validate_images, 'none')
    help_text = _parsed()['validate_images'].help
    for mode in ('none:', 'structure:', 'full:', 'ms'):
      self.assertIn(mode, help_text)

  def test_conversion_arguments_are_absolute(self):
    values = _parsed('--train_directory=t', '--validation_directory=',
                     '--output_dir=o', '--synsets_file=/l/synsets.txt')
    arguments = _convert_flags.conversion_arguments(values)
    self.assertEqual(
        {key: arguments[key] for key in ('directories', 'output_directory',
                                         'labels_file')},
        {'directories': convert.SplitPaths(train=os.path.abspath('t'), validation=None),
         'output_directory': os.path.abspath('o'), 'labels_file': '/l/synsets.txt'})
    self.assertEqual((arguments['shards'].train, arguments['shards'].validation),
                     (1024, 128))

  def test_bad_values_are_refused_by_the_parser(self):
    with self.assertRaises(flags.IllegalFlagValueError):
      _parsed('--validate_images=some')
    with self.assertRaises(flags.IllegalFlagValueError):
      _parsed('--num_threads=0')

  def test_beam_pipeline_options(self):
    self.assertEqual(
        _convert_flags.parse_beam_pipeline_options(
            'project=P, region=R,temp_location=gs://b/tmp,,--save_main_session,'
            'setup_file=/src/setup.py'),
        ('--project=P', '--region=R', '--temp_location=gs://b/tmp',
         '--save_main_session', '--setup_file=/src/setup.py'))
    self.assertEqual(
        _convert_flags.parse_beam_pipeline_options('requirements_file=req.txt'),
        ('--requirements_file=' + os.path.abspath('req.txt'),))
    self.assertEqual(_convert_flags.parse_beam_pipeline_options(''), ())
    with self.assertRaisesRegex(ValueError, 'no option name'):
      _convert_flags.parse_beam_pipeline_options('=x')


if __name__ == '__main__':
  absltest.main()
