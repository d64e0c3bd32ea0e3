"""The out-of-sample backtest: calibrate on earlier crises, forecast later ones from their start.

Crises triggered before ``test_from`` train; those triggered from it on are
forecast from their coded start only and scored, on the targets of
:mod:`redline.history.targets`:

- crisis violence (ICB1 ``viol``, 4 ordered classes);
- each crisis actor's outcome (ICB2 ``outcom``: victory, compromise,
  stalemate, defeat), the severity of its major response (``majres``, 3
  ordered classes), the intensity of its own violence (``sevvio``, 4
  ordered classes), the days to its response (``trgresra``, 4 bins) and the days to the
  end of its crisis (``trgterra``, 4 bins);
- agreement (ICB1 ``forout`` formal or semi-formal);

ordered targets by the ranked probability score and the log score, agreement
by the Brier score and the log score. Models compared, all fitted on the
training crises only:

- ``redline``: what redline forecasts by default, the simulator's class
  frequencies at the calibrated parameters post-processed with the start
  variables (model output statistics, :mod:`redline.history.postprocess`);
- ``raw``: the simulator alone (its frequencies with half a run added to each
  class, so that every log score is finite);
- ``climatology`` and ``logistic`` (:mod:`redline.history.baselines`).

Lower RPS and Brier are better; the log score is the mean log probability of
what happened (0 is perfect, higher is better). :func:`run_rolling` repeats
the backtest from several first test years (rolling origin: each split
calibrates on everything triggered before it).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import Executor
from contextlib import contextmanager
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
from redline.history.calibration import Calibration, Objective, calibrate
from redline.history.cases import Cases, build_cases
from redline.history.forecast import type_pool
from redline.history.icb import ICBData
from redline.history.mapping import CrisisStart, CrisisType, crisis_type
from redline.history.posterior import DESIGN_POINTS, MODE_EVALUATIONS, estimate_evaluations
from redline.history.postprocess import OutputStatistics, jeffreys
from redline.history.targets import ACTOR_TARGETS, BINARY, CLASSES, LABELS

#: Default first year of the test set.
TEST_FROM = 1990
#: First test years of the rolling-origin evaluation.
ROLLING = (1970, 1980, 1990)
#: Models compared: redline's default forecast first, then the simulator alone, then the
#: baselines.
MODELS = ("redline", "raw", "climatology", "logistic")
#: Posterior draws whose simulated frequencies are averaged into a forecast (the
#: posterior predictive distribution).
PREDICTIVE_DRAWS = 8
#: Spawn key of the posterior predictive's parameter draws (under the backtest's seed).
PREDICTIVE_SEED = 17
#: Targets, in the order they are reported.
TARGET_ORDER = ("violence", "outcome", "agreement", "majres", "actor_violence", "timing",
                "duration")


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
        if self.name in BINARY:
            happened = (self.observed == 1).tolist()
            return {"brier": brier_score(p[:, 1].tolist(), happened),
                    "log": log_score(p[:, 1].tolist(), happened)}
        return {"rps": ranked_probability_score(p, self.observed.tolist()),
                "log": categorical_log_score(p, self.observed.tolist())}

    def case_scores(self, model: str) -> dict[str, NDArray[np.float64]]:
        """Each test case's score (same keys as :meth:`scores`, whose means they are)."""
        p = self.forecasts[model]
        rows = range(len(self.observed))
        if self.name in BINARY:
            happened = self.observed == 1
            return {"brier": np.square(p[:, 1] - happened),
                    "log": np.array([log_score([p[i, 1]], [bool(happened[i])]) for i in rows])}
        return {"rps": np.array([ranked_probability_score(p[i:i + 1], [int(self.observed[i])])
                                 for i in rows]),
                "log": np.array([categorical_log_score(p[i:i + 1], [int(self.observed[i])])
                                 for i in rows])}

    def differences(self, baseline: str,
                    model: str = "redline") -> dict[str, dict[str, float]]:
        """The score of ``model`` minus ``baseline``: mean paired difference and its standard error.

        Paired over the test cases (actor cases of one crisis are not independent, so
        for actor targets the standard error is somewhat optimistic).
        """
        ours, theirs = self.case_scores(model), self.case_scores(baseline)
        result = {}
        for key in ours:
            diff = ours[key] - theirs[key]
            se = float(diff.std(ddof=1) / np.sqrt(len(diff))) if len(diff) > 1 else math.nan
            result[key] = {"difference": float(diff.mean()), "se": se}
        return result

    def reliability(self, model: str = "redline") -> list[dict[str, Any]]:
        """Reliability diagram: every class forecast one-vs-rest, binned."""
        p = self.forecasts[model]
        if self.name in BINARY:
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
    """Everything one split of the backtest computed."""

    test_from: int
    train_n: int
    test_n: int
    calibration: Calibration
    targets: dict[str, TargetResult] = field(default_factory=dict)
    postprocessing: dict[str, dict[str, Any]] = field(default_factory=dict)

    def target_scores(self) -> dict[str, dict[str, Any]]:
        """Per target: case counts, every model's scores and redline's paired differences."""
        return {name: {"n": len(t.observed), "train_n": t.train_n,
                       **{model: t.scores(model) for model in MODELS},
                       "redline_minus": {b: t.differences(b) for b in MODELS[1:]}}
                for name, t in self.targets.items()}

    def to_dict(self) -> dict[str, Any]:
        """The JSON of ``redline backtest --json``."""
        return {
            "train_n": self.train_n, "test_n": self.test_n, "test_from": self.test_from,
            "targets": self.target_scores(),
            "calibration": self.calibration.to_dict(),
            "postprocessing": self.postprocessing,
            "reliability": {name: t.reliability() for name, t in self.targets.items()},
            "worst": {name: t.worst() for name, t in self.targets.items()
                      if name not in BINARY},
        }


