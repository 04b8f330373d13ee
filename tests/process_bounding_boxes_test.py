"""Tests the process_bounding_boxes binary as users run it: the built binary, from
another working directory, with relative paths and a user's environment."""

import os
import re
import tarfile
from typing import Dict, List
import xml.etree.ElementTree as ElementTree

from absl.testing import absltest

from inception import demo

from tests import binaries

_BINARY = 'process_bounding_boxes'
_CONFIG = demo.Config(num_classes=2, images_per_class=5,
                               num_validation_images=2, min_side=32, max_side=48)
_CSV_LINE = re.compile(r'^(n\d{8}_\d+\.JPEG),(\d\.\d{4}),(\d\.\d{4}),(\d\.\d{4}),'
                       r'(\d\.\d{4})$')
_FILES_LINE = re.compile(r'^XML files read: (\d+) \(bad: (\d+)(?: = [^;]*)?; outside '
                         r'the synsets: (\d+)\)$')
_BOXES_LINE = re.compile(r'^Boxes written: (\d+) for (\d+) images \(inverted min/max '
                         r'swapped: (\d+), clamped to the image: (\d+)\)$')
_DROPPED_LINE = re.compile(r'^Boxes dropped: (\d+)(?: \((.*)\))?$')


def _xml_members(tarball: str) -> Dict[str, bytes]:
  """{member name: bytes} of the .xml files of a tar.gz."""
  with tarfile.open(tarball, 'r:gz') as archive:
    return {member.name: archive.extractfile(member).read()
            for member in archive.getmembers()
            if member.isfile() and member.name.endswith('.xml')}


def _read_lines(path: str) -> List[str]:
  with open(path) as f:
    return f.read().splitlines()


