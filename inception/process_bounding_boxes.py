"""Converts ImageNet annotation XMLs into the bounding-box CSV (SPEC §4).

  bazel run //inception:process_bounding_boxes -- \
      --xml_source=ILSVRC2012_bbox_train_v2.tar.gz \
      [--xml_source=ILSVRC2012_bbox_val_v3.tgz --validation_labels_file=default] \
      [--synsets_file=default] --output_file=imagenet_2012_bounding_boxes.csv

A source is a directory tree of XMLs or a .tar.gz/.tgz/.tar of them. As in the
original, `<xml_source> [<synsets_file>]` may also be given as positional arguments.
The CSV is sorted and written atomically; the counts are printed at the end.
"""

import sys

from absl import app
from absl import flags
from absl import logging
import tensorflow as tf

from inception import annotations
from inception import core
from inception import label_files

_DEFAULT = 'default'

_XML_SOURCE = flags.DEFINE_multi_string(
    'xml_source', [], 'Directory tree of annotation XMLs, or a .tar.gz/.tgz/.tar of '
    'them. Repeat for several (train v2 and validation v3); one CSV for all.')
_OUTPUT_FILE = flags.DEFINE_string('output_file', None, 'The CSV to write.')
_SYNSETS_FILE = flags.DEFINE_string(
    'synsets_file', None, 'Challenge synsets, one per line ("default": the 1000 of '
    'data/). When given, XMLs of other synsets are skipped and only a box naming '
    'another challenge synset is dropped; without it, a box naming any other wnid is.')
_VALIDATION_LABELS_FILE = flags.DEFINE_string(
    'validation_labels_file', None, 'Validation label file ("default": the one in '
    'data/): gives each ILSVRC2012_val_* image its synset, for the v3 validation XMLs.')
_NUM_WORKERS = flags.DEFINE_integer(
    'num_workers', None, 'Processes parsing XML (default: one per core).')
_STRICT = flags.DEFINE_bool(
    'strict', False, 'Fail on the first malformed XML, one without a size, or a '
    'second XML for one image, instead of reporting them.')


def _label_path(value, basename):
  """A flag naming a label file: None, 'default' (data/ from runfiles) or a path."""
  if not value:
    return None
  if value == _DEFAULT:
    return label_files.data_file_path(basename)
  return core.absolute_user_path(value)


def main(argv):
  positional = argv[1:]
  if len(positional) > 2:
    raise app.UsageError('expected at most <xml_source> [<synsets_file>], got %s' %
                         ' '.join(positional))
  sources = list(_XML_SOURCE.value) + positional[:1]
  if not sources:
    raise app.UsageError('give --xml_source (a directory or a .tar.gz of XMLs)')
  if not _OUTPUT_FILE.value:
    raise app.UsageError('--output_file is required')
  synsets_flag = _SYNSETS_FILE.value or (positional[1] if len(positional) > 1
                                         else None)
  try:
    synsets_path = _label_path(synsets_flag, label_files.SYNSETS_FILE)
    labels_path = _label_path(_VALIDATION_LABELS_FILE.value,
                              label_files.VALIDATION_LABELS_FILE)
    synsets = label_files.read_synsets(synsets_path) if synsets_path else None
    image_synsets = None
    if labels_path:
      labels = label_files.read_validation_labels(labels_path)
      image_synsets = dict(annotations.plan_moves(labels))
    output_file = core.absolute_user_path(_OUTPUT_FILE.value)
    stats = annotations.process_bounding_boxes(
        [core.absolute_user_path(source) for source in sources], output_file,
        synsets=synsets, image_synsets=image_synsets,
        num_workers=_NUM_WORKERS.value, strict=_STRICT.value)
  except (OSError, ValueError, tf.errors.OpError) as e:
    logging.error('%s', e)
    sys.exit(1)
  for line in stats.summary_lines(max_bad_files=len(stats.bad_files)):
    print(line)
  print('Wrote %s' % output_file)


if __name__ == '__main__':
  app.run(main)
