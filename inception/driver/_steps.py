"""The step engine of every driver (the ImageNet one, the flowers one).

A driver is a list of `Step`s run in order. `DATA_DIR/pipeline_state.json` records
each finished step with the settings it ran with and what it produced; a re-run starts
at the first step that is not finished with the same settings (or is redone, or no
longer holds: `still_done`) and runs every step after it, so that a changed input
never leaves stale output downstream. Each step stays idempotent on its own (it
resumes its own work), so a state file that is lost only costs time.
"""

import json
import time
from typing import Any, Callable, Dict, List, Mapping, NamedTuple, Optional, Sequence

from absl import logging

from inception import core
from inception.driver import _layout

# The steps both drivers have, by these names (in the state file, --redo).
DOWNLOAD = 'download'
EXTRACT = 'extract'
CONVERT = 'convert'
CHECK = 'check'


class Step(NamedTuple):
  """One step of a driver.

  Attributes:
    name: as in the state file and --redo.
    run: does the work; returns a JSON-able record of what it produced.
    settings: JSON-able; what decides the step's output (a change re-runs it).
    still_done: whether a recorded run still holds (e.g. its files are there);
      None: it always does.
  """
  name: str
  run: Callable[[], Mapping[str, Any]]
  settings: Any
  still_done: Optional[Callable[[], bool]] = None


def read_state(data_dir: str) -> Dict[str, Any]:
  """The recorded steps: {step: {'settings': ..., 'outputs': ..., 'seconds': s}}.

  Raises:
    ValueError: the state file is not JSON (named, with what to do).
  """
  path = _layout.state_path(data_dir)
  if not core.exists(path):
    return {}
  try:
    state = json.loads(core.read_text(path))
  except ValueError as e:
    raise ValueError('%s is not valid JSON (%s); delete it to start the steps over '
                     '(each step still resumes its own work)' % (path, e)) from None
  return state.get('steps', {})


def write_state(data_dir: str, steps: Mapping[str, Any]) -> None:
  core.write_text(_layout.state_path(data_dir),
                  json.dumps({'steps': steps}, indent=2, sort_keys=True) + '\n')


def jsonable(value: Any) -> Any:
  """`value` as it reads back from the state file (tuples become lists, say)."""
  return json.loads(json.dumps(value, sort_keys=True))


def pending_steps(steps: Sequence[Step], state: Mapping[str, Any],
                  redo: Sequence[str] = ()) -> List[str]:
  """The names of the steps to run: from the first unfinished, changed or redone one.

  Raises:
    ValueError: `redo` names a step that is not one of `steps`.
  """
  names = [step.name for step in steps]
  unknown = sorted(set(redo) - set(names))
  if unknown:
    raise ValueError('unknown step(s) to redo: %s (steps: %s)' %
                     (', '.join(unknown), ', '.join(names)))
  for position, step in enumerate(steps):
    record = state.get(step.name)
    done = (record is not None and step.name not in redo and
            record.get('settings') == jsonable(step.settings) and
            (step.still_done is None or step.still_done()))
    if not done:
      return names[position:]
  return []


def run_steps(data_dir: str, steps: Sequence[Step], redo: Sequence[str] = (),
              only: Optional[Sequence[str]] = None,
              clock: Callable[[], float] = time.time) -> Dict[str, Any]:
  """Runs the pending steps, recording each as it finishes; returns the whole state.

  `only` limits the run to those steps (a binary that does part of a driver's work,
  such as download_imagenet): the pending steps outside it are not run, but their
  records are dropped all the same, so that whoever runs them next does not trust an
  output made from older inputs. A step's failure propagates; the steps before it stay
  recorded as finished, so a re-run resumes there.

  Raises:
    ValueError: `only` or `redo` names a step that is not one of `steps`.
  """
  names = [step.name for step in steps]
  unknown = sorted(set(only or ()) - set(names))
  if unknown:
    raise ValueError('unknown step(s) to run: %s (steps: %s)' %
                     (', '.join(unknown), ', '.join(names)))
  core.makedirs(data_dir)
  state = read_state(data_dir)
  pending = pending_steps(steps, state, redo)
  selected = [name for name in names if only is None or name in only]
  for name in selected:
    if name not in pending:
      logging.info('Step %s: already finished, skipped', name)
  for name in pending:
    state.pop(name, None)
  write_state(data_dir, state)
  for step in steps:
    if step.name not in pending or step.name not in selected:
      continue
    logging.info('Step %s: starting', step.name)
    started = clock()
    outputs = step.run()
    state[step.name] = jsonable({'settings': step.settings, 'outputs': outputs,
                                 'seconds': round(clock() - started, 3)})
    write_state(data_dir, state)
    logging.info('Step %s: finished in %.1f s', step.name, clock() - started)
  return state
