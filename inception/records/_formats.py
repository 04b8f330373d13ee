"""The names and defaults of the output format, defined once (docs/FORMAT.md).

- Split names: the shards' name prefix and the manifest's split keys.
- ImageNet's shard counts: the original's 1024 train and 128 validation shards, and
  100 for the test split (TFDS's imagenet2012 offers it; the original never did).
- The test split's label: 0, inception's "background / unknown" class (no synset).
- Record formats: which feature keys a record carries ("Records").
"""

TRAIN = 'train'
VALIDATION = 'validation'
TEST = 'test'  # unlabelled: ILSVRC2012's 100,000 test images
UNLABELLED = 0  # image/class/label of a test record; synset and text are empty

IMAGENET_TRAIN_SHARDS = 1024
IMAGENET_VALIDATION_SHARDS = 128
IMAGENET_TEST_SHARDS = 100

IMAGENET_FORMAT = 'imagenet'  # the 15 keys of the inception ImageNet records
GENERIC_FORMAT = 'generic'  # the 9 keys of the original build_image_data.py
RECORD_FORMATS = (IMAGENET_FORMAT, GENERIC_FORMAT)
