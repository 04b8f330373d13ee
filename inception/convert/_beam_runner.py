"""The Beam runner: the converter's shard plan executed by an Apache Beam pipeline.

The same plan, the same per-shard function, the same bytes: each pending
`records.ShardTask` becomes one Beam element, and a Map step calls
`records.write_shard` on it, which writes the shard atomically exactly as the local
process pool does. Only where the work runs changes: Beam's local engine on this
machine (DirectRunner), or Dataflow, Flink, Spark for data sets one machine cannot
convert in time. (`--runner=DaskRunner` runs on inception.core's own Dask engine, not
here: see _dask_cluster.)

Everything goes through storage the workers can reach, so that remote runners work
the same as the local one: the launcher writes each task as a small pickle into a
staging directory under the output directory (`<output>/.beam-<split>-<token>/`; a
14 M-image plan would not fit in a job graph), the pipeline's elements are only their
paths, and each worker leaves `<shard>.result.json` (or `<shard>.error`, the pickled
exception, when the shard failed) next to its task. The launcher polls that directory
for progress and the manifest, collects the results, raises a failed shard's own
exception (a bad image names its path, as with the local engine) and removes the
staging directory.

DirectRunner is run as Beam's FnApiRunner, the engine Beam's DirectRunner itself uses
for batch pipelines, with `--direct_running_mode=multi_processing` and one worker per
core unless told otherwise. Beam 2.77's DirectRunner would first try to download its
Prism runner binary from GitHub, which cannot work offline and would run a different
engine; this module never does.

Workers import this module, apache_beam and the TensorFlow-free inception.records;
TensorFlow only where a path is remote (gs://...).
"""

import concurrent.futures
import contextlib
import json
import logging as python_logging
import os
import pickle
import threading
import uuid
from typing import Dict, Iterator, List, Optional, Sequence

from absl import logging
import apache_beam as beam
from apache_beam.metrics import Metrics

from inception import core
from inception import records

DIRECT_RUNNER_NAMES = ('direct', 'directrunner')
STAGING_PREFIX = '.beam-'
TASK_SUFFIX = '.task'
RESULT_SUFFIX = '.result.json'
ERROR_SUFFIX = '.error'
METRICS_NAMESPACE = 'inception'

_DIRECT_DEFAULTS = (
    ('direct_running_mode', 'multi_processing'),
    # Workers log warnings and errors only, not their gRPC set-up.
    ('default_sdk_harness_log_level', 'WARNING'),
)
_MAX_POLL_SECONDS = 5.0
_STAGING_THREADS = 16  # object stores take tens of ms per small write
# Re-logs, in this process, what the local workers already print to the shared stderr.
_WORKER_LOG_FORWARDER = 'apache_beam.runners.portability.local_job_service'


class BeamPipelineError(core.WorkerError):
  """The Beam pipeline failed other than by a shard's own exception."""


def is_direct_runner(runner: str) -> bool:
  """True for Beam's local runner (run here as the multi-process FnApiRunner)."""
  return runner.strip().lower() in DIRECT_RUNNER_NAMES


def pipeline_arguments(runner: str, pipeline_args: Sequence[str],
                       num_workers: int) -> List[str]:
  """The Beam command-line options for a run: the user's, plus DirectRunner defaults.

  Args:
    runner: the Beam runner's name, e.g. 'DirectRunner', 'DataflowRunner'.
    pipeline_args: Beam options as '--name=value' strings (project, region,
      temp_location, num_workers, setup_file, ...).
    num_workers: DirectRunner worker processes when the options do not give
      --direct_num_workers.

  Raises:
    ValueError: the options name a runner themselves.
  """
  arguments = [str(a) for a in pipeline_args]
  if 'runner' in _option_names(arguments):
    raise ValueError('give the Beam runner with --runner, not in the pipeline options '
                     '(%s)' % ' '.join(arguments))
  if is_direct_runner(runner):
    defaults = _DIRECT_DEFAULTS + (('direct_num_workers',
                                    str(num_workers)),)
    given = _option_names(arguments)
    arguments += ['--%s=%s' % (name, value) for name, value in defaults
                  if name not in given]
  return arguments


