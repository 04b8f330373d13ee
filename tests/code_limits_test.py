"""What a reader holds in mind: no module of inception/ over 600 lines, no function over
7 parameters (docs/ARCHITECTURE.md, "Limits").

Longer modules are split along their concerns; parameters that travel together are a
small frozen dataclass built once at the edge. The one exception is `reader.dataset`,
whose keyword-only options are documented API (README, "Reading the records").
"""

import ast
import os

from absl.testing import absltest
from bazel_tools.tools.python.runfiles import runfiles

MAX_MODULE_LINES = 600
MAX_PARAMETERS = 7
# (module path under inception/, function name): the documented exceptions.
ALLOWED_LONG_SIGNATURES = {('reader/_input_pipeline.py', 'dataset')}


def _inception_root() -> str:
  return os.path.dirname(runfiles.Create().Rlocation('inception/inception/__init__.py'))


def _python_files(root: str):
  for directory, _, names in os.walk(root):
    for name in sorted(names):
      if name.endswith('.py'):
        path = os.path.join(directory, name)
        yield os.path.relpath(path, root), path


def parameter_count(function: ast.AST, in_class: bool) -> int:
  """Every parameter (positional, keyword-only, *args, **kwargs), less a method's
  self or cls."""
  arguments = function.args
  names = [a.arg for a in arguments.posonlyargs + arguments.args]
  count = len(names) + len(arguments.kwonlyargs)
  count += (arguments.vararg is not None) + (arguments.kwarg is not None)
  if in_class and names and names[0] in ('self', 'cls'):
    count -= 1
  return count


def long_signatures(tree: ast.AST):
  """(name, line, parameters) of each function with more than MAX_PARAMETERS."""
  found = []

  def visit(node, in_class):
    for child in ast.iter_child_nodes(node):
      if isinstance(child, (ast.FunctionDef, ast.AsyncFunctionDef)):
        count = parameter_count(child, in_class)
        if count > MAX_PARAMETERS:
          found.append((child.name, child.lineno, count))
        visit(child, False)
      elif isinstance(child, ast.ClassDef):
        visit(child, True)
      else:
        visit(child, in_class)

  visit(tree, False)
  return found


class CodeLimitsTest(absltest.TestCase):

  def setUp(self):
    super().setUp()
    self.files = list(_python_files(_inception_root()))
    self.assertGreater(len(self.files), 50)

  def test_no_module_over_the_line_limit(self):
    long_modules = []
    for name, path in self.files:
      with open(path, encoding='utf-8') as f:
        lines = len(f.read().splitlines())
      if lines > MAX_MODULE_LINES:
        long_modules.append('%s: %d lines' % (name, lines))
    self.assertEmpty(long_modules)

  def test_no_function_over_the_parameter_limit(self):
    problems = []
    for name, path in self.files:
      with open(path, encoding='utf-8') as f:
        tree = ast.parse(f.read(), path)
      for function, line, count in long_signatures(tree):
        if (name, function) not in ALLOWED_LONG_SIGNATURES:
          problems.append('%s:%d %s has %d parameters' % (name, line, function, count))
    self.assertEmpty(problems)

  def test_the_counter_counts_every_kind_of_parameter(self):
    tree = ast.parse('def f(a, /, b, *c, d, e=1, **g): pass\n'
                     'class C:\n'
                     '  def m(self, a, b, c, d, e, f, g, h): pass\n'
                     '  @classmethod\n'
                     '  def k(cls, a): pass\n')
    self.assertEqual(parameter_count(tree.body[0], False), 6)
    self.assertEqual(long_signatures(tree), [('m', 3, 8)])

  def test_the_exception_is_keyword_only(self):
    path = os.path.join(_inception_root(), 'reader', '_input_pipeline.py')
    with open(path, encoding='utf-8') as f:
      tree = ast.parse(f.read(), path)
    dataset = next(node for node in tree.body
                   if isinstance(node, ast.FunctionDef) and node.name == 'dataset')
    self.assertEqual([a.arg for a in dataset.args.args], ['data_dir', 'subset'])


if __name__ == '__main__':
  absltest.main()
