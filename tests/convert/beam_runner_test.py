"""Tests of inception.convert._beam_runner: the shard plan run by Beam's DirectRunner.

The DirectRunner runs as Beam's multi-process FnApiRunner (real worker processes
talking gRPC on 127.0.0.1), never a runner that downloads anything.
"""

import contextlib
import io
import os
import re

from absl.testing import absltest
from runfiles import runfiles

from inception import convert
from inception import records
from inception.convert import _beam_runner
from tests import binaries
from tests import conversion_fixtures as fixtures
from tests import file_trees

SYNSETS = fixtures.synset_names(4)
_BEAM_OPTIONS = 'direct_running_mode=multi_processing,direct_num_workers=2'


class BinariesTest(absltest.TestCase):
  """Both binaries: --runner=DirectRunner writes the local engine's bytes."""

  def _assert_same_output_for_both_runners(self, binary, args, root, expected_stdout,
                                           expected_shards):
    trees = {}
    for runner_args in (['--num_threads=2'],
                        ['--runner=DirectRunner',
                         '--beam_pipeline_options=' + _BEAM_OPTIONS]):
      output = 'out_%s' % runner_args[0].split('=')[1]
      result = binaries.run(binary, args + runner_args + ['--output_directory=' + output],
                           cwd=root)
      self.assertEqual(result.returncode, 0, result.stderr[-3000:])
      self.assertEqual(result.stdout.splitlines(), expected_stdout)
      trees[runner_args[0]] = file_trees.output_contents(os.path.join(root, output))
    local, beam = trees['--num_threads=2'], trees['--runner=DirectRunner']
    self.assertEqual(sorted(n for n in local if '-of-' in n and '/' not in n),
                     expected_shards)
    self.assertIn('conversion_manifest.json', local)
    self.assertEqual(sorted(beam), sorted(local))  # no staging or temporary file left
    for name in local:
      self.assertEqual(beam[name], local[name], '%s differs' % name)

  def test_build_imagenet_data(self):
    root = self.create_tempdir().full_path
    special = {'%s_0.JPEG' % SYNSETS[0]: fixtures.image_bytes(1, 'png'),
               '%s_1.JPEG' % SYNSETS[1]: fixtures.image_bytes(2, 'cmyk'),
               '%s_2.JPEG' % SYNSETS[2]: fixtures.image_bytes(3, 'grayscale'),
               '%s_3.JPEG' % SYNSETS[3]: fixtures.image_bytes(4, 'progressive'),
               '%s_4.JPEG' % SYNSETS[0]: fixtures.image_bytes(5, 'exif')}
    fixtures.make_imagenet_split(os.path.join(root, 'train'), SYNSETS, 6,
                                 special=special)
    fixtures.make_imagenet_split(os.path.join(root, 'validation'), SYNSETS, 2, seed=1)
    synsets_file, metadata_file = fixtures.write_label_files(root, SYNSETS)
    fixtures.write(os.path.join(root, 'boxes.csv'), (
        '%s_3.JPEG,0.1,0.2,0.3,0.4\n%s_3.JPEG,0.5,0.5,0.9,0.8\n%s_1.JPEG,0,0,1,1\n' %
        (SYNSETS[3], SYNSETS[3], SYNSETS[2])).encode())
    self._assert_same_output_for_both_runners(
        'build_imagenet_data',
        ['--train_directory=train', '--validation_directory=validation',
         '--labels_file=synsets.txt', '--imagenet_metadata_file=metadata.txt',
         '--bounding_box_file=boxes.csv', '--train_shards=5', '--validation_shards=3',
         '--write_index'],
        root,
        ['Finished writing all 8 images in data set.',
         'Finished writing all 24 images in data set.'],
        ['train-%05d-of-00005' % i for i in range(5)] +
        ['validation-%05d-of-00003' % i for i in range(3)])

  def test_build_image_data(self):
    root = self.create_tempdir().full_path
    for n in range(5):
      fixtures.write(os.path.join(root, 'train', 'daisy', 'd%d.jpg' % n),
                     fixtures.image_bytes(n))
      fixtures.write(os.path.join(root, 'train', 'roses', 'r%d.PNG' % n),
                     fixtures.image_bytes(10 + n, 'png', width=30 + n, height=20))
    fixtures.write(os.path.join(root, 'validation', 'daisy', 'd.jpeg'),
                   fixtures.image_bytes(20))
    fixtures.write(os.path.join(root, 'validation', 'roses', 'r.jpg'),
                   fixtures.image_bytes(21, 'cmyk'))
    fixtures.write(os.path.join(root, 'labels.txt'), b'daisy\nroses\n')
    self._assert_same_output_for_both_runners(
        'build_image_data',
        ['--train_directory=train', '--validation_directory=validation',
         '--labels_file=labels.txt', '--train_shards=3'],
        root,
        ['Finished writing all 2 images in data set.',
         'Finished writing all 10 images in data set.'],
        ['train-%05d-of-00003' % i for i in range(3)] +
        ['validation-%05d-of-00002' % i for i in range(2)])


