"""Tests of inception.convert._writing: the runner writing shards, bad images, and the
finished split."""

import contextlib
import io
import json
import os
from unittest import mock

from absl.testing import absltest

from inception import convert
from inception import core
from inception import records as records_lib
from inception.convert import _writing
from tests import conversion_fixtures as fixtures
from tests import file_trees

SYNSETS = fixtures.synset_names(3)
CLASSES = [convert.ImageClass(s, s, 't') for s in SYNSETS]
WORKER_SYNSETS = fixtures.synset_names(4)


class WorkerCountTest(absltest.TestCase):

  def test_identical_shards_and_indexes_for_one_two_and_three_workers(self):
    root = self.create_tempdir().full_path
    special = {'%s_0.JPEG' % WORKER_SYNSETS[0]: fixtures.image_bytes(1, 'png'),
               '%s_1.JPEG' % WORKER_SYNSETS[1]: fixtures.image_bytes(2, 'cmyk'),
               '%s_2.JPEG' % WORKER_SYNSETS[2]: fixtures.image_bytes(3, 'grayscale')}
    fixtures.make_imagenet_split(os.path.join(root, 'train'), WORKER_SYNSETS, 7,
                                 special=special)
    classes = [convert.ImageClass(s, s, 'text ' + s) for s in WORKER_SYNSETS]
    boxes = {'%s_3.JPEG' % WORKER_SYNSETS[3]: [(0.1, 0.2, 0.3, 0.4)]}
    outputs = {}
    for workers in (1, 2, 3):
      output = os.path.join(root, 'out%d' % workers)
      options = convert.ConvertOptions(workers=core.Workers(workers), write_index=True)
      with contextlib.redirect_stdout(io.StringIO()) as stdout:
        result = convert.convert_split(
            'train', convert.find_class_entries(os.path.join(root, 'train'), classes), 5,
            output, options, boxes)
        print(result.summary_line())
      self.assertEqual(stdout.getvalue(), 'Finished writing all 28 images in data set.\n')
      self.assertEqual(result.num_images, 28)
      self.assertEqual(result.num_shards, 5)
      outputs[workers] = file_trees.file_contents(output)
    self.assertLen(outputs[1], 5 + 5 + 1)  # shards, indexes, manifest
    self.assertEqual(outputs[2], outputs[1])
    self.assertEqual(outputs[3], outputs[1])


class BadImageTest(absltest.TestCase):

  def setUp(self):
    super().setUp()
    self.root = self.create_tempdir().full_path
    self.train = os.path.join(self.root, 'train')
    self.bad_name = '%s_2.JPEG' % SYNSETS[1]
    self.bad_path = os.path.join(self.train, SYNSETS[1], self.bad_name)
    fixtures.make_imagenet_split(self.train, SYNSETS, 5,
                                 special={self.bad_name: fixtures.truncated_jpeg()})
    self.output = os.path.join(self.root, 'out')

  def convert(self, num_workers=1, **options):
    """Converts the train folder as a run would, printing its summary line."""
    options['workers'] = core.Workers(num_workers)
    with contextlib.redirect_stdout(io.StringIO()) as stdout:
      try:
        result = convert.convert_split(
            'train', convert.find_class_entries(self.train, CLASSES), 3, self.output,
            convert.ConvertOptions(**options))
        print(result.summary_line())
        return result
      finally:
        self.stdout = stdout.getvalue()

  def test_default_stops_naming_the_image(self):
    with self.assertRaises(records_lib.ImageError) as raised:
      self.convert(num_workers=2)
    self.assertIn(self.bad_path, str(raised.exception))
    self.assertEqual(self.stdout, '')
    plan = convert.plan_split('train', convert.find_class_entries(self.train, CLASSES), 3,
                              self.output)
    (bad_task,) = [t for t in plan.tasks
                   if self.bad_name in [e.filename for e in t.entries]]
    self.assertFalse(os.path.exists(bad_task.output_path))
    self.assertEqual([n for n in os.listdir(self.output) if 'incomplete' in n], [])
    record = records_lib.load_manifest(self.output).splits['train']
    self.assertFalse(record.complete)
    self.assertIsNone(record.shard_counts[bad_task.index])

  def test_skip_lists_the_image_and_counts_honestly(self):
    result = self.convert(num_workers=2, skip_bad_images=True)
    self.assertEqual(self.stdout, 'Finished writing all 14 images in data set.\n')
    self.assertEqual(result.num_images, 14)
    self.assertEqual([(s.source, s.filename) for s in result.skipped],
                     [(self.bad_path, self.bad_name)])
    with open(os.path.join(self.output, 'bad_images-train.txt')) as f:
      lines = f.read().splitlines()
    self.assertLen(lines, 1)
    self.assertTrue(lines[0].startswith(self.bad_path + '\tcorrupt JPEG header'))
    with open(os.path.join(self.output, 'conversion_manifest.json')) as f:
      record = json.load(f)['splits']['train']
    self.assertEqual((record['num_images'], record['num_skipped']), (14, 1))
    self.assertEqual(sum(record['shard_counts']), 14)
    self.assertEqual(record['class_counts'], {'1': 5, '2': 4, '3': 5})
    self.assertEqual(record['skipped_images'][0]['filename'], self.bad_name)

    # A resumed skip run keeps everything; a strict run redoes the shard and fails.
    again = self.convert(num_workers=1, skip_bad_images=True)
    self.assertEqual((again.num_reused_shards, again.num_images, len(again.skipped)),
                     (3, 14, 1))
    with self.assertRaisesRegex(records_lib.ImageError, self.bad_name):
      self.convert(num_workers=1)

  def test_full_validation_finds_cut_scan_data(self):
    fixtures.write(self.bad_path, fixtures.truncated_scan_jpeg())
    self.assertEqual(self.convert(num_workers=1, validate_images='none').num_images, 15)
    with self.assertRaisesRegex(records_lib.ImageError, 'TensorFlow cannot decode'):
      self.convert(num_workers=2, validate_images='full', overwrite=True)


