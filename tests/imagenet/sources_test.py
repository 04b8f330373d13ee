"""Tests of inception.imagenet._sources: which layout --source holds, from its names."""

import os

from absl.testing import absltest
import fsspec

from inception.imagenet import _sources


def _touch(directory, *names):
  for name in names:
    path = os.path.join(directory, name)
    if name.endswith('/'):
      os.makedirs(path, exist_ok=True)
      continue
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, 'wb'):
      pass
  return directory


class DetectSourceTest(absltest.TestCase):

  def _dir(self, *names):
    return _touch(self.create_tempdir().full_path, *names)

  def test_a_url_is_the_tarballs(self):
    source = _sources.detect_source('https://mirror.example/ilsvrc/')
    self.assertEqual((source.format, source.path),
                     ('tarballs', 'https://mirror.example/ilsvrc/'))
    with self.assertRaisesRegex(_sources.SourceError,
                                r'^--source_format=kaggle reads a local copy; a URL '
                                r'source \(https://x/\) serves the official tarballs$'):
      _sources.detect_source('https://x/', 'kaggle')

  def test_a_store_prefix_is_told_from_its_names_as_a_directory(self):
    source = _sources.detect_source('s3://bucket/tarballs', 'tarballs')  # not listed
    self.assertEqual((source.format, source.path, source.found),
                     ('tarballs', 's3://bucket/tarballs',
                      'object storage: read in place, nothing copied'))
    store = fsspec.filesystem('memory')
    root = 'memory://sources_test'
    for prefix, names, layout, path in (
        ('kaggle', ('LOC_synset_mapping.txt', 'ILSVRC/Data/CLS-LOC/val/a.JPEG'),
         'kaggle', 'kaggle'),
        ('zip', ('imagenet-object-localization-challenge.zip',), 'kaggle_zip',
         'zip/imagenet-object-localization-challenge.zip'),
        ('hf', ('data/train-00000-of-00001.parquet', 'README.md'), 'hf_parquet', 'hf'),
        ('targz', ('data/val_images.tar.gz',), 'hf_targz', 'targz'),
        ('tars', ('ILSVRC2012_img_val.tar',), 'tarballs', 'tars')):
      with self.subTest(layout):
        for name in names:
          store.pipe_file('/sources_test/%s/%s' % (prefix, name), b'x')
        found = _sources.detect_source('%s/%s' % (root, prefix))
        self.assertEqual((found.format, found.path),
                         (layout, '%s/%s' % (root, path)))
    zip_object = root + '/zip/imagenet-object-localization-challenge.zip'
    self.assertEqual(_sources.detect_source(zip_object),
                     _sources.Source('kaggle_zip', zip_object,
                                     'a zip object in object storage, read in place'))
    store.pipe_file('/sources_test/notes/notes.txt', b'x')
    with self.assertRaisesRegex(_sources.SourceError,
                                r'^--source %s/notes holds none of the layouts .*; '
                                r'found notes.txt$' % root):
      _sources.detect_source(root + '/notes')
    with self.assertRaisesRegex(_sources.SourceError,
                                r'^--source %s/hf holds no Kaggle\'s' % root):
      _sources.detect_source(root + '/hf', 'kaggle')

  def test_each_layout_by_its_names(self):
    cases = (
        (('ILSVRC2012_img_val.tar', 'ILSVRC2012_bbox_train_v2.tar.gz', 'notes.txt'),
         'tarballs', 'ILSVRC2012_bbox_train_v2.tar.gz, ILSVRC2012_img_val.tar'),
        (('LOC_synset_mapping.txt', 'ILSVRC/Data/CLS-LOC/', 'LOC_val_solution.csv'),
         'kaggle', 'LOC_synset_mapping.txt, ILSVRC/'),
        (('ILSVRC/',), 'kaggle', 'ILSVRC/'),
        (('imagenet-object-localization-challenge.zip',), 'kaggle_zip',
         'imagenet-object-localization-challenge.zip'),
    )
    for names, layout, found in cases:
      with self.subTest(layout=layout, names=names):
        directory = self._dir(*names)
        source = _sources.detect_source(directory)
        self.assertEqual((source.format, source.found), (layout, found))
        self.assertEqual(source.path, os.path.join(
            directory, 'imagenet-object-localization-challenge.zip')
                         if layout == 'kaggle_zip' else directory)
        self.assertEqual(source.line(), 'Source %s: %s (%s)' % (
            source.path, _sources.DESCRIPTIONS[layout], found))
        self.assertEqual(_sources.detect_source(directory, layout), source)

  def test_the_zip_itself(self):
    directory = self._dir('imagenet-object-localization-challenge.zip', 'mine.ZIP',
                          'notes.txt')
    for name in ('imagenet-object-localization-challenge.zip', 'mine.ZIP'):
      path = os.path.join(directory, name)
      for source_format in ('auto', 'kaggle_zip'):
        self.assertEqual(_sources.detect_source(path, source_format),
                         _sources.Source('kaggle_zip', path, 'a zip file'))
    with self.assertRaisesRegex(_sources.SourceError,
                                r'notes.txt is a file; expected a directory holding '
                                r"one of ImageNet's layouts, or Kaggle's zip$"):
      _sources.detect_source(os.path.join(directory, 'notes.txt'))
    with self.assertRaisesRegex(_sources.SourceError, r"mine.ZIP is a file; expected a "
                                r"directory holding Kaggle's imagenet-object-"
                                r'localization-challenge, unpacked$'):
      _sources.detect_source(os.path.join(directory, 'mine.ZIP'), 'kaggle')

  def test_a_mixture_is_refused_unless_one_is_named(self):
    directory = self._dir('ILSVRC2012_img_train.tar', 'LOC_synset_mapping.txt',
                          'ILSVRC/')
    with self.assertRaisesRegex(
        _sources.SourceError,
        r'^--source %s holds a mixture: the official ILSVRC2012 tarballs '
        r"\(ILSVRC2012_img_train.tar\); Kaggle's imagenet-object-localization-"
        r'challenge, unpacked \(LOC_synset_mapping.txt, ILSVRC/\); give '
        r'--source_format=tarballs or kaggle, or a directory holding one of them$'
        % directory):
      _sources.detect_source(directory)
    self.assertEqual(_sources.detect_source(directory, 'kaggle').format, 'kaggle')
    self.assertEqual(_sources.detect_source(directory, 'tarballs').format, 'tarballs')

  def test_files_of_no_layout_are_refused_saying_what_is_there(self):
    directory = self._dir('a.txt', 'b.jpg', 'c/', 'd', 'e', 'f')
    with self.assertRaises(_sources.SourceError) as raised:
      _sources.detect_source(directory)
    message = str(raised.exception)
    self.assertStartsWith(message, '--source %s holds none of the layouts ImageNet '
                          'comes in: expected the official ILSVRC2012 tarballs '
                          '(ILSVRC2012_img_train.tar, ILSVRC2012_img_val.tar, ...); or '
                          % directory)
    self.assertIn("Kaggle's imagenet-object-localization-challenge.zip "
                  '(imagenet-object-localization-challenge.zip)', message)
    self.assertEndsWith(message, '; found a.txt, b.jpg, c, d, 2 more')
    self.assertNotIn('\n', message)
    with self.assertRaisesRegex(_sources.SourceError,
                                r"holds no Kaggle's imagenet-object-localization-"
                                r'challenge.zip: expected imagenet-object-'
                                r'localization-challenge.zip; found a.txt'):
      _sources.detect_source(directory, 'kaggle_zip')

  def test_a_directory_missing_or_empty_is_the_tarballs(self):
    empty = self._dir()
    missing = os.path.join(empty, 'missing')
    for path in (empty, missing):
      source = _sources.detect_source(path)
      self.assertEqual(source.format, 'tarballs')
      self.assertIn('the download step names what it lacks', source.line())
    with self.assertRaisesRegex(_sources.SourceError,
                                'holds no Kaggle.*found no such directory'):
      _sources.detect_source(missing, 'kaggle')

  def test_hugging_face(self):
    parquet = self._dir('data/train-00000-of-00003.parquet',
                        'data/validation-00000-of-00002.parquet', 'README.md')
    source = _sources.detect_source(parquet)
    self.assertEqual((source.format, source.path), ('hf_parquet', parquet))
    self.assertEqual(source.line(),
                     "Source %s: Hugging Face's ILSVRC/imagenet-1k parquet files (data/"
                     'train-00000-of-00003.parquet, data/validation-00000-of-00002.'
                     'parquet)' % parquet)
    beside = self._dir('data/train-00000-of-00001.parquet',
                       'ILSVRC2012_bbox_train_v2.tar.gz', 'ILSVRC2012_bbox_val_v3.tgz')
    self.assertEqual(_sources.detect_source(beside).format, 'hf_parquet')
    with self.assertRaisesRegex(_sources.SourceError, 'holds a mixture'):
      _sources.detect_source(self._dir('data/train-00000-of-00001.parquet',
                                       'ILSVRC2012_bbox_train_v2.tar.gz',
                                       'ILSVRC2012_img_val.tar'))
    targz = self._dir('data/train_images_0.tar.gz', 'data/val_images.tar.gz')
    for source_format in ('auto', 'hf_targz'):
      self.assertEqual(_sources.detect_source(targz, source_format).format, 'hf_targz')
    with self.assertRaisesRegex(_sources.SourceError, "holds no Hugging Face's "
                                'ILSVRC/imagenet-1k parquet files'):
      _sources.detect_source(targz, 'hf_parquet')

  def test_an_unknown_format(self):
    with self.assertRaisesRegex(_sources.SourceError,
                                r"unknown source format 'tfds' \(one of auto, "
                                'tarballs, kaggle, kaggle_zip, hf_parquet, hf_targz'):
      _sources.detect_source('/x', 'tfds')


if __name__ == '__main__':
  absltest.main()