@dataclass
class RollingResult:
    """The backtest from several first test years (rolling origin)."""

    splits: list[BacktestResult]

    def average(self) -> dict[str, dict[str, dict[str, float]]]:
        """Per target and model, each score averaged over the splits (equal weights)."""
        scores = [split.target_scores() for split in self.splits]
        result: dict[str, dict[str, dict[str, float]]] = {}
        for name in scores[0]:
            result[name] = {}
            for model in MODELS:
                keys = scores[0][name][model]
                result[name][model] = {key: float(np.mean([s[name][model][key]
                                                           for s in scores]))
                                       for key in keys}
        return result

    def to_dict(self) -> dict[str, Any]:
        """The JSON of ``redline backtest --rolling --json``."""
        return {"splits": [{"test_from": s.test_from, "train_n": s.train_n,
                            "test_n": s.test_n, "targets": s.target_scores(),
                            "calibration": s.calibration.to_dict(),
                            "postprocessing": s.postprocessing}
                           for s in self.splits],
                "average": self.average()}


def _label(start: CrisisStart, actor: bool) -> str:
    who = f", {start.actor}" if actor else ""
    return f"{start.crisno} {start.name.title()} ({start.year}{who})"


@dataclass
class _Rows:
    """One target's cases in one period: starts, observed classes, labels."""

    starts: list[CrisisStart]
    observed: list[int]
    labels: list[str]


def _rows(cases: Cases, target: str) -> _Rows:
    """Every case of ``cases`` with a known value of ``target`` (crisis or actor cases)."""
    if target in ACTOR_TARGETS:
        known = [(a, a.observed(target)) for a in cases.actors]
        kept = [(a, value) for a, value in known if value is not None]
        return _Rows([a.start for a, _ in kept], [int(v) for _, v in kept],
                     [_label(a.start, True) for a, _ in kept])
    values = [c.violence if target == "violence" else int(c.agreement) for c in cases.crises]
    return _Rows([c.start for c in cases.crises], values,
                 [_label(c.start, False) for c in cases.crises])


def run_backtest(data: ICBData, test_from: int = TEST_FROM, runs: int = 100, seed: int = 0,
                 max_evaluations: int = MODE_EVALUATIONS,
                 progress: Callable[[int, int], None] | None = None,
                 workers: int | None = 1, design_points: int = DESIGN_POINTS) -> BacktestResult:
    """Calibrate on crises before ``test_from``, forecast and score those from it on.

    ``progress(done, total)`` is called in simulator evaluations;
    ``max_evaluations`` and ``design_points`` set the cost of the posterior
    (:func:`redline.history.posterior.estimate`). ``workers``
    processes simulate the crisis types (None: every available core); the
    result does not depend on it. Raises ValueError when either period has no
    crisis.
    """
    with _pool(workers) as executor:
        return _split(data, test_from, runs, seed, (max_evaluations, design_points), progress,
                      executor)


@contextmanager
def _pool(workers: int | None) -> Iterator[Executor | None]:
    if workers == 1:
        yield None
        return
    with type_pool(workers) as executor:
        yield executor


