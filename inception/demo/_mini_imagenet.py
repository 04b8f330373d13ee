"""A small synthetic ImageNet in the official archive layouts, for tests and demos.

`generate()` writes, into one directory, the four ILSVRC2012 archives the pipeline
downloads (docs/FORMAT.md, "Data facts"), the three label files for the chosen classes
("Label files") and an md5sum-compatible `MD5SUMS`; with `Config.num_test_images`, also
the unlabelled test tar (flat `ILSVRC2012_test_%08d.JPEG`, as the real one). Classes are real wnids; images are
synthetic but weigh what photographs weigh (smooth shapes plus texture), so conversion
benchmarks mean something. The same `Config` gives byte-identical files: every image
draws from its own seeded numpy generator, and tar/gzip headers carry fixed times and
owners.

The train set holds the awkward files real ImageNet has ("Data facts"), all of them
whenever there are at least 5 train images, spread over the first classes round robin
in this order (`Fixture.hard_cases` names them):
  png          PNG bytes under a `.JPEG` name (like n02105855_2933.JPEG),
  cmyk         a 4-component CMYK JPEG,
  grayscale    a 1-component (mode L) JPEG,
  progressive  a progressive JPEG,
  exif         a JPEG carrying an EXIF APP1 segment.
The train XMLs hold the bad boxes docs/FORMAT.md ("Bounding boxes") says to repair or
drop, each as a SECOND <object> after one normal box of the image's own class, on the
last images of the first classes (`Fixture.box_cases` names the XMLs):
  inverted      xmin > xmax and ymin > ymax (a valid box once swapped),
  outside       xmin < 0, xmax > width, ymax > height (a valid box once clamped),
  degenerate    xmin == xmax (dropped),
  other_synset  <name> is another challenge synset (dropped).
About half of the other train images have an XML (one box, sometimes two); every
validation image has one.
"""

import dataclasses
import gzip
import hashlib
import io
import os
import tarfile
from typing import Callable, Dict, IO, List, Optional, Sequence, Tuple

import numpy as np
from PIL import Image, ImageDraw

from inception import core
from inception import imagenet
from inception import label_files

CHECKSUMS_FILE = 'MD5SUMS'
# The archives written, under the names of inception.imagenet's catalogue: the ones
# the pipeline fetches with validation boxes, and the test tar.
TRAIN_TAR = imagenet.TRAIN_TAR
VALIDATION_TAR = imagenet.VALIDATION_TAR
TEST_TAR = imagenet.TEST_TAR
BBOX_TRAIN_TAR_GZ = imagenet.BBOX_TRAIN_TAR_GZ
BBOX_VALIDATION_TGZ = imagenet.BBOX_VALIDATION_TGZ
ARCHIVES = (BBOX_TRAIN_TAR_GZ, VALIDATION_TAR, TRAIN_TAR, BBOX_VALIDATION_TGZ)

HARD_CASE_KINDS = ('png', 'cmyk', 'grayscale', 'progressive', 'exif')
BOX_CASE_KINDS = ('inverted', 'outside', 'degenerate', 'other_synset')

# Fixed tar header fields (2012-05-01 UTC), so archives do not depend on when or by
# whom they were made.
_TAR_MTIME = 1335830400
_TAR_FORMAT = tarfile.USTAR_FORMAT
# Share of plain train images that get an XML, and of XMLs that get a second box.
_ANNOTATED_FRACTION = 0.5
_TWO_BOX_FRACTION = 0.2
# Texture amplitudes (grey levels), tuned so 300-500 px JPEGs at quality 90 weigh
# ~85 KB on average, like ImageNet's ~110 KB photographs.
_COARSE_NOISE = 28
_LUMA_NOISE = 28
_CHROMA_NOISE = 10
# Separate random streams, so changing one count does not reshuffle everything else.
_TRAIN_NAMES_STREAM = 1
_TRAIN_IMAGE_STREAM = 2
_VALIDATION_LABEL_STREAM = 3
_VALIDATION_IMAGE_STREAM = 4
_TEST_IMAGE_STREAM = 5


