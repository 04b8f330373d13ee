"""inception.check: checks a directory of converted TFRecord shards, with proof.

What is checked (docs/FORMAT.md), each a failure kind of the report:
  framing     every record's length and masked CRC32C, as tf.data checks them (the
              check's own reader, without TensorFlow, stops at the first bad record; the
              shard and record index are reported, and bytes left after the last
              record, which tf.data ignores, are reported too);
  shard_names `<split>-%05d-of-%05d`: no gap, no extra, one `-of-` total per split, and
              nothing else a split's glob `<split>-*` matches (a copy of a shard, a
              leftover temporary, another split's shards);
  count       records per split against the expected number (a flag, else the
              conversion manifest, else the ImageNet numbers when the shard totals are
              1024/128), records per shard against the manifest, else against the
              converter's plan (records.shard_ranges) of the expected number, else of
              some number (a shard cut short at a record boundary shows without a
              manifest), no empty shard;
  class_count images per class against the manifest, or against ImageNet's
              (732..1300 per train class, 50 per validation class);
  schema      the keys and value types of every tf.train.Example;
  label       label 1..N equals 1 + the synset's line in the synsets file, the text is
              the metadata file's; the `nXXXXXXXX_` prefix of a train file name and the
              validation label file agree with the synset; without label files, each
              label has one synset and text across the output;
  box         boxes in [0, 1] with min < max, bbox/label equal to the class label;
  image       `image/encoded` is a JPEG (magic bytes) whose frame header has the
              recorded height and width and 1 or 3 components (a CMYK JPEG must have
              been re-encoded) and claims no more pixels than its scan data can hold
              (the converter's bound, records.jpeg_size_error); a `sample_fraction` of
              them is also fully decoded and must give (height, width, 3): with
              tf.io.decode_jpeg(channels=3) when the fraction is 1 (a full check),
              else with Pillow, in workers that never import TensorFlow;
  duplicate   no file name twice, within or across splits;
  index       `index/<shard>.idx` (DALI, `offset size` per record), where present,
              matches its shard, and every shard has one if any has;
  manifest    the conversion manifest (conversion_manifest.json), where present, is
              readable and says each split is complete: after a failed or interrupted
              conversion, the split and its shards without a count.

Two schemas are recognised from the first readable record: `imagenet` (the 15 keys of
docs/FORMAT.md, "Records") and `generic` (the 9 keys of the original
build_image_data.py: no synset and no boxes). The generic schema is checked the same way
without the synset and box rules, and label files are not used for it (each label must
still have one text).

The workers parse records without TensorFlow and import it only to decode their
first image of a full check; the main process never imports it for local paths, and keeps
per shard only its numbers, its first failures and its file names packed in one
value (~130 MiB at ImageNet's 1,331,167 records; bench/bench_check.py --memory).

`check_directory` checks against what the caller says to expect (`Expected`: counts
per split and the label files), returns a `CheckReport` and writes into the report
directory a JSON report and one for people: a Markdown summary with the counts and
shard size tables, a class histogram PNG and a contact sheet PNG of sample images with
their label text and boxes drawn. `parse_expected_counts` reads the `--expected_counts` flag;
`QUICK_SAMPLE_FRACTION` is the share of images the driver's quick check decodes.
"""

import typing

from inception import core

if typing.TYPE_CHECKING:
  from inception.check._directory import QUICK_SAMPLE_FRACTION
  from inception.check._directory import check_directory
  from inception.check._expectations import Expected
  from inception.check._expectations import parse_expected_counts

__all__ = [
    'Expected',
    'QUICK_SAMPLE_FRACTION',
    'check_directory',
    'parse_expected_counts',
]

__getattr__, __dir__ = core.exports_on_first_use(__name__, __file__)
