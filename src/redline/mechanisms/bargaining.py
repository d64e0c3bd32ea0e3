"""Bargaining in the shadow of war, with trust and the commitment problem.

Fearon (1995): the issue is a share x in [0, 1] to side A. War gives A the
value p - c_A and B the value 1 - p - c_B, so every x in the bargaining range
[p - c_A, p + c_B] is better for both than war. Here each side uses its own
estimate of p (``optimism``), its perceived cost c = war_cost x (1 - resolve)
x (1 + growth x cost_sensitivity x accumulated costs) (war weariness), and
values a deal by its trust tau that the other keeps it: a broken deal leaves
it at war again, worse placed by the power shift d (Powell 2006)::

    accept x  iff  tau x + (1 - tau)(W - d) >= W  iff  x >= W + d (1 - tau) / tau

for A with W = W_A (and symmetrically for B on 1 - x). With tau = 1 this is
Fearon's range; low trust or a large shift empties it: the commitment
problem. When a range exists, talks strike a deal with the weekly hazard of
talks, at the range's midpoint or, where the scenario gives actors' positions
and saliences, at the expected utility model's forecast clipped to the range
(Bueno de Mesquita 1994; Scholz et al. 2011); a deal breaks each week with hazard break_hazard x
(1 - trust), and the side that breaks it loses the other's trust.

Trades: a ``concede`` action of side A worth v to B (a side payment, or a
concession on a linked issue) makes B accept v less of the issue itself, so
the range's upper end rises by v (and a concession by B lowers its lower end
by v), from the week its policy fires::

    [low - v_B, high + v_A],   v_S = sum of the fired concessions of side S

Issue linkage creates agreements where the issue alone has none (Morgan 1990;
Tollison and Willett 1979), and moves the terms: the deal's share of the issue
shifts towards the side that paid.
"""

from __future__ import annotations

import math

import numpy as np
from numba import njit
from numpy.typing import NDArray

from redline.arrays.scenario_arrays import ScenarioArrays
from redline.arrays.state import State
from redline.arrays.streams import uniform_at
from redline.mechanisms import changes as ch
from redline.mechanisms.mechanism import Mechanism, Week
from redline.mechanisms.trust import leader_trust, leaders_trust

FloatArray = NDArray[np.float64]


def bargaining_range(p: FloatArray | float, cost_a: FloatArray | float,
                     cost_b: FloatArray | float) -> tuple[FloatArray, FloatArray]:
    """Fearon's bargaining range (p - c_A, p + c_B).

    >>> low, high = bargaining_range(0.6, 0.1, 0.15)
    >>> round(float(low), 10), round(float(high), 10)
    (0.5, 0.75)
    """
    p = np.asarray(p, dtype=np.float64)
    return p - np.asarray(cost_a), p + np.asarray(cost_b)


def acceptable_range(p_a: FloatArray, p_b: FloatArray, cost_a: FloatArray, cost_b: FloatArray,
                     trust_a: FloatArray, trust_b: FloatArray, shift: float
                     ) -> tuple[FloatArray, FloatArray]:
    """Shares x to A acceptable to both, given beliefs, costs, trust and power shift.

    ``p_a`` is A's estimate of its chance to prevail, ``p_b`` B's estimate of
    its own. Returns (low, high); a deal exists where low <= high.
    """
    eps = 1e-9
    low = p_a - cost_a + shift * (1.0 - trust_a) / np.maximum(trust_a, eps)
    high = 1.0 - (p_b - cost_b + shift * (1.0 - trust_b) / np.maximum(trust_b, eps))
    return low, high


def perceived_cost(compiled: ScenarioArrays, state: State, actor: int) -> FloatArray:
    """The actor's perceived cost of fighting on, relative to the stakes (N,)."""
    growth = compiled.scenario.model.war_cost_growth
    weariness = 1.0 + growth * state.cost_sensitivity[:, actor] * state.costs[:, actor]
    return state.war_cost[:, actor] * (1.0 - state.resolve[:, actor]) * weariness


def bargain(compiled: ScenarioArrays, state: State, uniforms: FloatArray) -> None:
    """Strike, keep or break deals (``uniforms``: row 0 talks, row 1 breaking)."""
    settings = compiled.scenario.model
    leader_a, leader_b = compiled.leaders
    alive = state.alive
    p = state.win_probability
    p_a = np.clip(p + state.optimism[:, leader_a], 0.0, 1.0)
    p_b = np.clip(1.0 - p + state.optimism[:, leader_b], 0.0, 1.0)
    trust = leader_trust(compiled, state)
    low, high = acceptable_range(p_a, p_b, perceived_cost(compiled, state, leader_a),
                                 perceived_cost(compiled, state, leader_b),
                                 trust[:, 0], trust[:, 1], settings.power_shift)
    conceded = concessions(compiled, state)
    low, high = low - conceded[:, 1], high + conceded[:, 0]
    # deals in force may break
    hazard = settings.break_hazard * (1.0 - trust.min(axis=1))
    breaks = alive & state.settled & (uniforms[1] < hazard)
    breaker_is_a = uniforms[1] < hazard / 2.0
    state.deals_broken[:, 0] += breaks & breaker_is_a
    state.deals_broken[:, 1] += breaks & ~breaker_is_a
    state.settled &= ~breaks
    state.broken_ever |= breaks
    # talks among the runs still fighting
    deal = alive & ~state.settled & ~breaks & (low <= high) & (uniforms[0] < state.talks_hazard)
    state.settled |= deal
    state.settled_ever |= deal
    state.terms = np.where(deal, deal_terms(compiled, low, high), state.terms)


