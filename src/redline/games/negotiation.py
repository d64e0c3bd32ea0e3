r"""Bueno de Mesquita's expected utility model of group decisions, as replicated.

Actors ``i = 1..n`` hold a position ``x_i`` on one issue continuum, a
capability ``c_i >= 0`` and a salience ``s_i`` in [0, 1] (the share of its
attention the issue commands, also read as the probability that it resists a
challenge). Their weight in any contest is ``w_i = c_i s_i``. The model
[BuenoDeMesquita1994]_ is a sequence of rounds; in each round every actor
weighs challenging every other, offers are made, and every actor accepts the
best offer it receives. The outcome is forecast by the weighted median
position (the Condorcet winner [Black1948]_) when the rounds are done.

This module follows the replication of Scholz, Calbert and Smith
[Scholz2011]_, who assembled the model from the papers
[BuenoDeMesquita1985]_ [BuenoDeMesquita1994]_ and reproduced Bueno de
Mesquita's 10-actor European Community example (the date by which emission
standards for medium-sized cars should apply; ``example_actors()``). Each
round, with ``R`` the range of positions (see :class:`Conventions`):

1. **Median.** ``mu`` is the weighted median position, the Condorcet winner
   of the pairwise votes ``sum_k w_k (|x_k - x_b| - |x_k - x_a|) / R``.
2. **Votes and probabilities.** Actor ``k`` votes for ``a`` over ``b`` with
   ``v_k(a, b) = w_k [(|x_k - x_b| / R)^rho_k - (|x_k - x_a| / R)^rho_k]``
   (``rho_k = 1``; in the second pass ``rho_k = r_k`` when
   ``risk_adjusted_votes``). ``i`` prevails against ``j`` with
   ``P_ij = sum_k max(v_k(i, j), 0) / D``, where ``D`` sums ``|v|`` over all
   voters and all contests (this reproduces the published numbers) or over
   the voters of this contest only (the formula as printed).
3. **Utilities**, with ``d = |x_i - x_j| / R`` and risk exponent ``r``::

       U_s = 2 - 4 (0.5 - 0.5 d)^r        success (j moves to x_i)
       U_f = 2 - 4 (0.5 + 0.5 d)^r        failure (i moves to x_j)
       U_b = 2 - 4 (0.5 - 0.25 (|x_i - mu| + |x_i - x_j|) / R)^r
       U_w = 2 - 4 (0.5 + 0.25 (|x_i - mu| + |x_i - x_j|) / R)^r
       U_sq = 2 - 4 (0.5)^r               status quo

4. **Expected utility** of ``i`` challenging ``j`` (``Q`` the probability that
   nothing changes without a challenge, ``T = 1`` when the median is closer
   to ``x_i`` than ``x_j`` is)::

       E(U_ij) = s_j [P_ij U_s + (1 - P_ij) U_f] + (1 - s_j) U_s
                 - Q U_sq - (1 - Q) [T U_b + (1 - T) U_w]

5. **Risk.** With every ``r = 1``, actor ``i``'s exposure is
   ``S_i = sum_{j != i} E(U_ji)``, what the others expect from challenging
   it; ``R_i = (2 S_i - max S - min S) / (max S - min S)`` lies in [-1, 1]
   and ``r_i = (1 - R_i / 3) / (1 + R_i / 3)`` in [1/2, 2]. The expected
   utilities are then computed again with these exponents.
6. **Offers.** Actor ``i`` reads each other actor ``j`` from
   ``a = E(U_ij)`` and ``b = E(U_ji)`` (both with ``i``'s own exponent: it
   judges the dyad from its own point of view):

   - conflict, ``0 < a < b``: ``i`` expects to lose and moves to ``x_j``;
   - compromise, ``a <= 0 < b`` and ``|a| <= b``: ``i`` moves the fraction
     ``|a| / b`` of the way to ``x_j``;
   - capitulation, ``a < 0 < b`` and ``|a| > b``: ``i`` moves to ``x_j``;
   - stalemate, ``a <= 0`` and ``b <= 0``, and every dyad where ``i`` holds the
     upper hand: ``i`` does not move.

   Each actor accepts one offer: a lost conflict before a compromise before
   a capitulation (the order in which it gives up least ground), the least
   move among conflicts and capitulations, and among compromises the offer of
   the actor with the most to gain (the most enforceable). All actors move at
   once.

The conventions where the replication had to choose, or where the papers
disagree, are the fields of :class:`Conventions`; their defaults reproduce
the replication's published numbers (see
:mod:`redline.verify.negotiation_checks`).

>>> result = simulate_negotiation(example_actors(), rounds=1)
>>> round(float(result.mean[0]), 5), float(result.median[0])
(7.38996, 7.0)
>>> [(move.mover, move.kind, round(move.position, 5)) for move in result.interactions[0]]
[('Belgium', 'compromise', 8.41593), ('Luxembourg', 'conflict', 7.0), ('Ireland', 'conflict', 4.0)]
"""

