"""The converter: image folders or tarballs → sharded TFRecords, inception format.

`convert_imagenet` and `convert_generic` do it all; `convert_split` one split; the
stages (find entries, `plan_split`, prepare against the output directory, write with
the runner of `ConvertOptions.runner`: the local pool or Apache Beam, finish) are
public for the benchmark and the tests. `ConversionError` names what is wrong.
"""

from inception.convert._conversion import ConversionError
from inception.convert._conversion import ConvertOptions
from inception.convert._conversion import ImageEntry
from inception.convert._conversion import LOCAL_RUNNER
from inception.convert._conversion import SplitCallback
from inception.convert._conversion import SplitResult
from inception.convert._conversion import convert_generic
from inception.convert._conversion import convert_imagenet
from inception.convert._conversion import convert_split
from inception.convert._conversion import find_imagenet_entries
from inception.convert._conversion import finished_line
from inception.convert._conversion import imagenet_classes
from inception.convert._conversion import plan_split
from inception.convert._conversion import read_bounding_boxes

__all__ = [
    'ConversionError',
    'ConvertOptions',
    'ImageEntry',
    'LOCAL_RUNNER',
    'SplitCallback',
    'SplitResult',
    'convert_generic',
    'convert_imagenet',
    'convert_split',
    'find_imagenet_entries',
    'finished_line',
    'imagenet_classes',
    'plan_split',
    'read_bounding_boxes',
]
