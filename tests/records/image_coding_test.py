"""Tests of inception.records._image_coding: header-only sizes, re-encoding, corrupt files."""

import pickle

from absl.testing import absltest
from absl.testing import parameterized
import tensorflow as tf

from inception.records import _image_coding
from tests import conversion_fixtures as fixtures


class PrepareImageTest(parameterized.TestCase):

  @parameterized.parameters('plain', 'grayscale', 'progressive', 'exif')
  def test_jpegs_are_kept_byte_for_byte_with_header_size(self, kind):
    data = fixtures.image_bytes(7, None if kind == 'plain' else kind, width=61,
                                height=37)
    image = _image_coding.prepare_image(data, 'x.JPEG')
    self.assertIs(image.encoded, data)
    self.assertEqual((image.height, image.width), (37, 61))
    self.assertIsNone(image.reencoded_from)

  @parameterized.parameters(
      ('png', 'png'), ('rgba_png', 'png'), ('palette_png', 'png'),
      ('gray16_png', 'png'), ('cmyk', 'cmyk'), ('bmp', 'bmp'))
  def test_other_images_become_rgb_jpegs_of_the_same_size(self, kind, expected):
    data = fixtures.image_bytes(3, kind, width=50, height=34)
    image = _image_coding.prepare_image(data, 'x.JPEG')
    self.assertEqual(image.reencoded_from, expected)
    self.assertTrue(_image_coding.is_jpeg(image.encoded))
    self.assertEqual((image.height, image.width), (34, 50))
    decoded = tf.io.decode_jpeg(image.encoded, channels=0)
    self.assertEqual(tuple(decoded.shape), (34, 50, 3))

  def test_reencoding_keeps_the_picture(self):
    # Not inverted (Adobe CMYK), not channel-swapped: only JPEG's chroma
    # subsampling and rounding differ (an inverted or swapped picture is ~100 off).
    original = fixtures.picture(5, 64, 48)
    expected = tf.constant(original).numpy().astype(int)
    for kind in ('png', 'cmyk'):
      image = _image_coding.prepare_image(fixtures.encode(original, kind), 'x')
      decoded = tf.io.decode_jpeg(image.encoded, channels=3).numpy().astype(int)
      self.assertLess(abs(decoded - expected).mean(), 10.0, kind)

  def test_sixteen_bit_png_is_scaled_not_clipped(self):
    image = _image_coding.prepare_image(fixtures.image_bytes(4, 'gray16_png'), 'x')
    decoded = tf.io.decode_jpeg(image.encoded, channels=1).numpy()
    self.assertLess(decoded.max(), 255)  # clipping would saturate nearly everything
    self.assertGreater(decoded.max(), 100)

  def test_reencoding_is_deterministic(self):
    data = fixtures.image_bytes(9, 'cmyk')
    self.assertEqual(_image_coding.prepare_image(data, 'a').encoded,
                     _image_coding.prepare_image(data, 'a').encoded)

  def test_magic_bytes(self):
    self.assertTrue(_image_coding.is_png(fixtures.image_bytes(1, 'png')))
    self.assertFalse(_image_coding.is_png(fixtures.image_bytes(1)))
    self.assertTrue(_image_coding.is_jpeg(fixtures.image_bytes(1, 'cmyk')))

  @parameterized.named_parameters(
      ('empty', b'', 'empty file'),
      ('text', b'this is not an image at all\n' * 4, 'not a decodable image'),
      ('cut_header', fixtures.truncated_jpeg(), 'corrupt JPEG header'),
      ('cut_png', fixtures.image_bytes(2, 'png')[:60], 'not a decodable image'))
  def test_corrupt_files_raise_naming_the_file(self, data, reason):
    with self.assertRaises(_image_coding.ImageError) as raised:
      _image_coding.prepare_image(data, '/data/train/n1/n1_5.JPEG')
    self.assertIn('/data/train/n1/n1_5.JPEG', str(raised.exception))
    self.assertIn(reason, str(raised.exception))

  def test_image_error_survives_pickling(self):
    error = pickle.loads(pickle.dumps(_image_coding.ImageError('a.JPEG', 'broken')))
    self.assertEqual(str(error), 'a.JPEG: broken')
    self.assertEqual(error.reason, 'broken')


class CheckDecodesTest(absltest.TestCase):

  def test_good_images_pass(self):
    for kind in (None, 'grayscale', 'progressive', 'cmyk', 'png'):
      data = fixtures.image_bytes(11, kind)
      _image_coding.check_decodes(_image_coding.prepare_image(data, 'x'), 'x')

  def test_cut_scan_data_passes_the_header_but_not_a_full_decode(self):
    image = _image_coding.prepare_image(fixtures.truncated_scan_jpeg(), 'cut.JPEG')
    with self.assertRaisesRegex(_image_coding.ImageError,
                                r'^cut\.JPEG: TensorFlow cannot decode it'):
      _image_coding.check_decodes(image, 'cut.JPEG')

  def test_size_mismatch_is_reported(self):
    image = _image_coding.prepare_image(fixtures.image_bytes(1), 'x')
    wrong = image._replace(height=image.height + 1)
    with self.assertRaisesRegex(_image_coding.ImageError, 'header says'):
      _image_coding.check_decodes(wrong, 'x')


if __name__ == '__main__':
  absltest.main()
