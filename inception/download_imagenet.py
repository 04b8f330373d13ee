r"""Fetches the ILSVRC2012 tarballs into DATA_DIR and extracts them into raw-data/.

  bazel run //inception:download_imagenet -- "${DATA_DIR}"
  bazel run //inception:download_imagenet -- --source=/mnt/imagenet \
      --link_mode=symlink "${DATA_DIR}"
  bazel run //inception:download_imagenet -- --source=https://mirror.example/ilsvrc/ \
      --checksums_file=MD5SUMS "${DATA_DIR}"

Credentials for a URL source come from IMAGENET_USERNAME / IMAGENET_ACCESS_KEY, then
~/.netrc, else they are asked once, at the start, on the terminal (the key without
echo); never on the command line. A re-run fetches and extracts nothing that is
already complete. Exits non-zero with the error message on any failure.
"""

import os
import sys
from typing import Callable, Mapping, NamedTuple, Optional

from absl import app
from absl import flags
from absl import logging
import urllib3

from inception import acquire
from inception import core

_DATA_DIR = flags.DEFINE_string(
    'data_dir', None, 'Where the tarballs go and raw-data/ is made (or positional).')
_SOURCE = flags.DEFINE_string(
    'source', acquire.DEFAULT_BASE_URL,
    'An http(s) base URL holding the files, or a local directory of tarballs.')
_LINK_MODE = flags.DEFINE_enum(
    'link_mode', 'copy', list(acquire.LINK_MODES),
    'For a directory source: copy the tarballs, or symlink them.')
_CHECKSUMS_FILE = flags.DEFINE_string(
    'checksums_file', None,
    'md5sum-format file ("<md5>  <name>") adding to or overriding the published '
    'MD5s (for mirrors and the mini fixture).')
_WITH_BBOX_VAL = flags.DEFINE_bool(
    'with_bbox_val', False, 'Also fetch (and extract) ILSVRC2012_bbox_val_v3.tgz.')
_WITH_DEVKIT = flags.DEFINE_bool(
    'with_devkit', False, 'Also fetch ILSVRC2012_devkit_t12.tar.gz (not extracted).')
_EXTRACT = flags.DEFINE_bool(
    'extract', True, 'Extract into DATA_DIR/raw-data after fetching.')
_NETRC_FILE = flags.DEFINE_string(
    'netrc_file', None, 'netrc file to look up credentials in (default ~/.netrc).')


class RunResult(NamedTuple):
  fetched: acquire.FetchSummary
  extracted: Optional[acquire.ExtractResult]


def run(data_dir: str, source: str = acquire.DEFAULT_BASE_URL,
        link_mode: str = 'copy', checksums_file: Optional[str] = None,
        with_bbox_val: bool = False, with_devkit: bool = False,
        do_extract: bool = True, environ: Optional[Mapping[str, str]] = None,
        netrc_file: Optional[str] = None, prompt: bool = False,
        input_fn: Callable[[str], str] = input,
        getpass_fn: Optional[Callable[[str], str]] = None,
        **fetch_options) -> RunResult:
  """Fetches, verifies and (optionally) extracts; paths must already be absolute.

  Credentials are resolved first, and only when the source is a URL and some file
  still needs fetching, so a finished DATA_DIR never asks.
  """
  environ = os.environ if environ is None else environ
  checksums = None
  if checksums_file:
    with open(checksums_file) as f:
      checksums = acquire.parse_checksums_file(f.read(), checksums_file)
  files = acquire.files_to_fetch(with_bbox_val, with_devkit)
  credentials = None
  if (acquire.is_url(source) and
      acquire.files_needing_fetch(data_dir, files, checksums)):
    credentials = acquire.resolve_credentials(
        environ, netrc_file, prompt, input_fn, getpass_fn,
        host=urllib3.util.parse_url(source).host or '')
  fetched = acquire.fetch_all(data_dir, source, files, credentials, checksums,
                               link_mode, **fetch_options)
  extracted = None
  if do_extract:
    paths = fetched.paths
    extracted = acquire.extract_all(
        data_dir, train_tar=paths[acquire.TRAIN_TAR],
        validation_tar=paths[acquire.VALIDATION_TAR],
        bbox_train_tar_gz=paths[acquire.BBOX_TRAIN_TAR_GZ],
        bbox_validation_tgz=paths.get(acquire.BBOX_VALIDATION_TGZ))
  return RunResult(fetched, extracted)


def main(argv):
  positional = argv[1:]
  if len(positional) > 1:
    raise app.UsageError('expected one DATA_DIR, got %s' % ' '.join(positional))
  if positional and _DATA_DIR.value and positional[0] != _DATA_DIR.value:
    raise app.UsageError('DATA_DIR given twice: %s and --data_dir=%s' %
                         (positional[0], _DATA_DIR.value))
  data_dir = _DATA_DIR.value or (positional[0] if positional else None)
  if not data_dir:
    raise app.UsageError('give DATA_DIR (positional or --data_dir)')
  source = _SOURCE.value
  if not acquire.is_url(source):
    source = core.absolute_user_path(source)
  checksums_file = core.absolute_user_path(_CHECKSUMS_FILE.value)
  netrc_file = (core.absolute_user_path(_NETRC_FILE.value) if _NETRC_FILE.value
                else os.path.expanduser(os.path.join('~', '.netrc')))
  try:
    run(core.absolute_user_path(data_dir), source, _LINK_MODE.value,
        checksums_file, _WITH_BBOX_VAL.value, _WITH_DEVKIT.value, _EXTRACT.value,
        netrc_file=netrc_file, prompt=sys.stdin is not None and sys.stdin.isatty())
  except (acquire.DownloadError, acquire.ExtractionError, ValueError, OSError) as e:
    logging.error('%s', e)
    print('ERROR: %s' % e, file=sys.stderr)
    return 1
  return 0


if __name__ == '__main__':
  app.run(main)
