"""Fearon's rationalist explanations for war: the bargaining range, risk-return, commitment.

Bargaining range ([Fearon1995]_, the opening argument that a peaceful
settlement both prefer to war always exists). Two states divide an issue
worth 1; x is A's share. War gives A the chance p of taking
the whole issue at cost c_A, and B the chance 1 - p at cost c_B, so war is
worth p - c_A to A and 1 - p - c_B to B. Every x with::

    p - c_A <= x <= p + c_B

is at least as good as war for both: the bargaining range is never empty
while costs are positive.

Risk-return trade-off ([Fearon1995]_, section "Private information and
incentives to misrepresent"). A makes a take-it-or-leave-it demand x; B's
cost c_B is private, uniform on [0, c_max], and A knows only that law. B
accepts iff ``1 - x >= 1 - p - c_B``, i.e. iff ``c_B >= x - p``. Writing
``y = x - p`` for the premium A demands over its war value p, for
``0 <= y <= c_max``::

    P(accept) = 1 - y / c_max
    EU_A(y)   = (1 - y / c_max)(p + y) + (y / c_max)(p - c_A)
              = p + y - y^2 / c_max - y c_A / c_max.

A demand below p is accepted for sure (so it is dominated by x = p), and a
demand above p + c_max is refused for sure (worth p - c_A < p). EU_A is a
concave quadratic in y with maximum at y = (c_max - c_A) / 2, so over the
feasible premiums ``0 <= y <= min(c_max, 1 - p)`` the optimum is the clipped
stationary point::

    y* = min(max((c_max - c_A) / 2, 0), 1 - p),    x* = p + y*,
    P(war) = y* / c_max.

Interior case (c_A < c_max and p + (c_max - c_A) / 2 <= 1)::

    x* = p + (c_max - c_A) / 2,    P(war) = (c_max - c_A) / (2 c_max).

Corners: when c_A >= c_max, A's own cost of war is at least the most B could
be hiding, so A demands exactly its war value p, every type of B accepts, and
P(war) = 0; when p + (c_max - c_A) / 2 > 1, A demands the whole issue and
P(war) = (1 - p) / c_max. A rational A accepts a positive risk of war in
return for a better deal: war from private information and incentives to
misrepresent it.

Commitment problem with a permanent shift in power ([Fearon1995]_, section on
commitment problems, preventive war; [Powell2006]_). Time is discrete and infinite, the issue
yields a flow of 1 per period, both sides discount by delta. A war ends the
game: it gives A a share p_t of every future period's flow (the chance of
winning is the share of the flow in expectation) at a cost of c_A per period,
so war begun at t is worth (p_t - c_A) / (1 - delta) to A. A is the
*declining* side: its chance is p0 today and falls permanently to p1 < p0
from tomorrow. B, the rising side, proposes the division each period (as in
[Powell2006]_, the side that proposes keeps the surplus).

From tomorrow on nothing changes, so B will then offer A exactly A's war
value p1 - c_A per period, and any promise of more is not credible: once
stronger, B would renegotiate it away. The most B can credibly promise A
today is therefore the whole of today's flow plus A's future war value::

    V_peace = 1 + delta (p1 - c_A) / (1 - delta).

A fights now iff war now is worth more::

    (p0 - c_A) / (1 - delta) > 1 + delta (p1 - c_A) / (1 - delta)
    <=>  p0 - c_A > (1 - delta) + delta p1 - delta c_A
    <=>  delta (p0 - p1) > (1 - delta)(1 - p0 + c_A).

This is the declining side's condition: the discounted loss of bargaining
power delta (p0 - p1) exceeds what B can still hand over today, one period's
flow above A's war value, (1 - delta)(1 - p0 + c_A) in per-period units.
Equivalently the shift p0 - p1 must exceed ``(1 - delta)(1 - p0 + c_A) /
delta``. War occurs although both would prefer some peaceful division: B
cannot commit not to exploit its future strength. (The condition depends on
costs being a flow: with a one-off cost c_A of war, its term becomes
``(1 - delta)(1 - p0 + (1 - delta) c_A)``.)
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy.optimize import minimize_scalar

__all__ = [
    "CommitmentProblem",
    "RiskReturn",
    "bargaining_range",
    "commitment_problem",
    "critical_shift",
    "demand_utility",
    "risk_return",
    "risk_return_numerical",
]


def bargaining_range(p: float, c_a: float, c_b: float) -> tuple[float, float]:
    """Fearon's bargaining range ``(p - c_A, p + c_B)`` of shares to A that both prefer to war.

    Parameters
    ----------
    p : A's probability of winning a war.
    c_a, c_b : each side's cost of war, in units of the issue's value.

    Returns
    -------
    tuple of float
        The lowest and highest share of the issue to A that both sides weakly
        prefer to war ([Fearon1995]_).

    Examples
    --------
    >>> low, high = bargaining_range(0.6, 0.1, 0.15)
    >>> round(low, 12), round(high, 12)
    (0.5, 0.75)

    """
    return p - c_a, p + c_b


@dataclass(frozen=True)
class RiskReturn:
    """A's optimal take-it-or-leave-it demand against a B of unknown cost.

    Attributes
    ----------
    demand : A's optimal share x*.
    war_probability : probability that B refuses, P(c_B < x* - p).
    expected_utility : A's expected utility of the demand.
    corner : ``"interior"``, ``"no_risk"`` (c_A >= c_max: x* = p) or
        ``"whole_issue"`` (x* = 1).

    """

    demand: float
    war_probability: float
    expected_utility: float
    corner: str


def demand_utility(x: float, p: float, c_a: float, c_max: float) -> float:
    """A's expected utility of demanding ``x`` when c_B is uniform on [0, c_max].

    ``P(accept) x + (1 - P(accept)) (p - c_A)`` with ``P(accept) = P(c_B >= x - p)``.

    >>> demand_utility(0.6, 0.6, 0.1, 0.3)  # demanding p is always accepted
    0.6
    """
    accept = float(np.clip(1.0 - (x - p) / c_max, 0.0, 1.0))
    return accept * x + (1.0 - accept) * (p - c_a)


def risk_return(p: float, c_a: float, c_max: float) -> RiskReturn:
    """Closed-form optimal demand and probability of war (the risk-return trade-off).

    Parameters
    ----------
    p : A's probability of winning, in [0, 1].
    c_a : A's cost of war (known), >= 0.
    c_max : upper end of B's cost, uniform on [0, c_max], > 0.

    Returns
    -------
    RiskReturn
        ``x* = p + y*`` with ``y* = clip((c_max - c_A) / 2, 0, 1 - p)`` and
        ``P(war) = y* / c_max`` (see the module docstring for the derivation).

    Examples
    --------
    >>> solution = risk_return(0.5, 0.1, 0.3)
    >>> round(solution.demand, 12), round(solution.war_probability, 12)
    (0.6, 0.333333333333)
    >>> risk_return(0.5, 0.4, 0.3).war_probability  # c_A >= c_max: no risk taken
    0.0

    """
    if c_max <= 0:
        raise ValueError("c_max must be positive")
    premium = (c_max - c_a) / 2.0
    corner = "interior"
    if premium <= 0.0:
        premium, corner = 0.0, "no_risk"
    elif premium > 1.0 - p:
        premium, corner = 1.0 - p, "whole_issue"
    demand = p + premium
    return RiskReturn(demand=demand, war_probability=premium / c_max,
                      expected_utility=demand_utility(demand, p, c_a, c_max), corner=corner)


def risk_return_numerical(p: float, c_a: float, c_max: float, grid: int = 2001) -> RiskReturn:
    """Numerical maximisation of :func:`demand_utility` (a grid, then bounded Brent).

    Independent of the closed form: a grid over [p, min(1, p + c_max)] finds
    the best cell, then ``scipy.optimize.minimize_scalar`` refines it within
    the neighbouring cells.

    >>> numeric = risk_return_numerical(0.5, 0.1, 0.3)
    >>> abs(numeric.demand - 0.6) < 1e-7
    True
    """
    low, high = p, min(1.0, p + c_max)
    if high - low <= 0.0:
        return RiskReturn(low, 0.0, demand_utility(low, p, c_a, c_max), "whole_issue")
    xs = np.linspace(low, high, grid)
    values = np.array([demand_utility(float(x), p, c_a, c_max) for x in xs])
    best = int(np.argmax(values))
    left, right = xs[max(best - 1, 0)], xs[min(best + 1, grid - 1)]
    result = minimize_scalar(lambda x: -demand_utility(x, p, c_a, c_max), bounds=(left, right),
                             method="bounded", options={"xatol": 1e-12})
    demand = float(result.x) if -result.fun >= values[best] else float(xs[best])
    if demand - low < 1e-9:
        corner = "no_risk"
    elif high - demand < 1e-9 and high == 1.0:
        corner = "whole_issue"
    else:
        corner = "interior"
    return RiskReturn(demand=demand, war_probability=max(demand - p, 0.0) / c_max,
                      expected_utility=demand_utility(demand, p, c_a, c_max), corner=corner)


@dataclass(frozen=True)
class CommitmentProblem:
    """The declining side's choice under a permanent shift in power.

    Attributes
    ----------
    war_value : A's value of fighting now, ``(p0 - c_A) / (1 - delta)``.
    peace_value : the most B can credibly promise, ``1 + delta (p1 - c_A) / (1 - delta)``.
    war : whether A fights now (``war_value > peace_value``).
    margin : ``delta (p0 - p1) - (1 - delta)(1 - p0 + c_A)``; war iff positive.

    """

    war_value: float
    peace_value: float
    war: bool
    margin: float


def commitment_problem(p0: float, p1: float, c_a: float, delta: float) -> CommitmentProblem:
    """Whether the declining side fights a preventive war ([Fearon1995]_; [Powell2006]_).

    Parameters
    ----------
    p0, p1 : A's chance of winning today and, permanently, from tomorrow.
    c_a : A's per-period cost of war.
    delta : common discount factor in (0, 1).

    Examples
    --------
    >>> commitment_problem(0.6, 0.2, 0.05, 0.9).war  # 0.9 * 0.4 > 0.1 * 0.45
    True
    >>> commitment_problem(0.6, 0.58, 0.05, 0.9).war  # 0.9 * 0.02 < 0.045
    False

    """
    if not 0.0 < delta < 1.0:
        raise ValueError("delta must lie in (0, 1)")
    war_value = (p0 - c_a) / (1.0 - delta)
    peace_value = 1.0 + delta * (p1 - c_a) / (1.0 - delta)
    margin = delta * (p0 - p1) - (1.0 - delta) * (1.0 - p0 + c_a)
    return CommitmentProblem(war_value=war_value, peace_value=peace_value,
                             war=war_value > peace_value, margin=margin)


def critical_shift(p0: float, c_a: float, delta: float) -> float:
    """The smallest fall in A's chance, p0 - p1, above which A fights now.

    ``(1 - delta)(1 - p0 + c_A) / delta``.

    >>> round(critical_shift(0.6, 0.05, 0.9), 12)
    0.05
    """
    return (1.0 - delta) * (1.0 - p0 + c_a) / delta