class ManifestWritesTest(absltest.TestCase):
  """The manifest is written at most once a second while shards complete, and
  whole at the end: not rewritten after each of many small shards."""

  def setUp(self):
    super().setUp()
    root = self.create_tempdir().full_path
    self.train = os.path.join(root, 'train')
    fixtures.make_imagenet_split(self.train, SYNSETS, 5)
    self.output = os.path.join(root, 'out')

  def writes(self):
    """Converts the 15 images into 15 shards; how many times the manifest was written."""
    with mock.patch.object(records_lib, 'save_manifest',
                           wraps=records_lib.save_manifest) as save, \
        contextlib.redirect_stdout(io.StringIO()):
      result = convert.convert_split(
          'train', convert.find_class_entries(self.train, CLASSES), 15, self.output,
          convert.ConvertOptions(workers=core.Workers(1), overwrite=True))
    self.assertEqual(result.num_images, 15)
    record = records_lib.load_manifest(self.output).splits['train']
    self.assertTrue(record.complete)
    self.assertEqual(record.shard_counts, [1] * 15)
    return save.call_count

  def test_a_few_writes_for_many_shards(self):
    self.assertLessEqual(self.writes(), 4)  # planned, maybe one on the way, end

  def test_every_shard_written_out_without_the_interval(self):
    with mock.patch.object(_writing, 'MANIFEST_SAVE_SECONDS', 0):
      self.assertGreaterEqual(self.writes(), 15)


class LocalShardRunnerTest(absltest.TestCase):
  """The local pool writing shards: what `shard_runner` gives for runner 'local'."""

  def setUp(self):
    super().setUp()
    self.directory = self.create_tempdir().full_path

  def _runner(self, num_workers):
    return _writing.shard_runner(
        convert.ConvertOptions(workers=core.Workers(num_workers)))

  def _tasks(self, num_shards, per_shard, bad=None):
    tasks = []
    for index in range(num_shards):
      entries = []
      for n in range(per_shard):
        name = 's%d_%d.JPEG' % (index, n)
        data = fixtures.image_bytes(index * 100 + n)
        if name == bad:
          data = b'garbage'
        path = fixtures.write(os.path.join(self.directory, 'raw', name), data)
        entries.append(records_lib.ImageEntry(path, name, index + 1, 'n1', 't'))
      tasks.append(records_lib.ShardTask(
          'train', index, num_shards,
          os.path.join(self.directory, 'train-%05d-of-%05d' % (index, num_shards)),
          tuple(entries), tuple(() for _ in entries)))
    return tasks

  def _bytes(self, tasks):
    result = []
    for task in tasks:
      with open(task.output_path, 'rb') as f:
        result.append(f.read())
    return result

  def test_workers_write_every_shard_as_in_process_does(self):
    tasks = self._tasks(5, 3)
    results, progress = [], []
    self._runner(3).run(tasks, results.append, lambda n, b: progress.append((n, b)))
    self.assertCountEqual([r.index for r in results], range(5))
    self.assertEqual(sum(n for n, _ in progress), 15)
    self.assertEqual(sum(b for _, b in progress), sum(r.num_input_bytes for r in results))
    from_workers = self._bytes(tasks)
    in_process = []
    self._runner(1).run(tasks, in_process.append)
    self.assertEqual([r.index for r in in_process], list(range(5)))
    self.assertEqual(self._bytes(tasks), from_workers)

  def test_a_failure_is_raised_with_the_image_path(self):
    tasks = self._tasks(4, 2, bad='s1_1.JPEG')
    results = []
    with self.assertRaises(records_lib.ImageError) as raised:
      self._runner(2).run(tasks, results.append)
    self.assertIn(os.path.join(self.directory, 'raw', 's1_1.JPEG'), str(raised.exception))
    self.assertNotIn(1, [r.index for r in results])
    self.assertFalse(os.path.exists(tasks[1].output_path))
    for result in results:  # shards reported done are whole
      self.assertTrue(os.path.exists(result.output_path))
    leftovers = [n for n in os.listdir(self.directory) if 'incomplete' in n]
    self.assertEqual(leftovers, [])

  def test_no_tasks(self):
    self._runner(4).run([], self.fail)


if __name__ == '__main__':
  absltest.main()
