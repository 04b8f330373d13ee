"""flower_photos.tgz: its published facts, where it comes from, and its verification.

The size and SHA-256 are those TensorFlow Datasets publishes for `tf_flowers`
(tensorflow-datasets==4.9.10 wheel, tensorflow_datasets/datasets/tf_flowers/
checksums.tsv). The MD5, which acquire's download checks as it streams, is the one
tensorflow/examples pins for the same URL (tensorflow_examples/lite/model_maker/demo/
image_classification_demo_test.py, `file_hash`); Yocto's tensorflow-for-poets recipe
pins that MD5 beside the same SHA-256. `fetch_archive` downloads (resuming) or links
the tarball with acquire, then checks the size and SHA-256 in one read of the file.
"""

import hashlib
import os
import urllib.parse
from typing import NamedTuple

from inception import acquire

_CHUNK_SIZE = 1 << 20
BAD_SHA256_INFIX = '.bad-sha256-'


# The published tarball, and the directory every member sits in.
FLOWERS_TARBALL = 'flower_photos.tgz'
FLOWERS_TOP_DIRNAME = 'flower_photos'


class Archive(NamedTuple):
  """What the tarball must be: its name, byte size, MD5 and SHA-256."""
  name: str
  size: int
  md5: str
  sha256: str


FLOWER_PHOTOS = Archive(
    name=FLOWERS_TARBALL, size=228813984, md5='6f87fb78e9cc9ab41eff2015b380011d',
    sha256='4c54ace7911aaffe13a365c34f650e71dd5bf1be0a58b464e5a7183e3e595d9c')
# The original script's URL.
DEFAULT_SOURCE = 'http://download.tensorflow.org/example_images/' + FLOWER_PHOTOS.name


def source_location(source: str, name: str) -> str:
  """The base URL or directory acquire fetches `name` from.

  `source` is a base URL, the tarball's own URL, a directory holding it, or the
  tarball's path (which must then be named `name`).

  Raises:
    ValueError: a local file of another name.
  """
  if acquire.is_url(source):
    path = urllib.parse.urlsplit(source).path
    if os.path.basename(path) == name:
      return source[:source.rindex(name)]
    return source
  if os.path.isfile(source):
    if os.path.basename(source) != name:
      raise ValueError('%s: the tarball must be named %s (or give its directory)' %
                       (source, name))
    return os.path.dirname(source)
  return source


def check_local_size(directory: str, archive: Archive) -> None:
  """Fails fast, before any copy, on a local tarball of the wrong size (truncated?).

  Raises:
    acquire.DownloadError: naming the file.
  """
  path = os.path.join(directory, archive.name)
  if os.path.isfile(path) and os.path.getsize(path) != archive.size:
    raise acquire.DownloadError(
        '%s: %d bytes, expected %d (truncated, or another file); nothing was copied' %
        (path, os.path.getsize(path), archive.size))


def sha256_and_size(path: str):
  """(SHA-256 hex digest, byte count) of a file, in one read."""
  hasher = hashlib.sha256()
  size = 0
  with open(path, 'rb') as f:
    for chunk in iter(lambda: f.read(_CHUNK_SIZE), b''):
      hasher.update(chunk)
      size += len(chunk)
  return hasher.hexdigest(), size


def verify_sha256(path: str, archive: Archive) -> None:
  """Checks size and SHA-256; a file that fails is moved aside, never used.

  (A symlink is moved aside, not its target: the user's file is never touched.)

  Raises:
    acquire.DownloadError: naming the file, what was expected and what it is.
  """
  digest, size = sha256_and_size(path)
  if (size, digest) == (archive.size, archive.sha256):
    return
  aside = path + BAD_SHA256_INFIX + digest
  os.replace(path, aside)
  raise acquire.DownloadError(
      '%s: size or SHA-256 mismatch: expected %d bytes, %s; actual %d bytes, %s; the '
      'file was moved aside to %s' % (path, archive.size, archive.sha256, size, digest,
                                      aside))


def fetch_archive(downloads_dir: str, source: str, archive: Archive,
                  link_mode: str = 'copy') -> acquire.FetchSummary:
  """Downloads (resuming) or links the tarball into `downloads_dir`, verified.

  acquire checks the MD5 (streaming); then size and SHA-256 are checked here.
  """
  location = source_location(source, archive.name)
  if not acquire.is_url(location):
    check_local_size(location, archive)
  # acquire checks the MD5 only: the size is checked here, with the SHA-256.
  summary = acquire.fetch_all(downloads_dir, location,
                              [acquire.Archive(archive.name, None, archive.md5)],
                              acquire.FetchOptions(link_mode=link_mode))
  verify_sha256(summary.paths[archive.name], archive)
  return summary
