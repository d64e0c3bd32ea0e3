"""Calibrating the mapping's global parameters by maximum likelihood, simulator in the loop.

The parameters theta = (escalation, rationality, talks_hazard) of
:class:`redline.history.mapping.MappingParameters` are fitted to the training
crises by maximising

    l(theta) = sum_t max_{w_t} sum_i log p_t,i(theta, w_t)[observed_i]

over the three targets t (crisis violence, actor outcome, agreement), where
p_t,i is the simulated class frequency of case i's crisis type mixed with the
training base rates (climatology, add-one smoothed) with weight w_t (the
model-error weight of target t, profiled out by a one-dimensional bounded
search; it keeps every log score finite, and w_t = 1 says the mechanisms add
nothing to the base rates). Every crisis
type is simulated with the same seed at every theta (common random numbers),
so l is a deterministic function of theta; it is still piecewise constant at
the scale of single runs, so the optimiser is derivative-free (Nelder-Mead on
log escalation, log rationality, logit talks hazard) with an initial simplex
of steps 0.5, well above that scale. Actor outcomes are fitted on each
training crisis's first crisis actor (the actor whose trigger is the crisis's
start), which bounds the number of distinct scenarios per evaluation.

Intervals: Wald intervals from a central-difference Hessian of -l at the
optimum with step 0.25 on the unconstrained scale (again well above the
run-level granularity), mapped back to the natural scale. When that Hessian is
not positive definite (a flat or rugged direction) the interval is reported
as unbounded, which says the data do not identify the parameter.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from concurrent.futures import Executor
from dataclasses import asdict, dataclass, field
from typing import Any

import numpy as np
from numpy.typing import ArrayLike, NDArray
from scipy.optimize import minimize, minimize_scalar

from redline.history.baselines import climatology
from redline.history.cases import Cases
from redline.history.forecast import TypeForecast, forecast_types
from redline.history.mapping import CrisisType, MappingParameters, crisis_type
from redline.history.targets import ACTOR_TARGETS, CLASSES

#: Names of the calibrated parameters, in the optimiser's order.
PARAMETERS = ("escalation", "rationality", "talks_hazard")
#: Targets and their number of classes.
TARGETS = CLASSES
#: Starting point of the optimiser (natural scale): the engine's default rationality, a
#: unit escalation and a talks hazard of 0.1 a week.
START = MappingParameters(escalation=1.0, rationality=30.0, talks_hazard=0.1)
#: Step of the numerical Hessian on the unconstrained scale.
HESSIAN_STEP = 0.25
#: z for 95% intervals.
Z_95 = 1.959963984540054


def to_params(x: ArrayLike) -> MappingParameters:
    """Unconstrained vector (log, log, logit) -> parameters."""
    x = np.asarray(x, dtype=np.float64)
    return MappingParameters(escalation=math.exp(x[0]), rationality=math.exp(x[1]),
                             talks_hazard=1.0 / (1.0 + math.exp(-x[2])))


def to_vector(params: MappingParameters) -> NDArray[np.float64]:
    """Parameters -> unconstrained vector."""
    p = params.talks_hazard
    return np.array([math.log(params.escalation), math.log(params.rationality),
                     math.log(p / (1.0 - p))])


def class_probabilities(target: str, forecast: TypeForecast) -> NDArray[np.float64]:
    """The raw simulated class frequencies of ``target`` (agreement: [no, yes])."""
    return forecast.classes(target)


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
    """The fitted parameters, weights, intervals and what it cost."""

    params: MappingParameters
    weights: dict[str, float]
    log_likelihood: float
    intervals: dict[str, tuple[float, float]]
    evaluations: int
    runs: int
    seed: int
    train_cases: dict[str, int] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form."""
        return {"parameters": asdict(self.params), "weights": self.weights,
                "log_likelihood": self.log_likelihood,
                "intervals_95": {k: list(v) for k, v in self.intervals.items()},
                "evaluations": self.evaluations, "runs": self.runs, "seed": self.seed,
                "train_cases": self.train_cases}


class Objective:
    """The training log-likelihood as a function of the unconstrained parameters."""

    def __init__(self, cases: Cases, runs: int, seed: int,
                 progress: Callable[[int], None] | None = None,
                 executor: Executor | None = None) -> None:
        self.rows = training_rows(cases)
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
            raw = np.array([class_probabilities(target, forecasts[k]) for k in kinds])
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


def _hessian(function: Callable[[NDArray[np.float64]], float], x: NDArray[np.float64],
             step: float) -> NDArray[np.float64]:
    n = len(x)
    centre = function(x)
    hessian = np.zeros((n, n))
    basis = np.eye(n) * step
    for i in range(n):
        hessian[i, i] = (function(x + basis[i]) - 2.0 * centre
                         + function(x - basis[i])) / step**2
        for j in range(i):
            value = (function(x + basis[i] + basis[j]) - function(x + basis[i] - basis[j])
                     - function(x - basis[i] + basis[j])
                     + function(x - basis[i] - basis[j])) / (4.0 * step**2)
            hessian[i, j] = hessian[j, i] = value
    return hessian


#: Evaluations of the Hessian (1 + 2n + 4 n(n-1)/2 for n parameters).
HESSIAN_EVALUATIONS = 1 + 2 * len(PARAMETERS) + 2 * len(PARAMETERS) * (len(PARAMETERS) - 1)


def calibrate(cases: Cases, runs: int = 200, seed: int = 0, max_evaluations: int = 40,
              intervals: bool = True, progress: Callable[[int], None] | None = None,
              executor: Executor | None = None) -> Calibration:
    """Fit the mapping's parameters to the training ``cases`` (see the module docstring)."""
    objective = Objective(cases, runs, seed, progress, executor)
    x0 = to_vector(START)
    simplex = np.vstack([x0] + [x0 + 0.5 * row for row in np.eye(len(x0))])
    found = minimize(objective, x0, method="Nelder-Mead",
                     options={"maxfev": max_evaluations, "initial_simplex": simplex,
                              "xatol": 0.05, "fatol": 0.5})
    best = np.asarray(found.x, dtype=np.float64)
    log_likelihood, weights = objective.evaluate(best)
    bounds: dict[str, tuple[float, float]] = {}
    if intervals:
        hessian = _hessian(objective, best, HESSIAN_STEP)
        try:
            covariance = np.linalg.inv(hessian)
            eigen = np.linalg.eigvalsh(hessian)
        except np.linalg.LinAlgError:
            covariance, eigen = np.full_like(hessian, np.nan), np.array([-1.0])
        for i, name in enumerate(PARAMETERS):
            se = math.sqrt(covariance[i, i]) if eigen.min() > 0 and covariance[i, i] > 0 \
                else math.inf
            lo, hi = best.copy(), best.copy()
            lo[i] -= Z_95 * se if math.isfinite(se) else 50.0
            hi[i] += Z_95 * se if math.isfinite(se) else 50.0
            bounds[name] = (getattr(to_params(lo), name), getattr(to_params(hi), name))
            if not math.isfinite(se):
                bounds[name] = (0.0, math.inf) if name != "talks_hazard" else (0.0, 1.0)
    return Calibration(params=to_params(best), weights=weights,
                       log_likelihood=log_likelihood, intervals=bounds,
                       evaluations=objective.evaluations, runs=runs, seed=seed,
                       train_cases={t: len(rows[1]) for t, rows in objective.rows.items()})
