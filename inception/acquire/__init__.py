"""Getting the ImageNet tarballs onto this machine, verified and safe.

- `fetch_all`: downloads (urllib3, HTTP Range resume, retries) or links local copies,
  each checked by size and MD5 in the stream that copies or downloads it; a linked
  image tarball (`verify_on_first_read=IMAGE_TARS`) is checked instead by the first
  extraction or index that reads it whole, so that it is read once. With
  `stream_extract_into`, an image tarball downloading from a URL is extracted as its
  bytes land (_streaming), its MD5 still deciding. Credentials only ever in HTTP
  basic auth.
- `extract_all`: one streaming pass per tarball into raw-data/, refusing unsafe members
  (`plain_member_name`, the one member rule) and truncated archives.
- `index_train_tar`, `index_flat_tar`: each member's offset, for --no_extract.
"""

from inception.acquire._download import ACCESS_KEY_ENV
from inception.acquire._download import BBOX_TRAIN_TAR_GZ
from inception.acquire._download import BBOX_VALIDATION_TGZ
from inception.acquire._download import ChecksumMismatch
from inception.acquire._download import Credentials
from inception.acquire._download import DEFAULT_BASE_URL
from inception.acquire._download import DEFAULT_FILES
from inception.acquire._download import DownloadError
from inception.acquire._download import FetchSummary
from inception.acquire._download import IMAGE_TARS
from inception.acquire._download import KNOWN_FILES
from inception.acquire._download import LINK_MODES
from inception.acquire._download import PENDING_SUFFIX
from inception.acquire._download import STAMP_SUFFIX
from inception.acquire._download import TEST_TAR
from inception.acquire._download import TFDS_TEST_TAR
from inception.acquire._download import TRAIN_TAR
from inception.acquire._download import USERNAME_ENV
from inception.acquire._download import VALIDATION_TAR
from inception.acquire._download import expected_checksums
from inception.acquire._download import fetch_all
from inception.acquire._download import file_names
from inception.acquire._download import files_needing_fetch
from inception.acquire._download import files_to_fetch
from inception.acquire._download import is_url
from inception.acquire._download import move_aside_corrupt
from inception.acquire._download import parse_checksums_file
from inception.acquire._download import read_checksums_file
from inception.acquire._download import resolve_credentials
from inception.acquire._download import set_aside_corrupt
from inception.acquire._extract import CorruptArchiveError
from inception.acquire._extract import ExtractResult
from inception.acquire._extract import ExtractionError
from inception.acquire._extract import UnsafeArchiveError
from inception.acquire._extract import extract_all
from inception.acquire._extract import extract_test
from inception.acquire._extract import extract_train
from inception.acquire._extract import extract_tree
from inception.acquire._extract import extract_validation
from inception.acquire._extract import plain_member_name
from inception.acquire._tar_index import index_flat_tar
from inception.acquire._tar_index import index_train_tar

__all__ = [
    'ACCESS_KEY_ENV',
    'BBOX_TRAIN_TAR_GZ',
    'BBOX_VALIDATION_TGZ',
    'ChecksumMismatch',
    'CorruptArchiveError',
    'Credentials',
    'DEFAULT_BASE_URL',
    'DEFAULT_FILES',
    'DownloadError',
    'ExtractResult',
    'ExtractionError',
    'FetchSummary',
    'IMAGE_TARS',
    'KNOWN_FILES',
    'LINK_MODES',
    'PENDING_SUFFIX',
    'STAMP_SUFFIX',
    'TEST_TAR',
    'TFDS_TEST_TAR',
    'TRAIN_TAR',
    'USERNAME_ENV',
    'UnsafeArchiveError',
    'VALIDATION_TAR',
    'extract_all',
    'extract_test',
    'extract_train',
    'extract_tree',
    'extract_validation',
    'expected_checksums',
    'fetch_all',
    'file_names',
    'files_needing_fetch',
    'files_to_fetch',
    'index_flat_tar',
    'index_train_tar',
    'is_url',
    'move_aside_corrupt',
    'parse_checksums_file',
    'plain_member_name',
    'read_checksums_file',
    'resolve_credentials',
    'set_aside_corrupt',
]