def _split(data: ICBData, test_from: int, runs: int, seed: int, budget: tuple[int, int],
           progress: Callable[[int, int], None] | None,
           executor: Executor | None) -> BacktestResult:
    """One split of the backtest (see :func:`run_backtest`)."""
    cases = build_cases(data)
    train, test = cases.split(test_from)
    if not train.crises or not test.crises:
        years = [c.year for c in cases.crises]
        raise ValueError(f"--test-from {test_from} leaves no "
                         f"{'training' if not train.crises else 'test'} crisis "
                         f"(the data's crises run from {min(years)} to {max(years)})")
    max_evaluations, design_points = budget
    total = evaluations_total(max_evaluations, design_points)

    def step(done: int) -> None:
        if progress is not None:
            progress(min(done, total - 1), total)

    fitted = calibrate(train, runs=runs, seed=seed, max_evaluations=max_evaluations,
                       design_points=design_points, progress=step, executor=executor)
    rows = {name: (_rows(train, name), _rows(test, name)) for name in TARGET_ORDER}
    kinds = sorted({crisis_type(s) for before, after in rows.values()
                    for s in before.starts + after.starts}, key=repr)
    simulated = predictive(fitted, kinds, runs, seed, executor)
    if progress is not None:
        progress(total, total)
    result = BacktestResult(test_from=test_from, train_n=len(train.crises),
                            test_n=len(test.crises), calibration=fitted)

    def frequencies(name: str, starts: Sequence[CrisisStart]) -> NDArray[np.float64]:
        return np.array([simulated[crisis_type(s)][name] for s in starts]
                        ).reshape(len(starts), CLASSES[name])

    for name in TARGET_ORDER:
        before, after = rows[name]
        k = CLASSES[name]
        if not before.observed or not after.observed:
            continue
        post = OutputStatistics(k, seed).fit(frequencies(name, before.starts), runs,
                                             before.starts, before.observed)
        rates = climatology(before.observed, k)
        logistic = LogisticBaseline(k, seed).fit(before.starts, before.observed)
        test_frequencies = frequencies(name, after.starts)
        result.targets[name] = TargetResult(
            name=name, labels=LABELS[name], cases=after.labels,
            observed=np.asarray(after.observed, dtype=np.int64),
            forecasts={"redline": post.predict(test_frequencies, runs, after.starts),
                       "raw": jeffreys(test_frequencies, runs),
                       "climatology": np.tile(rates, (len(after.starts), 1)),
                       "logistic": logistic.predict(after.starts)},
            train_n=len(before.observed))
        result.postprocessing[name] = {
            "simulator_weight": post.simulator_weight,
            "penalty": post.penalty_ if math.isfinite(post.penalty_) else "inf"}
    return result


def evaluations_total(max_evaluations: int, design_points: int = DESIGN_POINTS) -> int:
    """Simulator evaluations one split reports to its progress callback."""
    return estimate_evaluations(max_evaluations, design_points) + 1 + PREDICTIVE_DRAWS


def predictive(fitted: Calibration, kinds: Sequence[CrisisType], runs: int, seed: int,
               executor: Executor | None) -> dict[CrisisType, dict[str, NDArray[np.float64]]]:
    """Per crisis type and target: the simulated frequencies averaged over posterior draws.

    :data:`PREDICTIVE_DRAWS` parameter sets are drawn from the posterior (from
    ``seed``); each is simulated with ``runs`` runs and the same seed (common
    random numbers), and the class frequencies are averaged: the posterior
    predictive distribution, which carries the parameters' uncertainty into
    the forecast. Without a posterior, the calibrated parameters alone.
    """
    if fitted.posterior is None:
        draws = [fitted.params]
    else:
        rng = np.random.default_rng(np.random.SeedSequence([seed, PREDICTIVE_SEED]))
        draws = fitted.posterior.draw(PREDICTIVE_DRAWS, rng)
    objective = Objective(Cases([], []), runs, seed, executor=executor)
    totals: dict[CrisisType, dict[str, NDArray[np.float64]]] = {
        kind: {name: np.zeros(CLASSES[name]) for name in TARGET_ORDER} for kind in kinds}
    for params in draws:
        for kind, forecast in objective.forecasts(params, kinds).items():
            for name in TARGET_ORDER:
                totals[kind][name] += forecast.classes(name) / len(draws)
    return totals


def run_rolling(data: ICBData, splits: Sequence[int] = ROLLING, runs: int = 100,
                seed: int = 0, max_evaluations: int = MODE_EVALUATIONS,
                progress: Callable[[int, int], None] | None = None,
                workers: int | None = 1, design_points: int = DESIGN_POINTS) -> RollingResult:
    """The backtest from each first test year in ``splits`` (each calibrated on all before it)."""
    per_split = evaluations_total(max_evaluations, design_points)
    total = per_split * len(splits)
    results = []
    with _pool(workers) as executor:
        for index, year in enumerate(splits):
            def step(done: int, _total: int, offset: int = index * per_split) -> None:
                if progress is not None:
                    progress(offset + done, total)
            results.append(_split(data, year, runs, seed, (max_evaluations, design_points),
                                  step, executor))
    return RollingResult(results)
