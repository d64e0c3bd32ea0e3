"""Simulation-based calibration of the posterior estimate [Talts2018].

If the estimator is right, then for parameters z* drawn from the prior and
data simulated from the model at z*, the posterior's quantile of each true
parameter, u = F_posterior(z*), is uniform on (0, 1); so its central 50% and
90% intervals contain z* in 50% and 90% of replicates. Each replicate here:

1. draws z* from the prior (:data:`redline.history.posterior.PRIOR`);
2. simulates every training case's crisis type at z* with a seed of its own
   (not the estimator's) and draws each case's observed class from the
   simulated frequencies, for all seven targets;
3. estimates the posterior from those data with the estimator's own seed
   (:func:`redline.history.posterior.estimate`), as on the real data;
4. records u for each parameter.

The replicates' u are summarised by the coverage of the 50% and 90%
intervals and a Kolmogorov-Smirnov test of uniformity per parameter.
"""

from __future__ import annotations

from collections.abc import Callable
from concurrent.futures import Executor
from dataclasses import dataclass
from typing import Any

import numpy as np
from numpy.typing import NDArray
from scipy.stats import kstest, norm

from redline.history.calibration import (
    Objective,
    counting_progress,
    likelihood_reporting,
    training_rows,
)
from redline.history.cases import Cases
from redline.history.forecast import forecast_types
from redline.history.posterior import (
    DESIGN_POINTS,
    MODE_EVALUATIONS,
    NAMES,
    estimate_evaluations,
    estimate_over_seeds,
    prior_mean,
    prior_sd,
    seed_of_replicate,
    to_params,
)

#: Spawn key of the replicates' true parameters and simulated data (under the seed).
DATA_KEY = 29
#: Interval levels whose coverage is reported.
LEVELS = (0.5, 0.9)


@dataclass
class CalibrationCheck:
    """The replicates' true parameters, posterior means and quantiles u."""

    truths: NDArray[np.float64]   # (R, d) true z
    means: NDArray[np.float64]    # (R, d) posterior means of z
    sds: NDArray[np.float64]      # (R, d) posterior standard deviations of z
    runs: int
    seed: int

    @property
    def quantiles(self) -> NDArray[np.float64]:
        """The posterior's cumulative probability u at each true value, (R, d)."""
        result: NDArray[np.float64] = norm.cdf((self.truths - self.means) / self.sds)
        return result

    def coverage(self, level: float) -> dict[str, float]:
        """Share of replicates whose central ``level`` interval contains the truth."""
        inside = np.abs(self.quantiles - 0.5) <= level / 2.0
        return {name: float(inside[:, i].mean()) for i, name in enumerate(NAMES)}

    def uniformity(self) -> dict[str, float]:
        """Kolmogorov-Smirnov p-value of u against the uniform law, per parameter."""
        return {name: float(kstest(self.quantiles[:, i], "uniform").pvalue)
                for i, name in enumerate(NAMES)}

    def shrinkage(self) -> dict[str, float]:
        """1 - (posterior sd / prior sd)^2, averaged: how much the data inform each parameter."""
        ratio = (self.sds / prior_sd()[None, :]) ** 2
        return {name: float(1.0 - ratio[:, i].mean()) for i, name in enumerate(NAMES)}

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready summary and the replicates."""
        return {"replicates": len(self.truths), "runs": self.runs, "seed": self.seed,
                "coverage": {f"{level:.0%}": self.coverage(level) for level in LEVELS},
                "ks_pvalue": self.uniformity(), "shrinkage": self.shrinkage(),
                "parameters": list(NAMES), "truth_z": self.truths.tolist(),
                "mean_z": self.means.tolist(), "sd_z": self.sds.tolist(),
                "quantiles": self.quantiles.tolist()}


def simulated_rows(cases: Cases, truth: NDArray[np.float64], runs: int,
                   rng: np.random.Generator, executor: Executor | None = None
                   ) -> dict[str, tuple[list[Any], list[int]]]:
    """The training rows of ``cases`` with each observed class drawn from the model at ``truth``."""
    rows = training_rows(cases)
    kinds = sorted({kind for found, _ in rows.values() for kind in found}, key=repr)
    seed = int(rng.integers(2**31))
    simulated = forecast_types(kinds, to_params(truth), runs, seed, executor)
    result = {}
    for target, (found, _) in rows.items():
        drawn = []
        for kind in found:
            p = simulated[kind].classes(target)
            drawn.append(int(rng.choice(len(p), p=p / p.sum())))
        result[target] = (found, drawn)
    return result


def calibration_check(cases: Cases, replicates: int, runs: int = 100, seed: int = 0,
                      max_evaluations: int = MODE_EVALUATIONS, design_points: int = DESIGN_POINTS,
                      executor: Executor | None = None,
                      progress: Callable[[int, int], None] | None = None,
                      seeds: int = 1) -> CalibrationCheck:
    """Run ``replicates`` simulation-based calibration replicates (see the module docstring).

    ``seeds``: simulation seeds per estimate, as :func:`redline.history.calibration.calibrate`.
    """
    per = estimate_evaluations(max_evaluations, design_points, seeds=seeds) + 1
    truths, means, sds = [], [], []
    for r in range(replicates):
        rng = np.random.default_rng(np.random.SeedSequence([seed, DATA_KEY, r]))
        truth = prior_mean() + prior_sd() * rng.standard_normal(len(NAMES))
        rows = simulated_rows(cases, truth, runs, rng, executor)

        def step(done: int, offset: int = r * per) -> None:
            if progress is not None:
                progress(min(offset + done, offset + per - 1), replicates * per)

        objectives = [Objective(Cases([], []), runs, seed_of_replicate(seed, s), None,
                                executor, rows=rows) for s in range(seeds)]
        counted = counting_progress(objectives, step)
        posterior = estimate_over_seeds([likelihood_reporting(o, counted) for o in objectives],
                                        max_evaluations=max_evaluations,
                                        design_points=design_points, seed=seed)
        truths.append(truth)
        means.append(posterior.mean)
        sds.append(posterior.sd)
    if progress is not None:
        progress(replicates * per, replicates * per)
    return CalibrationCheck(truths=np.array(truths), means=np.array(means), sds=np.array(sds),
                            runs=runs, seed=seed)
