"""Tests the driver binary as users run it: from the built binary's path, from another
working directory, with a relative DATA_DIR (the classic runfiles bug)."""

import os
import shlex
import signal
import subprocess
import sys
import time

from absl.testing import absltest

from tests import binaries
from tests import file_trees

_BINARY = 'download_and_preprocess_imagenet'
_SMALL_DEMO = ['--train_shards=2', '--validation_shards=1', '--num_threads=1']


def _train_shards(data_dir):
  if not os.path.isdir(data_dir):
    return []
  return sorted(n for n in os.listdir(data_dir)
                if n.startswith('train-') and 'incomplete' not in n)


class DriverBinaryTest(absltest.TestCase):

  @classmethod
  def setUpClass(cls):
    super().setUpClass()
    cls.binary = binaries.path(_BINARY)

  def test_binary_is_the_built_one_with_its_own_runfiles(self):
    self.assertTrue(
        self.binary.endswith('/bin/inception/download_and_preprocess_imagenet'),
        self.binary)
    self.assertTrue(os.path.isdir(self.binary + '.runfiles'))

  def test_demo_from_another_directory_with_relative_data_dir(self):
    cwd = self.create_tempdir('elsewhere').full_path
    result = binaries.run(_BINARY, ['--demo', 'out/demo'] + _SMALL_DEMO, cwd)
    self.assertEqual(result.returncode, 0, result.stderr[-3000:])
    last_line = result.stdout.strip().splitlines()[-1]
    self.assertRegex(last_line, r'^Finished writing all \d+ images in data set\.$')
    data_dir = os.path.join(cwd, 'out', 'demo')
    self.assertTrue(os.path.isfile(os.path.join(data_dir, 'train-00000-of-00002')))
    self.assertTrue(os.path.isfile(os.path.join(data_dir, 'validation-00000-of-00001')))
    self.assertTrue(os.path.isfile(os.path.join(
        data_dir, 'raw-data', 'imagenet_2012_bounding_boxes.csv')))
    self.assertFalse(os.path.exists(os.path.join(data_dir, 'raw-data',
                                                 'bounding_boxes')))
    # A second run is a no-op that still ends with the same line.
    again = binaries.run(_BINARY, ['--demo', 'out/demo'] + _SMALL_DEMO, cwd)
    self.assertEqual(again.returncode, 0, again.stderr[-3000:])
    self.assertEqual(again.stdout.strip().splitlines()[-1], last_line)
    self.assertIn('already finished, skipped', again.stderr)

  def test_relative_path_resolves_against_build_working_directory(self):
    typed_in = self.create_tempdir('typed_in').full_path
    runfiles_cwd = self.create_tempdir('bazel_run_cwd').full_path
    result = binaries.run(_BINARY, ['--demo', 'rel'] + _SMALL_DEMO, runfiles_cwd,
                       BUILD_WORKING_DIRECTORY=typed_in)
    self.assertEqual(result.returncode, 0, result.stderr[-3000:])
    self.assertTrue(os.path.isdir(os.path.join(typed_in, 'rel')))
    self.assertFalse(os.path.exists(os.path.join(runfiles_cwd, 'rel')))

  def test_killed_during_conversion_then_resumed_gives_identical_shards(self):
    cwd = self.create_tempdir('killed').full_path
    args = ['--train_shards=12', '--validation_shards=1', '--num_threads=1']
    reference = binaries.run(_BINARY, ['--demo', 'reference'] + args, cwd)
    self.assertEqual(reference.returncode, 0, reference.stderr[-3000:])
    data_dir = os.path.join(cwd, 'victim')
    process = subprocess.Popen(
        [self.binary, '--demo', data_dir] + args, cwd=cwd, stdin=subprocess.DEVNULL,
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        env=binaries.user_environment(), start_new_session=True)
    try:
      deadline = time.monotonic() + 180
      while not _train_shards(data_dir) and process.poll() is None:
        self.assertLess(time.monotonic(), deadline, 'no train shard appeared')
        time.sleep(0.05)
    finally:
      os.killpg(process.pid, signal.SIGKILL)
      process.wait()
    written_before_kill = _train_shards(data_dir)
    self.assertLess(len(written_before_kill), 12, 'the run finished before the kill')
    resumed = binaries.run(_BINARY, ['--demo', data_dir] + args, cwd)
    self.assertEqual(resumed.returncode, 0, resumed.stderr[-3000:])
    reference_dir = os.path.join(cwd, 'reference')
    self.assertEqual(file_trees.shard_digests(data_dir),
                     file_trees.shard_digests(reference_dir))
    self.assertLen(_train_shards(data_dir), 12)
    self.assertFalse([n for n in os.listdir(data_dir) if 'incomplete' in n])

  def test_demo_with_test_writes_the_test_split_last(self):
    cwd = self.create_tempdir('with_test').full_path
    result = binaries.run(_BINARY, ['--demo', '--with_test', '--test_shards=1', 'demo']
                          + _SMALL_DEMO, cwd)
    self.assertEqual(result.returncode, 0, result.stderr[-3000:])
    self.assertEqual(result.stdout.strip().splitlines()[-1],
                     'Finished writing all 24 images in data set.')
    self.assertTrue(os.path.isfile(os.path.join(cwd, 'demo', 'test-00000-of-00001')))

  def test_demo_with_extract_xml_writes_the_box_xmls(self):
    cwd = self.create_tempdir('extract_xml').full_path
    result = binaries.run(_BINARY, ['--demo', '--extract_xml', 'demo'] + _SMALL_DEMO,
                          cwd)
    self.assertEqual(result.returncode, 0, result.stderr[-3000:])
    raw = os.path.join(cwd, 'demo', 'raw-data')
    self.assertNotEmpty(os.listdir(os.path.join(raw, 'bounding_boxes')))
    self.assertNotEmpty(os.listdir(os.path.join(raw, 'validation_bounding_boxes')))
    self.assertTrue(os.path.isfile(os.path.join(raw,
                                                'imagenet_2012_bounding_boxes.csv')))

  def assert_flags_refused(self, args, message):
    """`args` (DATA_DIR 'data' among them) fail as a flag error saying `message`,
    before DATA_DIR is made."""
    cwd = self.create_tempdir().full_path
    result = binaries.run(_BINARY, args, cwd)
    self.assertEqual(result.returncode, 1)
    self.assertIn(message, result.stderr)
    self.assertNotIn('Traceback', result.stderr)
    self.assertFalse(os.path.exists(os.path.join(cwd, 'data')))

  def test_extract_xml_with_no_extract_is_a_usage_error(self):
    self.assert_flags_refused(['--demo', '--no_extract', '--extract_xml', 'data'],
                              '--extract_xml needs --extract')

  def test_test_shards_without_with_test_is_a_usage_error(self):
    self.assert_flags_refused(['--demo', '--test_shards=3', 'data'],
                              '--test_shards needs --with_test: without it there is no '
                              'test split to shard')

  def test_with_test_without_its_md5_is_a_one_line_error(self):
    cwd = self.create_tempdir('no_md5').full_path
    result = binaries.run(_BINARY, ['--with_test', '--source=' + cwd, 'data'], cwd)
    self.assertEqual(result.returncode, 1)
    self.assertRegex(result.stderr.strip().splitlines()[-1],
                     r'error: ILSVRC2012_img_test_v10102019\.tar: no checksum known .*'
                     r'--checksums_file')
    self.assertFalse(os.path.exists(os.path.join(cwd, 'data', 'downloads')))

  def test_stream_extract_parses_and_is_refused_with_no_extract(self):
    self.assert_flags_refused(['--stream_extract', '--no_extract', 'data'],
                              '--stream_extract extracts the tarballs while they '
                              'download; it cannot be combined with --no_extract')
    cwd = self.create_tempdir('stream').full_path
    # Parsed (a directory source: it changes nothing), then the missing source fails.
    result = binaries.run(_BINARY, ['--stream_extract', '--source=' + os.path.join(
        cwd, 'no_tarballs_here'), 'data'], cwd)
    self.assertEqual(result.returncode, 1)
    self.assertRegex(result.stderr.strip().splitlines()[-1],
                     'error: source directory .*no_tarballs_here does not exist')

  def test_demo_from_kaggle_and_hugging_face_gives_the_tarballs_shards(self):
    cwd = self.create_tempdir('layouts').full_path
    outputs = {}
    for source_format in ('tarballs', 'kaggle', 'kaggle_zip', 'hf_parquet',
                          'hf_targz'):
      result = binaries.run(_BINARY, ['--demo', '--source_format=' + source_format,
                                      source_format] + _SMALL_DEMO, cwd)
      self.assertEqual(result.returncode, 0, result.stderr[-3000:])
      data_dir = os.path.join(cwd, source_format)
      outputs[source_format] = (result.stdout.replace(data_dir, 'DATA_DIR'),
                                file_trees.shard_digests(data_dir))
      if source_format.startswith('hf'):
        self.assertRegex(result.stderr, r"Source %s/hf-\S*: Hugging Face's ILSVRC/"
                         'imagenet-1k' % os.path.join(data_dir, 'demo-source'))
        self.assertRegex(result.stderr, r'Hugging Face source \S+: \d+ train images '
                         r'of \d+ classes, \d+ validation images')
        self.assertFalse(os.path.exists(os.path.join(data_dir, 'spool')))
      elif source_format != 'tarballs':
        self.assertRegex(result.stderr, r"Source %s/kaggle\S*: Kaggle's imagenet-"
                         'object-localization-challenge' %
                         os.path.join(data_dir, 'demo-source'))
        self.assertRegex(result.stderr, r'Kaggle source \S+, as its index lists it: '
                         r'\d+ train images')
        self.assertFalse(os.path.exists(os.path.join(data_dir, 'downloads')))
    self.assertRegex(outputs['tarballs'][0].splitlines()[-1],
                     r'^Finished writing all \d+ images in data set\.$')
    self.assertLen(outputs['tarballs'][1], 3)
    self.assertEqual(outputs['kaggle'], outputs['tarballs'])
    self.assertEqual(outputs['kaggle_zip'], outputs['tarballs'])
    self.assertEqual(outputs['hf_parquet'], outputs['tarballs'])
    self.assertEqual(outputs['hf_targz'], outputs['tarballs'])

  def test_a_mixture_is_a_one_line_error_before_any_work(self):
    cwd = self.create_tempdir('mixture').full_path
    source = os.path.join(cwd, 'mixed')
    os.makedirs(os.path.join(source, 'ILSVRC'))
    for name in ('ILSVRC2012_img_val.tar', 'LOC_synset_mapping.txt'):
      with open(os.path.join(source, name), 'wb'):
        pass
    result = binaries.run(_BINARY, ['--source=' + source, 'data'], cwd)
    self.assertEqual(result.returncode, 1)
    self.assertRegex(result.stderr.strip().splitlines()[-1],
                     r'^download_and_preprocess_imagenet: error: --source %s holds a '
                     r'mixture: the official ILSVRC2012 tarballs \(ILSVRC2012_img_val'
                     r"\.tar\); Kaggle's .*; give --source_format=tarballs or kaggle" %
                     source)
    self.assertFalse(os.path.exists(os.path.join(cwd, 'data')))
    result = binaries.run(_BINARY, ['--source=' + source, '--source_format=kaggle',
                                    '--link_mode=symlink', 'data'], cwd)
    self.assertEqual(result.returncode, 1)
    self.assertIn('--link_mode applies only to the official tarballs',
                  result.stderr.strip().splitlines()[-1])
    self.assertFalse(os.path.exists(os.path.join(cwd, 'data')))

  def test_failure_exits_non_zero_with_the_cause(self):
    cwd = self.create_tempdir('failing').full_path
    result = binaries.run(_BINARY, ['--source=' + os.path.join(cwd, 'no_tarballs_here'), 'data'],
                       cwd)
    self.assertNotEqual(result.returncode, 0)
    self.assertIn('no_tarballs_here', result.stderr)
    self.assertNotIn('Finished writing', result.stdout)


