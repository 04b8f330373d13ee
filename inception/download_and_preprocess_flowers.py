"""Downloads the flowers data set and converts it to TFRecords, end to end.

  bazel run //inception:download_and_preprocess_flowers -- DATA_DIR
  bazel run //inception:download_and_preprocess_flowers -- --demo /tmp/flowers-demo

The fine-tuning tutorial's data step: downloads flower_photos.tgz (3,670 JPEGs in 5
classes; checked by MD5, size and SHA-256), extracts it, holds out 100 images per class
for validation (the same ones on every machine), converts both splits to
DATA_DIR/train-0000?-of-00002 and validation-0000?-of-00002 in build_image_data's
format, and checks the output. A re-run resumes where the last one stopped; --redo=STEP
runs a step (and those after it) again. Another run on the same DATA_DIR is refused
while this one runs. The last line is the original's:
`Finished writing all 3170 images in data set.`
"""

# First: importing cli quiets TensorFlow's start-up logs.
from inception import cli  # pylint: disable=g-bad-import-order

import functools

from absl import flags

from inception import acquire
from inception import convert
from inception import core
from inception import demo
from inception import driver
from inception import flowers

cli.define_data_dir('Where everything goes.')
_DEMO = flags.DEFINE_boolean(
    'demo', False,
    'Build a mini flower_photos.tgz (5 classes, a few photo-like images each) under '
    'DATA_DIR/%s/ and run the identical pipeline on it, offline (a --source given '
    'too serves that tarball).' %
    driver.DEMO_SOURCE_DIRNAME)
_SOURCE = flags.DEFINE_string(
    'source', flowers.DEFAULT_SOURCE,
    'The tarball\'s URL (or a base URL holding it), or a local copy of it (or its '
    'directory).')
_LINK_MODE = flags.DEFINE_enum(
    'link_mode', 'copy', list(acquire.LINK_MODES),
    'For a local --source: copy the tarball into DATA_DIR/%s/ or symlink it.' %
    driver.DOWNLOADS_DIRNAME)
_VALIDATION_PER_CLASS = flags.DEFINE_integer(
    'validation_per_class', None,
    'Images per class held out for validation, chosen deterministically. Default '
    '%d; demo %d.' % (flowers.VALIDATION_PER_CLASS,
                      demo.FLOWERS_DEMO_VALIDATION_PER_CLASS),
    lower_bound=1)
cli.define_shard_flags(flowers.SHARD_COUNTS.train, flowers.SHARD_COUNTS.validation)
_CHECK, _REDO = cli.define_driver_flags(driver.CHECK_MODES, flowers.STEPS)
cli.define_converter_flags()

FLAGS = flags.FLAGS


def _settings(data_dir):
  """Makes the settings from the flags, which are read now; the demo's tarball, which
  supplies its own, is built when it is called, once DATA_DIR is locked."""
  values = dict(shards=convert.ShardCounts(FLAGS.train_shards, FLAGS.validation_shards),
                check_mode=_CHECK.value, options=cli.options_from_flags(FLAGS))
  if _VALIDATION_PER_CLASS.value is not None:
    values['validation_per_class'] = _VALIDATION_PER_CLASS.value
  source = _SOURCE.value
  where = dict(link_mode=_LINK_MODE.value, source=(
      source if acquire.is_url(source) else core.absolute_user_path(source)))
  if _DEMO.value:
    # The demo's tarball, from demo-source/ unless --source or --link_mode says.
    values.update((name, value) for name, value in where.items() if FLAGS[name].present)
    return functools.partial(demo.flowers_demo_settings, data_dir, **values)
  return functools.partial(flowers.Settings, data_dir=data_dir, **where, **values)


def main(argv):
  data_dir = cli.data_dir_to_write(argv)
  flowers.refuse_data_dir_in_store(data_dir)  # before the demo writes its tarball
  make_settings = _settings(data_dir)
  with cli.hold_directory(data_dir):
    state = flowers.run(make_settings(), _REDO.value)
  for line in driver.closing_lines(data_dir, state):
    print(line, flush=True)


if __name__ == '__main__':
  cli.run(main, hint=driver.RESUME_HINT)
