r"""Fetches the ILSVRC2012 tarballs into DATA_DIR/downloads/, extracts them to raw-data/.

  bazel run //inception:download_imagenet -- "${DATA_DIR}"
  bazel run //inception:download_imagenet -- --source=/mnt/imagenet \
      --link_mode=symlink "${DATA_DIR}"
  bazel run //inception:download_imagenet -- --source=https://mirror.example/ilsvrc/ \
      --checksums_file=MD5SUMS "${DATA_DIR}"
  bazel run //inception:download_imagenet -- --stream_extract "${DATA_DIR}"

Credentials for a URL source come from IMAGENET_USERNAME / IMAGENET_ACCESS_KEY, then
~/.netrc, else they are asked once, at the start, on the terminal (the key without
echo); never on the command line.

--extract (the default) extracts the image tarballs. The box archives stay packed in
DATA_DIR/downloads/ unless --extract_xml is given: download_and_preprocess_imagenet
and process_bounding_boxes (--xml_source=DATA_DIR/downloads/<box archive>) read the
CSV straight from them. With --extract_xml their XMLs go to
DATA_DIR/raw-data/bounding_boxes/ (and validation_bounding_boxes/). --stream_extract
extracts each image tarball from a URL while it downloads (one pass over its bytes;
its MD5 still decides). A re-run fetches and extracts nothing that is already
complete. Exits non-zero with a one-line error message on any failure. Another run
on the same DATA_DIR (this binary or a driver) is refused while this one runs.

It runs the download step (and, with --extract, the extract step) of
download_and_preprocess_imagenet itself, in its DATA_DIR layout, recorded in
DATA_DIR/pipeline_state.json: the driver run afterwards on the same DATA_DIR skips
what this did.
"""

# First: importing cli quiets TensorFlow's start-up logs.
from inception import cli  # pylint: disable=g-bad-import-order

from absl import flags

from inception import driver
from inception import imagenet

cli.define_data_dir('Where the tarballs go (DATA_DIR/%s/) and are extracted '
                    '(DATA_DIR/%s/).' % (driver.DOWNLOADS_DIRNAME, driver.RAW_DATA_DIRNAME))
cli.define_download_flags()
cli.define_validation_labels_file('the one shipped in data/. The validation tarball '
                                  'must hold exactly the images it names.')
_WITH_DEVKIT = flags.DEFINE_bool(
    'with_devkit', False, 'Also fetch %s (not extracted).' % imagenet.DEVKIT_TAR_GZ)

FLAGS = flags.FLAGS


def main(argv):
  settings = imagenet.Settings(data_dir=cli.data_dir_to_write(argv),
                               labels=cli.label_files_from_flags(FLAGS),
                               with_devkit=_WITH_DEVKIT.value,
                               **cli.download_settings_from_flags(FLAGS))
  steps = imagenet.DOWNLOAD_STEPS if FLAGS.extract else (imagenet.DOWNLOAD,)
  imagenet.steps_to_run(settings, only=steps)  # refuses a bad source or setting first
  with cli.hold_directory(settings.data_dir):
    credentials = imagenet.credentials(settings, cli.netrc_file_from_flags(),
                                       cli.can_prompt(), only=steps)
    imagenet.run(settings, credentials, only=steps)


if __name__ == '__main__':
  cli.run(main, hint=driver.RESUME_HINT)
