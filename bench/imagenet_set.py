"""A full-shape synthetic ImageNet for the end-to-end benchmark (bench_imagenet.py).

`generate(directory, SetConfig(scale=...))` writes the three archives the driver
fetches, in the official layouts (docs/FORMAT.md, "Data facts"), with ImageNet's
counts at scale 1:

  ILSVRC2012_img_train.tar          1000 `<wnid>.tar` members (the real synsets of
                                    data/), 732..1300 `<wnid>_<n>.JPEG` each,
                                    1,281,167 in all;
  ILSVRC2012_img_val.tar            50,000 flat `ILSVRC2012_val_%08d.JPEG`, labelled by
                                    the real validation label file;
  ILSVRC2012_bbox_train_v2.tar.gz   544,546 `<wnid>/<wnid>_<n>.xml` (a seeded subset
                                    of the train images) holding 615,299 boxes;

plus the three label files the driver is given (byte copies of data/'s at scale 1),
and an md5sum-format MD5SUMS. The real PNG (`n02105855_2933.JPEG`) is a PNG and the
22 real CMYK names are CMYK JPEGs, as in ImageNet (docs/FORMAT.md, "Semantics").

Every other image is drawn from a pool of a few hundred distinct tiny JPEGs (PIL, 48 to
136 px, ~3.5 KB), so the whole set weighs a few GB and the pipeline's per-file costs
dominate, as they do on the real 110 KB photographs divided by the disk's speed.
Members are streamed from memory into the tars (no image file is ever written), so
scale 1 takes a few minutes.

At scale s < 1 every class keeps max(1, round(count * s)) train images (all the
special names among them) and max(1, round(50 * s)) validation images (its first ones
in the real label file, so every class has one and the extract path finds every
validation directory); the XML and box counts scale with s. With
`SetConfig.leading_validation`, the validation images are instead the real label
file's first ones as many, under their real names (what a Kaggle or Hugging Face copy
of the subset holds: source_layouts.py).

Deterministic: the same config gives byte-identical files (seeded numpy streams, fixed
tar header times and owners, gzip without name or time). Cached: `set.json`, written
last, records the config and what the set holds; `generate` returns it without
writing anything when the config is unchanged.
"""

import contextlib
import dataclasses
import gzip
import hashlib
import json
import os
import tarfile
from typing import Any, Callable, Dict, IO, List, Mapping, Sequence, Tuple

import numpy as np

from inception import core
from inception import demo
from inception import imagenet
from inception import label_files

STAMP_FILE = 'set.json'
CHECKSUMS_FILE = 'MD5SUMS'
ARCHIVES = (imagenet.BBOX_TRAIN_TAR_GZ, imagenet.TRAIN_TAR, imagenet.VALIDATION_TAR)

# ImageNet's shape (docs/FORMAT.md, "Data facts" and "Bounding boxes").
NUM_CLASSES = 1000
TRAIN_IMAGES = 1281167
MIN_CLASS_IMAGES = 732
MAX_CLASS_IMAGES = 1300
VALIDATION_PER_CLASS = 50
TRAIN_XMLS = 544546
TRAIN_BOXES = 615299
PNG_IMAGE = 'n02105855_2933.JPEG'
CMYK_IMAGES = (
    'n01739381_1309', 'n02077923_14822', 'n02447366_23489', 'n02492035_15739',
    'n02747177_10752', 'n03018349_4028', 'n03062245_4620', 'n03347037_9675',
    'n03467068_12171', 'n03529860_11437', 'n03544143_17228', 'n03633091_5218',
    'n03710637_5125', 'n03961711_5286', 'n04033995_2932', 'n04258138_17003',
    'n04264628_27969', 'n04336792_7448', 'n04371774_5854', 'n04596742_4225',
    'n07583066_647', 'n13037406_4650')
# The special images, {filename: demo.encode_image kind}.
SPECIAL_IMAGES = dict([(PNG_IMAGE, 'png')] +
                      [('%s.JPEG' % stem, 'cmyk') for stem in CMYK_IMAGES])

# Image numbers are drawn from 1..MAX_IMAGE_NUMBER (real ones reach ~50,000).
_MAX_IMAGE_NUMBER = 40000
_TAR_MTIME = 1335830400  # 2012-05-01 UTC, as the demo's archives.
_BLOCK = tarfile.BLOCKSIZE
_RECORD = tarfile.RECORDSIZE
# Separate seeded streams, so one count changing does not reshuffle the rest.
_COUNTS_STREAM, _NAMES_STREAM, _POOL_STREAM, _DRAW_STREAM = 1, 2, 3, 4
_XML_STREAM, _BOX_STREAM, _SPECIAL_STREAM = 5, 6, 7


