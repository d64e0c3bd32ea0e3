"""Logit quantal response equilibrium of two-player normal-form games, traced from lambda = 0.

A logit QRE ([McKelvey1995]_) of the bimatrix game (A, B), with A the row
player's and B the column player's payoffs, is a pair of mixed strategies
(x, y) with::

    x = softmax(lambda A y),    y = softmax(lambda B^T x),

for a precision lambda >= 0: lambda = 0 is uniform play and, as lambda grows,
the principal branch of the correspondence, the unique branch through the
centroid at lambda = 0, converges to a Nash equilibrium (the logit solution).

The branch is traced as in [Turocy2005]_ and Gambit's ``logit`` solver
([Gambit2016]_): in log-probabilities z = log x, w = log y the equilibrium
conditions are the m + n equations::

    z_i - z_0 - lambda ((A y)_i - (A y)_0) = 0,   i = 1..m-1,    sum_i exp(z_i) = 1,
    w_j - w_0 - lambda ((B^T x)_j - (B^T x)_0) = 0, j = 1..n-1,  sum_j exp(w_j) = 1,

in the m + n + 1 unknowns (z, w, lambda). Pseudo-arclength continuation
follows the curve from (log 1/m, log 1/n, 0): an Euler predictor along the
unit tangent (the null vector of the Jacobian, oriented to continue the
previous one, so the branch may turn back in lambda), then Newton's corrector
on the equations plus the arclength constraint, with the step halved on
failure and lengthened on easy steps, up to 0.1. A step is refused when its
corrector lands far from the predictor or the tangent turns by more than
about 8 degrees (Allgower & Georg 1990, ch. 6): near an almost-singular point
two parts of the curve pass close to each other, and a long straight step
would jump from the principal branch to the other one (found by comparing
with Gambit on random games). When a step crosses a requested
lambda, bisection on the length of that step (each trial a continuation step
from the same point) finds the crossing, and Newton's method at that fixed
lambda polishes it where it converges (at the first crossing along the
branch, should the branch bend back in lambda).

Gambit's test of ``logit_solve_lambda`` (``tests/test_nash.py``, case
``test_logit_lambda_1``) uses its ``const_sum_game.nfg``::

    A = [[1, 1], [0, 1]],    B = [[1, 1], [2, 1]],

with published first-strategy probabilities (0.643, 0.5883) at lambda = 1,
(0.7727, 0.6117) at lambda = 2 and (0.8595, 0.6038) at lambda = 3.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

import numpy as np
from numpy.typing import ArrayLike, NDArray

__all__ = [
    "GAMBIT_CONST_SUM",
    "QREPoint",
    "logit_branch",
    "logit_qre",
    "logit_response",
    "qre_residual",
]

FloatArray = NDArray[np.float64]

#: Smallest cosine between the tangents at the two ends of an accepted step (about 8 degrees).
MIN_TANGENT_COSINE = 0.99

GAMBIT_CONST_SUM = (np.array([[1.0, 1.0], [0.0, 1.0]]), np.array([[1.0, 1.0], [2.0, 1.0]]))
"""Gambit's ``const_sum_game.nfg`` as (A, B): row player's and column player's payoffs."""


@dataclass(frozen=True)
class QREPoint:
    """One point of the logit QRE correspondence.

    Attributes
    ----------
    lam : the precision lambda.
    row, column : the two players' mixed strategies.

    """

    lam: float
    row: FloatArray
    column: FloatArray


def _softmax(values: FloatArray) -> FloatArray:
    shifted = np.exp(values - values.max())
    return np.asarray(shifted / shifted.sum())


def logit_response(payoff_a: ArrayLike, payoff_b: ArrayLike, lam: float, row: ArrayLike,
                   column: ArrayLike) -> tuple[FloatArray, FloatArray]:
    """Both players' logit responses ``softmax(lambda A y)`` and ``softmax(lambda B^T x)``.

    >>> x, y = logit_response(*GAMBIT_CONST_SUM, 0.0, [0.3, 0.7], [0.9, 0.1])
    >>> x.tolist(), y.tolist()
    ([0.5, 0.5], [0.5, 0.5])
    """
    a, b = np.asarray(payoff_a, dtype=float), np.asarray(payoff_b, dtype=float)
    x, y = np.asarray(row, dtype=float), np.asarray(column, dtype=float)
    return _softmax(lam * (a @ y)), _softmax(lam * (b.T @ x))


def qre_residual(payoff_a: ArrayLike, payoff_b: ArrayLike, point: QREPoint) -> float:
    """Largest gap between a point's strategies and the logit responses to them."""
    x, y = logit_response(payoff_a, payoff_b, point.lam, point.row, point.column)
    return float(max(np.abs(x - point.row).max(), np.abs(y - point.column).max()))