from __future__ import annotations

import csv
import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from importlib import resources
from typing import Literal, NamedTuple

import numpy as np
from numpy.typing import NDArray

__all__ = [
    "Conventions",
    "Interaction",
    "NegotiationActor",
    "NegotiationResult",
    "classify",
    "example_actors",
    "expected_utilities",
    "risk_exponents",
    "simulate_negotiation",
    "weighted_median",
    "win_probabilities",
]

FloatArray = NDArray[np.float64]
Kind = Literal["conflict", "compromise", "capitulation", "stalemate"]

#: Kinds of offer an actor can accept, in the order it prefers them under the
#: replication's rule (least ground given up first).
MOVE_KINDS: tuple[Kind, ...] = ("conflict", "compromise", "capitulation")

EXAMPLE_FILE = "bdm-example-actors.csv"


@dataclass(frozen=True)
class NegotiationActor:
    """One actor of the negotiation.

    Parameters
    ----------
    name : str
        Display name (unique within a negotiation, for reading the results).
    capability : float
        Resources the actor can bring to bear on the issue, ``>= 0``.
    position : float
        Its preferred outcome on the issue continuum.
    salience : float
        How much the issue matters to it, in [0, 1].
    """

    name: str
    capability: float
    position: float
    salience: float


@dataclass(frozen=True)
class Conventions:
    """Switchable conventions of the model; the defaults are the replication's.

    Parameters
    ----------
    utility_range : {"initial", "current"}
        The range ``R`` that normalises position differences: the range of
        the initial positions, fixed for the run (replication), or the range
        of the positions at the start of each round. Both agree on the
        published example, whose extreme positions stay occupied.
    vote_weight : {"capability_salience", "capability"}
        Weight of an actor's vote in the probability of success: ``c s``
        (replication) or ``c`` alone.
    median_weight : {"capability_salience", "capability"}
        Weights of the median voter (the forecast): ``c s`` (replication) or
        ``c``. With ``status_quo_probability = 1`` the median does not feed
        back into the moves, so this changes the forecast only.
    probability_denominator : {"all_contests", "contest"}
        ``"all_contests"`` divides the votes for ``i`` over ``j`` by the sum
        of absolute votes over all voters and all ordered pairs of actors
        (this reproduces the published round, and is what a public port of
        the replication's code does); ``"contest"`` divides by the absolute
        votes on the contest ``i`` against ``j`` only, as the formula is
        printed, so that ``P_ij + P_ji = 1``.
    risk_adjusted_votes : bool
        In the second pass, voters compare positions through their risk
        exponents, ``(|x_k - x| / R)^r_k`` (needed for the published
        8.41593); otherwise votes stay linear in distance.
    risk : bool
        Compute risk exponents from security levels (the "risk" step); if
        false every ``r_i = 1`` (risk neutral).
    risk_scale : float
        ``k`` in ``r_i = (1 - R_i / k) / (1 + R_i / k)``; 3 bounds ``r_i`` to
        [1/2, 2] [BuenoDeMesquita1985]_. Must exceed 1.
    perspective : {"receiver", "own"}
        ``"receiver"``: an actor judges both ``E(U_ij)`` and ``E(U_ji)`` with
        its own exponent ``r_i`` (this reproduces the published round).
        ``"own"``: ``E(U_ji)`` is evaluated with ``r_j``, each expected
        utility from its holder's perspective.
    status_quo_probability : float
        ``Q``, the probability that nothing changes without a challenge. The
        replication chose 1.0 for the example (none was given); with
        ``Q < 1`` the median and the better/worse utilities enter.
    offer_order : {"kind", "enforceability", "least_move"}
        How an actor picks among the offers it receives: by kind (conflict,
        then compromise, then capitulation; replication), by the largest
        expected utility of the proposer (the most enforceable offer), or by
        the smallest move.
    compromise_choice : {"enforceable", "least_move"}
        Under ``offer_order="kind"``, which compromise an actor accepts when it
        has several: the proposer with the largest expected utility, or the
        smallest move. They part in round 4 of the example; the first follows
        the one-decimal series of the replication's conference version
        (ICAART 2011, Table 2: the median falls back to about 7.4 in round 6,
        then 8.8 and 9.6), the second does not.
    passive_without_salience : bool
        An actor with zero salience makes no offers. Not part of the
        replication, and not needed under its conventions: with
        ``perspective="receiver"`` and ``Q = 1``, ``E(U_ij) >= E(U_ji)`` whenever
        ``s_j = 0`` (``j`` never resists, so ``i`` expects full success), so an
        actor without salience never moves another. Under ``perspective="own"``
        or ``Q < 1`` it can; this switch rules it out.
    """

    utility_range: Literal["initial", "current"] = "initial"
    vote_weight: Literal["capability_salience", "capability"] = "capability_salience"
    median_weight: Literal["capability_salience", "capability"] = "capability_salience"
    probability_denominator: Literal["all_contests", "contest"] = "all_contests"
    risk_adjusted_votes: bool = True
    risk: bool = True
    risk_scale: float = 3.0
    perspective: Literal["receiver", "own"] = "receiver"
    status_quo_probability: float = 1.0
    offer_order: Literal["kind", "enforceability", "least_move"] = "kind"
    compromise_choice: Literal["enforceable", "least_move"] = "enforceable"
    passive_without_salience: bool = False

    def __post_init__(self) -> None:
        choices = {
            "utility_range": ("initial", "current"),
            "vote_weight": ("capability_salience", "capability"),
            "median_weight": ("capability_salience", "capability"),
            "probability_denominator": ("all_contests", "contest"),
            "perspective": ("receiver", "own"),
            "offer_order": ("kind", "enforceability", "least_move"),
            "compromise_choice": ("enforceable", "least_move"),
        }
        for name, allowed in choices.items():
            if getattr(self, name) not in allowed:
                raise ValueError(f"Conventions.{name} must be one of {allowed}, "
                                 f"not {getattr(self, name)!r}")
        if not (math.isfinite(self.risk_scale) and self.risk_scale > 1.0):
            raise ValueError(f"Conventions.risk_scale must exceed 1, not {self.risk_scale}")
        if not 0.0 <= self.status_quo_probability <= 1.0:
            raise ValueError("Conventions.status_quo_probability must lie in [0, 1], "
                             f"not {self.status_quo_probability}")