class BeamRunner(core.Runner):
  """The runner interface over an Apache Beam pipeline, for shard tasks.

  `run(tasks, on_result, on_progress)` writes every task's shard with
  `records.write_shard` on Beam's workers; `on_result` gets each shard's result as it
  is collected (also for the shards that completed before a failure), and
  `on_progress` its images and input bytes.

  Raises (from run):
    The first failed shard's own exception (e.g. records.ImageError naming the
    image) when one failed, else BeamPipelineError when the pipeline did; nothing is
    left under a failed shard's final name.
  """

  def __init__(self, runner: str, pipeline_args: Sequence[str],
               num_workers: int, poll_seconds: float = _MAX_POLL_SECONDS):
    """`runner` is Beam's name for it (DirectRunner, DataflowRunner, ...)."""
    self._runner = runner
    self._arguments = pipeline_arguments(runner, pipeline_args, num_workers)
    self._poll_seconds = min(poll_seconds, _MAX_POLL_SECONDS)

  def __str__(self) -> str:
    return 'the Beam runner %s (options: %s)' % (
        self._runner, ', '.join(sorted(_option_names(self._arguments))) or 'none')

  def run(self, tasks, on_result, on_progress=None) -> None:
    if not tasks:
      return
    output_directory = os.path.dirname(tasks[0].output_path)
    split = tasks[0].split
    _check_reachable_paths(self._runner, self._arguments,
                           [output_directory] + [e.source for e in tasks[0].entries[:1]])
    staging = _new_staging_directory(output_directory, split)
    collector = _ResultCollector(staging, on_result, on_progress)
    try:
      task_paths = _stage_tasks(staging, tasks)
      failure = None
      with _Poller(collector, self._poll_seconds):
        try:
          _run_pipeline(self._runner, self._arguments, task_paths,
                        '%s %s' % (output_directory, split))
        except Exception as e:  # pylint: disable=broad-except  (re-raised below)
          failure = e
      collector.collect()
      # Workers stopped mid-shard (by a failure, or killed and their shards re-run
      # elsewhere) cannot remove their temporary files; the pipeline is over.
      for directory in (output_directory, core.index_dir(output_directory)):
        core.remove_stale_temporaries(directory)
      if failure is not None:
        shard_error = _first_shard_error(staging)
        if shard_error is None:
          raise BeamPipelineError('%s: the Beam pipeline (%s) failed: %s' %
                                  (split, self._runner, _summary(failure))) from failure
        if isinstance(shard_error, records.ImageError):
          raise shard_error from None  # names the image, as the local engine does
        raise shard_error from failure
    finally:
      _remove_tree(staging)

# Worker side.


def write_staged_shard(task_path: str) -> int:
  """The pipeline's step: writes the shard of the task staged at `task_path`.

  Leaves `<shard>.result.json` next to the task, or `<shard>.error` (the pickled
  exception) before re-raising a failure. Returns the shard's index.
  """
  task = pickle.loads(core.read_bytes(task_path))
  stem = task_path[:-len(TASK_SUFFIX)]
  try:
    result = records.write_shard(task)
  except Exception as e:
    core.write_bytes(stem + ERROR_SUFFIX, pickle.dumps(core.portable_exception(e)))
    raise
  core.write_text(stem + RESULT_SUFFIX, json.dumps(result_to_json(result)))
  Metrics.counter(METRICS_NAMESPACE, 'shards_written').inc()
  Metrics.counter(METRICS_NAMESPACE, 'images_written').inc(result.num_records)
  Metrics.counter(METRICS_NAMESPACE, 'images_skipped').inc(len(result.skipped))
  Metrics.counter(METRICS_NAMESPACE, 'input_bytes').inc(result.num_input_bytes)
  return task.index


def result_to_json(result: records.ShardResult) -> Dict:
  record = result._asdict()
  record['skipped'] = [s._asdict() for s in result.skipped]
  return record


