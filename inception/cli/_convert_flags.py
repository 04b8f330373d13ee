"""Command-line flags shared by the converter binaries, and the options they make.

`define_directory_flags()` and `define_converter_flags()` define them (call each once,
at the top of a binary); nothing is defined on import, so library users and the
pipeline driver can import this module without their own flags clashing.
"""

import dataclasses
from typing import Any, Dict, Tuple

from absl import flags

from inception import convert
from inception import core
from inception import label_files
from inception import records
from inception.cli import _flags

# The flags defined here belong to the binary calling define_*: its --helpshort lists
# them.
flags.disclaim_key_flags()

# Beam options naming files of this machine: made absolute against the directory the
# user ran `bazel run` from (Bazel runs binaries from their runfiles tree).
_BEAM_LOCAL_FILE_OPTIONS = ('setup_file', 'requirements_file', 'extra_package')


def define_directory_flags(train_shards: int, validation_shards: int,
                           flag_values: flags.FlagValues = flags.FLAGS) -> None:
  """Defines the original's --train_directory, --validation_directory,
  --output_directory, --train_shards and --validation_shards."""
  flags.DEFINE_string(
      'train_directory', '/tmp/', 'Training data directory (empty: no train split).',
      flag_values=flag_values)
  _flags.define_validation_directory(
      '/tmp/', 'Validation data directory (empty: no validation split).', flag_values)
  _flags.define_output_directory(
      '/tmp/', 'Output data directory (local, or s3://, gs://, az://: '
      'docs/OBJECT_STORAGE.md).', flag_values)
  _flags.define_shard_flags(train_shards, validation_shards, flag_values)


def define_converter_flags(flag_values: flags.FlagValues = flags.FLAGS) -> None:
  """Defines --num_threads, --dask_address, --validate_images, --skip_bad_images,
  --overwrite, ..."""
  _flags.define_worker_flags(flag_values)
  flags.DEFINE_enum(
      'validate_images', records.DEFAULT_VALIDATE_IMAGES, list(records.VALIDATE_IMAGES),
      'How much of each image is checked (per-image cost on one core, 84 KB photos; '
      'bench/README.md). none: only the header, for the size (~0.03 ms); structure: '
      'also walk each JPEG\'s markers and scan data, refusing truncated and garbled '
      'files (~0.06 ms more; keeps the converter near the speed of copying); full: '
      'also decode every image with TensorFlow (~1.3 ms more, and ~500 MiB per worker).',
      flag_values=flag_values)
  flags.DEFINE_boolean(
      'skip_bad_images', False,
      'Leave corrupt or unreadable images out and list them in '
      '<output>/bad_images-<split>.txt, instead of stopping at the first one.',
      flag_values=flag_values)
  flags.DEFINE_boolean(
      'overwrite', False,
      'Rewrite every shard, even complete ones from an earlier run of the same plan, '
      'and delete shards of another plan.',
      flag_values=flag_values)
  flags.DEFINE_boolean(
      'write_index', False,
      'Also write <output>/index/<shard>.idx, the per-record "offset size" index that '
      'NVIDIA DALI and the tfrecord package read.',
      flag_values=flag_values)
  flags.DEFINE_string(
      'runner', convert.LOCAL_RUNNER,
      'Where the shards are written. local: worker processes of this machine, or the '
      'cluster of --dask_address. DaskRunner: a dask.distributed cluster, as '
      '--dask_address does (the scheduler of --beam_pipeline_options='
      'dask_client_address=HOST:PORT, or a local cluster of --num_threads workers). Any '
      'other value is an Apache Beam runner running the same shard plan with the same '
      'record writer (byte-identical shards): DirectRunner (this machine, '
      'multi-process), DataflowRunner, ...',
      flag_values=flag_values)
  flags.DEFINE_string(
      'beam_pipeline_options', '',
      'Comma-separated Beam pipeline options for a Beam --runner, without the '
      'leading "--", e.g. "project=P,region=R,temp_location=gs://b/tmp,'
      'num_workers=50,setup_file=./setup.py". DirectRunner defaults: '
      'direct_running_mode=multi_processing, direct_num_workers=--num_threads.',
      flag_values=flag_values)


def parse_beam_pipeline_options(text: str) -> Tuple[str, ...]:
  """'project=P,region=R,save_main_session' → ('--project=P', '--region=R', ...).

  Options that name a local file (setup_file, requirements_file, ...) are made
  absolute against the user's working directory.
  """
  arguments = []
  for item in text.split(','):
    item = item.strip().lstrip('-')
    if not item:
      continue
    name, has_value, value = item.partition('=')
    if not name:
      raise ValueError('--beam_pipeline_options: %r has no option name' % item)
    if has_value and name in _BEAM_LOCAL_FILE_OPTIONS and value:
      value = core.absolute_user_path(value)
    arguments.append('--%s=%s' % (name, value) if has_value else '--' + name)
  return tuple(arguments)


def options_from_flags(values: flags.FlagValues = flags.FLAGS) -> convert.ConvertOptions:
  """The converter's options; `--runner=DaskRunner` (and its Beam options) becomes the
  local runner on the Dask cluster it names, as --dask_address gives one."""
  workers = _flags.workers_from_flags(values)
  runner = values.runner.strip() or convert.LOCAL_RUNNER
  beam_pipeline_args = parse_beam_pipeline_options(values.beam_pipeline_options)
  if convert.is_dask_runner(runner):
    workers = dataclasses.replace(workers, dask=convert.dask_cluster_from_beam_options(
        beam_pipeline_args, workers.dask, values.dask_no_workers_timeout))
    runner, beam_pipeline_args = convert.LOCAL_RUNNER, ()
  return convert.ConvertOptions(
      workers=workers,
      validate_images=values.validate_images,
      skip_bad_images=values.skip_bad_images,
      overwrite=values.overwrite,
      write_index=values.write_index,
      runner=runner,
      beam_pipeline_args=beam_pipeline_args)


def conversion_arguments(values: flags.FlagValues = flags.FLAGS) -> Dict[str, Any]:
  """The arguments both converters take, from the flags, named as convert_generic
  names them (directories, output_directory, labels_file, shards, options); paths
  absolute."""
  return dict(
      directories=convert.SplitPaths(
          train=core.absolute_user_path(values.train_directory),
          validation=core.absolute_user_path(values.validation_directory)),
      output_directory=core.absolute_user_path(values.output_directory),
      labels_file=_flags.label_file_from_flag(
          values.labels_file, label_files.SYNSETS_FILE, unset_is_shipped=False),
      shards=convert.ShardCounts(train=values.train_shards,
                                 validation=values.validation_shards),
      options=options_from_flags(values))