class Interaction(NamedTuple):
    """An accepted offer: ``mover`` moves to ``position`` because of ``proposer``."""

    mover: str
    proposer: str
    kind: Kind
    position: float


@dataclass(frozen=True, eq=False)
class NegotiationResult:
    """The trajectory of a negotiation.

    Attributes
    ----------
    names : tuple of str
        Actor names, in the order the actors were given.
    positions : ndarray, shape (rounds + 1, n)
        Positions at the start (row 0) and after each round.
    mean : ndarray, shape (rounds + 1,)
        Capability x salience weighted mean position.
    median : ndarray, shape (rounds + 1,)
        Weighted median position (weights per ``Conventions.median_weight``).
    risk_exponents : ndarray, shape (rounds, n)
        Each actor's risk exponent ``r_i`` in each round.
    interactions : tuple of tuple of Interaction
        The offers accepted in each round, movers in the order given.
    conventions : Conventions
        The conventions of the run.
    """

    names: tuple[str, ...]
    positions: FloatArray
    mean: FloatArray
    median: FloatArray
    risk_exponents: FloatArray
    interactions: tuple[tuple[Interaction, ...], ...]
    conventions: Conventions = field(default_factory=Conventions)

    @property
    def rounds(self) -> int:
        """Number of rounds simulated."""
        return int(self.positions.shape[0] - 1)

    @property
    def forecast(self) -> float:
        """The model's forecast of the outcome: the median position after the last round."""
        return float(self.median[-1])


