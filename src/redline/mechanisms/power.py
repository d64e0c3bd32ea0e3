"""Power of the two sides and the contest success function.

Side s's power is the sum over its members and supporters of capability x
support level x (1 + military effect of the posture employed) x (1 - share
tied down on open secondary fronts), plus each open front's weight times the
share of its ground the side holds. The probability that side 0 prevails is
the ratio-form contest success function (Tullock 1980; Hirshleifer 1989)::

    p = P_0^m / (P_0^m + P_1^m)

with decisiveness m (m = 1: lottery; large m: the stronger side nearly
always wins). Each side's leader may hold a biased estimate of p (its
``optimism``); mutual optimism is one way bargaining fails (Fearon 1995;
Blainey 1973).
"""

from __future__ import annotations

from collections import namedtuple

import numpy as np
from numba import njit
from numpy.typing import NDArray

from redline.arrays.scenario_arrays import ScenarioArrays
from redline.arrays.state import State
from redline.mechanisms import changes as ch

NAME = "power"
STOCHASTIC = False
READS = ("capability", "support", "posture", "effect", "diverts", "front_open", "control",
         "front_weight")
WRITES = ("win_probability",)
SOURCE = "Tullock1980; Hirshleifer1989"

FloatArray = NDArray[np.float64]


def contest_success(power_a: FloatArray | float, power_b: FloatArray | float,
                    decisiveness: float) -> FloatArray:
    """P(A prevails) = P_A^m / (P_A^m + P_B^m) = 1 / (1 + (P_B / P_A)^m); 0.5 when both are zero.

    When m = 1 it is computed as P_A / (P_A + P_B), one division (the compiled
    kernel does the same; divisions were a measurable share of its decisions).
    Otherwise the ratio form needs no logarithm, and where (P_B / P_A)^m over-
    or underflows the result is the limit, 0 or 1.

    >>> float(contest_success(3.0, 1.0, 1.0))
    0.75
    """
    a = np.maximum(np.asarray(power_a, dtype=np.float64), 0.0)
    b = np.maximum(np.asarray(power_b, dtype=np.float64), 0.0)
    with np.errstate(divide="ignore", invalid="ignore", over="ignore", under="ignore"):
        ratio = b / a
        if decisiveness != 1.0:
            ratio = np.power(ratio, decisiveness)
        success = 1.0 / (1.0 + ratio)
        if decisiveness == 1.0:
            total = a + b
            success = np.where(total < np.inf, a / total, success)
    return np.asarray(np.where((a == 0) & (b == 0), 0.5, success))


def diverted_share(state: State) -> FloatArray:
    """(N, A): share of each actor's capability tied down on open fronts."""
    if state.diverts.shape[1] == 0:
        return np.zeros_like(state.capability)
    return np.clip((state.diverts * state.front_open[:, :, None]).sum(axis=1), 0.0, 1.0)


def actor_weight(state: State) -> FloatArray:
    """(N, A): capability x support x (1 - diverted share): what an actor brings."""
    return state.capability * state.support * (1.0 - diverted_share(state))


def posture_effect(state: State) -> FloatArray:
    """(N, A): the military effect of each actor's current posture."""
    return np.take_along_axis(state.effect, state.posture, axis=1)


def side_power(compiled: ScenarioArrays, state: State) -> FloatArray:
    """(N, 2): the power of each side."""
    contribution = actor_weight(state) * (1.0 + posture_effect(state))
    power = np.zeros((state.runs, 2))
    for side in (0, 1):
        power[:, side] = contribution[:, compiled.side_of == side].sum(axis=1)
    if compiled.front_ids:
        held_by_attacker = state.front_weight * state.control * state.front_open
        held_by_defender = state.front_weight * (1.0 - state.control) * state.front_open
        attacker_is_0 = compiled.front_attacker_side == 0
        power[:, 0] += np.where(attacker_is_0, held_by_attacker, held_by_defender).sum(axis=1)
        power[:, 1] += np.where(attacker_is_0, held_by_defender, held_by_attacker).sum(axis=1)
    return power


def update_power(compiled: ScenarioArrays, state: State) -> FloatArray:
    """Recompute side 0's chance to prevail; returns the side powers (N, 2)."""
    power = side_power(compiled, state)
    state.win_probability = contest_success(power[:, 0], power[:, 1],
                                            compiled.scenario.model.decisiveness)
    return power


# ------------------------------------------------------------------ the compiled step

#: The caches of the compiled step (bits of ``changes.STALE``): what each keeps for the run
#: being simulated, and the changes that make it stale (:mod:`redline.mechanisms.changes`).
WEIGHTS_CACHE = 1 << 3
ACTOR_POWER_CACHE = 1 << 4
SIDE_POWER_CACHE = 1 << 5
KERNEL_CACHES = {
    # each actor's capability x support x (1 - diverted share)
    "weights": (WEIGHTS_CACHE, ch.SUPPORT | ch.FRONTS),
    # the actors' part of each side's power: weights and postures
    "actor power": (ACTOR_POWER_CACHE, ch.POSTURE | ch.SUPPORT | ch.FRONTS),
    # each side's power as of the last power step, for the next week's decisions (postures
    # and control change only before the power step of the same week, which recomputes it)
    "side power": (SIDE_POWER_CACHE, ch.SUPPORT | ch.FRONTS),
}


#: A block's caches: each actor's weight, and ``kept``: the actors' part of each side's
#: power (``ACTOR_0``, ``ACTOR_1``) and each side's power at the last power step
#: (``SIDE_0``, ``SIDE_1``).
PowerWork = namedtuple("PowerWork", ["weight", "kept"])
ACTOR_0, ACTOR_1, SIDE_0, SIDE_1 = 0, 1, 2, 3


@njit(inline="always")
def power_work(model):  # pragma: no cover
    """The compiled step's arrays for a block of runs."""
    return PowerWork(np.zeros(model.side_of.shape[0]), np.zeros(4))