def result_from_json(record: Dict) -> records.ShardResult:
  fields = dict(record)
  fields['skipped'] = tuple(records.SkippedImage(**s) for s in record['skipped'])
  return records.ShardResult(**fields)


# Launcher side.


def _run_pipeline(runner: str, arguments: List[str], task_paths: Sequence[str],
                  description: str) -> None:
  """Builds and runs Create(task paths) | Reshuffle | Map(write_staged_shard).

  Raises:
    BeamPipelineError: the pipeline ended in a state other than DONE. Beam's own
      exceptions (e.g. a failed step) propagate.
  """
  # pylint: disable=g-import-not-at-top
  from apache_beam.options.pipeline_options import PipelineOptions
  from apache_beam.runners.runner import PipelineState
  pipeline_options = PipelineOptions(arguments)
  local = is_direct_runner(runner)
  if local:
    pipeline_runner = _local_runner(pipeline_options)
  else:
    pipeline_runner = runner.strip()
  pipeline = beam.Pipeline(runner=pipeline_runner, options=pipeline_options)
  _ = (pipeline
       | 'ShardTasks' >> beam.Create(list(task_paths))
       # Spreads the shards over the workers (Create alone is one bundle).
       | 'Distribute' >> beam.Reshuffle()
       | 'WriteShards' >> beam.Map(write_staged_shard))
  with _silenced(_WORKER_LOG_FORWARDER if local else None):
    result = pipeline.run()
    try:
      state = result.wait_until_finish()
    except KeyboardInterrupt:
      _cancel_quietly(result)
      raise
  if state is not None and state != PipelineState.DONE:
    raise BeamPipelineError('the Beam pipeline writing %s ended in state %s' %
                            (description, state))


def _local_runner(pipeline_options):
  """Beam's FnApiRunner, given the options as Beam's DirectRunner gives them.

  The workers of multi_processing mode receive the pipeline options through the
  provision info (so that --default_sdk_harness_log_level reaches them).
  """
  # pylint: disable=g-import-not-at-top
  from apache_beam.portability.api import beam_provision_api_pb2
  from apache_beam.runners.portability.fn_api_runner import fn_runner
  from apache_beam.runners.portability.portable_runner import JobServiceHandle
  encoded = JobServiceHandle.encode_pipeline_options(pipeline_options.get_all_options())
  return fn_runner.FnApiRunner(provision_info=fn_runner.ExtendedProvisionInfo(
      beam_provision_api_pb2.ProvisionInfo(pipeline_options=encoded)))


@contextlib.contextmanager
def _silenced(logger_name: Optional[str],
              level: int = python_logging.CRITICAL + 1) -> Iterator[None]:
  """Sets a Python logger's level for the block, by default off (None: no change)."""
  if logger_name is None:
    yield
    return
  logger = python_logging.getLogger(logger_name)
  previous = logger.level
  logger.setLevel(level)
  try:
    yield
  finally:
    logger.setLevel(previous)


def _cancel_quietly(result) -> None:
  try:
    result.cancel()
  except Exception as e:  # pylint: disable=broad-except  (not all runners cancel)
    logging.warning('Could not cancel the Beam pipeline: %s', e)


def _check_reachable_paths(runner: str, arguments: Sequence[str],
                           paths: Sequence[str]) -> None:
  """Refuses early the local paths that the runner's workers cannot see.

  Dataflow's never can.
  """
  del arguments  # (the runner's options: none of them changes the answer yet)
  local = [p for p in paths if isinstance(p, str) and not core.is_remote(p)]
  if not local:
    return
  if runner.strip().lower() in ('dataflow', 'dataflowrunner'):
    raise ValueError('%s: Dataflow workers cannot read or write this machine\'s files; '
                     'use gs:// input and output directories' % local[0])


