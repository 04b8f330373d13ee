"""Tests of core._lazy_exports: a package's public names imported on first use."""

import os
import subprocess
import sys
import textwrap

from absl.testing import absltest

from inception.core import _lazy_exports

PACKAGES = ('acquire', 'annotations', 'check', 'cli', 'convert', 'core', 'demo',
            'driver', 'flowers', 'imagenet', 'label_files', 'reader', 'records')
# The private modules a package's __init__ imports at once: the hook itself, and cli's
# quieting of TensorFlow's logs (before anything may load TensorFlow).
EAGER = ('inception.core._lazy_exports', 'inception.cli._tensorflow_logs')

_INIT = '''\
"""A package of the test."""

import typing

from inception.core._lazy_exports import exports_on_first_use

if typing.TYPE_CHECKING:
  from {package}._one import ONE
  from {package}._one import one_more
  from {package}._two import TWO

__all__ = ['ONE', 'TWO', 'one_more']

__getattr__, __dir__ = exports_on_first_use(__name__, __file__)
'''


def _python(script: str) -> str:
  """The output of `script` run by a fresh interpreter with this test's imports."""
  env = dict(os.environ, PYTHONPATH=os.pathsep.join(p for p in sys.path if p))
  output = subprocess.run([sys.executable, '-c', textwrap.dedent(script)], env=env,
                          stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                          check=False)
  if output.returncode:
    raise AssertionError(output.stderr)
  return output.stdout


class ExportsOnFirstUseTest(absltest.TestCase):

  @classmethod
  def setUpClass(cls):
    super().setUpClass()
    root = absltest.get_default_test_tmpdir()
    cls.package = 'lazy_package_%d' % os.getpid()
    directory = os.path.join(root, cls.package)
    os.makedirs(directory)
    with open(os.path.join(directory, '__init__.py'), 'w') as f:
      f.write(_INIT.format(package=cls.package))
    with open(os.path.join(directory, '_one.py'), 'w') as f:
      f.write('ONE = 1\n\n\ndef one_more(n):\n  return n + 1\n')
    with open(os.path.join(directory, '_two.py'), 'w') as f:
      f.write('TWO = 2\n')
    sys.path.insert(0, root)

  def _module_loaded(self, name):
    return '%s.%s' % (self.package, name) in sys.modules

  def test_a_name_imports_its_module_when_first_used(self):
    package = __import__(self.package)
    self.assertFalse(self._module_loaded('_one'))
    self.assertEqual(package.ONE, 1)
    self.assertTrue(self._module_loaded('_one'))
    self.assertFalse(self._module_loaded('_two'))
    self.assertIn('ONE', vars(package))  # kept: the next use is a plain attribute
    self.assertEqual(package.one_more(1), 2)
    namespace = {}
    exec('from %s import TWO' % self.package, namespace)  # pylint: disable=exec-used
    self.assertEqual(namespace['TWO'], 2)
    self.assertTrue(self._module_loaded('_two'))

  def test_dir_lists_every_public_name_before_any_is_used(self):
    package = __import__(self.package)
    self.assertContainsSubset(['ONE', 'TWO', 'one_more', '__all__'], dir(package))

  def test_an_unknown_name_is_an_attribute_error(self):
    package = __import__(self.package)
    with self.assertRaisesRegex(AttributeError, "has no attribute 'THREE'"):
      package.THREE  # pylint: disable=pointless-statement
    self.assertFalse(hasattr(package, 'THREE'))

  def test_a_private_module_is_still_imported_by_name(self):
    namespace = {}
    exec('from %s import _two' % self.package, namespace)  # pylint: disable=exec-used
    self.assertEqual(namespace['_two'].TWO, 2)

  def test_exports_reads_the_type_checking_imports(self):
    path = os.path.join(absltest.get_default_test_tmpdir(), self.package, '__init__.py')
    self.assertEqual(_lazy_exports.exports(path), {
        'ONE': self.package + '._one', 'one_more': self.package + '._one',
        'TWO': self.package + '._two'})


class InceptionPackagesTest(absltest.TestCase):

  def test_importing_the_packages_imports_none_of_their_modules(self):
    loaded = _python('''
        import sys
        import %s
        print(sorted(m for m in sys.modules if m.startswith('inception.')
                     and m.count('.') == 2))
        ''' % ', '.join('inception.' + p for p in PACKAGES))
    self.assertEqual(loaded.strip(), str(sorted(EAGER)))

  def test_every_public_name_resolves_from_its_module(self):
    # In a fresh interpreter, so that every name is first asked for here.
    answer = _python('''
        import importlib
        from inception.core import _lazy_exports
        for name in %r:
          package = importlib.import_module('inception.' + name)
          origins = _lazy_exports.exports(package.__file__)
          assert sorted(origins) == sorted(package.__all__), name
          for public in package.__all__:
            module = importlib.import_module(origins[public])
            assert getattr(package, public) is getattr(module, public), public
            assert public in dir(package), (name, public)
        print('ok')
        ''' % (PACKAGES,))
    self.assertEqual(answer.strip(), 'ok')


if __name__ == '__main__':
  absltest.main()
