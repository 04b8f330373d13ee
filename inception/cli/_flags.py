"""The flags several binaries share, each under one name, and DATA_DIR-style arguments.

One idea has one flag name in every binary: the original inception names where the
original had the idea (--train_directory, --validation_directory, --output_directory,
--labels_file, --imagenet_metadata_file, --num_threads, --train_shards, ...). The names
a binary of this project used before are kept as aliases (absl `DEFINE_alias`), so no
command stops working. Each `define_*` function takes the FlagValues to define on (the
binaries' flags.FLAGS, or a test's own), and nothing is defined on import.

A few flags may also be given as positional arguments, as in the original scripts
(`check_tfrecords DATA_DIR`, `preprocess_imagenet_validation_data VALIDATION_DIR
[LABELS_FILE]`): `arguments_or_flags` applies the same rules to all of them.
"""

import os
from typing import Any, List, Optional, Sequence, Tuple

from absl import app
from absl import flags

from inception import core
from inception import label_files

# The flags defined here belong to the binary calling define_*: its --helpshort lists
# them.
flags.disclaim_key_flags()

# The value of a label-file flag that names the file shipped in data/.
SHIPPED = 'default'


def define_aliases(name: str, aliases: Sequence[str],
                   flag_values: flags.FlagValues) -> None:
  """Defines each of `aliases` as another name of the flag `name`."""
  for alias in aliases:
    flags.DEFINE_alias(alias, name, flag_values=flag_values)


def define_data_dir(purpose: str, flag_values: flags.FlagValues = flags.FLAGS) -> None:
  """--data_dir (alias --directory), which may also be the only argument."""
  flags.DEFINE_string('data_dir', None,
                      purpose + ' May also be given as the only argument.',
                      flag_values=flag_values)
  define_aliases('data_dir', ['directory'], flag_values)


def define_validation_directory(default: Optional[str], purpose: str,
                                flag_values: flags.FlagValues = flags.FLAGS) -> None:
  """--validation_directory (alias --validation_dir): the validation images."""
  flags.DEFINE_string('validation_directory', default, purpose, flag_values=flag_values)
  define_aliases('validation_directory', ['validation_dir'], flag_values)


def define_output_directory(default: Optional[str], purpose: str,
                            flag_values: flags.FlagValues = flags.FLAGS) -> None:
  """--output_directory (alias --output_dir): where the binary writes."""
  flags.DEFINE_string('output_directory', default, purpose, flag_values=flag_values)
  define_aliases('output_directory', ['output_dir'], flag_values)


def define_shard_flags(train_shards: Optional[int], validation_shards: Optional[int],
                       flag_values: flags.FlagValues = flags.FLAGS,
                       unset: str = '') -> None:
  """--train_shards and --validation_shards; `unset` says what None stands for."""
  for split, default in (('train', train_shards), ('validation', validation_shards)):
    flags.DEFINE_integer(
        split + '_shards', default,
        'Number of shards in %s TFRecord files.%s' % (split, unset and ' ' + unset),
        lower_bound=1, flag_values=flag_values)


def _define_label_file(name: str, aliases: Sequence[str], what: str, unset: str,
                       flag_values: flags.FlagValues) -> None:
  flags.DEFINE_string(
      name, None, '%s "%s": the one shipped in data/. Unset: %s' % (what, SHIPPED, unset),
      flag_values=flag_values)
  define_aliases(name, aliases, flag_values)


def define_labels_file(unset: str, flag_values: flags.FlagValues = flags.FLAGS) -> None:
  """--labels_file (alias --synsets_file); `unset` says what leaving it out means."""
  _define_label_file(
      'labels_file', ['synsets_file'],
      'The synsets file: one wnid (or class directory name) per line, label = 1 + '
      'line index.', unset, flag_values)


def define_imagenet_metadata_file(unset: str,
                                  flag_values: flags.FlagValues = flags.FLAGS) -> None:
  """--imagenet_metadata_file (alias --metadata_file): wnid<TAB>text lines."""
  _define_label_file('imagenet_metadata_file', ['metadata_file'],
                     'wnid<TAB>human-readable text, one class per line.', unset,
                     flag_values)


def define_validation_labels_file(unset: str,
                                  flag_values: flags.FlagValues = flags.FLAGS) -> None:
  """--validation_labels_file: line i is the synset of ILSVRC2012_val_%08d.JPEG."""
  _define_label_file('validation_labels_file', [],
                     'Validation label file: line i is the synset of '
                     'ILSVRC2012_val_<i>.JPEG.', unset, flag_values)


def define_worker_flags(flag_values: flags.FlagValues = flags.FLAGS) -> None:
  """Where a binary's tasks run: --num_threads (alias --num_workers), the original's
  name for the local parallelism, and --dask_address, --dask_no_workers_timeout."""
  flags.DEFINE_integer(
      'num_threads', None,
      'Worker processes working in parallel (the name is the original\'s; they are '
      'processes). Default: the number of cores. The output is the same for any '
      'value.', lower_bound=1, flag_values=flag_values)
  define_aliases('num_threads', ['num_workers'], flag_values)
  flags.DEFINE_string(
      'dask_address', '',
      'Run the tasks (one per shard) on the dask.distributed cluster of this scheduler, '
      'tcp://HOST:PORT or tls://HOST:PORT (TLS files from dask\'s configuration), '
      'instead of local processes. Its workers must run the same checkout and '
      'requirements (tools/setup.sh; checked) and see the input and output: local '
      'paths only with a scheduler on 127.0.0.1.', flag_values=flag_values)
  flags.DEFINE_float(
      'dask_no_workers_timeout', core.DEFAULT_NO_WORKERS_TIMEOUT,
      'With --dask_address: fail when the cluster has had no worker for this many '
      'seconds, instead of waiting for one.', lower_bound=0.001,
      flag_values=flag_values)


