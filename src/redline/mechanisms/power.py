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

import math
from collections import namedtuple

import numpy as np
from llvmlite import ir
from numba import njit
from numba.core import cgutils, types
from numba.extending import intrinsic
from numpy.typing import NDArray

from redline.arrays.scenario_arrays import ScenarioArrays
from redline.arrays.state import State
from redline.mechanisms import changes as ch
from redline.mechanisms.mechanism import Mechanism, Week

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


@njit(cache=True, error_model="numpy")
def contest_success_at(a, b, decisiveness):  # pragma: no cover
    """:func:`contest_success` of one pair of powers: 1 / (1 + (B / A)^m), A / (A + B) if m = 1.

    0.5 when both are zero.
    """
    a = max(a, 0.0)
    b = max(b, 0.0)
    if a == 0.0 and b == 0.0:
        return 0.5
    total = a + b
    if decisiveness == 1.0 and total < math.inf:  # one division (as contest_success)
        return a / total
    return 1.0 / (1.0 + power_at(b / a, decisiveness))


@intrinsic
def _c_pow(typingctx, x, y):  # type: ignore[no-untyped-def]  # pragma: no cover
    """A call to the C library's pow that the optimiser cannot hoist out of a branch.

    LLVM treats its ``llvm.pow`` intrinsic as free of side effects and may
    compute it on both sides of ``if exponent == 1.0`` (measured: pow(x, 1)
    calls were the largest single cost of the decisions). The C function may
    set errno, so a call to it stays inside its branch.
    """
    signature = types.float64(types.float64, types.float64)

    def codegen(context, builder, sig, args):  # type: ignore[no-untyped-def]
        double = ir.DoubleType()
        function = cgutils.get_or_insert_function(
            builder.module, ir.FunctionType(double, [double, double]), "pow")
        return builder.call(function, args)

    return signature, codegen


@njit(cache=True, error_model="numpy")
def power_at(x, exponent):  # pragma: no cover
    """Return x ** exponent, without calling pow for the exponents 0 and 1 (same result)."""
    if exponent == 1.0:
        return x
    if exponent == 0.0:
        return 1.0
    return _c_pow(x, exponent)


@njit(inline="always")
def actor_weights(model, st, work, n):  # pragma: no cover
    """:func:`actor_weight` of run ``n``'s actors (``work.power.weight``), kept until stale."""
    weight = work.power.weight
    if ch.is_stale(work.marks, WEIGHTS_CACHE):
        diverts, front_open = st.diverts, st.front_open
        for a in range(weight.shape[0]):
            diverted = 0.0
            for f in range(front_open.shape[1]):
                diverted += diverts[n, f, a] * front_open[n, f]
            diverted = min(max(diverted, 0.0), 1.0)
            weight[a] = st.capability[n, a] * st.support[n, a] * (1.0 - diverted)
        ch.refreshed(work.marks, WEIGHTS_CACHE)
    return weight


@njit(inline="always")
def actor_power_at(model, st, work, n):  # pragma: no cover
    """The actors' part of each side's power in run ``n`` (weights and postures), kept."""
    kept = work.power.kept
    if ch.is_stale(work.marks, ACTOR_POWER_CACHE):
        weight = actor_weights(model, st, work, n)
        side_of, effect, posture = model.side_of, st.effect, st.posture
        power_0 = 0.0
        power_1 = 0.0
        for a in range(side_of.shape[0]):
            contribution = weight[a] * (1.0 + effect[n, posture[n, a]])
            if side_of[a] == 0:
                power_0 += contribution
            elif side_of[a] == 1:
                power_1 += contribution
        kept[ACTOR_0] = power_0
        kept[ACTOR_1] = power_1
        ch.refreshed(work.marks, ACTOR_POWER_CACHE)
    return kept[ACTOR_0], kept[ACTOR_1]


@njit(inline="always")
def side_power_at(model, st, work, n):  # pragma: no cover
    """:func:`side_power` of run ``n``: the actors' part plus the ground each side holds."""
    power_0, power_1 = actor_power_at(model, st, work, n)
    n_fronts = st.front_open.shape[1]
    if n_fronts > 0:
        front_weight, control, front_open = st.front_weight, st.control, st.front_open
        ground_0 = 0.0
        ground_1 = 0.0
        for f in range(n_fronts):
            held_by_attacker = front_weight[n, f] * control[n, f] * front_open[n, f]
            held_by_defender = front_weight[n, f] * (1.0 - control[n, f]) * front_open[n, f]
            if model.attacker_side[f] == 0:
                ground_0 += held_by_attacker
                ground_1 += held_by_defender
            else:
                ground_0 += held_by_defender
                ground_1 += held_by_attacker
        power_0 += ground_0
        power_1 += ground_1
    return power_0, power_1


@njit(inline="always")
def update_power_kernel(model, st, work, n, run, week, key):  # pragma: no cover
    """:func:`update_power` for run ``n``; the sides' powers are kept for next week's decisions."""
    power_0, power_1 = side_power_at(model, st, work, n)
    work.power.kept[SIDE_0] = power_0
    work.power.kept[SIDE_1] = power_1
    st.win_probability[n] = contest_success_at(power_0, power_1, model.decisiveness)
    ch.refreshed(work.marks, SIDE_POWER_CACHE)


def reference_step(week: Week, state: State, uniforms: FloatArray) -> None:
    """The reference engine's week: :func:`update_power`."""
    update_power(week.compiled, state)


#: The mechanism's declaration (:class:`redline.mechanisms.mechanism.Mechanism`).
MECHANISM = Mechanism(
    key="power",
    name="power",
    summary="each side's power; side 0's chance to prevail by the contest success function",
    reads=("capability", "support", "posture", "effect", "diverts", "front_open", "control",
           "front_weight"),
    writes=("win_probability",),
    draws="none",
    reference=reference_step,
    kernel=update_power_kernel,
    sources=("Tullock1980", "Hirshleifer1989"),
    caches=KERNEL_CACHES,
)
