r"""Converts a folder-per-class image set to sharded TFRecords (the original's format).

  bazel run //inception:build_image_data -- --train_directory=flowers/train \
    --validation_directory=flowers/validation --output_directory=out \
    --labels_file=flowers/labels.txt

The labels file lists one class directory name per line; label = 1 + line index (0 is
background), image/class/text = the directory name. Takes .jpg/.jpeg/.png files in any
case of extension from `<directory>/<name>/`. Records carry the original
build_image_data keys (no synset, no boxes). Same engine as build_imagenet_data:
parallel processes, atomic shards, resume, --skip_bad_images, --write_index, one run at
a time in an output directory.
"""

# First: importing cli quiets TensorFlow's start-up logs.
from inception import cli  # pylint: disable=g-bad-import-order

from absl import flags

from inception import convert

cli.define_directory_flags(2, 2)
cli.define_labels_file('required (there is no default for this binary).')
flags.mark_flag_as_required('labels_file')
cli.define_converter_flags()

FLAGS = flags.FLAGS


def main(argv):
  cli.arguments_or_flags(argv, [])
  arguments = cli.conversion_arguments(FLAGS)
  with cli.hold_directory(arguments['output_directory']):
    convert.convert_generic(on_split_finished=cli.print_summary_line, **arguments)


if __name__ == '__main__':
  cli.run(main)
