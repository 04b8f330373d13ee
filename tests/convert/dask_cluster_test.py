"""`--runner=DaskRunner` and its Beam options, kept: they name the Dask engine's cluster.

The engine itself is tested on real clusters in tests/core/dask_runner_test.py and
README's recipe in tests/dask_recipe_test.py; here, the options' meaning and, once,
`--runner=DaskRunner` without an address: a local cluster started for the run.
"""

import json
import os

from absl.testing import absltest

from inception import convert
from inception import core
from inception.convert import _dask_cluster
from inception.convert import _writing
from tests import binaries
from tests import conversion_fixtures as fixtures
from tests import file_trees

SYNSETS = fixtures.synset_names(4)


class BeamOptionsTest(absltest.TestCase):

  def test_runner_names(self):
    for name in ('DaskRunner', 'dask', ' daskrunner ', _dask_cluster.DASK_RUNNER):
      self.assertTrue(convert.is_dask_runner(name), name)
    self.assertFalse(convert.is_dask_runner('DirectRunner'))

  def test_the_client_address_or_a_scheduler_file_names_the_cluster(self):
    cluster = convert.dask_cluster_from_beam_options(
        ['--dask_client_address=10.0.0.1:8786'], no_workers_timeout=7)
    self.assertEqual(cluster, core.DaskCluster('tcp://10.0.0.1:8786', 7))
    scheduler_file = self.create_tempfile(
        content=json.dumps({'address': 'tls://10.0.0.2:8786'})).full_path
    self.assertEqual(
        convert.dask_cluster_from_beam_options(['--dask_scheduler_file=' + scheduler_file]),
        core.DaskCluster('tls://10.0.0.2:8786'))
    self.assertEqual(convert.dask_cluster_from_beam_options([]), core.DaskCluster(None))

  def test_dask_address_and_another_client_address_are_refused(self):
    given = core.DaskCluster('tcp://10.0.0.1:8786')
    self.assertIs(convert.dask_cluster_from_beam_options(
        ['--dask_client_address=tcp://10.0.0.1:8786'], given), given)
    with self.assertRaisesRegex(ValueError, 'name two schedulers'):
      convert.dask_cluster_from_beam_options(['--dask_client_address=10.0.0.9:1'], given)

  def test_options_pick_the_workers(self):
    dask = core.DaskCluster('tcp://127.0.0.1:8786')
    options = convert.ConvertOptions(
        runner='DaskRunner', beam_pipeline_args=('--dask_client_address=127.0.0.1:8786',
                                                 '--dask_npartitions=3'))
    with self.assertLogs(level='WARNING') as logs:
      self.assertEqual(_writing.shard_workers(options).dask, dask)
    self.assertIn('ignoring the Beam options dask_npartitions', logs.output[0])
    self.assertIsNone(_writing.shard_workers(convert.ConvertOptions(runner='DirectRunner')))
    with self.assertRaisesRegex(convert.ConversionError, 'cannot be combined with '
                                '--runner=DirectRunner'):
      _writing.shard_workers(convert.ConvertOptions(
          runner='DirectRunner', workers=core.Workers(dask=dask)))


class LocalClusterTest(absltest.TestCase):

  def test_the_binary_without_an_address_runs_a_local_cluster(self):
    root = self.create_tempdir().full_path
    fixtures.make_imagenet_split(os.path.join(root, 'train'), SYNSETS, 2)
    fixtures.write(os.path.join(root, 'labels.txt'),
                   ''.join(s + '\n' for s in SYNSETS).encode())
    trees = {}
    for runner in ('local', 'DaskRunner'):
      result = binaries.run(
          'build_image_data',
          ['--train_directory=train', '--validation_directory=', '--train_shards=3',
           '--labels_file=labels.txt', '--num_threads=2', '--runner=' + runner,
           '--output_directory=' + runner],
          cwd=root, timeout=120)
      self.assertEqual(result.returncode, 0, result.stderr[-3000:])
      self.assertEqual(result.stdout.splitlines(),
                       ['Finished writing all 8 images in data set.'])
      trees[runner] = file_trees.output_contents(os.path.join(root, runner))
    self.assertEqual(trees['DaskRunner'], trees['local'])
    self.assertEqual(len([n for n in trees['local'] if '-of-' in n]), 3)


if __name__ == '__main__':
  absltest.main()
