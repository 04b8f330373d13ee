"""The check's reports: `CheckReport`, and its JSON, Markdown and PNG files.

`write_reports` writes, atomically, into the report directory (by default
`<directory>/check_report`, core.check_report_dir): check_report.json (every number
and failure, for programs), check_report.md (the verdict, the counts, the shard size
tables and the empty shards, for people), class_histogram.png (images per class of each split, a missing
class in red) and contact_sheet.png (sample thumbnails with their label text and boxes
drawn). The PNGs are drawn with PIL alone.
"""

import dataclasses
import io
import json
import math
import statistics
from typing import Any, Dict, List, Optional, Sequence

from PIL import Image, ImageDraw, ImageFont

from inception import core
from inception.check import _failures
from inception.check import _record_checks
from inception.check import _shard_checks

REPORT_JSON = 'check_report.json'
REPORT_MARKDOWN = 'check_report.md'
CLASS_HISTOGRAM_PNG = 'class_histogram.png'
CONTACT_SHEET_PNG = 'contact_sheet.png'


@dataclasses.dataclass
class SplitStats:
  """Merged numbers of one split."""
  name: str
  num_shards: int = 0
  num_records: int = 0
  num_bytes: int = 0
  expected_records: Optional[int] = None
  expected_source: str = ''
  shard_records: List[int] = dataclasses.field(default_factory=list)
  shard_bytes: List[int] = dataclasses.field(default_factory=list)
  class_counts: Dict[int, int] = dataclasses.field(default_factory=dict)
  num_boxes: int = 0
  num_images_with_boxes: int = 0
  num_decoded: int = 0
  # The numbers of the shards that hold no record (more shards than images, or every
  # image of a shard skipped): information, not a failure.
  empty_shards: List[int] = dataclasses.field(default_factory=list)


@dataclasses.dataclass
class CheckReport:
  """The verdict on a directory: ok is True only when there is no failure."""
  directory: str
  ok: bool
  schema: str
  sample_fraction: float
  failures: List[_failures.Failure]
  num_failures: int
  failures_by_kind: Dict[str, int]
  warnings: List[str]
  splits: Dict[str, SplitStats]
  class_names: Dict[int, str]
  report_files: Dict[str, str] = dataclasses.field(default_factory=dict)

  def summary_line(self) -> str:
    counts = ', '.join('%s %d' % (s.name, s.num_records) for s in self.splits.values())
    if self.ok:
      return 'Check passed: %s (%s).' % (self.directory, counts or 'no records')
    return 'Check FAILED: %s: %d failures (%s); records: %s.' % (
        self.directory, self.num_failures,
        ', '.join('%s %d' % kv for kv in sorted(self.failures_by_kind.items())),
        counts or 'none')

  def to_json(self) -> Dict[str, Any]:
    """A JSON-ready dict (the report file sorts its keys)."""
    splits = {}
    for name, stats in self.splits.items():
      splits[name] = {
          'num_shards': stats.num_shards,
          'num_records': stats.num_records,
          'num_bytes': stats.num_bytes,
          'expected_records': stats.expected_records,
          'expected_source': stats.expected_source,
          'shard_records': stats.shard_records,
          'shard_bytes': stats.shard_bytes,
          'shard_records_spread': _spread(stats.shard_records),
          'shard_bytes_spread': _spread(stats.shard_bytes),
          'class_counts': {str(k): v for k, v in sorted(stats.class_counts.items())},
          'class_counts_spread': _spread(list(stats.class_counts.values())),
          'num_classes': len(stats.class_counts),
          'num_boxes': stats.num_boxes,
          'num_images_with_boxes': stats.num_images_with_boxes,
          'num_images_decoded': stats.num_decoded,
          'empty_shards': stats.empty_shards,
      }
    return {
        'directory': self.directory,
        'ok': self.ok,
        'schema': self.schema,
        'sample_fraction': self.sample_fraction,
        'decoder': _record_checks.decoder_for(self.sample_fraction),
        'num_failures': self.num_failures,
        'failures_by_kind': dict(sorted(self.failures_by_kind.items())),
        'failures': [dataclasses.asdict(f) for f in self.failures],
        'warnings': self.warnings,
        'splits': splits,
        'class_names': {str(k): v for k, v in sorted(self.class_names.items())},
    }


def write_reports(report: CheckReport, samples: Sequence[_shard_checks.Sample],
                  report_dir: str) -> Dict[str, str]:
  """Writes the JSON, Markdown and PNG reports atomically; returns their paths."""
  core.makedirs(report_dir)
  paths = {
      'json': core.join(report_dir, REPORT_JSON),
      'markdown': core.join(report_dir, REPORT_MARKDOWN),
      'class_histogram': core.join(report_dir, CLASS_HISTOGRAM_PNG),
      'contact_sheet': core.join(report_dir, CONTACT_SHEET_PNG),
  }
  core.write_bytes(paths['class_histogram'], _png_bytes(render_class_histogram(report)))
  core.write_bytes(paths['contact_sheet'],
                   _png_bytes(render_contact_sheet(samples, report.class_names)))
  core.write_text(paths['markdown'], render_markdown(report))
  core.write_text(paths['json'], json.dumps(report.to_json(), indent=2, sort_keys=True) +
                  '\n')
  return paths


