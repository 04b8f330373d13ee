"""Quiets TensorFlow's C++ start-up logs in the binaries, before TensorFlow is loaded.

TensorFlow 2.21 writes, through absl's C++ logging, on import and at its first op:

  WARNING: All log messages before absl::InitializeLog() is called are written to STDERR
  I0000 ... port.cc] oneDNN custom operations are on. ...
  I0000 ... cpu_feature_guard.cc] This TensorFlow binary is optimized to use ...
  To enable the following instructions: AVX2 ..., rebuild TensorFlow with ...

and more INFO lines later (TFRecordDataset `buffer_size` is unspecified, ...), in every
worker process too. TF_CPP_MIN_LOG_LEVEL=1 drops the INFO lines but not the oneDNN one,
which only TF_ENABLE_ONEDNN_OPTS=0 stops; that changes nothing here, since TensorFlow
only reads files and decodes JPEGs for this project (no float op touches an output).
The absl warning comes with the first line logged before absl::InitializeLog(), so with
no line left it goes too. The variables are read when TensorFlow loads, and inherited by
worker processes; a value the user set is kept (TF_CPP_MIN_LOG_LEVEL=0 brings the logs
back).
"""

import os
from typing import MutableMapping

QUIET_ENVIRONMENT = (('TF_CPP_MIN_LOG_LEVEL', '1'), ('TF_ENABLE_ONEDNN_OPTS', '0'))


def quiet_tensorflow(environ: MutableMapping[str, str] = os.environ) -> None:
  """Sets QUIET_ENVIRONMENT in `environ` where the user has not set the variable."""
  for name, value in QUIET_ENVIRONMENT:
    environ.setdefault(name, value)
