"""What changed in a run's week, and what the compiled steps keep until it changes.

The compiled steps of the mechanisms (each module's ``*_kernel`` functions,
run in order by :mod:`redline.engine.kernel`) simulate one run at a time and
keep, for that run, values that change only when a part of the state does:
each actor's weight in its side's power, the red-line risk of each rung, the
leaders' trust... Recomputing them every week was a large share of the
kernel (docs/performance.md, steps 7, 9 and 11). Three things make that safe:

* a step that changes a part of the state *notes* it (:func:`note`), as one
  of the change bits below;
* each cache is declared by the mechanism that keeps it (its module's
  ``KERNEL_CACHES``: the cache's bit and the changes that make it stale),
  and the registry (:mod:`redline.mechanisms.registry`) turns those
  declarations into a table, for each change, of the caches it makes stale;
* a step that reads a cache computes it again when it is stale
  (:func:`is_stale`, :func:`refreshed`).

The condition programs of policies and events (:mod:`redline.mechanisms.programs`)
declare what they read with the same bits, and are evaluated again only when
something they read has changed since their list was last evaluated (the
``UNSEEN_BY_*`` marks). None of this changes a result: a cache holds what it
would compute again, and the tests compare every run with the reference
engine, which keeps nothing.

The marks of the run being simulated are one small int64 array per block of
runs (:func:`new_marks`), indexed by :data:`STALE` and the ``UNSEEN_BY_*``
constants; the table of what each change makes stale follows them.
"""

from __future__ import annotations

from collections.abc import Iterable

import numpy as np
from numba import njit
from numpy.typing import NDArray

#: What changed (bits). The first eight are also what a condition reads
#: (``programs.READS_*``); EVERY_WEEK stands for what moves every week of a
#: going run (control, stability, the week itself) and is never noted.
POSTURE = 1  # posture, max_posture
GRANTS = 2  # grants
DEPLOYMENTS = 4  # deployment_active, deployment_since, deployment_in_combat
FRONTS = 8  # front_open
POLICIES = 16  # policy_fired
RED_LINES = 32  # tested, low, high, crossed, enforced, pledge_broken
OUTCOME = 64  # settled, settled_ever, broken_ever, terms, terminal, end_week, regime_actor
EVERY_WEEK = 128  # control, stability, the week
SUPPORT = 256  # support
DEALS_BROKEN = 512  # deals_broken
#: Every change a condition can read, and every change.
READ_BY_CONDITIONS = 255
ALL = 1023
#: The change bits by name (for the docs and the tests).
CHANGES = {"posture": POSTURE, "grants": GRANTS, "deployments": DEPLOYMENTS,
           "fronts": FRONTS, "policies": POLICIES, "red_lines": RED_LINES,
           "outcome": OUTCOME, "every_week": EVERY_WEEK, "support": SUPPORT,
           "deals_broken": DEALS_BROKEN}
CHANGE_BITS = 10

#: The marks of a run: the caches (their bits) to compute again, and the
#: changes not yet seen by the open policies, the open events and the
#: recorded trajectories; then, from ``_STALE_ON``, one entry per change bit.
STALE = 0
UNSEEN_BY_POLICIES = 1
UNSEEN_BY_EVENTS = 2
UNSEEN_BY_RECORDS = 3
_STALE_ON = 4


def stale_on_table(caches: Iterable[tuple[int, int]]) -> NDArray[np.int64]:
    """For each change bit, the caches it makes stale (bits).

    ``caches`` holds each cache's bit and the changes that make it stale.
    """
    table = np.zeros(CHANGE_BITS, dtype=np.int64)
    for cache, changes in caches:
        for bit in range(CHANGE_BITS):
            if changes >> bit & 1:
                table[bit] |= cache
    return table


@njit(cache=True)
def new_marks(stale_on):  # pragma: no cover
    """The marks of a block's runs, with the table ``stale_on`` (:func:`stale_on_table`)."""
    marks = np.zeros(_STALE_ON + CHANGE_BITS, dtype=np.int64)
    marks[_STALE_ON:] = stale_on
    return marks


@njit(inline="always")
def start_run(marks):  # pragma: no cover
    """A new run: every cache is stale, and every list has every change to see."""
    marks[STALE] = -1
    marks[UNSEEN_BY_POLICIES] = ALL
    marks[UNSEEN_BY_EVENTS] = ALL
    marks[UNSEEN_BY_RECORDS] = ALL


@njit(inline="always")
def note(marks, changes):  # pragma: no cover
    """Note ``changes`` (bits): the lists and the records will see them, their caches go stale."""
    seen = changes & READ_BY_CONDITIONS
    marks[UNSEEN_BY_POLICIES] |= seen
    marks[UNSEEN_BY_EVENTS] |= seen
    marks[UNSEEN_BY_RECORDS] |= seen
    for bit in range(CHANGE_BITS):
        if changes >> bit & 1:
            marks[STALE] |= marks[_STALE_ON + bit]


@njit(inline="always")
def is_stale(marks, cache):  # pragma: no cover
    """Whether ``cache`` (its bit) must be computed again."""
    return marks[STALE] & cache != 0


@njit(inline="always")
def refreshed(marks, cache):  # pragma: no cover
    """Mark ``cache`` (its bit) as computed from the current state."""
    marks[STALE] &= ~cache
