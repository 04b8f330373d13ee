r"""Checks a directory of converted TFRecord shards; exits non-zero on any failure.

  bazel run //inception:check_tfrecords -- "${DATA_DIR}"
  bazel run //inception:check_tfrecords -- --sample=0.05 --expected_counts=train=5000 \
      gs://bucket/shards

DATA_DIR (or --data_dir) is the converter's --output_directory. inception/check's
docstring says what is checked. The reports go to
DATA_DIR/check_report/ unless --report_dir says otherwise. It holds DATA_DIR's run lock
shared: checkers may run together, but not while a converter or driver writes there.
"""

# First: importing cli quiets TensorFlow's start-up logs.
from inception import cli  # pylint: disable=g-bad-import-order

import sys
from typing import Optional, Sequence

from absl import app
from absl import flags

from inception import check
from inception import core
from inception import label_files
from inception import records

FLAGS = flags.FLAGS

cli.define_data_dir('The directory of shards (local or gs://).')
flags.DEFINE_integer('expected_train', None, 'Records expected in the train split.')
flags.DEFINE_integer('expected_validation', None,
                     'Records expected in the validation split.')
flags.DEFINE_string('expected_counts', '',
                    'Records expected per split, as split=N,split=N. Without these '
                    'flags: the conversion manifest, else the ImageNet numbers when '
                    'the shard totals are 1024 and 128, else only consistency.')
flags.DEFINE_float('sample', 1.0,
                   'Share of the images fully decoded, 0..1 (every JPEG header is read '
                   'either way): all (1) with TensorFlow\'s decoder, a sample with '
                   'Pillow\'s, which needs no TensorFlow.')
cli.define_worker_flags()
flags.DEFINE_string(
    'report_dir', None, 'Where the reports go; default DATA_DIR/%s.' %
    core.CHECK_REPORT_DIRNAME)
flags.DEFINE_bool('label_files', True,
                  'Compare labels, synsets and texts with the label files. Use '
                  '--nolabel_files for a data set that is not ImageNet: then each '
                  'label need only have one synset and text across the output.')
_UNSET_LABEL_FILE = 'the one shipped in data/; empty: leave it out of the check.'
cli.define_labels_file(_UNSET_LABEL_FILE)
cli.define_imagenet_metadata_file(_UNSET_LABEL_FILE)
cli.define_validation_labels_file(_UNSET_LABEL_FILE)
flags.DEFINE_integer('show_failures', 20, 'How many failures to print.')


def _label_file(flag_value: Optional[str], basename: str) -> Optional[str]:
  """The file the flag names; none with --nolabel_files."""
  if not FLAGS.label_files:
    return None
  return cli.label_file_from_flag(flag_value, basename, unset_is_shipped=True)


def _expected_counts() -> dict:
  try:
    counts = check.parse_expected_counts(FLAGS.expected_counts)
  except ValueError as e:
    raise app.UsageError(str(e))
  if FLAGS.expected_train is not None:
    counts[records.TRAIN] = FLAGS.expected_train
  if FLAGS.expected_validation is not None:
    counts[records.VALIDATION] = FLAGS.expected_validation
  return counts


def main(argv: Sequence[str]) -> int:
  directory, = cli.arguments_or_flags(argv, ['data_dir'], required=['data_dir'])
  if not 0.0 <= FLAGS.sample <= 1.0:
    raise app.UsageError('--sample must be in [0, 1], got %g' % FLAGS.sample)
  directory = core.absolute_user_path(directory)
  expected = check.Expected(
      counts=_expected_counts() or None,
      synsets_file=_label_file(FLAGS.labels_file, label_files.SYNSETS_FILE),
      metadata_file=_label_file(FLAGS.imagenet_metadata_file,
                                label_files.METADATA_FILE),
      validation_labels_file=_label_file(FLAGS.validation_labels_file,
                                         label_files.VALIDATION_LABELS_FILE))
  with cli.hold_directory(directory, shared=True):
    report = check.check_directory(
        directory, workers=cli.workers_from_flags(FLAGS),
        expected=expected, sample_fraction=FLAGS.sample,
        report_dir=core.absolute_user_path(FLAGS.report_dir))
  for name, path in sorted(report.report_files.items()):
    print('%s: %s' % (name, path))
  if not report.ok:
    shown = report.failures[:FLAGS.show_failures]
    print('First %d of %d failures:' % (len(shown), report.num_failures),
          file=sys.stderr)
    for failure in shown:
      print('  %s' % failure, file=sys.stderr)
  print(report.summary_line(), file=sys.stdout if report.ok else sys.stderr)
  return 0 if report.ok else 1


if __name__ == '__main__':
  cli.run(main)
