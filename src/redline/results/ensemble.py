"""Ensemble results: probabilities with intervals, ladder reach and trajectories.

The engine aggregates each chunk of runs into sums as it finishes (outcome
counts, first-hit weeks of questions, per-week sums of the main state), so
memory is bounded by the chunk, not the run count. This module turns those
sums into probabilities with 95% Wilson score intervals (Wilson 1927), the
standard interval for a binomial proportion that stays inside [0, 1] and
behaves at p near 0 or 1, where crisis probabilities often live.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd
from numpy.typing import NDArray

from redline.scenario.models import OUTCOMES, Scenario

Z_95 = 1.959963984540054


@dataclass(frozen=True)
class Estimate:
    """A probability estimated from ``count`` successes in ``runs`` runs."""

    p: float
    lo: float
    hi: float
    count: int
    runs: int

    @classmethod
    def from_count(cls, count: int, runs: int) -> Estimate:
        """Estimate with a 95% Wilson score interval."""
        lo, hi = wilson_interval(count, runs)
        return cls(p=count / runs if runs else float("nan"), lo=lo, hi=hi, count=int(count),
                   runs=int(runs))

    def to_dict(self) -> dict[str, float]:
        """JSON-ready ``{"p", "lo", "hi"}`` (plus the count)."""
        return {"p": self.p, "lo": self.lo, "hi": self.hi, "count": self.count}


def wilson_interval(count: int, runs: int, z: float = Z_95) -> tuple[float, float]:
    """Wilson score interval for a binomial proportion (Wilson 1927).

    >>> lo, hi = wilson_interval(50, 100)
    >>> round(lo, 4), round(hi, 4)
    (0.4038, 0.5962)
    """
    if runs <= 0:
        return float("nan"), float("nan")
    p = count / runs
    denominator = 1.0 + z * z / runs
    centre = (p + z * z / (2 * runs)) / denominator
    half = z * math.sqrt(p * (1 - p) / runs + z * z / (4 * runs * runs)) / denominator
    low = 0.0 if count <= 0 else max(0.0, min(p, centre - half))
    high = 1.0 if count >= runs else min(1.0, max(p, centre + half))
    return low, high


@dataclass
class EnsembleResult:
    """What an ensemble of runs of a scenario produced.

    Attributes
    ----------
    scenario : the validated scenario that was run.
    runs, seed, horizon, chunk_size : how it was run.
    outcomes : outcome name -> Estimate (mutually exclusive; they sum to one).
    questions : question id -> Estimate of the event by its deadline week.
    question_weeks : question id -> array (horizon + 1,) of cumulative
        P(event by week w), w = 0..horizon.
    outcome_weeks : outcome name -> array (horizon + 1,) of cumulative P(outcome by week w)
        (for settlement: a deal struck at some point by week w).
    ladder_reached : actor -> rung -> Estimate that the actor's highest posture
        reached at least that rung (rungs above the actor's starting posture,
        among those it may use).
    trajectories : name -> array (horizon + 1, k) of per-week means over runs
        (week 0 is the start). Names: ``posture`` (severity of each actor's
        current rung), ``max_posture`` (severity of highest rung so far),
        ``control`` (per front), ``knowledge_low`` and ``knowledge_high``
        (public interval [L, U) per red line; U may be infinite and is then
        capped at the ladder's top severity), ``trust`` (per ordered pair of
        side leaders), ``stability`` (per actor), ``win_probability`` (side 0's
        chance to prevail), ``status`` (shares fighting, settled, ended),
        ``ever_settled`` (share that struck a deal by week w).
    labels : name -> list of column labels of each trajectory.
    observations : observation id -> Estimate that its event happens by its week
        (what the simulation says a true source would report).
    per_run : per-run records when ``simulate(..., keep_runs=True)``.
    distributions : ``max_posture``: array (horizon + 1, actors, rungs) of
        P(an actor's highest rung so far is r at week w), for fan charts.
    terms : side 0's share in the deals in force at the horizon: ``count``
        (runs), ``mean`` and ``sd`` (NaN when no deal holds).

    """

    scenario: Scenario
    runs: int
    seed: int
    horizon: int
    chunk_size: int
    outcomes: dict[str, Estimate]
    questions: dict[str, Estimate]
    question_weeks: dict[str, NDArray[np.float64]]
    outcome_weeks: dict[str, NDArray[np.float64]]
    ladder_reached: dict[str, dict[str, Estimate]]
    trajectories: dict[str, NDArray[np.float64]]
    labels: dict[str, list[str]]
    elapsed_seconds: float = 0.0
    terms: dict[str, float] = field(default_factory=dict)
    observations: dict[str, Estimate] = field(default_factory=dict)
    distributions: dict[str, NDArray[np.float64]] = field(default_factory=dict)
    per_run: dict[str, NDArray[np.int64]] = field(default_factory=dict)
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def scenario_name(self) -> str:
        """The scenario's name."""
        return self.scenario.name

    def to_dict(self) -> dict[str, Any]:
        """The JSON object of ``redline run --json``."""
        return {
            "scenario": self.scenario.name,
            "runs": self.runs,
            "seed": self.seed,
            "horizon_weeks": self.horizon,
            "start": self.scenario.start.isoformat(),
            "outcomes": {name: self.outcomes[name].to_dict() for name in OUTCOMES},
            "questions": {
                qid: {**est.to_dict(), "by_week": by_week}
                for (qid, est), by_week in zip(
                    self.questions.items(),
                    [q.by_week for q in self.scenario.questions],
                    strict=True,
                )
            },
            "settlement_terms": {key: (None if isinstance(value, float) and math.isnan(value)
                                       else value) for key, value in self.terms.items()},
            "ladder_reached": {
                actor: {rung: est.p for rung, est in rungs.items()}
                for actor, rungs in self.ladder_reached.items()
            },
        }

    def to_frame(self) -> pd.DataFrame:
        """Tidy per-week trajectories: columns week, date, variable, entity, mean."""
        rows: list[pd.DataFrame] = []
        start = pd.Timestamp(self.scenario.start)
        for name, values in self.trajectories.items():
            weeks = np.arange(values.shape[0])
            for column, label in enumerate(self.labels[name]):
                rows.append(
                    pd.DataFrame(
                        {
                            "week": weeks,
                            "date": start + pd.to_timedelta(7 * weeks, unit="D"),
                            "variable": name,
                            "entity": label,
                            "mean": values[:, column],
                        }
                    )
                )
        for qid, curve in self.question_weeks.items():
            weeks = np.arange(curve.shape[0])
            rows.append(
                pd.DataFrame(
                    {
                        "week": weeks,
                        "date": start + pd.to_timedelta(7 * weeks, unit="D"),
                        "variable": "question",
                        "entity": qid,
                        "mean": curve,
                    }
                )
            )
        return pd.concat(rows, ignore_index=True)