@dataclasses.dataclass(frozen=True)
class SetConfig:
  """What to generate; any change regenerates the set."""
  scale: float = 1.0
  seed: int = 2012
  pool_size: int = 300  # distinct JPEGs the images are drawn from
  min_side: int = 48
  max_side: int = 136
  min_quality: int = 55
  max_quality: int = 85
  # The validation images: each class's first ones, numbered from 1 (False); or the
  # real label file's first ones, under their real names and classes (True), so that
  # the set agrees with data/'s validation label file, as another publisher's copy of
  # the subset (Kaggle, Hugging Face) is checked against it.
  leading_validation: bool = False
  version: int = 1  # bump when the generator's output changes

  def __post_init__(self):
    if not 0 < self.scale <= 1:
      raise ValueError('scale must be in (0, 1], got %r' % self.scale)
    if self.pool_size < 1:
      raise ValueError('pool_size must be at least 1, got %d' % self.pool_size)
    if not 16 <= self.min_side <= self.max_side:
      raise ValueError('need 16 <= min_side <= max_side, got %d, %d' %
                       (self.min_side, self.max_side))
    if not 1 <= self.min_quality <= self.max_quality <= 100:
      raise ValueError('need 1 <= min_quality <= max_quality <= 100')


# Pure planning: counts, names, which images get boxes.


def full_class_counts(seed: int, num_classes: int = NUM_CLASSES,
                      total: int = TRAIN_IMAGES) -> List[int]:
  """Per-class train counts in 732..1300 summing to exactly `total`, as ImageNet's.

  Most classes hold 1300 images; a seeded few are short (one at the minimum, 732),
  which is how the real distribution looks.
  """
  spare = MAX_CLASS_IMAGES - MIN_CLASS_IMAGES
  deficit = num_classes * MAX_CLASS_IMAGES - total
  if not 0 <= deficit <= num_classes * spare:
    raise ValueError('%d images cannot fill %d classes of %d..%d' %
                     (total, num_classes, MIN_CLASS_IMAGES, MAX_CLASS_IMAGES))
  rng = np.random.default_rng([seed, _COUNTS_STREAM])
  counts = [MAX_CLASS_IMAGES] * num_classes
  for position, index in enumerate(rng.permutation(num_classes)):
    if deficit == 0:
      break
    cut = spare if position == 0 else int(rng.integers(1, spare + 1))
    cut = min(cut, deficit)
    counts[index] -= cut
    deficit -= cut
  return counts


def scaled_count(count: int, scale: float) -> int:
  """`count` at `scale`, at least 1 (every class keeps an image)."""
  return max(1, int(round(count * scale)))


def class_counts(synsets: Sequence[str], scale: float, seed: int) -> Dict[str, int]:
  """{wnid: train images} at `scale`."""
  counts = full_class_counts(seed, len(synsets),
                             total=min(TRAIN_IMAGES, len(synsets) * MAX_CLASS_IMAGES))
  return {s: scaled_count(c, scale) for s, c in zip(synsets, counts)}


def specials_by_synset(specials: Mapping[str, str] = SPECIAL_IMAGES
                       ) -> Dict[str, Dict[int, str]]:
  """{wnid: {image number: kind}} of the special images."""
  by_synset = {}
  for filename, kind in specials.items():
    synset, number = os.path.splitext(filename)[0].split('_')
    by_synset.setdefault(synset, {})[int(number)] = kind
  return by_synset


def image_numbers(seed: int, class_index: int, count: int,
                  required: Sequence[int] = ()) -> List[int]:
  """`count` distinct sorted numbers for a class's `<wnid>_<n>.JPEG`, holding
  `required` (its special images), sparse like the real names."""
  rng = np.random.default_rng([seed, _NAMES_STREAM, class_index])
  free = np.ones(_MAX_IMAGE_NUMBER + 1, dtype=bool)
  free[0] = False
  free[np.asarray(required, dtype=np.int64)] = False
  drawn = rng.choice(np.flatnonzero(free), count - len(required), replace=False)
  return sorted([int(n) for n in drawn] + [int(n) for n in required])


