"""The bounding-box CSV (docs/FORMAT.md, "Bounding boxes"): one line per box, and back.

CSV line per box: `<image file name>,<xmin>,<ymin>,<xmax>,<ymax>`, coordinates relative
to the image size in [0, 1], 4 decimals, e.g.
`n00007846_64193.JPEG,0.0060,0.0886,0.8040,0.9990`.
"""

import collections
from typing import Dict, List, NamedTuple

from inception import core


class Box(NamedTuple):
  """One box in relative coordinates, in the CSV's column order."""
  xmin: float
  ymin: float
  xmax: float
  ymax: float


def format_csv_line(image_name: str, box: Box) -> str:
  """`name,xmin,ymin,xmax,ymax` with 4 decimals, no newline."""
  return '%s,%.4f,%.4f,%.4f,%.4f' % ((image_name,) + box)


def parse_csv_line(line: str, source: str = 'bounding box file',
                   line_number: int = 0) -> (str, Box):
  """Parses one CSV line into (image file name, Box)."""
  parts = line.strip().split(',')
  if len(parts) != 5:
    raise ValueError('%s line %d: expected "file,xmin,ymin,xmax,ymax", got %r' %
                     (source, line_number, line))
  try:
    box = Box(*(float(v) for v in parts[1:]))
  except ValueError:
    raise ValueError('%s line %d: coordinates are not numbers: %r' %
                     (source, line_number, line)) from None
  return parts[0], box


def read_boxes_csv(path: str) -> Dict[str, List[Box]]:
  """Reads a bounding-box CSV into {image file name: [Box, ...]} in file order."""
  boxes = collections.defaultdict(list)
  with core.open_file(path, 'r') as f:
    for line_number, line in enumerate(f, 1):
      if line.strip():
        filename, box = parse_csv_line(line, path, line_number)
        boxes[filename].append(box)
  return dict(boxes)
