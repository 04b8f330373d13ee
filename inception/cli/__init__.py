"""The binaries' command line: shared flags, DATA_DIR arguments, `run(main)`.

Importing this package quiets TensorFlow's C++ start-up logs (see _tensorflow_logs),
so every binary imports it first, before any import that may load TensorFlow.
"""

import os
import typing

from inception import core

from inception.cli import _tensorflow_logs

_tensorflow_logs.quiet_tensorflow(os.environ)

if typing.TYPE_CHECKING:
  from inception.cli._convert_flags import conversion_arguments
  from inception.cli._convert_flags import define_converter_flags
  from inception.cli._convert_flags import define_directory_flags
  from inception.cli._convert_flags import options_from_flags
  from inception.cli._download_flags import can_prompt
  from inception.cli._download_flags import define_download_flags
  from inception.cli._download_flags import download_settings_from_flags
  from inception.cli._download_flags import define_negation
  from inception.cli._download_flags import define_source_format
  from inception.cli._download_flags import define_test_shards
  from inception.cli._download_flags import netrc_file_from_flags
  from inception.cli._download_flags import source_from_flags
  from inception.cli._flags import SHIPPED
  from inception.cli._flags import arguments_or_flags
  from inception.cli._flags import data_dir_to_write
  from inception.cli._flags import define_aliases
  from inception.cli._flags import define_data_dir
  from inception.cli._flags import define_driver_flags
  from inception.cli._flags import define_imagenet_metadata_file
  from inception.cli._flags import define_labels_file
  from inception.cli._flags import define_output_directory
  from inception.cli._flags import define_shard_flags
  from inception.cli._flags import define_validation_directory
  from inception.cli._flags import define_validation_labels_file
  from inception.cli._flags import define_worker_flags
  from inception.cli._flags import label_file_from_flag
  from inception.cli._flags import label_files_from_flags
  from inception.cli._flags import workers_from_flags
  from inception.cli._main import error_line
  from inception.cli._main import guarded
  from inception.cli._main import hold_directory
  from inception.cli._main import print_summary_line
  from inception.cli._main import run
  from inception.cli._main import user_error_types
  from inception.cli._tensorflow_logs import QUIET_ENVIRONMENT
  from inception.cli._tensorflow_logs import quiet_tensorflow

__all__ = [
    'QUIET_ENVIRONMENT',
    'SHIPPED',
    'arguments_or_flags',
    'can_prompt',
    'conversion_arguments',
    'data_dir_to_write',
    'define_aliases',
    'define_converter_flags',
    'define_data_dir',
    'define_directory_flags',
    'define_download_flags',
    'define_driver_flags',
    'define_imagenet_metadata_file',
    'define_labels_file',
    'define_negation',
    'define_output_directory',
    'define_shard_flags',
    'define_source_format',
    'define_test_shards',
    'define_validation_directory',
    'define_validation_labels_file',
    'define_worker_flags',
    'download_settings_from_flags',
    'error_line',
    'guarded',
    'hold_directory',
    'label_file_from_flag',
    'label_files_from_flags',
    'netrc_file_from_flags',
    'options_from_flags',
    'print_summary_line',
    'quiet_tensorflow',
    'run',
    'source_from_flags',
    'user_error_types',
    'workers_from_flags',
]

__getattr__, __dir__ = core.exports_on_first_use(__name__, __file__)
