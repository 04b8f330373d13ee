"""Rebuilds the three label files of data/ from registry packages
(docs/FORMAT.md, "Label files").

- imagenet_lsvrc_2015_synsets.txt and imagenet_2012_validation_synset_labels.txt are
  byte copies of labels.txt and validation_labels.txt in the PyPI wheel
  tensorflow-datasets==4.9.10 (tensorflow_datasets/datasets/imagenet2012/).
- imagenet_metadata.txt lists the 21,842 wnids of timm's
  timm/data/_info/imagenet22k_ms_synsets.txt (PyPI wheel timm==1.0.31), sorted, each
  with the words of its WordNet 3.0 noun synset (Debian package wordnet-base,
  /usr/share/wordnet/data.noun) joined by ", ", "_" turned into spaces and any
  "(a)"-style marker dropped.

Usage (needs `apt-get install wordnet-base` and pip access to PyPI):
  bazel run //tools:rebuild_label_data -- --output_dir=$PWD/data
then `git diff data/` must be empty: the md5s are checked by //tests:label_data_test.
"""

import os
import re
import subprocess
import sys
import tempfile
import zipfile
from typing import Dict, Iterable

from absl import app
from absl import flags

_TFDS_WHEEL = 'tensorflow-datasets==4.9.10'
_TIMM_WHEEL = 'timm==1.0.31'
_TFDS_FILES = {
    'tensorflow_datasets/datasets/imagenet2012/labels.txt':
        'imagenet_lsvrc_2015_synsets.txt',
    'tensorflow_datasets/datasets/imagenet2012/validation_labels.txt':
        'imagenet_2012_validation_synset_labels.txt',
}
_TIMM_WNIDS = 'timm/data/_info/imagenet22k_ms_synsets.txt'
_WORDNET_NOUNS = '/usr/share/wordnet/data.noun'
_MARKER = re.compile(r'\([a-z]+\)$')

_OUTPUT_DIR = flags.DEFINE_string('output_dir', None,
                                  'Directory to write the three label files to.')


def wordnet_noun_texts(lines: Iterable[str]) -> Dict[str, str]:
  """Maps 'n' + synset offset to its words, from lines of WordNet's data.noun."""
  texts = {}
  for line in lines:
    if line.startswith('  ') or not line.strip():
      continue  # the license header lines start with two spaces
    fields = line.split(' ')
    word_count = int(fields[3], 16)
    words = fields[4:4 + 2 * word_count:2]
    texts['n' + fields[0]] = ', '.join(
        _MARKER.sub('', word).replace('_', ' ') for word in words)
  return texts


def metadata_text(wnids: Iterable[str], texts: Dict[str, str]) -> str:
  """The imagenet_metadata.txt content for `wnids`: sorted `wnid<TAB>text` lines."""
  return ''.join('%s\t%s\n' % (wnid, texts[wnid]) for wnid in sorted(set(wnids)))


def _download_wheel(requirement: str, directory: str) -> str:
  subprocess.run([sys.executable, '-m', 'pip', 'download', '--quiet', '--no-deps',
                  '--dest', directory, requirement], check=True)
  name = requirement.split('==')[0].replace('-', '_')
  wheels = [f for f in os.listdir(directory)
            if f.startswith(name) and f.endswith('.whl')]
  if len(wheels) != 1:
    raise RuntimeError('expected one wheel for %s in %s, found %s' %
                       (requirement, directory, wheels))
  return os.path.join(directory, wheels[0])


def main(argv):
  del argv
  output_dir = os.path.abspath(_OUTPUT_DIR.value)
  with tempfile.TemporaryDirectory() as scratch:
    with zipfile.ZipFile(_download_wheel(_TFDS_WHEEL, scratch)) as wheel:
      for member, name in _TFDS_FILES.items():
        with open(os.path.join(output_dir, name), 'wb') as f:
          f.write(wheel.read(member))
    with zipfile.ZipFile(_download_wheel(_TIMM_WHEEL, scratch)) as wheel:
      wnids = wheel.read(_TIMM_WNIDS).decode('ascii').split()
  with open(_WORDNET_NOUNS, encoding='latin-1') as f:
    texts = wordnet_noun_texts(f)
  with open(os.path.join(output_dir, 'imagenet_metadata.txt'), 'w') as f:
    f.write(metadata_text(wnids, texts))
  print('Wrote the label files to %s' % output_dir)


if __name__ == '__main__':
  flags.mark_flag_as_required('output_dir')
  app.run(main)
