"""The out-of-sample backtest: calibrate on earlier crises, forecast later ones from their start.

Crises triggered before ``test_from`` train; those triggered from it on are
forecast from their coded start only and scored:

- crisis violence (ICB1 ``viol``, 4 ordered classes): ranked probability
  score and log score;
- each crisis actor's outcome (ICB2 ``outcom``: victory, compromise,
  stalemate, defeat): ranked probability score and log score;
- agreement (ICB1 ``forout`` formal or semi-formal): Brier score and log score;

for redline (the calibrated mapping, simulated), climatology and a
multinomial logistic regression fitted on the same training crises
(:mod:`redline.history.baselines`). Lower RPS and Brier are better; the log
score is the mean log probability of what happened (0 is perfect, higher is
better).
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from numpy.typing import NDArray

from redline.analysis.scoring import (
    brier_score,
    calibration_table,
    categorical_log_score,
    log_score,
    ranked_probability_score,
)
from redline.history.baselines import LogisticBaseline, climatology
from redline.history.calibration import (
    HESSIAN_EVALUATIONS,
    TARGETS,
    Calibration,
    Objective,
    calibrate,
    class_probabilities,
)
from redline.history.cases import Cases, build_cases
from redline.history.forecast import OUTCOME, VIOLENCE, smooth
from redline.history.icb import ICBData
from redline.history.mapping import CrisisStart, crisis_type

#: Default first year of the test set.
TEST_FROM = 1990
#: Models compared.
MODELS = ("redline", "climatology", "logistic")


@dataclass
class TargetResult:
    """Forecasts and scores of one target on the test cases."""

    name: str
    labels: tuple[str, ...]
    cases: list[str]
    observed: NDArray[np.int64]
    forecasts: dict[str, NDArray[np.float64]]
    train_n: int

    def scores(self, model: str) -> dict[str, float]:
        """``rps`` (ordered targets) or ``brier`` (agreement), and ``log``."""
        p = self.forecasts[model]
        if self.name == "agreement":
            happened = (self.observed == 1).tolist()
            return {"brier": brier_score(p[:, 1].tolist(), happened),
                    "log": log_score(p[:, 1].tolist(), happened)}
        return {"rps": ranked_probability_score(p, self.observed.tolist()),
                "log": categorical_log_score(p, self.observed.tolist())}

    def case_scores(self, model: str) -> dict[str, NDArray[np.float64]]:
        """Each test case's score (same keys as :meth:`scores`, whose means they are)."""
        p = self.forecasts[model]
        rows = range(len(self.observed))
        if self.name == "agreement":
            happened = self.observed == 1
            return {"brier": np.square(p[:, 1] - happened),
                    "log": np.array([log_score([p[i, 1]], [bool(happened[i])]) for i in rows])}
        return {"rps": np.array([ranked_probability_score(p[i:i + 1], [int(self.observed[i])])
                                 for i in rows]),
                "log": np.array([categorical_log_score(p[i:i + 1], [int(self.observed[i])])
                                 for i in rows])}

    def differences(self, baseline: str) -> dict[str, dict[str, float]]:
        """The score of redline minus ``baseline``: mean paired difference and its standard error.

        Paired over the test cases (actor cases of one crisis are not independent, so
        for outcomes the standard error is somewhat optimistic).
        """
        ours, theirs = self.case_scores("redline"), self.case_scores(baseline)
        result = {}
        for key in ours:
            diff = ours[key] - theirs[key]
            se = float(diff.std(ddof=1) / np.sqrt(len(diff))) if len(diff) > 1 else math.nan
            result[key] = {"difference": float(diff.mean()), "se": se}
        return result

    def reliability(self, model: str = "redline") -> list[dict[str, Any]]:
        """Reliability diagram: every class forecast one-vs-rest, binned."""
        p = self.forecasts[model]
        if self.name == "agreement":
            table = calibration_table(p[:, 1].tolist(), (self.observed == 1).tolist())
        else:
            hits = np.eye(p.shape[1], dtype=bool)[self.observed]
            table = calibration_table(p.ravel().tolist(), hits.ravel().tolist())
        return [b.__dict__ for b in table]

    def worst(self, model: str = "redline", count: int = 5) -> list[dict[str, Any]]:
        """The test cases given the least probability for what happened."""
        p = self.forecasts[model][np.arange(len(self.observed)), self.observed]
        order = np.argsort(p, kind="stable")[:count]
        return [{"case": self.cases[i], "observed": self.labels[self.observed[i]],
                 "probability": float(p[i]),
                 "forecast": dict(zip(self.labels, map(float, self.forecasts[model][i]),
                                      strict=True))} for i in order]


