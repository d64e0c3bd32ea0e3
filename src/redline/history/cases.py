"""The backtest's cases: what was known at each start, and what happened.

A crisis case (system level) pairs the crisis's start (its first crisis
actor's coded start, :func:`redline.history.mapping.crisis_start`) with its
violence (ICB1 ``viol``) and whether it ended in an agreement (ICB1
``forout`` formal or semi-formal). An actor case pairs each crisis actor's
own start with its outcome (ICB2 ``outcom`` 1-4; "other" is left out). Cases
are split by the year the international crisis was triggered.
"""

from __future__ import annotations

from dataclasses import dataclass

from redline.history.icb import ICBData
from redline.history.mapping import CrisisStart, actor_starts

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
    """One crisis actor: its own start and its outcome (0 victory ... 3 defeat)."""

    crisno: int
    year: int
    start: CrisisStart
    outcome: int


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
        outcomes = data.actors.loc[data.actors["crisno"] == crisno, "outcom"].tolist()
        for start, outcome in zip(starts, outcomes, strict=True):
            if outcome is not None and not (outcome != outcome) and 1 <= int(outcome) <= 4:
                actors.append(ActorCase(crisno=crisno, year=year, start=start,
                                        outcome=int(outcome) - 1))
    return Cases(crises=crises, actors=actors)
