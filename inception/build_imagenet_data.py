"""Converts ImageNet folders to sharded TFRecords in the inception format (SPEC §2, §3).

  bazel run //inception:build_imagenet_data -- \
    --train_directory=raw-data/train --validation_directory=raw-data/validation \
    --output_directory=out --bounding_box_file=raw-data/imagenet_2012_bounding_boxes.csv

Expects `<train_directory>/<synset>/*.JPEG` and `<validation_directory>/<synset>/*.JPEG`
for every synset of the labels file. Writes validation-NNNNN-of-00128 first, then
train-NNNNN-of-01024, printing `Finished writing all N images in data set.` after each.
A re-run skips the complete shards of the same plan. Exits non-zero on any failure.
"""

import sys

from absl import app
from absl import flags

from inception import cli
from inception import convert
from inception import core
from inception import records

cli.define_directory_flags(1024, 128)
flags.DEFINE_string(
    'labels_file', None,
    'The synsets file, one wnid per line; label = 1 + line index. Default: '
    'data/imagenet_lsvrc_2015_synsets.txt (shipped).')
flags.DEFINE_string(
    'imagenet_metadata_file', None,
    'wnid<TAB>human text lines. Default: data/imagenet_metadata.txt (shipped).')
flags.DEFINE_string(
    'bounding_box_file', './imagenet_2012_bounding_boxes.csv',
    'Bounding-box CSV (file,xmin,ymin,xmax,ymax per line); several comma-separated '
    'files are merged (e.g. train and validation); empty for no boxes.')
cli.define_flags()

FLAGS = flags.FLAGS


def main(argv):
  if len(argv) > 1:
    raise app.UsageError('Too many command-line arguments: %s' % ' '.join(argv[1:]))
  box_files = [core.absolute_user_path(p.strip())
               for p in FLAGS.bounding_box_file.split(',')
               if p.strip()]
  try:
    for path in box_files:
      if not core.exists(path):
        raise FileNotFoundError(
            'bounding box file %s does not exist (pass --bounding_box_file= to convert '
            'without boxes)' % path)
    convert.convert_imagenet(
        train_directory=core.absolute_user_path(FLAGS.train_directory),
        validation_directory=core.absolute_user_path(FLAGS.validation_directory),
        output_directory=core.absolute_user_path(FLAGS.output_directory),
        labels_file=core.absolute_user_path(FLAGS.labels_file),
        imagenet_metadata_file=core.absolute_user_path(
            FLAGS.imagenet_metadata_file),
        bounding_box_files=box_files,
        train_shards=FLAGS.train_shards,
        validation_shards=FLAGS.validation_shards,
        options=cli.options_from_flags(FLAGS),
        on_split_finished=lambda result: print(result.summary_line(), flush=True))
  except (convert.ConversionError, records.ImageError, ValueError,
          *core.error_types()) as e:
    sys.exit('build_imagenet_data: error: %s' % e)


if __name__ == '__main__':
  app.run(main)
