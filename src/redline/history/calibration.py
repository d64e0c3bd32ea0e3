"""Calibrating the mapping's parameters on training crises: simulated likelihood, posterior.

The parameters theta of :class:`redline.history.mapping.MappingParameters`
(escalation, rationality, switching cost, planning weeks, talks hazard) are
estimated from the training crises' simulated likelihood

    l(theta) = sum_t max_{w_t} sum_i log p_t,i(theta, w_t)[observed_i]

over the seven targets t of :mod:`redline.history.targets` (crisis violence
and agreement; each first crisis actor's outcome, major response, the
intensity of its own violence, its response's timing and the duration of its
crisis), where p_t,i is the simulated class frequency of
case i's crisis type mixed with the training base rates (climatology,
add-one smoothed) with weight w_t (the model-error weight of target t,
profiled out by a one-dimensional bounded search; it keeps every log score
finite, and w_t = 1 says the mechanisms add nothing to the base rates).
Every crisis type is simulated with the same seed at every theta (common
random numbers), so l is a deterministic function of theta. Actor targets
are read on each training crisis's first crisis actor (the actor whose
trigger is the crisis's start), which bounds the number of distinct
scenarios per evaluation.

The posterior of theta given l and a wide prior is estimated by
:func:`redline.history.posterior.estimate` (a Laplace approximation from a
response surface of l; its method and why it was chosen are in that
module). The reported parameters are the posterior medians, the intervals
its central 95% intervals.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from concurrent.futures import Executor
from dataclasses import asdict, dataclass, field
from typing import Any

import numpy as np
from numpy.typing import ArrayLike, NDArray
from scipy.optimize import minimize_scalar

from redline.history.baselines import climatology
from redline.history.cases import Cases
from redline.history.forecast import TypeForecast, forecast_types
from redline.history.mapping import CrisisType, MappingParameters, crisis_type
from redline.history.posterior import (
    DESIGN_POINTS,
    MODE_EVALUATIONS,
    NAMES,
    Posterior,
    estimate_over_seeds,
    seed_of_replicate,
    to_params,
)
from redline.history.targets import ACTOR_TARGETS, CLASSES

#: Names of the calibrated parameters, in the order of the unconstrained vector.
PARAMETERS = NAMES
#: Targets and their number of classes.
TARGETS = CLASSES


def training_rows(cases: Cases) -> dict[str, tuple[list[CrisisType], list[int]]]:
    """Per target: the crisis type and observed class of each training case.

    Actor targets are read on each crisis's first crisis actor (the one whose
    trigger starts the crisis), skipping a missing value.
    """
    first_actor = {(a.crisno, a.start.actor): a for a in cases.actors}
    firsts = [first_actor[(c.crisno, c.start.actor)] for c in cases.crises
              if (c.crisno, c.start.actor) in first_actor]
    rows = {
        "violence": ([crisis_type(c.start) for c in cases.crises],
                     [c.violence for c in cases.crises]),
        "agreement": ([crisis_type(c.start) for c in cases.crises],
                      [int(c.agreement) for c in cases.crises]),
    }
    for target in ACTOR_TARGETS:
        known = [(a, a.observed(target)) for a in firsts]
        rows[target] = ([crisis_type(a.start) for a, value in known if value is not None],
                        [value for _, value in known if value is not None])
    return rows


def best_weight(raw: NDArray[np.float64], observed: ArrayLike) -> tuple[float, float]:
    """(weight, log-likelihood): the weight on the base rates that maximises the likelihood."""
    index = np.asarray(observed, dtype=np.int64)
    chosen = raw[np.arange(len(index)), index]
    base = climatology(index.tolist(), raw.shape[1])[index]

    def negative(weight: float) -> float:
        return -float(np.sum(np.log((1.0 - weight) * chosen + weight * base)))

    found = minimize_scalar(negative, bounds=(1e-4, 1.0), method="bounded",
                            options={"xatol": 1e-5})
    return float(found.x), -float(found.fun)


@dataclass
class Calibration:
    """The posterior of the parameters, the model-error weights and what it cost."""

    params: MappingParameters
    weights: dict[str, float]
    log_likelihood: float
    intervals: dict[str, tuple[float, float]]
    evaluations: int
    runs: int
    seed: int
    train_cases: dict[str, int] = field(default_factory=dict)
    posterior: Posterior | None = None

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form."""
        return {"parameters": asdict(self.params), "weights": self.weights,
                "log_likelihood": self.log_likelihood,
                "intervals_95": {k: list(v) for k, v in self.intervals.items()},
                "evaluations": self.evaluations, "runs": self.runs, "seed": self.seed,
                "train_cases": self.train_cases,
                "posterior": None if self.posterior is None else self.posterior.to_dict()}


