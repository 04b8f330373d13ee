r"""Fetches the ILSVRC2012 tarballs into DATA_DIR/downloads/, extracts them to raw-data/.

  bazel run //inception:download_imagenet -- "${DATA_DIR}"
  bazel run //inception:download_imagenet -- --source=/mnt/imagenet \
      --link_mode=symlink "${DATA_DIR}"
  bazel run //inception:download_imagenet -- --source=https://mirror.example/ilsvrc/ \
      --checksums_file=MD5SUMS "${DATA_DIR}"
  bazel run //inception:download_imagenet -- --stream_extract "${DATA_DIR}"

Credentials for a URL source come from IMAGENET_USERNAME / IMAGENET_ACCESS_KEY, then
~/.netrc, else they are asked once, at the start, on the terminal (the key without
echo); never on the command line.

--extract (the default) extracts the image tarballs. The box archives stay packed in
DATA_DIR/downloads/ unless --extract_xml is given: download_and_preprocess_imagenet
and process_bounding_boxes (--xml_source=DATA_DIR/downloads/<box archive>) read the
CSV straight from them. With --extract_xml their XMLs go to
DATA_DIR/raw-data/bounding_boxes/ (and validation_bounding_boxes/). --stream_extract
extracts each image tarball from a URL while it downloads (one pass over its bytes;
its MD5 still decides). A re-run fetches and extracts nothing that is already
complete. DATA_DIR is laid out exactly as
download_and_preprocess_imagenet lays it out (inception/core/_layout.py), so the
driver can take over from it. Exits non-zero with a one-line error message on any
failure.
"""

# First: importing cli quiets TensorFlow's start-up logs.
from inception import cli  # pylint: disable=g-bad-import-order

import os
import sys
from typing import Callable, Mapping, NamedTuple, Optional

from absl import flags

from inception import acquire
from inception import core
from inception import imagenet

cli.define_data_dir('Where the tarballs go (DATA_DIR/%s/) and are extracted '
                    '(DATA_DIR/%s/).' % (core.DOWNLOADS_DIRNAME, core.RAW_DATA_DIRNAME))
cli.define_download_flags()
_WITH_DEVKIT = flags.DEFINE_bool(
    'with_devkit', False, 'Also fetch ILSVRC2012_devkit_t12.tar.gz (not extracted).')

FLAGS = flags.FLAGS


class RunResult(NamedTuple):
  fetched: acquire.FetchSummary
  extracted: Optional[imagenet.ExtractResult]


def run(data_dir: str, source: str = imagenet.DEFAULT_BASE_URL,
        link_mode: str = 'copy', checksums_file: Optional[str] = None,
        with_bbox_val: bool = False, with_devkit: bool = False,
        do_extract: bool = True, with_test: bool = False,
        environ: Optional[Mapping[str, str]] = None,
        netrc_file: Optional[str] = None, prompt: bool = False,
        input_fn: Callable[[str], str] = input,
        getpass_fn: Optional[Callable[[str], str]] = None,
        extract_xml: bool = False, stream_extract: bool = False,
        **fetch_options) -> RunResult:
  """Fetches, verifies and (optionally) extracts; paths must already be absolute.

  `do_extract` extracts the image tarballs, `extract_xml` (which needs it) the box
  archives' XMLs too.

  Credentials are resolved first, and only when the source is a URL and some file
  still needs fetching, so a finished DATA_DIR never asks. With `stream_extract`
  (and extraction), the image tarballs from a URL are extracted as they download
  (acquire.FetchOptions.extract_while_downloading), and the extraction afterwards
  finds them done.
  """
  if extract_xml and not do_extract:
    raise ValueError('extract_xml needs do_extract: nothing is extracted without it')
  if stream_extract and not do_extract:
    raise ValueError('stream_extract extracts the tarballs while they download; it '
                     'cannot be combined with no extraction')
  environ = os.environ if environ is None else environ
  checksums = acquire.read_checksums_file(checksums_file) if checksums_file else None
  archives = imagenet.archives(
      imagenet.files_to_fetch(with_bbox_val, with_devkit, with_test), checksums)
  downloads = core.downloads_dir(data_dir)
  credentials = None
  if acquire.is_url(source) and acquire.files_needing_fetch(downloads, archives):
    credentials = acquire.resolve_credentials(
        imagenet.login_for(source), environ, netrc_file, prompt, input_fn,
        getpass_fn)
  try:
    # Extraction reads each image tarball whole: a linked one is verified on the way.
    options = acquire.FetchOptions(
        credentials=credentials, login=imagenet.LOGIN, link_mode=link_mode,
        verify_on_first_read=imagenet.IMAGE_TARS if do_extract else (),
        extract_while_downloading=(
            imagenet.image_extractions(core.raw_data_dir(data_dir))
            if stream_extract else None),
        **fetch_options)
    fetched = acquire.fetch_all(downloads, source, archives, options)
    extracted = None
    if do_extract:
      paths = fetched.paths
      extracted = imagenet.extract_all(
          data_dir, train_tar=paths[imagenet.TRAIN_TAR],
          validation_tar=paths[imagenet.VALIDATION_TAR],
          bbox_train_tar_gz=paths[imagenet.BBOX_TRAIN_TAR_GZ] if extract_xml else None,
          bbox_validation_tgz=(paths.get(imagenet.BBOX_VALIDATION_TGZ) if extract_xml
                               else None),
          test_tar=paths.get(imagenet.TEST_TAR))
  except acquire.CorruptArchiveError as e:
    # A copy that passed its checksum yet is cut short: the next run fetches it.
    message = acquire.set_aside_corrupt(e, downloads)
    if message is None:
      raise
    raise acquire.ExtractionError(message) from None
  return RunResult(fetched, extracted)


def main(argv):
  data_dir, = cli.arguments_or_flags(argv, ['data_dir'], required=['data_dir'])
  run(core.absolute_user_path(data_dir), cli.source_from_flags(), FLAGS.link_mode,
      core.absolute_user_path(FLAGS.checksums_file), FLAGS.validation_bounding_boxes,
      _WITH_DEVKIT.value, FLAGS.extract, FLAGS.with_test,
      netrc_file=cli.netrc_file_from_flags(), extract_xml=FLAGS.extract_xml,
      prompt=sys.stdin is not None and sys.stdin.isatty(),
      stream_extract=FLAGS.stream_extract)


if __name__ == '__main__':
  cli.run(main)
