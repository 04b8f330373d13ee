"""The ground floor every other package stands on (docs/ARCHITECTURE.md).

- File access for local and remote paths (s3://, gs://, az://, ... through fsspec,
  imported only when such a path appears); no TensorFlow, so the workers stay small.
- Atomic output: a temporary name renamed when complete, or on an object store an
  upload committed last (`write_text`, `atomic_output`, `PendingOutput`);
  a full disk's error names the file and its directory (`naming_write_errors`).
- `Progress`: progress with rate and ETA, as log lines or, after
  `show_progress_bars()`, as a bar on a terminal (`close_progress_bars()`).
- `absolute_user_path`: the user's paths, relative to where the command was typed.
- The names beside the shards (`manifest_path`, `index_path`, `lock_path`, ...),
  defined once; a driver's DATA_DIR names are inception.driver's.
- `hold_directory`: the run lock of a directory (fcntl.flock; exclusive for a run that
  writes, shared for the checker; released by the kernel when the process ends).
- The runner interface (`Runner.run(tasks, on_result, on_progress)`), with
  `InProcessRunner`, `ProcessPoolRunner` and `DaskRunner` (a dask.distributed
  cluster, `DaskCluster`: one task per task, fingerprints compared first), and
  `Workers`: a step's workers (`default_num_workers` its one default; `dask` its
  cluster), built once at the edge and passed whole.
- `exports_on_first_use`: every package's public names imported from their modules
  when first used (PEP 562), so that a binary imports only what it runs.
"""

import typing

from inception.core._lazy_exports import exports_on_first_use

if typing.TYPE_CHECKING:
  from inception.core._atomic_files import PendingOutput
  from inception.core._atomic_files import atomic_output
  from inception.core._atomic_files import is_temporary_path
  from inception.core._atomic_files import naming_write_errors
  from inception.core._atomic_files import remove_stale_temporaries
  from inception.core._atomic_files import temporary_path
  from inception.core._atomic_files import write_bytes
  from inception.core._atomic_files import write_text
  from inception.core._dask_runner import DEFAULT_NO_WORKERS_TIMEOUT
  from inception.core._dask_runner import DaskCluster
  from inception.core._dask_runner import DaskRunner
  from inception.core._dask_runner import FingerprintMismatch
  from inception.core._dask_runner import NoWorkersError
  from inception.core._dask_runner import is_local_address
  from inception.core._directory_lock import DirectoryLockedError
  from inception.core._directory_lock import hold_directory
  from inception.core._file_io import error_types
  from inception.core._file_io import exists
  from inception.core._file_io import isdir
  from inception.core._file_io import join
  from inception.core._file_io import listdir
  from inception.core._file_io import makedirs
  from inception.core._file_io import object_version
  from inception.core._file_io import open_file
  from inception.core._file_io import read_bytes
  from inception.core._file_io import read_range
  from inception.core._file_io import read_text
  from inception.core._file_io import remove
  from inception.core._file_io import remove_tree
  from inception.core._file_io import rename
  from inception.core._file_io import size
  from inception.core._file_io import start_writeback
  from inception.core._file_io import walk
  from inception.core._lazy_exports import exports_on_first_use
  from inception.core._layout import BAD_IMAGES_FORMAT
  from inception.core._layout import CHECK_REPORT_DIRNAME
  from inception.core._layout import INDEX_DIRNAME
  from inception.core._layout import INDEX_SUFFIX
  from inception.core._layout import LOCK_FILENAME
  from inception.core._layout import MANIFEST_FILENAME
  from inception.core._layout import bad_images_path
  from inception.core._layout import check_report_dir
  from inception.core._layout import index_dir
  from inception.core._layout import index_path
  from inception.core._layout import lock_path
  from inception.core._layout import manifest_path
  from inception.core._process_pool import ProcessPoolRunner
  from inception.core._progress import Progress
  from inception.core._progress import close_progress_bars
  from inception.core._progress import format_duration
  from inception.core._progress import show_progress_bars
  from inception.core._runner import InProcessRunner
  from inception.core._runner import ProgressCallback
  from inception.core._runner import ResultCallback
  from inception.core._runner import Runner
  from inception.core._runner import WorkerError
  from inception.core._runner import default_num_workers
  from inception.core._runner import portable_exception
  from inception.core._user_paths import absolute_user_path
  from inception.core._user_paths import is_remote
  from inception.core._workers import Workers

__all__ = [
    'BAD_IMAGES_FORMAT',
    'CHECK_REPORT_DIRNAME',
    'DEFAULT_NO_WORKERS_TIMEOUT',
    'DaskCluster',
    'DaskRunner',
    'DirectoryLockedError',
    'FingerprintMismatch',
    'INDEX_DIRNAME',
    'INDEX_SUFFIX',
    'InProcessRunner',
    'LOCK_FILENAME',
    'MANIFEST_FILENAME',
    'NoWorkersError',
    'PendingOutput',
    'ProcessPoolRunner',
    'Progress',
    'ProgressCallback',
    'ResultCallback',
    'Runner',
    'WorkerError',
    'Workers',
    'absolute_user_path',
    'atomic_output',
    'bad_images_path',
    'check_report_dir',
    'close_progress_bars',
    'default_num_workers',
    'error_types',
    'exists',
    'exports_on_first_use',
    'format_duration',
    'hold_directory',
    'index_dir',
    'index_path',
    'is_local_address',
    'is_remote',
    'is_temporary_path',
    'isdir',
    'join',
    'listdir',
    'lock_path',
    'makedirs',
    'manifest_path',
    'naming_write_errors',
    'object_version',
    'open_file',
    'portable_exception',
    'read_bytes',
    'read_range',
    'read_text',
    'remove',
    'remove_stale_temporaries',
    'remove_tree',
    'rename',
    'show_progress_bars',
    'size',
    'start_writeback',
    'temporary_path',
    'walk',
    'write_bytes',
    'write_text',
]

__getattr__, __dir__ = exports_on_first_use(__name__, __file__)