@dataclasses.dataclass(frozen=True)
class Config:
  """What to generate. The defaults make a ~6 MB fixture in about a second."""
  num_classes: int = 4
  images_per_class: int = 12
  num_validation_images: int = 16
  num_test_images: int = 0  # > 0: also the (unlabelled, flat) test tar
  min_side: int = 300
  max_side: int = 500
  jpeg_quality: int = 90
  seed: int = 0

  def __post_init__(self):
    if self.num_classes < 1:
      raise ValueError('num_classes must be at least 1, got %d' % self.num_classes)
    if self.images_per_class < 1:
      raise ValueError('images_per_class must be at least 1, got %d' %
                       self.images_per_class)
    if self.num_validation_images < 1:
      raise ValueError('num_validation_images must be at least 1, got %d' %
                       self.num_validation_images)
    if self.num_test_images < 0:
      raise ValueError('num_test_images must be non-negative, got %d' %
                       self.num_test_images)
    if not 32 <= self.min_side <= self.max_side:
      raise ValueError('need 32 <= min_side <= max_side, got min_side=%d max_side=%d'
                       % (self.min_side, self.max_side))
    if not 1 <= self.jpeg_quality <= 100:
      raise ValueError('jpeg_quality must be in 1..100, got %d' % self.jpeg_quality)
    if self.seed < 0:
      raise ValueError('seed must be non-negative, got %d' % self.seed)


@dataclasses.dataclass(frozen=True)
class Fixture:
  """Where everything was written, and what it holds (paths are absolute)."""
  directory: str
  synsets: List[str]
  train_tar: str
  validation_tar: str
  bbox_train_tar_gz: str
  bbox_validation_tgz: str
  synsets_file: str
  validation_labels_file: str
  metadata_file: str
  checksums_file: str
  train_counts: Dict[str, int]
  validation_labels: List[str]
  hard_cases: Dict[str, str]
  box_cases: Dict[str, str]
  test_tar: Optional[str] = None  # with num_test_images
  num_test_images: int = 0


@dataclasses.dataclass(frozen=True)
class _TrainImage:
  """The plan for one train image, fixed before any pixel is drawn."""
  synset: str
  number: int
  class_index: int
  image_kind: Optional[str]  # None or one of HARD_CASE_KINDS.
  annotated: bool
  num_boxes: int  # Normal boxes of its own class.
  box_case: Optional[str]  # None or one of BOX_CASE_KINDS (an extra box).

  @property
  def filename(self) -> str:
    return '%s_%d.JPEG' % (self.synset, self.number)

  @property
  def stem(self) -> str:
    return '%s_%d' % (self.synset, self.number)