def validation_subset(labels: Sequence[str], scale: float,
                      leading: bool = False) -> List[str]:
  """The validation labels at `scale`: each class's first max(1, round(50 s)) images
  of the real label file, in its order (all of it at scale 1); with `leading`, as
  many of the file's first lines."""
  per_class = scaled_count(VALIDATION_PER_CLASS, scale)
  if leading:
    return list(labels[:len(validation_subset(labels, scale))])
  taken = {}
  subset = []
  for synset in labels:
    if taken.get(synset, 0) < per_class:
      taken[synset] = taken.get(synset, 0) + 1
      subset.append(synset)
  return subset


def boxes_per_image(seed: int, num_images: int, num_xmls: int,
                    num_boxes: int) -> np.ndarray:
  """Boxes of each train image (flat index): `num_xmls` of them get 1 or more,
  `num_boxes` in all; the rest get no XML (0)."""
  num_xmls = min(num_xmls, num_images)
  rng = np.random.default_rng([seed, _XML_STREAM])
  boxes = np.zeros(num_images, dtype=np.int32)
  annotated = rng.choice(num_images, num_xmls, replace=False)
  boxes[annotated] = 1
  extra = rng.choice(annotated, max(0, num_boxes - num_xmls), replace=True)
  np.add.at(boxes, extra, 1)
  return boxes


# Bytes: the image pool, tar members, the XML tar.gz.


@dataclasses.dataclass(frozen=True)
class PoolImage:
  data: bytes
  width: int
  height: int


def image_pool(config: SetConfig) -> List[PoolImage]:
  """`pool_size` distinct photo-like JPEGs (demo.render_photo), varied sizes and
  qualities."""
  pool = []
  for index in range(config.pool_size):
    rng = np.random.default_rng([config.seed, _POOL_STREAM, index])
    width, height = (int(v) for v in
                     rng.integers(config.min_side, config.max_side + 1, 2))
    quality = int(rng.integers(config.min_quality, config.max_quality + 1))
    pool.append(PoolImage(demo.encode_image(demo.render_photo(rng, width, height),
                                            None, quality), width, height))
  return pool


def special_image(config: SetConfig, filename: str, kind: str) -> PoolImage:
  """The PNG or CMYK JPEG of a special name (its own seeded picture)."""
  rng = np.random.default_rng([config.seed, _SPECIAL_STREAM,
                               int(hashlib.md5(filename.encode()).hexdigest()[:8], 16)])
  width, height = (int(v) for v in rng.integers(config.min_side, config.max_side + 1, 2))
  return PoolImage(demo.encode_image(demo.render_photo(rng, width, height), kind, 90),
                   width, height)


def _ustar_header_parts() -> Tuple[bytes, bytes, int]:
  """The fixed fields of tar_header's ustar header, before and after the size and
  checksum, and their byte sum (the checksum counts its own field as 8 spaces)."""
  octal = lambda value, width: b'%0*o\0' % (width - 1, value)
  mode_owner = octal(0o644, 8) + octal(0, 8) + octal(0, 8)
  after = (octal(_TAR_MTIME, 12), b' ' * 8, b'0', b'\0' * 100, tarfile.POSIX_MAGIC,
           b'\0' * (64 + 16 + 167))  # owner names, device numbers, prefix
  after_size = b''.join(after)
  return mode_owner, after_size, sum(mode_owner) + sum(after_size)


_MODE_OWNER, _AFTER_SIZE, _FIXED_SUM = _ustar_header_parts()
_CHECKSUM_AT = 148 - 124  # offset of the checksum field after the size field


def tar_header(name: str, size: int) -> bytes:
  """The ustar header tarfile writes for a regular file of mode 644, owner 0 and
  time 2012-05-01 (so the bytes depend on nothing else), built directly: tarfile's
  TarInfo.tobuf costs ~20x more and the set has ~1.9 M members."""
  encoded = name.encode('utf-8')
  if len(encoded) > 100:
    raise ValueError('member name longer than 100 bytes: %s' % name)
  size_field = b'%011o\0' % size
  checksum = _FIXED_SUM + sum(encoded) + sum(size_field)
  after = (_AFTER_SIZE[:_CHECKSUM_AT - 12] + b'%06o\0 ' % checksum +
           _AFTER_SIZE[_CHECKSUM_AT - 12 + 8:])
  return encoded.ljust(100, b'\0') + _MODE_OWNER + size_field + after