def render_markdown(report: CheckReport) -> str:
  """The report for people: verdict, counts, shard sizes, classes, failures."""
  lines = ['# TFRecord check: %s' % ('PASSED' if report.ok else 'FAILED'), '',
           '- directory: `%s`' % report.directory,
           '- schema: %s (%d keys)' % (
               report.schema, len(_record_checks.FEATURES_BY_SCHEMA[report.schema])),
           '- images fully decoded: %d of %d (sample fraction %g, with %s); every '
           'JPEG header read' % (sum(s.num_decoded for s in report.splits.values()),
                                 sum(s.num_records for s in report.splits.values()),
                                 report.sample_fraction,
                                 _record_checks.decoder_for(report.sample_fraction)),
           '- failures: %d' % report.num_failures, '',
           '## Counts', '',
           '| split | shards | records | expected | from | classes | boxes | images '
           'with boxes | bytes |',
           '|---|---:|---:|---:|---|---:|---:|---:|---:|']
  for stats in report.splits.values():
    lines.append('| %s | %d | %s | %s | %s | %d | %s | %s | %s |' % (
        stats.name, stats.num_shards, '{:,}'.format(stats.num_records),
        '{:,}'.format(stats.expected_records)
        if stats.expected_records is not None else 'unknown',
        stats.expected_source or '-', len(stats.class_counts),
        '{:,}'.format(stats.num_boxes), '{:,}'.format(stats.num_images_with_boxes),
        _human_bytes(stats.num_bytes)))
  lines += ['', '## Shard sizes', '',
            '| split | records min | median | max | bytes min | median | max |',
            '|---|---:|---:|---:|---:|---:|---:|']
  for stats in report.splits.values():
    records = _spread(stats.shard_records)
    sizes = _spread(stats.shard_bytes)
    lines.append('| %s | %s | %s | %s | %s | %s | %s |' % (
        stats.name, records['min'], records['median'], records['max'],
        _human_bytes(sizes['min']), _human_bytes(sizes['median']),
        _human_bytes(sizes['max'])))
  lines += ['', '## Images per class', '',
            '| split | min | median | max | fewest (label: images) |',
            '|---|---:|---:|---:|---|']
  for stats in report.splits.values():
    counts = _spread(list(stats.class_counts.values()))
    fewest = sorted(stats.class_counts.items(), key=lambda kv: (kv[1], kv[0]))[:3]
    lines.append('| %s | %s | %s | %s | %s |' % (
        stats.name, counts['min'], counts['median'], counts['max'],
        ', '.join('%d %s: %d' % (label, report.class_names.get(label, '')[:30], n)
                  for label, n in fewest)))
  lines += ['', '![images per class](%s)' % CLASS_HISTOGRAM_PNG, '',
            '![sample images](%s)' % CONTACT_SHEET_PNG, '']
  if report.failures:
    lines += ['## Failures (first %d of %d)' % (len(report.failures),
                                                report.num_failures), '']
    lines += ['- %s' % _markdown_escape(str(f)) for f in report.failures]
    lines.append('')
  if report.warnings:
    lines += ['## Warnings', ''] + ['- %s' % _markdown_escape(w)
                                    for w in report.warnings] + ['']
  lines += _empty_shard_lines(report.splits.values())
  return '\n'.join(lines)


def _empty_shard_lines(splits: Sequence[SplitStats]) -> List[str]:
  """The Markdown section naming each split's empty shards (none: no section)."""
  lines = ['- %s: %d of %d shards hold no record: %s' % (
      stats.name, len(stats.empty_shards), stats.num_shards,
      _number_ranges(stats.empty_shards)) for stats in splits if stats.empty_shards]
  if not lines:
    return []
  return ['## Empty shards', '', 'Information, not a failure: with more shards than '
          'images some shards are empty, and every shard name is still written.',
          ''] + lines + ['']


def _number_ranges(numbers: Sequence[int]) -> str:
  """Sorted numbers as ranges: [0, 1, 2, 5, 7, 8] -> '0-2, 5, 7-8'."""
  ranges = []
  for number in numbers:
    if ranges and number == ranges[-1][1] + 1:
      ranges[-1][1] = number
    else:
      ranges.append([number, number])
  return ', '.join(str(a) if a == b else '%d-%d' % (a, b) for a, b in ranges)


