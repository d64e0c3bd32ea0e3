"""What a mechanism declares, and what the reference steps of a week share.

Each mechanism module ends with one :class:`Mechanism`: its name, what it
reads and writes (fields of :class:`redline.arrays.state.State`), how many
random numbers it draws a week, its reference step (NumPy, over all runs of
a chunk), its compiled step (Numba, one run; inlined into the kernel), the
caches its compiled step keeps, the constants it reads, and its sources (keys of
docs/bibliography.md). The registry (:mod:`redline.mechanisms.registry`)
lists them in the order of a week; the engines, the stream layout, the tests
and the docs' table of mechanisms derive from it, and the tests check each
declaration against what the steps do (as Axelrod's classifiers are checked).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from numpy.typing import NDArray

from redline.arrays.scenario_arrays import ScenarioArrays
from redline.arrays.state import State

FloatArray = NDArray[np.float64]

#: How many uniforms a mechanism draws per run and week (row ``k`` of its
#: stream rows is the k-th policy, actor or red line), by the scenario's counts.
DRAWS: dict[str, Callable[[ScenarioArrays], int]] = {
    "none": lambda compiled: 0,
    "one per policy": lambda compiled: len(compiled.policy_ids),
    "one per actor": lambda compiled: compiled.n_actors,
    "one per red line": lambda compiled: len(compiled.red_line_ids),
    "two": lambda compiled: 2,
}


@dataclass
class Week:
    """What the reference steps of one chunk share besides its :class:`State`.

    ``arrivals`` (runs, fronts, 2) is the strength reaching each front this
    week, set by the policies' step for the fronts'; ``kept`` holds what a
    step keeps from week to week of the chunk, by mechanism key (the policies'
    conditions compiled to predicates).
    """

    compiled: ScenarioArrays
    arrivals: FloatArray | None = None
    kept: dict[str, Any] = field(default_factory=dict)


#: A reference step: (week, state of a chunk, this week's uniforms of the
#: mechanism, one row per draw) -> None, the state updated in place.
ReferenceStep = Callable[[Week, State, FloatArray], None]


@dataclass(frozen=True, eq=False)  # (one object per mechanism: compared by identity)
class Mechanism:
    """One mechanism of the weekly step (see the module docstring).

    Parameters
    ----------
    key : identifier in code: its rows of the random streams, ``Model.row_<key>``.
    name : its name in the docs.
    summary : what it does, in one line (the docs' table).
    reads, writes : the :class:`State` fields it reads and writes.
    draws : how many uniforms it draws per run and week (a key of :data:`DRAWS`).
    reference : its reference step (:data:`ReferenceStep`).
    kernel : its compiled step, ``(model, st, work, n, run, week, key) -> None``,
        a Numba function compiled inline into :mod:`redline.engine.kernel`.
    sources : bibliography keys (docs/bibliography.md).
    caches : what its compiled step keeps for a run: name -> (bit, the changes
        that make it stale), see :mod:`redline.mechanisms.changes`.
    constants : the scenario's constants its compiled step reads besides those
        every step shares: name -> how to compute it from the compiled
        scenario; the kernel's ``model.<name>``.

    """

    key: str
    name: str
    summary: str
    reads: tuple[str, ...]
    writes: tuple[str, ...]
    draws: str
    reference: ReferenceStep
    kernel: Any
    sources: tuple[str, ...]
    caches: Mapping[str, tuple[int, int]] = field(default_factory=dict)
    constants: Mapping[str, Callable[[ScenarioArrays], Any]] = field(default_factory=dict)

    @property
    def stochastic(self) -> bool:
        """Whether it draws random numbers."""
        return self.draws != "none"

    @property
    def module(self) -> str:
        """The module that holds its equations and both steps."""
        return self.reference.__module__

    def uniforms(self, compiled: ScenarioArrays) -> int:
        """How many uniforms it draws per run and week in ``compiled``."""
        return DRAWS[self.draws](compiled)
