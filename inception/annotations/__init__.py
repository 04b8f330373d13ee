"""The annotations: bounding boxes and the validation labels.

- `process_bounding_boxes`: annotation XMLs (a directory, a tarball, or a zip's folder:
  `ZipXmls`) → the box CSV (docs/FORMAT.md, "Bounding boxes"), by the `BoxRules` built
  from the label files; `read_boxes_csv` reads it back.
- `relabel_validation_directory`: moves each validation image into its synset's
  directory, idempotently; `validation_image_synsets` maps the names to synsets.
"""

import typing

from inception import core

if typing.TYPE_CHECKING:
  from inception.annotations._bounding_boxes import process_bounding_boxes
  from inception.annotations._box_rules import BoxRules
  from inception.annotations._boxes_csv import Box
  from inception.annotations._boxes_csv import read_boxes_csv
  from inception.annotations._chunk_merge import BoxStats
  from inception.annotations._validation_relabel import relabel_validation_directory
  from inception.annotations._validation_relabel import validation_filename
  from inception.annotations._validation_relabel import validation_image_synsets
  from inception.annotations._xml_sources import ZipXmls

__all__ = [
    'Box',
    'BoxRules',
    'BoxStats',
    'ZipXmls',
    'process_bounding_boxes',
    'read_boxes_csv',
    'relabel_validation_directory',
    'validation_filename',
    'validation_image_synsets',
]

__getattr__, __dir__ = core.exports_on_first_use(__name__, __file__)
