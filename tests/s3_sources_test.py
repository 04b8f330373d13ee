"""The ImageNet driver on Kaggle's and Hugging Face's layouts in S3 (moto's server on
127.0.0.1, started once for this file), read in place: issue 22's "the Kaggle tree
and zip read in place too (parquet through its spool)".

One mini ImageNet is laid out as Kaggle's tree, Kaggle's zip, Hugging Face's parquet
and its older tar.gz files (inception.demo's builders), each converted once from
local disk and uploaded to s3://bucket/<layout>. The driver (in-process, as
tests/imagenet/layout_runs.py runs it locally) then reads each from the bucket,
into a local DATA_DIR and (Kaggle's and parquet) into one on the bucket, and must
give the local run's shards byte for byte, copy nothing and leave the source
untouched (Hugging Face's spool, for a DATA_DIR on the bucket, in the local
temporary directory, removed at the end); a source object replaced since a
finished step read it is refused on resume in one line. The built binary runs README's command (the secret key in no output) and a
missing bucket fails in one line naming it; a prefix holding no layout is refused
naming what it holds.
"""

import dataclasses
import hashlib
import io
import os
import secrets
import shlex
import tempfile

from absl.testing import absltest
import fsspec
import pyarrow.parquet as pq
from runfiles import runfiles

from inception import acquire
from inception import convert
from inception import core
from inception import demo
from inception import driver
from inception import imagenet
from tests import binaries
from tests import file_trees
from tests import object_stores

_SECRET = 'secret-' + secrets.token_hex(12)
_BUCKET = 'inception-sources'
_BINARY = 'download_and_preprocess_imagenet'
_FIXTURE = demo.Config(num_classes=3, images_per_class=6, num_validation_images=6,
                       min_side=48, max_side=80, seed=22)
_LAYOUTS = (imagenet.KAGGLE, imagenet.KAGGLE_ZIP, imagenet.HF_PARQUET,
            imagenet.HF_TARGZ)
_SPLITS = ('train-', 'validation-')
_SERVER = None
_ROOT = None
_LOCAL = {}  # layout: (its local DATA_DIR, its settings)


def _settings(data_dir, source_format, **overrides):
  """The demo's settings on _FIXTURE from `source_format` (its layout written under
  data_dir/demo-source/), small shards, one worker."""
  values = dict(shards=convert.ShardCounts(2, 1),
                options=convert.ConvertOptions(workers=core.Workers(1),
                                               progress_interval=60))
  values.update(overrides)
  return demo.imagenet_demo_settings(data_dir, _FIXTURE, source_format=source_format,
                                     **values)


def _store_url(layout):
  """Where a layout lies in the bucket: Kaggle's zip as the object itself."""
  url = 's3://%s/%s' % (_BUCKET, layout)
  return url + '/' + imagenet.KAGGLE_ZIP_FILE if layout == imagenet.KAGGLE_ZIP else url


def setUpModule():
  global _SERVER, _ROOT
  _ROOT = absltest.get_default_test_tmpdir()
  _SERVER = object_stores.s3(os.path.join(_ROOT, 'moto.log'))
  os.environ.update(object_stores.aws_environment(_SERVER.url, _SECRET))
  s3 = fsspec.filesystem('s3')
  s3.mkdir(_BUCKET)
  for layout in _LAYOUTS:
    data_dir = os.path.join(_ROOT, 'local-' + layout)
    settings = _settings(data_dir, layout)
    imagenet.run(settings)
    _LOCAL[layout] = (data_dir, settings)
    # Kaggle's zip alone in its directory; Hugging Face's data/ and box archives.
    s3.put(settings.source + '/', '%s/%s/' % (_BUCKET, layout), recursive=True)


def tearDownModule():
  _SERVER.stop()


def _objects(prefix):
  return object_stores.s3_objects(_BUCKET, prefix)


def _local_shards(layout):
  return file_trees.shard_digests(_LOCAL[layout][0], _SPLITS)


def _from_store(layout, data_dir, prefix=None):
  """The local run's settings, reading the layout from the bucket (under `prefix`,
  default the layout's name) into `data_dir`."""
  return dataclasses.replace(_LOCAL[layout][1], data_dir=data_dir,
                             source='s3://%s/%s' % (_BUCKET, prefix or layout))