# --------------------------------------------------------------------- pieces


def weighted_median(positions: FloatArray | Sequence[float],
                    weights: FloatArray | Sequence[float]) -> float:
    """Lower weighted median: the smallest position holding half the weight.

    For distance-based preferences this is the Condorcet winner among the
    actors' positions [Black1948]_ (on an exact tie of weight the lower of the
    two positions is taken).

    >>> weighted_median([4.0, 7.0, 10.0], [1.0, 1.0, 1.0])
    7.0
    >>> weighted_median([4.0, 10.0], [0.3, 0.7])
    10.0
    """
    x = np.asarray(positions, dtype=np.float64)
    w = np.asarray(weights, dtype=np.float64)
    order = np.lexsort((w, x))
    cumulative = np.cumsum(w[order])
    index = int(np.searchsorted(cumulative, 0.5 * cumulative[-1], side="left"))
    return float(x[order][min(index, x.size - 1)])


def win_probabilities(positions: FloatArray, weights: FloatArray, scale: float,
                      exponents: FloatArray | None = None,
                      denominator: Literal["all_contests", "contest"] = "all_contests",
                      ) -> FloatArray:
    """Probability ``P[i, j]`` that ``i`` prevails when it challenges ``j``.

    Parameters
    ----------
    positions, weights : ndarray, shape (n,)
        Positions and vote weights (``c s``) of the actors.
    scale : float
        The range ``R`` normalising distances.
    exponents : ndarray, shape (n,), optional
        Each voter's exponent on normalised distance (default 1: linear).
    denominator : {"all_contests", "contest"}
        See :class:`Conventions`.

    Returns
    -------
    ndarray, shape (n, n)
        ``P[i, j] = sum_k max(v_k(i, j), 0) / D``; zero where ``D = 0``.

    >>> p = win_probabilities(np.array([0.0, 1.0]), np.array([2.0, 1.0]), 1.0,
    ...                       denominator="contest")
    >>> p.round(4).tolist()
    [[0.0, 0.6667], [0.3333, 0.0]]
    """
    x = np.asarray(positions, dtype=np.float64)
    rho = np.ones_like(x) if exponents is None else np.asarray(exponents, dtype=np.float64)
    distance = (np.abs(x[:, None] - x[None, :]) / scale) ** rho[:, None]   # [voter, position]
    votes = weights[:, None, None] * (distance[:, None, :] - distance[:, :, None])
    support = np.clip(votes, 0.0, None).sum(axis=0)
    if denominator == "all_contests":
        total = np.full_like(support, np.abs(votes).sum())
    else:
        total = np.abs(votes).sum(axis=0)
    probability = np.divide(support, total, out=np.zeros_like(support), where=total > 0)
    np.fill_diagonal(probability, 0.0)
    return probability


