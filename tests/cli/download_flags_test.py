"""Tests for inception.cli._download_flags: the two download binaries' common flags."""

import os

from absl import app
from absl import flags
from absl.testing import absltest

from inception import imagenet
from inception.cli import _download_flags


def _parsed(*argv: str) -> flags.FlagValues:
  values = flags.FlagValues()
  _download_flags.define_download_flags(values)
  values(['prog'] + list(argv))
  return values


class DownloadFlagsTest(absltest.TestCase):

  def test_defaults(self):
    values = _parsed()
    self.assertEqual(values.source, imagenet.DEFAULT_BASE_URL)
    self.assertEqual(values.link_mode, 'copy')
    self.assertTrue(values.extract)
    self.assertFalse(values.validation_bounding_boxes)
    self.assertFalse(values.with_test)
    self.assertFalse(values.stream_extract)
    self.assertEqual(_download_flags.netrc_file_from_flags(values),
                     os.path.expanduser('~/.netrc'))

  def test_the_source_help_names_every_accepted_form(self):
    text = ' '.join(_parsed()['source'].help.split())
    for form in ('http or https', 'local directory', 's3://', 'gs://', 'az://',
                 "Kaggle's imagenet-object-localization-challenge unpacked",
                 'that zip', "Hugging Face's data/", 'parquet', 'tar.gz'):
      self.assertIn(form, text)

  def test_a_store_source_is_kept_as_given(self):
    self.assertEqual(_download_flags.source_from_flags(
        _parsed('--source=s3://bucket/kaggle.zip')), 's3://bucket/kaggle.zip')

  def test_extract_and_its_negation(self):
    for argv, extract in ((['--noextract'], False), (['--no_extract'], False),
                          (['--no_extract=false'], True), (['--extract'], True),
                          (['--no_extract', '--extract'], True),
                          (['--extract', '--no_extract'], False)):
      with self.subTest(argv=argv):
        self.assertEqual(_parsed(*argv).extract, extract)

  def test_extract_xml_is_off_by_default_and_needs_extract(self):
    self.assertFalse(_parsed().extract_xml)
    self.assertTrue(_parsed('--extract_xml').extract_xml)
    for argv in (['--extract_xml', '--no_extract'], ['--noextract', '--extract_xml']):
      with self.subTest(argv=argv):
        with self.assertRaisesRegex(flags.IllegalFlagValueError,
                                    '--extract_xml needs --extract'):
          _parsed(*argv)

  def test_stream_extract_is_refused_with_no_extract(self):
    self.assertTrue(_parsed('--stream_extract').stream_extract)
    self.assertTrue(_parsed('--stream_extract', '--extract').stream_extract)
    for negation in ('--no_extract', '--noextract'):
      with self.subTest(negation=negation):
        with self.assertRaisesRegex(flags.IllegalFlagValueError,
                                    'cannot be combined with --no_extract'):
          _parsed('--stream_extract', negation)
    self.assertFalse(_parsed('--nostream_extract', '--no_extract').extract)

  def test_test_shards_needs_with_test(self):

    def parsed(*argv):
      values = flags.FlagValues()
      _download_flags.define_download_flags(values)
      _download_flags.define_test_shards('Default 100.', values)
      values(['prog'] + list(argv))
      return values

    self.assertIsNone(parsed().test_shards)
    self.assertEqual(parsed('--with_test', '--test_shards=3').test_shards, 3)
    self.assertIsNone(parsed('--with_test').test_shards)
    with self.assertRaisesRegex(flags.IllegalFlagValueError,
                                '--test_shards needs --with_test: without it there is '
                                'no test split to shard'):
      parsed('--test_shards=3')

  def test_aliases(self):
    values = _parsed('--with_bbox_val', '--netrc=my.netrc')
    self.assertTrue(values.validation_bounding_boxes)
    self.assertEqual(values.netrc_file, 'my.netrc')
    self.assertFalse(_parsed('--nowith_bbox_val').validation_bounding_boxes)

  def test_empty_netrc_file_reads_none(self):
    self.assertIsNone(_download_flags.netrc_file_from_flags(_parsed('--netrc_file=')))

  def test_source_url_as_given_directory_made_absolute(self):
    self.assertEqual(_download_flags.source_from_flags(
        _parsed('--source=https://mirror.example/x/')), 'https://mirror.example/x/')
    self.assertEqual(_download_flags.source_from_flags(_parsed('--source=tarballs')),
                     os.path.join(os.getcwd(), 'tarballs'))

  def test_source_that_is_a_file_is_a_usage_error(self):
    tarball = self.create_tempfile('ILSVRC2012_img_train.tar').full_path
    with self.assertRaisesRegex(app.UsageError, r'^--source %s is a file; expected a '
                                r"directory \(the tarballs, Kaggle's tree, Hugging "
                                r"Face's data/\), Kaggle's zip, a store prefix or an "
                                r'http\(s\) URL$' % tarball):
      _download_flags.source_from_flags(_parsed('--source=' + tarball))
    # Kaggle's zip, by any name ending in .zip, is a source of its own.
    for name in ('imagenet-object-localization-challenge.zip', 'mine.ZIP'):
      archive = self.create_tempfile(name).full_path
      self.assertEqual(
          _download_flags.source_from_flags(_parsed('--source=' + archive)), archive)
    # A directory that does not exist is acquire's to name, when a download needs it.
    missing = os.path.join(os.path.dirname(tarball), 'missing')
    self.assertEqual(_download_flags.source_from_flags(_parsed('--source=' + missing)),
                     missing)

  def test_source_format_and_link_mode_in_the_settings(self):
    values = flags.FlagValues()
    _download_flags.define_download_flags(values)
    _download_flags.define_source_format(values)
    values(['prog'])
    settings = _download_flags.download_settings_from_flags(values)
    self.assertEqual(settings['source_format'], imagenet.AUTO)
    self.assertIsNone(settings['link_mode'])  # not given: a source read in place
    values(['prog', '--source_format=kaggle_zip', '--link_mode=copy'])
    settings = _download_flags.download_settings_from_flags(values)
    self.assertEqual((settings['source_format'], settings['link_mode']),
                     ('kaggle_zip', 'copy'))
    with self.assertRaisesRegex(flags.IllegalFlagValueError, 'should be one of <auto|'
                                'tarballs|kaggle|kaggle_zip|hf_parquet|hf_targz>'):
      values(['prog', '--source_format=tfds'])
    # A binary without --source_format (download_imagenet) leaves it out.
    self.assertNotIn('source_format',
                     _download_flags.download_settings_from_flags(_parsed()))


if __name__ == '__main__':
  absltest.main()
