"""One annotation XML → its CSV lines: the parsing and the box rules.

The rules of the original `process_bounding_boxes.py`, kept:
- coordinates are divided by the XML's `<size>` width and height;
- a box with min > max on an axis has the two swapped (a fix, counted, not a drop);
- coordinates are clamped to [0, 1];
- a box with xmin >= xmax or ymin >= ymax after clamping is dropped (checked on the
  unrounded values, as the original did);
- a box whose `<name>` is another synset than the image's is dropped. With a list of
  challenge synsets, only a name in that list counts as "another synset" (the train XMLs
  of some dog classes name a breed in words, e.g. `Scottish_deerhound`; such boxes are
  kept, as in the original). Without the list, any other name shaped like a WordNet id
  counts;
- the image name is the XML's basename with `.JPEG` (the XML's `<filename>` is noisy).

The image's synset is, in order: the entry for the image in `image_synsets` (validation
images, from the validation label file); the `nXXXXXXXX_` prefix of the file name (train
images); else, for a validation XML given without the label file, the synset most of its
boxes name (ties go to the one named first), so boxes that agree with each other are
kept and a stray box naming another synset is dropped.
"""

import collections
import dataclasses
import os
import re
from typing import FrozenSet, List, Mapping, NamedTuple, Optional, Tuple
import xml.etree.ElementTree as ElementTree

from inception.annotations import _boxes_csv

_WNID = re.compile(r'^n\d{8}$')
_WNID_PREFIX = re.compile(r'^(n\d{8})_')

# Reasons a whole file is not used (BoxStats.bad_files) and a box is dropped.
MALFORMED = 'malformed'
NO_SIZE = 'no size'
UNREADABLE = 'unreadable'
DUPLICATE = 'duplicate image name'
OTHER_SYNSET = 'other synset'
OUTSIDE_IMAGE = 'outside the image'
ZERO_AREA = 'zero area'


class RawBox(NamedTuple):
  """One `<object>` of an XML: its `<name>` and pixel coordinates as written."""
  name: Optional[str]
  xmin: float
  ymin: float
  xmax: float
  ymax: float


class Annotation(NamedTuple):
  """What one XML says: the image it is for, the image size and its boxes."""
  image_name: str
  width: float
  height: float
  boxes: List[RawBox]


class AnnotationError(ValueError):
  """An XML that cannot be used; `reason` is MALFORMED or NO_SIZE."""

  def __init__(self, message: str, reason: str = MALFORMED):
    super().__init__(message)
    self.reason = reason


@dataclasses.dataclass(frozen=True)
class BoxRules:
  """What decides a box's fate beyond geometry (see the module docstring); built once
  from the label files and sent once to each worker.

  Attributes:
    synsets: the challenge synsets (any iterable; kept as a frozenset). When given, an
      XML of an image of another synset is skipped and only a box naming another
      challenge synset is dropped.
    image_synsets: image file name → synset, for names without a wnid prefix
      (validation images: from the validation label file); kept as a dict of its own,
      an empty one as None.
  """
  synsets: Optional[FrozenSet[str]] = None
  image_synsets: Optional[Mapping[str, str]] = None

  def __post_init__(self):
    if self.synsets is not None:
      object.__setattr__(self, 'synsets', frozenset(self.synsets))
    object.__setattr__(self, 'image_synsets',
                       dict(self.image_synsets) if self.image_synsets else None)


def image_name_for_xml(xml_path: str) -> str:
  """`.../n01440764_10026.xml` → `n01440764_10026.JPEG`."""
  return os.path.splitext(os.path.basename(xml_path))[0] + '.JPEG'


def synset_from_image_name(image_name: str) -> Optional[str]:
  """The wnid prefix of a train image name (`n01440764_10026.JPEG`), else None."""
  match = _WNID_PREFIX.match(image_name)
  return match.group(1) if match else None


def _number(parent: ElementTree.Element, tag: str) -> Optional[float]:
  """The number in `parent/<tag>`, None when missing or not a finite number."""
  text = parent.findtext(tag)
  try:
    value = float(text)
  except (TypeError, ValueError):
    return None
  return value if value - value == 0 else None  # rejects inf and nan


