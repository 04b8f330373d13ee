"""Getting archives onto this machine, verified and safe: whichever the caller names.

- `fetch_all(data_dir, source, archives, options)`: downloads (urllib3, HTTP Range
  resume, retries: _http) or links local copies (_local), each `Archive` checked by
  size and MD5 in the stream that copies or downloads it; an archive in
  `FetchOptions.verify_on_first_read`, linked, is checked instead by the first
  extraction or index that reads it whole, so that it is read once (_verification).
  With `FetchOptions.extract_while_downloading`, an archive downloading from a URL is
  extracted as its bytes land (_streaming), its MD5 still deciding. Credentials only
  ever in HTTP basic auth; a `Login` says where they come from (_credentials).
- `extract(path, Extraction(layout, root, dirname))`: one streaming pass per tarball
  into root/dirname, by its layout (CLASS_TARS, FLAT, TREE), refusing unsafe members
  (`plain_member_name`, the one member rule) and truncated archives, and (FLAT, TREE)
  a set of member names the caller's `check_members` refuses, before any is in place.
- `index_train_tar`, `index_flat_tar`: each member's offset (and class tar), for
  converting without extracting; a `TarMember` names itself ARCHIVE:MEMBER;
  `index_zip` the same for a zip, from its central directory (`ZipIndex`).
- `plain_tree_files(stream)`: the files of a tree-shaped tar stream read by their
  headers alone where each is the common case, else `NotPlain` (read it with
  tarfile and `plain_member_name` instead).
- A store source (`is_store_url`: s3://, gs://, az://): `fetch_all` records each
  object (`record_of`: URL, size, ETag or generation) and copies nothing; the MD5 is
  checked by the first index that streams it (its stamps named after its name in
  the download directory: the index functions' `record`); `changed_object` says
  whether a recorded object was replaced since (_store).
- `parse_checksums_file`, `read_checksums_file`: md5sum-format files.
"""

import typing

from inception import core

if typing.TYPE_CHECKING:
  from inception.acquire._archive import Archive
  from inception.acquire._archive import parse_checksums_file
  from inception.acquire._archive import read_checksums_file
  from inception.acquire._checks import move_aside_corrupt
  from inception.acquire._checks import set_aside_corrupt
  from inception.acquire._credentials import Credentials
  from inception.acquire._credentials import Login
  from inception.acquire._credentials import resolve_credentials
  from inception.acquire._extract import CLASS_TARS
  from inception.acquire._extract import Extraction
  from inception.acquire._extract import FLAT
  from inception.acquire._extract import TREE
  from inception.acquire._extract import extract
  from inception.acquire._fetch import fetch_all
  from inception.acquire._fetch import files_needing_fetch
  from inception.acquire._fetch import is_url
  from inception.acquire._http import CredentialsRefused
  from inception.acquire._http import TransferError
  from inception.acquire._members import CorruptArchiveError
  from inception.acquire._members import ExtractionError
  from inception.acquire._members import UnsafeArchiveError
  from inception.acquire._members import plain_member_name
  from inception.acquire._options import FetchOptions
  from inception.acquire._options import FetchSummary
  from inception.acquire._options import LINK_MODES
  from inception.acquire._store import URL_KEY
  from inception.acquire._store import changed_object
  from inception.acquire._store import is_store_url
  from inception.acquire._store import record_of
  from inception.acquire._tar_headers import NotPlain
  from inception.acquire._tar_index import TarMember
  from inception.acquire._tar_index import index_flat_tar
  from inception.acquire._tar_index import index_train_tar
  from inception.acquire._tar_stream import plain_tree_files
  from inception.acquire._tree import extract_tree
  from inception.acquire._verification import ChecksumMismatch
  from inception.acquire._verification import DownloadError
  from inception.acquire._verification import PENDING_SUFFIX
  from inception.acquire._verification import STAMP_SUFFIX
  from inception.acquire._zip_index import ZipIndex
  from inception.acquire._zip_index import index_zip

__all__ = [
    'Archive',
    'CLASS_TARS',
    'ChecksumMismatch',
    'CorruptArchiveError',
    'Credentials',
    'CredentialsRefused',
    'DownloadError',
    'Extraction',
    'ExtractionError',
    'FLAT',
    'FetchOptions',
    'FetchSummary',
    'LINK_MODES',
    'Login',
    'NotPlain',
    'PENDING_SUFFIX',
    'STAMP_SUFFIX',
    'TREE',
    'TarMember',
    'TransferError',
    'URL_KEY',
    'UnsafeArchiveError',
    'ZipIndex',
    'changed_object',
    'extract',
    'extract_tree',
    'fetch_all',
    'files_needing_fetch',
    'index_flat_tar',
    'index_train_tar',
    'index_zip',
    'is_store_url',
    'is_url',
    'move_aside_corrupt',
    'parse_checksums_file',
    'plain_member_name',
    'plain_tree_files',
    'read_checksums_file',
    'record_of',
    'resolve_credentials',
    'set_aside_corrupt',
]

__getattr__, __dir__ = core.exports_on_first_use(__name__, __file__)
