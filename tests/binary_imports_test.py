"""What each binary imports before it runs: only what its work needs (issue 25).

A package's public names are imported on first use (core.exports_on_first_use) and
heavy libraries inside the functions that need them, so that a binary's start-up is
its own work's imports: a local conversion imports no downloader (urllib3), no Hugging
Face reader (pyarrow), no checker, no TensorFlow. Each binary is imported by a fresh
interpreter, as `python -m` starts it, and the third-party modules it loaded are
compared with what it must not load.
"""

import json
import os
import subprocess
import sys

from absl.testing import absltest

# No binary imports these before it runs: TensorFlow, the downloader's and the stores'
# libraries, Hugging Face's parquet reader, importlib.metadata (Dask's fingerprint),
# the terminal's bars, Beam and Dask.
NEVER = ('tensorflow', 'urllib3', 'fsspec', 'pyarrow', 'importlib.metadata', 'tqdm',
         'apache_beam', 'dask', 'distributed')
# Nor these where the binary's work does not need them at start: numpy and Pillow
# (the demo's generators need both).
CONVERTERS = NEVER + ('numpy', 'PIL')
BINARIES = {
    'build_image_data': CONVERTERS + ('inception.acquire.', 'inception.check.',
                                      'inception.demo.', 'inception.driver.'),
    'build_imagenet_data': CONVERTERS + ('inception.acquire.', 'inception.check.',
                                         'inception.annotations.', 'inception.demo.',
                                         'inception.driver.', 'inception.imagenet.'),
    'check_tfrecords': CONVERTERS + ('inception.acquire.', 'inception.convert.',
                                     'inception.check.'),
    'download_and_preprocess_flowers': NEVER,
    'download_and_preprocess_imagenet': NEVER + ('inception.check.',),
    'download_imagenet': CONVERTERS + ('inception.check.',),
    'make_mini_imagenet': NEVER,
    'preprocess_imagenet_validation_data': CONVERTERS,
    'process_bounding_boxes': CONVERTERS,
}
# A local pool's shard worker: python -m inception.core._pool_worker, then the work's
# module (records.write_shard).
SHARD_WORKER = ('inception.core._pool_worker', 'inception.records._shard_tasks')


def _loaded(modules):
  """The modules a fresh interpreter holds after importing `modules`."""
  env = dict(os.environ, PYTHONPATH=os.pathsep.join(p for p in sys.path if p))
  output = subprocess.run(
      [sys.executable, '-c', 'import json, sys; import %s; '
       'print(json.dumps(sorted(sys.modules)))' % ', '.join(modules)],
      env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, check=False)
  if output.returncode:
    raise AssertionError(output.stderr)
  return json.loads(output.stdout)


def _unwanted(loaded, forbidden):
  """The modules of `loaded` that are, or are under, one of `forbidden` (a name
  ending in '.' forbids only what is under it)."""
  return sorted(m for m in loaded for f in forbidden
                if m == f.rstrip('.') and not f.endswith('.') or
                m.startswith(f if f.endswith('.') else f + '.'))


class BinaryImportsTest(absltest.TestCase):

  def test_every_binary_is_listed(self):
    directory = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    binaries = sorted(f[:-3] for f in os.listdir(os.path.join(directory, 'inception'))
                      if f.endswith('.py') and f != '__init__.py')
    self.assertEqual(binaries, sorted(BINARIES))

  def test_a_binary_imports_only_what_its_work_needs(self):
    for binary, forbidden in BINARIES.items():
      with self.subTest(binary):
        loaded = _loaded(['inception.' + binary])
        self.assertIn('inception.cli', loaded)
        self.assertEqual(_unwanted(loaded, forbidden), [])

  def test_a_shard_worker_imports_only_what_writing_a_shard_needs(self):
    loaded = _loaded(SHARD_WORKER)
    self.assertEqual(_unwanted(loaded, CONVERTERS + ('absl.flags', 'inception.cli',
                                                     'inception.convert.')), [])

  def test_the_check_finds_what_is_unwanted(self):
    self.assertEqual(_unwanted(['numpy', 'numpy.core', 'numpyx', 'inception.check',
                                'inception.check._x'], ('numpy', 'inception.check.')),
                     ['inception.check._x', 'numpy', 'numpy.core'])


if __name__ == '__main__':
  absltest.main()
