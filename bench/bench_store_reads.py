"""Benchmark of reading a split's images from S3, with a store's latency, per worker.

Generates (once, cached under --work_dir) a folder-per-class set of photo-like JPEGs
(bench_convert's), and a flat tar of --tar_images of them (moto reads a whole object
to answer a ranged GET of it, so a larger tar measures moto's copying, not the
converter). Starts moto's S3 server on
127.0.0.1 with tests/object_stores.FaultProxy in front of it, which delays every
request by --latency_ms (a real store's time to first byte; moto on 127.0.0.1 has
almost none) and counts what it forwards; uploads the set (s3://bench/raw/train/...)
and the tar (s3://bench/images.tar) past the proxy. Then it converts the split with
`convert.convert_split` (--num_threads worker processes, --train_shards shards, into
a local directory) from each source:

- objects: the class directories in the store (`find_class_entries`: a LIST per class,
  then each image one GET of the whole object);
- tar members: the tar's members read in place, each a ranged GET of exactly its
  bytes (as the ImageNet driver's --no_extract reads a tarball in a store);

and from the same images on local disk (the folders; the tar), for the shards to
compare with,

once with the inception package of --baseline (a checkout of the code before, e.g.
`git archive main inception | tar -x -C /tmp/base`), once with this checkout's. Each
conversion runs in a child process whose PYTHONPATH is that checkout (its workers
inherit it); the store is reached only through AWS_ENDPOINT_URL (the proxy). Prints
per run the seconds, images/s, requests per image by method, bytes the store
answered per image byte, the most requests in flight at once, and whether the
shards are byte-identical to a local run's.

Not a Bazel target (run it from a checkout):
  PYTHONPATH=. .venv/bin/python bench/bench_store_reads.py --baseline=/tmp/base
"""

import collections
import json
import os
import secrets
import subprocess
import sys
import tarfile
import time
from typing import Dict, List, Optional

from absl import app
from absl import flags

FLAGS = flags.FLAGS
flags.DEFINE_string('work_dir', '/tmp/bench_store_reads', 'Holds the set (set/), '
                    'its tar and the outputs (out-<run>/).')
flags.DEFINE_integer('num_images', 2000, 'Images of the set.')
flags.DEFINE_integer('num_classes', 10, 'Classes of the set.')
flags.DEFINE_integer('tar_images', 200, 'Images of the tar (the first of each '
                     'class).')
flags.DEFINE_integer('latency_ms', 20, 'Delay the proxy adds to every request.')
flags.DEFINE_integer('num_threads', 2, 'Worker processes.')
flags.DEFINE_integer('train_shards', 4, 'Shards.')
flags.DEFINE_string('baseline', '', 'A checkout (holding inception/) of the code '
                    'before; empty: only this checkout is run.')
flags.DEFINE_string('child', '', 'Internal: a JSON run spec; convert and print the '
                    'result (run by the benchmark in a child process).')

_BUCKET = 'bench'
_SEED = 22
_THIS_CHECKOUT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def _child(spec: Dict) -> None:
  """Converts the split `spec` names with the inception package on sys.path."""
  from inception import acquire  # pylint: disable=g-import-not-at-top
  from inception import convert  # pylint: disable=g-import-not-at-top
  from inception import core  # pylint: disable=g-import-not-at-top
  from inception import records  # pylint: disable=g-import-not-at-top
  classes = [convert.ImageClass(synset, synset, 'class ' + synset)
             for synset in spec['synsets']]
  start = time.monotonic()
  if spec['members']:
    builder = records.EntriesBuilder()
    for label, offset, size, name in spec['members']:
      synset = spec['synsets'][label - 1]
      builder.add_member(label, synset, 'class ' + synset, acquire.TarMember(
          spec['source'], offset, size, name))
    entries = builder.build()
  else:
    entries = convert.find_class_entries(spec['source'], classes)
  options = convert.ConvertOptions(workers=core.Workers(count=spec['num_threads']),
                                   progress_interval=3600)
  result = convert.convert_split('train', entries, spec['num_shards'],
                                 spec['output'], options)
  print(json.dumps({'seconds': time.monotonic() - start,
                    'images': result.num_images}))


def _make_tar(set_dir: str, tar_path: str, synsets: List[str],
              num_images: int) -> List[list]:
  """A flat tar of the first `num_images` // classes images of each class; [label,
  offset, size, name] of each member, sorted by (label, name) as find_class_entries
  lists the class directories."""
  per_class = num_images // len(synsets)
  if not os.path.exists(tar_path):
    with tarfile.open(tar_path + '.partial', 'w') as tar:
      for synset in synsets:
        directory = os.path.join(set_dir, 'train', synset)
        for name in sorted(os.listdir(directory))[:per_class]:
          tar.add(os.path.join(directory, name), arcname=name)
    os.rename(tar_path + '.partial', tar_path)
  labels = {synset: label for label, synset in enumerate(synsets, 1)}
  with tarfile.open(tar_path) as tar:
    members = [[labels[m.name.split('_')[0]], m.offset_data, m.size, m.name]
               for m in tar]
  return sorted(members, key=lambda m: (m[0], m[3]))


