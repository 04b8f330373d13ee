"""The driver as a person sees it at a terminal: the demo run inside tmux, its pane
captured (`tmux capture-pane`), then the same run through a pipe.

tmux is installed by tools/setup.sh; the test fails (never skips) without it.
"""

import os
import re
import shutil
import subprocess
import tempfile
import time

from absl.testing import absltest

from tests import binaries

_BINARY = 'download_and_preprocess_imagenet'
_DEMO_ARGS = ['--train_shards=2', '--validation_shards=1', '--num_threads=1']
# absl's prefix: `I1207 12:05:26.714889 140121623739264 _conversion.py:627] `.
_ABSL_PREFIX = re.compile(r'^[IWEF]\d{4} \d\d:\d\d:\d\d\.\d{6} +\d+ \S+:\d+\] ')
# A bar with its count, rate and ETA: `train: 100%|█████| 256/256 images [336.43
# images/s, ETA 00:00, elapsed 00:00, 33.4 MB/s]`.
_TRAIN_BAR = re.compile(r'^train: +\d+%\|.+\| \d+/\d+ images \[ *[\d.]+ images/s, '
                        r'ETA \d\d:\d\d, elapsed \d\d:\d\d')
_CLOSING = re.compile(r'Finished writing all \d+ images in data set\.')
_DONE = 'EXIT-STATUS='


class TerminalOutputTest(absltest.TestCase):

  @classmethod
  def setUpClass(cls):
    super().setUpClass()
    cls.tmux = shutil.which('tmux')
    if cls.tmux is None:
      raise AssertionError('tmux is not installed: run bash tools/setup.sh')
    # A socket's path must stay under 108 bytes (TEST_TMPDIR's are longer); the
    # demo's DATA_DIR goes there too, a path as short as a person's.
    cls.socket_dir = tempfile.mkdtemp(prefix='tmux-', dir='/tmp')
    cls.socket = os.path.join(cls.socket_dir, 'sock')

  @classmethod
  def tearDownClass(cls):
    shutil.rmtree(cls.socket_dir, ignore_errors=True)
    super().tearDownClass()

  def _tmux(self, *args):
    result = subprocess.run([self.tmux, '-S', self.socket, '-f', os.devnull] +
                            list(args), capture_output=True, text=True,
                            env=binaries.user_environment(TERM='xterm-256color'))
    self.assertEqual(result.returncode, 0, 'tmux %s: %s' % (args[0], result.stderr))
    return result

  def _run_in_pane(self, data_dir):
    """Runs the demo in a detached 200x60 tmux pane; its lines once it has ended."""
    command = ' '.join([binaries.path(_BINARY), '--demo', data_dir] + _DEMO_ARGS)
    self._tmux('new-session', '-d', '-s', 'demo', '-x', '200', '-y', '60',
               '%s; echo %s$?; sleep 600' % (command, _DONE))
    self.addCleanup(self._tmux, 'kill-server')
    deadline = time.monotonic() + 240
    while True:
      pane = self._tmux('capture-pane', '-p', '-t', 'demo', '-S', '-',
                        '-J').stdout
      if _DONE in pane or time.monotonic() > deadline:
        return [line.rstrip() for line in pane.splitlines() if line.strip()]
      time.sleep(0.5)

  def test_a_terminal_shows_bars_and_plain_lines_then_the_closing_lines(self):
    data_dir = self.socket_dir
    lines = self._run_in_pane(os.path.join(data_dir, 'demo'))
    screen = '\n'.join(lines)
    self.assertEqual(lines[-1], _DONE + '0', screen)
    self.assertTrue(any(_TRAIN_BAR.match(line) for line in lines), screen)
    self.assertTrue(any(line.startswith('check %s/demo: 100%%|' % data_dir)
                        for line in lines), screen)
    self.assertEqual([l for l in lines if _ABSL_PREFIX.match(l)], [], screen)
    self.assertIn('Step convert: starting', lines)
    # The closing lines stay last, as the tests of the binary read them.
    self.assertRegex(lines[-4], r'^Output: %s/demo \(train \d+, validation \d+\)\.$'
                     % re.escape(data_dir))
    self.assertRegex(lines[-3], _CLOSING)
    self.assertRegex(lines[-2], _CLOSING)

  def test_a_pipe_gets_absls_log_lines_and_no_bar(self):
    cwd = self.create_tempdir().full_path
    result = binaries.run(_BINARY, ['--demo', 'demo'] + _DEMO_ARGS, cwd)
    self.assertEqual(result.returncode, 0, result.stderr[-3000:])
    lines = result.stderr.splitlines()
    self.assertTrue(all(_ABSL_PREFIX.match(l) for l in lines if l.startswith('I')),
                    result.stderr)
    self.assertTrue(any(re.search(r'\] train: 256/256 images \(100\.0%\), [\d.]+ '
                                  r'images/s', l) for l in lines), result.stderr)
    self.assertNotIn('%|', result.stderr)
    self.assertNotIn('\r', result.stderr)
    self.assertRegex(result.stdout.splitlines()[-1], _CLOSING)


if __name__ == '__main__':
  absltest.main()
