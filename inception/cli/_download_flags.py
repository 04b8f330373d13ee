"""The flags of the binaries that fetch and extract the ILSVRC2012 tarballs.

download_imagenet and download_and_preprocess_imagenet take the same flags for the same
ideas; the names only one of them had before are aliases (see _flags). `--no_extract`
is the negation of `--extract` rather than an alias, which absl has no kind of: it is
defined by `define_negation` below.
"""

import os
import sys
from typing import Any, Dict, Optional

from absl import app
from absl import flags

from inception import acquire
from inception import core
from inception import driver
from inception import imagenet
from inception.cli import _flags

# The flags defined here belong to the binary calling define_*: its --helpshort lists
# them.
flags.disclaim_key_flags()

_DEFAULT_NETRC = '~/.netrc'
# Kaggle's data set, as its zip is named.
_KAGGLE_DATASET = os.path.splitext(imagenet.KAGGLE_ZIP_FILE)[0]


class _NegationFlag(flags.BooleanFlag):
  """A boolean flag that sets another boolean flag to the opposite value."""

  def __init__(self, original: flags.Flag, name: str):
    super().__init__(name, not original.default, 'Same as --no%s.' % original.name)
    self._original = original

  def parse(self, argument):
    super().parse(argument)
    self._original.value = not self.value


def define_negation(name: str, original_name: str,
                    flag_values: flags.FlagValues = flags.FLAGS) -> None:
  """Defines the boolean flag `name` as the opposite of `original_name`."""
  flags.DEFINE_flag(_NegationFlag(flag_values[original_name], name), flag_values)


def define_download_flags(flag_values: flags.FlagValues = flags.FLAGS) -> None:
  """--source, --link_mode, --checksums_file, --validation_bounding_boxes (alias
  --with_bbox_val), --with_test, --[no]extract (or --no_extract), --extract_xml and
  --stream_extract (both refused with --no_extract), and --netrc_file (alias --netrc).
  """
  flags.DEFINE_string(
      'source', imagenet.DEFAULT_BASE_URL,
      'Where ImageNet is: the base URL of the official tarballs (http or https), or '
      'a local directory or an object-store prefix (s3://, gs://, az://) holding '
      'them; or, read in place from a local directory or a store prefix alike: '
      'Kaggle\'s %s unpacked, that zip (the file or object itself, or what holds '
      'it), or what holds Hugging Face\'s data/ (parquet or the older tar.gz files; '
      'the box archive beside it). download_and_preprocess_imagenet finds the layout '
      'from its names (or --source_format).' % _KAGGLE_DATASET,
      flag_values=flag_values)
  flags.DEFINE_enum(
      'link_mode', 'copy', list(acquire.LINK_MODES),
      'For a directory --source: copy the tarballs into DATA_DIR/%s/ or symlink '
      'them.' % driver.DOWNLOADS_DIRNAME, flag_values=flag_values)
  flags.DEFINE_string(
      'checksums_file', None,
      'md5sum-format file ("<md5>  <name>" lines) adding to or overriding the known '
      'MD5s, e.g. for a mirror.', flag_values=flag_values)
  flags.DEFINE_boolean(
      'validation_bounding_boxes', False,
      'Also fetch %s and give validation records their boxes (the original gave '
      'them none).' % imagenet.BBOX_VALIDATION_TGZ, flag_values=flag_values)
  _flags.define_aliases('validation_bounding_boxes', ['with_bbox_val'], flag_values)
  flags.DEFINE_boolean(
      'with_test', False,
      'Also fetch the unlabelled test images, %s (a --source directory may hold it as '
      '%s), extracted to DATA_DIR/%s/%s/; the driver writes them as the test split '
      '(label 0, no synset). No MD5 of it is published: give one in --checksums_file.'
      % (imagenet.TEST_TAR, imagenet.TFDS_TEST_TAR, driver.RAW_DATA_DIRNAME,
         imagenet.TEST_DIRNAME), flag_values=flag_values)
  flags.DEFINE_boolean(
      'extract', True,
      'Extract the tarballs into DATA_DIR/%s/. --noextract (or --no_extract) leaves '
      'them packed: the driver then converts straight from the tarballs (saves ~140 '
      'GB and a pass over it; the shards are identical).' % driver.RAW_DATA_DIRNAME,
      flag_values=flag_values)
  define_negation('no_extract', 'extract', flag_values)
  flags.DEFINE_boolean(
      'extract_xml', False,
      'Also extract the box XMLs of %s (and of %s with --validation_bounding_boxes) '
      'into DATA_DIR/%s/%s/ (and %s/), 544,546 tiny files. Nothing needs them: the box '
      'CSVs are read straight from the archives. Needs --extract.' % (
          imagenet.BBOX_TRAIN_TAR_GZ, imagenet.BBOX_VALIDATION_TGZ,
          driver.RAW_DATA_DIRNAME, imagenet.BOUNDING_BOXES_DIRNAME,
          imagenet.VALIDATION_BOUNDING_BOXES_DIRNAME), flag_values=flag_values)
  flags.register_multi_flags_validator(
      ['extract', 'extract_xml'],
      lambda values: values['extract'] or not values['extract_xml'],
      '--extract_xml needs --extract: with --noextract (--no_extract) nothing is '
      'extracted.', flag_values=flag_values)
  flags.DEFINE_boolean(
      'stream_extract', False,
      'With a URL --source: extract each image tarball (train, validation, test) '
      'while it downloads, reading its bytes from DATA_DIR/%s/NAME.partial as they '
      'land (from the page cache), so that the 148 GB are read once in all. The '
      'download keeps its retries and resume; its MD5, checked at the end, still '
      'decides (a wrong one removes what was extracted; a failed download keeps the '
      'partial file for the next run, which extracts again from the start). With a '
      'directory --source it does nothing more: a copy or symlink is already read '
      'once, by the extraction. Not with --no_extract, which extracts nothing.'
      % driver.DOWNLOADS_DIRNAME, flag_values=flag_values)
  flags.register_multi_flags_validator(
      ['stream_extract', 'extract'],
      lambda values: not (values['stream_extract'] and not values['extract']),
      message='--stream_extract extracts the tarballs while they download; it cannot '
      'be combined with --no_extract (--noextract), which leaves them packed',
      flag_values=flag_values)
  flags.DEFINE_string(
      'netrc_file', _DEFAULT_NETRC,
      'netrc file searched for the image-net.org credentials; empty for none.',
      flag_values=flag_values)
  _flags.define_aliases('netrc_file', ['netrc'], flag_values)


