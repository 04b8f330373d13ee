r"""Converts ImageNet folders to sharded TFRecords in the inception format.

  bazel run //inception:build_imagenet_data -- \
    --train_directory=raw-data/train --validation_directory=raw-data/validation \
    --output_directory=out --bounding_box_file=raw-data/imagenet_2012_bounding_boxes.csv

Expects `<train_directory>/<synset>/*.JPEG` and `<validation_directory>/<synset>/*.JPEG`
for every synset of the labels file. Writes validation-NNNNN-of-00128 first, then
train-NNNNN-of-01024 (docs/FORMAT.md, "Records" and "Shards"), printing
`Finished writing all N images in data set.` after each. A re-run skips the complete
shards of the same plan. Another run into the same output directory is refused while
this one runs (README, "Two runs on one directory"). Exits non-zero on any failure.
"""

# First: importing cli quiets TensorFlow's start-up logs.
from inception import cli  # pylint: disable=g-bad-import-order

from absl import flags

from inception import core
from inception import imagenet
from inception import label_files
from inception import records

cli.define_directory_flags(records.IMAGENET_TRAIN_SHARDS,
                           records.IMAGENET_VALIDATION_SHARDS)
cli.define_labels_file('data/%s (shipped).' % label_files.SYNSETS_FILE)
cli.define_imagenet_metadata_file('data/%s (shipped).' % label_files.METADATA_FILE)
flags.DEFINE_string(
    'bounding_box_file', './imagenet_2012_bounding_boxes.csv',
    'Bounding-box CSV (file,xmin,ymin,xmax,ymax per line); several comma-separated '
    'files are merged (e.g. train and validation); empty for no boxes.')
cli.define_converter_flags()

FLAGS = flags.FLAGS


def _bounding_box_files():
  """The CSVs of --bounding_box_file, made absolute; each must exist."""
  paths = [core.absolute_user_path(p.strip())
           for p in FLAGS.bounding_box_file.split(',') if p.strip()]
  for path in paths:
    if not core.exists(path):
      raise FileNotFoundError(
          'bounding box file %s does not exist (pass --bounding_box_file= to convert '
          'without boxes)' % path)
  return paths


def main(argv):
  cli.arguments_or_flags(argv, [])
  bounding_box_files = _bounding_box_files()
  arguments = cli.conversion_arguments(FLAGS)
  with cli.hold_directory(arguments['output_directory']):
    imagenet.convert_imagenet(
        imagenet.SplitSources(directories=arguments['directories']),
        arguments['output_directory'], arguments['options'],
        cli.label_files_from_flags(FLAGS),
        bounding_box_files, arguments['shards'], cli.print_summary_line)


if __name__ == '__main__':
  cli.run(main)
