"""Tests of inception.convert._spooling: a split read in one pass gives the shards
its files give, spools only what is pending, names a bad image where it is in the
source, and leaves no spool file behind."""

import os
import random

from absl.testing import absltest

from inception import convert
from inception import core
from inception import records
from inception.convert import _spooling
from tests import conversion_fixtures as fixtures

SYNSETS = fixtures.synset_names(3)
_SHARDS = 5


class SpoolingTest(absltest.TestCase):

  def setUp(self):
    super().setUp()
    root = self.create_tempdir().full_path
    self.directory = os.path.join(root, 'images')
    self.files = fixtures.make_imagenet_split(self.directory, SYNSETS, per_class=6)
    self.entries = convert.find_class_entries(self.directory, [
        convert.ImageClass(s, s, 'text of ' + s) for s in SYNSETS])
    self.spool_directory = os.path.join(root, 'spool')
    self.options = convert.ConvertOptions(workers=core.Workers(1),
                                          progress_interval=60)
    self.passes = 0

  def _images(self, changes=None, extra=()):
    """The files in a shuffled order (as a source holds them), once per call."""
    def read():
      self.passes += 1
      names = sorted(self.files)
      random.Random(7).shuffle(names)
      for name in names:
        data = (changes or {}).get(name, self.files[name])
        yield name, data, 'source.bin row %d' % names.index(name)
      yield from extra
    return read

  def _spooled(self, **kwargs):
    return convert.SpooledEntries(self.entries, self._images(**kwargs),
                                  self.spool_directory)

  def _convert(self, found, output):
    return convert.convert_splits([('train', 'unused', _SHARDS)],
                                  lambda split, path: found, output, None,
                                  self.options, records.IMAGENET_FORMAT)

  def _digests(self, output):
    return {name: open(os.path.join(output, name), 'rb').read()
            for name in os.listdir(output) if name.startswith('train-')}

  def test_the_shards_are_those_of_the_files_and_the_spool_is_gone(self):
    reference = self.create_tempdir().full_path
    self._convert(self.entries, reference)
    output = self.create_tempdir().full_path
    spooled = self._spooled()
    self._convert(spooled, output)
    self.assertLen(self._digests(reference), _SHARDS)
    self.assertEqual(self._digests(output), self._digests(reference))
    self.assertEqual(spooled.stats.images_spooled, 18)
    self.assertEqual(spooled.stats.bytes_spooled, sum(map(len, self.files.values())))
    self.assertFalse(os.path.exists(self.spool_directory))

  def test_only_the_pending_shards_are_spooled_and_none_when_all_are_done(self):
    output = self.create_tempdir().full_path
    self._convert(self._spooled(), output)
    reference = self._digests(output)
    os.remove(os.path.join(output, 'train-00002-of-00005'))
    spooled = self._spooled()
    self._convert(spooled, output)
    self.assertEqual(self._digests(output), reference)
    self.assertBetween(spooled.stats.images_spooled, 3, 4)
    self.passes = 0
    self._convert(self._spooled(), output)
    self.assertEqual(self.passes, 0)

  def test_a_bad_image_is_named_where_it_is_before_any_shard(self):
    output = self.create_tempdir().full_path
    name = sorted(self.files)[4]
    with self.assertRaisesRegex(records.ImageError,
                                r'^source\.bin row \d+: '):
      self._convert(self._spooled(changes={name: fixtures.truncated_jpeg()}), output)
    self.assertEqual(self._digests(output), {})
    self.assertFalse(os.path.exists(self.spool_directory))

  def test_an_image_missing_or_given_twice(self):
    output = self.create_tempdir().full_path
    name = sorted(self.files)[0]
    with self.assertRaisesRegex(convert.ConversionError,
                                r'^extra row: %s again \(the pass gave it before\)$' %
                                name):
      self._convert(self._spooled(extra=[(name, b'', 'extra row')]), output)
    del self.files[name]
    with self.assertRaisesRegex(convert.ConversionError,
                                r'^train: 1 images its index lists were not in the '
                                r'source when read \(first: %s\)' % name):
      self._convert(self._spooled(), output)
    self.assertEqual(_spooling.spool_files(self.spool_directory), [])

  def test_stale_spool_files_are_removed_and_others_kept(self):
    os.makedirs(self.spool_directory)
    stale = _spooling.spool_path(self.spool_directory, 'train', 0, 4)
    other = _spooling.spool_path(self.spool_directory, 'validation', 0, 1)
    for path in (stale, other):
      with open(path, 'wb') as f:
        f.write(b'left by a killed run')
    self._convert(self._spooled(), self.create_tempdir().full_path)
    self.assertEqual(os.listdir(self.spool_directory), [os.path.basename(other)])

if __name__ == '__main__':
  absltest.main()
