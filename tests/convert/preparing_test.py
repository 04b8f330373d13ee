"""Tests of inception.convert._preparing: complete shards are kept, a killed run
resumes to identical output, shards of another plan are refused."""

import contextlib
import io
import os
import signal
import subprocess
import sys
import time

from absl.testing import absltest

from inception import convert
from inception import core
from inception import records
from tests import conversion_fixtures as fixtures
from tests import file_trees

SYNSETS = fixtures.synset_names(3)
CLASSES = [convert.ImageClass(s, s, 't') for s in SYNSETS]


class ResumeTest(absltest.TestCase):

  def setUp(self):
    super().setUp()
    self.root = self.create_tempdir().full_path
    self.train = os.path.join(self.root, 'train')
    self.files = fixtures.make_imagenet_split(self.train, SYNSETS, 8)

  def convert(self, output, num_shards=6, num_workers=1, **options):
    """Converts the train folder as a run would, printing its summary line."""
    options['workers'] = core.Workers(num_workers)
    with contextlib.redirect_stdout(io.StringIO()) as stdout:
      result = convert.convert_split(
          'train', convert.find_class_entries(self.train, CLASSES), num_shards, output,
          convert.ConvertOptions(**options))
      print(result.summary_line())
    self.stdout = stdout.getvalue()
    return result

  def test_rerun_keeps_complete_shards(self):
    output = os.path.join(self.root, 'out')
    self.convert(output)
    before = {n: os.stat(os.path.join(output, n)).st_ino for n in os.listdir(output)
              if '-of-' in n}
    contents = file_trees.file_contents(output)
    result = self.convert(output, write_index=True)
    self.assertEqual(result.num_reused_shards, 6)
    self.assertEqual(self.stdout, 'Finished writing all 24 images in data set.\n')
    for name, inode in before.items():
      self.assertEqual(os.stat(os.path.join(output, name)).st_ino, inode)
    after = file_trees.file_contents(output)
    self.assertLen([n for n in after if n.startswith('index/')], 6)  # added on reuse
    self.assertEqual({n: b for n, b in after.items() if not n.startswith('index/')},
                     contents)
    result = self.convert(output, overwrite=True)
    self.assertEqual(result.num_reused_shards, 0)
    # ... and the index files of no use are gone.
    self.assertEqual(file_trees.file_contents(output), contents)

  def test_corrupt_or_missing_shard_is_rewritten(self):
    output = os.path.join(self.root, 'out')
    self.convert(output)
    contents = file_trees.file_contents(output)
    with open(os.path.join(output, 'train-00002-of-00006'), 'r+b') as f:
      f.truncate(100)
    os.remove(os.path.join(output, 'train-00004-of-00006'))
    result = self.convert(output)
    self.assertEqual(result.num_reused_shards, 4)
    self.assertEqual(file_trees.file_contents(output), contents)

  def test_killed_run_resumes_to_identical_output(self):
    reference = os.path.join(self.root, 'reference')
    self.convert(reference)
    # Block one image (a FIFO never written) so the run is mid-way when killed.
    plan = convert.plan_split('train', convert.find_class_entries(self.train, CLASSES),
                              6, '/unused')
    blocked_shard = 3
    blocked = plan.tasks[blocked_shard].entries[1].source
    os.remove(blocked)
    os.mkfifo(blocked)
    output = os.path.join(self.root, 'out')
    code = ('from inception import convert\n'
            'from inception import core\n'
            'result = convert.convert_split(\n'
            '    "train", convert.find_class_entries(%r, %r), 6, %r,\n'
            '    convert.ConvertOptions(workers=core.Workers(2)))\n'
            'print(result.summary_line())\n' %
            (self.train, [tuple(c) for c in CLASSES], output))
    env = dict(os.environ, PYTHONPATH=os.pathsep.join(p for p in sys.path if p))
    child = subprocess.Popen([sys.executable, '-c', code], env=env,
                             start_new_session=True, stdout=subprocess.PIPE,
                             stderr=subprocess.DEVNULL)
    others = ['train-%05d-of-00006' % i for i in range(6) if i != blocked_shard]
    deadline = time.monotonic() + 50
    while not all(os.path.exists(os.path.join(output, n)) for n in others):
      self.assertIsNone(child.poll(), 'the run ended before it was killed')
      self.assertLess(time.monotonic(), deadline, 'the run did not get far enough')
      time.sleep(0.05)
    os.killpg(child.pid, signal.SIGKILL)
    child.wait()
    self.assertNotIn(b'Finished', child.stdout.read())
    child.stdout.close()
    names = os.listdir(output)
    self.assertNotIn('train-00003-of-00006', names)
    self.assertTrue(any('train-00003-of-00006.incomplete-' in n for n in names), names)

    os.remove(blocked)
    fixtures.write(blocked, self.files[os.path.basename(blocked)])
    result = self.convert(output)
    self.assertEqual(result.num_reused_shards, 5)
    self.assertEqual(file_trees.file_contents(output),
                     file_trees.file_contents(reference))

  def test_shards_of_another_plan_are_refused_unless_overwrite(self):
    output = os.path.join(self.root, 'out')
    self.convert(output, num_shards=2)
    with self.assertRaisesRegex(convert.ConversionError, 'another plan'):
      self.convert(output, num_shards=3)
    fixtures.write(os.path.join(self.train, SYNSETS[0], 'extra.JPEG'),
                   fixtures.image_bytes(77))
    with self.assertRaisesRegex(convert.ConversionError, 'different plan'):
      self.convert(output, num_shards=2)
    self.convert(output, num_shards=3, overwrite=True)
    self.assertEqual(sorted(n for n in os.listdir(output) if '-of-' in n),
                     ['train-%05d-of-00003' % i for i in range(3)])
    self.assertEqual(self.stdout, 'Finished writing all 25 images in data set.\n')

  def test_shards_of_a_version_that_reencoded_at_420_are_refused_in_one_line(self):
    # A directory converted by a version before issue 25 (PNG and CMYK re-encoded at
    # 4:2:0) holds the same plan under the fingerprint without the re-encoding line:
    # resuming it would mix shards of both, so it is refused, saying why.
    output = os.path.join(self.root, 'out')
    self.convert(output, num_shards=2)
    plan = convert.plan_split('train', convert.find_class_entries(self.train, CLASSES),
                              2, output)
    manifest = records.load_manifest(output)
    manifest.splits['train'].plan_fingerprint = records.plan_fingerprint(
        plan.record_format, plan.num_shards, plan.tasks, reencode=None)
    records.save_manifest(output, manifest)
    with self.assertRaises(convert.ConversionError) as refused:
      self.convert(output, num_shards=2)
    self.assertEqual(
        str(refused.exception),
        '%s: the train shards there were written by an earlier version, which '
        're-encoded PNG and CMYK images with other JPEG options (4:2:0 chroma; now '
        '4:4:4), and resuming would mix the two; use --overwrite to write them again'
        % output)
    result = self.convert(output, num_shards=2, overwrite=True)
    self.assertEqual(result.num_reused_shards, 0)
    self.assertEqual(records.load_manifest(output).splits['train'].plan_fingerprint,
                     plan.fingerprint)

  def test_shards_without_a_manifest_are_refused(self):
    output = os.path.join(self.root, 'out')
    fixtures.write(os.path.join(output, 'train-00000-of-00006'), b'')
    with self.assertRaisesRegex(convert.ConversionError, 'no record of their plan'):
      self.convert(output)


if __name__ == '__main__':
  absltest.main()
