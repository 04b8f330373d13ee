"""Tests of inception.records._scan_bounds: the fewest coded bytes a scan can hold, and
the first scan's check alone (jpeg_size_error)."""

import io
import struct

from absl.testing import absltest
from absl.testing import parameterized
from PIL import Image

from inception.records import _image_coding
from inception.records import _scan_bounds
from tests import conversion_fixtures as fixtures


def _sof(width, height, components):
  """SOF content (after the length): 8-bit precision, size, (id, H, V) components."""
  return struct.pack('>BHHB', 8, height, width, len(components)) + b''.join(
      bytes((ident, h << 4 | v, 0)) for ident, h, v in components)


def _sos(components, spectral=(0, 63), approximation=0):
  """SOS content (after the length): the components' ids, spectral selection, Ah/Al."""
  return bytes((len(components),)) + b''.join(
      bytes((ident, 0)) for ident in components) + bytes((*spectral, approximation))


_GRAY = [(1, 1, 1)]
_YCC_420 = [(1, 2, 2), (2, 1, 1), (3, 1, 1)]
_YCC_444 = [(1, 1, 1), (2, 1, 1), (3, 1, 1)]


class CheckFrameTest(absltest.TestCase):

  def test_huffman_frames_pass(self):
    for marker in (0xC0, 0xC1, 0xC2):
      for components in (_GRAY, _YCC_420, _YCC_444, [(1, 4, 4), (2, 1, 1)]):
        _scan_bounds.check_frame(marker, _sof(640, 480, components))

  def test_processes_without_a_bound_are_refused(self):
    for marker, name in ((0xC3, 'lossless (SOF3)'), (0xC7, 'differential lossless'),
                         (0xC9, 'arithmetic-coded extended sequential (SOF9)'),
                         (0xCF, 'arithmetic-coded differential lossless (SOF15)')):
      with self.assertRaisesRegex(ValueError, r'^unsupported JPEG: %s' %
                                  name.replace('(', r'\(').replace(')', r'\)')):
        _scan_bounds.check_frame(marker, _sof(8, 8, _GRAY))

  def test_headers_libjpeg_refuses_are_refused(self):
    cases = [
        (_sof(8, 8, _YCC_444)[:-1], r'^corrupt JPEG: a frame header of 16 bytes for 3 '
         r'components$'),
        (_sof(8, 8, []), r'for 0 components$'),
        (b'\x08\x00', r'a frame header of 4 bytes for 0 components$'),
        (_sof(8, 8, [(1, 0, 1)]), r'^corrupt JPEG: component 1 has sampling factors '
         r'0x1 \(each must be 1 to 4\)$'),
        (_sof(8, 8, [(7, 1, 5)]), r'component 7 has sampling factors 1x5'),
    ]
    for content, expected in cases:
      with self.assertRaisesRegex(ValueError, expected):
        _scan_bounds.check_frame(0xC0, content)


