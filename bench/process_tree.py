"""A process tree's members and memory, from /proc (Linux): what the benchmarks sample.

One home for the benchmarks' process sampling: `children` and `descendants` of a pid,
a process's RSS and PSS (`memory_kb`), and `TreeMemory`, a thread that keeps the peaks
of a tree (the root, its largest descendant, the sums) while a run goes on.
"""

import os
import threading
from typing import List, Optional, Tuple


def children(pid: int) -> List[int]:
  """The direct children of `pid` (from /proc/<pid>/task/*/children)."""
  found = []
  try:
    for task in os.listdir('/proc/%d/task' % pid):
      with open('/proc/%d/task/%s/children' % (pid, task)) as f:
        found.extend(int(p) for p in f.read().split())
  except OSError:
    pass  # it exited
  return found


def descendants(pid: int) -> List[int]:
  """`pid`'s descendants, parents before children."""
  found, frontier = [], [pid]
  while frontier:
    frontier = [c for p in frontier for c in children(p)]
    found.extend(frontier)
  return found


def memory_kb(pid: int) -> Tuple[int, int]:
  """(RSS, PSS) of `pid` in KiB, from /proc/<pid>/smaps_rollup; (0, 0) once it exited."""
  rss = pss = 0
  try:
    with open('/proc/%d/smaps_rollup' % pid) as f:
      for line in f:
        if line.startswith('Rss:'):
          rss = int(line.split()[1])
        elif line.startswith('Pss:'):
          pss = int(line.split()[1])
  except OSError:
    pass
  return rss, pss


class TreeMemory(object):
  """Samples RSS and PSS of `root` (default: this process) and its descendants every
  `interval` seconds while used as a context manager; keeps the peaks (KiB)."""

  def __init__(self, root: Optional[int] = None, interval: float = 0.05):
    self._root = os.getpid() if root is None else root
    self._interval = interval
    self._stop = threading.Event()
    self.peak_rss_sum = self.peak_pss_sum = 0
    self.peak_main_rss = self.peak_worker_rss = 0
    self._thread = threading.Thread(target=self._run, daemon=True)

  def __enter__(self) -> 'TreeMemory':
    self._thread.start()
    return self

  def __exit__(self, *unused) -> None:
    self._stop.set()
    self._thread.join()

  def _run(self) -> None:
    while not self._stop.is_set():
      rss_sum = pss_sum = 0
      for pid in [self._root] + descendants(self._root):
        rss, pss = memory_kb(pid)
        rss_sum += rss
        pss_sum += pss
        if pid == self._root:
          self.peak_main_rss = max(self.peak_main_rss, rss)
        else:
          self.peak_worker_rss = max(self.peak_worker_rss, rss)
      self.peak_rss_sum = max(self.peak_rss_sum, rss_sum)
      self.peak_pss_sum = max(self.peak_pss_sum, pss_sum)
      self._stop.wait(self._interval)
