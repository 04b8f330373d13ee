"""The import graph of inception/: layered packages, public faces, no circles.

docs/ARCHITECTURE.md draws the layers. This test reads every module's imports (with
ast, importing none of them) and checks the rules that keep them layered:
- a package imports only packages below it, and those only through their public
  `__init__` (`from inception import records`), never another package's `_module`;
- inside a package the private modules import each other without circles;
- a package's `__init__` imports only its own private modules (its public names
  under `typing.TYPE_CHECKING`, loaded on first use: core.exports_on_first_use), and
  its `__all__` is exactly the names it imports;
- the binaries (inception/*.py) import only public packages and absl/third-party.
"""

import ast
import os
import re

from absl.testing import absltest
from bazel_tools.tools.python.runfiles import runfiles

from inception.core import _lazy_exports

# Bottom to top: each package may import only those before it.
LAYERS = ('core', 'label_files', 'records', 'reader', 'acquire', 'annotations',
          'convert', 'check', 'driver', 'imagenet', 'flowers', 'demo', 'cli')
# Siblings on one layer: each driver is a list of steps on inception.driver's engine,
# and neither imports the other.
SIBLINGS = (('imagenet', 'flowers'),)
# The ILSVRC2012 archive catalogue (names, URLs, MD5s) is defined in this module only.
CATALOGUE = os.path.join('imagenet', '_archives.py')
_ARCHIVE_NAME = re.compile(r"['\"](ILSVRC2012_(?:img|bbox|devkit)\w*\.t(?:ar|gz)[^'\"]*)['\"]")
_URL = re.compile(r'https?://[^\s\'"]*image-net\.org')
_MD5 = re.compile(r"['\"][0-9a-f]{32}['\"]")


def _inception_root() -> str:
  return os.path.dirname(runfiles.Create().Rlocation('inception/inception/__init__.py'))


def _imports(path: str):
  """(imported module, imported names, line) of every 'inception' import in a file."""
  with open(path, encoding='utf-8') as f:
    tree = ast.parse(f.read(), path)
  for node in ast.walk(tree):
    if isinstance(node, ast.ImportFrom) and node.module and (
        node.module == 'inception' or node.module.startswith('inception.')):
      yield node.module, [a.name for a in node.names], node.lineno
    elif isinstance(node, ast.Import):
      for alias in node.names:
        if alias.name == 'inception' or alias.name.startswith('inception.'):
          yield alias.name, [], node.lineno


def _targets(module: str, names):
  """The (package, private module or None) pairs an import statement reaches."""
  parts = module.split('.')
  if len(parts) == 1:  # from inception import records, core
    return [(name, None) for name in names]
  if len(parts) == 2:  # from inception.records import _shards  /  import inception.x
    if names and all(n.startswith('_') for n in names):
      return [(parts[1], name) for name in names]
    return [(parts[1], None)]
  return [(parts[1], parts[2])]  # from inception.records._shards import x