class LeastScanBytesTest(parameterized.TestCase):

  def least(self, marker, width, height, components, scan, **sos):
    frame = _sof(width, height, components)
    _scan_bounds.check_frame(marker, frame)
    return _scan_bounds.least_scan_bytes(marker, frame, _sos(scan, **sos))

  @parameterized.named_parameters(
      # 2 bits a block: an interleaved 4:2:0 scan covers 16x16 MCUs of 4+1+1 blocks.
      ('baseline_420', 0xC0, 4000, 3000, _YCC_420, [1, 2, 3], 250 * 188 * 6 * 2 // 8),
      ('extended_444', 0xC1, 4000, 3000, _YCC_444, [1, 2, 3], 500 * 375 * 3 * 2 // 8),
      ('gray', 0xC0, 17, 9, _GRAY, [1], 2),  # 3x2 blocks, 12 bits
      # A non-interleaved scan: the component's own blocks, ceil(17 * 1/2 / 8) wide.
      ('one_chroma_component', 0xC0, 17, 9, _YCC_420, [2], 1),  # 2x1 blocks, 4 bits
      ('one_luma_component', 0xC0, 17, 9, _YCC_420, [1], 2),  # 3x2 blocks, 12 bits
      ('lying_65535', 0xC0, 65535, 65535, _YCC_420, [1, 2, 3], 4096 * 4096 * 6 // 4),
  )
  def test_sequential_scans_take_two_bits_a_block(self, marker, width, height,
                                                  components, scan, expected):
    self.assertEqual(self.least(marker, width, height, components, scan), expected)

  def test_progressive_dc_first_scans_take_one_bit_a_block(self):
    self.assertEqual(self.least(0xC2, 16, 20000, _YCC_420, [1, 2, 3], spectral=(0, 0)),
                     938)  # 1250 MCUs of 6 blocks, 7500 bits
    self.assertEqual(self.least(0xC2, 16, 20000, _YCC_420, [1, 2, 3], spectral=(0, 0),
                                approximation=0x01), 938)  # Al: still first

  def test_other_progressive_scans_have_no_bound(self):
    self.assertEqual(self.least(0xC2, 4000, 3000, _YCC_420, [1], spectral=(1, 63)), 0)
    self.assertEqual(self.least(0xC2, 4000, 3000, _YCC_420, [1, 2, 3],
                                spectral=(0, 0), approximation=0x10), 0)

  def test_scan_headers_libjpeg_refuses_are_refused(self):
    frame = _sof(8, 8, _YCC_444)
    cases = [
        (_sos([1, 2])[:-1], r'^corrupt JPEG: a scan header of 9 bytes for 2 '
         r'components$'),
        (_sos([]), r'for 0 components$'),
        (_sos([1, 2, 3, 1, 2]), r'for 5 components$'),
        (b'', r'a scan header of 2 bytes for 0 components$'),
        (_sos([1, 9]), r'^corrupt JPEG: a scan of component 9, which the frame header '
         r'lacks$'),
    ]
    for content, expected in cases:
      with self.assertRaisesRegex(ValueError, expected):
        _scan_bounds.least_scan_bytes(0xC0, frame, content)


class ShortfallTest(absltest.TestCase):

  def test_names_the_claimed_size_and_both_counts(self):
    self.assertEqual(_scan_bounds.shortfall(_sof(16, 20000, _YCC_420), 600, 9, 1875),
                     'corrupt JPEG: the frame header claims 16x20000 pixels (width x '
                     'height), more than the scan data holds: the scan at byte 600 has '
                     '9 bytes of coded data, at least 1875 at that size')


class JpegSizeErrorTest(parameterized.TestCase):
  """The first scan's bound alone, as the checker reads every record."""

  @parameterized.parameters(None, 'grayscale', 'progressive', 'exif', 'cmyk')
  def test_real_jpegs_pass(self, kind):
    for size in ((48, 32), (1, 1), (300, 2), (320, 240)):
      self.assertIsNone(_scan_bounds.jpeg_size_error(fixtures.image_bytes(3, kind,
                                                                          *size)))

  @parameterized.product(size=fixtures.LYING_SIZES,
                         kind=(None, 'grayscale', 'progressive'))
  def test_lying_headers_fail_as_in_the_structure_walk(self, size, kind):
    data = fixtures.lying_jpeg(*size, kind)
    self.assertRegex(_scan_bounds.jpeg_size_error(data),
                     r'^corrupt JPEG: the frame header claims %dx%d pixels' % size)
    self.assertEqual(_scan_bounds.jpeg_size_error(data),
                     _image_coding.jpeg_structure_error(data))

  def test_restart_markers_and_the_file_end(self):
    out = io.BytesIO()  # 64 MCUs of 2 coded bytes, 63 restart markers between them
    Image.new('RGB', (128, 128), (128, 128, 128)).save(
        out, 'JPEG', optimize=True, restart_marker_blocks=1)
    data = bytearray(out.getvalue())
    self.assertIsNone(_scan_bounds.jpeg_size_error(bytes(data)))
    sof = data.find(b'\xff\xc0')
    data[sof + 5:sof + 7] = (256).to_bytes(2, 'big')  # 192 bytes at least
    self.assertRegex(_scan_bounds.jpeg_size_error(bytes(data)),
                     r'has 128 bytes of coded data, at least 192 at that size$')
    data[sof + 5:sof + 7] = (128).to_bytes(2, 'big')
    self.assertRegex(_scan_bounds.jpeg_size_error(bytes(data[:-100])),
                     r'claims 128x128 pixels .* has \d+ bytes of coded data, at least '
                     r'96 at that size$')  # the file ends first

  def test_headers_it_cannot_read_are_left_to_the_header_reader(self):
    data = fixtures.image_bytes(1)
    sos = data.find(b'\xff\xda')
    for broken in (data[:sos - 3], data[:2] + b'junk' + data[2:], b'\xff\xd8',
                   data.replace(b'\xff\xc0', b'\xff\xe5', 1)):
      self.assertIsNone(_scan_bounds.jpeg_size_error(broken))

  def test_processes_without_a_bound(self):
    data = fixtures.image_bytes(1).replace(b'\xff\xc0', b'\xff\xc9', 1)
    self.assertRegex(_scan_bounds.jpeg_size_error(data),
                     r'^unsupported JPEG: arithmetic-coded extended sequential \(SOF9\)')


def _header_as_read_before(data):
  """The checker's header reader before jpeg_frame (inception/check, 2026-12-07):
  (height, width, components), or ValueError with its message."""
  if data[:2] != b'\xff\xd8':
    raise ValueError('no JPEG start-of-image marker (starts with %r)' % data[:4])
  position = 2
  while position + 4 <= len(data):
    if data[position] != 0xFF:
      raise ValueError('no JPEG marker at byte %d' % position)
    marker = data[position + 1]
    if marker == 0xFF:
      position += 1
      continue
    if marker == 0x01 or 0xD0 <= marker <= 0xD8:
      position += 2
      continue
    if marker in (0xD9, 0xDA):
      raise ValueError('JPEG scan or end before any frame header')
    length = struct.unpack('>H', data[position + 2:position + 4])[0]
    if 0xC0 <= marker <= 0xCF and marker not in (0xC4, 0xC8, 0xCC):
      if length < 8 or position + 10 > len(data):
        raise ValueError('JPEG frame header cut short at byte %d' % position)
      _, height, width, components = struct.unpack(
          '>BHHB', data[position + 4:position + 10])
      return height, width, components
    position += 2 + length
  raise ValueError('JPEG ends at byte %d before its frame header' % len(data))


def _outcome(read, data):
  try:
    return read(data)
  except ValueError as e:
    return 'ValueError: %s' % e


class JpegFrameTest(absltest.TestCase):
  """jpeg_frame: the header reader's result and jpeg_size_error's, from one walk."""

  def test_the_same_as_the_header_reader_and_the_size_bound_apart(self):
    originals = [fixtures.image_bytes(3, kind, *size)
                 for kind in (None, 'grayscale', 'progressive', 'exif', 'cmyk')
                 for size in ((48, 32), (1, 1), (320, 240))]
    originals += [fixtures.lying_jpeg(*size, kind) for size in fixtures.LYING_SIZES
                  for kind in (None, 'progressive')]
    originals += [fixtures.truncated_jpeg(), fixtures.truncated_scan_jpeg(),
                  fixtures.damaged_jpeg('garbled'), b'\x89PNG\r\n\x1a\n', b'']
    cases = list(originals)
    for data in originals[:4] + originals[-8:-5]:
      header_end = min(len(data), data.find(b'\xff\xda') + 16)
      cases += [data[:cut] for cut in range(header_end)]  # cut in the header
      for at in range(header_end):  # one byte of the header changed
        for value in (0x00, 0xFF, data[at] ^ 0x10, 0xC2, 0xDA):
          changed = bytearray(data)
          changed[at] = value
          cases.append(bytes(changed))
    self.assertGreater(len(cases), 5000)
    for data in cases:
      header = _outcome(_header_as_read_before, data)
      frame = _outcome(_scan_bounds.jpeg_frame, data)
      if isinstance(header, str):
        self.assertEqual(frame, header, data[:40])
      else:
        self.assertEqual(frame, header + (_scan_bounds.jpeg_size_error(data),),
                         data[:40])


if __name__ == '__main__':
  absltest.main()
