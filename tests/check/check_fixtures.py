"""Shards written for the tests of inception.check, and the base class that checks them.

The shards are written here independently of the converter, from docs/FORMAT.md
("Records", "Shards", "Index files"), with tf.train.Example, tf.io.TFRecordWriter and
real JPEG bytes from PIL; the tests then do each kind of damage to a good output, and
the check must catch and name it.
"""

import io
import os

from absl.testing import absltest
from PIL import Image, ImageDraw
import tensorflow as tf

from inception import core
from inception import records
from inception.check import _directory
from inception.check import _expectations
from inception.check import _reports

SYNSETS = ['n00000011', 'n00000022', 'n00000033']
TEXTS = ['first class, one', 'second class', 'third class']
# split → records per shard, as the converter's plan cuts them (records.shard_ranges);
# train names carry their synset, validation names a number. A layout may add the
# unlabelled test split (TEST_LAYOUT).
LAYOUT = {'train': [3, 3], 'validation': [2, 3]}
NUM_VALIDATION = sum(LAYOUT['validation'])
TEST_LAYOUT = dict(LAYOUT, test=[2, 2])


def jpeg(width: int, height: int, seed: int, quality: int = 90,
         mode: str = 'RGB') -> bytes:
  """A small JPEG of a coloured ellipse, different for each seed."""
  image = Image.new('RGB', (width, height), (40 * seed % 256, 90, 200 - seed % 150))
  draw = ImageDraw.Draw(image)
  draw.ellipse((width // 4, height // 4, 3 * width // 4, 3 * height // 4),
               fill=(250, 200 - 10 * seed % 200, 30))
  buffer = io.BytesIO()
  image.convert(mode).save(buffer, format='JPEG', quality=quality)
  return buffer.getvalue()


def record_fields(split: str, number: int) -> dict:
  """The values of record `number` (counted across the split's shards)."""
  label = number % len(SYNSETS) + 1
  synset = SYNSETS[label - 1]
  width, height = 32 + (number * 7) % 33, 32 + (number * 5) % 33
  if split == 'train':
    filename = '%s_%d.JPEG' % (synset, number)
  else:
    filename = 'ILSVRC2012_val_%08d.JPEG' % (number + 1)
  boxes = [(0.1, 0.2, 0.8, 0.9)] if number % 2 == 0 else []
  if split == records.TEST:  # unlabelled: label 0, no synset, text or box
    filename, label, boxes = 'ILSVRC2012_test_%08d.JPEG' % (number + 1), 0, []
    synset = text = ''
  else:
    text = TEXTS[label - 1]
  return {
      'encoded': jpeg(width, height, number), 'height': height, 'width': width,
      'colorspace': b'RGB', 'channels': 3, 'format': b'JPEG',
      'filename': filename.encode(), 'label': label, 'synset': synset.encode(),
      'text': text.encode(), 'boxes': boxes, 'box_labels': None,
  }


def example(fields: dict, generic: bool = False) -> bytes:
  """The serialized tf.train.Example of `record_fields`' values."""
  def b(v):
    return tf.train.Feature(bytes_list=tf.train.BytesList(value=[v]))

  def i(v):
    return tf.train.Feature(int64_list=tf.train.Int64List(value=v))

  def f(v):
    return tf.train.Feature(float_list=tf.train.FloatList(value=v))

  feature = {
      'image/encoded': b(fields['encoded']),
      'image/height': i([fields['height']]),
      'image/width': i([fields['width']]),
      'image/colorspace': b(fields['colorspace']),
      'image/channels': i([fields['channels']]),
      'image/format': b(fields['format']),
      'image/filename': b(fields['filename']),
      'image/class/label': i([fields['label']]),
      'image/class/text': b(fields['text']),
  }
  if not generic:
    boxes = fields['boxes']
    feature['image/class/synset'] = b(fields['synset'])
    for n, key in enumerate(('xmin', 'ymin', 'xmax', 'ymax')):
      feature['image/object/bbox/' + key] = f([box[n] for box in boxes])
    box_labels = fields['box_labels']
    feature['image/object/bbox/label'] = i(
        box_labels if box_labels is not None else [fields['label']] * len(boxes))
  feature.update(fields.get('extra', {}))
  return tf.train.Example(features=tf.train.Features(feature=feature)).SerializeToString()


def write_output(directory: str, change=None, generic: bool = False,
                 index: bool = True, layout=None) -> None:
  """Writes shards (and index files) as the converter should; `change` edits fields."""
  for split, sizes in (layout or LAYOUT).items():
    number = 0
    for shard_index, size in enumerate(sizes):
      name = records.shard_name(split, shard_index, len(sizes))
      lines = []
      offset = 0
      with tf.io.TFRecordWriter(os.path.join(directory, name)) as writer:
        for record in range(size):
          fields = record_fields(split, number)
          if change:
            change(split, shard_index, record, fields)
          serialized = example(fields, generic)
          writer.write(serialized)
          lines.append('%d %d\n' % (offset, len(serialized) + 16))
          offset += len(serialized) + 16
          number += 1
      if index:
        os.makedirs(os.path.join(directory, 'index'), exist_ok=True)
        with open(core.index_path(directory, name), 'w') as f:
          f.writelines(lines)


class CheckTestBase(absltest.TestCase):
  """Label files for the shards of `write_output`, and checks of its directory."""

  def setUp(self):
    super().setUp()
    labels = self.create_tempdir('labels')
    self.synsets_file = labels.create_file(
        'synsets.txt', ''.join(s + '\n' for s in SYNSETS)).full_path
    self.metadata_file = labels.create_file(
        'metadata.txt', 'n00000001\tunused\n' + ''.join(
            '%s\t%s\n' % pair for pair in zip(SYNSETS, TEXTS))).full_path
    validation = [record_fields('validation', n)['synset'].decode()
                  for n in range(NUM_VALIDATION)]
    self.validation_labels_file = labels.create_file(
        'validation_labels.txt', ''.join(s + '\n' for s in validation)).full_path
    self.directory = self.create_tempdir('output').full_path

  def run_check(self, use_label_files: bool = True, expected_counts=None,
                **kwargs) -> _reports.CheckReport:
    """check_directory of this test's directory: one worker unless told otherwise,
    with the label files unless `use_label_files` is False."""
    label_paths = {}
    if use_label_files:
      label_paths = dict(synsets_file=self.synsets_file,
                         metadata_file=self.metadata_file,
                         validation_labels_file=self.validation_labels_file)
    kwargs.setdefault('workers', core.Workers(1))
    return _directory.check_directory(
        self.directory,
        expected=_expectations.Expected(counts=expected_counts, **label_paths),
        **kwargs)

  def assertFails(self, report: _reports.CheckReport, kind: str, *fragments: str) -> None:
    """Asserts a failure of `kind` whose text holds all `fragments`."""
    self.assertFalse(report.ok)
    texts = [str(f) for f in report.failures if f.kind == kind]
    self.assertTrue(any(all(x in t for x in fragments) for t in texts),
                    'no %s failure with %s in:\n%s' % (
                        kind, fragments, '\n'.join(map(str, report.failures))))

  def damage_file(self, name: str, edit) -> None:
    path = os.path.join(self.directory, name)
    with open(path, 'rb') as f:
      data = bytearray(f.read())
    data = edit(data)
    with open(path, 'wb') as f:
      f.write(bytes(data))
