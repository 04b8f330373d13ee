"""The shards do not depend on the number of worker processes (SPEC §3)."""

import contextlib
import io
import os

from absl.testing import absltest

from inception import convert
from tests import conversion_fixtures as fixtures

SYNSETS = fixtures.synset_names(4)


class WorkerCountTest(absltest.TestCase):

  def test_identical_shards_and_indexes_for_one_two_and_three_workers(self):
    root = self.create_tempdir().full_path
    special = {'%s_0.JPEG' % SYNSETS[0]: fixtures.image_bytes(1, 'png'),
               '%s_1.JPEG' % SYNSETS[1]: fixtures.image_bytes(2, 'cmyk'),
               '%s_2.JPEG' % SYNSETS[2]: fixtures.image_bytes(3, 'grayscale')}
    fixtures.make_imagenet_split(os.path.join(root, 'train'), SYNSETS, 7, special=special)
    synsets_file, metadata_file = fixtures.write_label_files(root, SYNSETS)
    boxes = fixtures.write(os.path.join(root, 'boxes.csv'),
                           ('%s_3.JPEG,0.1,0.2,0.3,0.4\n' % SYNSETS[3]).encode())
    outputs = {}
    for workers in (1, 2, 3):
      output = os.path.join(root, 'out%d' % workers)
      with contextlib.redirect_stdout(io.StringIO()) as stdout:
        result = convert.convert_imagenet(
            os.path.join(root, 'train'), None, output, synsets_file, metadata_file,
            [boxes], train_shards=5,
            options=convert.ConvertOptions(num_workers=workers, write_index=True))
      self.assertEqual(stdout.getvalue(), 'Finished writing all 28 images in data set.\n')
      self.assertEqual(result['train'].num_images, 28)
      outputs[workers] = _tree(output)
    self.assertLen(outputs[1], 5 + 5 + 1)  # shards, indexes, manifest
    self.assertEqual(outputs[2], outputs[1])
    self.assertEqual(outputs[3], outputs[1])


def _tree(directory):
  """{relative path: bytes} of every file under `directory`."""
  files = {}
  for parent, _, names in os.walk(directory):
    for name in names:
      path = os.path.join(parent, name)
      with open(path, 'rb') as f:
        files[os.path.relpath(path, directory)] = f.read()
  return files


if __name__ == '__main__':
  absltest.main()