def tar_member(name: str, data: bytes) -> bytes:
  """Header, data and zero padding to the next 512-byte block."""
  return b''.join((tar_header(name, len(data)), data,
                   b'\0' * (-len(data) % _BLOCK)))


def tar_end(length: int) -> bytes:
  """The end-of-archive blocks, padded as tarfile pads (to 10240-byte records)."""
  end = 2 * _BLOCK
  return b'\0' * (end + (-(length + end) % _RECORD))


def tar_bytes(members: Sequence[Tuple[str, bytes]]) -> bytes:
  """A whole tar of (name, data) members, in the given order."""
  body = b''.join(tar_member(name, data) for name, data in members)
  return body + tar_end(len(body))


def box_coordinates(rng: np.random.Generator, width: int, height: int,
                    count: int) -> List[Tuple[int, int, int, int]]:
  """`count` boxes of 20-100 % of each side, inside the image (none is dropped)."""
  u = rng.random((count, 4))
  boxes = []
  for a, b, c, d in u.tolist():
    box_width = max(1, int(width * (0.2 + 0.8 * a)))
    box_height = max(1, int(height * (0.2 + 0.8 * b)))
    xmin = int((width - box_width) * c)
    ymin = int((height - box_height) * d)
    boxes.append((xmin, ymin, xmin + box_width, ymin + box_height))
  return boxes


class _HashingCounter(object):
  """Forwards writes to a file, keeping their md5 and length."""

  def __init__(self, target: IO[bytes]):
    self._target = target
    self.md5 = hashlib.md5()
    self.length = 0

  def write(self, data: bytes) -> int:
    self.md5.update(data)
    self.length += len(data)
    self._target.write(data)
    return len(data)

  def flush(self) -> None:
    self._target.flush()


class _ArchiveWriter(object):
  """Streams one tar into an open file, keeping the file's md5 and size.

  `write` takes the tar's bytes (gzipped on the way with `gzipped`); `finish` ends the
  tar and returns {'md5', 'bytes'} of the file.
  """

  def __init__(self, target: IO[bytes], gzipped: bool = False):
    self._counter = _HashingCounter(target)
    self._gzip = (gzip.GzipFile(filename='', mode='wb', compresslevel=6,
                                fileobj=self._counter, mtime=0) if gzipped else None)
    self._length = 0

  def write(self, data: bytes) -> None:
    self._length += len(data)
    (self._gzip or self._counter).write(data)

  def finish(self) -> Dict[str, Any]:
    self.write(tar_end(self._length))
    if self._gzip:
      self._gzip.close()
    return {'md5': self._counter.md5.hexdigest(), 'bytes': self._counter.length}


# The set.


def _read_stamp(directory: str) -> Dict[str, Any]:
  path = os.path.join(directory, STAMP_FILE)
  if not os.path.exists(path):
    return {}
  with open(path) as f:
    return json.load(f)


