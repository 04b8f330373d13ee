r"""Writes a small synthetic ImageNet (archives, label files, MD5SUMS) into a directory.

  bazel run //inception:make_mini_imagenet -- --output_directory=/tmp/mini \
      [--num_classes=10]

The result can be fed to the pipeline as a local ImageNet download.
"""

# First: importing cli quiets TensorFlow's start-up logs.
from inception import cli  # pylint: disable=g-bad-import-order

from absl import app
from absl import flags

from inception import core
from inception import demo

_DEFAULTS = demo.Config()

cli.define_output_directory(None, 'Directory to write the archives into.')
_NUM_CLASSES = flags.DEFINE_integer('num_classes', _DEFAULTS.num_classes,
                                    'Number of classes (real wnids).')
_IMAGES_PER_CLASS = flags.DEFINE_integer('images_per_class',
                                         _DEFAULTS.images_per_class,
                                         'Train images per class.')
_NUM_VALIDATION_IMAGES = flags.DEFINE_integer('num_validation_images',
                                              _DEFAULTS.num_validation_images,
                                              'Number of validation images.')
_NUM_TEST_IMAGES = flags.DEFINE_integer(
    'num_test_images', _DEFAULTS.num_test_images,
    'Number of (unlabelled) test images; 0 writes no test tar.')
_MIN_SIDE = flags.DEFINE_integer('min_side', _DEFAULTS.min_side,
                                 'Smallest image side in pixels.')
_MAX_SIDE = flags.DEFINE_integer('max_side', _DEFAULTS.max_side,
                                 'Largest image side in pixels.')
_JPEG_QUALITY = flags.DEFINE_integer('jpeg_quality', _DEFAULTS.jpeg_quality,
                                     'JPEG quality of the images.')
_SEED = flags.DEFINE_integer('seed', _DEFAULTS.seed,
                             'Random seed; the same flags give identical bytes.')
flags.mark_flag_as_required('output_directory')

FLAGS = flags.FLAGS


def _summary(fixture: demo.Fixture) -> str:
  """A few human-readable lines about what was written."""
  archives = [fixture.train_tar, fixture.validation_tar, fixture.bbox_train_tar_gz,
              fixture.bbox_validation_tgz] + ([fixture.test_tar] if fixture.test_tar
                                              else [])
  lines = ['Wrote mini-ImageNet to %s' % fixture.directory,
           '  classes: %d (%s)' % (len(fixture.synsets), ', '.join(fixture.synsets)),
           '  train images: %d, validation images: %d' %
           (sum(fixture.train_counts.values()), len(fixture.validation_labels)) +
           (', test images: %d' % fixture.num_test_images if fixture.test_tar else '')]
  for path in archives:
    lines.append('  %s: %d bytes' % (path, core.size(path)))
  for kind, name in sorted(fixture.hard_cases.items()):
    lines.append('  hard case %s: %s' % (kind, name))
  for kind, name in sorted(fixture.box_cases.items()):
    lines.append('  box case %s: %s' % (kind, name))
  return '\n'.join(lines)


def main(argv):
  cli.arguments_or_flags(argv, [])
  try:
    config = demo.Config(
        num_classes=_NUM_CLASSES.value,
        images_per_class=_IMAGES_PER_CLASS.value,
        num_validation_images=_NUM_VALIDATION_IMAGES.value,
        num_test_images=_NUM_TEST_IMAGES.value,
        min_side=_MIN_SIDE.value,
        max_side=_MAX_SIDE.value,
        jpeg_quality=_JPEG_QUALITY.value,
        seed=_SEED.value)
  except ValueError as e:
    raise app.UsageError(str(e))
  fixture = demo.generate(core.absolute_user_path(FLAGS.output_directory), config)
  print(_summary(fixture))


if __name__ == '__main__':
  cli.run(main)
