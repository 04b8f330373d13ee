"""Tests for inception.check.

The shards are written here, independently of the converter, from SPEC §2 with
tf.train.Example and tf.io.TFRecordWriter and real JPEG bytes from PIL; then each kind
of damage is done to a good output and must be caught and named.
"""

import io
import json
import os

from absl.testing import absltest
from PIL import Image, ImageDraw
import tensorflow as tf

from inception import core
from inception import records
from inception.check import _checker

_SYNSETS = ['n00000011', 'n00000022', 'n00000033']
_TEXTS = ['first class, one', 'second class', 'third class']
# split → records per shard; train names carry their synset, validation names a number.
_LAYOUT = {'train': [3, 3], 'validation': [2, 1]}


def _jpeg(width: int, height: int, seed: int, quality: int = 90,
          mode: str = 'RGB') -> bytes:
  image = Image.new('RGB', (width, height), (40 * seed % 256, 90, 200 - seed % 150))
  draw = ImageDraw.Draw(image)
  draw.ellipse((width // 4, height // 4, 3 * width // 4, 3 * height // 4),
               fill=(250, 200 - 10 * seed % 200, 30))
  buffer = io.BytesIO()
  image.convert(mode).save(buffer, format='JPEG', quality=quality)
  return buffer.getvalue()


def _record_fields(split: str, number: int) -> dict:
  """The values of record `number` (counted across the split's shards)."""
  label = number % len(_SYNSETS) + 1
  synset = _SYNSETS[label - 1]
  width, height = 32 + (number * 7) % 33, 32 + (number * 5) % 33
  if split == 'train':
    filename = '%s_%d.JPEG' % (synset, number)
  else:
    filename = 'ILSVRC2012_val_%08d.JPEG' % (number + 1)
  boxes = [(0.1, 0.2, 0.8, 0.9)] if number % 2 == 0 else []
  return {
      'encoded': _jpeg(width, height, number), 'height': height, 'width': width,
      'colorspace': b'RGB', 'channels': 3, 'format': b'JPEG',
      'filename': filename.encode(), 'label': label, 'synset': synset.encode(),
      'text': _TEXTS[label - 1].encode(), 'boxes': boxes, 'box_labels': None,
  }


def _example(fields: dict, generic: bool = False) -> bytes:
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


def _write_output(directory: str, change=None, generic: bool = False,
                  index: bool = True, layout=None) -> None:
  """Writes shards (and index files) as the converter should; `change` edits fields."""
  for split, sizes in (layout or _LAYOUT).items():
    number = 0
    for shard_index, size in enumerate(sizes):
      name = _checker.format_shard_name(split, shard_index, len(sizes))
      lines = []
      offset = 0
      with tf.io.TFRecordWriter(os.path.join(directory, name)) as writer:
        for record in range(size):
          fields = _record_fields(split, number)
          if change:
            change(split, shard_index, record, fields)
          serialized = _example(fields, generic)
          writer.write(serialized)
          lines.append('%d %d\n' % (offset, len(serialized) + 16))
          offset += len(serialized) + 16
          number += 1
      if index:
        os.makedirs(os.path.join(directory, 'index'), exist_ok=True)
        with open(_checker.index_path(directory, name), 'w') as f:
          f.writelines(lines)


class CheckTestBase(absltest.TestCase):

  def setUp(self):
    super().setUp()
    labels = self.create_tempdir('labels')
    self.synsets_file = labels.create_file(
        'synsets.txt', ''.join(s + '\n' for s in _SYNSETS)).full_path
    self.metadata_file = labels.create_file(
        'metadata.txt', 'n00000001\tunused\n' + ''.join(
            '%s\t%s\n' % pair for pair in zip(_SYNSETS, _TEXTS))).full_path
    validation = [_record_fields('validation', n)['synset'].decode() for n in range(3)]
    self.validation_labels_file = labels.create_file(
        'validation_labels.txt', ''.join(s + '\n' for s in validation)).full_path
    self.directory = self.create_tempdir('output').full_path

  def run_check(self, use_label_files: bool = True, **kwargs) -> _checker.CheckReport:
    if use_label_files:
      kwargs.setdefault('synsets_file', self.synsets_file)
      kwargs.setdefault('metadata_file', self.metadata_file)
      kwargs.setdefault('validation_labels_file', self.validation_labels_file)
    kwargs.setdefault('num_workers', 1)
    return _checker.check_directory(self.directory, **kwargs)

  def assertFails(self, report: _checker.CheckReport, kind: str, *fragments: str) -> None:
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


class GoodOutputTest(CheckTestBase):

  def test_good_output_passes_with_counts_and_reports(self):
    _write_output(self.directory)
    report = self.run_check(expected_counts={'train': 6, 'validation': 3})
    self.assertTrue(report.ok, '\n'.join(map(str, report.failures)))
    self.assertEqual(report.schema, _checker.IMAGENET_SCHEMA)
    self.assertEqual(report.splits['train'].num_records, 6)
    self.assertEqual(report.splits['train'].class_counts, {1: 2, 2: 2, 3: 2})
    self.assertEqual(report.splits['validation'].shard_records, [2, 1])
    self.assertEqual(report.splits['train'].num_boxes, 3)
    self.assertEqual(report.splits['validation'].num_decoded, 3)
    self.assertEqual(report.class_names[2], 'n00000022 second class')

    with open(report.report_files['json']) as f:
      data = json.load(f)
    self.assertTrue(data['ok'])
    self.assertEqual(data['splits']['train']['class_counts'], {'1': 2, '2': 2, '3': 2})
    self.assertEqual(data['splits']['validation']['expected_source'], 'flag')
    with open(report.report_files['markdown']) as f:
      markdown = f.read()
    self.assertIn('PASSED', markdown)
    self.assertIn('| train | 2 | 6 | 6 | flag | 3 |', markdown)
    for key in ('class_histogram', 'contact_sheet'):
      with Image.open(report.report_files[key]) as image:
        image.load()
        self.assertEqual(image.format, 'PNG')
        self.assertGreater(image.width, 200)
        self.assertGreater(image.height, 100)
        # Something is drawn: not a blank page.
        self.assertGreater(len(image.convert('L').getcolors(256 * 256) or []), 3)
    report_dir = os.path.dirname(report.report_files['json'])
    self.assertEqual(report_dir, os.path.join(self.directory, 'check_report'))
    for name in os.listdir(report_dir):
      self.assertFalse(name.startswith(('train-', 'validation-')), name)

  def test_parallel_check_gives_the_same_report(self):
    _write_output(self.directory)
    serial = self.run_check(report_dir=self.create_tempdir('serial').full_path)
    parallel = self.run_check(num_workers=2,
                          report_dir=self.create_tempdir('parallel').full_path)
    self.assertTrue(parallel.ok, '\n'.join(map(str, parallel.failures)))
    for name in (_checker.REPORT_JSON, _checker.REPORT_MARKDOWN, _checker.CONTACT_SHEET_PNG,
                 _checker.CLASS_HISTOGRAM_PNG):
      with open(os.path.join(os.path.dirname(serial.report_files['json']), name),
                'rb') as a, open(os.path.join(
                    os.path.dirname(parallel.report_files['json']), name), 'rb') as b:
        self.assertEqual(a.read(), b.read(), name)

  def test_without_label_files_checks_consistency_only(self):
    _write_output(self.directory)
    self.assertTrue(self.run_check(use_label_files=False).ok)

  def test_generic_schema_passes(self):
    _write_output(self.directory, generic=True)
    report = self.run_check()
    self.assertTrue(report.ok, '\n'.join(map(str, report.failures)))
    self.assertEqual(report.schema, _checker.GENERIC_SCHEMA)

  def test_sample_fraction_decodes_a_share(self):
    _write_output(self.directory)
    none = self.run_check(sample_fraction=0.0)
    self.assertTrue(none.ok)
    self.assertEqual(sum(s.num_decoded for s in none.splits.values()), 0)
    everything = self.run_check(sample_fraction=1.0)
    self.assertEqual(sum(s.num_decoded for s in everything.splits.values()), 9)

  def test_missing_directory_raises(self):
    with self.assertRaisesRegex(FileNotFoundError, 'nowhere'):
      _checker.check_directory(os.path.join(self.directory, 'nowhere'))


class DamageTest(CheckTestBase):

  def test_flipped_byte_in_a_record(self):
    _write_output(self.directory)
    name = 'train-00001-of-00002'
    with open(_checker.index_path(self.directory, name)) as f:
      offset = int(f.read().splitlines()[1].split()[0])

    def flip(data):
      data[offset + 12 + 40] ^= 0x10
      return data

    self.damage_file(name, flip)
    report = self.run_check()
    self.assertFails(report, _checker.FRAMING, name + ' record 1', 'corrupted record',
                     'byte offset %d' % offset)

  def test_truncated_shard(self):
    _write_output(self.directory)
    self.damage_file('train-00000-of-00002', lambda data: data[:-30])
    report = self.run_check(expected_counts={'train': 6})
    self.assertFails(report, _checker.FRAMING, 'train-00000-of-00002 record 2',
                     'truncated record')
    self.assertFails(report, _checker.COUNT, 'train', '5 records, expected 6')

  def test_partial_record_header_at_the_end(self):
    _write_output(self.directory)
    self.damage_file('validation-00000-of-00002', lambda data: data + b'\x05\x00\x00')
    report = self.run_check()
    self.assertFails(report, _checker.FRAMING, 'validation-00000-of-00002 record 2',
                     '3 bytes after the last complete record')

  def test_missing_shard(self):
    _write_output(self.directory)
    os.remove(os.path.join(self.directory, 'validation-00001-of-00002'))
    report = self.run_check()
    self.assertFails(report, _checker.SHARD_NAMES, '1 of 2 shards missing',
                     'validation-00001-of-00002')
    self.assertFails(report, _checker.INDEX, 'validation-00001-of-00002.idx')

  def test_wrong_label_synset_pair(self):
    def change(split, shard, record, fields):
      if (split, shard, record) == ('train', 0, 1):
        fields['synset'] = _SYNSETS[2].encode()
        fields['filename'] = b'x.JPEG'

    _write_output(self.directory, change)
    self.assertFails(self.run_check(), _checker.LABEL, 'train-00000-of-00002 record 1',
                     'label 2 is n00000022', 'n00000033')
    # Without the label files the pair still disagrees with the rest of the output.
    self.assertFails(self.run_check(use_label_files=False), _checker.LABEL, 'label 2',
                     'several classes')

  def test_wrong_text_and_validation_label(self):
    def change(split, shard, record, fields):
      if (split, shard, record) == ('validation', 0, 0):
        fields['text'] = b'something else'
      if (split, shard, record) == ('validation', 1, 0):
        fields['label'], fields['synset'] = 1, _SYNSETS[0].encode()
        fields['text'] = _TEXTS[0].encode()

    _write_output(self.directory, change)
    report = self.run_check()
    self.assertFails(report, _checker.LABEL, 'validation-00000-of-00002 record 0',
                     "'something else'")
    self.assertFails(report, _checker.LABEL, 'validation-00001-of-00002 record 0',
                     'ILSVRC2012_val_00000003.JPEG is n00000033')

  def test_bad_boxes(self):
    def change(split, shard, record, fields):
      if (split, shard, record) == ('train', 0, 0):
        fields['boxes'] = [(0.9, 0.2, 0.3, 0.8)]
      if (split, shard, record) == ('train', 0, 2):
        fields['boxes'] = [(0.1, 0.2, 1.5, 0.8)]
      if (split, shard, record) == ('train', 1, 1):  # label 2, one box
        fields['box_labels'] = [3]

    _write_output(self.directory, change)
    report = self.run_check()
    self.assertFails(report, _checker.BOX, 'train-00000-of-00002 record 0', 'min < max')
    self.assertFails(report, _checker.BOX, 'train-00000-of-00002 record 2', 'within [0, 1]')
    self.assertFails(report, _checker.BOX, 'train-00001-of-00002 record 1',
                     'bbox/label holds [3], expected the class label 2')

  def test_duplicate_file_names(self):
    def change(split, shard, record, fields):
      if (split, shard, record) == ('train', 1, 0):  # same class as record 0
        fields['filename'] = b'n00000011_0.JPEG'
      if (split, shard, record) == ('validation', 1, 0):
        fields['filename'] = b'n00000033_5.JPEG'

    _write_output(self.directory, change)
    report = self.run_check()
    self.assertFails(report, _checker.DUPLICATE, 'n00000011_0.JPEG',
                     'train-00000-of-00002 record 0', 'train-00001-of-00002 record 0')
    self.assertFails(report, _checker.DUPLICATE, 'n00000033_5.JPEG',
                     'validation-00001-of-00002 record 0')

  def test_undecodable_image(self):
    def change(split, shard, record, fields):
      if (split, shard, record) == ('train', 1, 1):
        # A valid header, then the scan data cut short.
        fields['encoded'] = fields['encoded'][:len(fields['encoded']) * 2 // 3]

    _write_output(self.directory, change)
    self.assertFails(self.run_check(), _checker.IMAGE, 'train-00001-of-00002 record 1',
                     'does not decode')
    # Reading the header alone (quick mode, nothing decoded) cannot see it.
    self.assertTrue(self.run_check(sample_fraction=0.0).ok)

  def test_image_not_jpeg_wrong_size_or_cmyk(self):
    def change(split, shard, record, fields):
      if (split, shard, record) == ('train', 0, 0):
        buffer = io.BytesIO()
        Image.new('RGB', (fields['width'], fields['height'])).save(buffer, 'PNG')
        fields['encoded'] = buffer.getvalue()
      if (split, shard, record) == ('train', 0, 1):
        fields['height'] += 1
      if (split, shard, record) == ('train', 0, 2):
        fields['encoded'] = _jpeg(fields['width'], fields['height'], 1, mode='CMYK')
      if (split, shard, record) == ('train', 1, 0):
        fields['encoded'] = b'\xff\xd8\xff\xe0 not really a JPEG'

    _write_output(self.directory, change)
    report = self.run_check(sample_fraction=0.0)
    self.assertFails(report, _checker.IMAGE, 'record 0', 'not a JPEG (PNG')
    self.assertFails(report, _checker.IMAGE, 'record 1', 'the record says')
    self.assertFails(report, _checker.IMAGE, 'record 2', '4 components')
    self.assertFails(report, _checker.IMAGE, 'train-00001-of-00002 record 0',
                     'image/encoded')

  def test_schema_keys_and_types(self):
    def change(split, shard, record, fields):
      if (split, shard, record) == ('validation', 0, 0):
        fields['extra'] = {'image/class/label': tf.train.Feature(
            float_list=tf.train.FloatList(value=[1.0])),
                           'image/extra': tf.train.Feature()}
      if (split, shard, record) == ('validation', 0, 1):
        fields['colorspace'] = b'CMYK'

    _write_output(self.directory, change)
    report = self.run_check()
    self.assertFails(report, _checker.SCHEMA, 'validation-00000-of-00002 record 0',
                     'image/class/label is a float_list')
    self.assertFails(report, _checker.SCHEMA, 'record 0', 'unexpected keys: image/extra')
    self.assertFails(report, _checker.SCHEMA, 'record 1', "image/colorspace is 'CMYK'")

  def test_index_mismatch(self):
    _write_output(self.directory)
    path = _checker.index_path(self.directory, 'train-00001-of-00002')
    with open(path) as f:
      lines = f.read().splitlines()
    with open(path, 'w') as f:
      f.write('\n'.join(lines[:1] + ['7 9'] + lines[2:]) + '\n')
    os.remove(_checker.index_path(self.directory, 'validation-00000-of-00002'))
    report = self.run_check()
    self.assertFails(report, _checker.INDEX, 'train-00001-of-00002', "line 2 is '7 9'")
    self.assertFails(report, _checker.INDEX, '1 of 4 shards have no index file',
                     'validation-00000-of-00002')

  def test_counts_against_the_manifest(self):
    _write_output(self.directory)
    # As inception/records.py writes it.
    manifest = {'format': 'inception-conversion-manifest', 'version': 1, 'splits': {
        'train': {'record_format': 'imagenet', 'num_shards': 2, 'complete': True,
                  'num_images': 6, 'shard_counts': [3, 3],
                  'class_counts': {'1': 2, '2': 2, '3': 2}},
        'validation': {'record_format': 'imagenet', 'num_shards': 2, 'complete': True,
                       'num_images': 4, 'shard_counts': [2, 2],
                       'class_counts': {'1': 2, '2': 1}},
    }}
    path = core.manifest_path(self.directory)
    with open(path, 'w') as f:
      json.dump(manifest, f)
    report = self.run_check()
    self.assertEqual(report.splits['validation'].expected_source, 'manifest')
    self.assertFails(report, _checker.COUNT, 'validation', '3 records, expected 4')
    self.assertFails(report, _checker.COUNT, 'validation-00001-of-00002',
                     '1 records, the manifest says 2')
    self.assertFails(report, _checker.CLASS_COUNT, '1: 1, expected 2', '3: 1, expected none')
    self.assertFalse([f for f in report.failures if f.location.startswith('train')])

    manifest['splits']['train'].update(complete=False, num_images=None,
                                       shard_counts=[3, None], class_counts={})
    manifest['splits']['validation'].update(num_images=3, shard_counts=[2, 1],
                                            class_counts={'1': 1, '2': 1, '3': 1},
                                            record_format='generic')
    with open(path, 'w') as f:
      json.dump(manifest, f)
    report = self.run_check()
    self.assertFails(report, _checker.MANIFEST, 'train', 'not complete',
                     '1 of 2 shards have no count: train-00001-of-00002')
    self.assertFails(report, _checker.SCHEMA, 'validation', 'records are generic')
    self.assertLen(report.failures, 2)

    with open(path, 'w') as f:
      f.write('{"splits": []}')
    self.assertFails(self.run_check(), _checker.MANIFEST, 'not a conversion manifest')

  def test_failed_conversion_is_reported_as_incomplete(self):
    # The manifest as a failed run leaves it (conversion_manifest's own writer): the
    # split is planned, two train shards were written and recorded, the rest not.
    _write_output(self.directory, layout={'train': [3, 3, 2, 2]})
    for name in ('train-00002-of-00004', 'train-00003-of-00004'):
      os.remove(os.path.join(self.directory, name))
      os.remove(_checker.index_path(self.directory, name))
    manifest = records.empty_manifest()
    record = records.new_split_record('imagenet', 4, 'f' * 64, 10)
    record['shard_counts'][:2] = [3, 3]
    manifest['splits']['train'] = record
    records.write_manifest(self.directory, manifest)

    report = self.run_check()
    self.assertFalse(report.ok)
    self.assertFails(report, _checker.MANIFEST, 'train', 'not complete',
                     '2 of 4 shards have no count',
                     'train-00002-of-00004, train-00003-of-00004')
    self.assertFails(report, _checker.SHARD_NAMES, '2 of 4 shards missing')
    self.assertFalse([f for f in report.failures
                      if 'not a conversion manifest' in f.message])
    self.assertLen(report.failures, 2)

    # Nothing written before the failure: still named as incomplete, with every shard.
    for name in ('train-00000-of-00004', 'train-00001-of-00004'):
      os.remove(os.path.join(self.directory, name))
    record['shard_counts'][:2] = [None, None]
    records.write_manifest(self.directory, manifest)
    report = self.run_check()
    self.assertFails(report, _checker.MANIFEST, 'train', '4 of 4 shards have no count')
    self.assertFails(report, _checker.COUNT, 'train', 'no shards of this split')

    # Every shard recorded, but the split was not finished.
    record['shard_counts'] = [3, 3, 2, 2]
    records.write_manifest(self.directory, manifest)
    report = self.run_check()
    self.assertFails(report, _checker.MANIFEST, 'train', 'all 4 shards have a count')

  def test_failure_report_names_the_failures(self):
    _write_output(self.directory)
    os.remove(os.path.join(self.directory, 'train-00000-of-00002'))
    report = self.run_check()
    self.assertEqual(report.failures_by_kind[_checker.SHARD_NAMES], 1)
    with open(report.report_files['json']) as f:
      data = json.load(f)
    self.assertFalse(data['ok'])
    self.assertIn('train-00000-of-00002', data['failures'][0]['message'])
    with open(report.report_files['markdown']) as f:
      self.assertIn('train-00000-of-00002', f.read())


class PureFunctionTest(absltest.TestCase):

  def test_shard_names(self):
    shards, failures = _checker.check_shard_names([
        'train-00000-of-00003', 'train-00002-of-00003', 'train-00003-of-00003',
        'validation-00000-of-00002', 'validation-00001-of-00004',
        'test-1-of-2', 'train-00001-of-00003.incomplete-12', 'README', 'index'])
    self.assertEqual([s.index for s in shards['train']], [0, 2, 3])
    messages = [str(f) for f in failures]
    self.assertTrue(any('test-1-of-2' in m and 'test-00001-of-00002' in m
                        for m in messages), messages)
    self.assertTrue(any('train: 1 of 3 shards missing: train-00001-of-00003' in m
                        for m in messages), messages)
    self.assertTrue(any('beyond the total: train-00003-of-00003' in m
                        for m in messages), messages)
    self.assertTrue(any('validation' in m and 'disagree' in m for m in messages),
                    messages)
    self.assertEqual({f.kind for f in failures}, {_checker.SHARD_NAMES})

  def test_expectations(self):
    imagenet = _checker.resolve_expectations({'train': 1024, 'validation': 128})
    self.assertEqual(imagenet['train'].num_records, 1281167)
    self.assertEqual(imagenet['validation'].class_count_range, (50, 50))
    self.assertEqual(_checker.resolve_expectations({'train': 8}), {})
    flagged = _checker.resolve_expectations({'train': 1024, 'validation': 128},
                                         {'validation': 10})
    self.assertEqual((flagged['validation'].num_records, flagged['validation'].source),
                     (10, 'flag'))
    self.assertEqual(flagged['validation'].class_count_range, (50, 50))
    manifest = {'train': _checker.SplitExpectation(source='manifest', num_records=5)}
    self.assertEqual(_checker.resolve_expectations({'train': 1024}, None, manifest),
                     manifest)

  def test_parse_expected_counts(self):
    self.assertEqual(_checker.parse_expected_counts('train=6, validation=3'),
                     {'train': 6, 'validation': 3})
    self.assertEqual(_checker.parse_expected_counts(''), {})
    with self.assertRaisesRegex(ValueError, 'train:6'):
      _checker.parse_expected_counts('train:6')

  def test_jpeg_header(self):
    self.assertEqual(_checker.jpeg_header(_jpeg(37, 21, 3)), (21, 37, 3))
    self.assertEqual(_checker.jpeg_header(_jpeg(5, 9, 3, mode='L')), (9, 5, 1))
    self.assertEqual(_checker.jpeg_header(_jpeg(5, 9, 3, mode='CMYK')), (9, 5, 4))
    with self.assertRaisesRegex(ValueError, 'before its frame header'):
      _checker.jpeg_header(_jpeg(37, 21, 3)[:20])
    with self.assertRaisesRegex(ValueError, 'start-of-image'):
      _checker.jpeg_header(b'\x89PNG\r\n')

  def test_in_sample_is_deterministic_and_near_the_fraction(self):
    chosen = [_checker.in_sample('train-00000-of-01024', i, 0.25) for i in range(4000)]
    self.assertBetween(sum(chosen), 850, 1150)
    again = [_checker.in_sample('train-00000-of-01024', i, 0.25) for i in range(4000)]
    self.assertEqual(chosen, again)


if __name__ == '__main__':
  absltest.main()