class _Branch:
    """The equations H(z, w, lambda) = 0 of the module docstring and their Jacobian."""

    def __init__(self, payoff_a: FloatArray, payoff_b: FloatArray) -> None:
        self.a = payoff_a
        self.bt = payoff_b.T
        self.m, self.n = payoff_a.shape

    def split(self, v: FloatArray) -> tuple[FloatArray, FloatArray, float]:
        return v[: self.m], v[self.m: self.m + self.n], float(v[-1])

    def equations(self, v: FloatArray) -> FloatArray:
        z, w, lam = self.split(v)
        x, y = np.exp(z), np.exp(w)
        ua, ub = self.a @ y, self.bt @ x
        return np.concatenate([
            z[1:] - z[0] - lam * (ua[1:] - ua[0]), [x.sum() - 1.0],
            w[1:] - w[0] - lam * (ub[1:] - ub[0]), [y.sum() - 1.0],
        ])

    def jacobian(self, v: FloatArray) -> FloatArray:
        z, w, lam = self.split(v)
        m, n = self.m, self.n
        x, y = np.exp(z), np.exp(w)
        ua, ub = self.a @ y, self.bt @ x
        jac = np.zeros((m + n, m + n + 1))
        # row player's logit equations, rows 0..m-2, and its simplex row m-1
        jac[: m - 1, 1:m] = np.eye(m - 1)
        jac[: m - 1, 0] = -1.0
        jac[: m - 1, m: m + n] = -lam * (self.a[1:] - self.a[0]) * y
        jac[: m - 1, -1] = -(ua[1:] - ua[0])
        jac[m - 1, :m] = x
        # column player's, rows m..m+n-2, and its simplex row m+n-1
        jac[m: m + n - 1, m + 1: m + n] = np.eye(n - 1)
        jac[m: m + n - 1, m] = -1.0
        jac[m: m + n - 1, :m] = -lam * (self.bt[1:] - self.bt[0]) * x
        jac[m: m + n - 1, -1] = -(ub[1:] - ub[0])
        jac[m + n - 1, m: m + n] = y
        return jac

    def tangent(self, v: FloatArray, previous: FloatArray | None) -> FloatArray:
        jac = self.jacobian(v)
        _, _, vt = np.linalg.svd(jac)
        t = vt[-1]
        if previous is None:
            return t if t[-1] > 0 else -t
        return t if t @ previous > 0 else -t

    def correct_arclength(self, guess: FloatArray, tangent: FloatArray, anchor: FloatArray,
                          tol: float = 1e-11, max_iter: int = 8) -> FloatArray | None:
        v = guess.copy()
        for _ in range(max_iter):
            residual = np.concatenate([self.equations(v), [tangent @ (v - anchor)]])
            if not np.all(np.isfinite(residual)):
                return None
            if np.abs(residual).max() < tol:
                return v
            system = np.vstack([self.jacobian(v), tangent])
            try:
                v = v - np.linalg.solve(system, residual)
            except np.linalg.LinAlgError:
                return None
        residual = self.equations(v)
        return v if np.all(np.isfinite(residual)) and np.abs(residual).max() < tol else None

    def correct_at(self, guess: FloatArray, lam: float, tol: float = 1e-13,
                   max_iter: int = 50) -> FloatArray | None:
        """Newton's method at fixed lambda from ``guess``; None if it fails to converge."""
        v = guess.copy()
        v[-1] = lam
        for _ in range(max_iter):
            residual = self.equations(v)
            if not np.all(np.isfinite(residual)):
                return None
            if np.abs(residual).max() < tol:
                return v
            try:
                step = np.linalg.solve(self.jacobian(v)[:, :-1], residual)
            except np.linalg.LinAlgError:  # singular at fixed lambda: a fold, or degenerate
                return None
            v[:-1] -= step
        return None

    def crossing(self, start: FloatArray, tangent: FloatArray, step: float,
                 lam: float) -> FloatArray:
        """The branch's point with lambda = ``lam`` within one continuation step.

        ``start`` is a traced point, ``tangent`` its unit tangent and ``step``
        the arclength step that crossed ``lam``. Bisection on the step length
        h, each trial point being the continuation step of length h from
        ``start`` (the arclength system, which stays regular where the branch
        turns back in lambda, and converges for any h up to the step that
        succeeded), then Newton's method at fixed lambda to polish, kept only
        if it converges nearby. Newton at fixed lambda alone fails where its
        Jacobian in (z, w) is singular, e.g. in games with ties.
        """
        low, high = 0.0, step
        gap_low = start[-1] - lam
        best = start
        for _ in range(80):
            middle = (low + high) / 2.0
            guess = start + middle * tangent
            point = self.correct_arclength(guess, tangent, guess, max_iter=50)
            if point is None:
                high = middle  # a shorter step is easier
                continue
            gap = point[-1] - lam
            if abs(gap) <= abs(best[-1] - lam):
                best = point
            if abs(gap) < 1e-15 * max(1.0, abs(lam)):
                break
            if (gap < 0.0) == (gap_low < 0.0):
                low, gap_low = middle, gap
            else:
                high = middle
        polished = self.correct_at(best, lam)
        if polished is not None and np.abs(polished - best).max() < 1e-6:
            return polished
        best = best.copy()
        best[-1] = lam
        return best


