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
* the compiled kernel's constants (``row_<key>``), the table of its caches,
  and its block function, whose calls the tests check against this order
  (Numba cannot loop over functions, so that sequence is written out);
* the tests' parametrisation over mechanisms (tests/test_mechanisms.py);
* the table of mechanisms in docs/model.md (:func:`mechanism_table`;
  ``python -m redline.mechanisms.registry`` prints it, and a test checks that
  the page holds the current one).

Adding a mechanism is one module (equations in its docstring, both steps, its
declaration), one entry here, and its call in the kernel's block function.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass

import numpy as np

from redline.arrays.scenario_arrays import ScenarioArrays
from redline.mechanisms import (
    bargaining,
    decisions,
    fronts,
    policies,
    power,
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
    trust.MECHANISM,
    termination.MECHANISM,
)


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
