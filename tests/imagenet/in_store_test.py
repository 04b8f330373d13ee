"""Tests of inception.imagenet._in_store: the tarballs in a store, read in place
(fsspec's memory:// store; tests/s3_driver_test.py runs the driver on moto's S3)."""

import hashlib

from absl.testing import absltest
import fsspec

from inception import acquire
from inception import driver
from inception.imagenet import _in_store
from inception.imagenet import _settings

_SOURCE = 'memory://in_store_test/tarballs'


class InStoreTest(absltest.TestCase):

  def settings(self, data_dir, source=_SOURCE, no_extract=True):
    return _settings.Settings(data_dir=data_dir, source=source, no_extract=no_extract)

  def test_what_a_store_cannot_run_is_refused_in_one_line(self):
    local = self.create_tempdir().full_path
    remote = 'memory://in_store_test/out'
    _in_store.refuse_settings(self.settings(remote))
    _in_store.refuse_settings(self.settings(local))
    _in_store.refuse_settings(self.settings(local, source=local, no_extract=False))
    for settings, message in (
        (self.settings(remote, no_extract=False),
         'DATA_DIR %s is in object storage: give --no_extract' % remote),
        (self.settings(remote, source=local),
         'DATA_DIR %s is in object storage: the tarballs must be in object storage '
         'too' % remote),
        (self.settings(local, no_extract=False),
         '--source %s is in object storage, whose tarballs are read in place: give '
         '--no_extract' % _SOURCE)):
      with self.assertRaises(ValueError) as caught:
        _in_store.refuse_settings(settings)
      self.assertStartsWith(str(caught.exception), message)

  def test_recorded_objects_are_the_archive_paths_and_a_change_is_refused(self):
    store = fsspec.filesystem('memory')
    store.pipe_file('/in_store_test/tarballs/a.tar', b'tar bytes')
    url = _SOURCE + '/a.tar'
    data_dir = self.create_tempdir().full_path
    settings = self.settings(data_dir)
    with self.assertRaisesRegex(driver.DriverError, 'has not recorded the tarballs'):
      _in_store.archive_paths(settings)
    summary = acquire.fetch_all(
        driver.downloads_dir(data_dir), _SOURCE,
        [acquire.Archive('a.tar', None, hashlib.md5(b'tar bytes').hexdigest())],
        acquire.FetchOptions(verify_on_first_read=('a.tar',)))
    outputs = _in_store.download_outputs(summary)
    self.assertEqual(outputs['objects']['a.tar'][acquire.URL_KEY], url)
    driver.write_state(data_dir, {_settings.DOWNLOAD: driver.jsonable({
        'settings': settings.step_settings(_settings.DOWNLOAD), 'outputs': outputs})})
    self.assertEqual(_in_store.archive_paths(settings), {'a.tar': url})
    self.assertEqual(_in_store.verification_records(settings, {'a.tar': url}),
                     {url: driver.downloads_dir(data_dir) + '/a.tar'})
    _in_store.refuse_changed_objects(settings, ())  # unchanged
    store.pipe_file('/in_store_test/tarballs/a.tar', b'other tar bytes')
    with self.assertRaisesRegex(
        driver.DriverError, '^%s: changed since the download step recorded it .*'
        '--redo=download --overwrite' % url):
      _in_store.refuse_changed_objects(settings, ())
    _in_store.refuse_changed_objects(settings, (_settings.DOWNLOAD,))  # redone
    # A download step with other settings runs again anyway.
    _in_store.refuse_changed_objects(
        _settings.Settings(data_dir=data_dir, source=_SOURCE + '2', no_extract=True),
        ())


if __name__ == '__main__':
  absltest.main()