def concessions(compiled: ScenarioArrays, state: State) -> FloatArray:
    """(N, 2): the worth of each side's fired concessions to the other side (module docstring)."""
    conceded = np.zeros((state.runs, 2))
    for k, (policy, side) in enumerate(zip(compiled.concession_policy,
                                           compiled.concession_side, strict=True)):
        conceded[:, side] += np.where(state.policy_fired[:, policy],
                                      state.concession_value[:, k], 0.0)
    return conceded


def deal_terms(compiled: ScenarioArrays, low: FloatArray, high: FloatArray) -> FloatArray:
    """Terms of a deal within the acceptable range [low, high] and [0, 1].

    The range's midpoint, or the expected utility model's forecast clipped to
    the range when the scenario asks for it.
    """
    floor, ceiling = np.maximum(low, 0.0), np.minimum(high, 1.0)
    if compiled.negotiated_terms is None:
        return np.clip((floor + ceiling) / 2.0, 0.0, 1.0)
    return np.clip(compiled.negotiated_terms, floor, np.maximum(floor, ceiling))


# ------------------------------------------------------------------ the compiled step


@njit(inline="always")
def bargain_kernel(model, st, work, n, run, week, key):  # pragma: no cover
    """:func:`bargain` for run ``n``: a deal in force may break; else talks may strike one.

    The same operations in the same order as the vectorised form, with its two
    uniforms (row 0: talks, row 1: breaking) drawn only when used.
    """
    row = model.row_bargaining
    trust_a, trust_b = leaders_trust(model, st, work, n)
    if st.settled[n]:
        hazard = model.break_hazard * (1.0 - min(trust_a, trust_b))
        u = uniform_at(key, run, week, row + 1)
        if u < hazard:
            st.deals_broken[n, 0 if u < hazard / 2.0 else 1] += 1.0
            st.settled[n] = False
            st.broken_ever[n] = True
            ch.note(work.marks, ch.OUTCOME | ch.DEALS_BROKEN)
        return
    leader_a, leader_b = model.leaders[0], model.leaders[1]
    p = st.win_probability[n]
    p_a = min(max(p + st.optimism[n, leader_a], 0.0), 1.0)
    p_b = min(max(1.0 - p + st.optimism[n, leader_b], 0.0), 1.0)
    cost_a = perceived_cost_at(model, st, n, leader_a)
    cost_b = perceived_cost_at(model, st, n, leader_b)
    shift = model.power_shift
    low = p_a - cost_a + shift * (1.0 - trust_a) / max(trust_a, 1e-9)
    high = 1.0 - (p_b - cost_b + shift * (1.0 - trust_b) / max(trust_b, 1e-9))
    if model.concession_policy.shape[0] > 0:  # trades widen the range (concessions)
        conceded_a = 0.0
        conceded_b = 0.0
        for k in range(model.concession_policy.shape[0]):
            if st.policy_fired[n, model.concession_policy[k]]:
                if model.concession_side[k] == 0:
                    conceded_a += st.concession_value[n, k]
                else:
                    conceded_b += st.concession_value[n, k]
        low = low - conceded_b
        high = high + conceded_a
    if low <= high and uniform_at(key, run, week, row) < st.talks_hazard[n]:
        st.settled[n] = True
        st.settled_ever[n] = True
        ch.note(work.marks, ch.OUTCOME)
        floor, ceiling = max(low, 0.0), min(high, 1.0)
        if math.isnan(model.negotiated_terms):
            st.terms[n] = min(max((floor + ceiling) / 2.0, 0.0), 1.0)
        else:
            st.terms[n] = min(max(model.negotiated_terms, floor), max(floor, ceiling))


@njit(inline="always")
def perceived_cost_at(model, st, n, actor):  # pragma: no cover
    """:func:`perceived_cost` of ``actor`` in run ``n``."""
    return st.war_cost[n, actor] * (1.0 - st.resolve[n, actor]) * (
        1.0 + model.war_cost_growth * st.cost_sensitivity[n, actor] * st.costs[n, actor])


def reference_step(week: Week, state: State, uniforms: FloatArray) -> None:
    """The reference engine's week: :func:`bargain` (row 0 talks, row 1 breaking)."""
    bargain(week.compiled, state, uniforms)


#: The mechanism's declaration (:class:`redline.mechanisms.mechanism.Mechanism`).
MECHANISM = Mechanism(
    key="bargaining",
    name="bargaining",
    summary=("a deal in force may break; otherwise talks may strike one within the acceptable "
             "range"),
    reads=("win_probability", "optimism", "war_cost", "resolve", "cost_sensitivity", "costs",
           "talks_hazard", "deals_broken", "capability", "support", "policy_fired",
           "concession_value"),
    writes=("settled", "settled_ever", "broken_ever", "terms", "deals_broken"),
    draws="two",
    reference=reference_step,
    kernel=bargain_kernel,
    sources=("Fearon1995", "Powell2006", "BuenoDeMesquita1994", "Scholz2011", "Morgan1990",
             "TollisonWillett1979"),
    constants={
        "war_cost_growth": lambda compiled: float(compiled.scenario.model.war_cost_growth),
        "power_shift": lambda compiled: float(compiled.scenario.model.power_shift),
        "break_hazard": lambda compiled: float(compiled.scenario.model.break_hazard),
        "negotiated_terms": lambda compiled: (math.nan if compiled.negotiated_terms is None
                                              else float(compiled.negotiated_terms)),
        "concession_policy": lambda compiled: compiled.concession_policy,
        "concession_side": lambda compiled: compiled.concession_side,
    },
)
