"""glibc's malloc thresholds for a Dask worker: buffers of a few MiB kept in the heap.

dask's nanny starts every worker with MALLOC_TRIM_THRESHOLD_=65536
(`distributed.nanny.pre-spawn-environ`), and setting any malloc threshold turns off
glibc's dynamic mmap threshold (mallopt(3)). Every allocation of 128 KiB or more then
is a fresh mmap whose pages the kernel zero-fills as they are touched, unmapped again
when freed. The converter reads each image with a 256 KiB buffer (os.read's), so each
tiny image cost a worker two mmaps, their page faults and two munmaps: 4x the system
time of a local worker, and half the tiny-file rate (bench/README.md, "Dask").

`keep_buffers_in_heap()` sets the thresholds glibc's dynamic rule itself reaches after
freeing such a buffer (mmap threshold at least the buffer; trim threshold twice it),
with a few MiB of headroom for re-encoded images, once per process. A worker then keeps
at most TRIM_THRESHOLD_BYTES free at the top of each heap instead of 64 KiB.
"""

import threading

MMAP_THRESHOLD_BYTES = 4 << 20
TRIM_THRESHOLD_BYTES = 2 * MMAP_THRESHOLD_BYTES  # glibc's dynamic rule: twice
_M_TRIM_THRESHOLD = -1  # <malloc.h>
_M_MMAP_THRESHOLD = -3

_lock = threading.Lock()
_result = []


def keep_buffers_in_heap() -> bool:
  """Sets the thresholds once per process; True if this C library took them.

  False where there is no glibc mallopt (macOS) or it refused: nothing changes then.
  """
  with _lock:
    if not _result:
      _result.append(_set_thresholds())
    return _result[0]


def _set_thresholds() -> bool:
  # Imported here: only a Dask worker sets the thresholds, and ctypes is a few ms of
  # every binary's start-up.
  import ctypes  # pylint: disable=g-import-not-at-top
  try:
    mallopt = ctypes.CDLL(None).mallopt
  except (AttributeError, OSError):
    return False
  mallopt.argtypes = (ctypes.c_int, ctypes.c_int)
  mallopt.restype = ctypes.c_int
  # mallopt returns 1 on success, 0 on error.
  return bool(mallopt(_M_MMAP_THRESHOLD, MMAP_THRESHOLD_BYTES) and
              mallopt(_M_TRIM_THRESHOLD, TRIM_THRESHOLD_BYTES))
