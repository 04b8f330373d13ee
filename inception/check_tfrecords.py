"""Checks a directory of converted TFRecord shards; exits non-zero on any failure.

  bazel run //inception:check_tfrecords -- "${DATA_DIR}"
  bazel run //inception:check_tfrecords -- --sample=0.05 --expected_counts=train=5000 \
      gs://bucket/shards

See inception/check.py for what is checked. The reports go to DIRECTORY/check_report/
unless --report_dir says otherwise.
"""

import sys
from typing import Optional, Sequence

from absl import app
from absl import flags

from inception import check
from inception import core
from inception import label_files

FLAGS = flags.FLAGS

flags.DEFINE_string('directory', None,
                    'The directory of shards (local or gs://); may also be given as '
                    'the only argument.')
flags.DEFINE_integer('expected_train', None, 'Records expected in the train split.')
flags.DEFINE_integer('expected_validation', None,
                     'Records expected in the validation split.')
flags.DEFINE_string('expected_counts', '',
                    'Records expected per split, as split=N,split=N. Without these '
                    'flags: the conversion manifest, else the ImageNet numbers when '
                    'the shard totals are 1024 and 128, else only consistency.')
flags.DEFINE_float('sample', 1.0,
                   'Share of the images fully decoded, 0..1 (every JPEG header is read '
                   'either way).')
flags.DEFINE_integer('num_workers', None, 'Processes; default one per core.')
flags.DEFINE_string('report_dir', None,
                    'Where the reports go; default DIRECTORY/check_report.')
flags.DEFINE_bool('label_files', True,
                  'Compare labels, synsets and texts with the label files. Use '
                  '--nolabel_files for a data set that is not ImageNet: then each '
                  'label need only have one synset and text across the output.')
flags.DEFINE_string('synsets_file', None,
                    'Synsets file; default data/%s.' % label_files.SYNSETS_FILE)
flags.DEFINE_string('metadata_file', None,
                    'wnid<TAB>text file; default data/%s.' % label_files.METADATA_FILE)
flags.DEFINE_string('validation_labels_file', None,
                    'Validation label file; default data/%s.' %
                    label_files.VALIDATION_LABELS_FILE)
# An empty label file flag (--validation_labels_file=) leaves that file out.
flags.DEFINE_integer('show_failures', 20, 'How many failures to print.')


def _label_file(flag_value: Optional[str], basename: str) -> Optional[str]:
  """The flag's file; data/<basename> when unset; none when set to ''."""
  if not FLAGS.label_files or flag_value == '':
    return None
  if flag_value is None:
    return label_files.data_file_path(basename)
  return core.absolute_user_path(flag_value)


def _expected_counts() -> dict:
  try:
    counts = check.parse_expected_counts(FLAGS.expected_counts)
  except ValueError as e:
    raise app.UsageError(str(e))
  if FLAGS.expected_train is not None:
    counts['train'] = FLAGS.expected_train
  if FLAGS.expected_validation is not None:
    counts['validation'] = FLAGS.expected_validation
  return counts


def main(argv: Sequence[str]) -> int:
  if len(argv) > 2 or (len(argv) == 2 and FLAGS.directory):
    raise app.UsageError('give one directory, as --directory or as the argument')
  directory = FLAGS.directory or (argv[1] if len(argv) == 2 else None)
  if not directory:
    raise app.UsageError('give the directory of shards: check_tfrecords DIRECTORY')
  if not 0.0 <= FLAGS.sample <= 1.0:
    raise app.UsageError('--sample must be in [0, 1], got %g' % FLAGS.sample)
  report = check.check_directory(
      core.absolute_user_path(directory),
      expected_counts=_expected_counts() or None,
      synsets_file=_label_file(FLAGS.synsets_file, label_files.SYNSETS_FILE),
      metadata_file=_label_file(FLAGS.metadata_file, label_files.METADATA_FILE),
      validation_labels_file=_label_file(FLAGS.validation_labels_file,
                                         label_files.VALIDATION_LABELS_FILE),
      sample_fraction=FLAGS.sample,
      num_workers=FLAGS.num_workers,
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
  app.run(main)
