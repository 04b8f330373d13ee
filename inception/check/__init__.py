"""TODO docstring for inception.check."""

from inception.check._checker import QUICK_SAMPLE_FRACTION
from inception.check._checker import check_directory
from inception.check._checker import parse_expected_counts

__all__ = [
    'QUICK_SAMPLE_FRACTION',
    'check_directory',
    'parse_expected_counts',
]
