r"""Moves the validation images into one directory per synset.

  bazel run //inception:preprocess_imagenet_validation_data -- \
      --validation_directory=raw-data/validation [--validation_labels_file=...]

`raw-data/validation/ILSVRC2012_val_%08d.JPEG` goes to `raw-data/validation/<synset>/`,
the synset being line i of the label file (default: the 50,000-line file in data/; see
docs/FORMAT.md, "Label files"). As in the original, `VALIDATION_DIRECTORY
[VALIDATION_LABELS_FILE]` may be positional. Idempotent: a re-run does nothing, an
interrupted run is completed; a directory that does not match the label file is refused
before anything moves; no image is ever deleted.
"""

# First: importing cli quiets TensorFlow's start-up logs.
from inception import cli  # pylint: disable=g-bad-import-order

from absl import flags

from inception import annotations
from inception import core
from inception import label_files

cli.define_validation_directory(None,
                                'Directory of the extracted ILSVRC2012_img_val.tar.')
cli.define_validation_labels_file('the one shipped in data/.')
# This binary's own earlier name of the flag (elsewhere --labels_file is the synsets).
cli.define_aliases('validation_labels_file', ['labels_file'], flags.FLAGS)


def main(argv):
  validation_directory, labels_file = cli.arguments_or_flags(
      argv, ['validation_directory', 'validation_labels_file'],
      required=['validation_directory'])
  labels_path = cli.label_file_from_flag(
      labels_file, label_files.VALIDATION_LABELS_FILE, unset_is_shipped=True)
  labels = label_files.read_validation_labels(labels_path)
  stats = annotations.relabel_validation_directory(
      core.absolute_user_path(validation_directory), labels, labels_path)
  print(stats.summary())


if __name__ == '__main__':
  cli.run(main)
