"""Tests of inception.cli._output: a person's terminal, or absl's log lines."""

import copy
import io
import logging as python_logging
import os
from unittest import mock

from absl import flags
from absl import logging
from absl.testing import absltest

from inception.cli import _output
from inception.core import _progress


class _Terminal(io.StringIO):

  def isatty(self):
    return True


class SetUpOutputTest(absltest.TestCase):

  def setUp(self):
    super().setUp()
    root = python_logging.getLogger()
    self.enter_context(mock.patch.object(root, 'handlers', list(root.handlers)))
    self.enter_context(mock.patch.object(_progress, '_bar_stream', None))

  def _set_up(self, stream, *argv):
    """set_up_output with copies of absl's logging flags parsed from `argv`."""
    flag_values = flags.FlagValues()
    for name in _output.LOG_LINE_FLAGS + ('log_dir',):
      flag_values[name] = copy.deepcopy(flags.FLAGS[name])
    flag_values(['program'] + list(argv))
    return _output.set_up_output('program', stream, flag_values)

  def test_a_terminal_gets_plain_lines_and_bars(self):
    stream = _Terminal()
    self.assertTrue(self._set_up(stream))
    self.assertIs(_progress._bar_stream, stream)
    self.assertNotIn(logging.get_absl_handler(), python_logging.getLogger().handlers)
    logging.info('Step convert: starting')
    logging.warning('leftover temporary file x')
    self.assertEqual(stream.getvalue(), 'Step convert: starting\n'
                     'warning: leftover temporary file x\n')

  def test_absls_flags_keep_its_log_lines_on_a_terminal(self):
    for argv in (['--verbosity=0'], ['-v', '1'], ['--logtostderr'],
                 ['--alsologtostderr']):
      with self.subTest(argv=argv):
        self.assertFalse(self._set_up(_Terminal(), *argv))
        self.assertIsNone(_progress._bar_stream)

  def test_a_pipe_keeps_absls_log_lines(self):
    self.assertFalse(self._set_up(io.StringIO()))
    self.assertIsNone(_progress._bar_stream)
    self.assertIn(logging.get_absl_handler(), python_logging.getLogger().handlers)

  def test_log_dir_gets_absls_prefixed_lines(self):
    log_dir = self.create_tempdir().full_path
    stream = _Terminal()
    self.assertTrue(self._set_up(stream, '--log_dir=' + log_dir))
    logging.info('Step check: starting')
    for handler in python_logging.getLogger().handlers:
      handler.flush()
    with open(os.path.join(log_dir, 'program.INFO')) as f:
      self.assertRegex(f.read(), r'(?m)^I\d{4} [\d:.]+ +\d+ output_test\.py:\d+\] '
                       r'Step check: starting$')
    self.assertEqual(stream.getvalue(), 'Step check: starting\n')


if __name__ == '__main__':
  absltest.main()
