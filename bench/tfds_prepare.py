"""TFDS's `imagenet2012` built offline from the tarballs of one directory.

Run by bench_tfds.py with the interpreter of its own venv (bench/.venv-tfds, where
tensorflow-datasets is installed; the product's venv never has it):

  bench/.venv-tfds/bin/python bench/tfds_prepare.py MANUAL_DIR DATA_DIR RESULT_JSON

MANUAL_DIR holds ILSVRC2012_img_train.tar and ILSVRC2012_img_val.tar (TFDS's
`manual_dir`); DATA_DIR receives TFDS's shards. RESULT_JSON gets the seconds of the
build alone (`download_and_prepare`, after the imports) and the examples per split that
TFDS reports, which the bench compares with the set it generated.
"""

import json
import os
import sys
import time


def main(argv):
  if len(argv) != 4:
    sys.exit('usage: %s MANUAL_DIR DATA_DIR RESULT_JSON' % argv[0])
  manual_dir, data_dir, result_path = argv[1:]
  started = time.monotonic()
  import tensorflow_datasets as tfds  # pylint: disable=g-import-not-at-top
  imported = time.monotonic()
  builder = tfds.builder('imagenet2012', data_dir=data_dir)
  builder.download_and_prepare(
      download_dir=os.path.join(data_dir, 'downloads'),
      download_config=tfds.download.DownloadConfig(manual_dir=manual_dir,
                                                   try_download_gcs=False))
  built = time.monotonic()
  result = {'import_seconds': imported - started, 'build_seconds': built - imported,
            'version': tfds.__version__,
            'examples': {name: split.num_examples
                         for name, split in builder.info.splits.items()}}
  temporary = result_path + '.tmp'
  with open(temporary, 'w') as f:
    json.dump(result, f, indent=2, sort_keys=True)
  os.replace(temporary, result_path)


if __name__ == '__main__':
  main(sys.argv)
