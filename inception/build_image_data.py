"""Converts a folder-per-class image set to sharded TFRecords (the original's format).

  bazel run //inception:build_image_data -- --train_directory=flowers/train \
    --validation_directory=flowers/validation --output_directory=out \
    --labels_file=flowers/labels.txt

The labels file lists one class directory name per line; label = 1 + line index (0 is
background), image/class/text = the directory name. Takes .jpg/.jpeg/.png files in any
case of extension from `<directory>/<name>/`. Records carry the original
build_image_data keys (no synset, no boxes). Same engine as build_imagenet_data:
parallel processes, atomic shards, resume, --skip_bad_images, --write_index.
"""

import sys

from absl import app
from absl import flags

from inception import cli
from inception import convert
from inception import core
from inception import records

cli.define_directory_flags(2, 2)
flags.DEFINE_string('labels_file', None,
                    'Labels file: one class directory name per line.')
flags.mark_flag_as_required('labels_file')
cli.define_flags()

FLAGS = flags.FLAGS


def main(argv):
  if len(argv) > 1:
    raise app.UsageError('Too many command-line arguments: %s' % ' '.join(argv[1:]))
  try:
    convert.convert_generic(
        train_directory=core.absolute_user_path(FLAGS.train_directory),
        validation_directory=core.absolute_user_path(FLAGS.validation_directory),
        output_directory=core.absolute_user_path(FLAGS.output_directory),
        labels_file=core.absolute_user_path(FLAGS.labels_file),
        train_shards=FLAGS.train_shards,
        validation_shards=FLAGS.validation_shards,
        options=cli.options_from_flags(FLAGS),
        on_split_finished=lambda result: print(result.summary_line(), flush=True))
  except (convert.ConversionError, records.ImageError, ValueError,
          *core.error_types()) as e:
    sys.exit('build_image_data: error: %s' % e)


if __name__ == '__main__':
  app.run(main)
