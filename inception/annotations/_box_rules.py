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
# What select_boxes counts per file, in this order (box_lines' counts).
COUNT_KEYS = ('written', 'swapped', 'clamped', 'outside synsets', OTHER_SYNSET,
              OUTSIDE_IMAGE, ZERO_AREA)


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
  """`.../n01440764_10026.xml` → `n01440764_10026.JPEG`.

  What os.path.splitext(os.path.basename(...))[0] gives (its last extension off,
  unless only dots are before it), in a third of the time.
  """
  base = xml_path[xml_path.rfind('/') + 1:]
  stem, dot, _ = base.rpartition('.')
  return (stem if dot and stem.strip('.') else base) + '.JPEG'


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


# The common annotation, read by regular expressions instead of a tree (5x faster):
# elements without attributes, their text printable ASCII but '<', '>' and '&' (no
# entity, comment, CDATA or declaration), only white space between elements; under
# <annotation>, other elements (leaves, or of leaves), one <size> of <width>,
# <height> and maybe <depth>, then <object>s, each its <name> first, its other
# leaves, one <bndbox> of <xmin>, <ymin>, <xmax>, <ymax> in that order; the size
# and the coordinates decimal numbers (digits, maybe a '-' and a fraction). Such a
# document is well-formed XML, and ElementTree would give the same values; any other
# is parsed by ElementTree (tests/annotations/box_rules_test.py compares the two).
_SPACE = r'[ \t\n\r]*'
_TEXT = r"[\t\n -%'-;=?-~]*"
_NAME = r'[A-Za-z_][A-Za-z0-9_.-]*'
_DECIMAL = r'-?[0-9]+(?:\.[0-9]+)?'


def _leaf(group: str, excluded: str = '') -> str:
  """An element with text only, not named `excluded` ('a|b')."""
  avoid = '(?!(?:%s)>)' % excluded if excluded else ''
  return r'<%s(?P<%s>%s)>%s</(?P=%s)>' % (avoid, group, _NAME, _TEXT, group)


def _other(group: str) -> str:
  """An element of the root but <size> and <object>: a leaf, or one of leaves."""
  return r'(?:%s|<(?!(?:size|object)>)(?P<%s>%s)>%s(?:%s%s)*</(?P=%s)>)%s' % (
      _leaf(group + '_leaf', 'size|object'), group, _NAME, _SPACE,
      _leaf(group + '_child'), _SPACE, group, _SPACE)


def _object(group: str) -> str:
  """One <object>, its name and coordinates captured."""
  return (r'<object>{s}<name>(?P<{g}_name>{t})</name>{s}(?:{before}{s})*<bndbox>{s}'
          r'<xmin>(?P<{g}_xmin>{d})</xmin>{s}<ymin>(?P<{g}_ymin>{d})</ymin>{s}'
          r'<xmax>(?P<{g}_xmax>{d})</xmax>{s}<ymax>(?P<{g}_ymax>{d})</ymax>{s}'
          r'</bndbox>{s}(?:{after}{s})*</object>{s}').format(
              g=group, s=_SPACE, t=_TEXT, d=_DECIMAL,
              before=_leaf(group + '_before', 'bndbox'),
              after=_leaf(group + '_after'))


_COMMON_OBJECT = re.compile(_object('object').encode('ascii'))
_OBJECT_FIELDS = ('name', 'xmin', 'ymin', 'xmax', 'ymax')
_OBJECT_GROUPS = tuple('object_' + field for field in _OBJECT_FIELDS)
_IN_OBJECT_GROUPS = tuple('in_' + field for field in _OBJECT_FIELDS)
_COMMON_ANNOTATION = re.compile((
    r'{s}<annotation>{s}(?:{first})*<size>{s}<width>(?P<width>{d})</width>{s}'
    r'<height>(?P<height>{d})</height>{s}(?:<depth>{t}</depth>{s})?</size>{s}'
    r'(?:{second})*(?P<objects>(?:{object})*)(?:{third})*</annotation>{s}').format(
        s=_SPACE, t=_TEXT, d=_DECIMAL, first=_other('first'), second=_other('second'),
        third=_other('third'),
        object=_object('in')).encode('ascii'))


