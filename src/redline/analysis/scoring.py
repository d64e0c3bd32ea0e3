"""Scoring probability forecasts against what happened.

For forecasts p_i of binary events with outcomes o_i in {0, 1}:

* the Brier score (Brier 1950), mean (p_i - o_i)^2: 0 is perfect, 0.25 is
  what always saying 0.5 earns; lower is better;
* the logarithmic score (Good 1952), mean log(p_i if o_i else 1 - p_i), with
  p clipped to [1e-4, 1 - 1e-4] so that one confident miss is costly but
  finite; higher (closer to 0) is better;
* a calibration table (reliability diagram; Murphy & Winkler 1977): forecasts
  grouped into bins, each bin's mean forecast beside its observed frequency.

For forecasts of K ordered categories (probability vectors p_i, observed
category k_i):

* the ranked probability score (Epstein 1969), mean over forecasts of
  sum_{j<K} (P_ij - O_ij)^2 / (K - 1), with P and O the cumulative forecast
  and outcome: 0 is perfect, 1 the worst; lower is better. It rewards
  forecasts that put probability near the observed category;
* the categorical log score, mean log p_i[k_i] (clipped as above); higher
  (closer to 0) is better.

Both scores are strictly proper: a forecaster minimises its expected Brier
score (maximises its expected log score) by stating its true belief
(Gneiting & Raftery 2007). Baselines: always 0.5, and each question's own
base rate where the scenario gives one.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

#: Forecasts are clipped to [EPSILON, 1 - EPSILON] in the log score.
EPSILON = 1e-4
#: Edges of the calibration bins.
BIN_EDGES = (0.0, 0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9, 1.0)


def brier_score(forecasts: Sequence[float], outcomes: Sequence[bool]) -> float:
    """Mean squared difference between forecast and outcome (Brier 1950).

    >>> brier_score([0.9, 0.2], [True, False])
    0.025
    """
    p = np.asarray(forecasts, dtype=np.float64)
    o = np.asarray(outcomes, dtype=np.float64)
    return float(np.mean(np.square(p - o))) if p.size else math.nan


def log_score(forecasts: Sequence[float], outcomes: Sequence[bool]) -> float:
    """Mean log probability given to what happened (Good 1952); 0 is perfect.

    >>> round(log_score([0.5, 0.5], [True, False]), 6)
    -0.693147
    """
    p = np.clip(np.asarray(forecasts, dtype=np.float64), EPSILON, 1.0 - EPSILON)
    o = np.asarray(outcomes, dtype=bool)
    return float(np.mean(np.log(np.where(o, p, 1.0 - p)))) if p.size else math.nan


def ranked_probability_score(forecasts: Any, observed: Sequence[int]) -> float:
    """Mean ranked probability score of ordered-category forecasts (Epstein 1969).

    ``forecasts`` is (n, K), each row summing to one; ``observed`` the index
    (0..K-1) of each observed category. Normalised by K - 1, so 0 is perfect
    and 1 the worst.

    >>> ranked_probability_score([[1.0, 0.0, 0.0]], [2])
    1.0
    >>> ranked_probability_score([[0.5, 0.5, 0.0]], [1])
    0.125
    """
    p = np.atleast_2d(np.asarray(forecasts, dtype=np.float64))
    k = np.asarray(observed, dtype=np.int64)
    if p.shape[0] == 0:
        return math.nan
    categories = p.shape[1]
    cumulative = np.cumsum(p, axis=1)[:, :-1]
    outcome = (np.arange(categories - 1)[None, :] >= k[:, None]).astype(np.float64)
    return float(np.mean(np.sum(np.square(cumulative - outcome), axis=1) / (categories - 1)))


def categorical_log_score(forecasts: Any, observed: Sequence[int]) -> float:
    """Mean log probability given to the observed category; 0 is perfect.

    >>> round(categorical_log_score([[0.25, 0.75]], [1]), 6)
    -0.287682
    """
    p = np.atleast_2d(np.asarray(forecasts, dtype=np.float64))
    k = np.asarray(observed, dtype=np.int64)
    if p.shape[0] == 0:
        return math.nan
    chosen = np.clip(p[np.arange(p.shape[0]), k], EPSILON, 1.0)
    return float(np.mean(np.log(chosen)))


@dataclass(frozen=True)
class CalibrationBin:
    """One bin of a reliability diagram."""

    low: float
    high: float
    count: int
    mean_forecast: float
    observed_frequency: float


def calibration_table(forecasts: Sequence[float], outcomes: Sequence[bool],
                      edges: Sequence[float] = BIN_EDGES) -> list[CalibrationBin]:
    """Forecasts grouped by bin: count, mean forecast, observed frequency (empty bins omitted)."""
    p = np.asarray(forecasts, dtype=np.float64)
    o = np.asarray(outcomes, dtype=np.float64)
    index = np.clip(np.searchsorted(edges, p, side="right") - 1, 0, len(edges) - 2)
    table = []
    for b in range(len(edges) - 1):
        members = index == b
        if members.any():
            table.append(CalibrationBin(edges[b], edges[b + 1], int(members.sum()),
                                        float(p[members].mean()), float(o[members].mean())))
    return table


@dataclass
class ScoreCard:
    """Scores of a set of forecasts, and of the baselines on the same questions."""

    questions: list[dict[str, Any]]
    brier: float
    log: float
    calibration: list[CalibrationBin]
    baselines: dict[str, dict[str, float]] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form (``brier`` and ``log`` at the top level)."""
        return {
            "n": len(self.questions),
            "brier": self.brier,
            "log": self.log,
            "questions": self.questions,
            "calibration": [vars(b) for b in self.calibration],
            "baselines": self.baselines,
        }


def score(forecasts: dict[str, float], outcomes: dict[str, bool],
          base_rates: dict[str, float | None]) -> ScoreCard:
    """Score ``forecasts`` (question -> p) against ``outcomes`` (question -> happened).

    Baselines: ``always_0.5`` on every question; ``base_rate`` on the questions
    that have one (its own ``n``), with the model scored on the same subset
    for a fair comparison.
    """
    ids = [qid for qid in forecasts if qid in outcomes]
    p = [forecasts[qid] for qid in ids]
    o = [outcomes[qid] for qid in ids]
    rows = [{"question": qid, "forecast": forecasts[qid], "outcome": outcomes[qid],
             "brier": (forecasts[qid] - outcomes[qid]) ** 2} for qid in ids]
    baselines = {"always_0.5": {"n": len(ids), "brier": brier_score([0.5] * len(ids), o),
                                "log": log_score([0.5] * len(ids), o)}}
    rated = [qid for qid in ids if base_rates.get(qid) is not None]
    if rated:
        rates = [float(base_rates[qid]) for qid in rated]  # type: ignore[arg-type]
        outcomes_rated = [outcomes[qid] for qid in rated]
        ours_rated = [forecasts[qid] for qid in rated]
        baselines["base_rate"] = {
            "n": len(rated), "brier": brier_score(rates, outcomes_rated),
            "log": log_score(rates, outcomes_rated),
            "model_brier_same_questions": brier_score(ours_rated, outcomes_rated),
            "model_log_same_questions": log_score(ours_rated, outcomes_rated),
        }
    return ScoreCard(questions=rows, brier=brier_score(p, o), log=log_score(p, o),
                     calibration=calibration_table(p, o), baselines=baselines)