class S3SourcesTest(object_stores.StoreRunAssertions):
  SECRET = _SECRET

  def test_each_layout_from_s3_gives_the_local_shards_and_copies_nothing(self):
    for layout in _LAYOUTS:
      with self.subTest(layout):
        before = _objects(layout)
        data_dir = os.path.join(self.create_tempdir().full_path, 'data')
        state = imagenet.run(_from_store(layout, data_dir))
        self.assertEqual(file_trees.shard_digests(data_dir, _SPLITS),
                         _local_shards(layout))
        self.assertEqual(driver.closing_lines(data_dir, state),
                         [line.replace(_LOCAL[layout][0], data_dir) for line in
                          driver.closing_lines(_LOCAL[layout][0], state)])
        # Nothing copied (no downloads/; Hugging Face's spool, local, is gone),
        # nothing written in the source.
        self.assertCountEqual(
            [name for name in os.listdir(data_dir) if not name.startswith(_SPLITS)],
            [name for name in os.listdir(_LOCAL[layout][0])
             if not name.startswith(_SPLITS) and name != driver.DEMO_SOURCE_DIRNAME])
        self.assertNotIn(driver.DOWNLOADS_DIRNAME, os.listdir(data_dir))
        self.assertEqual(_objects(layout), before)
        # Each object read whole is recorded, with its size and ETag.
        recorded = state['bounding_boxes']['outputs']['source']
        self.assertEqual(recorded['path'], _store_url(layout))
        objects = recorded['objects']
        self.assertTrue(objects)
        for record in objects.values():
          self.assertTrue(record['url'].startswith('s3://%s/%s/' % (_BUCKET, layout)))
          self.assertEqual(record['size'], len(before[record['url'].split(
              '/', 4)[4]]))
          self.assertTrue(record['version'])

  def test_into_a_data_dir_on_s3_without_no_extract(self):
    for layout in (imagenet.KAGGLE, imagenet.KAGGLE_ZIP, imagenet.HF_PARQUET):
      with self.subTest(layout):
        data_dir = 's3://%s/out-%s' % (_BUCKET, layout)
        spool = imagenet.spool_dir(data_dir)
        if layout in imagenet.SPOOLED:  # spooled on this machine's disk
          self.assertTrue(spool.startswith(tempfile.gettempdir() + os.sep), spool)
        # Kaggle's zip: the object itself, as README's second command gives it.
        imagenet.run(dataclasses.replace(_from_store(layout, data_dir),
                                         source=_store_url(layout)))
        objects = _objects('out-' + layout)
        shards = {name: data for name, data in objects.items()
                  if name.startswith(_SPLITS)}
        self.assertLen(shards, 3)
        self.assertEqual({name: hashlib.sha256(data).hexdigest()
                          for name, data in shards.items()}, _local_shards(layout))
        self.assertIn('pipeline_state.json', objects)
        for name, data in objects.items():
          self.assertNotIn(_SECRET.encode(), data, name)
        self.assertNotIn(driver.DOWNLOADS_DIRNAME,
                         {name.split('/')[0] for name in objects})
        self.assertFalse(os.path.exists(spool))  # removed once the splits are written

  def test_a_replaced_object_is_refused_on_resume(self):
    s3 = fsspec.filesystem('s3')
    for layout, name, change in (
        # An index file: its MD5 changes too, but the object is named first.
        (imagenet.KAGGLE, 'LOC_synset_mapping.txt', lambda data: data + b'\n'),
        # An image's bytes, same size: the zip's index files are the same.
        (imagenet.KAGGLE_ZIP, imagenet.KAGGLE_ZIP_FILE, _flip_an_image_byte),
        # The same rows in other row groups.
        (imagenet.HF_PARQUET, 'data/train-00000-of-00003.parquet',
         _other_row_groups)):
      with self.subTest(layout):
        prefix = 'changing-' + layout
        s3.copy('%s/%s/' % (_BUCKET, layout), '%s/%s/' % (_BUCKET, prefix),
                recursive=True)
        data_dir = os.path.join(self.create_tempdir().full_path, 'data')
        settings = _from_store(layout, data_dir, prefix)
        # The first step only: a run that stopped before the convert step.
        imagenet.run(settings, only=('bounding_boxes',))
        key = '%s/%s/%s' % (_BUCKET, prefix, name)
        s3.pipe_file(key, change(s3.cat_file(key)))
        with self.assertRaisesRegex(
            driver.DriverError,
            r'^s3://%s: changed since the finished bounding_boxes step recorded it '
            r'\(size \d+, version .*\); .* --redo=bounding_boxes --overwrite' % key):
          imagenet.run(settings)
        self.assertFalse(file_trees.shard_digests(data_dir, _SPLITS))
        if layout != imagenet.KAGGLE:
          continue  # the zip's image is damaged now; one redo is enough
        # Redone from the start, the same shards.
        imagenet.run(settings, redo=('bounding_boxes',))
        self.assertEqual(file_trees.shard_digests(data_dir, _SPLITS),
                         _local_shards(layout))

  def test_readme_command_and_a_missing_bucket_through_the_binary(self):
    settings = _LOCAL[imagenet.KAGGLE][1]
    data_dir = os.path.join(self.create_tempdir().full_path, 'data')
    args = _readme_kaggle_args()
    self.assertEqual(args, ['--source=s3://%s/kaggle' % _BUCKET, '${DATA_DIR}'])
    flags = ['--labels_file=' + settings.labels.synsets,
             '--imagenet_metadata_file=' + settings.labels.metadata,
             '--validation_labels_file=' + settings.labels.validation_labels,
             '--validation_bounding_boxes', '--train_shards=2',
             '--validation_shards=1', '--num_threads=2']
    result = binaries.run(_BINARY, args[:-1] + flags + [data_dir], cwd=_ROOT)
    self.assert_clean_run(result)
    self.assertIn("Source s3://%s/kaggle: Kaggle's" % _BUCKET, result.stderr)
    self.assertEqual(file_trees.shard_digests(data_dir, _SPLITS),
                     _local_shards(imagenet.KAGGLE))
    missing = 's3://no-such-bucket-here/kaggle'
    result = binaries.run(_BINARY, ['--source=' + missing] + flags + [data_dir + '2'],
                          cwd=_ROOT)
    self.assert_one_line_error(result, missing, 'no such bucket')

  def test_a_missing_image_is_refused_before_any_work_naming_its_url(self):
    s3 = fsspec.filesystem('s3')
    s3.copy('%s/kaggle/' % _BUCKET, '%s/kaggle-missing/' % _BUCKET, recursive=True)
    image = sorted(key for key in s3.find('%s/kaggle-missing/ILSVRC/Data/CLS-LOC/val'
                                          % _BUCKET))[0]
    s3.rm_file(image)
    data_dir = os.path.join(self.create_tempdir().full_path, 'data')
    with self.assertRaisesRegex(convert.ConversionError,
                                r'^LOC_val_solution.csv lists s3://%s, which is '
                                r'missing$' % image):
      imagenet.run(_from_store(imagenet.KAGGLE, data_dir, 'kaggle-missing'))
    self.assertFalse(os.path.exists(data_dir))

  def test_a_prefix_of_no_layout_is_refused_naming_what_it_holds(self):
    prefix = 's3://%s/nothing-here' % _BUCKET
    fsspec.filesystem('s3').pipe_file(prefix[len('s3://'):] + '/notes.txt', b'hello')
    data_dir = os.path.join(self.create_tempdir().full_path, 'data')
    with self.assertRaisesRegex(imagenet.SourceError,
                                r'^--source %s holds none of the layouts ImageNet '
                                r'comes in: .*; found notes.txt$' % prefix):
      imagenet.run(dataclasses.replace(
          _from_store(imagenet.KAGGLE, data_dir, 'nothing-here'),
          source_format=imagenet.AUTO))
    self.assertFalse(os.path.exists(data_dir))


