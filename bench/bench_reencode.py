r"""How far re-encoded images land from their source: levels off, per channel value.

  bazel build //inception:download_and_preprocess_imagenet  # for the label files
  RUNFILES_DIR=$PWD/bazel-bin/inception/download_and_preprocess_imagenet.runfiles \
      PYTHONPATH=. .venv/bin/python bench/bench_reencode.py

Generates the demo's mini ImageNet (inception.demo, the --demo config) into
--work_dir, takes its re-encoded hard cases (the CMYK JPEG and the PNG under a .JPEG
name), runs each through the converter (prepare_image) and compares the
record's JPEG, decoded by Pillow, with the source decoded by Pillow as RGB (what the
re-encoder starts from): the mean and the max of |record - source| over every pixel
and channel, in 8-bit levels. --subsampling also re-encodes the same RGB pixels at
quality 100 with each PIL subsampling given (2 = 4:2:0, PIL's default; 0 = 4:4:4),
for comparison with what the converter does.
"""

import io
import os
import tarfile
import tempfile

from absl import app
from absl import flags
import numpy as np
from PIL import Image

from inception import demo
from inception.records import _image_coding

_WORK_DIR = flags.DEFINE_string('work_dir', None, 'Where the demo set is written '
                                '(default: a temporary directory).')
_SUBSAMPLING = flags.DEFINE_list('subsampling', ['2', '0'],
                                 'PIL subsamplings to compare at quality 100.')


def _hard_case_bytes(fixture, kinds):
  """{kind: bytes} of the fixture's train images of those kinds."""
  wanted = {fixture.hard_cases[kind]: kind for kind in kinds}
  found = {}
  with tarfile.open(fixture.train_tar) as outer:
    for class_tar in outer:
      with tarfile.open(fileobj=outer.extractfile(class_tar)) as inner:
        for member in inner:
          kind = wanted.get(os.path.basename(member.name))
          if kind:
            found[kind] = inner.extractfile(member).read()
  return found


def _rgb(data):
  with Image.open(io.BytesIO(data)) as image:
    return np.asarray(image.convert('RGB'), dtype=np.int16)


def _levels_off(encoded, source):
  difference = np.abs(_rgb(encoded) - source)
  return difference.mean(), difference.max()


def main(argv):
  del argv
  work_dir = _WORK_DIR.value or tempfile.mkdtemp(prefix='bench-reencode-')
  fixture = demo.generate(work_dir, demo.IMAGENET_DEMO_CONFIG)
  for kind, data in sorted(_hard_case_bytes(fixture, ('cmyk', 'png')).items()):
    source = _rgb(data)
    image = _image_coding.prepare_image(data, kind)
    mean, largest = _levels_off(image.encoded, source)
    print('%s %s (%dx%d): converter: mean %.2f, max %d levels off' % (
        kind, fixture.hard_cases[kind], image.width, image.height, mean, largest))
    for subsampling in _SUBSAMPLING.value:
      out = io.BytesIO()
      Image.fromarray(source.astype(np.uint8)).save(out, 'JPEG', quality=100,
                                                    subsampling=int(subsampling))
      mean, largest = _levels_off(out.getvalue(), source)
      print('  quality 100, subsampling=%s: mean %.2f, max %d' % (subsampling, mean,
                                                                   largest))


if __name__ == '__main__':
  app.run(main)
