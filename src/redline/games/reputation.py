"""Reputation and bluffing: the finite chain store and stripped-down poker.

Both games turn on one device: a *weak* type imitates a *strong* one with
just the probability that leaves the other side indifferent, and Bayes' rule
then sets the reputation. If the strong type always sends the signal and the
weak type sends it with probability beta, the posterior that the sender is
strong after the signal is::

    mu = p / (p + (1 - p) beta),

so the bluff that lifts a prior p to a target posterior mu* (when p < mu*) is::

    beta = p (1 - mu*) / ((1 - p) mu*).                      (bluff_probability)

Chain store with incomplete information ([KrepsWilson1982]_;
[MilgromRoberts1982]_). An incumbent meets N entrants in turn. Each entrant
stays out (payoff 0) or enters; if it enters, the incumbent fights (entrant
b - 1) or acquiesces (entrant b), with 0 < b < 1. The incumbent is *strong*
(it always fights) with prior probability p_N, and *weak* otherwise; a weak
incumbent gets a > 1 when an entrant stays out, 0 when it acquiesces and -1
when it fights. Number the stages by the entrants still to come, k = N, ...,
1, and let p_k be the reputation (probability of strong) at stage k. The
sequential equilibrium of Kreps and Wilson is:

* entrant k enters if p_k < b^k, stays out if p_k > b^k, and stays out with
  probability 1/a if p_k = b^k;
* the weak incumbent acquiesces at the last stage (k = 1); at k > 1 it fights
  if p_k >= b^(k-1), and otherwise fights with probability::

      beta_k = (1 - b^(k-1)) p_k / ((1 - p_k) b^(k-1)),

  the bluff that lifts the reputation exactly to b^(k-1);
* beliefs follow Bayes' rule: after a fight p_(k-1) = max(p_k, b^(k-1))
  (for p_k > 0), after acquiescence p_(k-1) = 0, and after no entry
  p_(k-1) = p_k.

An entrant facing p_k < b^(k-1) is fought with probability p_k / b^(k-1), so
entering is worth b - p_k / b^(k-1), positive iff p_k < b^k: the reputation
thresholds b^k. The weak incumbent is willing to mix because the continuation
value of reputation b^(k-1) at stage k - 1 is exactly 1, the cost of a fight:
entrant k - 1 is then indifferent and stays out with probability 1/a, worth
(1/a) a = 1, and every later stage is worth 0 at the mixing reputations.

Stripped-down poker ([Reiley2008]_; the example game ``stripped_down_poker.efg``
of [Gambit2016]_). Each player antes 1. Player 1 is dealt a King or a Queen
with probability 1/2 each and sees it; she bets 1 more or folds (losing 1).
Player 2 calls or folds after a bet: a fold gives Player 1 +1, a call gives
+2 with the King and -2 with the Queen. Player 1 always bets the King. The
Queen bluffs with probability beta and Player 2 calls with probability
gamma. Player 2 is indifferent iff the posterior on the King after a bet is
mu* with ``-2 mu* + 2 (1 - mu*) = -1``, i.e. mu* = 3/4, so beta =
(1/2)(1/4)/((1/2)(3/4)) = 1/3; the Queen is indifferent iff ``-2 gamma + (1 -
gamma) = -1``, i.e. gamma = 2/3. The value of the game to Player 1 is 1/3.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from functools import lru_cache

__all__ = [
    "BluffingEquilibrium",
    "BluffingGame",
    "ChainStore",
    "ChainStoreStage",
    "bluff_probability",
    "chain_store_stage",
    "entry_probability",
    "fight_probability",
    "posterior_after_signal",
    "reputation_threshold",
    "solve_bluffing",
    "stripped_down_poker",
    "weak_incumbent_value",
]

_TIE = 1e-12


def posterior_after_signal(prior: float, bluff: float) -> float:
    """Bayes' rule: P(strong | signal) when strong always signals and weak with ``bluff``.

    >>> posterior_after_signal(0.5, 1 / 3)
    0.75
    """
    if prior <= 0.0:
        return 0.0
    return prior / (prior + (1.0 - prior) * bluff)


def bluff_probability(prior: float, target: float) -> float:
    """The weak type's signalling probability that lifts ``prior`` to posterior ``target``.

    ``p (1 - mu*) / ((1 - p) mu*)``, capped at 1 (a prior at or above the
    target needs no mixing: the weak type always signals).

    >>> round(bluff_probability(0.5, 0.75), 12)
    0.333333333333
    """
    if prior >= target:
        return 1.0
    return prior * (1.0 - target) / ((1.0 - prior) * target)


# ----------------------------------------------------------------- chain store


@dataclass(frozen=True)
class ChainStore:
    """Kreps and Wilson's chain store.

    Attributes
    ----------
    entrants : N, the number of entrants.
    a : weak incumbent's payoff when an entrant stays out (> 1).
    b : entrant's payoff when the incumbent acquiesces (0 < b < 1).
    prior : p_N, the initial probability that the incumbent is strong.

    """

    entrants: int
    a: float
    b: float
    prior: float

    def __post_init__(self) -> None:
        if not (self.a > 1.0 and 0.0 < self.b < 1.0 and 0.0 <= self.prior <= 1.0):
            raise ValueError("chain store needs a > 1, 0 < b < 1 and a prior in [0, 1]")


def reputation_threshold(b: float, stage: int) -> float:
    """b^k: entrant k enters iff the reputation is below it.

    >>> reputation_threshold(0.5, 3)
    0.125
    """
    return b**stage


def entry_probability(reputation: float, stage: int, a: float, b: float) -> float:
    """Probability that entrant ``stage`` enters (1 below b^k, 0 above, 1 - 1/a at b^k).

    >>> entry_probability(0.5, 1, 2.0, 0.5)
    0.5
    """
    threshold = reputation_threshold(b, stage)
    if math.isclose(reputation, threshold, rel_tol=_TIE, abs_tol=_TIE):
        return 1.0 - 1.0 / a
    return 1.0 if reputation < threshold else 0.0


def fight_probability(reputation: float, stage: int, b: float) -> float:
    """Weak incumbent's probability of fighting an entry at ``stage``.

    0 at the last stage; 1 if p_k >= b^(k-1); else the bluff
    ``(1 - b^(k-1)) p_k / ((1 - p_k) b^(k-1))``.

    >>> fight_probability(0.2, 2, 0.5)
    0.25
    """
    if stage <= 1:
        return 0.0
    return bluff_probability(reputation, reputation_threshold(b, stage - 1))


@dataclass(frozen=True)
class ChainStoreStage:
    """Equilibrium play at one stage of the chain store.

    Attributes
    ----------
    stage : k, the number of entrants still to come (this one included).
    reputation : p_k.
    threshold : b^k.
    entry : probability that entrant k enters.
    fight : weak incumbent's probability of fighting an entry.
    fought : probability that an entry is fought, ``p_k + (1 - p_k) fight``.
    posterior_after_fight : p_(k-1) after a fight.

    """

    stage: int
    reputation: float
    threshold: float
    entry: float
    fight: float
    fought: float
    posterior_after_fight: float


def chain_store_stage(reputation: float, stage: int, a: float, b: float) -> ChainStoreStage:
    """The sequential-equilibrium strategies and beliefs at one stage.

    >>> s = chain_store_stage(0.2, 2, 2.0, 0.5)
    >>> s.entry, s.fight, s.posterior_after_fight
    (1.0, 0.25, 0.5)
    """
    fight = fight_probability(reputation, stage, b)
    return ChainStoreStage(
        stage=stage, reputation=reputation, threshold=reputation_threshold(b, stage),
        entry=entry_probability(reputation, stage, a, b), fight=fight,
        fought=reputation + (1.0 - reputation) * fight,
        posterior_after_fight=posterior_after_signal(reputation, fight))


def weak_incumbent_value(reputation: float, stage: int, a: float, b: float) -> float:
    """The weak incumbent's equilibrium payoff from stage k on (undiscounted sum).

    ``V_k(p) = (1 - e)(a + V_(k-1)(p)) + e beta (V_(k-1)(p') - 1)``, V_0 = 0,
    with e the entry probability, beta the fight probability and p' the
    posterior after a fight (acquiescence leads to reputation 0, worth 0).

    >>> weak_incumbent_value(0.5, 1, 2.0, 0.5)  # at b^1 the entrant stays out w.p. 1/a
    1.0
    """
    return _value(float(reputation), int(stage), float(a), float(b))


@lru_cache(maxsize=1024)
def _value(reputation: float, stage: int, a: float, b: float) -> float:
    if stage == 0:
        return 0.0
    s = chain_store_stage(reputation, stage, a, b)
    stay_out = a + _value(reputation, stage - 1, a, b)
    fought = s.fight * (_value(s.posterior_after_fight, stage - 1, a, b) - 1.0) if s.fight else 0.0
    return (1.0 - s.entry) * stay_out + s.entry * fought


# ----------------------------------------------------------------- bluffing


@dataclass(frozen=True)
class BluffingGame:
    """A sender of strong or weak type raises or folds; a receiver calls or folds a raise.

    Payoffs are the sender's (``sender_*``) and receiver's (``receiver_*``).
    The strong type always raises; the weak type's payoffs must satisfy
    raise-and-fold > fold > raise-and-call, and the receiver's
    call-against-weak > fold > call-against-strong.

    Attributes
    ----------
    prior : probability that the sender is strong.
    strong_raise_call, strong_raise_fold, strong_fold : strong sender's payoffs.
    weak_raise_call, weak_raise_fold, weak_fold : weak sender's payoffs.
    receiver_call_strong, receiver_call_weak, receiver_fold : receiver's payoffs.

    """

    prior: float
    strong_raise_call: float
    strong_raise_fold: float
    strong_fold: float
    weak_raise_call: float
    weak_raise_fold: float
    weak_fold: float
    receiver_call_strong: float
    receiver_call_weak: float
    receiver_fold: float


def stripped_down_poker() -> BluffingGame:
    """Reiley et al.'s stripped-down poker (Gambit's ``stripped_down_poker.efg``).

    >>> stripped_down_poker().weak_raise_call
    -2.0
    """
    return BluffingGame(prior=0.5, strong_raise_call=2.0, strong_raise_fold=1.0,
                        strong_fold=-1.0, weak_raise_call=-2.0, weak_raise_fold=1.0,
                        weak_fold=-1.0, receiver_call_strong=-2.0, receiver_call_weak=2.0,
                        receiver_fold=-1.0)


@dataclass(frozen=True)
class BluffingEquilibrium:
    """The (semi-separating) equilibrium of a bluffing game.

    Attributes
    ----------
    bluff : weak type's probability of raising.
    call : receiver's probability of calling a raise.
    posterior : receiver's belief that a raiser is strong.
    indifference_posterior : mu*, the belief at which the receiver is indifferent.
    sender_value : sender's ex-ante expected payoff.

    """

    bluff: float
    call: float
    posterior: float
    indifference_posterior: float
    sender_value: float


def solve_bluffing(game: BluffingGame) -> BluffingEquilibrium:
    """Weak type bluffs so that the receiver is indifferent, and the receiver calls so that it is.

    ``mu* = (r_cw - r_f) / (r_cw - r_cs)``; if the prior is below mu* the weak
    type bluffs with ``p (1 - mu*) / ((1 - p) mu*)`` and the receiver calls
    with ``gamma = (w_rf - w_f) / (w_rf - w_rc)``. If the prior is above mu*,
    the weak type always raises and the receiver always folds.

    >>> eq = solve_bluffing(stripped_down_poker())
    >>> round(eq.bluff, 12), round(eq.call, 12), round(eq.sender_value, 12)
    (0.333333333333, 0.666666666667, 0.333333333333)
    """
    g = game
    if not g.receiver_call_weak > g.receiver_fold > g.receiver_call_strong:
        raise ValueError("receiver must gain by calling a bluff and lose by calling the strong")
    if not g.weak_raise_fold > g.weak_fold > g.weak_raise_call:
        raise ValueError("weak sender must gain by a successful bluff and lose when called")
    target = (g.receiver_call_weak - g.receiver_fold) / (g.receiver_call_weak
                                                        - g.receiver_call_strong)
    if g.prior < target:
        bluff = bluff_probability(g.prior, target)
        call = (g.weak_raise_fold - g.weak_fold) / (g.weak_raise_fold - g.weak_raise_call)
    else:
        bluff, call = 1.0, 0.0
    strong = call * g.strong_raise_call + (1.0 - call) * g.strong_raise_fold
    if strong < g.strong_fold:
        raise ValueError("the strong type must prefer raising")
    weak_raise = call * g.weak_raise_call + (1.0 - call) * g.weak_raise_fold
    weak = bluff * weak_raise + (1.0 - bluff) * g.weak_fold
    return BluffingEquilibrium(bluff=bluff, call=call,
                               posterior=posterior_after_signal(g.prior, bluff),
                               indifference_posterior=target,
                               sender_value=g.prior * strong + (1.0 - g.prior) * weak)