def generate(directory: str, config: SetConfig, data_dir: str,
             log: Callable[[str], None] = print) -> Dict[str, Any]:
  """Writes the set into `directory` unless `set.json` there holds the same config.

  Args:
    directory: where the archives, label files, MD5SUMS and set.json go.
    config: scale, seed and pool.
    data_dir: the directory holding the real label files (the repository's data/).
    log: progress lines.

  Returns:
    set.json's content: the config, the paths, the counts and bytes of every part.
  """
  directory = os.path.abspath(directory)
  wanted = dataclasses.asdict(config)
  stamp = _read_stamp(directory)
  if stamp.get('config') == wanted:
    log('Reusing the set generated under %s (%s)' % (directory, STAMP_FILE))
    return stamp
  os.makedirs(directory, exist_ok=True)
  core.remove_stale_temporaries(directory)
  stamp_path = os.path.join(directory, STAMP_FILE)
  if os.path.exists(stamp_path):
    os.remove(stamp_path)  # the set is stale until the new stamp is written
  path = lambda name: os.path.join(directory, name)

  synsets = label_files.read_synsets(os.path.join(data_dir, label_files.SYNSETS_FILE))
  real_validation = label_files.read_validation_labels(
      os.path.join(data_dir, label_files.VALIDATION_LABELS_FILE))
  counts = class_counts(synsets, config.scale, config.seed)
  validation = validation_subset(real_validation, config.scale,
                                 config.leading_validation)
  specials = specials_by_synset()
  num_train = sum(counts.values())
  boxes = boxes_per_image(config.seed, num_train,
                          int(round(TRAIN_XMLS * config.scale)),
                          int(round(TRAIN_BOXES * config.scale)))
  pool = image_pool(config)
  log('Pool: %d JPEGs, %.1f KB on average' %
      (len(pool), sum(len(p.data) for p in pool) / len(pool) / 1e3))

  totals = {'train_image_bytes': 0, 'validation_image_bytes': 0, 'xml_bytes': 0,
            'xmls': 0, 'boxes': 0}
  special_found = {}
  progress = core.Progress('Generating the train tar and the XMLs', total=num_train,
                           unit='images', log=log)
  archives = {}
  with contextlib.ExitStack() as outputs:  # each renamed into place at the end
    open_archive = lambda name, gzipped=False: _ArchiveWriter(outputs.enter_context(
        core.atomic_output(path(name), 'wb')), gzipped)
    train = open_archive(imagenet.TRAIN_TAR)
    xmls = open_archive(imagenet.BBOX_TRAIN_TAR_GZ, gzipped=True)
    flat = 0
    for class_index, synset in enumerate(synsets):
      required = specials.get(synset, {})
      numbers = image_numbers(config.seed, class_index, counts[synset],
                              sorted(required))
      picks = np.random.default_rng([config.seed, _DRAW_STREAM, class_index]).integers(
          0, len(pool), len(numbers))
      box_rng = np.random.default_rng([config.seed, _BOX_STREAM, class_index])
      members = []
      for number, pick in zip(numbers, picks):
        filename = '%s_%d.JPEG' % (synset, number)
        if number in required:
          image = special_image(config, filename, required[number])
          special_found[filename] = required[number]
        else:
          image = pool[pick]
        members.append((filename, image.data))
        totals['train_image_bytes'] += len(image.data)
        num_boxes = int(boxes[flat])
        flat += 1
        if num_boxes:
          stem = filename[:-len('.JPEG')]
          xml = demo.annotation_xml(synset, stem, image.width, image.height, [
              (synset, box) for box in box_coordinates(box_rng, image.width,
                                                       image.height, num_boxes)])
          xmls.write(tar_member('%s/%s.xml' % (synset, stem), xml))
          totals['xml_bytes'] += len(xml)
          totals['xmls'] += 1
          totals['boxes'] += num_boxes
      member = tar_member('%s.tar' % synset, tar_bytes(members))
      train.write(member)
      progress.update(len(members), len(member))
    archives[imagenet.TRAIN_TAR] = train.finish()
    archives[imagenet.BBOX_TRAIN_TAR_GZ] = xmls.finish()
    progress.finish()

    validation_tar = open_archive(imagenet.VALIDATION_TAR)
    picks = np.random.default_rng([config.seed, _DRAW_STREAM, len(synsets)]).integers(
        0, len(pool), len(validation))
    for index, pick in enumerate(picks):
      validation_tar.write(tar_member(demo.validation_filename(index), pool[pick].data))
      totals['validation_image_bytes'] += len(pool[pick].data)
    archives[imagenet.VALIDATION_TAR] = validation_tar.finish()
  missing = sorted(set(SPECIAL_IMAGES) - set(special_found))
  if missing:
    raise ValueError('special images not generated (their class is not in the '
                     'synsets file?): %s' % ', '.join(missing))

  core.write_text(path(label_files.SYNSETS_FILE), ''.join('%s\n' % s for s in synsets))
  core.write_text(path(label_files.VALIDATION_LABELS_FILE),
                  ''.join('%s\n' % s for s in validation))
  with open(os.path.join(data_dir, label_files.METADATA_FILE), 'rb') as f:
    core.write_bytes(path(label_files.METADATA_FILE), f.read())
  core.write_text(path(CHECKSUMS_FILE), ''.join(
      '%s  %s\n' % (archives[name]['md5'], name) for name in sorted(archives)))

  record = {
      'config': wanted,
      'directory': directory,
      'checksums_file': path(CHECKSUMS_FILE),
      'labels_file': path(label_files.SYNSETS_FILE),
      'imagenet_metadata_file': path(label_files.METADATA_FILE),
      'validation_labels_file': path(label_files.VALIDATION_LABELS_FILE),
      'classes': len(synsets),
      'train_images': num_train,
      'validation_images': len(validation),
      'archives': archives,
      'special_images': dict(sorted(special_found.items())),
      'pool_images': len(pool),
      **totals,
  }
  core.write_text(stamp_path, json.dumps(record, indent=2, sort_keys=True) + '\n')
  return record
