r"""Converts ImageNet annotation XMLs into the bounding-box CSV.

  bazel run //inception:process_bounding_boxes -- \
      --xml_source=ILSVRC2012_bbox_train_v2.tar.gz \
      [--xml_source=ILSVRC2012_bbox_val_v3.tgz --validation_labels_file=default] \
      [--labels_file=default] --output_file=imagenet_2012_bounding_boxes.csv

A source is a directory tree of XMLs or a .tar.gz/.tgz/.tar of them. As in the
original, `XML_SOURCE [LABELS_FILE]` (the synsets file) may also be given as positional
arguments. The CSV (docs/FORMAT.md, "Bounding boxes") is sorted and written atomically;
the counts are printed at the end.
"""

# First: importing cli quiets TensorFlow's start-up logs.
from inception import cli  # pylint: disable=g-bad-import-order

from absl import app
from absl import flags

from inception import annotations
from inception import core
from inception import label_files

_XML_SOURCE = flags.DEFINE_multi_string(
    'xml_source', [], 'Directory tree of annotation XMLs, or a .tar.gz/.tgz/.tar of '
    'them. Repeat for several (train v2 and validation v3); one CSV for all.')
_OUTPUT_FILE = flags.DEFINE_string('output_file', None, 'The CSV to write.')
cli.define_labels_file(
    'no filter. When given, XMLs of other synsets are skipped and only a box naming '
    'another challenge synset is dropped; without it, a box naming any other wnid is.')
cli.define_validation_labels_file(
    'none. It gives each ILSVRC2012_val_* image its synset, for the v3 validation '
    'XMLs.')
cli.define_worker_flags()
_STRICT = flags.DEFINE_bool(
    'strict', False, 'Fail on the first malformed XML, one without a size, or a '
    'second XML for one image, instead of reporting them.')

FLAGS = flags.FLAGS


def main(argv):
  sources, labels_file = cli.arguments_or_flags(argv, ['xml_source', 'labels_file'])
  if not sources:
    raise app.UsageError('give --xml_source (a directory or a .tar.gz of XMLs)')
  if not _OUTPUT_FILE.value:
    raise app.UsageError('--output_file is required')
  synsets_path = cli.label_file_from_flag(labels_file, label_files.SYNSETS_FILE,
                                          unset_is_shipped=False)
  labels_path = cli.label_file_from_flag(FLAGS.validation_labels_file,
                                         label_files.VALIDATION_LABELS_FILE,
                                         unset_is_shipped=False)
  synsets = label_files.read_synsets(synsets_path) if synsets_path else None
  image_synsets = None
  if labels_path:
    labels = label_files.read_validation_labels(labels_path)
    image_synsets = annotations.validation_image_synsets(labels)
  output_file = core.absolute_user_path(_OUTPUT_FILE.value)
  stats = annotations.process_bounding_boxes(
      [core.absolute_user_path(source) for source in sources], output_file,
      workers=cli.workers_from_flags(FLAGS),
      rules=annotations.BoxRules(synsets, image_synsets), strict=_STRICT.value)
  for line in stats.summary_lines(max_bad_files=len(stats.bad_files)):
    print(line)
  print('Wrote %s' % output_file)


if __name__ == '__main__':
  cli.run(main)
