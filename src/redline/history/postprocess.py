"""Model output statistics: the simulator's class frequencies turned into calibrated forecasts.

Weather services do not issue their ensembles' raw frequencies: they
post-process them with a regression fitted on past forecasts and what
happened (model output statistics, [GlahnLowry1972]; for ensembles,
[Gneiting2005]). The same is done here for each backtest target with K
classes: the probability of class k for a case with simulated frequencies
f (from its generated scenario) and start variables x is the softmax of::

    eta_k = a * log f~_k + b_k + w_k . z(x)

where f~ is f with half a run added to every class (Jeffreys smoothing, so
the log is finite: ``(n f_k + 1/2) / (n + K/2)`` for n runs), z(x) the
one-hot start variables of the logistic baseline
(:func:`redline.history.baselines.features`), a the weight on the simulator
(a = 1, b = 0, w = 0 is the smoothed simulator itself; a = 0 ignores it), b
per-class intercepts, and w per-class coefficients of the start variables.
The coefficients w carry an L2 penalty (lambda/2) ``|w|^2``; a and b are not
penalised (a tiny 1e-6 ridge keeps them determined). lambda is chosen from a
fixed grid, the last entry infinite (w = 0: only a and b are fitted, a
recalibration of the simulator), by five-fold cross-validated log loss on
the training cases only, with folds drawn from the seed.

The model is fitted by maximum likelihood (L-BFGS with the analytic
gradient). It nests both inputs' families: the recalibrated simulator and a
ridge logistic regression on the same start variables as the baseline. The
fit sees training cases only; the backtest reports the raw simulator beside
it.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray
from scipy.optimize import minimize
from scipy.special import log_softmax
from sklearn.preprocessing import OneHotEncoder

from redline.history.baselines import features
from redline.history.mapping import CrisisStart

#: Penalties tried for the start-variable coefficients (inf: none of them, w = 0).
PENALTIES = (0.3, 1.0, 3.0, 10.0, 30.0, 100.0, float("inf"))
#: Folds of the cross-validation that chooses the penalty.
FOLDS = 5
#: Ridge on the unpenalised coefficients (a, b), only to keep them determined.
TINY = 1e-6


def jeffreys(frequencies: NDArray[np.float64], runs: int) -> NDArray[np.float64]:
    """Simulated frequencies with half a run added to each class: (n f + 1/2) / (n + K/2)."""
    frequencies = np.asarray(frequencies, dtype=np.float64)
    k = frequencies.shape[-1]
    return (runs * frequencies + 0.5) / (runs + 0.5 * k)


@dataclass
class _Coefficients:
    weight: float
    intercepts: NDArray[np.float64]
    start: NDArray[np.float64]  # (d, K)


def _unpack(theta: NDArray[np.float64], k: int, d: int) -> _Coefficients:
    return _Coefficients(float(theta[0]), theta[1:1 + k], theta[1 + k:].reshape(d, k))


def _fit(log_f: NDArray[np.float64], z: NDArray[np.float64], y: NDArray[np.int64],
         penalty: float) -> _Coefficients:
    """Penalised maximum likelihood of the softmax model (see the module docstring)."""
    n, k = log_f.shape
    d = z.shape[1] if np.isfinite(penalty) else 0
    z = z[:, :d]
    onehot = np.eye(k)[y]

    def objective(theta: NDArray[np.float64]) -> tuple[float, NDArray[np.float64]]:
        c = _unpack(theta, k, d)
        eta = c.weight * log_f + c.intercepts[None, :] + z @ c.start
        log_p = log_softmax(eta, axis=1)
        residual = np.exp(log_p) - onehot  # d(-loglik)/d eta
        value = -float(np.sum(log_p[np.arange(n), y]))
        value += 0.5 * TINY * (c.weight**2 + float(c.intercepts @ c.intercepts))
        grad_weight = float(np.sum(residual * log_f)) + TINY * c.weight
        grad_intercepts = residual.sum(axis=0) + TINY * c.intercepts
        grad_start = z.T @ residual
        if d:
            value += 0.5 * penalty * float(np.sum(c.start**2))
            grad_start = grad_start + penalty * c.start
        return value, np.concatenate([[grad_weight], grad_intercepts, grad_start.ravel()])

    theta0 = np.zeros(1 + k + d * k)
    theta0[0] = 1.0
    found = minimize(objective, theta0, jac=True, method="L-BFGS-B",
                     options={"maxiter": 2000, "gtol": 1e-7})
    return _unpack(np.asarray(found.x, dtype=np.float64), k, d)


def _predict(c: _Coefficients, log_f: NDArray[np.float64],
             z: NDArray[np.float64]) -> NDArray[np.float64]:
    d = c.start.shape[0]
    eta = c.weight * log_f + c.intercepts[None, :] + z[:, :d] @ c.start
    result: NDArray[np.float64] = np.exp(log_softmax(eta, axis=1))
    return result


class OutputStatistics:
    """The post-processing layer of one target: fit on training cases, then predict.

    Parameters
    ----------
    categories : the target's number of classes K.
    seed : seed of the cross-validation folds.
    """

    def __init__(self, categories: int, seed: int = 0) -> None:
        self.categories = categories
        self.seed = seed

    def _design(self, frequencies: NDArray[np.float64], runs: int,
                starts: Sequence[CrisisStart]) -> tuple[NDArray[np.float64],
                                                        NDArray[np.float64]]:
        log_f = np.log(jeffreys(np.asarray(frequencies, dtype=np.float64), runs))
        levels = np.array([features(start) for start in starts], dtype=object)
        z = np.asarray(self.encoder_.transform(levels).toarray(), dtype=np.float64)
        return log_f, z

    def fit(self, frequencies: NDArray[np.float64], runs: int, starts: Sequence[CrisisStart],
            observed: Sequence[int]) -> OutputStatistics:
        """Fit on training cases: (n, K) simulated frequencies, their starts and classes."""
        y = np.asarray(observed, dtype=np.int64)
        levels = np.array([features(start) for start in starts], dtype=object)
        self.encoder_ = OneHotEncoder(handle_unknown="ignore").fit(levels)
        log_f, z = self._design(frequencies, runs, starts)
        rng = np.random.default_rng(self.seed)
        fold = rng.permutation(len(y)) % FOLDS
        losses = []
        for penalty in PENALTIES:
            loss = 0.0
            for f in range(FOLDS):
                train, test = fold != f, fold == f
                if not test.any() or not train.any():
                    continue
                c = _fit(log_f[train], z[train], y[train], penalty)
                p = _predict(c, log_f[test], z[test])
                loss -= float(np.sum(np.log(p[np.arange(int(test.sum())), y[test]])))
            losses.append(loss)
        self.cv_log_loss_ = dict(zip(PENALTIES, losses, strict=True))
        self.penalty_ = PENALTIES[int(np.argmin(losses))]
        self.coefficients_ = _fit(log_f, z, y, self.penalty_)
        return self

    @property
    def simulator_weight(self) -> float:
        """The fitted a: the weight of the simulator's log frequencies (0: ignored)."""
        return self.coefficients_.weight

    def predict(self, frequencies: NDArray[np.float64], runs: int,
                starts: Sequence[CrisisStart]) -> NDArray[np.float64]:
        """(n, K) post-processed class probabilities."""
        log_f, z = self._design(frequencies, runs, starts)
        return _predict(self.coefficients_, log_f, z)