def render_class_histogram(report: CheckReport) -> Image.Image:
  """One bar chart of images per class for each split (PIL only)."""
  font = ImageFont.load_default()
  num_classes = max([max(s.class_counts, default=0) for s in report.splits.values()] +
                    [max(report.class_names, default=0), 1])
  left, right, top, panel_height, plot_height = 60, 20, 30, 250, 180
  bar_width = max(1, max(720, num_classes) // num_classes)
  gap = 1 if bar_width > 3 else 0
  width = left + right + bar_width * num_classes
  splits = list(report.splits.values()) or [SplitStats(name='no shards')]
  image = Image.new('RGB', (width, panel_height * len(splits)), 'white')
  draw = ImageDraw.Draw(image)
  for panel, stats in enumerate(splits):
    y0 = panel * panel_height + top
    baseline = y0 + plot_height
    counts = [stats.class_counts.get(label, 0) for label in range(1, num_classes + 1)]
    highest = max(counts + [1])
    present = [c for c in counts if c]
    draw.text((left, y0 - 22), '%s: %s images in %d classes; per class min %d, max %d'
              % (stats.name, '{:,}'.format(stats.num_records), len(present),
                 min(counts), max(counts)), fill='black', font=font)
    for i, count in enumerate(counts):
      x = left + i * bar_width
      if count:
        bar_top = baseline - max(1, round(plot_height * count / highest))
        draw.rectangle((x, bar_top, x + bar_width - 1 - gap, baseline),
                       fill=(70, 110, 180))
      else:  # a full-height column, at least 3 px wide, so one missing class shows
        middle = x + (bar_width - 1) // 2
        draw.rectangle((min(x, middle - 1), y0, max(x + bar_width - 1 - gap, middle + 1),
                        baseline), fill=(240, 120, 120))
    draw.line((left - 2, y0, left - 2, baseline), fill='black')
    draw.line((left - 2, baseline, left + bar_width * num_classes, baseline),
              fill='black')
    draw.text((4, y0 - 4), str(highest), fill='black', font=font)
    draw.text((4, baseline - 8), '0', fill='black', font=font)
    step = max(1, math.ceil(num_classes / 10))
    for label in sorted({1, num_classes} | set(range(step, num_classes, step))):
      x = left + (label - 1) * bar_width + bar_width // 2
      draw.line((x, baseline, x, baseline + 3), fill='black')
      draw.text((x - 6, baseline + 5), str(label), fill='black', font=font)
    draw.text((left, baseline + 20), 'class label (a red column: a class without '
              'images)', fill='black', font=font)
  return image


def render_contact_sheet(samples: Sequence[_shard_checks.Sample],
                         class_names: Dict[int, str]) -> Image.Image:
  """Sample thumbnails in a grid, each with its boxes and label text drawn."""
  font = ImageFont.load_default()
  cell, text_height, margin, columns = _shard_checks.THUMBNAIL_SIZE, 40, 6, 6
  rows = max(1, math.ceil(len(samples) / columns))
  image = Image.new('RGB', (columns * (cell + margin) + margin,
                            rows * (cell + text_height + margin) + margin), 'white')
  draw = ImageDraw.Draw(image)
  if not samples:
    draw.text((margin, margin), 'no decodable sample images', fill='black', font=font)
  for i, sample in enumerate(samples):
    x0 = margin + (i % columns) * (cell + margin)
    y0 = margin + (i // columns) * (cell + text_height + margin)
    thumbnail = Image.frombytes('RGB', sample.thumbnail_size, sample.thumbnail_rgb)
    scale = min(cell / thumbnail.width, cell / thumbnail.height)
    if scale > 1:  # small images are shown larger, to be seen
      thumbnail = thumbnail.resize((max(1, round(thumbnail.width * scale)),
                                    max(1, round(thumbnail.height * scale))),
                                   Image.Resampling.BICUBIC)
    width, height = thumbnail.size
    left, top = x0 + (cell - width) // 2, y0 + (cell - height) // 2
    image.paste(thumbnail, (left, top))
    for xmin, ymin, xmax, ymax in sample.boxes:
      draw.rectangle((left + xmin * (width - 1), top + ymin * (height - 1),
                      left + xmax * (width - 1), top + ymax * (height - 1)),
                     outline=(255, 30, 30), width=2)
    text = sample.text or class_names.get(sample.label, '')
    caption = ['%d %s' % (sample.label, sample.synset), text, sample.filename]
    for line_number, line in enumerate(caption):
      draw.text((x0, y0 + cell + 2 + 12 * line_number), _fit(draw, line, font, cell),
                fill='black', font=font)
  return image


def _fit(draw: ImageDraw.ImageDraw, text: str, font: Any, width: int) -> str:
  """Cuts `text` to fit in `width` pixels."""
  if draw.textlength(text, font=font) <= width:
    return text
  while text and draw.textlength(text + '...', font=font) > width:
    text = text[:-1]
  return text + '...'


def _png_bytes(image: Image.Image) -> bytes:
  buffer = io.BytesIO()
  image.save(buffer, format='PNG')
  return buffer.getvalue()


def _spread(values: Sequence[float]) -> Dict[str, float]:
  if not values:
    return {'min': 0, 'median': 0, 'max': 0}
  return {'min': min(values), 'median': statistics.median(values), 'max': max(values)}


def _human_bytes(count: float) -> str:
  units = ('B', 'kB', 'MB', 'GB', 'TB')
  exponent = min(len(units) - 1, int(math.log10(max(count, 1)) // 3))
  if exponent == 0:
    return '%d B' % count
  return '%.1f %s' % (count / 1000**exponent, units[exponent])


def _markdown_escape(text: str) -> str:
  return text.replace('|', '\\|')