def workers_from_flags(values: flags.FlagValues = flags.FLAGS) -> core.Workers:
  """The workers the flags of define_worker_flags name (a Dask cluster or none)."""
  dask = None
  if values.dask_address.strip():
    dask = core.DaskCluster(values.dask_address.strip(), values.dask_no_workers_timeout)
  return core.Workers.from_flag(values.num_threads, dask)


def label_file_from_flag(value: Optional[str], basename: str,
                         unset_is_shipped: bool) -> Optional[str]:
  """The file a label-file flag names.

  SHIPPED names data/<basename> (from the runfiles); so does an unset flag (None) when
  `unset_is_shipped`, else it gives None, as does '' (no file); any other value is a
  path the user typed, made absolute.
  """
  if value == SHIPPED or (value is None and unset_is_shipped):
    return label_files.data_file_path(basename)
  return core.absolute_user_path(value)


def label_files_from_flags(values: flags.FlagValues = flags.FLAGS
                           ) -> label_files.LabelFiles:
  """The label-file flags a binary defines, as the run's LabelFiles: a path typed is
  made absolute; unset, SHIPPED or not defined by the binary: the file in data/."""

  def given(name: str, basename: str) -> Optional[str]:
    if name not in values:
      return None
    return label_file_from_flag(values[name].value, basename, unset_is_shipped=False)

  return label_files.LabelFiles(
      synsets=given('labels_file', label_files.SYNSETS_FILE),
      metadata=given('imagenet_metadata_file', label_files.METADATA_FILE),
      validation_labels=given('validation_labels_file',
                              label_files.VALIDATION_LABELS_FILE))


def _metavar(name: str) -> str:
  return name.upper()


def arguments_or_flags(argv: Sequence[str], names: Sequence[str],
                       flag_values: flags.FlagValues = flags.FLAGS,
                       required: Sequence[str] = ()) -> List[Any]:
  """The values of the flags `names`, each also accepted as a positional argument.

  argv[1:] fill `names` in order. A flag given both ways is a usage error, except a
  list-valued one (--xml_source), to which the argument is added. More arguments than
  names, or a name of `required` given neither way, is a usage error too.

  Raises:
    app.UsageError: as above; `run` prints it in one line and exits 1.
  """
  arguments = list(argv[1:])
  if len(arguments) > len(names):
    raise app.UsageError('too many arguments: %s (expected: %s)' % (
        ' '.join(arguments), ' '.join('[%s]' % _metavar(n) for n in names) or 'none'))
  values = []
  for position, name in enumerate(names):
    value = flag_values[name].value
    if position < len(arguments):
      argument = arguments[position]
      if isinstance(value, list):
        value = value + [argument]
      elif value:
        raise app.UsageError('%s given twice: as the argument %s and as --%s=%s' % (
            _metavar(name), argument, name, value))
      else:
        value = argument
    if name in required and not value:
      raise app.UsageError('give %s (as an argument or as --%s)' % (_metavar(name),
                                                                      name))
    values.append(value)
  return values


def data_dir_to_write(argv: Sequence[str],
                      flag_values: flags.FlagValues = flags.FLAGS) -> str:
  """DATA_DIR (the only argument, or --data_dir) made absolute, for a binary that
  writes into it: a directory, or a path where one can be made.

  Raises:
    app.UsageError: DATA_DIR given neither way or twice, more arguments, or a DATA_DIR
      that is a file (or under one).
  """
  data_dir, = arguments_or_flags(argv, ['data_dir'], flag_values, required=['data_dir'])
  data_dir = core.absolute_user_path(data_dir)
  error = directory_path_error('DATA_DIR', data_dir)
  if error:
    raise app.UsageError(error)
  return data_dir


def directory_path_error(what: str, path: str) -> Optional[str]:
  """Why `path` (local, absolute) cannot be a directory, or None: it, or the nearest of
  its parents that exists, is not one. `what` names the path in the message."""
  if core.is_remote(path):
    return None
  existing = path
  while not os.path.lexists(existing) and os.path.dirname(existing) != existing:
    existing = os.path.dirname(existing)
  if os.path.isdir(existing):
    return None
  where = '%s is %s' % (existing, non_directory_kind(existing))
  if existing != path:
    where = '%s: %s' % (path, where)
  return '%s %s; expected a directory (or a path to create)' % (what, where)


def non_directory_kind(path: str) -> str:
  """What a path that exists but is no directory is, for a message."""
  return 'a file' if os.path.isfile(path) else 'not a directory'


def define_driver_flags(check_modes: Sequence[str], steps: Sequence[str],
                        flag_values: flags.FlagValues = flags.FLAGS
                        ) -> Tuple[flags.FlagHolder, flags.FlagHolder]:
  """A driver's --check (the final check's mode) and --redo (steps to run again)."""
  check = flags.DEFINE_enum(
      'check', check_modes[0], list(check_modes),
      'Final check of the output: quick decodes a sample of the images, full all.',
      flag_values=flag_values)
  redo = flags.DEFINE_list(
      'redo', [], 'Steps to run again even if finished (and every step after them): '
      + ', '.join(steps) + '.', flag_values=flag_values)
  return check, redo
