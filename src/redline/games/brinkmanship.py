"""Brinkmanship: the threat that leaves something to chance (Cuban missile crisis).

Schelling's probabilistic threat ([Schelling1960]_, ch. 8; [Schelling1966]_) in
the form of [DixitSkeath2015]_, ch. 14. A threatener (the United States)
either makes no threat, and gets u_N, or demands that the adversary (the
Soviet Union) comply and backs the demand with a risk q of mutual disaster
if it does not. The adversary is *hard-line* with probability p and
*soft-line* otherwise, and knows its type. If it complies the payoffs are
(u_C, v_C); if it defies, disaster (u_W, v_W) strikes with probability q and
otherwise the threatener backs down, (u_A, v_A).

A type complies iff ``v_C >= q v_W + (1 - q) v_A``, i.e. iff::

    q >= (v_A - v_C) / (v_A - v_W).

Effectiveness: the threat must make the soft-liners comply, so q must be at
least their threshold::

    q_low = (v_A^soft - v_C^soft) / (v_A^soft - v_W^soft).

The hard-liners prefer the risk to compliance at every q (their v_W exceeds
their v_C; their threshold is above 1). Acceptability: given that the
soft-liners comply and the hard-liners defy, the threatener must prefer the
threat to none::

    (1 - p) u_C + p (q u_W + (1 - q) u_A) >= u_N
    <=>  q <= q_high = ((1 - p) u_C + p u_A - u_N) / (p (u_A - u_W)).

The threat is both effective and acceptable on the window [q_low, q_high],
non-empty iff q_low <= q_high. With Dixit and Skeath's payoffs (United
States: 1 if the Soviets withdraw, -2 if the missiles stay, -10 for nuclear
war, and u_N = -2; soft-line Soviets: -2 for withdrawing, 1 if the missiles
stay, -8 for war)::

    q_low = (1 + 2) / (1 + 8) = 1/3,    q_high = 3 (1 - p) / (8 p) = 0.375 (1 - p) / p,

and the window is open iff p <= 9/17 (about 0.53). The hard-liners' payoffs
here are our encoding of "defy whatever the risk" (withdrawing -8, war -4,
missiles stay 1); only their ordering matters.
"""

from __future__ import annotations

from dataclasses import dataclass

__all__ = [
    "AdversaryType",
    "BrinkmanshipGame",
    "BrinkmanshipOutcome",
    "acceptability_bound",
    "brinkmanship_outcome",
    "compliance_threshold",
    "cuban_missile_crisis",
    "effectiveness_bound",
    "threat_window",
]


@dataclass(frozen=True)
class AdversaryType:
    """An adversary type's payoffs: comply, defy and the threatener backs down, disaster."""

    comply: float
    acquiesce: float
    disaster: float


@dataclass(frozen=True)
class BrinkmanshipGame:
    """A probabilistic threat against an adversary of unknown type.

    Attributes
    ----------
    p_hard : probability that the adversary is hard-line.
    comply, acquiesce, disaster : threatener's payoffs u_C, u_A, u_W.
    no_threat : threatener's payoff u_N when it makes no threat.
    soft, hard : the adversary types' payoffs.
    adversary_no_threat : the adversary's payoff when no threat is made.

    """

    p_hard: float
    comply: float
    acquiesce: float
    disaster: float
    no_threat: float
    soft: AdversaryType
    hard: AdversaryType
    adversary_no_threat: float = 1.0


def cuban_missile_crisis(p_hard: float) -> BrinkmanshipGame:
    """Dixit and Skeath's Cuban missile crisis payoffs (see the module docstring).

    >>> cuban_missile_crisis(0.5).disaster
    -10.0
    """
    return BrinkmanshipGame(p_hard=p_hard, comply=1.0, acquiesce=-2.0, disaster=-10.0,
                            no_threat=-2.0, soft=AdversaryType(-2.0, 1.0, -8.0),
                            hard=AdversaryType(-8.0, 1.0, -4.0))


def compliance_threshold(kind: AdversaryType) -> float:
    """Smallest risk q at which a type complies, ``(v_A - v_C) / (v_A - v_W)``.

    Infinite when the type prefers disaster to compliance (it never complies).

    >>> round(compliance_threshold(AdversaryType(-2.0, 1.0, -8.0)), 12)
    0.333333333333
    """
    if kind.disaster >= kind.comply:
        return float("inf")
    if kind.acquiesce <= kind.comply:
        return 0.0
    return (kind.acquiesce - kind.comply) / (kind.acquiesce - kind.disaster)


def effectiveness_bound(game: BrinkmanshipGame) -> float:
    """q_low: the smallest risk that makes the soft-liners comply."""
    return compliance_threshold(game.soft)


def acceptability_bound(game: BrinkmanshipGame) -> float:
    """q_high: the largest risk the threatener accepts when the hard-liners defy.

    ``((1 - p) u_C + p u_A - u_N) / (p (u_A - u_W))``; infinite when p = 0.

    >>> round(acceptability_bound(cuban_missile_crisis(0.5)), 12)
    0.375
    """
    p = game.p_hard
    if p <= 0.0:
        return float("inf")
    return ((1.0 - p) * game.comply + p * game.acquiesce - game.no_threat) / (
        p * (game.acquiesce - game.disaster))


def threat_window(game: BrinkmanshipGame) -> tuple[float, float]:
    """The window [q_low, q_high] of effective and acceptable risks (empty if low > high).

    >>> low, high = threat_window(cuban_missile_crisis(1 / 3))
    >>> round(low, 12), round(high, 12)
    (0.333333333333, 0.75)
    """
    return effectiveness_bound(game), acceptability_bound(game)


@dataclass(frozen=True)
class BrinkmanshipOutcome:
    """Subgame-perfect play at a given risk q.

    Attributes
    ----------
    threaten : whether the threatener makes the threat.
    soft_complies, hard_complies : each type's response to the threat.
    threat_value : the threatener's expected payoff of threatening.
    disaster_probability : probability of disaster on the equilibrium path.

    """

    threaten: bool
    soft_complies: bool
    hard_complies: bool
    threat_value: float
    disaster_probability: float


def brinkmanship_outcome(game: BrinkmanshipGame, q: float) -> BrinkmanshipOutcome:
    """Backward induction at risk ``q``: each type responds, then the threatener decides.

    >>> brinkmanship_outcome(cuban_missile_crisis(0.5), 0.35).threaten
    True
    >>> brinkmanship_outcome(cuban_missile_crisis(0.5), 0.30).threaten  # not effective
    False
    """
    def complies(kind: AdversaryType) -> bool:
        return kind.comply >= q * kind.disaster + (1.0 - q) * kind.acquiesce

    soft, hard = complies(game.soft), complies(game.hard)
    defy = q * game.disaster + (1.0 - q) * game.acquiesce
    p = game.p_hard
    value = (1.0 - p) * (game.comply if soft else defy) + p * (game.comply if hard else defy)
    threaten = value > game.no_threat
    risk = q * ((1.0 - p) * (not soft) + p * (not hard)) if threaten else 0.0
    return BrinkmanshipOutcome(threaten=bool(threaten), soft_complies=soft, hard_complies=hard,
                               threat_value=value, disaster_probability=risk)