class _DataDirTestCase(absltest.TestCase):
  """Each test has a working directory and a DATA_DIR in it, not made yet."""

  def setUp(self):
    super().setUp()
    self.cwd = self.create_tempdir().full_path
    self.data_dir = os.path.join(self.cwd, 'data')


class RunLockTest(_DataDirTestCase):
  """One run at a time on a DATA_DIR (issue 24)."""

  def test_a_second_driver_on_one_data_dir_is_refused_in_one_line(self):
    args = ['--demo', self.data_dir] + _SMALL_DEMO
    first = binaries.start(_BINARY, args, self.cwd, os.path.join(self.cwd, 'first.log'))
    self.addCleanup(binaries.kill_group, first)
    binaries.wait_for_lock(first, self.data_dir)
    os.kill(first.pid, signal.SIGSTOP)  # holding the lock, until the others tried
    try:
      empty = self.create_tempdir().full_path  # a source of tarballs, none yet
      for name, others in ((_BINARY, args),
                           ('download_imagenet', ['--source=' + empty, 'data'])):
        result = binaries.run(name, others, self.cwd)
        self.assertEqual((result.returncode, result.stderr), (
            1, '%s: error: %s is in use by another run (pid %d: %s); wait for it to '
            'end, or stop it\n' % (name, self.data_dir, first.pid,
                                    shlex.join([_BINARY] + args))))
    finally:
      os.kill(first.pid, signal.SIGCONT)
    self.assertEqual(first.wait(timeout=240), 0)
    with open(os.path.join(self.cwd, 'first.log')) as f:
      self.assertRegex(f.read().splitlines()[-1],
                       r'^Finished writing all \d+ images in data set\.$')