def _common_annotation(xml_bytes: bytes, xml_path: str) -> Optional[Annotation]:
  """The Annotation of a common, usable XML (above); None for any other."""
  match = _COMMON_ANNOTATION.fullmatch(xml_bytes)
  if match is None:
    return None
  width, height = float(match['width']), float(match['height'])
  if width <= 0 or height <= 0:
    return None
  start, end = match.span('objects')
  if xml_bytes.count(b'<object>', start, end) == 1:  # Most: its groups are here.
    objects = [match.group(*_IN_OBJECT_GROUPS)]
  else:
    objects = [found.group(*_OBJECT_GROUPS)
               for found in _COMMON_OBJECT.finditer(xml_bytes, start, end)]
  boxes = [RawBox(name.strip().decode('ascii') or None, float(xmin), float(ymin),
                  float(xmax), float(ymax))
           for name, xmin, ymin, xmax, ymax in objects]
  return Annotation(image_name_for_xml(xml_path), width, height, boxes)


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
  common = _common_annotation(xml_bytes, xml_path)
  return common if common is not None else _tree_annotation(xml_bytes, xml_path,
                                                            source)


def _tree_annotation(xml_bytes: bytes, xml_path: str,
                     source: Optional[str] = None) -> Annotation:
  """parse_annotation by ElementTree: any XML, the errors named."""
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


def _clamped(value: float) -> float:
  """`value` clamped to [0, 1] (min(max(value, 0.0), 1.0), a -0.0 kept as it)."""
  return 0.0 if value < 0.0 else 1.0 if value > 1.0 else value


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
  # min() and max() of the pair, as the original (a tie gives the first: -0.0, 0.0).
  if xmin >= xmax:
    xmin, xmax = (xmax, xmin) if xmin > xmax else (xmin, xmin)
  if ymin >= ymax:
    ymin, ymax = (ymax, ymin) if ymin > ymax else (ymin, ymin)
  outside = xmax <= 0.0 or ymax <= 0.0 or xmin >= 1.0 or ymin >= 1.0
  clamped = xmin < 0.0 or ymin < 0.0 or xmax > 1.0 or ymax > 1.0
  box = _boxes_csv.Box(_clamped(xmin), _clamped(ymin), _clamped(xmax), _clamped(ymax))
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

  Counter keys: COUNT_KEYS ('written', 'swapped', 'clamped', 'outside synsets': the
  whole file is skipped, the image's synset is not a challenge synset; one per drop
  reason), those of zero left out.
  """
  lines, counts = box_lines(annotation, rules)
  return lines, collections.Counter(
      {key: count for key, count in zip(COUNT_KEYS, counts) if count})


def box_lines(annotation: Annotation,
              rules: BoxRules = BoxRules()) -> Tuple[List[str], List[int]]:
  """select_boxes' lines, and its counts as a list in COUNT_KEYS order (what the
  workers keep per file)."""
  image_name = annotation.image_name
  from_name = synset_from_image_name(image_name)
  labelled = bool(rules.image_synsets) and image_name in rules.image_synsets
  synset = (rules.image_synsets[image_name] if labelled else
            from_name or image_synset(annotation, rules))
  if (rules.synsets is not None and (from_name is not None or labelled) and
      synset not in rules.synsets):
    return [], [0, 0, 0, 1, 0, 0, 0]
  lines = []
  written = swapped = clamped = 0
  dropped = {OTHER_SYNSET: 0, OUTSIDE_IMAGE: 0, ZERO_AREA: 0}
  for raw in annotation.boxes:
    if _names_other_synset(raw.name, synset, rules.synsets):
      dropped[OTHER_SYNSET] += 1
      continue
    box, was_swapped, was_clamped, reason = normalize_box(raw, annotation.width,
                                                          annotation.height)
    if reason:
      dropped[reason] += 1
      continue
    swapped += was_swapped
    clamped += was_clamped
    written += 1
    lines.append(_boxes_csv.format_csv_line(image_name, box))
  return lines, [written, swapped, clamped, 0, dropped[OTHER_SYNSET],
                 dropped[OUTSIDE_IMAGE], dropped[ZERO_AREA]]
