"""Tests for bench/source_layouts.py and the pure parts of bench/accept_sources.py.

A tiny set (scale 0.001, leading validation) is laid out as Kaggle's tree and Hugging
Face's parquet; every image keeps the tarballs' bytes, and the validation box archive
holds one box of its class per validation image.
"""

import io
import os
import tarfile
from xml.etree import ElementTree

from absl.testing import absltest
import pyarrow.parquet as pq

from bench import accept_sources
from bench import imagenet_set
from bench import source_layouts
from inception import acquire
from inception import imagenet
from inception import label_files

_TINY = imagenet_set.SetConfig(scale=0.001, pool_size=12, leading_validation=True)


def _data_dir():
  return os.path.dirname(label_files.data_file_path(label_files.SYNSETS_FILE))


def _tar_bytes(path):
  """{member name: bytes} of a flat tar."""
  with open(path, 'rb') as f:
    result = {}
    for member in acquire.index_flat_tar(path):
      f.seek(member.offset)
      result[member.name] = f.read(member.size)
    return result


class SourceLayoutsTest(absltest.TestCase):

  @classmethod
  def setUpClass(cls):
    super().setUpClass()
    root = absltest.get_default_test_tmpdir()
    cls.record = imagenet_set.generate(os.path.join(root, 'set'), _TINY, _data_dir(),
                                       log=lambda line: None)
    cls.layouts = os.path.join(root, 'layouts')
    cls.sources = source_layouts.write_layouts(
        cls.record, cls.layouts, (source_layouts.KAGGLE_TREE, source_layouts.HF_PARQUET))

  def test_validation_is_the_label_files_first_images(self):
    real = label_files.read_validation_labels(label_files.data_file_path(
        label_files.VALIDATION_LABELS_FILE))
    subset = label_files.read_validation_labels(self.record['validation_labels_file'])
    self.assertEqual(subset, real[:len(subset)])
    self.assertLen(subset, 1000)

  def test_validation_box_archive_has_a_box_of_each_images_class(self):
    labels = label_files.read_validation_labels(self.record['validation_labels_file'])
    path = os.path.join(self.layouts, source_layouts.VALIDATION_BOX_ARCHIVE)
    with tarfile.open(path, 'r:gz') as archive:
      xmls = {m.name: archive.extractfile(m).read() for m in archive}
    self.assertLen(xmls, len(labels))
    first = ElementTree.fromstring(xmls['val/ILSVRC2012_val_00000001.xml'])
    self.assertEqual(first.find('object/name').text, labels[0])

  def test_kaggle_tree_keeps_the_images_bytes(self):
    tree = self.sources[source_layouts.KAGGLE_TREE]
    validation = _tar_bytes(os.path.join(self.record['directory'],
                                         imagenet.VALIDATION_TAR))
    name = 'ILSVRC2012_val_00000001.JPEG'
    with open(os.path.join(tree, 'ILSVRC/Data/CLS-LOC/val', name), 'rb') as f:
      self.assertEqual(f.read(), validation[name])
    with open(os.path.join(tree, 'ILSVRC/Data/CLS-LOC/train/n02105855',
                           imagenet_set.PNG_IMAGE), 'rb') as f:
      self.assertTrue(f.read().startswith(b'\x89PNG'))

  def test_hf_parquet_has_the_box_archive_beside_it(self):
    directory = self.sources[source_layouts.HF_PARQUET]
    with open(os.path.join(directory, imagenet.BBOX_TRAIN_TAR_GZ), 'rb') as f, \
        open(os.path.join(self.record['directory'], imagenet.BBOX_TRAIN_TAR_GZ),
             'rb') as g:
      self.assertEqual(f.read(), g.read())
    rows = sum(pq.ParquetFile(os.path.join(directory, 'data', name)).metadata.num_rows
               for name in os.listdir(os.path.join(directory, 'data'))
               if name.startswith('train-'))
    self.assertEqual(rows, self.record['train_images'])

  def test_a_set_without_leading_validation_is_refused(self):
    record = dict(self.record, config=dict(self.record['config'],
                                           leading_validation=False))
    with self.assertRaisesRegex(ValueError, 'without leading_validation'):
      source_layouts.write_layouts(record, self.create_tempdir().full_path)


class VerdictsTest(absltest.TestCase):

  def _run(self, layout, **changes):
    run = {'layout': layout, 'returncode': 0, 'source_untouched': True,
           'shards': {'train-00000-of-00001': 'a', 'validation-00000-of-00001': 'b'},
           'closing_lines': ['train 2, validation 1).',
                             'Finished writing all 2 images in data set.']}
    run.update(changes)
    return run

  def test_identical_runs_pass(self):
    self.assertEqual(accept_sources.verdicts(
        [self._run('tarballs'), self._run('kaggle')]), [])

  def test_each_difference_is_named(self):
    problems = accept_sources.verdicts([
        self._run('tarballs'),
        self._run('kaggle', shards={'train-00000-of-00001': 'x',
                                    'validation-00000-of-00001': 'b'}),
        self._run('kaggle_zip', source_untouched=False, returncode=1),
        self._run('hf_parquet', closing_lines=[])])
    self.assertEqual(problems, [
        "kaggle: 1 shards differ from the tarballs' (train-00000-of-00001, ...)",
        'kaggle_zip: exit status 1 (see run-kaggle_zip.log)',
        'kaggle_zip: the source changed',
        "hf_parquet: closing lines [], the tarballs' ['train 2, validation 1).', "
        "'Finished writing all 2 images in data set.']"])

  def test_closing_lines_leave_the_directory_out(self):
    self.assertEqual(accept_sources.closing_lines(
        'I1207 log line\nOutput: /tmp/x (train 2, validation 1).\n'
        'Finished writing all 1 images in data set.\n'),
        ['train 2, validation 1).', 'Finished writing all 1 images in data set.'])


if __name__ == '__main__':
  absltest.main()
