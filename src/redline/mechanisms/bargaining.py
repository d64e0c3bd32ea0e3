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
"""

from __future__ import annotations

import numpy as np
from numpy.typing import NDArray

from redline.arrays.scenario_arrays import ScenarioArrays
from redline.arrays.state import State
from redline.mechanisms.trust import leader_trust

NAME = "bargaining"
STOCHASTIC = True
READS = ("win_probability", "optimism", "war_cost", "resolve", "cost_sensitivity", "costs",
         "talks_hazard", "deals_broken", "capability", "support")
WRITES = ("settled", "settled_ever", "broken_ever", "terms", "deals_broken")
SOURCE = "Fearon1995; Powell2006; BuenoDeMesquita1994; Scholz2011"

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


def deal_terms(compiled: ScenarioArrays, low: FloatArray, high: FloatArray) -> FloatArray:
    """Terms of a deal within the acceptable range [low, high] and [0, 1].

    The range's midpoint, or the expected utility model's forecast clipped to
    the range when the scenario asks for it.
    """
    floor, ceiling = np.maximum(low, 0.0), np.minimum(high, 1.0)
    if compiled.negotiated_terms is None:
        return np.clip((floor + ceiling) / 2.0, 0.0, 1.0)
    return np.clip(compiled.negotiated_terms, floor, np.maximum(floor, ceiling))
