"""The ImageNet driver's settings: everything that decides what a run produces.

`Settings` is built once (from the flags, or by `demo_settings`) and passed whole;
`step_settings(step)` is what each step's output depends on, recorded in the state
file so that a changed setting runs that step again.
"""

import dataclasses
from typing import Any, Dict, List, Mapping, Optional, Sequence

from inception import acquire
from inception import convert
from inception import driver
from inception import label_files
from inception.imagenet import _archives
from inception.imagenet import _layout
from inception.imagenet import _sources
from inception.imagenet import _splits

DOWNLOAD = driver.DOWNLOAD
EXTRACT = driver.EXTRACT
BOUNDING_BOXES = 'bounding_boxes'
VALIDATION_RELABEL = 'validation_relabel'
CONVERT = driver.CONVERT
CHECK = driver.CHECK
STEPS = (DOWNLOAD, EXTRACT, BOUNDING_BOXES, VALIDATION_RELABEL, CONVERT, CHECK)
NO_EXTRACT_STEPS = (DOWNLOAD, BOUNDING_BOXES, CONVERT, CHECK)
# A source with an index of its own (_sources.LISTED: Kaggle's tree or zip read in
# place, Hugging Face's spooled) has nothing to download, extract or relabel.
IN_PLACE_STEPS = (BOUNDING_BOXES, CONVERT, CHECK)
# The steps download_imagenet runs (with --extract; without it, the download only).
DOWNLOAD_STEPS = (DOWNLOAD, EXTRACT)


