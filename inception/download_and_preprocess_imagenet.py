"""Downloads ImageNet 2012 and converts it to inception-format TFRecords, end to end.

  bazel run //inception:download_and_preprocess_imagenet -- DATA_DIR
  bazel run //inception:download_and_preprocess_imagenet -- --source=KAGGLE DATA_DIR
  bazel run //inception:download_and_preprocess_imagenet -- --demo /tmp/imagenet-demo

Asks for the ImageNet username and access key once, first (IMAGENET_USERNAME /
IMAGENET_ACCESS_KEY or ~/.netrc skip the question), then runs without interaction:
download (or copy/symlink local tarballs), extract (the images; the box XMLs only
with --extract_xml), bounding boxes (read straight from the box archives), validation
relabel, conversion to DATA_DIR/train-?????-of-01024 and validation-?????-of-00128,
and a check of the output. --with_test also converts the unlabelled test tar to
DATA_DIR/test-?????-of-00100 (label 0; its MD5 comes from --checksums_file). A re-run resumes where the last one stopped; --redo=STEP
runs a step (and those after it) again. Another run on the same DATA_DIR is refused
while this one runs. --stream_extract (with a URL source)
extracts each image tarball while it downloads, so that it is read once. The last
line is `Finished writing all N images in data set.`

--source may also be Kaggle's imagenet-object-localization-challenge, unpacked or
its zip, or Hugging Face's ILSVRC/imagenet-1k (its parquet or older tar.gz files
under data/), found from its names or named by --source_format: Kaggle's is read in
place, Hugging Face's in one pass per split into a spool under DATA_DIR (its boxes
from the official box archive beside data/, or --bounding_box_archive, or none);
either way with no download, extract or relabel step, and the same shards. --demo
--source_format=kaggle (kaggle_zip, hf_parquet, hf_targz) runs the demo from that
layout.
"""

# First: importing cli quiets TensorFlow's start-up logs.
from inception import cli  # pylint: disable=g-bad-import-order

import dataclasses
import functools

from absl import flags

from inception import demo
from inception import driver
from inception import imagenet

cli.define_data_dir('Where everything goes.')
_DEMO = flags.DEFINE_boolean(
    'demo', False,
    'Build a mini ImageNet (a few classes, a few hundred photo-like images with every '
    'hard case) under DATA_DIR/%s/ and run the identical pipeline on it, with no '
    'credentials.' % driver.DEMO_SOURCE_DIRNAME)
cli.define_download_flags()
cli.define_source_format()
cli.define_shard_flags(
    None, None, unset='Default %d train, %d validation; demo %d, %d.' % (
        imagenet.SHARD_COUNTS.train, imagenet.SHARD_COUNTS.validation,
        demo.IMAGENET_DEMO_SHARD_COUNTS.train, demo.IMAGENET_DEMO_SHARD_COUNTS.validation))
cli.define_test_shards('Default %d; demo %d.' % (imagenet.SHARD_COUNTS.test,
                                                 demo.IMAGENET_DEMO_SHARD_COUNTS.test))
_UNSET_LABEL_FILE = 'the one shipped in data/.'
cli.define_labels_file(_UNSET_LABEL_FILE)
cli.define_imagenet_metadata_file(_UNSET_LABEL_FILE)
cli.define_validation_labels_file(_UNSET_LABEL_FILE)
_CHECK, _REDO = cli.define_driver_flags(driver.CHECK_MODES, imagenet.STEPS)
cli.define_converter_flags()

FLAGS = flags.FLAGS


def _settings(data_dir):
  """Makes the settings from the flags, which are read (and a bad one refused) now;
  the demo's mini ImageNet, which supplies its own sources, is built when it is
  called, once DATA_DIR is locked."""
  shards = demo.IMAGENET_DEMO_SHARD_COUNTS if _DEMO.value else imagenet.SHARD_COUNTS
  shards = dataclasses.replace(shards, **{
      split: FLAGS[split + '_shards'].value for split in ('train', 'validation', 'test')
      if FLAGS[split + '_shards'].value is not None})
  values = dict(
      no_extract=not FLAGS.extract, extract_xml=FLAGS.extract_xml,
      stream_extract=FLAGS.stream_extract, with_test=FLAGS.with_test, shards=shards,
      check_mode=_CHECK.value, options=cli.options_from_flags(FLAGS),
      source_format=FLAGS.source_format)
  if _DEMO.value:  # one that cannot run on a store is refused before any work
    demo.refuse_imagenet_demo_in_store(data_dir, values['no_extract'],
                                       values['source_format'])
    return functools.partial(demo.imagenet_demo_settings, data_dir, **values)
  values.update(cli.download_settings_from_flags(FLAGS))
  return functools.partial(imagenet.Settings, data_dir=data_dir,
                           labels=cli.label_files_from_flags(FLAGS), **values)


def main(argv):
  data_dir = cli.data_dir_to_write(argv)
  make_settings = _settings(data_dir)
  if not _DEMO.value:  # a bad source or setting is refused before DATA_DIR is made
    imagenet.steps_to_run(make_settings(), _REDO.value)
  with cli.hold_directory(data_dir):
    settings = make_settings()
    credentials = imagenet.credentials(settings, cli.netrc_file_from_flags(),
                                       cli.can_prompt(), _REDO.value)
    state = imagenet.run(settings, credentials, _REDO.value)
  for line in driver.closing_lines(data_dir, state):
    print(line, flush=True)


if __name__ == '__main__':
  cli.run(main, hint=driver.RESUME_HINT)