class ProcessBoundingBoxesBinaryTest(absltest.TestCase):

  def test_mini_imagenet_train_boxes(self):
    cwd = self.create_tempdir('user').full_path
    fixture = demo.generate(os.path.join(cwd, 'mini'), _CONFIG)
    self.assertCountEqual(fixture.box_cases, demo.BOX_CASE_KINDS)
    result = binaries.run(_BINARY, ['--xml_source=mini/ILSVRC2012_bbox_train_v2.tar.gz',
                   '--synsets_file=mini/imagenet_lsvrc_2015_synsets.txt',
                   '--output_file=raw-data/boxes.csv'], cwd)
    self.assertEqual(result.returncode, 0, result.stderr[-3000:])

    # The CSV: sorted by image, one well-formed line per box, inside the image.
    output = os.path.join(cwd, 'raw-data', 'boxes.csv')
    self.assertEqual(os.listdir(os.path.dirname(output)), ['boxes.csv'])
    lines = _read_lines(output)
    self.assertNotEmpty(lines)
    rows = []
    for line in lines:
      match = _CSV_LINE.match(line)
      self.assertIsNotNone(match, 'malformed CSV line %r' % line)
      xmin, ymin, xmax, ymax = (float(v) for v in match.groups()[1:])
      for value in (xmin, ymin, xmax, ymax):
        self.assertBetween(value, 0.0, 1.0)
      self.assertLess(xmin, xmax, line)
      self.assertLess(ymin, ymax, line)
      rows.append((match.group(1), (xmin, ymin, xmax, ymax)))
    names = [name for name, _ in rows]
    self.assertEqual(names, sorted(names))
    xmls = _xml_members(fixture.bbox_train_tar_gz)
    xml_images = {os.path.basename(name)[:-len('.xml')] + '.JPEG' for name in xmls}
    self.assertContainsSubset(set(names), xml_images)
    boxes_of = {name: [box for n, box in rows if n == name] for name in names}

    # The printed counts agree with the tarball and with the CSV.
    stdout = result.stdout.splitlines()
    self.assertLen(stdout, 4, result.stdout)
    files = _FILES_LINE.match(stdout[0])
    boxes = _BOXES_LINE.match(stdout[1])
    dropped = _DROPPED_LINE.match(stdout[2])
    self.assertTrue(files and boxes and dropped, result.stdout)
    self.assertEqual([int(v) for v in files.groups()], [len(xmls), 0, 0])
    self.assertEqual([int(v) for v in boxes.groups()], [len(lines), len(boxes_of), 1, 1])
    dropped_by_reason = dict(
        (' '.join(item.split()[:-1]), int(item.split()[-1]))
        for item in (dropped.group(2) or '').split(', ') if item)
    # The fixture's degenerate box has zero area; its other_synset box names the other
    # class, which the synsets file lists.
    self.assertEqual(dropped_by_reason, {'zero area': 1, 'other synset': 1})
    self.assertEqual(int(dropped.group(1)), 2)
    num_objects = sum(len(ElementTree.fromstring(data).findall('object'))
                      for data in xmls.values())
    self.assertEqual(num_objects, len(lines) + 2)
    self.assertEqual(stdout[3], 'Wrote %s' % os.path.join(os.path.realpath(cwd),
                                                          'raw-data', 'boxes.csv'))

    # Each bad-box case ends as docs/FORMAT.md ("Bounding boxes") says: repaired or
    # dropped, the image's own normal box kept.
    image = lambda kind: fixture.box_cases[kind][:-len('.xml')] + '.JPEG'
    self.assertLen(boxes_of[image('degenerate')], 1)
    self.assertLen(boxes_of[image('other_synset')], 1)
    self.assertLen(boxes_of[image('outside')], 2)
    xmin, _, xmax, ymax = boxes_of[image('outside')][1]
    self.assertEqual((xmin, xmax, ymax), (0.0, 1.0, 1.0))
    inverted_xml = next(data for name, data in xmls.items()
                        if name.endswith('/' + fixture.box_cases['inverted']))
    root = ElementTree.fromstring(inverted_xml)
    width, height = (float(root.findtext('size/' + tag)) for tag in ('width', 'height'))
    x0, y0, x1, y1 = (float(root.findall('object')[1].findtext('bndbox/' + tag))
                      for tag in ('xmin', 'ymin', 'xmax', 'ymax'))
    self.assertGreater(x0, x1)
    self.assertGreater(y0, y1)
    expected = tuple(float('%.4f' % v) for v in (x1 / width, y1 / height,
                                                  x0 / width, y0 / height))
    self.assertEqual(boxes_of[image('inverted')][1], expected)

  def test_strict_malformed_xml_fails_and_keeps_the_old_csv(self):
    cwd = self.create_tempdir('user').full_path
    good = os.path.join(cwd, 'xml', 'n01440764', 'n01440764_10.xml')
    bad = os.path.join(cwd, 'xml', 'n01440764', 'n01440764_11.xml')
    os.makedirs(os.path.dirname(good))
    with open(good, 'wb') as f:
      f.write(demo.annotation_xml('n01440764', 'n01440764_10', 40, 30,
                                           [('n01440764', (2, 3, 30, 20))]))
    with open(bad, 'w') as f:
      f.write('<annotation><size><width>40</width>')  # cut short: not well-formed
    os.makedirs(os.path.join(cwd, 'out'))
    old_csv = os.path.join(cwd, 'out', 'boxes.csv')
    old_content = 'n01440764_1.JPEG,0.1000,0.2000,0.3000,0.4000\n'
    with open(old_csv, 'w') as f:
      f.write(old_content)

    result = binaries.run(_BINARY, ['--xml_source=xml', '--strict', '--output_file=out/boxes.csv'], cwd)
    self.assertNotEqual(result.returncode, 0)
    self.assertIn(os.path.join(os.path.realpath(cwd), 'xml', 'n01440764',
                               'n01440764_11.xml') + ': not well-formed XML',
                  result.stderr)
    self.assertNotIn('Wrote', result.stdout)
    with open(old_csv) as f:
      self.assertEqual(f.read(), old_content)
    self.assertEqual(os.listdir(os.path.join(cwd, 'out')), ['boxes.csv'])


if __name__ == '__main__':
  absltest.main()
