"""A Dask worker's malloc thresholds: image-sized read buffers stop costing page faults.

Each case runs in a fresh interpreter started as dask's nanny starts a worker
(MALLOC_TRIM_THRESHOLD_=65536, which turns off glibc's dynamic mmap threshold), and
counts the minor page faults of 1,000 reads of a 3 KB file through a 256 KiB
os.read buffer, as the converter reads a tiny image, in a thread as a Dask task runs.
"""

import os
import subprocess
import sys

from absl.testing import absltest

_READS = 1000
_PROGRAM = r'''
import os, resource, sys, threading
from inception.core import _malloc_thresholds

def faults(path):
  before = resource.getrusage(resource.RUSAGE_SELF).ru_minflt
  for _ in range(%d):
    fd = os.open(path, os.O_RDONLY)
    while os.read(fd, 1 << 18):
      pass
    os.close(fd)
  return resource.getrusage(resource.RUSAGE_SELF).ru_minflt - before

def task():
  before = faults(sys.argv[1])
  kept = _malloc_thresholds.keep_buffers_in_heap()
  print(before, kept, _malloc_thresholds.keep_buffers_in_heap(), faults(sys.argv[1]))

thread = threading.Thread(target=task)
thread.start()
thread.join()
''' % _READS


class MallocThresholdsTest(absltest.TestCase):

  def test_reads_stop_faulting_in_pages_once_the_thresholds_are_set(self):
    if not sys.platform.startswith('linux'):
      self.skipTest('glibc only')
    path = self.create_tempfile(content=os.urandom(3000)).full_path
    environment = dict(os.environ, MALLOC_TRIM_THRESHOLD_='65536',
                       PYTHONPATH=os.pathsep.join(p for p in sys.path if p))
    output = subprocess.run([sys.executable, '-c', _PROGRAM, path], env=environment,
                            capture_output=True, text=True, check=True).stdout.split()
    before, kept, again, after = output
    self.assertEqual((kept, again), ('True', 'True'))
    self.assertGreaterEqual(int(before), 2 * _READS)  # a fresh mmap per read
    self.assertLess(int(after), _READS // 10)


if __name__ == '__main__':
  absltest.main()
