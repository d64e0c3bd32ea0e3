"""The backtest's cases: what was known at each start, and what happened.

A crisis case (system level) pairs the crisis's start (its first crisis
actor's coded start, :func:`redline.history.mapping.crisis_start`) with its
violence (ICB1 ``viol``) and whether it ended in an agreement (ICB1
``forout`` formal or semi-formal). An actor case pairs each crisis actor's
own start with what it did and how its crisis ended, each in the classes of
:mod:`redline.history.targets`: its outcome (ICB2 ``outcom`` 1-4; "other" is
missing), the severity of its major response (``majres``), the days to that
response (``trgresra``) and the days to the end of its crisis (``trgterra``).
A missing or uncodable value is None and that case is left out of that
target only. Cases are split by the year the international crisis was
triggered.
"""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd

from redline.history.icb import ICBData
from redline.history.mapping import CrisisStart, actor_starts
from redline.history.targets import (
    DURATION_DAYS,
    TIMING_DAYS,
    days_class,
    majres_class,
    sevvio_class,
)

#: ICB1 FOROUT codes that count as an agreement (formal, semi-formal).
AGREEMENT_CODES = (1, 2)


@dataclass(frozen=True)
class CrisisCase:
    """One international crisis: its start and what happened."""

    crisno: int
    name: str
    year: int
    start: CrisisStart
    violence: int
    agreement: bool


@dataclass(frozen=True)
class ActorCase:
    """One crisis actor: its own start and what happened (classes of ``targets``; None: missing).

    ``outcome``: 0 victory ... 3 defeat; ``majres``: 0 non-military, 1
    non-violent military, 2 violent; ``actor_violence``: 0 none ... 3
    full-scale war; ``timing`` and ``duration``: day bins.
    """

    crisno: int
    year: int
    start: CrisisStart
    outcome: int | None
    majres: int | None = None
    actor_violence: int | None = None
    timing: int | None = None
    duration: int | None = None

    def observed(self, target: str) -> int | None:
        """The observed class of an actor target (``targets.ACTOR_TARGETS``)."""
        value: int | None = getattr(self, target)
        return value


@dataclass(frozen=True)
class Cases:
    """Every usable crisis and actor case of a data set."""

    crises: list[CrisisCase]
    actors: list[ActorCase]

    def split(self, test_from: int) -> tuple[Cases, Cases]:
        """(training, test): crises triggered before ``test_from``, and from it on."""
        return (Cases([c for c in self.crises if c.year < test_from],
                      [a for a in self.actors if a.year < test_from]),
                Cases([c for c in self.crises if c.year >= test_from],
                      [a for a in self.actors if a.year >= test_from]))


def build_cases(data: ICBData) -> Cases:
    """Crisis and actor cases of every crisis with at least one crisis actor."""
    crises, actors = [], []
    for _, row in data.crises.iterrows():
        crisno = int(row["crisno"])
        starts = actor_starts(data, crisno)
        if not starts:
            continue
        year = int(row["yrtrig"])
        first = min(starts, key=lambda s: (s.year, s.month or 0, s.day or 0))
        violence = int(row["viol"])
        if 1 <= violence <= 4:
            crises.append(CrisisCase(crisno=crisno, name=str(row["crisname"]), year=year,
                                     start=first, violence=violence - 1,
                                     agreement=int(row["forout"]) in AGREEMENT_CODES))
        rows = data.actors[data.actors["crisno"] == crisno]
        for start, (_, row) in zip(starts, rows.iterrows(), strict=True):
            outcome = _code(row["outcom"])
            actors.append(ActorCase(
                crisno=crisno, year=year, start=start,
                outcome=outcome - 1 if outcome is not None and 1 <= outcome <= 4 else None,
                majres=majres_class(_code(row["majres"])),
                actor_violence=sevvio_class(_code(row["sevvio"])),
                timing=days_class(_code(row["trgresra"]), TIMING_DAYS),
                duration=days_class(_code(row["trgterra"]), DURATION_DAYS)))
    return Cases(crises=crises, actors=actors)


def _code(value: object) -> int | None:
    """A whole-number code, or None when it is missing."""
    if value is None or value is pd.NA or value != value:
        return None
    return int(value)  # type: ignore[call-overload]
