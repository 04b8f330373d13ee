"""Tests of inception.acquire._credentials: where credentials come from, and that
the access key never shows."""

import pickle

from absl.testing import absltest

from inception import acquire
from tests.acquire import fetch_fixtures

_LOGIN = fetch_fixtures.LOGIN


class CredentialsTest(absltest.TestCase):

  def test_repr_and_str_hide_the_key(self):
    credentials = acquire.Credentials('bob', 'hunter2-key')
    for text in (repr(credentials), str(credentials), '%s' % credentials,
                 repr([credentials])):
      self.assertNotIn('hunter2', text)
      self.assertIn('bob', text)

  def test_not_picklable(self):
    with self.assertRaises(TypeError):
      pickle.dumps(acquire.Credentials('bob', 'hunter2-key'))

  def test_environment_wins_and_nothing_is_asked(self):
    credentials = acquire.resolve_credentials(
        _LOGIN, {_LOGIN.username_env: 'u', _LOGIN.access_key_env: 'k'}, None,
        prompt=True, input_fn=self.fail, getpass_fn=self.fail)
    self.assertEqual(credentials, acquire.Credentials('u', 'k'))

  def test_netrc(self):
    path = self.create_tempfile(content=(
        'machine example.com login x password y\n'
        'machine image-net.org login carol password netrc-key\n')).full_path
    credentials = acquire.resolve_credentials(_LOGIN, {}, path, prompt=True,
                                              input_fn=self.fail,
                                              getpass_fn=self.fail)
    self.assertEqual(credentials, acquire.Credentials('carol', 'netrc-key'))

  def test_bad_netrc_error_does_not_quote_it(self):
    path = self.create_tempfile(
        content='machine image-net.org login a password b\nsecret-oops\n').full_path
    with self.assertRaises(acquire.DownloadError) as raised:
      acquire.resolve_credentials(_LOGIN, {}, path, prompt=False)
    self.assertIn(path, str(raised.exception))
    self.assertNotIn('secret-oops', str(raised.exception))

  def test_prompt_asks_username_then_key_with_getpass(self):
    asked = []

    def ask(question):
      asked.append(question)
      return 'dave\n'

    credentials = acquire.resolve_credentials(
        _LOGIN, {}, None, prompt=True, input_fn=ask, getpass_fn=lambda q: 'typed-key')
    self.assertEqual(credentials, acquire.Credentials('dave', 'typed-key'))
    self.assertLen(asked, 1)
    self.assertStartsWith(asked[0], 'ImageNet username')

  def test_only_key_asked_when_username_is_set(self):
    credentials = acquire.resolve_credentials(
        _LOGIN, {_LOGIN.username_env: 'erin'}, None, prompt=True, input_fn=self.fail,
        getpass_fn=lambda q: 'k2')
    self.assertEqual(credentials, acquire.Credentials('erin', 'k2'))

  def test_empty_username_means_no_credentials(self):
    self.assertIsNone(acquire.resolve_credentials(
        _LOGIN, {}, None, prompt=True, input_fn=lambda q: '', getpass_fn=self.fail))

  def test_no_prompt_allowed(self):
    self.assertIsNone(acquire.resolve_credentials(_LOGIN, {}, None, prompt=False))
    with self.assertRaisesRegex(acquire.DownloadError, 'IMAGENET_ACCESS_KEY is not'):
      acquire.resolve_credentials(_LOGIN, {_LOGIN.username_env: 'x'}, None,
                                  prompt=False)


if __name__ == '__main__':
  absltest.main()
