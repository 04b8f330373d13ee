"""TODO docstring for inception.core."""

from inception.core._atomic_files import atomic_output
from inception.core._atomic_files import is_temporary_path
from inception.core._atomic_files import remove_stale_temporaries
from inception.core._atomic_files import temporary_path
from inception.core._atomic_files import write_bytes
from inception.core._atomic_files import write_text
from inception.core._file_io import error_types
from inception.core._file_io import exists
from inception.core._file_io import isdir
from inception.core._file_io import join
from inception.core._file_io import listdir
from inception.core._file_io import makedirs
from inception.core._file_io import open_file
from inception.core._file_io import read_bytes
from inception.core._file_io import read_text
from inception.core._file_io import remove
from inception.core._file_io import remove_tree
from inception.core._file_io import rename
from inception.core._file_io import walk
from inception.core._progress import Progress
from inception.core._progress import format_duration
from inception.core._user_paths import absolute_user_path
from inception.core._user_paths import is_remote

__all__ = [
    'Progress',
    'absolute_user_path',
    'atomic_output',
    'error_types',
    'exists',
    'format_duration',
    'is_remote',
    'is_temporary_path',
    'isdir',
    'join',
    'listdir',
    'makedirs',
    'open_file',
    'read_bytes',
    'read_text',
    'remove',
    'remove_stale_temporaries',
    'remove_tree',
    'rename',
    'temporary_path',
    'walk',
    'write_bytes',
    'write_text',
]