def _new_staging_directory(output_directory: str, split: str) -> str:
  """A fresh staging directory; removes those an interrupted run left for `split`."""
  prefix = '%s%s-' % (STAGING_PREFIX, split)
  for name in core.listdir(output_directory):
    name = name.rstrip('/')
    if name.startswith(prefix):
      logging.info('Removing %s, left by an interrupted Beam run',
                   os.path.join(output_directory, name))
      _remove_tree(os.path.join(output_directory, name))
  staging = os.path.join(output_directory, prefix + uuid.uuid4().hex[:12])
  core.makedirs(staging)
  return staging


def _stage_tasks(staging: str, tasks: Sequence[records.ShardTask]) -> List[str]:
  """Writes each task as a pickle; returns their paths, in shard order."""
  paths = [os.path.join(staging, os.path.basename(t.output_path) + TASK_SUFFIX)
           for t in tasks]

  def stage(path_and_task) -> None:
    path, task = path_and_task
    core.write_bytes(path, pickle.dumps(task, protocol=pickle.HIGHEST_PROTOCOL))

  with concurrent.futures.ThreadPoolExecutor(_STAGING_THREADS) as pool:
    list(pool.map(stage, zip(paths, tasks)))  # list(): re-raises the first error
  return paths


def _first_shard_error(staging: str) -> Optional[BaseException]:
  """The exception of the failed shard with the lowest index, if any shard failed."""
  names = sorted(n for n in _list_names(staging) if n.endswith(ERROR_SUFFIX))
  if not names:
    return None
  try:
    return pickle.loads(core.read_bytes(os.path.join(staging, names[0])))
  except Exception as e:  # pylint: disable=broad-except
    return BeamPipelineError('%s failed (its error could not be read: %s)' %
                             (names[0][:-len(ERROR_SUFFIX)], e))


def _summary(error: BaseException) -> str:
  """The last line of a Beam error (its text is often a whole worker traceback)."""
  lines = [line.strip() for line in str(error).splitlines() if line.strip()]
  return lines[-1] if lines else type(error).__name__


def _list_names(directory: str) -> List[str]:
  return [n.rstrip('/') for n in core.listdir(directory)]


def _remove_tree(directory: str) -> None:
  try:
    core.remove_tree(directory)
  except Exception as e:  # pylint: disable=broad-except  (cleanup must not mask)
    logging.warning('Could not remove %s: %s', directory, e)


def _option_names(arguments: Sequence[str]) -> set:
  """The names of '--name=value' / '--name value' / '--flag' options."""
  return {a[2:].split('=', 1)[0] for a in arguments if a.startswith('--')}


class _ResultCollector(object):
  """Reads the shards' result files as they appear; reports each once."""

  def __init__(self, staging: str, on_result: core.ResultCallback,
               on_progress: Optional[core.ProgressCallback]):
    self._staging = staging
    self._on_result = on_result
    self._on_progress = on_progress
    self._results = {}
    self._lock = threading.Lock()

  def collect(self) -> None:
    with self._lock:
      for name in sorted(_list_names(self._staging)):
        if not name.endswith(RESULT_SUFFIX) or name in self._results:
          continue
        result = result_from_json(json.loads(
            core.read_bytes(os.path.join(self._staging, name)).decode('utf-8')))
        self._results[name] = result
        if self._on_progress is not None:
          self._on_progress(result.num_records + len(result.skipped),
                            result.num_input_bytes)
        self._on_result(result)


class _Poller(object):
  """Calls collector.collect() every `interval` seconds in a thread while entered."""

  def __init__(self, collector: _ResultCollector, interval: float):
    self._collector = collector
    self._interval = max(0.5, interval)
    self._stop = threading.Event()
    self._thread = threading.Thread(target=self._run, daemon=True)

  def __enter__(self) -> '_Poller':
    self._thread.start()
    return self

  def __exit__(self, *unused_exc_info) -> None:
    self._stop.set()
    self._thread.join()

  def _run(self) -> None:
    while not self._stop.wait(self._interval):
      try:
        self._collector.collect()
      except Exception as e:  # pylint: disable=broad-except  (retried next time)
        logging.warning('Reading Beam shard results: %s', e)
