"""The Dask runner's cluster: Beam's DaskRunner on dask.distributed, here or elsewhere.

`--runner=DaskRunner` runs the Beam runner's pipeline (one element per shard) on a
dask.distributed cluster: the scheduler of
`--beam_pipeline_options=dask_client_address=HOST:PORT` (or dask_scheduler_file), or,
without one, a LocalCluster started for the run (one single-threaded worker process
per core or --num_threads, on 127.0.0.1, no dashboard) and closed after it.

Each shard is its own Dask partition (dask_npartitions = the number of shards unless
the options give a partitioning), so the scheduler hands out shards one at a time to
whichever worker is free and, when a worker dies, re-runs only the shards it held (up
to distributed.scheduler.allowed-failures times, then the job fails naming the task).

Workers must import this project (PYTHONPATH, or setup.py's package) and see the
input and output: this machine's paths only for a cluster on this machine (a
loopback scheduler address, or the LocalCluster); gs:// and other tf.io.gfile paths
anywhere. dask and distributed are imported only when a Dask run starts.
"""

import contextlib
import ipaddress
import json
import urllib.parse
from typing import Iterator, List, Optional, Sequence

from inception import core

DASK_RUNNER = 'apache_beam.runners.dask.dask_runner.DaskRunner'
_NAMES = ('dask', 'daskrunner', DASK_RUNNER.lower())
_LOCAL_HOST = '127.0.0.1'


def is_dask_runner(runner: str) -> bool:
  """True for 'DaskRunner' (any case), 'Dask' and Beam's dotted path to it."""
  return runner.strip().lower() in _NAMES


def runner():
  """A new Beam DaskRunner."""
  from apache_beam.runners.dask import dask_runner  # pylint: disable=g-import-not-at-top
  return dask_runner.DaskRunner()


def is_local_address(address: str) -> bool:
  """True for a scheduler on this machine: localhost or 127.0.0.0/8 (::1)."""
  host = urllib.parse.urlsplit(address if '://' in address else 'tcp://' + address
                               ).hostname or ''
  if host == 'localhost':
    return True
  try:
    return ipaddress.ip_address(host).is_loopback
  except ValueError:
    return False


def check_local_path(arguments: Sequence[str], path: str) -> None:
  """Accepts a path of this machine only for a cluster on this machine.

  Raises:
    ValueError: the options name a scheduler outside 127.0.0.0/8 and localhost.
  """
  address = _scheduler_address(_options(arguments))
  if address is not None and not is_local_address(address):
    raise ValueError(
        '%s: the Dask workers of %s may run on other machines and cannot see this '
        'machine\'s files; use gs:// (or other tf.io.gfile) input and output paths, '
        'or a scheduler on 127.0.0.1' % (path, address))


@contextlib.contextmanager
def cluster_arguments(arguments: Sequence[str], num_workers: int,
                      num_shards: int) -> Iterator[List[str]]:
  """Yields the pipeline options of a Dask run, with a scheduler to run on.

  The user's scheduler when the options name one, else a LocalCluster started here
  for the block (its workers are stopped at the end); dask_npartitions = num_shards
  unless the options give dask_npartitions or dask_partition_size.
  """
  options = _options(arguments)
  arguments = list(arguments)
  if options.npartitions is None and options.partition_size is None:
    arguments.append('--dask_npartitions=%d' % num_shards)
  if _scheduler_address(options) is not None:
    yield arguments
    return
  # pylint: disable=g-import-not-at-top
  import distributed
  with distributed.LocalCluster(n_workers=num_workers,
                                threads_per_worker=1, processes=True,
                                host=_LOCAL_HOST, dashboard_address=None,
                                # Its health endpoints, off the dashboard's port.
                                scheduler_kwargs={'dashboard_address': _LOCAL_HOST + ':0'}
                                ) as cluster:
    yield arguments + ['--dask_client_address=' + cluster.scheduler_address]


def close_client(result) -> None:
  """Closes the client DaskRunner opened for the run, which releases its futures.

  The scheduler then drops the shards not yet started (after a failure or Ctrl-C);
  those under way finish on their workers, atomically.
  """
  result.client.close()


def _options(arguments: Sequence[str]):
  """The arguments' DaskOptions, as Beam's DaskRunner reads them."""
  # pylint: disable=g-import-not-at-top
  from apache_beam.options.pipeline_options import PipelineOptions
  try:
    from apache_beam.runners.dask import dask_runner
  except ImportError as e:
    raise ValueError('--runner=DaskRunner needs dask and distributed (pip install -r '
                     'requirements.txt): %s' % e) from e
  return PipelineOptions(list(arguments)).view_as(dask_runner.DaskOptions)


def _scheduler_address(options) -> Optional[str]:
  """The scheduler the options name (directly or in a scheduler file), or None."""
  if options.address:
    return options.address
  if options.scheduler_file:
    return json.loads(core.read_text(options.scheduler_file))['address']
  return None