def expected_utilities(positions: FloatArray, salience: FloatArray, probability: FloatArray,
                       exponent: FloatArray, scale: float, median: float,
                       status_quo_probability: float = 1.0) -> FloatArray:
    """Expected utility ``E[i, j]`` of ``i`` challenging ``j`` [Scholz2011]_.

    Parameters
    ----------
    positions, salience : ndarray, shape (n,)
        Positions and saliences.
    probability : ndarray, shape (n, n)
        ``P[i, j]`` from :func:`win_probabilities`.
    exponent : ndarray, broadcastable to (n, n)
        Risk exponent used for the dyad ``(i, j)``.
    scale : float
        The range ``R`` normalising distances.
    median : float
        The median position ``mu`` (enters only when ``Q < 1``).
    status_quo_probability : float
        ``Q``.

    Returns
    -------
    ndarray, shape (n, n)
        Zero on the diagonal.

    >>> e = expected_utilities(np.array([0.0, 1.0]), np.array([1.0, 1.0]),
    ...                        np.array([[0.0, 0.5], [0.5, 0.0]]), np.ones((2, 2)), 1.0, 0.0)
    >>> e.tolist()
    [[0.0, 0.0], [0.0, 0.0]]
    """
    x = np.asarray(positions, dtype=np.float64)
    r = np.broadcast_to(np.asarray(exponent, dtype=np.float64), (x.size, x.size))
    gap = np.abs(x[:, None] - x[None, :])
    d = gap / scale
    success = 2.0 - 4.0 * np.clip(0.5 - 0.5 * d, 0.0, None) ** r
    failure = 2.0 - 4.0 * (0.5 + 0.5 * d) ** r
    status_quo = 2.0 - 4.0 * 0.5 ** r
    resist = salience[None, :]
    utility = (resist * (probability * success + (1.0 - probability) * failure)
               + (1.0 - resist) * success - status_quo_probability * status_quo)
    if status_quo_probability < 1.0:
        to_median = np.abs(x - median)[:, None]
        spread = (to_median + gap) / scale
        better = 2.0 - 4.0 * np.clip(0.5 - 0.25 * spread, 0.0, None) ** r
        worse = 2.0 - 4.0 * (0.5 + 0.25 * spread) ** r
        improves = to_median < gap
        utility = utility - (1.0 - status_quo_probability) * np.where(improves, better, worse)
    np.fill_diagonal(utility, 0.0)
    return utility


def risk_exponents(security: FloatArray, risk_scale: float = 3.0) -> FloatArray:
    """Risk exponents ``r_i = (1 - R_i / k) / (1 + R_i / k)`` from security levels.

    ``R_i = (2 S_i - max S - min S) / (max S - min S)`` rescales each actor's
    exposure ``S_i`` (the others' expected utility of challenging it) to
    [-1, 1] [BuenoDeMesquita1985]_; all ``r_i = 1`` when every exposure is equal.

    >>> risk_exponents(np.array([0.0, 1.0, 2.0])).round(12).tolist()
    [2.0, 1.0, 0.5]
    """
    s = np.asarray(security, dtype=np.float64)
    low, high = float(s.min()), float(s.max())
    if not high > low:
        return np.ones_like(s)
    relative = (2.0 * s - high - low) / (high - low)
    return (1.0 - relative / risk_scale) / (1.0 + relative / risk_scale)


def classify(own: float, other: float) -> tuple[Kind, float] | None:
    """What actor ``i`` does in its dyad with ``j``, from ``i``'s point of view.

    Parameters
    ----------
    own : float
        ``E(U_ij)``, ``i``'s expected utility of challenging ``j``.
    other : float
        ``E(U_ji)``, ``j``'s expected utility of challenging ``i``.

    Returns
    -------
    tuple of (kind, fraction) or None
        The kind of interaction and the fraction of the way from ``x_i`` to
        ``x_j`` that ``i`` moves (1 for a lost conflict or a capitulation,
        ``|own| / other`` for a compromise, 0 for a stalemate); ``None`` when
        ``i`` holds the upper hand (``j`` would be the one to move).

    >>> classify(0.2, 0.5)
    ('conflict', 1.0)
    >>> classify(-0.1, 0.4)
    ('compromise', 0.25)
    >>> classify(-0.4, 0.1)
    ('capitulation', 1.0)
    >>> classify(-0.1, -0.2)
    ('stalemate', 0.0)
    >>> classify(0.5, 0.2) is None
    True
    """
    if own <= 0.0 and other <= 0.0:
        return "stalemate", 0.0
    if own > 0.0 and other > own:
        return "conflict", 1.0
    if own <= 0.0 < other:
        if -own <= other:
            return "compromise", -own / other
        return "capitulation", 1.0
    return None


