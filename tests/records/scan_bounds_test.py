"""Tests of inception.records._scan_bounds: the fewest coded bytes a scan can hold."""

import struct

from absl.testing import absltest
from absl.testing import parameterized

from inception.records import _scan_bounds


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


if __name__ == '__main__':
  absltest.main()
