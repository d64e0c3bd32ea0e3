"""The backtest's targets: their classes, and how ICB codes and simulated runs fall into them.

Each target is ordered (scored by the ranked probability score) except
agreement (Brier). The same classes are read off the ICB codes of what
happened and off the simulated runs of a generated scenario, so this module
is the one place where both meet:

- ``violence`` (crisis, ICB1 ``VIOL`` 1-4): none, minor clashes, serious
  clashes, full-scale war; simulated: the highest class whose rung either
  actor reached.
- ``outcome`` (crisis actor, ICB2 ``OUTCOM`` 1-4): victory, compromise,
  stalemate, defeat (:mod:`redline.history.forecast` reads it off the runs).
- ``agreement`` (crisis, ICB1 ``FOROUT`` formal or semi-formal): no, yes.
- ``majres`` (crisis actor, ICB2 ``MAJRES``): the severity of its major
  response to the trigger in three ordered classes, non-military (1-5: no
  response, verbal, political, economic, other non-violent act), non-violent
  military (6-7) and violent (8-9); simulated: the highest rung the crisis
  actor reached by the horizon (below ``show_of_force``, ``show_of_force``,
  ``clashes`` or above).
- ``actor_violence`` (crisis actor, ICB2 ``SEVVIO`` 1-4): the intensity of
  the violence the actor itself employed, in the classes of ``violence``;
  simulated: the highest class whose rung the crisis actor reached.
- ``timing`` (crisis actor, ICB2 ``TRGRESRA``, days from the trigger to the
  major response, the trigger day counted as day 1): at most 7, 8-30, 31-90,
  over 90 days; simulated: the week the crisis actor first reached the rung
  that defines its simulated major response (week w is day 7w), a run without
  a response falling in the last class.
- ``duration`` (crisis actor, ICB2 ``TRGTERRA``, days from the trigger to the
  end of its crisis): at most 30, 31-91, 92-182, over 182 days; simulated: the
  week the run ended (a deal, a collapse or another terminal outcome) or the
  adversary backed down below the rung it started on, whichever came first;
  a run still open at the 26-week horizon (182 days) is in the last class.

The bins of ``timing`` are those the issue that introduced them named; the
bins of ``duration`` are cut at whole weeks of the generic scenario's horizon
(4.3, 13 and 26 weeks), so the last class is exactly "still open at the
horizon". Both are documented in docs/history.md.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import NDArray

#: Class labels of every target, in order.
LABELS: dict[str, tuple[str, ...]] = {
    "violence": ("none", "minor clashes", "serious clashes", "full-scale war"),
    "outcome": ("victory", "compromise", "stalemate", "defeat"),
    "agreement": ("no", "yes"),
    "majres": ("non-military", "non-violent military", "violent"),
    "actor_violence": ("none", "minor clashes", "serious clashes", "full-scale war"),
    "timing": ("<= 7 days", "8-30 days", "31-90 days", "> 90 days"),
    "duration": ("<= 30 days", "31-91 days", "92-182 days", "> 182 days"),
}
#: Number of classes of every target.
CLASSES: dict[str, int] = {name: len(labels) for name, labels in LABELS.items()}
#: Targets scored by the Brier score (all others: ranked probability score).
BINARY = frozenset({"agreement"})
#: Targets of each crisis actor (the others are of the whole crisis).
ACTOR_TARGETS = ("outcome", "majres", "actor_violence", "timing", "duration")
#: Upper edges (days, inclusive) of all but the last class.
TIMING_DAYS = (7, 30, 90)
DURATION_DAYS = (30, 91, 182)
#: ICB2 MAJRES codes -> class (1-5 non-military, 6-7 non-violent military, 8-9 violent).
MAJRES_CLASS = {1: 0, 2: 0, 3: 0, 4: 0, 5: 0, 6: 1, 7: 1, 8: 2, 9: 2}
#: ICB2 SEVVIO codes -> class (1 no violence ... 4 full-scale war).
SEVVIO_CLASS = {1: 0, 2: 1, 3: 2, 4: 3}
#: Days in a simulated week.
DAYS_PER_WEEK = 7
#: Weeks are clipped here before they become days (``NEVER`` would overflow).
NEVER_DAYS = 10**9


def majres_class(code: int | None) -> int | None:
    """The class of an ICB2 MAJRES code (None: missing or not a response code)."""
    return None if code is None else MAJRES_CLASS.get(int(code))


def sevvio_class(code: int | None) -> int | None:
    """The class of an ICB2 SEVVIO code (None: missing or not a code)."""
    return None if code is None else SEVVIO_CLASS.get(int(code))


def days_class(days: int | None, edges: tuple[int, ...]) -> int | None:
    """The class of a number of days among bins with inclusive upper ``edges``.

    Negative or missing day counts (ICB codes missing values as blanks or
    negative numbers) are None.
    """
    if days is None or days < 1:
        return None
    return int(np.searchsorted(np.asarray(edges), days, side="left"))


def weeks_class(weeks: NDArray[np.int64], edges: tuple[int, ...]) -> NDArray[np.int64]:
    """Class of each simulated week (day ``7 w``) among bins with upper ``edges`` in days.

    A week beyond every edge (including "never", a large sentinel) is in the last class.
    """
    days = np.minimum(np.asarray(weeks, dtype=np.int64), NEVER_DAYS) * DAYS_PER_WEEK
    return np.searchsorted(np.asarray(edges), days, side="left").astype(np.int64)