def define_source_format(flag_values: flags.FlagValues = flags.FLAGS) -> None:
  """--source_format: what --source holds (imagenet.SOURCE_FORMATS), and
  --bounding_box_archive, the boxes of a source that has none (Hugging Face's)."""
  flags.DEFINE_enum(
      'source_format', imagenet.AUTO, list(imagenet.SOURCE_FORMATS),
      'What --source holds: %s (found from its names), %s (the official tarballs), '
      '%s (Kaggle\'s %s unpacked) or %s (that zip, or a directory holding it), both '
      'read in place; %s and %s (Hugging Face\'s parquet or older tar.gz files under '
      'data/), read in one pass per split into a spool under DATA_DIR.' % (
          imagenet.AUTO, imagenet.TARBALLS, imagenet.KAGGLE, imagenet.KAGGLE_ZIP_FILE,
          imagenet.KAGGLE_ZIP, imagenet.HF_PARQUET, imagenet.HF_TARGZ),
      flag_values=flag_values)
  flags.DEFINE_string(
      'bounding_box_archive', None,
      'For Hugging Face\'s layouts, which have no boxes: the official %s, when it is '
      'not beside --source\'s data/ folder. Checked against its published MD5 (or '
      '--checksums_file\'s). Without one the run converts without boxes.' %
      imagenet.BBOX_TRAIN_TAR_GZ, flag_values=flag_values)


def define_test_shards(purpose: str, flag_values: flags.FlagValues = flags.FLAGS
                       ) -> flags.FlagHolder:
  """--test_shards (None: unset), refused without --with_test (defined first, by
  define_download_flags), where it would shard nothing."""
  holder = flags.DEFINE_integer(
      'test_shards', None, 'Number of shards in test TFRecord files (needs '
      '--with_test). ' + purpose, lower_bound=1, flag_values=flag_values)
  flags.register_multi_flags_validator(
      ['test_shards', 'with_test'],
      lambda values: values['test_shards'] is None or values['with_test'],
      '--test_shards needs --with_test: without it there is no test split to shard',
      flag_values=flag_values)
  return holder


def source_from_flags(values: flags.FlagValues = flags.FLAGS) -> str:
  """--source: a URL as given, a directory or a zip made absolute.

  Raises:
    app.UsageError: --source names a file (a tarball, say) other than a zip, not a
      directory.
  """
  if acquire.is_url(values.source):
    return values.source
  source = core.absolute_user_path(values.source)
  if (os.path.exists(source) and not os.path.isdir(source) and
      not source.lower().endswith('.zip')):
    raise app.UsageError('--source %s is %s; expected a directory (the tarballs, '
                         'Kaggle\'s tree, Hugging Face\'s data/), Kaggle\'s zip, a '
                         'store prefix or an http(s) URL' %
                         (source, _flags.non_directory_kind(source)))
  return source


def netrc_file_from_flags(values: flags.FlagValues = flags.FLAGS) -> Optional[str]:
  """--netrc_file made absolute (~ expanded); None when set empty."""
  return core.absolute_user_path(values.netrc_file)


def download_settings_from_flags(values: flags.FlagValues = flags.FLAGS
                                 ) -> Dict[str, Any]:
  """What the download flags set in the ImageNet driver's settings (paths absolute),
  for both binaries that run its download step: --link_mode only when given (a
  source read in place refuses it), --source_format and --bounding_box_archive when
  the binary defines them."""
  settings = dict(
      source=source_from_flags(values),
      link_mode=values.link_mode if values['link_mode'].present else None,
      checksums_file=core.absolute_user_path(values.checksums_file),
      validation_bounding_boxes=values.validation_bounding_boxes,
      with_test=values.with_test, no_extract=not values.extract,
      extract_xml=values.extract_xml, stream_extract=values.stream_extract)
  if 'source_format' in values:
    settings['source_format'] = values.source_format
    settings['bounding_box_archive'] = core.absolute_user_path(
        values.bounding_box_archive)
  return settings


def can_prompt() -> bool:
  """Whether credentials may be asked on the terminal (stdin is one)."""
  return sys.stdin is not None and sys.stdin.isatty()