class Objective:
    """The training log-likelihood as a function of the unconstrained parameters.

    ``rows`` replaces the cases' training rows (per target: crisis types and
    observed classes), e.g. with data simulated from known parameters.
    """

    def __init__(self, cases: Cases, runs: int, seed: int,
                 progress: Callable[[int], None] | None = None,
                 executor: Executor | None = None,
                 rows: dict[str, tuple[list[CrisisType], list[int]]] | None = None) -> None:
        self.rows = training_rows(cases) if rows is None else rows
        self.types = sorted({kind for kinds, _ in self.rows.values() for kind in kinds},
                            key=repr)
        self.runs, self.seed, self.progress = runs, seed, progress
        self.executor = executor
        self.evaluations = 0
        self._cache: dict[tuple[float, ...], tuple[float, dict[str, float]]] = {}

    def forecasts(self, params: MappingParameters,
                  kinds: Sequence[CrisisType] | None = None) -> dict[CrisisType, TypeForecast]:
        """Simulate every type (same seed for all: common random numbers)."""
        return forecast_types(self.types if kinds is None else kinds, params, self.runs,
                              self.seed, self.executor)

    def evaluate(self, x: ArrayLike) -> tuple[float, dict[str, float]]:
        """(log-likelihood, best weight per target) at ``x``."""
        key = tuple(round(float(v), 12) for v in np.asarray(x, dtype=np.float64))
        if key in self._cache:
            return self._cache[key]
        forecasts = self.forecasts(to_params(x))
        total, weights = 0.0, {}
        for target, (kinds, observed) in self.rows.items():
            if not observed:
                continue
            raw = np.array([forecasts[k].classes(target) for k in kinds])
            weights[target], value = best_weight(raw, observed)
            total += value
        self.evaluations += 1
        if self.progress is not None:
            self.progress(self.evaluations)
        self._cache[key] = (total, weights)
        return total, weights

    def __call__(self, x: NDArray[np.float64]) -> float:
        """Minus the log-likelihood (what the optimiser minimises)."""
        return -self.evaluate(x)[0]


def counting_progress(objectives: list[Objective], progress: Callable[[int], None] | None
              ) -> Callable[[], None]:
    """A callback that reports the evaluations of all ``objectives`` together."""
    def counted() -> None:
        if progress is not None:
            progress(sum(o.evaluations for o in objectives))
    return counted


def likelihood_reporting(objective: Objective, after: Callable[[], None]
                    ) -> Callable[[NDArray[np.float64]], float]:
    """``objective``'s log-likelihood of z, calling ``after`` once it is evaluated."""
    def log_likelihood(z: NDArray[np.float64]) -> float:
        value = objective.evaluate(z)[0]
        after()
        return value
    return log_likelihood


def calibrate(cases: Cases, runs: int = 100, seed: int = 0, max_evaluations: int = MODE_EVALUATIONS,
              progress: Callable[[int], None] | None = None,
              executor: Executor | None = None,
              design_points: int = DESIGN_POINTS, seeds: int = 1) -> Calibration:
    """Estimate the parameters' posterior on the training ``cases`` (see the module docstring).

    ``max_evaluations`` bounds the mode search; the response surface adds
    ``design_points`` evaluations twice. ``seeds`` > 1 repeats the estimate
    with independent simulation seeds and combines them
    (:func:`redline.history.posterior.combine_seeds`); ``progress`` counts
    the evaluations of all of them.
    """
    objectives = [Objective(cases, runs, seed_of_replicate(seed, r), None, executor)
                  for r in range(seeds)]
    counted = counting_progress(objectives, progress)
    posterior = estimate_over_seeds([likelihood_reporting(o, counted) for o in objectives],
                                    max_evaluations=max_evaluations,
                                    design_points=design_points, seed=seed)
    objective = objectives[0]
    log_likelihood, weights = objective.evaluate(posterior.mean)
    posterior.provenance = {"runs": runs, "seed": seed, "seeds": seeds,
                            "train_cases": {t: len(rows[1])
                                            for t, rows in objective.rows.items()}}
    return Calibration(params=posterior.median(), weights=weights,
                       log_likelihood=log_likelihood, intervals=posterior.interval(),
                       evaluations=sum(o.evaluations for o in objectives), runs=runs,
                       seed=seed,
                       train_cases={t: len(rows[1]) for t, rows in objective.rows.items()},
                       posterior=posterior)
