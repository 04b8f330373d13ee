"""A package's public names loaded from their modules on first use (PEP 562).

Why: a package `__init__` that imports all its modules makes every binary import the
whole tool (a local conversion imported the downloader's urllib3 and numpy, Hugging
Face's pyarrow, the checker): most of its start-up. Each package `__init__` instead
imports its public names under `if typing.TYPE_CHECKING:` (what IDEs, pylint and
type checkers read, and what //tests:import_graph_test checks) and ends with

  __getattr__, __dir__ = core.exports_on_first_use(__name__, __file__)

so that `package.name` (or `from package import name`) imports the name's module when
first asked for, then keeps the value in the package. The block is read from the
`__init__` file itself, one import per line as the style has it (`EXPORT_LINE`), so
each name is written once; `exports` gives what is read, for the test.
"""

import importlib
import re
import sys
from typing import Callable, Dict, List, Tuple

# One import of a public name from one of the package's own modules, indented in the
# TYPE_CHECKING block: `  from inception.core._file_io import exists`.
EXPORT_LINE = re.compile(r'^  from ([\w.]+) import (\w+)$', re.MULTILINE)


def exports(init_path: str) -> Dict[str, str]:
  """{public name: the module it is imported from} of a package `__init__`."""
  with open(init_path, encoding='utf-8') as f:
    text = f.read()
  return {name: module for module, name in EXPORT_LINE.findall(text)}


def exports_on_first_use(
    package_name: str,
    init_path: str) -> Tuple[Callable[[str], object], Callable[[], List[str]]]:
  """The package's module `__getattr__` and `__dir__`: a public name is imported from
  its module when first asked for, then kept in the package's namespace."""
  package = sys.modules[package_name]
  origins = {}  # read on the first name asked for: a package imported unused reads nothing

  def __getattr__(name: str):  # pylint: disable=invalid-name
    if not origins:
      origins.update(exports(init_path))
    if name not in origins:
      raise AttributeError('module %r has no attribute %r' % (package_name, name))
    value = getattr(importlib.import_module(origins[name]), name)
    setattr(package, name, value)
    return value

  def __dir__() -> List[str]:  # pylint: disable=invalid-name
    if not origins:
      origins.update(exports(init_path))
    return sorted(set(vars(package)) | set(origins))

  return __getattr__, __dir__