def choose_synsets(all_synsets: Sequence[str], num_classes: int) -> List[str]:
  """Picks `num_classes` wnids evenly spaced through the list, the first included."""
  if num_classes > len(all_synsets):
    raise ValueError('num_classes=%d but only %d synsets exist' %
                     (num_classes, len(all_synsets)))
  return sorted(all_synsets[i * len(all_synsets) // num_classes]
                for i in range(num_classes))


def test_filename(index: int) -> str:
  """The name of test image `index` (0-based): ILSVRC2012_test_%08d from 1."""
  return 'ILSVRC2012_test_%08d.JPEG' % (index + 1)


def validation_filename(index: int) -> str:
  """The name of validation image `index` (0-based): ILSVRC2012_val_%08d from 1."""
  return 'ILSVRC2012_val_%08d.JPEG' % (index + 1)


def _case_positions(kinds: Sequence[str], num_classes: int, images_per_class: int,
                    from_end: bool) -> Dict[Tuple[int, int], str]:
  """Spreads case kinds round robin over the first classes: (class, image) -> kind."""
  positions = {}
  for k, kind in enumerate(kinds):
    class_index, rank = k % num_classes, k // num_classes
    if rank >= images_per_class:
      break  # Fewer images than cases: only the first cases fit.
    image_index = images_per_class - 1 - rank if from_end else rank
    positions[(class_index, image_index)] = kind
  return positions


def _plan_train(config: Config, synsets: List[str]) -> List[List[_TrainImage]]:
  """Names, special cases and annotation of every train image, per class."""
  hard = _case_positions(HARD_CASE_KINDS, config.num_classes,
                         config.images_per_class, from_end=False)
  boxes = _case_positions(BOX_CASE_KINDS, config.num_classes,
                          config.images_per_class, from_end=True)
  plan = []
  for class_index, synset in enumerate(synsets):
    rng = np.random.default_rng([config.seed, _TRAIN_NAMES_STREAM, class_index])
    # Real names are sparse numbers (n01440764_10026); so are these.
    numbers = np.sort(rng.choice(np.arange(1, 20 * config.images_per_class + 2000),
                                 config.images_per_class, replace=False))
    annotated = rng.random(config.images_per_class) < _ANNOTATED_FRACTION
    two_boxes = rng.random(config.images_per_class) < _TWO_BOX_FRACTION
    images = []
    for image_index, number in enumerate(numbers):
      box_case = boxes.get((class_index, image_index))
      images.append(_TrainImage(
          synset=synset, number=int(number), class_index=class_index,
          image_kind=hard.get((class_index, image_index)),
          annotated=bool(annotated[image_index]) or box_case is not None,
          num_boxes=1 if box_case else 1 + int(two_boxes[image_index]),
          box_case=box_case))
    plan.append(images)
  return plan


def _validation_labels(config: Config, synsets: List[str]) -> List[str]:
  """Balanced round robin labels, shuffled by the seed: every class gets its share."""
  labels = [synsets[i % len(synsets)] for i in range(config.num_validation_images)]
  rng = np.random.default_rng([config.seed, _VALIDATION_LABEL_STREAM])
  return [labels[i] for i in rng.permutation(len(labels))]


def render_photo(rng: np.random.Generator, width: int, height: int) -> Image.Image:
  """An RGB picture with photograph-like structure: gradients, shapes and texture.

  Drawn at half size: a few random colours upsampled bicubically (gradients), filled
  ellipses and rectangles (edges) and grain; then upsampled bilinearly (soft edges,
  mid-frequency texture) and given fine luma and chroma grain, which makes JPEGs
  weigh what photos weigh. Vector numpy/PIL work only: ~8 ms for 500x500.
  """
  half_width, half_height = (width + 1) // 2, (height + 1) // 2
  grid = rng.integers(0, 256, size=(rng.integers(3, 8), rng.integers(3, 8), 3),
                      dtype=np.uint8)
  picture = Image.fromarray(grid, 'RGB').resize((half_width, half_height),
                                                Image.BICUBIC)
  draw = ImageDraw.Draw(picture)
  for _ in range(int(rng.integers(4, 10))):
    x0, x1 = sorted(int(v) for v in
                    rng.integers(-half_width // 4, half_width * 5 // 4, 2))
    y0, y1 = sorted(int(v) for v in
                    rng.integers(-half_height // 4, half_height * 5 // 4, 2))
    colour = tuple(int(c) for c in rng.integers(0, 256, 3))
    shape = draw.ellipse if rng.random() < 0.5 else draw.rectangle
    shape([x0, y0, x1, y1], fill=colour)
  pixels = np.asarray(picture, dtype=np.int16) + rng.integers(
      -_COARSE_NOISE, _COARSE_NOISE + 1, size=(half_height, half_width, 1),
      dtype=np.int8)
  picture = Image.fromarray(np.clip(pixels, 0, 255).astype(np.uint8), 'RGB')
  pixels = np.asarray(picture.resize((width, height), Image.BILINEAR), dtype=np.int16)
  pixels += rng.integers(-_LUMA_NOISE, _LUMA_NOISE + 1, size=(height, width, 1),
                         dtype=np.int8)
  pixels += rng.integers(-_CHROMA_NOISE, _CHROMA_NOISE + 1, size=(height, width, 3),
                         dtype=np.int8)
  return Image.fromarray(np.clip(pixels, 0, 255).astype(np.uint8), 'RGB')


def _exif_bytes() -> bytes:
  """A small camera EXIF block (no orientation change, so pixels mean what they show)."""
  exif = Image.Exif()
  exif[0x010F] = 'Canon'  # Make
  exif[0x0110] = 'Canon EOS 5D'  # Model
  exif[0x0112] = 1  # Orientation: top-left, as stored.
  exif[0x0132] = '2012:05:01 12:00:00'  # DateTime
  return exif.tobytes()


def encode_image(picture: Image.Image, kind: Optional[str], quality: int) -> bytes:
  """Encodes an RGB picture as a plain JPEG, or as the given hard case."""
  out = io.BytesIO()
  if kind is None:
    picture.save(out, 'JPEG', quality=quality)
  elif kind == 'png':
    picture.save(out, 'PNG', compress_level=1)
  elif kind == 'cmyk':
    picture.convert('CMYK').save(out, 'JPEG', quality=quality)
  elif kind == 'grayscale':
    picture.convert('L').save(out, 'JPEG', quality=quality)
  elif kind == 'progressive':
    picture.save(out, 'JPEG', quality=quality, progressive=True)
  elif kind == 'exif':
    picture.save(out, 'JPEG', quality=quality, exif=_exif_bytes())
  else:
    raise ValueError('unknown image kind %r (expected one of %s)' %
                     (kind, ', '.join(HARD_CASE_KINDS)))
  return out.getvalue()


def _image_size(rng: np.random.Generator, config: Config) -> Tuple[int, int]:
  width, height = rng.integers(config.min_side, config.max_side + 1, 2)
  return int(width), int(height)


def _normal_box(rng: np.random.Generator, width: int,
                height: int) -> Tuple[int, int, int, int]:
  """A box of 20-100% of each side, inside the image, xmin < xmax, ymin < ymax."""
  box_width = int(rng.integers(width // 5, width))
  box_height = int(rng.integers(height // 5, height))
  xmin = int(rng.integers(0, width - box_width))
  ymin = int(rng.integers(0, height - box_height))
  return xmin, ymin, xmin + box_width, ymin + box_height


def _case_box(kind: str, rng: np.random.Generator, width: int,
              height: int) -> Tuple[int, int, int, int]:
  """The coordinates of one bad-box case (see the module docstring)."""
  xmin, ymin, xmax, ymax = _normal_box(rng, width, height)
  if kind == 'inverted':
    return xmax, ymax, xmin, ymin
  if kind == 'outside':
    return (-int(rng.integers(1, 20)), ymin, width + int(rng.integers(1, 30)),
            height + int(rng.integers(1, 30)))
  if kind == 'degenerate':
    return xmin, ymin, xmin, ymax
  if kind == 'other_synset':
    return xmin, ymin, xmax, ymax
  raise ValueError('unknown box case %r (expected one of %s)' %
                   (kind, ', '.join(BOX_CASE_KINDS)))


def annotation_xml(folder: str, stem: str, width: int, height: int,
                   objects: Sequence[Tuple[str, Tuple[int, int, int, int]]]) -> bytes:
  """One ImageNet bounding-box XML, laid out like the real files (tab indented)."""
  lines = ['<annotation>',
           '\t<folder>%s</folder>' % folder,
           '\t<filename>%s</filename>' % stem,
           '\t<source>',
           '\t\t<database>ILSVRC_2012</database>',
           '\t</source>',
           '\t<size>',
           '\t\t<width>%d</width>' % width,
           '\t\t<height>%d</height>' % height,
           '\t\t<depth>3</depth>',
           '\t</size>',
           '\t<segmented>0</segmented>']
  for name, (xmin, ymin, xmax, ymax) in objects:
    lines += ['\t<object>',
              '\t\t<name>%s</name>' % name,
              '\t\t<pose>Unspecified</pose>',
              '\t\t<truncated>0</truncated>',
              '\t\t<difficult>0</difficult>',
              '\t\t<bndbox>',
              '\t\t\t<xmin>%d</xmin>' % xmin,
              '\t\t\t<ymin>%d</ymin>' % ymin,
              '\t\t\t<xmax>%d</xmax>' % xmax,
              '\t\t\t<ymax>%d</ymax>' % ymax,
              '\t\t</bndbox>',
              '\t</object>']
  lines.append('</annotation>')
  return ('\n'.join(lines) + '\n').encode('utf-8')


def _other_synset(synset: str, chosen: List[str], all_synsets: Sequence[str]) -> str:
  """Another challenge synset for the other_synset case: a chosen one if possible."""
  others = [s for s in chosen if s != synset] or [s for s in all_synsets if s != synset]
  return others[0]


def _tar_info(name: str, size: int) -> tarfile.TarInfo:
  info = tarfile.TarInfo(name)
  info.size = size
  info.mtime = _TAR_MTIME
  info.mode = 0o644
  info.uid = info.gid = 0
  info.uname = info.gname = ''
  return info


def add_tar_member(archive: tarfile.TarFile, name: str, data: bytes) -> None:
  """Adds `data` as member `name`, with the fixed header fields (time, owner, mode)."""
  archive.addfile(_tar_info(name, len(data)), io.BytesIO(data))


def tar_bytes(members: Dict[str, bytes]) -> bytes:
  """An uncompressed tar of `members`, sorted by name."""
  out = io.BytesIO()
  with tarfile.open(fileobj=out, mode='w', format=_TAR_FORMAT) as archive:
    for name in sorted(members):
      add_tar_member(archive, name, members[name])
  return out.getvalue()


class _HashingWriter(object):
  """Forwards writes to a file and keeps their md5, so nothing is read back."""

  def __init__(self, target: IO[bytes]):
    self._target = target
    self.md5 = hashlib.md5()

  def write(self, data: bytes) -> int:
    self.md5.update(data)
    self._target.write(data)
    return len(data)


def tar_stream(target: IO[bytes]) -> tarfile.TarFile:
  """A tar written front to back into `target` (no seeking), in the fixture's format."""
  return tarfile.open(fileobj=target, mode='w|', format=_TAR_FORMAT)


def _write_archive(path: str, fill: Callable[[tarfile.TarFile], None]) -> str:
  """Streams a tar to `path` atomically; `fill` adds the members. Returns the md5."""
  with core.atomic_output(path, 'wb') as f:
    writer = _HashingWriter(f)
    with tar_stream(writer) as archive:
      fill(archive)
  return writer.md5.hexdigest()


def _write_gzipped_tar(path: str, members: Dict[str, bytes]) -> str:
  """Writes a .tar.gz with no name or time in the gzip header. Returns the md5."""
  data = gzip.compress(tar_bytes(members), compresslevel=9, mtime=0)
  core.write_bytes(path, data)
  return hashlib.md5(data).hexdigest()


def generate(output_dir: str, config: Config = Config()) -> Fixture:
  """Writes the mini-ImageNet archives, label files and MD5SUMS into `output_dir`.

  Re-running with the same config rewrites byte-identical files (each atomically).

  Args:
    output_dir: directory to write into (created if missing; local or gs://).
    config: sizes, JPEG quality and seed.

  Returns:
    A Fixture describing what was written.
  """
  if not core.is_remote(output_dir):
    output_dir = os.path.abspath(output_dir)
  core.makedirs(output_dir)
  core.remove_stale_temporaries(output_dir)
  path = lambda name: os.path.join(output_dir, name)

  all_synsets = label_files.read_synsets()
  synsets = choose_synsets(all_synsets, config.num_classes)
  texts = label_files.class_texts(synsets, label_files.read_metadata())
  plan = _plan_train(config, synsets)
  validation_labels = _validation_labels(config, synsets)
  tracker = core.Progress(
      'Generating mini-ImageNet',
      total=config.num_classes * config.images_per_class +
      config.num_validation_images + config.num_test_images, unit='images')

  train_xml = {}

  def fill_train(archive: tarfile.TarFile) -> None:
    for images in plan:
      class_members = {}
      for image in images:
        rng = np.random.default_rng([config.seed, _TRAIN_IMAGE_STREAM,
                                     image.class_index, image.number])
        width, height = _image_size(rng, config)
        data = encode_image(render_photo(rng, width, height), image.image_kind,
                            config.jpeg_quality)
        class_members[image.filename] = data
        tracker.update(1, len(data))
        if image.annotated:
          objects = [(image.synset, _normal_box(rng, width, height))
                     for _ in range(image.num_boxes)]
          if image.box_case:
            name = (_other_synset(image.synset, synsets, all_synsets)
                    if image.box_case == 'other_synset' else image.synset)
            objects.append((name, _case_box(image.box_case, rng, width, height)))
          train_xml['%s/%s.xml' % (image.synset, image.stem)] = annotation_xml(
              image.synset, image.stem, width, height, objects)
      add_tar_member(archive, '%s.tar' % images[0].synset, tar_bytes(class_members))

  validation_xml = {}

  def fill_validation(archive: tarfile.TarFile) -> None:
    for index, synset in enumerate(validation_labels):
      rng = np.random.default_rng([config.seed, _VALIDATION_IMAGE_STREAM, index])
      width, height = _image_size(rng, config)
      data = encode_image(render_photo(rng, width, height), None, config.jpeg_quality)
      filename = validation_filename(index)
      add_tar_member(archive, filename, data)
      tracker.update(1, len(data))
      num_boxes = 2 if rng.random() < _TWO_BOX_FRACTION else 1
      stem = os.path.splitext(filename)[0]
      validation_xml['val/%s.xml' % stem] = annotation_xml(
          'val', stem, width, height,
          [(synset, _normal_box(rng, width, height)) for _ in range(num_boxes)])

  def fill_test(archive: tarfile.TarFile) -> None:
    for index in range(config.num_test_images):
      rng = np.random.default_rng([config.seed, _TEST_IMAGE_STREAM, index])
      width, height = _image_size(rng, config)
      data = encode_image(render_photo(rng, width, height), None, config.jpeg_quality)
      add_tar_member(archive, test_filename(index), data)
      tracker.update(1, len(data))

  checksums = {
      TRAIN_TAR: _write_archive(path(TRAIN_TAR), fill_train),
      VALIDATION_TAR: _write_archive(path(VALIDATION_TAR), fill_validation),
  }
  if config.num_test_images:
    checksums[TEST_TAR] = _write_archive(path(TEST_TAR), fill_test)
  tracker.finish()
  for name, members in ((BBOX_TRAIN_TAR_GZ, train_xml),
                        (BBOX_VALIDATION_TGZ, validation_xml)):
    checksums[name] = _write_gzipped_tar(path(name), members)

  core.write_text(path(label_files.SYNSETS_FILE), ''.join('%s\n' % s for s in synsets))
  core.write_text(path(label_files.VALIDATION_LABELS_FILE),
                  ''.join('%s\n' % s for s in validation_labels))
  core.write_text(path(label_files.METADATA_FILE),
                  ''.join('%s\t%s\n' % pair for pair in zip(synsets, texts)))
  core.write_text(path(CHECKSUMS_FILE),
                  ''.join('%s  %s\n' % (checksums[name], name)
                          for name in sorted(checksums)))

  images = [image for class_images in plan for image in class_images]
  return Fixture(
      directory=output_dir,
      synsets=synsets,
      train_tar=path(TRAIN_TAR),
      validation_tar=path(VALIDATION_TAR),
      bbox_train_tar_gz=path(BBOX_TRAIN_TAR_GZ),
      bbox_validation_tgz=path(BBOX_VALIDATION_TGZ),
      synsets_file=path(label_files.SYNSETS_FILE),
      validation_labels_file=path(label_files.VALIDATION_LABELS_FILE),
      metadata_file=path(label_files.METADATA_FILE),
      checksums_file=path(CHECKSUMS_FILE),
      train_counts={images[0].synset: len(images) for images in plan},
      validation_labels=validation_labels,
      hard_cases={image.image_kind: image.filename
                  for image in images if image.image_kind},
      box_cases={image.box_case: '%s.xml' % image.stem
                 for image in images if image.box_case},
      test_tar=path(TEST_TAR) if config.num_test_images else None,
      num_test_images=config.num_test_images)