class ResumeHintTest(_DataDirTestCase):
  """The resume hint ends a failure only where a re-run gets past it, once (issue
  24)."""

  def test_an_interruption_ends_with_the_resume_hint_once(self):
    log_path = os.path.join(self.cwd, 'interrupted.log')
    process = binaries.start(_BINARY, ['--demo', self.data_dir] + _SMALL_DEMO, self.cwd,
                               log_path)
    self.addCleanup(binaries.kill_group, process)
    binaries.wait_for_lock(process, self.data_dir)
    os.kill(process.pid, signal.SIGINT)
    self.assertEqual(process.wait(timeout=120), 130)
    with open(log_path) as f:
      output = f.read()
    self.assertEqual(output.splitlines()[-1], '%s: interrupted. Run the same command '
                     'again to resume: finished steps are not redone.' % _BINARY)
    self.assertEqual(output.count('Run the same command again'), 1)
    resumed = binaries.run(_BINARY, ['--demo', self.data_dir] + _SMALL_DEMO, self.cwd)
    self.assertEqual(resumed.returncode, 0, resumed.stderr[-3000:])

  def test_bad_input_fails_without_the_resume_hint(self):
    result = binaries.run(_BINARY, ['--source=' + os.path.join(self.cwd, 'none'),
                                    self.data_dir], self.cwd)
    self.assertEqual(result.returncode, 1)
    self.assertEqual(result.stderr.splitlines()[-1],
                     '%s: error: source directory %s does not exist' % (
                         _BINARY, os.path.join(self.cwd, 'none')))
    result = binaries.run(_BINARY, ['--demo', '--redo=unpack', self.data_dir], self.cwd)
    self.assertEqual(result.returncode, 1)
    self.assertRegex(result.stderr.splitlines()[-1], r"^%s: error: unknown step\(s\) "
                     r'to redo: unpack \(steps: [a-z_, ]+\)$' % _BINARY)
    with open(os.path.join(self.data_dir, 'pipeline_state.json'), 'w') as f:
      f.write('{not json')
    result = binaries.run(_BINARY, ['--demo', self.data_dir], self.cwd)
    self.assertEqual(result.returncode, 1)
    self.assertRegex(result.stderr.splitlines()[-1],
                     r'^%s: error: \S+pipeline_state.json is not valid JSON \(.*\); '
                     r'delete it to start the steps over \(each step still resumes its '
                     r'own work\)$' % _BINARY)


if __name__ == '__main__':
  del sys.argv[1:]
  absltest.main()
