"""Tests of inception.convert._options: what a conversion is asked, and its result."""

from absl.testing import absltest

from inception import records
from inception.convert import _options


class ConvertOptionsTest(absltest.TestCase):

  def test_validate_images_defaults_to_the_records_default(self):
    self.assertEqual(_options.ConvertOptions().validate_images,
                     records.DEFAULT_VALIDATE_IMAGES)

  def test_bad_validate_images_is_refused(self):
    with self.assertRaisesRegex(ValueError, 'validate_images'):
      _options.ConvertOptions(validate_images='most')


class SplitResultTest(absltest.TestCase):

  def test_summary_line_is_the_originals(self):
    result = _options.SplitResult('train', 2, 9, (), ('a', 'b'), 0, 100, None)
    self.assertEqual(result.summary_line(), 'Finished writing all 9 images in data set.')
    self.assertEqual(_options.finished_line(9), result.summary_line())


if __name__ == '__main__':
  absltest.main()