def _run(checkout: str, spec: Dict, environ: Dict[str, str]) -> Dict:
  """The child's result of converting `spec` with the inception of `checkout`."""
  command = [sys.executable, os.path.abspath(__file__), '--child=' + json.dumps(spec)]
  # The workers (`python -m`) find the package in their working directory first.
  result = subprocess.run(command, env=dict(environ, PYTHONPATH=checkout),
                          cwd=checkout, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                          check=False)
  if result.returncode:
    raise RuntimeError('%s failed: %s' % (spec['output'], result.stderr[-3000:]))
  return json.loads(result.stdout.strip().splitlines()[-1])


def _shards(directory: str) -> Dict[str, bytes]:
  found = {}
  for name in sorted(os.listdir(directory)):
    if name.startswith('train-'):
      with open(os.path.join(directory, name), 'rb') as f:
        found[name] = f.read()
  return found


def _requests_by_method(lines: List[str]) -> Dict[str, int]:
  return dict(collections.Counter(line.split(' ', 1)[0] for line in lines))


def main(argv):
  del argv
  if FLAGS.child:
    _child(json.loads(FLAGS.child))
    return
  from bench import bench_convert  # pylint: disable=g-import-not-at-top
  import fsspec  # pylint: disable=g-import-not-at-top
  from tests import object_stores  # pylint: disable=g-import-not-at-top
  set_dir = os.path.join(FLAGS.work_dir, 'set')
  bench_convert.generate(set_dir, FLAGS.num_images, FLAGS.num_classes, _SEED)
  with open(os.path.join(set_dir, 'synsets.txt')) as f:
    synsets = f.read().split()
  tar_path = os.path.join(FLAGS.work_dir, 'images-%d.tar' % FLAGS.tar_images)
  members = _make_tar(set_dir, tar_path, synsets, FLAGS.tar_images)
  server = object_stores.s3(os.path.join(FLAGS.work_dir, 'moto.log'))
  proxy = object_stores.FaultProxy(server.port)
  environ = dict(os.environ, **object_stores.aws_environment(
      proxy.url, 'secret-' + secrets.token_hex(8)))
  try:
    os.environ.update(object_stores.aws_environment(server.url, environ[
        'AWS_SECRET_ACCESS_KEY']))  # the uploads go past the proxy
    s3 = fsspec.filesystem('s3')
    s3.mkdir(_BUCKET)
    s3.put(os.path.join(set_dir, 'train'), '%s/raw/' % _BUCKET, recursive=True)
    s3.put_file(tar_path, '%s/images.tar' % _BUCKET)
    base = dict(synsets=synsets, num_shards=FLAGS.train_shards,
                num_threads=FLAGS.num_threads)
    checkouts = [('before', FLAGS.baseline)] if FLAGS.baseline else []
    checkouts.append(('after', _THIS_CHECKOUT))
    print('%d classes, %d shards, %d workers, %d ms a request' % (
        len(synsets), FLAGS.train_shards, FLAGS.num_threads, FLAGS.latency_ms))
    print('| source | images | MB | code | s | images/s | requests per image | bytes '
          'answered per image byte | most in flight | shards identical |')
    print('|---|---|---|---|---|---|---|---|---|---|')
    for source_name, local, remote, listed in (
        ('objects', os.path.join(set_dir, 'train'), 's3://%s/raw/train' % _BUCKET,
         None),
        ('tar members', tar_path, 's3://%s/images.tar' % _BUCKET, members)):
      stem = os.path.join(FLAGS.work_dir, 'out-' + source_name.replace(' ', '-'))
      subprocess.run(['rm', '-rf', stem + '-local'], check=True)
      result = _run(_THIS_CHECKOUT, dict(base, source=local, members=listed,
                                         output=stem + '-local'), environ)
      expected = _shards(stem + '-local')
      images = result['images']
      image_bytes = (sum(m[2] for m in members) if listed else
                     sum(os.path.getsize(os.path.join(parent, name))
                         for parent, _, names in os.walk(local) for name in names))
      for code, checkout in checkouts:
        output = '%s-%s' % (stem, code)
        subprocess.run(['rm', '-rf', output], check=True)
        proxy.delay_seconds = FLAGS.latency_ms / 1000
        proxy.reset_counts()
        result = _run(checkout, dict(base, source=remote, members=listed,
                                     output=output), environ)
        proxy.delay_seconds = 0
        requests = _requests_by_method(proxy.requests)
        print('| %s | %d | %.1f | %s | %.1f | %.0f | %s | %.3f | %d | %s |' % (
            source_name, images, image_bytes / 1e6, code, result['seconds'],
            images / result['seconds'],
            ', '.join('%s %.3f' % (method, count / images)
                      for method, count in sorted(requests.items())),
            proxy.bytes_answered / image_bytes, proxy.most_in_flight,
            'yes' if _shards(output) == expected else 'NO'), flush=True)
  finally:
    proxy.stop()
    server.stop()


if __name__ == '__main__':
  app.run(main)
