"""The fingerprint of sources and pinned packages that launcher and workers compare."""

import os
import re
import shutil

from absl.testing import absltest
from runfiles import runfiles

from inception.core import _fingerprint


def _pins(text: str) -> dict:
  return dict(re.findall(r"([A-Za-z0-9_.-]+)==([0-9][^'\s,]*)", text))


class FingerprintTest(absltest.TestCase):

  def test_sources_digest_follows_every_python_file_and_nothing_else(self):
    tree = self.create_tempdir().full_path
    package = os.path.join(tree, 'inception')
    os.makedirs(os.path.join(package, 'core', '__pycache__'))
    for name, text in (('__init__.py', ''), ('core/_a.py', 'A = 1\n'),
                       ('core/__pycache__/_a.cpython-311.pyc', 'x'), ('notes.txt', 'x')):
      with open(os.path.join(package, name), 'w') as f:
        f.write(text)
    digest = _fingerprint._sources_digest(package)
    copy = os.path.join(tree, 'copy')
    shutil.copytree(package, copy)
    with open(os.path.join(copy, 'notes.txt'), 'w') as f:
      f.write('changed')
    os.remove(os.path.join(copy, 'core', '__pycache__', '_a.cpython-311.pyc'))
    self.assertEqual(_fingerprint._sources_digest(copy), digest)
    with open(os.path.join(copy, 'core', '_a.py'), 'a') as f:
      f.write('# changed\n')
    self.assertNotEqual(_fingerprint._sources_digest(copy), digest)
    os.rename(os.path.join(copy, 'core', '_a.py'), os.path.join(copy, 'core', '_b.py'))
    self.assertNotEqual(_fingerprint._sources_digest(copy), digest)

  def test_difference_names_what_differs(self):
    here = _fingerprint.Fingerprint('s1', (('numpy', '2.4.6'), ('pillow', '12.3.0')))
    self.assertIsNone(_fingerprint.difference(here, here))
    there = _fingerprint.Fingerprint('s2', (('numpy', '2.4.6'), ('pillow', 'missing')))
    self.assertEqual(_fingerprint.difference(here, there),
                     'other inception sources; pillow missing (here 12.3.0)')
    self.assertNotEqual(str(here), str(there))

  def test_this_process_pins_requirements_txt_and_reports_installed_versions(self):
    files = runfiles.Create()
    with open(files.Rlocation('inception/requirements.txt')) as f:
      pins = _pins(f.read())
    pinned = _fingerprint.pinned_requirements()
    self.assertEqual(sorted(pinned), sorted(name.lower() for name in pins))
    fingerprint = _fingerprint.project_fingerprint(pinned)
    self.assertEqual(dict(fingerprint.packages)['pillow'], pins['pillow'])
    self.assertRegex(fingerprint.sources, '^[0-9a-f]{64}$')

  def test_setup_pys_dask_extra_pins_every_package_a_worker_is_compared_on(self):
    files = runfiles.Create()
    with open(files.Rlocation('inception/requirements.txt')) as f:
      requirements = _pins(f.read())
    with open(files.Rlocation('inception/setup.py')) as f:
      setup = _pins(f.read())
    self.assertEqual(setup, requirements)


if __name__ == '__main__':
  absltest.main()
