"""Refuse an ensemble that would not fit in memory, before any work starts.

An ensemble holds one chunk's state at a time (two while the next chunk is
drawn ahead, :func:`redline.engine.run._prepared_in_turn`), plus, when per-run
records are kept (``keep_runs``), an outcome, an end week and a first week per
event for every run. Both are known before the first run: the state's size
per run is measured on a few runs of the compiled scenario. If they would take
more than :data:`MEMORY_SHARE` of the memory this process may use (the
machine's RAM, or a cgroup limit when one is set), the ensemble is refused with
what to change, instead of being killed by the kernel's out-of-memory handler
half-way through.
"""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np

from redline.arrays.scenario_arrays import ScenarioArrays
from redline.arrays.state import initial_state

#: Largest share of the usable memory an ensemble may plan to take.
MEMORY_SHARE = 0.6
#: Runs used to measure the state's size per run.
_PROBE_RUNS = 8


class MemoryLimitError(ValueError):
    """The ensemble, as asked, would not fit in memory."""


def usable_memory() -> int:
    """Bytes this process may use: physical memory, or the cgroup limit if lower."""
    total = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")
    for limit_file in (Path("/sys/fs/cgroup/memory.max"),
                       Path("/sys/fs/cgroup/memory/memory.limit_in_bytes")):
        try:
            text = limit_file.read_text().strip()
        except OSError:
            continue
        if text.isdigit():
            total = min(total, int(text))
    return int(total)


def state_bytes_per_run(compiled: ScenarioArrays) -> int:
    """Bytes of state (parameters and evolving arrays) one run holds in a chunk."""
    uniforms = np.full((len(compiled.slots.numbers), _PROBE_RUNS), 0.5)
    state = initial_state(compiled, uniforms)
    total = sum(value.nbytes for value in vars(state).values() if isinstance(value, np.ndarray))
    return -(-total // _PROBE_RUNS)


def planned_bytes(compiled: ScenarioArrays, runs: int, chunk: int, keep_runs: bool) -> int:
    """Memory the ensemble plans to hold at once: two chunks' state, and kept records."""
    events = len(compiled.scenario.questions) + len(compiled.scenario.observations)
    per_chunk = min(chunk, runs) * (state_bytes_per_run(compiled) + 8 * events)
    kept = runs * 8 * (2 + events) if keep_runs else 0
    return 2 * per_chunk + kept


def check_memory(compiled: ScenarioArrays, runs: int, chunk: int, keep_runs: bool,
                 usable: int | None = None) -> None:
    """Raise :class:`MemoryLimitError` if the ensemble would not fit in memory."""
    usable = usable_memory() if usable is None else usable
    budget = int(MEMORY_SHARE * usable)
    planned = planned_bytes(compiled, runs, chunk, keep_runs)
    if planned <= budget:
        return
    gib = 2.0**30
    advice = ("a smaller --chunk-size" if not keep_runs or runs * 8 < budget // 4
              else "fewer runs per call (per-run records are kept for every run)")
    raise MemoryLimitError(
        f"this ensemble would hold {planned / gib:.1f} GiB at once, more than"
        f" {MEMORY_SHARE:.0%} of the {usable / gib:.1f} GiB this process may use: use {advice}")
