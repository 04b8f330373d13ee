"""Beam's Dask flags, kept: `--runner=DaskRunner` runs on inception.core's Dask engine.

Before the direct engine (core.DaskRunner), `--runner=DaskRunner
--beam_pipeline_options=dask_client_address=HOST:PORT` ran Beam's DaskRunner. The same
flags now name the cluster of the direct engine (`--dask_address`): the scheduler of
`dask_client_address` (or of the JSON `dask_scheduler_file`), or, with neither, a
LocalCluster of --num_threads single-threaded worker processes on 127.0.0.1 started
for the run. One task per shard always, so Beam's partitioning options
(`dask_npartitions`, ...) have no use and are ignored, with a warning.
"""

import json
from typing import Optional, Sequence

from absl import logging

from inception import core

DASK_RUNNER = 'apache_beam.runners.dask.dask_runner.DaskRunner'
_NAMES = ('dask', 'daskrunner', DASK_RUNNER.lower())
_ADDRESS_OPTION = 'dask_client_address'
_SCHEDULER_FILE_OPTION = 'dask_scheduler_file'


def is_dask_runner(runner: str) -> bool:
  """True for 'DaskRunner' (any case), 'Dask' and Beam's dotted path to it."""
  return runner.strip().lower() in _NAMES


def dask_cluster_from_beam_options(
    arguments: Sequence[str], given: Optional[core.DaskCluster] = None,
    no_workers_timeout: float = core.DEFAULT_NO_WORKERS_TIMEOUT) -> core.DaskCluster:
  """The cluster that `--runner=DaskRunner` with these Beam options names.

  Args:
    arguments: Beam options as '--name=value' strings.
    given: the cluster of --dask_address, if any: the options may name the same one.
    no_workers_timeout: the cluster's, when `given` is None.

  Raises:
    ValueError: the options name another scheduler than `given`, or a scheduler file
      without an address.
  """
  values = {}
  for argument in arguments:
    name, _, value = argument.lstrip('-').partition('=')
    values[name] = value
  address = values.pop(_ADDRESS_OPTION, None)
  scheduler_file = values.pop(_SCHEDULER_FILE_OPTION, None)
  if not address and scheduler_file:
    try:
      address = json.loads(core.read_text(scheduler_file))['address']
    except (KeyError, TypeError, ValueError) as e:
      raise ValueError('%s: not a Dask scheduler file (no "address"): %s' %
                       (scheduler_file, e)) from None
  if values:
    logging.warning('--runner=DaskRunner runs one task per shard on the Dask engine; '
                    'ignoring the Beam options %s', ', '.join(sorted(values)))
  if given is not None:
    if address and core.DaskCluster(address).address != given.address:
      raise ValueError('--dask_address=%s and --beam_pipeline_options=%s=%s name two '
                       'schedulers: give one' % (given.address, _ADDRESS_OPTION, address))
    return given
  return core.DaskCluster(address or None, no_workers_timeout)
