"""Downloads ImageNet 2012 and converts it to inception-format TFRecords, end to end.

  bazel run //inception:download_and_preprocess_imagenet -- DATA_DIR
  bazel run //inception:download_and_preprocess_imagenet -- --demo /tmp/imagenet-demo

Asks for the ImageNet username and access key once, first (IMAGENET_USERNAME /
IMAGENET_ACCESS_KEY or ~/.netrc skip the question), then runs without interaction:
download (or copy/symlink local tarballs), extract, bounding boxes, validation
relabel, conversion to DATA_DIR/train-?????-of-01024 and validation-?????-of-00128,
and a check of the output. A re-run resumes where the last one stopped; --redo=STEP
runs a step (and those after it) again. The last line is
`Finished writing all N images in data set.`
"""

import os
import sys

from absl import app
from absl import flags
from absl import logging
import urllib3

from inception import acquire
from inception import cli
from inception import core
from inception import pipeline

_DATA_DIR = flags.DEFINE_string(
    'data_dir', None, 'Where everything goes (also accepted as the only argument).')
_DEMO = flags.DEFINE_boolean(
    'demo', False,
    'Build a mini ImageNet (a few classes, a few hundred photo-like images with every '
    'hard case) under DATA_DIR/demo-source/ and run the identical pipeline on it, '
    'with no credentials.')
_SOURCE = flags.DEFINE_string(
    'source', acquire.DEFAULT_BASE_URL,
    'Base URL of the tarballs (http or https), or a local directory holding them.')
_LINK_MODE = flags.DEFINE_enum(
    'link_mode', 'copy', list(acquire.LINK_MODES),
    'For a directory --source: copy the tarballs into DATA_DIR/downloads/ or symlink '
    'them.')
_CHECKSUMS_FILE = flags.DEFINE_string(
    'checksums_file', None,
    'md5sum-format file ("<md5>  <name>" lines) adding to or overriding the known '
    'MD5s, e.g. for a mirror.')
_VALIDATION_BOUNDING_BOXES = flags.DEFINE_boolean(
    'validation_bounding_boxes', False,
    'Also fetch ILSVRC2012_bbox_val_v3.tgz and give validation records their boxes '
    '(the original gave them none).')
_NO_EXTRACT = flags.DEFINE_boolean(
    'no_extract', False,
    'Convert straight from the tarballs, without writing raw-data/ (saves ~140 GB '
    'and a pass over it); the shards are identical.')
_TRAIN_SHARDS = flags.DEFINE_integer('train_shards', None,
                                     'Train shards (default 1024; demo 8).',
                                     lower_bound=1)
_VALIDATION_SHARDS = flags.DEFINE_integer('validation_shards', None,
                                          'Validation shards (default 128; demo 2).',
                                          lower_bound=1)
_LABELS_FILE = flags.DEFINE_string('labels_file', None,
                                   'Synsets file; default data/ (shipped).')
_METADATA_FILE = flags.DEFINE_string('imagenet_metadata_file', None,
                                     'wnid<TAB>text file; default data/ (shipped).')
_VALIDATION_LABELS_FILE = flags.DEFINE_string(
    'validation_labels_file', None,
    'Synset of each validation image, one per line; default data/ (shipped).')
_CHECK = flags.DEFINE_enum(
    'check', 'quick', list(pipeline.CHECK_MODES),
    'Final check of the output: quick decodes a sample of the images, full all.')
_REDO = flags.DEFINE_list(
    'redo', [], 'Steps to run again even if finished (and every step after them): '
    + ', '.join(pipeline.STEPS) + '.')
_NETRC = flags.DEFINE_string('netrc', '~/.netrc',
                             'netrc file searched for image-net.org credentials.')
cli.define_flags()

FLAGS = flags.FLAGS


def _data_dir(argv):
  if len(argv) > 2 or (len(argv) == 2 and _DATA_DIR.value):
    raise app.UsageError('Give DATA_DIR once: as the argument or as --data_dir.')
  data_dir = argv[1] if len(argv) == 2 else _DATA_DIR.value
  if not data_dir:
    raise app.UsageError('DATA_DIR is required.')
  return core.absolute_user_path(data_dir)


def _settings(data_dir):
  """Settings from the flags; the demo's mini ImageNet supplies its own sources."""
  values = dict(
      no_extract=_NO_EXTRACT.value, check_mode=_CHECK.value,
      options=cli.options_from_flags(FLAGS))
  for key, flag in (('train_shards', _TRAIN_SHARDS),
                    ('validation_shards', _VALIDATION_SHARDS)):
    if flag.value is not None:
      values[key] = flag.value
  if _DEMO.value:
    return pipeline.demo_settings(data_dir, **values)
  source = _SOURCE.value
  if not acquire.is_url(source):
    source = core.absolute_user_path(source)
  return pipeline.Settings(
      data_dir=data_dir, source=source, link_mode=_LINK_MODE.value,
      checksums_file=core.absolute_user_path(_CHECKSUMS_FILE.value),
      validation_bounding_boxes=_VALIDATION_BOUNDING_BOXES.value,
      labels_file=core.absolute_user_path(_LABELS_FILE.value),
      imagenet_metadata_file=core.absolute_user_path(_METADATA_FILE.value),
      validation_labels_file=core.absolute_user_path(
          _VALIDATION_LABELS_FILE.value),
      **values)


def _credentials(settings):
  """Asks once, first, and only if a download from a URL is still to run."""
  pending = pipeline.steps_to_run(pipeline.step_names(settings),
                                  pipeline.read_state(settings.data_dir), settings,
                                  _REDO.value)
  if pipeline.DOWNLOAD not in pending or not acquire.is_url(settings.source):
    return None
  netrc = os.path.expanduser(_NETRC.value) if _NETRC.value else None
  return acquire.resolve_credentials(
      os.environ, netrc, prompt=sys.stdin.isatty(),
      host=urllib3.util.parse_url(settings.source).host)


def main(argv):
  data_dir = _data_dir(argv)
  try:
    settings = _settings(data_dir)
    credentials = _credentials(settings)
    state = pipeline.run(settings, credentials, _REDO.value)
  except KeyboardInterrupt:
    sys.exit('download_and_preprocess_imagenet: interrupted; run the same command '
             'again to resume.')
  except Exception as e:  # pylint: disable=broad-except  (every failure exits non-zero)
    logging.debug('Failure details', exc_info=True)
    sys.exit('download_and_preprocess_imagenet: error: %s\nFix the cause and run the '
             'same command again: finished steps are not redone.' % e)
  counts = pipeline.total_images(state)
  print('Output: %s (%s).' % (data_dir, ', '.join(
      '%s %d' % item for item in sorted(counts.items()))))
  print('Finished writing all %d images in data set.' % counts.get('train', 0),
        flush=True)


if __name__ == '__main__':
  app.run(main)
