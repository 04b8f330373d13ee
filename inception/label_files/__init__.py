"""The three ImageNet label files of data/ (docs/FORMAT.md, "Label files").

Found through the runfiles library, never by a hand-built path; each reader takes an
explicit path too, and `label_file_path` resolves "no path given" to the shipped file.
"""

import typing

from inception import core

if typing.TYPE_CHECKING:
  from inception.label_files._label_data import LabelFiles
  from inception.label_files._label_data import METADATA_FILE
  from inception.label_files._label_data import SYNSETS_FILE
  from inception.label_files._label_data import VALIDATION_LABELS_FILE
  from inception.label_files._label_data import class_texts
  from inception.label_files._label_data import data_file_path
  from inception.label_files._label_data import label_file_path
  from inception.label_files._label_data import read_metadata
  from inception.label_files._label_data import read_synsets
  from inception.label_files._label_data import read_validation_labels

__all__ = [
    'LabelFiles',
    'METADATA_FILE',
    'SYNSETS_FILE',
    'VALIDATION_LABELS_FILE',
    'class_texts',
    'data_file_path',
    'label_file_path',
    'read_metadata',
    'read_synsets',
    'read_validation_labels',
]

__getattr__, __dir__ = core.exports_on_first_use(__name__, __file__)