# --------------------------------------------------------------------- model


def _validate(actors: Sequence[NegotiationActor], rounds: int) -> None:
    if isinstance(rounds, bool) or not isinstance(rounds, (int, np.integer)) or rounds < 0:
        raise ValueError(f"rounds must be a non-negative integer, not {rounds!r}")
    if len(actors) == 0:
        raise ValueError("a negotiation needs at least one actor")
    for actor in actors:
        if not math.isfinite(actor.position):
            raise ValueError(f"{actor.name}: position must be finite, not {actor.position}")
        if not (math.isfinite(actor.capability) and actor.capability >= 0.0):
            raise ValueError(f"{actor.name}: capability must be >= 0, not {actor.capability}")
        if not 0.0 <= actor.salience <= 1.0:
            raise ValueError(f"{actor.name}: salience must lie in [0, 1], not {actor.salience}")
    if not sum(actor.capability * actor.salience for actor in actors) > 0.0:
        raise ValueError("no actor has both capability and salience: nothing to forecast")


def _weights(capability: FloatArray, salience: FloatArray,
             kind: Literal["capability_salience", "capability"]) -> FloatArray:
    return capability * salience if kind == "capability_salience" else capability.copy()


def _choose(offers: list[tuple[int, Kind, float, float, float]], order: str,
            compromise_choice: str) -> tuple[int, Kind, float]:
    """Pick one offer ``(proposer, kind, new_position, move, proposer_eu)``."""
    def key(offer: tuple[int, Kind, float, float, float]) -> tuple[float, ...]:
        proposer, kind, position, move, strength = offer
        if order == "enforceability":
            return (-strength, move, position, proposer)
        if order == "least_move":
            return (move, -strength, position, proposer)
        rank = float(MOVE_KINDS.index(kind))
        if kind == "compromise" and compromise_choice == "enforceable":
            return (rank, -strength, move, position, proposer)
        return (rank, move, -strength, position, proposer)

    proposer, kind, position, _, _ = min(offers, key=key)
    return proposer, kind, position


def _round(x: FloatArray, c: FloatArray, s: FloatArray, scale: float, active: NDArray[np.bool_],
           conventions: Conventions) -> tuple[FloatArray, FloatArray,
                                               list[tuple[int, int, Kind, float]]]:
    """One round on canonically ordered actors: new positions, exponents, accepted offers."""
    n = x.size
    q = conventions.status_quo_probability
    votes = _weights(c, s, conventions.vote_weight)
    mu = weighted_median(x, _weights(c, s, conventions.median_weight))
    denominator = conventions.probability_denominator

    first = win_probabilities(x, votes, scale, None, denominator)
    if conventions.risk:
        neutral = expected_utilities(x, s, first, np.ones((n, n)), scale, mu, q)
        r = risk_exponents(neutral.sum(axis=0), conventions.risk_scale)
    else:
        r = np.ones(n)
    if conventions.risk_adjusted_votes and conventions.risk:
        probability = win_probabilities(x, votes, scale, r, denominator)
    else:
        probability = first
    own = expected_utilities(x, s, probability, r[:, None], scale, mu, q)
    if conventions.perspective == "receiver":
        other = expected_utilities(x, s, probability, r[None, :], scale, mu, q).T
    else:
        other = own.T

    new_x = x.copy()
    accepted: list[tuple[int, int, Kind, float]] = []
    for i in range(n):
        offers: list[tuple[int, Kind, float, float, float]] = []
        for j in range(n):
            if j == i or x[j] == x[i] or not active[j]:
                continue
            verdict = classify(float(own[i, j]), float(other[i, j]))
            if verdict is None or verdict[0] == "stalemate":
                continue
            kind, fraction = verdict
            position = float(x[j]) if fraction == 1.0 else float(x[i] + fraction * (x[j] - x[i]))
            offers.append((j, kind, position, abs(position - x[i]), float(other[i, j])))
        if offers:
            j, kind, position = _choose(offers, conventions.offer_order,
                                        conventions.compromise_choice)
            new_x[i] = position
            accepted.append((i, j, kind, position))
    return new_x, r, accepted


