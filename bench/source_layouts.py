"""A generated ImageNet set (imagenet_set.py) in the other publishers' layouts.

`write_layouts(set_record, directory, layouts)` lays the tarballs' images out as
Kaggle's tree and zip and Hugging Face's parquet files (docs/SOURCES.md), through the
demo's layout writers, so every image keeps its bytes (the PNG and CMYK names
included). Kaggle ships a box XML for every validation image, which the tarball set
lacks: `validation_box_archive` writes one (a box of the image's class over its middle
half) beside the set, read only to make Kaggle's layouts.

The set must have been generated with `SetConfig(leading_validation=True)`: Kaggle's
and Hugging Face's validation images carry their real names, whose classes the run
checks against data/'s validation label file.
"""

import gzip
import io
import os
import tarfile
from typing import Any, Dict, Mapping, Sequence

from PIL import Image

from inception import acquire
from inception import core
from inception import demo
from inception import imagenet
from inception import label_files

KAGGLE_TREE = 'kaggle'
KAGGLE_ZIP = 'kaggle_zip'
HF_PARQUET = 'hf_parquet'
LAYOUTS = (KAGGLE_TREE, KAGGLE_ZIP, HF_PARQUET)
VALIDATION_BOX_ARCHIVE = imagenet.BBOX_VALIDATION_TGZ


def validation_box_archive(set_record: Mapping[str, Any], path: str) -> str:
  """Writes a box XML per validation image of the set (of its class, over the
  middle half of the image) as a gzipped tar at `path`; returns `path`."""
  validation_tar = os.path.join(set_record['directory'], imagenet.VALIDATION_TAR)
  labels = label_files.read_validation_labels(set_record['validation_labels_file'])
  with core.atomic_output(path, 'wb') as raw, \
      gzip.GzipFile(fileobj=raw, mode='wb', mtime=0) as gzipped, \
      tarfile.open(fileobj=gzipped, mode='w', format=tarfile.USTAR_FORMAT) as out, \
      open(validation_tar, 'rb') as images:
    for member in acquire.index_flat_tar(validation_tar):
      images.seek(member.offset)
      width, height = Image.open(io.BytesIO(images.read(member.size))).size
      number = int(member.name[len('ILSVRC2012_val_'):-len('.JPEG')])
      synset = labels[number - 1]
      box = (width // 4, height // 4, width * 3 // 4, height * 3 // 4)
      stem = member.name[:-len('.JPEG')]
      demo.add_tar_member(out, 'val/%s.xml' % stem, demo.annotation_xml(
          'val', stem, width, height, [(synset, box)]))
  return path


def set_fixture(set_record: Mapping[str, Any], validation_boxes: str) -> demo.Fixture:
  """The set as the demo's Fixture, which the layout writers take."""
  directory = set_record['directory']
  synsets = label_files.read_synsets(set_record['labels_file'])
  return demo.Fixture(
      directory=directory,
      synsets=synsets,
      train_tar=os.path.join(directory, imagenet.TRAIN_TAR),
      validation_tar=os.path.join(directory, imagenet.VALIDATION_TAR),
      bbox_train_tar_gz=os.path.join(directory, imagenet.BBOX_TRAIN_TAR_GZ),
      bbox_validation_tgz=validation_boxes,
      synsets_file=set_record['labels_file'],
      validation_labels_file=set_record['validation_labels_file'],
      metadata_file=set_record['imagenet_metadata_file'],
      checksums_file=set_record['checksums_file'],
      train_counts={},
      validation_labels=label_files.read_validation_labels(
          set_record['validation_labels_file']),
      hard_cases={},
      box_cases={})


def write_layouts(set_record: Mapping[str, Any], directory: str,
                  layouts: Sequence[str] = LAYOUTS) -> Dict[str, str]:
  """Writes each of `layouts` under `directory/<layout>/`; {layout: its --source}.

  Hugging Face's parquet gets the set's official box archive beside its data/ folder
  (by the catalogue's name), as a user who has both would lay them out.
  """
  if not set_record['config'].get('leading_validation'):
    raise ValueError('%s was generated without leading_validation: its validation '
                     'names disagree with data/\'s label file' % set_record['directory'])
  core.makedirs(directory)
  boxes = os.path.join(directory, VALIDATION_BOX_ARCHIVE)
  if not os.path.exists(boxes):
    validation_box_archive(set_record, boxes)
  fixture = set_fixture(set_record, boxes)
  sources = {}
  for layout in layouts:
    target = os.path.join(directory, layout)
    if layout == KAGGLE_TREE:
      sources[layout] = demo.write_kaggle_tree(fixture, target).path
    elif layout == KAGGLE_ZIP:
      demo.write_kaggle_zip(fixture, target)
      sources[layout] = target
    elif layout == HF_PARQUET:
      demo.write_hf_parquet(fixture, target)
      box_archive = os.path.join(target, imagenet.BBOX_TRAIN_TAR_GZ)
      with open(fixture.bbox_train_tar_gz, 'rb') as f:
        core.write_bytes(box_archive, f.read())
      sources[layout] = target
    else:
      raise ValueError('unknown layout %r (one of %s)' % (layout, ', '.join(LAYOUTS)))
  return sources
