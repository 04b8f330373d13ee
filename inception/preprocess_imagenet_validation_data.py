"""Moves the validation images into one directory per synset (SPEC §1 step 4).

  bazel run //inception:preprocess_imagenet_validation_data -- \
      --validation_dir=raw-data/validation [--labels_file=...]

`raw-data/validation/ILSVRC2012_val_%08d.JPEG` goes to `raw-data/validation/<synset>/`,
the synset being line i of the label file (default: the 50,000-line file in data/).
As in the original, `<validation_dir> [<labels_file>]` may be positional. Idempotent:
a re-run does nothing, an interrupted run is completed; a directory that does not match
the label file is refused before anything moves; no image is ever deleted.
"""

import sys

from absl import app
from absl import flags
from absl import logging
import tensorflow as tf

from inception import annotations
from inception import core
from inception import label_files

_VALIDATION_DIR = flags.DEFINE_string(
    'validation_dir', None, 'Directory of the extracted ILSVRC2012_img_val.tar.')
_LABELS_FILE = flags.DEFINE_string(
    'labels_file', None, 'Validation label file, line i = synset of '
    'ILSVRC2012_val_%08d (default: the one shipped in data/).')


def main(argv):
  positional = argv[1:]
  if len(positional) > 2:
    raise app.UsageError('expected at most <validation_dir> [<labels_file>], got %s' %
                         ' '.join(positional))
  validation_dir = _VALIDATION_DIR.value or (positional[0] if positional else None)
  labels_file = _LABELS_FILE.value or (positional[1] if len(positional) > 1 else None)
  if not validation_dir:
    raise app.UsageError('give --validation_dir')
  validation_dir = core.absolute_user_path(validation_dir)
  try:
    labels_path = (core.absolute_user_path(labels_file) or
                   label_files.data_file_path(label_files.VALIDATION_LABELS_FILE))
    labels = label_files.read_validation_labels(labels_path)
    stats = annotations.relabel_validation_directory(validation_dir, labels,
                                                            labels_path)
  except (OSError, ValueError, tf.errors.OpError) as e:
    logging.error('%s', e)
    sys.exit(1)
  print(stats.summary())


if __name__ == '__main__':
  app.run(main)
