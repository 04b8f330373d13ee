"""TODO docstring for inception.cli."""

from inception.cli._convert_flags import define_directory_flags
from inception.cli._convert_flags import define_flags
from inception.cli._convert_flags import options_from_flags

__all__ = [
    'define_directory_flags',
    'define_flags',
    'options_from_flags',
]