class FailureTest(absltest.TestCase):

  def _split_with_a_bad_image(self, bad_name, data, per_class, num_shards):
    """Writes a train split holding `data` as `bad_name`; returns (its path, entries,
    output directory, DirectRunner options, the path of the shard it falls in)."""
    root = self.create_tempdir().full_path
    synset = bad_name.split('_')[0]
    fixtures.make_imagenet_split(os.path.join(root, 'train'), SYNSETS, per_class,
                                 special={bad_name: data})
    entries = convert.find_class_entries(
        os.path.join(root, 'train'),
        [convert.ImageClass(s, s, 'text %s' % s) for s in SYNSETS])
    output = os.path.join(root, 'out')
    options = convert.ConvertOptions(
        runner='DirectRunner',
        beam_pipeline_args=('--direct_running_mode=multi_processing',
                            '--direct_num_workers=2'))
    plan = convert.plan_split('train', entries, num_shards, output, options=options)
    [bad_shard] = [t.output_path for t in plan.tasks
                   if any(e.filename == bad_name for e in t.entries)]
    return (os.path.join(root, 'train', synset, bad_name), entries, output, options,
            bad_shard)

  def assertNothingFinalOrStaged(self, output, bad_shard):
    left = os.listdir(output)
    self.assertNotIn(os.path.basename(bad_shard), left)
    self.assertEqual([n for n in left if n.startswith(_beam_runner.STAGING_PREFIX) or
                      '.incomplete-' in n], [])

  def test_corrupt_image_fails_the_pipeline_with_its_path_and_resumes(self):
    corrupt = '%s_2.JPEG' % SYNSETS[1]
    corrupt_path, entries, output, options, bad_shard = self._split_with_a_bad_image(
        corrupt, fixtures.truncated_jpeg(), 4, 4)

    with contextlib.redirect_stdout(io.StringIO()) as stdout:
      with self.assertRaises(records.ImageError) as raised:
        convert.convert_split('train', entries, 4, output, options=options)
    self.assertIn(corrupt_path, str(raised.exception))
    self.assertIn('corrupt', str(raised.exception))
    self.assertNotIn('Finished', stdout.getvalue())
    self.assertNothingFinalOrStaged(output, bad_shard)

    skipping = convert.ConvertOptions(runner='DirectRunner', skip_bad_images=True,
                                      beam_pipeline_args=options.beam_pipeline_args)
    with contextlib.redirect_stdout(io.StringIO()) as stdout:
      result = convert.convert_split('train', entries, 4, output, options=skipping)
    self.assertEqual(stdout.getvalue(), '')  # the binaries print the summary line
    self.assertEqual(result.summary_line(), 'Finished writing all 15 images in data set.')
    self.assertEqual([s.source for s in result.skipped], [corrupt_path])
    self.assertTrue(os.path.exists(bad_shard))
    self.assertEqual(sorted(n for n in os.listdir(output) if '-of-' in n),
                     ['train-%05d-of-00004' % i for i in range(4)])


  def test_truncated_scan_data_fails_naming_the_file(self):
    # Its header is whole (the header-only check let it in); the scan data stops.
    cut_path, entries, output, options, bad_shard = self._split_with_a_bad_image(
        '%s_1.JPEG' % SYNSETS[2], fixtures.damaged_jpeg('half'), 2, 2)
    with contextlib.redirect_stdout(io.StringIO()):
      with self.assertRaises(records.ImageError) as raised:
        convert.convert_split('train', entries, 2, output, options=options)
    self.assertEqual(str(raised.exception),
                     '%s: truncated JPEG: %d bytes and no end-of-image marker' %
                     (cut_path, len(fixtures.damaged_jpeg('half'))))
    self.assertNothingFinalOrStaged(output, bad_shard)


