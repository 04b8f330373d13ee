"""Tests for inception.cli._flags: one name per idea, the old names as aliases, and the
rules of arguments that may also be flags."""

import os

from absl import app
from absl import flags
from absl.testing import absltest

from inception import cli
from inception import label_files
from inception.cli import _flags

# Every shared idea's flag, and the names it is also known by.
_ALIASES = {
    'data_dir': ['directory'],
    'validation_directory': ['validation_dir'],
    'output_directory': ['output_dir'],
    'labels_file': ['synsets_file'],
    'imagenet_metadata_file': ['metadata_file'],
    'num_threads': ['num_workers'],
}


def _defined() -> flags.FlagValues:
  """Fresh FlagValues with every flag of _flags defined."""
  values = flags.FlagValues()
  _flags.define_data_dir('The data.', values)
  _flags.define_validation_directory(None, 'Validation images.', values)
  _flags.define_output_directory(None, 'Output.', values)
  _flags.define_shard_flags(1024, 128, values)
  _flags.define_labels_file('none.', values)
  _flags.define_imagenet_metadata_file('none.', values)
  _flags.define_validation_labels_file('none.', values)
  _flags.define_worker_flags(values)
  return values


def _parsed(*argv: str) -> flags.FlagValues:
  values = _defined()
  values(['prog'] + list(argv))
  return values


class AliasesTest(absltest.TestCase):

  def test_each_alias_sets_its_flag(self):
    for name, aliases in _ALIASES.items():
      value = '3' if name == 'num_threads' else 'some/path'
      expected = 3 if name == 'num_threads' else value
      for alias in aliases:
        with self.subTest(alias=alias):
          self.assertEqual(_parsed('--%s=%s' % (alias, value))[name].value, expected)

  def test_the_original_names_are_the_flags(self):
    values = _parsed('--labels_file=s', '--imagenet_metadata_file=m',
                     '--validation_labels_file=v', '--num_threads=2',
                     '--train_shards=8', '--validation_shards=2')
    self.assertEqual((values.labels_file, values.imagenet_metadata_file,
                      values.validation_labels_file, values.num_threads,
                      values.train_shards, values.validation_shards),
                     ('s', 'm', 'v', 2, 8, 2))

  def test_an_alias_keeps_its_flags_checks(self):
    with self.assertRaises(flags.IllegalFlagValueError):
      _parsed('--num_workers=0')

  def test_flags_belong_to_the_module_that_defines_them(self):
    # disclaim_key_flags: a binary's --helpshort lists the shared flags.
    values = _defined()
    module = values.find_module_defining_flag('labels_file')
    self.assertEqual(os.path.splitext(os.path.basename(module))[0], 'flags_test')
    self.assertIn('synsets_file',
                  [f.name for f in values.get_key_flags_for_module(module)])


class LabelFilePathTest(absltest.TestCase):

  def test_rules(self):
    shipped = label_files.data_file_path(label_files.SYNSETS_FILE)
    for value, unset_is_shipped, expected in (
        (None, True, shipped), (None, False, None), ('', True, None),
        ('', False, None), (cli.SHIPPED, False, shipped),
        ('/abs/synsets.txt', True, '/abs/synsets.txt')):
      with self.subTest(value=value, unset_is_shipped=unset_is_shipped):
        self.assertEqual(
            cli.label_file_from_flag(value, label_files.SYNSETS_FILE, unset_is_shipped),
            expected)

  def test_relative_path_is_the_users(self):
    self.assertEqual(cli.label_file_from_flag('l.txt', label_files.SYNSETS_FILE, True),
                     os.path.join(os.getcwd(), 'l.txt'))


class ArgumentsOrFlagsTest(absltest.TestCase):

  def setUp(self):
    super().setUp()
    self.values = _defined()
    flags.DEFINE_multi_string('xml_source', [], 'Sources.', flag_values=self.values)

  def arguments(self, *argv, names=('data_dir',), required=('data_dir',)):
    argv = self.values(['prog'] + list(argv))
    return _flags.arguments_or_flags(argv, names, self.values, required)

  def test_argument_or_flag(self):
    self.assertEqual(self.arguments('/d'), ['/d'])
    self.assertEqual(self.arguments('--data_dir=/d'), ['/d'])
    self.assertEqual(self.arguments('--directory=/d'), ['/d'])

  def test_given_twice_is_a_usage_error_even_when_equal(self):
    for argv in (['--data_dir=/a', '/b'], ['--data_dir=/a', '/a'],
                 ['--directory=/a', '/b']):
      with self.subTest(argv=argv):
        with self.assertRaisesRegex(app.UsageError,
                                    'DATA_DIR given twice: as the argument'):
          self.arguments(*argv)

  def test_missing_or_too_many(self):
    with self.assertRaisesRegex(app.UsageError, r'give DATA_DIR \(as an argument or '
                                r'as --data_dir\)'):
      self.arguments()
    with self.assertRaisesRegex(app.UsageError, r'too many arguments: /a /b '
                                r'\(expected: \[DATA_DIR\]\)'):
      self.arguments('/a', '/b')
    with self.assertRaisesRegex(app.UsageError, r'too many arguments: x \(expected: '
                                r'none\)'):
      self.arguments('x', names=(), required=())

  def test_data_dir_to_write_is_a_directory_or_a_path_to_create(self):
    def data_dir_to_write(*argv):
      values = _defined()
      return _flags.data_dir_to_write(values(['prog'] + list(argv)), values)

    root = self.create_tempdir().full_path
    a_file = self.create_tempfile(file_path=os.path.join(root, 'afile')).full_path
    for data_dir in (root, os.path.join(root, 'new', 'deeper')):
      self.assertEqual(data_dir_to_write(data_dir), data_dir)
    with self.assertRaisesRegex(app.UsageError, r'^DATA_DIR %s is a file; expected a '
                                r'directory \(or a path to create\)$' % a_file):
      data_dir_to_write('--data_dir=' + a_file)
    with self.assertRaisesRegex(app.UsageError, r'^DATA_DIR %s/sub/x: %s is a file; '
                                r'expected a directory' % (a_file, a_file)):
      data_dir_to_write(a_file + '/sub/x')
    with self.assertRaisesRegex(app.UsageError, 'give DATA_DIR'):
      data_dir_to_write()

  def test_arguments_fill_the_flags_in_order(self):
    names = ('validation_directory', 'validation_labels_file')
    self.assertEqual(self.arguments('v', 'l', names=names, required=()), ['v', 'l'])
    self.assertEqual(self.arguments('v', names=names, required=()), ['v', None])
    self.assertEqual(
        self.arguments('--validation_labels_file=l', 'v', names=names, required=()),
        ['v', 'l'])

  def test_a_list_flag_takes_the_argument_as_one_more_value(self):
    self.assertEqual(
        self.arguments('--xml_source=a', 'b', names=('xml_source',), required=()),
        [['a', 'b']])


if __name__ == '__main__':
  absltest.main()