def logit_branch(payoff_a: ArrayLike, payoff_b: ArrayLike, max_lambda: float,
                 targets: Iterable[float] = (), *, first_step: float = 0.03,
                 max_step: float = 0.1, max_points: int = 100_000) -> list[QREPoint]:
    """Trace the principal branch from lambda = 0 until lambda reaches ``max_lambda``.

    Parameters
    ----------
    payoff_a, payoff_b : (m, n) payoffs of the row and column player.
    max_lambda : where to stop.
    targets : lambdas at which to return exact points (the first crossing of each).
    first_step, max_step : initial and largest arclength step.
    max_points : safety bound on the number of continuation steps.

    Returns
    -------
    list of QREPoint
        If ``targets`` is empty, the traced points in order along the branch;
        otherwise one exact point per target, in the order given.

    """
    a, b = np.asarray(payoff_a, dtype=float), np.asarray(payoff_b, dtype=float)
    if a.shape != b.shape or a.ndim != 2:
        raise ValueError("payoff matrices must both have shape (m, n)")
    branch = _Branch(a, b)
    m, n = a.shape
    wanted = sorted(set(float(t) for t in targets))
    found: dict[float, FloatArray] = {}
    v = np.concatenate([np.full(m, -np.log(m)), np.full(n, -np.log(n)), [0.0]])
    for t in wanted:
        if t <= 0.0:
            found[t] = v.copy()
    trace = [v.copy()]
    tangent = branch.tangent(v, None)
    step = first_step
    for _ in range(max_points):
        if v[-1] >= max_lambda and all(t in found for t in wanted):
            break
        new = None
        while new is None:
            predicted = v + step * tangent
            new = branch.correct_arclength(predicted, tangent, predicted)
            # step control (Allgower & Georg 1990, ch. 6): the corrector must land
            # near the predictor and the branch must turn little over the step, or
            # the step may jump across a bend to another part of the curve
            new_tangent = None if new is None else branch.tangent(new, tangent)
            if (new is None or new_tangent is None
                    or np.linalg.norm(new - predicted) > 0.5 * step
                    or new_tangent @ tangent < MIN_TANGENT_COSINE):
                new = None
                step /= 2.0
                if step < 1e-12:
                    raise RuntimeError("logit branch tracing failed to converge")
        for t in wanted:
            if t not in found and (v[-1] - t) * (new[-1] - t) <= 0.0 and new[-1] != v[-1]:
                found[t] = branch.crossing(v, tangent, step, t)
        assert new_tangent is not None  # set with every accepted step
        tangent = new_tangent
        v = new
        trace.append(v.copy())
        step = min(step * 1.5, max_step)
    else:
        raise RuntimeError("logit branch tracing did not reach max_lambda")
    points = [found[float(t)] for t in targets] if wanted else trace
    return [_point(branch, p) for p in points]


def _point(branch: _Branch, v: FloatArray) -> QREPoint:
    z, w, lam = branch.split(v)
    x, y = np.exp(z), np.exp(w)
    return QREPoint(lam=lam, row=x / x.sum(), column=y / y.sum())


def logit_qre(payoff_a: ArrayLike, payoff_b: ArrayLike, lam: float | Iterable[float],
              **options: float) -> list[QREPoint]:
    """Logit QRE on the principal branch at each requested lambda.

    Parameters
    ----------
    payoff_a, payoff_b : (m, n) payoffs of the row and column player.
    lam : one precision or several.
    **options : passed to :func:`logit_branch` (``first_step``, ``max_step``).

    Examples
    --------
    >>> [p1, p2] = logit_qre(*GAMBIT_CONST_SUM, [1.0, 2.0])
    >>> round(float(p1.row[0]), 4), round(float(p1.column[0]), 4)
    (0.643, 0.5883)
    >>> round(float(p2.row[0]), 4), round(float(p2.column[0]), 4)
    (0.7727, 0.6117)

    """
    lams = [float(lam)] if isinstance(lam, int | float) else [float(t) for t in lam]
    if any(t < 0 for t in lams):
        raise ValueError("lambda must be non-negative")
    return logit_branch(payoff_a, payoff_b, max([*lams, 0.0]), lams,
                        first_step=options.get("first_step", 0.03),
                        max_step=options.get("max_step", 0.1))
