"""The converter: image folders or tar members → sharded TFRecords, inception format.

`convert_generic` converts a folder-per-class set, `convert_splits` the splits of any
data set from its finder, `convert_split` one split (docs/FORMAT.md). The stages are
public for the benchmark, the tests and the data sets' drivers: find the images
(`find_class_entries`, `find_generic_entries`, `find_unlabelled_entries`,
`image_members`), plan (`plan_split`), prepare against the output directory, write
with the runner of `ConvertOptions` (the local pool, a Dask cluster, or Apache Beam;
`--runner=DaskRunner`'s Beam options name a Dask cluster:
`dask_cluster_from_beam_options`), finish.
A source read in one sequential pass (Hugging Face's parquet or tar.gz) gives its
splits as `SpooledEntries`: the pending shards' images are spooled into local files
per range of shards first (`SpoolStats`, `spool_files`).
`ConversionError` names what is wrong.
"""

import typing

from inception import core

if typing.TYPE_CHECKING:
  from inception.convert._converting import convert_generic
  from inception.convert._converting import convert_split
  from inception.convert._converting import convert_splits
  from inception.convert._converting import splits_in_order
  from inception.convert._dask_cluster import dask_cluster_from_beam_options
  from inception.convert._dask_cluster import is_dask_runner
  from inception.convert._finding import ImageClass
  from inception.convert._finding import find_class_entries
  from inception.convert._finding import find_generic_entries
  from inception.convert._finding import find_unlabelled_entries
  from inception.convert._finding import image_members
  from inception.convert._finding import is_image
  from inception.convert._options import ConversionError
  from inception.convert._options import ConvertOptions
  from inception.convert._options import LOCAL_RUNNER
  from inception.convert._options import ShardCounts
  from inception.convert._options import SplitCallback
  from inception.convert._options import SplitPaths
  from inception.convert._options import SplitResult
  from inception.convert._options import finished_line
  from inception.convert._planning import ImageEntry
  from inception.convert._planning import plan_split
  from inception.convert._spooling import SHARDS_PER_SPOOL_FILE
  from inception.convert._spooling import SourceImage
  from inception.convert._spooling import SpoolStats
  from inception.convert._spooling import SpooledEntries
  from inception.convert._spooling import spool_files

__all__ = [
    'ConversionError',
    'ConvertOptions',
    'ImageClass',
    'ImageEntry',
    'LOCAL_RUNNER',
    'SHARDS_PER_SPOOL_FILE',
    'ShardCounts',
    'SourceImage',
    'SpoolStats',
    'SpooledEntries',
    'SplitCallback',
    'SplitPaths',
    'SplitResult',
    'convert_generic',
    'convert_split',
    'convert_splits',
    'dask_cluster_from_beam_options',
    'find_class_entries',
    'find_generic_entries',
    'find_unlabelled_entries',
    'finished_line',
    'image_members',
    'is_dask_runner',
    'is_image',
    'plan_split',
    'spool_files',
    'splits_in_order',
]

__getattr__, __dir__ = core.exports_on_first_use(__name__, __file__)
