"""Tests for inception.shard_pool: shards written by worker processes."""

import os

from absl.testing import absltest

from inception import records
from inception.convert import _shard_pool
from tests import conversion_fixtures as fixtures


class RunShardTasksTest(absltest.TestCase):

  def setUp(self):
    super().setUp()
    self.directory = self.create_tempdir().full_path

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
        entries.append(records.ImageEntry(path, name, index + 1, 'n1', 't'))
      tasks.append(records.ShardTask(
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
    _shard_pool.run_shard_tasks(tasks, 3, results.append,
                               lambda n, b: progress.append((n, b)))
    self.assertCountEqual([r.index for r in results], range(5))
    self.assertEqual(sum(n for n, _ in progress), 15)
    self.assertEqual(sum(b for _, b in progress), sum(r.num_input_bytes for r in results))
    from_workers = self._bytes(tasks)
    in_process = []
    _shard_pool.run_shard_tasks(tasks, 1, in_process.append)
    self.assertEqual([r.index for r in in_process], list(range(5)))
    self.assertEqual(self._bytes(tasks), from_workers)

  def test_a_failure_is_raised_with_the_image_path(self):
    tasks = self._tasks(4, 2, bad='s1_1.JPEG')
    results = []
    with self.assertRaises(records.ImageError) as raised:
      _shard_pool.run_shard_tasks(tasks, 2, results.append)
    self.assertIn(os.path.join(self.directory, 'raw', 's1_1.JPEG'), str(raised.exception))
    self.assertNotIn(1, [r.index for r in results])
    self.assertFalse(os.path.exists(tasks[1].output_path))
    for result in results:  # shards reported done are whole
      self.assertTrue(os.path.exists(result.output_path))
    leftovers = [n for n in os.listdir(self.directory) if 'incomplete' in n]
    self.assertEqual(leftovers, [])

  def test_no_tasks(self):
    _shard_pool.run_shard_tasks([], 4, self.fail)


if __name__ == '__main__':
  absltest.main()
