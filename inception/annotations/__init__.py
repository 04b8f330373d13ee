"""TODO docstring for inception.annotations."""

from inception.annotations._bounding_boxes import Box
from inception.annotations._bounding_boxes import BoxStats
from inception.annotations._bounding_boxes import process_bounding_boxes
from inception.annotations._bounding_boxes import read_boxes_csv
from inception.annotations._validation_relabel import plan_moves
from inception.annotations._validation_relabel import relabel_validation_directory
from inception.annotations._validation_relabel import validation_filename
from inception.annotations._validation_relabel import validation_image_synsets

__all__ = [
    'Box',
    'BoxStats',
    'plan_moves',
    'process_bounding_boxes',
    'read_boxes_csv',
    'relabel_validation_directory',
    'validation_filename',
    'validation_image_synsets',
]