class ImportGraphTest(absltest.TestCase):

  @classmethod
  def setUpClass(cls):
    super().setUpClass()
    cls.root = _inception_root()
    cls.packages = sorted(d for d in os.listdir(cls.root)
                          if os.path.isfile(os.path.join(cls.root, d, '__init__.py')))
    cls.binaries = sorted(f for f in os.listdir(cls.root)
                          if f.endswith('.py') and f != '__init__.py')

  def _modules(self, package):
    directory = os.path.join(self.root, package)
    return sorted(f[:-3] for f in os.listdir(directory) if f.endswith('.py'))

  def test_every_package_has_a_layer(self):
    self.assertCountEqual(self.packages, LAYERS)
    self.assertNotEmpty(self.binaries)

  def test_packages_import_only_lower_layers_through_their_public_face(self):
    problems = []
    for package in self.packages:
      for module in self._modules(package):
        path = os.path.join(self.root, package, module + '.py')
        for imported, names, line in _imports(path):
          for target, private in _targets(imported, names):
            where = '%s/%s.py:%d' % (package, module, line)
            if target == package:
              if private is None:
                problems.append('%s imports its own package publicly' % where)
            elif target not in LAYERS or LAYERS.index(target) > LAYERS.index(package):
              problems.append('%s imports %s, a higher layer' % (where, target))
            elif private is not None:
              problems.append('%s imports %s.%s, a private module' %
                              (where, target, private))
    self.assertEqual(problems, [])

  def test_no_circles_inside_a_package(self):
    for package in self.packages:
      graph = {}
      for module in self._modules(package):
        if module == '__init__':
          continue
        path = os.path.join(self.root, package, module + '.py')
        graph[module] = {private for imported, names, _ in _imports(path)
                         for target, private in _targets(imported, names)
                         if target == package and private}
      self.assertEqual(_cycle(graph), None, 'inception/%s' % package)

  def test_init_exports_exactly_what_it_imports_on_first_use(self):
    """A package's public names are the imports of its `if typing.TYPE_CHECKING:`
    block, one name a line from its own modules, loaded on first use by
    core.exports_on_first_use, which reads the same lines (core._lazy_exports)."""
    for package in self.packages:
      path = os.path.join(self.root, package, '__init__.py')
      with open(path, encoding='utf-8') as f:
        tree = ast.parse(f.read(), path)
      own = 'inception.%s' % package
      imported, exported, hook = {}, None, None
      for node in tree.body:
        if isinstance(node, ast.If) and ast.unparse(node.test) == 'typing.TYPE_CHECKING':
          for statement in node.body:
            self.assertIsInstance(statement, ast.ImportFrom, path)
            self.assertTrue(statement.module.startswith(own + '._'),
                            '%s: %s' % (path, statement.module))
            self.assertLen(statement.names, 1, '%s: one name a line' % path)
            imported[statement.names[0].name] = statement.module
        elif isinstance(node, ast.ImportFrom):  # the hook, or cli's quieting: at once
          names = [a.name for a in node.names]
          self.assertTrue(
              node.module.startswith(own + '._') or
              (node.module == own and all(n.startswith('_') for n in names)) or
              (node.module == 'inception' and names == ['core']),
              '%s: %s' % (path, node.module))
        elif isinstance(node, ast.Assign) and isinstance(node.targets[0], ast.Name):
          self.assertEqual(node.targets[0].id, '__all__', path)
          exported = set(ast.literal_eval(node.value))
        elif isinstance(node, ast.Assign):
          hook = ast.unparse(node)
      self.assertEqual(exported, set(imported), path)
      self.assertEqual(_lazy_exports.exports(path), imported, path)
      self.assertEqual(hook, '__getattr__, __dir__ = %sexports_on_first_use(__name__, '
                       '__file__)' % ('' if package == 'core' else 'core.'), path)
      self.assertTrue(ast.get_docstring(tree), '%s has no docstring' % path)

  def test_binaries_use_only_public_packages(self):
    problems = []
    for binary in self.binaries:
      for imported, names, line in _imports(os.path.join(self.root, binary)):
        for target, private in _targets(imported, names):
          if private is not None or target not in LAYERS:
            problems.append('%s:%d imports %s' % (binary, line, imported))
    self.assertEqual(problems, [])

  def test_sibling_drivers_do_not_import_each_other(self):
    problems = []
    for pair in SIBLINGS:
      for package, other in (pair, pair[::-1]):
        for module in self._modules(package):
          path = os.path.join(self.root, package, module + '.py')
          for imported, names, line in _imports(path):
            if any(target == other for target, _ in _targets(imported, names)):
              problems.append('%s/%s.py:%d imports %s' % (package, module, line, other))
    self.assertEqual(problems, [])

  def test_the_archive_catalogue_is_defined_once(self):
    found = []
    for directory, _, names in os.walk(self.root):
      for name in sorted(names):
        if not name.endswith('.py'):
          continue
        path = os.path.join(directory, name)
        relative = os.path.relpath(path, self.root)
        with open(path, encoding='utf-8') as f:
          text = f.read()
        if relative != CATALOGUE and (_ARCHIVE_NAME.search(text) or
                                      _URL.search(text)):
          found.append(relative)
    self.assertEqual(found, [])
    with open(os.path.join(self.root, CATALOGUE), encoding='utf-8') as f:
      catalogue = f.read()
    self.assertGreaterEqual(len(_ARCHIVE_NAME.findall(catalogue)), 6)
    self.assertGreaterEqual(len(_MD5.findall(catalogue)), 5)

  def test_the_checker_finds_a_circle(self):
    self.assertEqual(_cycle({'a': {'b'}, 'b': {'c'}, 'c': set()}), None)
    self.assertEqual(_cycle({'a': {'b'}, 'b': {'a'}}), ['a', 'b', 'a'])


def _cycle(graph):
  """A circle [a, b, ..., a] in {node: successors}, or None."""
  state = {}

  def visit(node, path):
    state[node] = 'open'
    for successor in sorted(graph.get(node, ())):
      if state.get(successor) == 'open':
        return path + [node, successor]
      if successor not in state:
        found = visit(successor, path + [node])
        if found:
          return found
    state[node] = 'done'
    return None

  for node in sorted(graph):
    if node not in state:
      found = visit(node, [])
      if found:
        return found[found.index(found[-1]):]
  return None


if __name__ == '__main__':
  absltest.main()
