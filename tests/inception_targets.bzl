"""The project's binaries and packages, listed once for the tests that take them all."""

INCEPTION_BINARIES = [
    "//inception:build_image_data",
    "//inception:build_imagenet_data",
    "//inception:check_tfrecords",
    "//inception:download_and_preprocess_flowers",
    "//inception:download_and_preprocess_imagenet",
    "//inception:download_imagenet",
    "//inception:make_mini_imagenet",
    "//inception:preprocess_imagenet_validation_data",
    "//inception:process_bounding_boxes",
]

INCEPTION_PACKAGES = [
    "//inception/acquire",
    "//inception/annotations",
    "//inception/check",
    "//inception/cli",
    "//inception/convert",
    "//inception/core",
    "//inception/demo",
    "//inception/driver",
    "//inception/flowers",
    "//inception/imagenet",
    "//inception/label_files",
    "//inception/reader",
    "//inception/records",
]