@dataclasses.dataclass(frozen=True)
class Settings:
  """Everything that decides what the pipeline produces (all paths absolute).

  Attributes:
    data_dir: where everything goes; the shards land directly in it (in a store
      only with no_extract and the tarballs in a store too).
    source: base URL, or a local directory holding the tarballs, or a store prefix
      holding them (read in place, with no_extract), or Kaggle's tree or zip (or a
      directory holding the zip).
    source_format: one of _sources.SOURCE_FORMATS: what `source` holds ('auto':
      detected from its names).
    link_mode: for a directory of tarballs: 'copy' or 'symlink'; None: not given
      (copy), as a source read in place needs.
    checksums_file: md5sum-format file adding to or overriding the known MD5s
      (_archives.KNOWN_FILES); the download step's settings hold its content.
    validation_bounding_boxes: also fetch ILSVRC2012_bbox_val_v3.tgz and give
      validation records their boxes (the original gave them none).
    no_extract: convert straight from the tarballs, writing no raw-data/ images.
    extract_xml: the extract step also writes the box XMLs (raw-data/bounding_boxes/,
      and raw-data/validation_bounding_boxes/ with validation_bounding_boxes) for
      users who want them; the box CSVs never need them. Needs the extract step
      (not no_extract).
    stream_extract: with a URL source, the download step extracts each image tarball
      as it downloads (acquire.FetchOptions.extract_while_downloading), so the extract
      step finds them done; not with no_extract. Nothing changes for a directory
      source.
    with_test: also fetch the test tar (_archives.TEST_TAR; a checksums file must give
      its MD5) and write the unlabelled test split (records.TEST).
    with_devkit: also fetch ILSVRC2012_devkit_t12.tar.gz (download_imagenet
      --with_devkit; nothing reads it).
    bounding_box_archive: for Hugging Face's layouts (which have no boxes): the
      official train box archive, when it is not beside data/ (None: not given).
    labels: the three label files (label_files.LabelFiles; unset: data/'s).
    shards: the shard count of each split (default ImageNet's 1024, 128, 100).
    expected_counts: {'train': N, 'validation': M} for the check; None = ImageNet's.
    check_mode: 'quick' (decode a sample of images) or 'full' (decode all).
    options: converter options (workers, index files, validation, skipping).
  """
  data_dir: str
  source: str = _archives.DEFAULT_BASE_URL
  source_format: str = _sources.AUTO
  link_mode: Optional[str] = None
  checksums_file: Optional[str] = None
  validation_bounding_boxes: bool = False
  no_extract: bool = False
  extract_xml: bool = False
  stream_extract: bool = False
  with_test: bool = False
  with_devkit: bool = False
  bounding_box_archive: Optional[str] = None
  labels: label_files.LabelFiles = label_files.LabelFiles()
  shards: convert.ShardCounts = _splits.SHARD_COUNTS
  expected_counts: Optional[Mapping[str, int]] = None
  check_mode: str = 'quick'
  options: convert.ConvertOptions = dataclasses.field(
      default_factory=convert.ConvertOptions)

  def step_settings(self, step: str,
                    source_format: str = _sources.TARBALLS) -> Dict[str, Any]:
    """The settings a step's output depends on: a change re-runs the step.

    with_test and test_shards appear only when with_test is set, extract_xml and
    with_devkit only when set, and stream_extract only when it changes what the download step does
    (streams_extraction), so that a state file written without them stays finished
    (and turning extract_xml on runs the extract step again, which then writes the
    XMLs). `source_format`, what the source was found to hold, appears for a source
    other than the tarballs.
    """
    common = {'no_extract': self.no_extract}
    if source_format != _sources.TARBALLS:
      common['source_format'] = source_format
    download = {}
    if self.streams_extraction():
      download['stream_extract'] = True
    if self.with_devkit:
      download['with_devkit'] = True
    boxes = {}
    if self.bounding_box_archive:
      boxes['bounding_box_archive'] = self.bounding_box_archive
    test = {}
    if self.with_test:
      common['with_test'] = True
      test['test_shards'] = self.shards.test
    by_step = {
        DOWNLOAD: {'source': self.source, 'link_mode': self.fetch_link_mode(),
                   'checksums': self.checksums(),
                   'validation_bounding_boxes': self.validation_bounding_boxes,
                   **download},
        EXTRACT: {'extract_xml': True} if self.extract_xml else {},
        BOUNDING_BOXES: {'labels_file': self.labels.synsets,
                         'validation_labels_file': self.labels.validation_labels,
                         'validation_bounding_boxes': self.validation_bounding_boxes,
                         **boxes},
        VALIDATION_RELABEL: {'validation_labels_file': self.labels.validation_labels},
        CONVERT: {'labels_file': self.labels.synsets,
                  'imagenet_metadata_file': self.labels.metadata,
                  'train_shards': self.shards.train,
                  'validation_shards': self.shards.validation,
                  'write_index': self.options.write_index,
                  'validate_images': self.options.validate_images,
                  'skip_bad_images': self.options.skip_bad_images, **test},
        CHECK: {'check_mode': self.check_mode,
                'expected_counts': dict(self.expected_counts or {})},
    }
    return dict(common, **by_step[step])

  def fetch_link_mode(self) -> str:
    """How the download step links a directory's tarballs: link_mode, or copy."""
    return self.link_mode or 'copy'

  def streams_extraction(self) -> bool:
    """Whether the download step extracts the image tarballs as they download."""
    return (self.stream_extract and not self.no_extract and
            acquire.is_url(self.source))

  def reads_store_in_place(self) -> bool:
    """Whether the tarballs are objects in a store (--source=s3://...), recorded by
    the download step and read where they are (acquire's _store)."""
    return acquire.is_store_url(self.source)

  def checksums(self) -> Optional[Dict[str, str]]:
    """The checksums file's {name: md5}, read now (None without one)."""
    return (acquire.read_checksums_file(self.checksums_file) if self.checksums_file
            else None)


def boxes_csv_paths(settings: Settings) -> List[str]:
  """The box CSVs the bounding_boxes step writes (train, then validation)."""
  paths = [_layout.train_boxes_csv(settings.data_dir, settings.no_extract)]
  if settings.validation_bounding_boxes:
    paths.append(_layout.validation_boxes_csv(settings.data_dir, settings.no_extract))
  return paths


def step_names(settings: Settings, in_place: bool = False) -> Sequence[str]:
  """The steps of a run: a source read in place (`in_place`) has no download,
  extract or relabel step; with no_extract, no extract or relabel step."""
  if in_place:
    return IN_PLACE_STEPS
  return NO_EXTRACT_STEPS if settings.no_extract else STEPS


