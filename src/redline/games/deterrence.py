"""Deterrence with an uncertain defender, and the one-shot red-line game.

Rudimentary asymmetric deterrence game ([ZagareKilgour2000]_). A Challenger
chooses to challenge the status quo or not; if challenged, a Defender
resists or concedes. The Challenger's payoffs are a_SQ (status quo), a_DC
(Defender concedes) and a_DD (conflict: the Defender denies), with::

    a_DC > a_SQ > a_DD.

The Defender is *hard* (credible: it prefers conflict to conceding, d_DD >
d_DC) with probability p and *soft* (d_DC > d_DD) otherwise, and knows its
type; the Challenger knows only p. Solving by backward induction over the
types gives the perfect Bayesian equilibrium: each type of Defender plays
its preferred response at its node, so a challenge meets resistance with
probability p (beliefs at the Defender's nodes are degenerate, the Defender
knows its type; the Challenger moves at the root on the prior). The
Challenger's expected utility of a challenge is ``p a_DD + (1 - p) a_DC``,
so it challenges iff::

    p a_DD + (1 - p) a_DC > a_SQ   <=>   p < (a_DC - a_SQ) / (a_DC - a_DD).

The right-hand side is the Challenger's *critical credibility*: deterrence
succeeds iff the Defender's credibility p exceeds it (perfect deterrence:
credibility, not capability alone, deters). At equality the Challenger is
indifferent; :func:`solve_deterrence` keeps the status quo there.

One-shot red-line game with an uncertain threshold ([Schelling1966]_;
[DixitSkeath2015]_, ch. 14; it mirrors :mod:`redline.mechanisms.redlines` and
the red-line risk term of :mod:`redline.mechanisms.decisions`). An owner
declares a red line whose true threshold T is private, with CDF F known to
the challenger. The challenger picks a severity s from a ladder s_1 < ... <
s_K with gains g(s_k). The owner enforces iff s >= T; enforcement is the
declared response, costing the challenger H, with follow-through
probability rho, and the fallback response, costing H_f, otherwise. The
challenger's expected utility is::

    EU(s) = g(s) - P(T <= s) (rho H + (1 - rho) H_f) = g(s) - F(s) (rho H + (1 - rho) H_f),

the optimum is s* = argmax_k EU(s_k) (the lowest severity among ties), and
the equilibrium probability of enforcement is F(s*) (of the declared
response, rho F(s*)). Discretised, the threshold is the owner's type: type
j (T in (s_{j-1}, s_j], probability F(s_j) - F(s_{j-1})) enforces exactly
the severities s_k with k >= j, and type K + 1 (T > s_K) never enforces.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

__all__ = [
    "DeterrenceEquilibrium",
    "DeterrenceGame",
    "RedLineEquilibrium",
    "RedLineGame",
    "critical_credibility",
    "red_line_game",
    "solve_deterrence",
    "solve_red_line",
    "threshold_types",
    "triangular_cdf",
]

FloatArray = NDArray[np.float64]


def critical_credibility(a_sq: float, a_dc: float, a_dd: float) -> float:
    """The Challenger's critical credibility ``(a_DC - a_SQ) / (a_DC - a_DD)``.

    The Challenger challenges iff the Defender's probability of being hard
    is below it ([ZagareKilgour2000]_).

    >>> critical_credibility(0.0, 1.0, -1.0)
    0.5
    """
    if not a_dc > a_sq > a_dd:
        raise ValueError("the rudimentary game needs a_DC > a_SQ > a_DD")
    return (a_dc - a_sq) / (a_dc - a_dd)


@dataclass(frozen=True)
class DeterrenceGame:
    """Payoffs of the rudimentary asymmetric deterrence game with two Defender types.

    Attributes
    ----------
    a_sq, a_dc, a_dd : Challenger's payoffs (status quo, Defender concedes, conflict).
    p_hard : probability that the Defender is hard.
    d_sq, d_dc : Defender's payoffs at the status quo and on conceding (both types).
    d_dd_hard, d_dd_soft : each type's payoff from conflict (hard: above
        d_dc, soft: below).

    """

    a_sq: float
    a_dc: float
    a_dd: float
    p_hard: float
    d_sq: float = 1.0
    d_dc: float = 0.0
    d_dd_hard: float = 0.5
    d_dd_soft: float = -1.0


@dataclass(frozen=True)
class DeterrenceEquilibrium:
    """The perfect Bayesian equilibrium found by backward induction over types.

    Attributes
    ----------
    challenge : whether the Challenger challenges.
    hard_resists, soft_resists : each Defender type's response to a challenge.
    resist_probability : probability that a challenge meets resistance.
    challenge_utility : Challenger's expected utility of a challenge.
    threshold : critical credibility ``(a_DC - a_SQ) / (a_DC - a_DD)``.
    conflict_probability : probability of conflict on the equilibrium path.

    """

    challenge: bool
    hard_resists: bool
    soft_resists: bool
    resist_probability: float
    challenge_utility: float
    threshold: float
    conflict_probability: float


def solve_deterrence(game: DeterrenceGame) -> DeterrenceEquilibrium:
    """Backward induction: each Defender type responds, then the Challenger moves on the prior.

    >>> eq = solve_deterrence(DeterrenceGame(a_sq=0.0, a_dc=1.0, a_dd=-1.0, p_hard=0.3))
    >>> eq.challenge, eq.threshold, round(eq.conflict_probability, 12)
    (True, 0.5, 0.3)
    >>> solve_deterrence(DeterrenceGame(a_sq=0.0, a_dc=1.0, a_dd=-1.0, p_hard=0.7)).challenge
    False
    """
    threshold = critical_credibility(game.a_sq, game.a_dc, game.a_dd)
    hard_resists = game.d_dd_hard > game.d_dc
    soft_resists = game.d_dd_soft > game.d_dc
    resist = game.p_hard * hard_resists + (1.0 - game.p_hard) * soft_resists
    utility = resist * game.a_dd + (1.0 - resist) * game.a_dc
    challenge = utility > game.a_sq
    return DeterrenceEquilibrium(challenge=bool(challenge), hard_resists=bool(hard_resists),
                                 soft_resists=bool(soft_resists), resist_probability=float(resist),
                                 challenge_utility=float(utility), threshold=threshold,
                                 conflict_probability=float(resist) if challenge else 0.0)


def triangular_cdf(x: float | FloatArray, low: float, mode: float, high: float) -> FloatArray:
    """CDF of the triangular law on [low, high] with the given mode.

    >>> float(triangular_cdf(5.0, 3.0, 5.0, 8.0))
    0.4
    """
    x = np.asarray(x, dtype=np.float64)
    if not low <= mode <= high or not low < high:
        raise ValueError("triangular needs low <= mode <= high with low < high")
    width = high - low
    rising = (x - low) ** 2 / (width * max(mode - low, 1e-300))
    falling = 1.0 - (high - x) ** 2 / (width * max(high - mode, 1e-300))
    cdf = np.where(x < mode, rising, falling)
    return np.asarray(np.clip(np.where(x < low, 0.0, np.where(x >= high, 1.0, cdf)), 0.0, 1.0))


@dataclass(frozen=True)
class RedLineGame:
    """A ladder of severities against a red line with an uncertain threshold.

    Attributes
    ----------
    severities : the ladder, strictly increasing.
    gains : the challenger's gain g(s_k) at each severity.
    threshold_cdf : F(s_k) = P(T <= s_k) at each severity (non-decreasing).
    follow_through : rho, the probability that enforcement is the declared response.
    harm : H, the challenger's cost of the declared response.
    fallback_harm : H_f, its cost of the fallback response.

    """

    severities: tuple[float, ...]
    gains: tuple[float, ...]
    threshold_cdf: tuple[float, ...]
    follow_through: float
    harm: float
    fallback_harm: float = 0.0

    @property
    def enforcement_harm(self) -> float:
        """Expected harm of enforcement, ``rho H + (1 - rho) H_f``."""
        return self.follow_through * self.harm + (1.0 - self.follow_through) * self.fallback_harm


def red_line_game(severities: Sequence[float], gains: Sequence[float] | Callable[[float], float],
                  cdf: Callable[[float], float], follow_through: float, harm: float,
                  fallback_harm: float = 0.0) -> RedLineGame:
    """Tabulate gains and the threshold CDF on the ladder.

    >>> game = red_line_game([1, 2, 3], [1.0, 2.0, 3.0], lambda s: s / 4, 0.5, 4.0)
    >>> game.threshold_cdf
    (0.25, 0.5, 0.75)
    """
    levels = tuple(float(s) for s in severities)
    if any(b <= a for a, b in itertools.pairwise(levels)):
        raise ValueError("severities must be strictly increasing")
    values = tuple(float(gains(s)) for s in levels) if callable(gains) else tuple(
        float(g) for g in gains)
    return RedLineGame(severities=levels, gains=values,
                       threshold_cdf=tuple(float(cdf(s)) for s in levels),
                       follow_through=follow_through, harm=harm, fallback_harm=fallback_harm)


@dataclass(frozen=True)
class RedLineEquilibrium:
    """The challenger's optimal severity and the resulting risk of enforcement.

    Attributes
    ----------
    index : position of s* on the ladder.
    severity : s*.
    expected_utilities : EU(s_k) for every rung.
    enforcement_probability : F(s*), the probability that s* is met by enforcement.
    declared_response_probability : rho F(s*).

    """

    index: int
    severity: float
    expected_utilities: tuple[float, ...]
    enforcement_probability: float
    declared_response_probability: float


def solve_red_line(game: RedLineGame) -> RedLineEquilibrium:
    """Optimal severity ``argmax_k g(s_k) - F(s_k)(rho H + (1 - rho) H_f)``.

    >>> game = red_line_game([1, 2, 3], [1.0, 2.0, 3.0], lambda s: s / 4, 0.5, 4.0)
    >>> eq = solve_red_line(game)   # EU = 1 - 0.5, 2 - 1, 3 - 1.5
    >>> eq.severity, eq.enforcement_probability
    (3.0, 0.75)
    """
    utilities = np.asarray(game.gains) - np.asarray(game.threshold_cdf) * game.enforcement_harm
    best = int(np.argmax(utilities))
    enforced = game.threshold_cdf[best]
    return RedLineEquilibrium(index=best, severity=game.severities[best],
                              expected_utilities=tuple(float(u) for u in utilities),
                              enforcement_probability=enforced,
                              declared_response_probability=game.follow_through * enforced)


def threshold_types(game: RedLineGame) -> tuple[float, ...]:
    """Probabilities of the K + 1 threshold types: T in (s_{j-1}, s_j], and T > s_K last.

    >>> game = red_line_game([1, 2, 3], [1.0, 2.0, 3.0], lambda s: s / 4, 0.5, 4.0)
    >>> threshold_types(game)
    (0.25, 0.25, 0.25, 0.25)
    """
    cdf = np.concatenate([[0.0], game.threshold_cdf, [1.0]])
    return tuple(float(m) for m in np.diff(cdf))
