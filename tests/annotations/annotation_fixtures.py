"""Annotation XMLs for the tests of inception.annotations: hand-written hard cases
with their CSV worked out by hand, many generated ones, and trees, tarballs and zips of
them.
"""

import array
import io
import itertools
import os
import tarfile
import zipfile

from inception.annotations import _xml_chunks

TENCH = 'n01440764'
GOLDFISH = 'n01443537'
SYNSETS = [TENCH, GOLDFISH]


def xml(width, height, objects, size=True):
  """A hand-written annotation; objects are (name, xmin, ymin, xmax, ymax)."""
  parts = ['<annotation>\n\t<folder>x</folder>\n\t<filename>%s</filename>\n']
  if size:
    parts.append('\t<size>\n\t\t<width>%d</width>\n\t\t<height>%d</height>\n'
                 '\t\t<depth>3</depth>\n\t</size>\n' % (width, height))
  for name, xmin, ymin, xmax, ymax in objects:
    parts.append('\t<object>\n\t\t<name>%s</name>\n\t\t<bndbox>\n'
                 '\t\t\t<xmin>%s</xmin>\n\t\t\t<ymin>%s</ymin>\n'
                 '\t\t\t<xmax>%s</xmax>\n\t\t\t<ymax>%s</ymax>\n'
                 '\t\t</bndbox>\n\t</object>\n' % (name, xmin, ymin, xmax, ymax))
  parts.append('</annotation>\n')
  return ''.join(parts).encode()


# Every hard case, worked out by hand below (path → bytes).
HAND_XMLS = {
    # 200 x 100: one box of each kind.
    'n01440764/n01440764_10.xml': xml(200, 100, [
        (TENCH, 20, 10, 120, 90),  # normal: 0.1 0.1 0.6 0.9
        (TENCH, 150, 80, 50, 20),  # inverted: swapped to 0.25 0.2 0.75 0.8
        (TENCH, -10, 50, 250, 120),  # outside: clamped to 0 0.5 1 1
        (TENCH, 60, 10, 60, 90),  # degenerate: xmin == xmax, dropped
        (GOLDFISH, 10, 10, 100, 50),  # another challenge synset: dropped
        ('Scottish_deerhound', 0, 0, 100, 50),  # a name in words: kept, 0 0 0.5 0.5
        (TENCH, 210, 10, 300, 50),  # entirely right of the image: dropped
    ]),
    # 400 x 300: a normal box and one naming a wnid that is not a challenge synset.
    'n01443537/n01443537_7.xml': xml(400, 300, [
        (GOLDFISH, 100, 30, 300, 270),  # 0.25 0.1 0.75 0.9
        ('n09999999', 40, 60, 80, 120),  # 0.1 0.2 0.2 0.4, kept only with synsets
    ]),
    'n01440764/n01440764_20.xml': xml(0, 0, [(TENCH, 1, 1, 5, 5)], size=False),
    'n01443537/n01443537_9.xml': b'<annotation><size><width>10</width>',
    # A v3 validation XML (no wnid in the name), 500 x 250. The odd box comes first:
    # the majority, not the first, decides when no label file is given.
    'val/ILSVRC2012_val_00000003.xml': xml(500, 250, [
        (TENCH, 0, 0, 250, 125),  # dropped: the image is a goldfish
        (GOLDFISH, 50, 25, 450, 225),  # 0.1 0.1 0.9 0.9
        (GOLDFISH, 100, 50, 200, 100),  # 0.2 0.2 0.4 0.4
    ]),
}
VALIDATION_LABELS = {'ILSVRC2012_val_00000003.JPEG': GOLDFISH}

GOLDEN_CSV = """\
ILSVRC2012_val_00000003.JPEG,0.1000,0.1000,0.9000,0.9000
ILSVRC2012_val_00000003.JPEG,0.2000,0.2000,0.4000,0.4000
n01440764_10.JPEG,0.1000,0.1000,0.6000,0.9000
n01440764_10.JPEG,0.2500,0.2000,0.7500,0.8000
n01440764_10.JPEG,0.0000,0.5000,1.0000,1.0000
n01440764_10.JPEG,0.0000,0.0000,0.5000,0.5000
n01443537_7.JPEG,0.2500,0.1000,0.7500,0.9000
n01443537_7.JPEG,0.1000,0.2000,0.2000,0.4000
"""


def write_tree(directory, files):
  for name, data in files.items():
    path = os.path.join(directory, name)
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, 'wb') as f:
      f.write(data)
  return directory


def write_tarball(path, files, mode='w:gz', in_given_order=False):
  with tarfile.open(path, mode) as archive:
    for name, data in (files.items() if in_given_order else sorted(files.items())):
      info = tarfile.TarInfo(name)
      info.size = len(data)
      archive.addfile(info, io.BytesIO(data))
  return path


def write_zip(path, files, folder):
  """A deflated zip of `files` under `folder`, and a text file beside that folder."""
  with zipfile.ZipFile(path, 'w', compression=zipfile.ZIP_DEFLATED) as archive:
    for name, data in sorted(files.items()):
      archive.writestr(folder + '/' + name, data)
    archive.writestr('outside/n01440764/n01440764_99.xml', b'<not read/>')
  return path


def read(path):
  with open(path) as f:
    return f.read()


def many_xmls(count):
  """`count` plain train XMLs over 3 classes, some with bad boxes."""
  files = {}
  for i in range(count):
    synset = SYNSETS[i % 2] if i % 3 else 'n02000000'
    objects = [(synset, i % 50, i % 40, 60 + i % 90, 50 + i % 70)]
    if i % 7 == 0:
      objects.append((synset, 90, 80, 10, 5))  # inverted
    if i % 11 == 0:
      objects.append((SYNSETS[0], 1, 2, 3, 4))  # another synset for most
    files['%s/%s_%d.xml' % (synset, synset, i)] = xml(160 + i % 13, 120, objects)
  return files


def chunk_of(files, number=0, source_index=0, prefix=''):
  """The pool's task for `files` (name → bytes, in the given order), XMLs inline."""
  data = list(files.values())
  ends = array.array('Q', itertools.accumulate(len(xml_bytes) for xml_bytes in data))
  return _xml_chunks.Chunk(number, source_index, _xml_chunks.SEPARATOR.join(files),
                           prefix, b''.join(data), ends)
