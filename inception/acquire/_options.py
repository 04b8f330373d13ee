"""How to fetch (`FetchOptions`, built once by the caller), and what fetching did."""

import dataclasses
from typing import Collection, Dict, List, Mapping, NamedTuple, Optional

from inception.acquire import _credentials
from inception.acquire import _extract
from inception.acquire import _verification

LINK_MODES = ('copy', 'symlink')
PARTIAL_SUFFIX = '.partial'


@dataclasses.dataclass(frozen=True)
class FetchOptions:
  """How fetch_all fetches every archive it is given.

  Attributes:
    credentials: sent as HTTP basic auth to a URL source.
    login: the site whose credentials these are: what a refusal, or a server asking
      for credentials none were given for, tells the user to set (None: the message
      names no variables).
    link_mode: for a directory source, 'copy' or 'symlink'.
    verify_on_first_read: names whose MD5, when the file is symlinked or found in
      place, is checked by the first extraction or index that reads it whole rather
      than by a read of its own when fetched.
    extract_while_downloading: {name: Extraction}: from a URL source, each of these
      archives that is not in the download directory yet is extracted as it
      downloads (_streaming), so that a later extraction finds it done. Nothing
      changes for a directory source (a copy or link is read once anyway).
    chunk_size: bytes read from the connection at a time.
    max_attempts: transfers of one file broken in a row (no progress) before it
      fails; also the HTTP pool's retries.
    backoff_seconds: the first wait before a retry; it doubles with each failure.
    progress_interval: seconds between progress lines.
  """
  credentials: Optional[_credentials.Credentials] = None
  login: Optional[_credentials.Login] = None
  link_mode: str = 'copy'
  verify_on_first_read: Collection[str] = ()
  extract_while_downloading: Optional[Mapping[str, _extract.Extraction]] = None
  chunk_size: int = _verification.CHUNK_SIZE
  max_attempts: int = 5
  backoff_seconds: float = 1.0
  progress_interval: float = 10.0


class FileResult(NamedTuple):
  """What fetching one file did. `action` is one of: downloaded, resumed, copied,
  symlinked, verified (was there, hashed now), already verified (stamp trusted)."""
  name: str
  path: str
  action: str
  bytes_transferred: int
  seconds: float


class FetchSummary(NamedTuple):
  """The results of `fetch_all`, one per file in the order fetched."""
  files: List[FileResult]

  @property
  def paths(self) -> Dict[str, str]:
    return {result.name: result.path for result in self.files}

  @property
  def bytes_transferred(self) -> int:
    return sum(result.bytes_transferred for result in self.files)
