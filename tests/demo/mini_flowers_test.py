"""Tests for inception.demo._mini_flowers: the tarball read back with tarfile and PIL."""

import hashlib
import io
import os
import re
import tarfile

from absl.testing import absltest
from PIL import Image

from inception import demo
from inception.demo import _mini_flowers

_SMALL = demo.FlowersConfig(images_per_class=4, max_side=96)


def _members(path):
  with tarfile.open(path, 'r:gz') as archive:
    return {m.name: archive.extractfile(m).read() for m in archive.getmembers()}


class MiniFlowersTest(absltest.TestCase):

  def setUp(self):
    super().setUp()
    self.mini = demo.generate_flowers(self.create_tempdir().full_path, _SMALL)
    self.members = _members(self.mini.path)

  def test_the_real_layout(self):
    self.assertEqual(os.path.basename(self.mini.path), 'flower_photos.tgz')
    classes = sorted({name.split('/')[1] for name in self.members
                      if name.count('/') == 2})
    self.assertEqual(classes, ['daisy', 'dandelion', 'roses', 'sunflowers', 'tulips'])
    self.assertIn('flower_photos/LICENSE.txt', self.members)
    images = [n for n in self.members if n.count('/') == 2]
    self.assertLen(images, 5 * 4)
    for name in images:
      self.assertRegex(name, r'^flower_photos/[a-z]+/\d+_[0-9a-f]{10}_n\.jpg$')
    self.assertEqual(self.mini.class_counts, {name: 4 for name in classes})

  def test_jpegs_of_varied_sizes_and_one_png_named_jpg(self):
    formats, sizes = {}, set()
    for name, data in self.members.items():
      if name.endswith('.jpg'):
        picture = Image.open(io.BytesIO(data))
        formats[name] = picture.format
        sizes.add(picture.size)
    self.assertEqual([n for n, f in formats.items() if f == 'PNG'],
                     [self.mini.png_member])
    self.assertTrue(re.match(r'flower_photos/daisy/', self.mini.png_member))
    self.assertEqual(set(formats.values()), {'JPEG', 'PNG'})
    self.assertGreater(len(sizes), 10)

  def test_facts_and_bytes_are_reproducible(self):
    with open(self.mini.path, 'rb') as f:
      data = f.read()
    self.assertEqual((self.mini.size, self.mini.md5, self.mini.sha256),
                     (len(data), hashlib.md5(data).hexdigest(),
                      hashlib.sha256(data).hexdigest()))
    again = demo.generate_flowers(self.create_tempdir().full_path, _SMALL)
    self.assertEqual((again.md5, again.sha256), (self.mini.md5, self.mini.sha256))

  def test_bad_configs_are_refused(self):
    with self.assertRaisesRegex(ValueError, 'images_per_class must be at least 2'):
      _mini_flowers.FlowersConfig(images_per_class=1)
    with self.assertRaisesRegex(ValueError, 'min_side'):
      _mini_flowers.FlowersConfig(min_side=300, max_side=200)


if __name__ == '__main__':
  absltest.main()
