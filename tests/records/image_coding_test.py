"""Tests of inception.records._image_coding: header-only sizes, the JPEG structure walk,
re-encoding, corrupt files."""

import io
import pickle
import struct

from absl.testing import absltest
from absl.testing import parameterized
import numpy as np
from PIL import Image
from PIL import JpegImagePlugin
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

  def test_reencoding_keeps_full_colour_resolution(self):
    # 4:4:4 chroma (PIL subsampling 0): within a level or so of the source's pixels;
    # PIL's default 4:2:0 put the demo's CMYK image a mean 4.6 levels off (at most
    # 38), and a sharp picture like this one further (docs/FORMAT.md).
    original = fixtures.picture(6, 96, 64)
    for kind in ('png', 'cmyk'):
      data = fixtures.encode(original, kind)
      with Image.open(io.BytesIO(data)) as source:
        expected = np.asarray(source.convert('RGB'), dtype=int)
      image = _image_coding.prepare_image(data, 'x')
      with Image.open(io.BytesIO(image.encoded)) as record:
        self.assertEqual(JpegImagePlugin.get_sampling(record), 0, kind)  # 4:4:4
        self.assertEqual(record.info.get('progressive', 0), 0, kind)
        decoded = np.asarray(record.convert('RGB'), dtype=int)
      self.assertLess(abs(decoded - expected).mean(), 1.0, kind)
      self.assertLessEqual(abs(decoded - expected).max(), 8, kind)

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

  @parameterized.product(damage=('half', 'garbled'), kind=(None, 'progressive'))
  def test_damaged_scan_data_is_refused_by_default(self, damage, kind):
    data = fixtures.damaged_jpeg(damage, kind)
    reasons = []
    for _ in range(2):
      with self.assertRaises(_image_coding.ImageError) as raised:
        _image_coding.prepare_image(data, '/data/train/n1/n1_7.JPEG')
      self.assertEqual(raised.exception.name, '/data/train/n1/n1_7.JPEG')
      reasons.append(raised.exception.reason)
    self.assertEqual(reasons[0], reasons[1])
    self.assertRegex(reasons[0], '^truncated JPEG' if damage == 'half' else
                     '^corrupt JPEG scan data')
    self.assertNotIn('0x', reasons[0])
    # The header alone (the 'none' mode, the behaviour before) lets them through.
    image = _image_coding.prepare_image(data, 'x', 'none')
    self.assertIs(image.encoded, data)

  def test_full_mode_also_walks_the_structure(self):
    # 40 garbage bytes over a restart marker: TensorFlow resynchronises at the next
    # RST and decodes the picture; the walk sees an RST missing from the cycle.
    data = bytearray(_restart_jpeg())
    middle = len(data) // 2
    self.assertIn(b'\xff', data[middle:middle + 40])
    data[middle:middle + 40] = bytes(range(0x30, 0x58))
    data = bytes(data)
    image = _image_coding.prepare_image(data, 'x', 'none')
    _image_coding.check_decodes(image, 'x')
    with self.assertRaisesRegex(_image_coding.ImageError,
                                r'^x: corrupt JPEG scan data: restart marker RST\d at '
                                r'byte \d+ where RST\d is due$'):
      _image_coding.prepare_image(data, 'x', 'full')

  def test_damaged_cmyk_is_refused_before_re_encoding(self):
    data = fixtures.image_bytes(3, 'cmyk', width=160, height=120)
    with self.assertRaisesRegex(_image_coding.ImageError, 'x: truncated JPEG'):
      _image_coding.prepare_image(data[:len(data) // 2], 'x')

  def test_reasons_are_the_same_text_every_run(self):
    # PIL's own message names its file object ('<_io.BytesIO object at 0x7f...>').
    with self.assertRaises(_image_coding.ImageError) as raised:
      _image_coding.prepare_image(b'this is not an image at all\n', 'x')
    self.assertEqual(raised.exception.reason, 'not a decodable image '
                     '(UnidentifiedImageError: cannot identify image file)')

  def test_image_error_survives_pickling(self):
    error = pickle.loads(pickle.dumps(_image_coding.ImageError('a.JPEG', 'broken')))
    self.assertEqual(str(error), 'a.JPEG: broken')
    self.assertEqual(error.reason, 'broken')


def _restart_jpeg(seed: int = 6) -> bytes:
  """A baseline JPEG with a restart interval of 1 MCU: RST0..RST7 cycle 5 times."""
  out = io.BytesIO()
  fixtures.picture(seed, 128, 96).save(out, 'JPEG', quality=90, restart_marker_blocks=1)
  return out.getvalue()


def _insert(data: bytes, at: int, extra: bytes) -> bytes:
  return data[:at] + extra + data[at:]


class JpegStructureTest(parameterized.TestCase):
  """jpeg_structure_error on real PIL JPEGs, whole and with one crafted defect."""

  def assertStructure(self, data, expected):
    error = _image_coding.jpeg_structure_error(data)
    if expected is None:
      self.assertIsNone(error)
    else:
      self.assertRegex(error or '', expected)

  @parameterized.parameters(None, 'grayscale', 'progressive', 'exif', 'cmyk')
  def test_good_jpegs_pass(self, kind):
    self.assertStructure(fixtures.image_bytes(8, kind, width=70, height=50), None)

  def test_restart_markers_in_order_pass_and_are_kept(self):
    data = _restart_jpeg()
    self.assertIn(b'\xff\xdd', data)  # DRI: the restart interval
    self.assertGreater(data.count(b'\xff\xd7'), 2)  # RST0..RST7 wrapped around
    self.assertIs(_image_coding.prepare_image(data, 'x').encoded, data)

  def test_restart_markers_out_of_order(self):
    data = bytearray(_restart_jpeg())
    first = data.find(b'\xff\xd0')
    data[first + 1] = 0xD1
    self.assertStructure(bytes(data), r'^corrupt JPEG scan data: restart marker RST1 at '
                         r'byte %d where RST0 is due$' % first)

  @parameterized.named_parameters(
      ('zero_padding', b'\0' * 300), ('a_trailer', b'TRAILER DATA \xff\x12\xff'),
      ('a_second_jpeg', fixtures.image_bytes(2)))
  def test_bytes_after_the_end_of_image_are_allowed_and_kept(self, trailer):
    data = fixtures.image_bytes(4) + trailer
    self.assertStructure(data, None)
    self.assertIs(_image_coding.prepare_image(data, 'x').encoded, data)

  def test_fill_bytes_before_a_marker_pass(self):
    data = fixtures.image_bytes(4)
    self.assertStructure(_insert(data, len(data) - 2, b'\xff\xff\xff'), None)

  def test_defects(self):
    data = fixtures.image_bytes(4)
    progressive = fixtures.image_bytes(4, 'progressive')
    sos = data.find(b'\xff\xda')
    second_dht = progressive.find(b'\xff\xc4', progressive.find(b'\xff\xda'))
    frame = data[data.find(b'\xff\xc0'):sos]
    frame = frame[:4 + (frame[2] << 8 | frame[3]) - 2]  # the SOF0 segment alone
    cases = [
        (data[:-2], r'^truncated JPEG: %d bytes and no end-of-image marker$' %
         (len(data) - 2)),
        (data[:-1], r'^truncated JPEG'),
        (data[:sos] + b'\xff\xd9', r'^corrupt JPEG: end-of-image marker before any '
         r'scan$'),
        (data[:sos + 6], r'^truncated JPEG: the FFDA segment at byte %d has length 12, '
         r'4 bytes left$' % sos),
        (data[:sos + 3], r'^truncated JPEG: ends inside the FFDA segment'),
        (_insert(data, sos + 40, b'\xff\xd8'), r'^corrupt JPEG scan data: second '
         r'start-of-image marker FFD8 at byte %d$' % (sos + 40)),
        (_insert(data, sos + 40, b'\xff\x37'), r'^corrupt JPEG scan data: unknown '
         r'marker FF37'),
        (_insert(data, sos + 40, b'\xff\xfe\x00\x01'), r'^corrupt JPEG scan data: the '
         r'FFFE segment at byte %d has length 1' % (sos + 40)),
        (_insert(data, len(data) - 2, frame), r'^corrupt JPEG scan data: second frame header '
         r'marker FFC0'),
        (_insert(progressive, second_dht, b'\xff\xfe\x00\x04ab'
                 b'junk'), r'^corrupt JPEG: stray bytes before the marker at byte %d$' %
         (second_dht + 10)),
        (data.replace(b'\xff\xc0', b'\xff\xe5', 1), r'^corrupt JPEG: a scan at byte '
         r'%d before any frame header$' % sos),
    ]
    for damaged, expected in cases:
      self.assertStructure(damaged, expected)
      self.assertNotIn('0x', _image_coding.jpeg_structure_error(damaged))


def _solid_jpeg(mode: str, size, progressive: bool, subsampling: int) -> bytes:
  """A solid-colour JPEG with optimized Huffman tables: the least scan data per block
  (1-bit DC and end-of-block codes), the case nearest the bound."""
  out = io.BytesIO()
  Image.new(mode, size, 128 if mode == 'L' else (128, 128, 128)).save(
      out, 'JPEG', optimize=True, progressive=progressive, subsampling=subsampling,
      quality=1)
  return out.getvalue()


class LyingHeaderTest(parameterized.TestCase):
  """A frame header that claims more pixels than the scan data can hold (issue 24)."""

  @parameterized.product(size=fixtures.LYING_SIZES,
                         kind=(None, 'grayscale', 'progressive'))
  def test_a_size_the_scan_data_cannot_hold_is_refused_naming_the_file(self, size,
                                                                       kind):
    data = fixtures.lying_jpeg(*size, kind)
    bound = (r'^corrupt JPEG: the frame header claims %dx%d pixels \(width x height\), '
             r'more than the scan data holds: the scan at byte \d+ has \d+ bytes of '
             r'coded data, at least \d+ at that size$' % size)
    self.assertRegex(_image_coding.jpeg_structure_error(data), bound)
    reasons = {'structure': bound, 'full': bound}
    if size[0] * size[1] > Image.MAX_IMAGE_PIXELS:
      # PIL reads a broken file's header, and TensorFlow decodes first in 'full': each
      # complains first, as for any broken file.
      reasons = {'structure': r'^corrupt JPEG header \(DecompressionBombError',
                 'full': r'^TensorFlow cannot decode it'}
    for validate, reason in reasons.items():
      with self.assertRaises(_image_coding.ImageError) as raised:
        _image_coding.prepare_image(data, '/data/train/n1/n1_9.JPEG', validate)
      self.assertEqual(raised.exception.name, '/data/train/n1/n1_9.JPEG')
      self.assertRegex(raised.exception.reason, reason)
    # The header alone (the 'none' mode) lets it by, with the size it claims.
    image = _image_coding.prepare_image(data, 'x', 'none')
    self.assertEqual((image.width, image.height), size)

  def test_the_true_size_passes(self):
    for kind in (None, 'grayscale', 'progressive'):
      self.assertIsNone(_image_coding.jpeg_structure_error(fixtures.lying_jpeg(16, 16,
                                                                               kind)))

  @parameterized.product(size=((4000, 3000), (5000, 5000)), progressive=(False, True),
                         layout=(('L', 0), ('RGB', 0), ('RGB', 2)))
  def test_solid_colour_photos_with_optimized_tables_pass(self, size, progressive,
                                                         layout):
    mode, subsampling = layout  # grayscale, 4:4:4, 4:2:0
    data = _solid_jpeg(mode, size, progressive, subsampling)
    self.assertIsNone(_image_coding.jpeg_structure_error(data))
    image = _image_coding.prepare_image(data, 'x')
    self.assertEqual((image.width, image.height), size)

  def test_one_pixel_more_than_a_solid_photo_holds_is_refused(self):
    # 4:4:4 at quality 1: exactly 2 bits a block, so the bound is met to the byte.
    data = bytearray(_solid_jpeg('RGB', (4000, 3000), False, 0))
    self.assertIsNone(_image_coding.jpeg_structure_error(bytes(data)))
    sof = data.find(b'\xff\xc0')
    data[sof + 5:sof + 7] = (3000 + 1).to_bytes(2, 'big')  # a row of blocks more
    self.assertRegex(_image_coding.jpeg_structure_error(bytes(data)),
                     r'claims 4000x3001 pixels .* has 140625 bytes of coded data, at '
                     r'least 141000 at that size$')

  def test_restart_markers_are_not_counted_as_coded_data(self):
    # 64 MCUs of 2 coded bytes, 63 restart markers between them: 254 bytes in all.
    out = io.BytesIO()
    Image.new('RGB', (128, 128), (128, 128, 128)).save(
        out, 'JPEG', optimize=True, restart_marker_blocks=1)
    data = bytearray(out.getvalue())
    self.assertIsNone(_image_coding.jpeg_structure_error(bytes(data)))
    sof = data.find(b'\xff\xc0')
    data[sof + 5:sof + 7] = (256).to_bytes(2, 'big')  # 128 MCUs: 192 bytes at least
    self.assertRegex(_image_coding.jpeg_structure_error(bytes(data)),
                     r'claims 128x256 pixels .* has 128 bytes of coded data, at least '
                     r'192 at that size$')

  @parameterized.parameters((0xC3, 'lossless \\(SOF3\\)'),
                            (0xC9, 'arithmetic-coded extended sequential \\(SOF9\\)'),
                            (0xCA, 'arithmetic-coded progressive \\(SOF10\\)'))
  def test_processes_without_a_bound_are_refused(self, marker, process):
    data = fixtures.image_bytes(1).replace(b'\xff\xc0', bytes((0xFF, marker)), 1)
    with self.assertRaisesRegex(_image_coding.ImageError,
                                r'^x\.JPEG: unsupported JPEG: %s; only Huffman-coded '
                                r'baseline, extended and progressive JPEGs are kept, at '
                                r'byte \d+$' % process):
      _image_coding.prepare_image(data, 'x.JPEG')


def _pil_header(data):
  with Image.open(io.BytesIO(data)) as image:
    return image.format, image.mode, image.size


def _with_segment(data, marker, content):
  """`data` with a segment FF<marker> of `content` inserted after SOI."""
  return data[:2] + bytes((0xFF, marker)) + struct.pack('>H', len(content) + 2) + \
      content + data[2:]


class HeaderWithoutPilTest(parameterized.TestCase):
  """The size comes from the structure walk's SOF, as PIL's header reader gives it;
  wherever PIL would decide otherwise, PIL decides, with its message of before."""

  @parameterized.product(
      kind=(None, 'grayscale', 'progressive', 'exif', 'cmyk'),
      size=((61, 37), (1, 1), (300, 2)),
      validate=('none', 'structure'))
  def test_frame_is_the_size_and_layers_pil_reads(self, kind, size, validate):
    data = fixtures.image_bytes(3, kind, *size)
    error, frame = _image_coding._walk_jpeg(data, to_end=validate == 'structure')
    self.assertIsNone(error)
    _, mode, pil_size = _pil_header(data)
    self.assertEqual((frame.width, frame.height), pil_size)
    self.assertEqual(frame.components, {'L': 1, 'RGB': 3, 'CMYK': 4}[mode])
    image = _image_coding.prepare_image(data, 'x.JPEG', validate)
    self.assertEqual((image.width, image.height), pil_size)
    self.assertEqual(image.encoded is data, kind != 'cmyk')

  def test_restart_intervals_and_big_sizes(self):
    picture = fixtures.picture(2, 700, 300)
    out = io.BytesIO()
    picture.save(out, 'JPEG', quality=80, restart_marker_blocks=2, subsampling=0)
    image = _image_coding.prepare_image(out.getvalue(), 'x.JPEG')
    self.assertEqual((image.width, image.height), (700, 300))

  def test_a_bad_quantization_table_is_refused_as_pil_refused_it(self):
    data = fixtures.image_bytes(1)
    at = data.find(b'\xff\xdb')
    length = struct.unpack('>H', data[at + 2:at + 4])[0]
    short = (data[:at + 2] + struct.pack('>H', length - 10) + data[at + 4:at + 2 + length - 10]
             + data[at + 2 + length:])  # a table 10 bytes short, the segment consistent
    self.assertIsNone(_image_coding.jpeg_structure_error(short))
    for validate in ('none', 'structure'):
      with self.assertRaisesRegex(_image_coding.ImageError, 'x.JPEG: corrupt JPEG header'):
        _image_coding.prepare_image(short, 'x.JPEG', validate)

  @parameterized.parameters((0xE0, b'JFIF\x00\x01'), (0xEE, b'Adobe\x00'))
  def test_short_jfif_and_adobe_segments_are_refused_as_pil_refused_them(self, marker,
                                                                        content):
    data = _with_segment(fixtures.image_bytes(1), marker, content)
    with self.assertRaisesRegex(_image_coding.ImageError, 'corrupt JPEG header'):
      _image_coding.prepare_image(data, 'x.JPEG')

  def test_a_multi_picture_file_is_refused_as_pil_refused_it(self):
    first, second = fixtures.picture(1, 40, 30), fixtures.picture(2, 40, 30)
    out = io.BytesIO()
    first.save(out, 'MPO', save_all=True, append_images=[second])
    data = out.getvalue()
    self.assertEqual(_pil_header(data)[0], 'MPO')
    with self.assertRaisesRegex(_image_coding.ImageError, 'PIL reads it as MPO'):
      _image_coding.prepare_image(data, 'x.JPEG')

  def test_twelve_bit_frames_are_left_to_pil(self):
    data = bytearray(fixtures.image_bytes(1))
    sof = data.find(b'\xff\xc0')
    data[sof + 4] = 12  # the sample precision
    with self.assertRaisesRegex(_image_coding.ImageError, 'corrupt JPEG header'):
      _image_coding.prepare_image(bytes(data), 'x.JPEG', 'none')


class CheckDecodesTest(absltest.TestCase):

  def test_good_images_pass(self):
    for kind in (None, 'grayscale', 'progressive', 'cmyk', 'png'):
      data = fixtures.image_bytes(11, kind)
      _image_coding.check_decodes(_image_coding.prepare_image(data, 'x'), 'x')

  def test_cut_scan_data_passes_the_header_but_not_a_full_decode(self):
    image = _image_coding.prepare_image(fixtures.truncated_scan_jpeg(), 'cut.JPEG',
                                        'none')
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
