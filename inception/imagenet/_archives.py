"""The ILSVRC2012 archives: their names, sizes and MD5s, where they come from, and who
may fetch them.

The catalogue (docs/FORMAT.md, "Data facts") gives each published file's size and
MD5; a checksums file (md5sum format, for a mirror or the mini fixture) adds to it or
overrides it. `archives(names, checksums)` turns names into the `acquire.Archive`s
that acquire fetches and verifies. Credentials for image-net.org come from
IMAGENET_USERNAME / IMAGENET_ACCESS_KEY, ~/.netrc or the terminal (`LOGIN`).
"""

import dataclasses
import re
from typing import Dict, List, Mapping, Optional, Sequence

from inception import acquire

DEFAULT_BASE_URL = 'https://image-net.org/data/ILSVRC/2012/'
USERNAME_ENV = 'IMAGENET_USERNAME'
ACCESS_KEY_ENV = 'IMAGENET_ACCESS_KEY'
LOGIN = acquire.Login(site='ImageNet', username_env=USERNAME_ENV,
                      access_key_env=ACCESS_KEY_ENV, netrc_host='image-net.org')

TRAIN_TAR = 'ILSVRC2012_img_train.tar'
VALIDATION_TAR = 'ILSVRC2012_img_val.tar'
BBOX_TRAIN_TAR_GZ = 'ILSVRC2012_bbox_train_v2.tar.gz'
BBOX_VALIDATION_TGZ = 'ILSVRC2012_bbox_val_v3.tgz'
DEVKIT_TAR_GZ = 'ILSVRC2012_devkit_t12.tar.gz'
# The unlabelled test images (flat, as the validation tar): image-net.org's name since
# 2019, and the name TFDS's imagenet2012 reads. No MD5 of it is published (TFDS 4.9.10's
# imagenet2012/checksums.tsv lists only the train and validation tars), so a checksums
# file must give one.
TEST_TAR = 'ILSVRC2012_img_test_v10102019.tar'
TFDS_TEST_TAR = 'ILSVRC2012_img_test.tar'
# A file's other names, which a source directory or a checksums file may use instead.
OTHER_NAMES = {TEST_TAR: (TFDS_TEST_TAR,)}

# What each published file must be: byte size (None if unpublished) and MD5.
KNOWN_FILES: Dict[str, acquire.Archive] = {
    known.name: known for known in (
        acquire.Archive(TRAIN_TAR, 147897477120, '1d675b47d978889d74fa0da5fadfb00e'),
        acquire.Archive(VALIDATION_TAR, 6744924160, '29b22e2961454d5413ddabcf34fc5622'),
        acquire.Archive(BBOX_TRAIN_TAR_GZ, None, '9271167e2176350e65cfe4e546f14b17'),
        acquire.Archive(BBOX_VALIDATION_TGZ, None, 'f4cd18b5ea29fe6bbea62ec9c20d80f0'),
        acquire.Archive(DEVKIT_TAR_GZ, None, 'fa75699e90414af021442c21a62c3abf'),
    )
}
# Smallest first, so that a refused login or a missing file shows up within seconds.
DEFAULT_FILES = (BBOX_TRAIN_TAR_GZ, VALIDATION_TAR, TRAIN_TAR)
OPTIONAL_FILES = (BBOX_VALIDATION_TGZ, DEVKIT_TAR_GZ)
# The image tarballs: extraction or the --no_extract index reads each whole, so either
# can verify it (acquire.FetchOptions.verify_on_first_read). The box tarballs are
# small, and with --no_extract read by annotations, so they are hashed when fetched.
IMAGE_TARS = (TRAIN_TAR, VALIDATION_TAR, TEST_TAR)
# The bounding box archives (which a Hugging Face layout may have beside it).
BOX_ARCHIVES = (BBOX_TRAIN_TAR_GZ, BBOX_VALIDATION_TGZ)

_MD5_PATTERN = re.compile(r'^[0-9a-f]{32}$')


def files_to_fetch(with_bbox_val: bool = False, with_devkit: bool = False,
                   with_test: bool = False) -> List[str]:
  """The default files, plus the optional ones asked for."""
  names = list(DEFAULT_FILES)
  if with_bbox_val:
    names.append(BBOX_VALIDATION_TGZ)
  if with_devkit:
    names.append(DEVKIT_TAR_GZ)
  if with_test:
    names.append(TEST_TAR)
  return names


def archives(names: Sequence[str],
             overrides: Optional[Mapping[str, str]] = None) -> List[acquire.Archive]:
  """Each name's size and MD5 to check: the catalogue's, or an override (MD5 only).

  An override means other content (a mirror's repack, the mini fixture), so the
  published size no longer applies. An override may use one of the file's other
  names (OTHER_NAMES), which a source directory may hold it under too.

  Raises:
    ValueError: an override is not an MD5, or a name has no known MD5 (the test
      tar's must come from a checksums file).
  """
  overrides = overrides or {}
  found = []
  for name in names:
    other_names = OTHER_NAMES.get(name, ())
    given = [other for other in (name,) + other_names if other in overrides]
    if given:
      md5 = overrides[given[0]].lower()
      if not _MD5_PATTERN.match(md5):
        raise ValueError('%s: checksum %r is not an MD5 (32 hex digits)' % (name, md5))
      found.append(acquire.Archive(name, None, md5, other_names))
    elif name in KNOWN_FILES:
      found.append(dataclasses.replace(KNOWN_FILES[name], other_names=other_names))
    else:
      raise ValueError('%s: no checksum known (none is published); give its MD5 in a '
                       'checksums file (--checksums_file, md5sum format: "<md5>  %s")' %
                       (name, name))
  return found


def login_for(source: str) -> acquire.Login:
  """ImageNet's login, its netrc machine the host of the URL `source` (a mirror's
  credentials are looked up under the mirror's name)."""
  # Imported here: urllib3 is a tenth of a binary's start-up; only a download asks.
  import urllib3  # pylint: disable=g-import-not-at-top
  return dataclasses.replace(LOGIN,
                             netrc_host=urllib3.util.parse_url(source).host or '')