def simulate_negotiation(actors: Sequence[NegotiationActor], rounds: int = 10,
                         conventions: Conventions | None = None) -> NegotiationResult:
    """Run the expected utility model for a number of rounds.

    Parameters
    ----------
    actors : sequence of NegotiationActor
        The actors; at least one must have positive capability x salience.
    rounds : int
        Number of rounds of offers (the replication runs 10).
    conventions : Conventions, optional
        Modelling conventions; the replication's by default.

    Returns
    -------
    NegotiationResult
        Positions, weighted mean and median per round, risk exponents, the
        accepted offers of each round and the forecast.

    Raises
    ------
    ValueError
        On a negative capability, a salience outside [0, 1], a non-finite
        position, no actor with weight, or a negative number of rounds.

    Notes
    -----
    The result does not depend on the order in which the actors are given:
    they are processed in a canonical order (position, capability,
    salience, name), so that floating-point sums and ties are the same for
    any permutation.
    """
    conventions = conventions or Conventions()
    _validate(actors, rounds)
    names = np.array([actor.name for actor in actors])
    x0 = np.array([actor.position for actor in actors], dtype=np.float64)
    c = np.array([actor.capability for actor in actors], dtype=np.float64)
    s = np.array([actor.salience for actor in actors], dtype=np.float64)
    order = np.lexsort((names, s, c, x0))
    inverse = np.argsort(order)
    x, c, s = x0[order], c[order], s[order]
    canonical_names = names[order]
    active = s > 0.0 if conventions.passive_without_salience else np.ones(c.size, dtype=bool)
    mean_weights = c * s
    median_weights = _weights(c, s, conventions.median_weight)
    initial_scale = float(x.max() - x.min())

    positions = [x.copy()]
    exponents: list[FloatArray] = []
    interactions: list[tuple[Interaction, ...]] = []
    for _ in range(rounds):
        if conventions.utility_range == "initial":
            scale = initial_scale
        else:
            scale = float(x.max() - x.min())
        x, r, accepted = _round(x, c, s, scale if scale > 0.0 else 1.0, active, conventions)
        positions.append(x.copy())
        exponents.append(r)
        accepted.sort(key=lambda move: int(order[move[0]]))
        interactions.append(tuple(
            Interaction(str(canonical_names[i]), str(canonical_names[j]), kind, position)
            for i, j, kind, position in accepted))

    trajectory = np.array(positions)
    mean = (trajectory * mean_weights).sum(axis=1) / mean_weights.sum()
    median = np.array([weighted_median(row, median_weights) for row in trajectory])
    return NegotiationResult(
        names=tuple(str(name) for name in names),
        positions=trajectory[:, inverse],
        mean=mean,
        median=median,
        risk_exponents=(np.array(exponents) if exponents else np.empty((0, x.size)))[:, inverse],
        interactions=tuple(interactions),
        conventions=conventions,
    )


def example_actors() -> list[NegotiationActor]:
    """The 10-actor example of the replication (``bdm-example-actors.csv``).

    Bueno de Mesquita's European Community case: the date (years) by which
    emission standards for medium-sized cars should apply, as tabulated by
    [Scholz2011]_ (from [BuenoDeMesquita1994]_).

    >>> [actor.name for actor in example_actors()][:3]
    ['Netherlands', 'Belgium', 'Luxembourg']
    """
    text = resources.files("redline.data").joinpath(EXAMPLE_FILE).read_text(encoding="utf-8")
    rows = csv.DictReader(text.splitlines())
    return [NegotiationActor(name=row["Actor"], capability=float(row["Capability"]),
                             position=float(row["Position"]), salience=float(row["Salience"]))
            for row in rows]