def parse_annotation(xml_bytes: bytes, xml_path: str,
                     source: Optional[str] = None) -> Annotation:
  """Parses one annotation XML.

  Args:
    xml_bytes: the file's content.
    xml_path: its path (or name inside an archive); gives the image name.
    source: how to name the file in errors (default `xml_path`).

  Returns:
    The Annotation, boxes in the XML's order.

  Raises:
    AnnotationError: not well-formed XML, no usable `<size>` (reason NO_SIZE), or an
      `<object>` without four numeric `<bndbox>` coordinates.
  """
  source = source or xml_path
  try:
    root = ElementTree.fromstring(xml_bytes)
  except ElementTree.ParseError as e:
    raise AnnotationError('%s: not well-formed XML (%s)' % (source, e)) from None
  size = root.find('size')
  width = _number(size, 'width') if size is not None else None
  height = _number(size, 'height') if size is not None else None
  if not width or not height or width < 0 or height < 0:
    raise AnnotationError(
        '%s: no positive <size><width> and <height> (width %r, height %r)' %
        (source, None if size is None else size.findtext('width'),
         None if size is None else size.findtext('height')), NO_SIZE)
  boxes = []
  for index, element in enumerate(root.findall('object'), 1):
    name = (element.findtext('name') or '').strip() or None
    bndbox = element.find('bndbox')
    if bndbox is None:
      raise AnnotationError('%s: <object> %d has no <bndbox>' % (source, index))
    coordinates = [_number(bndbox, tag) for tag in ('xmin', 'ymin', 'xmax', 'ymax')]
    if None in coordinates:
      raise AnnotationError(
          '%s: <object> %d: <bndbox> needs numeric xmin, ymin, xmax, ymax' %
          (source, index))
    boxes.append(RawBox(name, *coordinates))
  return Annotation(image_name_for_xml(xml_path), width, height, boxes)


def normalize_box(raw: RawBox, width: float,
                  height: float) -> Tuple[_boxes_csv.Box, bool, bool, Optional[str]]:
  """Applies the geometry rules (docs/FORMAT.md, "Bounding boxes") to one box.

  Returns:
    (box relative to the image, swapped: min and max were inverted on an axis,
     clamped: a coordinate lay outside [0, 1], drop reason or None).
  """
  xmin, xmax = raw.xmin / width, raw.xmax / width
  ymin, ymax = raw.ymin / height, raw.ymax / height
  swapped = xmin > xmax or ymin > ymax
  xmin, xmax = min(xmin, xmax), max(xmin, xmax)
  ymin, ymax = min(ymin, ymax), max(ymin, ymax)
  outside = xmax <= 0.0 or ymax <= 0.0 or xmin >= 1.0 or ymin >= 1.0
  clamped = min(xmin, ymin) < 0.0 or max(xmax, ymax) > 1.0
  box = _boxes_csv.Box(*(min(max(v, 0.0), 1.0) for v in (xmin, ymin, xmax, ymax)))
  reason = None
  if box.xmin >= box.xmax or box.ymin >= box.ymax:
    reason = OUTSIDE_IMAGE if outside else ZERO_AREA
  return box, swapped, clamped, reason


def image_synset(annotation: Annotation, rules: BoxRules = BoxRules()) -> Optional[str]:
  """The synset the image belongs to (see the module docstring for the order)."""
  if rules.image_synsets and annotation.image_name in rules.image_synsets:
    return rules.image_synsets[annotation.image_name]
  from_name = synset_from_image_name(annotation.image_name)
  if from_name:
    return from_name
  named = [box.name for box in annotation.boxes if box.name and _WNID.match(box.name)]
  if not named:
    return None
  counts = collections.Counter(named)
  return max(counts, key=lambda name: (counts[name], -named.index(name)))


def _names_other_synset(name: Optional[str], synset: Optional[str],
                        synsets: Optional[FrozenSet[str]]) -> bool:
  if not name or synset is None or name == synset:
    return False
  return name in synsets if synsets is not None else bool(_WNID.match(name))


def select_boxes(annotation: Annotation,
                 rules: BoxRules = BoxRules()) -> Tuple[List[str], collections.Counter]:
  """The CSV lines of one annotation and the counts of what happened to its boxes.

  Counter keys: 'written', 'swapped', 'clamped', 'outside synsets' (the whole file is
  skipped: the image's synset is not a challenge synset), and one per drop reason.
  """
  counts = collections.Counter()
  synset = image_synset(annotation, rules)
  known = (synset_from_image_name(annotation.image_name) is not None or
           bool(rules.image_synsets and annotation.image_name in rules.image_synsets))
  if rules.synsets is not None and known and synset not in rules.synsets:
    counts['outside synsets'] += 1
    return [], counts
  lines = []
  for raw in annotation.boxes:
    if _names_other_synset(raw.name, synset, rules.synsets):
      counts[OTHER_SYNSET] += 1
      continue
    box, swapped, clamped, reason = normalize_box(raw, annotation.width,
                                                  annotation.height)
    if reason:
      counts[reason] += 1
      continue
    counts['swapped'] += swapped
    counts['clamped'] += clamped
    counts['written'] += 1
    lines.append(_boxes_csv.format_csv_line(annotation.image_name, box))
  return lines, counts
