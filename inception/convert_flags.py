"""Command-line flags shared by the converter binaries, and the options they make.

`define_flags()` defines them (call it once, at the top of a binary); nothing is
defined on import, so library users and the pipeline driver can import this module
without their own flags clashing.
"""

from absl import flags

from inception import convert


def define_flags() -> None:
  """Defines --num_threads, --validate_images, --skip_bad_images, --overwrite, ..."""
  flags.DEFINE_integer(
      'num_threads', None,
      'Worker processes writing shards in parallel (the name is the original\'s; they '
      'are processes). Default: the number of cores. The shards are the same for any '
      'value.', lower_bound=1)
  flags.DEFINE_enum(
      'validate_images', 'none', ['none', 'full'],
      'none: read each JPEG\'s size from its header; full: also decode every image '
      'with TensorFlow and fail on any that does not decode.')
  flags.DEFINE_boolean(
      'skip_bad_images', False,
      'Leave corrupt or unreadable images out and list them in '
      '<output>/bad_images-<split>.txt, instead of stopping at the first one.')
  flags.DEFINE_boolean(
      'overwrite', False,
      'Rewrite every shard, even complete ones from an earlier run of the same plan, '
      'and delete shards of another plan.')
  flags.DEFINE_boolean(
      'write_index', False,
      'Also write <output>/index/<shard>.idx, the per-record "offset size" index that '
      'NVIDIA DALI and the tfrecord package read.')


def options_from_flags(values: flags.FlagValues = flags.FLAGS) -> convert.ConvertOptions:
  return convert.ConvertOptions(
      num_workers=values.num_threads,
      validate_images=values.validate_images,
      skip_bad_images=values.skip_bad_images,
      overwrite=values.overwrite,
      write_index=values.write_index)
