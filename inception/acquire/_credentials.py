"""A download site's credentials: where they are looked up, and how they are kept.

A `Login` names a site's credentials (its name in messages, the environment variables
and the netrc machine they come from); the caller defines its site's. `Credentials`
never shows its access key in repr/str and cannot be pickled: the key only ever goes
into the Authorization header (HTTP basic auth), never into a message, log line or
file.
"""

import dataclasses
import netrc
import os
from typing import Callable, Dict, Mapping, Optional

from inception.acquire import _verification


@dataclasses.dataclass(frozen=True)
class Login:
  """Where a site's credentials come from, and what messages call them.

  Attributes:
    site: the site's name in prompts and messages (e.g. 'ImageNet').
    username_env: the environment variable holding the username.
    access_key_env: the environment variable holding the access key.
    netrc_host: the machine looked up in a netrc file.
  """
  site: str
  username_env: str
  access_key_env: str
  netrc_host: str


class Credentials(object):
  """A username and access key; repr and str never show the key."""

  __slots__ = ('username', '_access_key')

  def __init__(self, username: str, access_key: str):
    self.username = username
    self._access_key = access_key

  @property
  def access_key(self) -> str:
    return self._access_key

  def authorization_headers(self) -> Dict[str, str]:
    """The HTTP basic auth header carrying these credentials."""
    # Imported here: urllib3 is a tenth of a binary's start-up, and only a download
    # sends credentials.
    import urllib3  # pylint: disable=g-import-not-at-top
    return urllib3.util.make_headers(
        basic_auth='%s:%s' % (self.username, self._access_key))

  def __eq__(self, other) -> bool:
    return (isinstance(other, Credentials) and self.username == other.username and
            self._access_key == other._access_key)

  def __repr__(self) -> str:
    return 'Credentials(username=%r, access_key=<hidden>)' % self.username

  __str__ = __repr__

  def __reduce__(self):
    raise TypeError('Credentials are not picklable, so they never reach a file')


def resolve_credentials(login: Login, environ: Mapping[str, str],
                        netrc_path: Optional[str], prompt: bool,
                        input_fn: Callable[[str], str] = input,
                        getpass_fn: Optional[Callable[[str], str]] = None
                       ) -> Optional[Credentials]:
  """Finds credentials: environment, then the netrc file, then (if `prompt`) asks once.

  Args:
    login: the site: its variables, netrc machine, and name in the questions.
    environ: where login.username_env / login.access_key_env are looked up.
    netrc_path: a netrc file to search for login.netrc_host (None or missing:
      skipped).
    prompt: whether asking on the terminal is allowed.
    input_fn: reads the username.
    getpass_fn: reads the access key without echo (default getpass.getpass).

  Returns:
    Credentials, or None when none are configured and the user gave no username
    (a mirror may need none).

  Raises:
    DownloadError: only a username is set and asking is not allowed, or the netrc
      file cannot be parsed (the message never quotes its content).
  """
  username = environ.get(login.username_env, '').strip()
  access_key = environ.get(login.access_key_env, '')
  if username and access_key:
    return Credentials(username, access_key)
  if netrc_path and os.path.isfile(netrc_path):
    try:
      entry = netrc.netrc(netrc_path).authenticators(login.netrc_host)
    except netrc.NetrcParseError as e:
      raise _verification.DownloadError('%s: cannot parse line %s' %
                                        (netrc_path, e.lineno)) from None
    if entry and entry[2] and (not username or entry[0] == username):
      return Credentials(entry[0] or username, entry[2])
  if not prompt:
    if username:
      raise _verification.DownloadError(
          '%s is set but %s is not, and there is no terminal to ask for it' %
          (login.username_env, login.access_key_env))
    return None
  if not username:
    username = input_fn('%s username (empty if the source needs none): ' %
                        login.site).strip()
    if not username:
      return None
  if getpass_fn is None:
    import getpass  # pylint: disable=g-import-not-at-top
    getpass_fn = getpass.getpass
  return Credentials(username, getpass_fn('%s access key for %s: ' %
                                          (login.site, username)))
