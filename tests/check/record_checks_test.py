"""Tests of inception.check._record_checks: schema, labels, boxes, image."""

import io
import os
import tarfile

from absl.testing import absltest
from PIL import Image
import tensorflow as tf

from inception import demo
from inception.check import _failures
from inception.check import _record_checks
from tests import conversion_fixtures as fixtures
from tests.check import check_fixtures


class RecordDamageTest(check_fixtures.CheckTestBase):

  def test_wrong_label_synset_pair(self):
    def change(split, shard, record, fields):
      if (split, shard, record) == ('train', 0, 1):
        fields['synset'] = check_fixtures.SYNSETS[2].encode()
        fields['filename'] = b'x.JPEG'

    check_fixtures.write_output(self.directory, change)
    self.assertFails(self.run_check(), _failures.LABEL, 'train-00000-of-00002 record 1',
                     'label 2 is n00000022', 'n00000033')
    # Without the label files the pair still disagrees with the rest of the output.
    self.assertFails(self.run_check(use_label_files=False), _failures.LABEL, 'label 2',
                     'several classes')

  def test_wrong_text_and_validation_label(self):
    def change(split, shard, record, fields):
      if (split, shard, record) == ('validation', 0, 0):
        fields['text'] = b'something else'
      if (split, shard, record) == ('validation', 1, 0):
        fields['label'], fields['synset'] = 1, check_fixtures.SYNSETS[0].encode()
        fields['text'] = check_fixtures.TEXTS[0].encode()

    check_fixtures.write_output(self.directory, change)
    report = self.run_check()
    self.assertFails(report, _failures.LABEL, 'validation-00000-of-00002 record 0',
                     "'something else'")
    self.assertFails(report, _failures.LABEL, 'validation-00001-of-00002 record 0',
                     'ILSVRC2012_val_00000003.JPEG is n00000033')

  def test_bad_boxes(self):
    def change(split, shard, record, fields):
      if (split, shard, record) == ('train', 0, 0):
        fields['boxes'] = [(0.9, 0.2, 0.3, 0.8)]
      if (split, shard, record) == ('train', 0, 2):
        fields['boxes'] = [(0.1, 0.2, 1.5, 0.8)]
      if (split, shard, record) == ('train', 1, 1):  # label 2, one box
        fields['box_labels'] = [3]

    check_fixtures.write_output(self.directory, change)
    report = self.run_check()
    self.assertFails(report, _failures.BOX, 'train-00000-of-00002 record 0', 'min < max')
    self.assertFails(report, _failures.BOX, 'train-00000-of-00002 record 2',
                     'within [0, 1]')
    self.assertFails(report, _failures.BOX, 'train-00001-of-00002 record 1',
                     'bbox/label holds [3], expected the class label 2')

  def test_undecodable_image(self):
    cut = []

    def change(split, shard, record, fields):
      if (split, shard, record) == ('train', 1, 1):
        # A valid header, then the scan data cut short.
        fields['encoded'] = fields['encoded'][:len(fields['encoded']) * 2 // 3]
        cut.append(fields['filename'].decode())

    check_fixtures.write_output(self.directory, change)
    report = self.run_check()
    self.assertFails(report, _failures.IMAGE, 'train-00001-of-00002 record 1',
                     'does not decode')
    self.assertFails(report, _failures.IMAGE, 'train-00001-of-00002 record 1',
                     'image/filename %s: image/encoded does not decode' % cut[0])
    # Reading the header alone (quick mode, nothing decoded) cannot see it.
    self.assertTrue(self.run_check(sample_fraction=0.0).ok)

  def test_frame_header_claiming_more_than_the_scan_data_holds(self):
    # Issue 24: each decodes (TensorFlow fills the missing blocks with grey) to the
    # size claimed, which the record repeats; the header is read alike.
    lying = {}

    def change(split, shard, record, fields):
      if split == 'train' and shard == 0:
        width, height = fixtures.LYING_SIZES[record]
        fields['encoded'] = fixtures.lying_jpeg(width, height)
        fields['width'], fields['height'] = width, height
        lying[record] = fields['filename'].decode()

    check_fixtures.write_output(self.directory, change)
    for sample in (0.0, 1.0):  # the quick check's header reading, the full check
      report = self.run_check(sample_fraction=sample)
      for record in lying:
        width, height = fixtures.LYING_SIZES[record]
        self.assertFails(report, _failures.IMAGE,
                         'train-00000-of-00002 record %d' % record,
                         'image/filename %s: image/encoded: corrupt JPEG: the frame '
                         'header claims %dx%d pixels (width x height), more than the '
                         'scan data holds' % (lying[record], width, height))

  def test_image_not_jpeg_wrong_size_or_cmyk(self):
    def change(split, shard, record, fields):
      if (split, shard, record) == ('train', 0, 0):
        buffer = io.BytesIO()
        Image.new('RGB', (fields['width'], fields['height'])).save(buffer, 'PNG')
        fields['encoded'] = buffer.getvalue()
      if (split, shard, record) == ('train', 0, 1):
        fields['height'] += 1
      if (split, shard, record) == ('train', 0, 2):
        fields['encoded'] = check_fixtures.jpeg(fields['width'], fields['height'], 1,
                                                mode='CMYK')
      if (split, shard, record) == ('train', 1, 0):
        fields['encoded'] = b'\xff\xd8\xff\xe0 not really a JPEG'

    check_fixtures.write_output(self.directory, change)
    report = self.run_check(sample_fraction=0.0)
    self.assertFails(report, _failures.IMAGE, 'record 0', 'not a JPEG (PNG')
    self.assertFails(report, _failures.IMAGE, 'record 1', 'the record says')
    self.assertFails(report, _failures.IMAGE, 'record 2', '4 components')
    self.assertFails(report, _failures.IMAGE, 'train-00001-of-00002 record 0',
                     'image/encoded')

  def test_schema_keys_and_types(self):
    def change(split, shard, record, fields):
      if (split, shard, record) == ('validation', 0, 0):
        fields['extra'] = {'image/class/label': tf.train.Feature(
            float_list=tf.train.FloatList(value=[1.0])),
                           'image/extra': tf.train.Feature()}
      if (split, shard, record) == ('validation', 0, 1):
        fields['colorspace'] = b'CMYK'

    check_fixtures.write_output(self.directory, change)
    report = self.run_check()
    self.assertFails(report, _failures.SCHEMA, 'validation-00000-of-00002 record 0',
                     'image/class/label is a float_list')
    self.assertFails(report, _failures.SCHEMA, 'record 0', 'unexpected keys: image/extra')
    self.assertFails(report, _failures.SCHEMA, 'record 1', "image/colorspace is 'CMYK'")


class TestSplitTest(check_fixtures.CheckTestBase):
  """The unlabelled test split: label 0 there only, no synset, text or box."""

  def test_unlabelled_test_records_pass(self):
    check_fixtures.write_output(self.directory, layout=check_fixtures.TEST_LAYOUT)
    report = self.run_check()
    self.assertTrue(report.ok, '\n'.join(map(str, report.failures)))
    self.assertEqual(report.splits['test'].num_records, 4)
    self.assertEqual(report.splits['test'].class_counts, {0: 4})

  def test_test_record_with_a_label_synset_or_box_fails(self):
    def change(split, shard, record, fields):
      if (split, shard, record) == ('test', 0, 0):
        fields['label'] = 2
      if (split, shard, record) == ('test', 1, 0):
        fields['synset'], fields['text'] = b'n00000011', b'first class, one'
      if (split, shard, record) == ('test', 1, 1):
        fields['boxes'] = [(0.1, 0.2, 0.8, 0.9)]

    check_fixtures.write_output(self.directory, change, layout=check_fixtures.TEST_LAYOUT)
    report = self.run_check()
    self.assertFails(report, _failures.LABEL, 'test-00000-of-00002 record 0',
                     'image/class/label is 2; a test record is unlabelled (0)')
    self.assertFails(report, _failures.LABEL, 'test-00001-of-00002 record 0',
                     "image/class/synset is 'n00000011'")
    self.assertFails(report, _failures.LABEL, 'test-00001-of-00002 record 0',
                     "image/class/text is 'first class, one'")
    self.assertFails(report, _failures.BOX, 'test-00001-of-00002 record 1',
                     '1 bounding boxes; a test record has none')

  def test_label_zero_outside_the_test_split_fails(self):
    def change(split, shard, record, fields):
      if (split, shard, record) == ('validation', 0, 1):
        fields['label'], fields['synset'], fields['text'] = 0, b'', b''

    check_fixtures.write_output(self.directory, change, layout=check_fixtures.TEST_LAYOUT)
    self.assertFails(self.run_check(), _failures.LABEL,
                     'validation-00000-of-00002 record 1', 'labels start at 1')


def _demo_hard_cases(directory):
  """{kind: the bytes of the demo's image of that kind}: the mini ImageNet's
  hard cases (demo.Config(...).hard_cases: png, cmyk, grayscale, progressive, exif)
  read back from its train tar of class tars, and one plain image."""
  fixture = demo.generate(directory, demo.Config(num_classes=2, images_per_class=6,
                                                 num_validation_images=1,
                                                 min_side=64, max_side=160, seed=7))
  wanted = {name: kind for kind, name in fixture.hard_cases.items()}
  images = {}
  with tarfile.open(fixture.train_tar) as outer:
    for class_tar in outer:
      with tarfile.open(fileobj=outer.extractfile(class_tar)) as inner:
        for member in inner:
          kind = wanted.get(os.path.basename(member.name), 'plain')
          if kind not in images:
            images[kind] = inner.extractfile(member).read()
  return images


def _changed_in_place(data):
  """200 bytes of scan data changed, not removed."""
  changed = bytearray(data)
  middle = (data.find(b'\xff\xda') + len(data)) // 2
  changed[middle:middle + 200] = bytes((b * 7 + 13) % 256 for b in data[middle:
                                                                         middle + 200])
  return bytes(changed)


class DecodersAgreeTest(absltest.TestCase):
  """Pillow's decoder (a quick check's sample) and TensorFlow's (--check=full)
  accept and refuse the same images: the demo's hard cases, and damaged JPEGs."""

  @classmethod
  def setUpClass(cls):
    super().setUpClass()
    images = _demo_hard_cases(absltest.get_default_test_tmpdir())
    plain = images['plain']
    cls.cases = dict(images)
    cls.cases.update({
        'cut in half': plain[:len(plain) // 2],
        'cut before its end-of-image marker': plain[:-2],
        'cut 100 bytes short': plain[:-100],
        'header only': fixtures.truncated_scan_jpeg()[:300],
        'cut in the header': fixtures.truncated_jpeg(),
        'scan cut short': fixtures.truncated_scan_jpeg(),
        'half of a progressive JPEG': fixtures.damaged_jpeg('half', 'progressive'),
        'garbled scan data': fixtures.damaged_jpeg('garbled'),
        'garbled progressive scan data': fixtures.damaged_jpeg('garbled',
                                                               'progressive'),
        'not an image': b'\xff\xd8\xff' + b'not a JPEG' * 10,
        'scan data changed in place': _changed_in_place(plain),
        'a 16x16 JPEG claiming 16x20000': fixtures.lying_jpeg(16, 20000),
        'a 16x16 JPEG claiming 2000x16': fixtures.lying_jpeg(2000, 16),
    })

  def _decode(self, data, decoder):
    try:
      return _record_checks.decoded_shape(data, decoder)
    except ValueError as e:
      self.assertTrue(str(e), decoder)  # a reason is given
      self.assertNotIn('\n', str(e))
      return 'refused'

  def test_both_decoders_accept_and_refuse_the_same_images(self):
    outcomes = {name: (self._decode(data, _record_checks.PILLOW),
                       self._decode(data, _record_checks.TENSORFLOW))
                for name, data in self.cases.items()}
    for name, (pillow, tensorflow) in outcomes.items():
      self.assertEqual(pillow, tensorflow, name)
    accepted = {name for name, (pillow, _) in outcomes.items() if pillow != 'refused'}
    self.assertEqual(accepted, {'plain', 'png', 'cmyk', 'grayscale', 'progressive',
                                'exif', 'a 16x16 JPEG claiming 16x20000',
                                'a 16x16 JPEG claiming 2000x16'})

  def test_the_check_finds_the_same_problems_with_either_decoder(self):
    for name, data in self.cases.items():
      fields = _record_checks.RecordFields(filename='x.JPEG', encoded=data)
      try:
        fields.height, fields.width, _ = _record_checks.jpeg_header(data)
      except ValueError:
        fields.height, fields.width = 1, 1
      found = [_record_checks.check_image(fields, True, decoder)
               for decoder in _record_checks.DECODERS]
      self.assertEqual(*[(decoded, [kind for kind, _ in problems])
                         for problems, decoded in found], msg=name)


class RecordFunctionTest(absltest.TestCase):

  def test_jpeg_header(self):
    jpeg = check_fixtures.jpeg
    self.assertEqual(_record_checks.jpeg_header(jpeg(37, 21, 3)), (21, 37, 3))
    self.assertEqual(_record_checks.jpeg_header(jpeg(5, 9, 3, mode='L')), (9, 5, 1))
    self.assertEqual(_record_checks.jpeg_header(jpeg(5, 9, 3, mode='CMYK')), (9, 5, 4))
    with self.assertRaisesRegex(ValueError, 'before its frame header'):
      _record_checks.jpeg_header(jpeg(37, 21, 3)[:20])
    with self.assertRaisesRegex(ValueError, 'start-of-image'):
      _record_checks.jpeg_header(b'\x89PNG\r\n')

  def test_in_sample_is_deterministic_and_near_the_fraction(self):
    chosen = [_record_checks.in_sample('train-00000-of-01024', i, 0.25)
              for i in range(4000)]
    self.assertBetween(sum(chosen), 850, 1150)
    again = [_record_checks.in_sample('train-00000-of-01024', i, 0.25)
             for i in range(4000)]
    self.assertEqual(chosen, again)


if __name__ == '__main__':
  absltest.main()
