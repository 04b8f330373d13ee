"""Packages the `inception` modules for remote Apache Beam workers (--setup_file).

Not needed to run anything here (Bazel and tools/setup.sh do that). A remote runner such
as Dataflow starts its workers from Beam's SDK container, which holds apache-beam and
its dependencies but neither this project's code nor the libraries the shard writer
imports. With `--beam_pipeline_options=...,setup_file=./setup.py` Beam builds an sdist
of the `inception` package on the launching machine, stages it, and each worker
pip-installs it with the requirements below.

Workers need only what `inception.convert` and `inception.records` import, not
all of requirements.txt (no urllib3, bazel-runfiles; apache-beam is the container's own,
the same version as the launcher's):
- pillow: image headers, and re-encoding PNG and CMYK JPEG images. Pinned to the
  version of requirements.txt: the re-encoded bytes depend on it, and the shards must
  be byte-identical to the local engine's.
- fsspec with s3fs, gcsfs and adlfs: s3://, gs://, az:// inputs and outputs
  (docs/OBJECT_STORAGE.md), imported only for such paths. Pinned like
  requirements.txt.
- google-crc32c (TFRecord framing), absl-py (logging), numpy (rare images).

No TensorFlow: the workers read and write every store without it. Only
--validate_images=full decodes images with TensorFlow: install the `full_validation`
extra for it (~600 MB per worker); a custom container (--sdk_container_image) with
these packages preinstalled makes worker start-up faster, and the pip install then
does nothing.

Workers of a dask.distributed cluster (--dask_address) start from no container: a
checkout with tools/setup.sh (which installs this package into .venv, editable), or
`pip install '.[dask]'`, whose extra pins every other package of requirements.txt,
since the launcher refuses a worker whose installed versions of those pins differ from
its own (inception.core's fingerprint).
"""

import setuptools

# Keep the pins equal to requirements.txt.
WORKER_REQUIREMENTS = [
    'pillow==12.3.0',
    'fsspec==2026.9.0',
    's3fs==2026.9.0',
    'gcsfs==2026.10.1',
    'adlfs==2026.8.0',
    'google-crc32c>=1.5',
    'absl-py>=1.0',
    'numpy>=1.26',
]

# --validate_images=full decodes every image with TensorFlow.
FULL_VALIDATION_WORKER_REQUIREMENTS = ['tensorflow-cpu==2.21.0']

# A dask.distributed worker (--dask_address) must have the launcher's version of every
# pin of requirements.txt (the fingerprint compares them all): the rest of the pins.
DASK_WORKER_REQUIREMENTS = [
    'absl-py==2.5.1',
    'apache-beam==2.77.0',
    'bazel-runfiles==2.4.6',
    'dask==2026.8.0',
    'distributed==2026.8.0',
    'google-crc32c==1.9.0',
    'numpy==2.4.6',
    'protobuf==6.33.6',
    'pyarrow==25.0.1',
    'tensorflow-cpu==2.21.0',
    'tqdm==4.70.1',
    'urllib3==2.8.0',
]

setuptools.setup(
    name='inception-imagenet-tfrecords',
    version='1.0.0',
    description='ImageNet and image folders to sharded TFRecords, inception format',
    packages=setuptools.find_packages(include=['inception', 'inception.*']),
    python_requires='>=3.10',
    install_requires=WORKER_REQUIREMENTS,
    extras_require={'dask': DASK_WORKER_REQUIREMENTS,
                    'full_validation': FULL_VALIDATION_WORKER_REQUIREMENTS},
)