class OptionsTest(absltest.TestCase):

  def test_direct_runner_defaults_keep_the_users_values(self):
    self.assertEqual(
        _beam_runner.pipeline_arguments('DirectRunner', [], num_workers=3),
        ['--direct_running_mode=multi_processing',
         '--default_sdk_harness_log_level=WARNING', '--direct_num_workers=3'])
    self.assertEqual(
        _beam_runner.pipeline_arguments(
            'DirectRunner', ['--direct_running_mode=in_memory', '--direct_num_workers=1',
                             '--default_sdk_harness_log_level=INFO'], num_workers=3),
        ['--direct_running_mode=in_memory', '--direct_num_workers=1',
         '--default_sdk_harness_log_level=INFO'])

  def test_other_runners_get_the_options_unchanged(self):
    arguments = ['--project=p', '--region=europe-west4', '--num_workers=50']
    self.assertEqual(_beam_runner.pipeline_arguments('DataflowRunner', arguments, 3),
                     arguments)

  def test_runner_inside_the_options_is_refused(self):
    with self.assertRaisesRegex(ValueError, 'with --runner'):
      _beam_runner.pipeline_arguments('DirectRunner', ['--runner=PrismRunner'], 1)

  def test_dataflow_refuses_local_paths(self):
    root = self.create_tempdir().full_path
    fixtures.make_imagenet_split(os.path.join(root, 'train'), SYNSETS[:1], 2)
    entries = convert.find_class_entries(
        os.path.join(root, 'train'), [convert.ImageClass(SYNSETS[0], SYNSETS[0], 'text')])
    options = convert.ConvertOptions(runner='DataflowRunner',
                                     beam_pipeline_args=('--project=p',))
    with self.assertRaisesRegex(ValueError, 'gs://'):
      convert.convert_split('train', entries, 1, os.path.join(root, 'out'),
                            options=options)

  def test_pipeline_options_without_a_beam_runner_are_refused(self):
    root = self.create_tempdir().full_path
    fixtures.make_imagenet_split(os.path.join(root, 'train'), SYNSETS[:1], 2)
    entries = convert.find_class_entries(
        os.path.join(root, 'train'), [convert.ImageClass(SYNSETS[0], SYNSETS[0], 'text')])
    options = convert.ConvertOptions(beam_pipeline_args=('--direct_num_workers=2',))
    with self.assertRaisesRegex(convert.ConversionError, 'need a Beam runner'):
      convert.convert_split('train', entries, 1, os.path.join(root, 'out'),
                            options=options)


class WorkerRequirementsTest(absltest.TestCase):

  def test_setup_py_pins_match_requirements_txt(self):
    files = runfiles.Create()

    def pins(name, only=None):
      with open(files.Rlocation('inception/' + name)) as f:
        text = f.read()
      if only:  # one list of setup.py
        text = re.search(r'^' + only + r' = \[(.*?)\]', text, re.S | re.M).group(1)
      return dict(re.findall(r"([A-Za-z0-9_.-]+)(?:\[[a-z,]+\])?==([0-9][^'\s,]*)",
                             text))

    worker_pins = pins('setup.py')
    self.assertContainsSubset(['pillow', 'tensorflow-cpu', 'fsspec', 's3fs', 'gcsfs'],
                              worker_pins)
    # The workers read and write every store without TensorFlow; only the
    # full_validation extra brings it.
    self.assertNotIn('tensorflow-cpu', pins('setup.py', 'WORKER_REQUIREMENTS'))
    self.assertIn('tensorflow-cpu', pins('setup.py', 'FULL_VALIDATION_WORKER_REQUIREMENTS'))
    requirements = pins('requirements.txt')
    for package, version in worker_pins.items():
      self.assertEqual(requirements.get(package), version, package)


if __name__ == '__main__':
  absltest.main()
