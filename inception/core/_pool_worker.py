"""The entry point of a local pool worker: `python -m inception.core._pool_worker`."""

import sys

from inception.core import _process_pool

if __name__ == '__main__':
  sys.exit(_process_pool.worker_main())
