"""The mechanisms of a week, in order: the one list the rest derives from.

Each mechanism module declares itself (its ``MECHANISM``,
:class:`redline.mechanisms.mechanism.Mechanism`): what it reads and writes,
its random numbers, its reference step, its compiled step, its caches and
its sources. :data:`MECHANISMS` puts them in the order of a week, as
Axelrod's one explicit list of strategies. From it derive:

* the reference engine's week (:func:`redline.engine.run.step`): each
  mechanism's reference step in this order;
* the layout of a week's random numbers (:class:`StreamLayout`): each
  mechanism's rows, in this order, so a mechanism's k-th uniform is the same
  number in both engines;
* the compiled engine's week (:func:`week_kernel`): each mechanism's
  compiled step in this order, written out beside the list (Numba cannot
  loop over functions), and checked against it by the tests;
* the compiled kernel's constants (``row_<key>``) and the table of its caches;
* the tests' parametrisation over mechanisms (tests/mechanisms/test_registry.py);
* the table of mechanisms in docs/model.md (:func:`mechanism_table`;
  ``python -m redline.mechanisms.registry`` prints it, and a test checks that
  the page holds the current one).

Adding a mechanism is one module (equations in its docstring, both steps, its
declaration) and two lines here: its entry in :data:`MECHANISMS` and its call
in :func:`week_kernel` (docs/howto/add-a-mechanism.md lists the rest).
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass

import numpy as np
from numba import njit

from redline.arrays.scenario_arrays import ScenarioArrays
from redline.mechanisms import (
    bargaining,
    decisions,
    fronts,
    policies,
    power,
    pressure,
    redlines,
    termination,
    trust,
)
from redline.mechanisms.changes import CHANGES
from redline.mechanisms.mechanism import Mechanism

#: The mechanisms in the order they act within a week.
MECHANISMS: tuple[Mechanism, ...] = (
    policies.MECHANISM,
    decisions.MECHANISM,
    redlines.MECHANISM,
    fronts.MECHANISM,
    power.MECHANISM,
    bargaining.MECHANISM,
    pressure.MECHANISM,
    trust.MECHANISM,
    termination.MECHANISM,
)


@njit(inline="always")
def week_kernel(model, st, work, n, run, week, key):  # pragma: no cover
    """One week of run ``n`` in the compiled engine: :data:`MECHANISMS`' compiled steps in order.

    Inlined into the kernel's block function (:mod:`redline.engine.kernel`).
    The ``# --`` comment before each call names its section for
    ``benchmarks/kernel_sections.py``.
    """
    # -- events and policies (mechanisms.policies) --
    policies.policies_kernel(model, st, work, n, run, week, key)
    # -- decisions (mechanisms.decisions) --
    decisions.decide_kernel(model, st, work, n, run, week, key)
    # -- red lines (mechanisms.redlines) --
    redlines.apply_red_lines_kernel(model, st, work, n, run, week, key)
    # -- fronts (mechanisms.fronts) --
    fronts.advance_fronts_kernel(model, st, work, n, run, week, key)
    # -- power (mechanisms.power) --
    power.update_power_kernel(model, st, work, n, run, week, key)
    # -- bargaining (mechanisms.bargaining) --
    bargaining.bargain_kernel(model, st, work, n, run, week, key)
    # -- economic pressure (mechanisms.pressure) --
    pressure.apply_pressure_kernel(model, st, work, n, run, week, key)
    # -- trust and stability (mechanisms.trust) --
    trust.update_stability_kernel(model, st, work, n, run, week, key)
    # -- termination (mechanisms.termination) --
    termination.check_termination_kernel(model, st, work, n, run, week, key)


@dataclass(frozen=True)
class StreamLayout:
    """Rows of each week's uniforms: each mechanism's, by key, in the order of :data:`MECHANISMS`.

    Row ``rows[key].start + k`` of week ``w`` is the mechanism's k-th uniform
    (its k-th policy, actor or red line, or its k-th draw).
    """

    rows: dict[str, slice]
    size: int

    @classmethod
    def of(cls, compiled: ScenarioArrays) -> StreamLayout:
        """The layout of ``compiled``'s weekly uniforms."""
        sizes = [mechanism.uniforms(compiled) for mechanism in MECHANISMS]
        edges = np.cumsum([0, *sizes])
        rows = {mechanism.key: slice(int(start), int(stop)) for mechanism, (start, stop)
                in zip(MECHANISMS, itertools.pairwise(edges), strict=True)}
        return cls(rows=rows, size=int(edges[-1]))


def kernel_caches() -> list[tuple[int, int]]:
    """Every compiled step's caches: each one's bit and the changes that make it stale."""
    return [cache for mechanism in MECHANISMS for cache in mechanism.caches.values()]


def _names(fields: tuple[str, ...]) -> str:
    return ", ".join(f"`{name}`" for name in fields)


def _changes(bits: int) -> str:
    return ", ".join(name for name, bit in CHANGES.items() if bits & bit)


def mechanism_table() -> str:
    """The table of mechanisms in docs/model.md (Markdown), from :data:`MECHANISMS`."""
    lines = [
        "| | mechanism | module | what it does | reads | writes | random numbers a week "
        "| its compiled step keeps (stale when ... changes) | sources |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    for order, mechanism in enumerate(MECHANISMS, start=1):
        module = mechanism.module.rsplit(".", 1)[-1]
        caches = "; ".join(f"{name} ({_changes(bits)})"
                           for name, (_, bits) in mechanism.caches.items()) or "nothing"
        sources = ", ".join(mechanism.sources) or "the model's own accounting"
        lines.append(
            f"| {order} | {mechanism.name} | `{module}.py` | {mechanism.summary} "
            f"| {_names(mechanism.reads)} | {_names(mechanism.writes)} | {mechanism.draws} "
            f"| {caches} | {sources} |")
    return "\n".join(lines) + "\n"


if __name__ == "__main__":  # pragma: no cover
    print(mechanism_table(), end="")