def _readme_kaggle_args():
  """The arguments of the Kaggle command in README's "The ImageNet driver on a
  store", `my-bucket` replaced by this test's bucket."""
  with open(runfiles.Create().Rlocation('inception/README.md')) as f:
    text = f.read()
  section = text.split('### The ImageNet driver on a store', 1)[1].split('\n## ')[0]
  command = 'bazel run //inception:%s -- --source=s3://my-bucket/kaggle ' % _BINARY
  line, = [line for line in section.replace('\\\n', ' ').splitlines()
           if line.startswith(command)]
  return shlex.split(line[len('bazel run //inception:%s -- ' % _BINARY):].replace(
      'my-bucket', _BUCKET))


def _flip_an_image_byte(data):
  """The zip with one byte of a validation image's compressed data changed."""
  path = os.path.join(absltest.get_default_test_tmpdir(), 'changed.zip')
  with open(path, 'wb') as f:
    f.write(data)
  index = acquire.index_zip(path)
  folder = 'ILSVRC/Data/CLS-LOC/val'
  member = index.member(folder + '/' + index.listdir(folder)[0])
  position = member.offset + member.compressed_size // 2 + 64
  return data[:position] + bytes([data[position] ^ 0xff]) + data[position + 1:]


def _other_row_groups(data):
  """The same parquet rows, one per row group."""
  table = pq.read_table(io.BytesIO(data))
  out = io.BytesIO()
  pq.write_table(table, out, row_group_size=1)
  return out.getvalue()


if __name__ == '__main__':
  absltest.main()