@dataclass
class BacktestResult:
    """Everything the backtest computed."""

    test_from: int
    train_n: int
    test_n: int
    calibration: Calibration
    targets: dict[str, TargetResult] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        """The JSON of ``redline backtest --json``."""
        return {
            "train_n": self.train_n, "test_n": self.test_n, "test_from": self.test_from,
            "targets": {name: {"n": len(t.observed), "train_n": t.train_n,
                               **{model: t.scores(model) for model in MODELS},
                               "redline_minus": {b: t.differences(b) for b in MODELS[1:]}}
                        for name, t in self.targets.items()},
            "calibration": self.calibration.to_dict(),
            "reliability": {name: t.reliability() for name, t in self.targets.items()},
            "worst": {name: t.worst() for name, t in self.targets.items()
                      if name != "agreement"},
        }


def _label(start: CrisisStart, actor: bool) -> str:
    who = f", {start.actor}" if actor else ""
    return f"{start.crisno} {start.name.title()} ({start.year}{who})"


def run_backtest(data: ICBData, test_from: int = TEST_FROM, runs: int = 200, seed: int = 0,
                 max_evaluations: int = 40, intervals: bool = True,
                 progress: Callable[[int, int], None] | None = None) -> BacktestResult:
    """Calibrate on crises before ``test_from``, forecast and score those from it on.

    ``progress(done, total)`` is called in simulator evaluations.
    Raises ValueError when either period has no crisis.
    """
    cases = build_cases(data)
    train, test = cases.split(test_from)
    if not train.crises or not test.crises:
        years = [c.year for c in cases.crises]
        raise ValueError(f"--test-from {test_from} leaves no "
                         f"{'training' if not train.crises else 'test'} crisis "
                         f"(the data's crises run from {min(years)} to {max(years)})")
    total = max_evaluations + 2 + (HESSIAN_EVALUATIONS if intervals else 0) + 1

    def step(done: int) -> None:
        if progress is not None:
            progress(min(done, total - 1), total)

    fitted = calibrate(train, runs=runs, seed=seed, max_evaluations=max_evaluations,
                       intervals=intervals, progress=step)
    objective = Objective(Cases([], []), runs, seed)
    kinds = sorted({crisis_type(c.start) for c in test.crises}
                   | {crisis_type(a.start) for a in test.actors}, key=repr)
    simulated = objective.forecasts(fitted.params, kinds)
    if progress is not None:
        progress(total, total)
    result = BacktestResult(test_from=test_from, train_n=len(train.crises),
                            test_n=len(test.crises), calibration=fitted)
    rows: dict[str, tuple[Cases, list[CrisisStart], list[int], list[CrisisStart], list[int],
                          list[str]]] = {
        "violence": (train, [c.start for c in train.crises], [c.violence for c in train.crises],
                     [c.start for c in test.crises], [c.violence for c in test.crises],
                     [_label(c.start, False) for c in test.crises]),
        "outcome": (train, [a.start for a in train.actors], [a.outcome for a in train.actors],
                    [a.start for a in test.actors], [a.outcome for a in test.actors],
                    [_label(a.start, True) for a in test.actors]),
        "agreement": (train, [c.start for c in train.crises],
                      [int(c.agreement) for c in train.crises],
                      [c.start for c in test.crises], [int(c.agreement) for c in test.crises],
                      [_label(c.start, False) for c in test.crises]),
    }
    labels = {"violence": VIOLENCE, "outcome": OUTCOME, "agreement": ("no", "yes")}
    for name, (_, train_starts, train_y, test_starts, test_y, names) in rows.items():
        k = TARGETS[name]
        raw = np.array([class_probabilities(name, simulated[crisis_type(s)])
                        for s in test_starts]).reshape(len(test_starts), k)
        rates = climatology(train_y, k)
        ours = smooth(raw, fitted.weights.get(name, 1.0), rates)
        base = np.tile(rates, (len(test_starts), 1))
        logistic = LogisticBaseline(k, seed).fit(train_starts, train_y).predict(test_starts)
        result.targets[name] = TargetResult(
            name=name, labels=labels[name], cases=names,
            observed=np.asarray(test_y, dtype=np.int64),
            forecasts={"redline": ours, "climatology": base, "logistic": logistic},
            train_n=len(train_y))
    return result
