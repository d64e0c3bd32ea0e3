"""Escalation decisions: each actor moves one rung down, holds, or moves one rung up.

Every actor aligned with a side considers three postures on the escalation
ladder (Kahn 1965): the next lower rung it may use, its current rung, and the
next higher rung it may use (a rung it may use is one among whose users it is
and for which every supplier whose permission the rung needs has given it).
The utility of a posture r, in units of the stakes, is::

    U(r) = H (dp(r) - cost(r) * cost_sensitivity) - sum_l B_l(r) * H_l - k [r != current]

where H is the planning horizon in weeks (weekly gains and costs are flows;
risks and switching are one-off), dp(r) the change in its side's chance of
prevailing (contest success function, :mod:`redline.mechanisms.power`) from
the rung's military effect, B_l(r) its own belief that r would be met by
enforcement of red line l (:func:`redline.mechanisms.redlines.enforcement_belief`),
H_l the expected harm of that enforcement (declared response with the line's
public follow-through rho, fallback otherwise), and k the switching cost of a
move (a government's inertia: it holds unless a move is clearly better). The
choice is logit (quantal response, McKelvey & Palfrey 1995): P(r) is
proportional to exp(lambda U(r)); lambda = 0 is uniform, a large lambda is a
best response.
"""

from __future__ import annotations

from collections import namedtuple

import numpy as np
from numba import njit
from numpy.typing import NDArray

from redline.arrays.scenario_arrays import ScenarioArrays
from redline.arrays.state import State
from redline.mechanisms import changes as ch
from redline.mechanisms.conditions import permitted
from redline.mechanisms.power import actor_weight, contest_success, side_power
from redline.mechanisms.redlines import enforcement_belief

NAME = "decisions"
STOCHASTIC = True
READS = ("posture", "grants", "effect", "cost", "harm", "low", "high", "tested",
         "rationality", "switching_cost", "planning_weeks",
         "follow_through", "capability", "support", "cost_sensitivity", "control", "diverts",
         "front_open", "front_weight")
WRITES = ("posture", "max_posture", "weekly_cost")
SOURCE = "McKelvey1995; Kahn1965"

FloatArray = NDArray[np.float64]

#: Below this, exp(x) is under the smallest normal double (2.2e-308) and a
#: choice weight is taken as 0 (both engines; see ``redline.engine.kernel._exp``).
EXP_FLUSH = -708.3964185322641


def logit_choice(utilities: FloatArray, available: NDArray[np.bool_],
                 rationality: float | FloatArray, uniforms: FloatArray) -> NDArray[np.int64]:
    """Pick one option per run with P(o) proportional to exp(lambda U(o)) among those available.

    Parameters
    ----------
    utilities, available : shape (N, K).
    rationality : lambda, one for all runs or one per run (N,).
    uniforms : shape (N,), one uniform per run (inverse-CDF draw).

    """
    precision = np.asarray(rationality, dtype=np.float64)
    if precision.ndim == 1:
        precision = precision[:, None]
    scaled = np.where(available, precision * utilities, -np.inf)
    scaled = scaled - scaled.max(axis=1, keepdims=True)
    weights = np.where(available & (scaled >= EXP_FLUSH), np.exp(scaled), 0.0)
    cumulative = np.cumsum(weights, axis=1)
    # u >= W_k / W_total, compared as u W_total >= W_k (no division); the last option takes
    # what is left, so u W_total rounding up to W_total cannot pick beyond it
    scaled_uniforms = uniforms[:, None] * cumulative[:, -1:]
    return (scaled_uniforms >= cumulative[:, :-1]).sum(axis=1).astype(np.int64)


def choice_probabilities(utilities: FloatArray, rationality: float) -> FloatArray:
    """Logit choice probabilities (the closed form the sampler draws from)."""
    scaled = rationality * np.asarray(utilities, dtype=np.float64)
    scaled = scaled - scaled.max(axis=-1, keepdims=True)
    weights = np.exp(scaled)
    return weights / weights.sum(axis=-1, keepdims=True)


def neighbours(usable: NDArray[np.bool_], current: NDArray[np.int64]
               ) -> tuple[NDArray[np.int64], NDArray[np.int64]]:
    """Next usable rung below and above the current one (the current one if none)."""
    rungs = np.arange(usable.shape[1])[None, :]
    below = np.where(usable & (rungs < current[:, None]), rungs, -1).max(axis=1)
    above = np.where(usable & (rungs > current[:, None]), rungs, usable.shape[1]).min(axis=1)
    return (np.where(below < 0, current, below),
            np.where(above >= usable.shape[1], current, above))


def decide(compiled: ScenarioArrays, state: State, uniforms: FloatArray) -> None:
    """Every side-aligned actor picks down / hold / up (``uniforms``: one row per actor)."""
    fighting = state.fighting
    may = permitted(compiled, state)
    power = side_power(compiled, state)
    weight = actor_weight(state)
    decisiveness = compiled.scenario.model.decisiveness
    rationality = state.rationality
    horizon = state.planning_weeks
    runs = np.arange(state.runs)
    for a in range(compiled.n_actors):
        side = compiled.side_of[a]
        if side < 0 or not compiled.may_use[a, 1:].any():
            continue  # outside the sides, or no rung to choose
        current = state.posture[:, a]
        usable = may[:, a, :].copy()
        usable[runs, current] = True
        down, up = neighbours(usable, current)
        options = np.stack([down, current, up], axis=1)
        available = np.ones_like(options, dtype=bool)
        available[:, 0] = down != current
        available[:, 2] = up != current
        effect_now = state.effect[runs, current]
        own, other = power[:, side], power[:, 1 - side]
        p_now = contest_success(own, other, decisiveness)
        utilities = np.empty(options.shape)
        for k in range(3):
            rung = options[:, k]
            delta = weight[:, a] * (state.effect[runs, rung] - effect_now)
            gain = contest_success(own + delta, other, decisiveness) - p_now
            cost = state.cost[runs, rung] * state.cost_sensitivity[:, a]
            switching = 0.0 if k == 1 else state.switching_cost
            utilities[:, k] = (horizon * (gain - cost) - switching
                               - red_line_risk(compiled, state, a, rung))
        chosen = options[runs, logit_choice(utilities, available, rationality, uniforms[a])]
        new = np.where(fighting, chosen, current)
        state.posture[:, a] = new
        state.max_posture[:, a] = np.maximum(state.max_posture[:, a], new)
        state.weekly_cost[:, a] += np.where(fighting, state.cost[runs, new], 0.0)


def red_line_risk(compiled: ScenarioArrays, state: State, actor: int,
                  rung: NDArray[np.int64]) -> FloatArray:
    """Expected harm, in the actor's own beliefs, of employing ``rung`` (N,)."""
    risk = np.zeros(state.runs)
    runs = np.arange(state.runs)
    for line in np.nonzero(compiled.red_line_applies[:, actor])[0]:
        belief = enforcement_belief(compiled.belief_cdf[actor, line], state.low[:, line],
                                    state.high[:, line], state.tested[:, line], rung + 1)
        rho = compiled.follow_through_mean[line]
        response = compiled.red_line_response[line]
        fallback = compiled.red_line_fallback[line]
        harm = rho * state.harm[runs, response]
        if fallback >= 0:
            harm = harm + (1.0 - rho) * state.harm[runs, fallback]
        risk += belief * harm
    return risk


# ------------------------------------------------------------------ the compiled step

#: The caches of the compiled step (bits of ``changes.STALE``): what each keeps for the run
#: being simulated, and the changes that make it stale (:mod:`redline.mechanisms.changes`).
STEPS_CACHE = 1 << 0
RISKS_CACHE = 1 << 1
CHOICES_CACHE = 1 << 2
KERNEL_CACHES = {
    "next usable rungs": (STEPS_CACHE, ch.GRANTS),  # of each (actor, rung)
    "red-line risks": (RISKS_CACHE, ch.RED_LINES),  # of each (actor, rung)
    # each chooser's options and the parts of its utilities that stand still
    "choices": (CHOICES_CACHE, ch.POSTURE | ch.GRANTS | ch.SUPPORT | ch.FRONTS | ch.RED_LINES),
}


#: Rows of each chooser's ``parts`` (see :func:`decide_kernel`).
(_SIDE_0, _ROW, _HAS_DOWN, _HAS_UP, _PRICE_DOWN, _PRICE_HOLD, _PRICE_UP, _DELTA_DOWN, _DELTA_UP,
 _RISK_DOWN, _RISK_HOLD, _RISK_UP, _PARTS) = range(13)

#: A block's caches and scratch: the red-line risk of each (actor, rung) and whether it is
#: known; the next usable rung below and above each (actor, rung) and whether they are
#: known; each chooser's options, the parts of its utilities and its week's pick.
DecisionWork = namedtuple("DecisionWork", [
    "risk_table", "risk_known", "step_down", "step_up", "steps_known", "rung_down",
    "rung_hold", "rung_up", "parts", "pick", "options"])


@njit(inline="always")
def decisions_work(model):  # pragma: no cover
    """The compiled step's arrays for a block of runs.

    (One array read and one written by the choosers' vector loop: the compiler
    checks at run time that the arrays a vector loop writes do not overlap
    those it reads, a check per pair.)
    """
    n_actors, n_rungs = model.may_use.shape
    choosers = model.choosers
    n_choosers = choosers.shape[0]
    parts = np.zeros((_PARTS, n_choosers))
    for k in range(n_choosers):
        parts[_SIDE_0, k] = 1.0 if model.side_of[choosers[k]] == 0 else 0.0
        parts[_ROW, k] = model.row_decisions + choosers[k]
    return DecisionWork(
        np.zeros((n_actors, n_rungs)), np.zeros((n_actors, n_rungs), dtype=np.bool_),
        np.zeros((n_actors, n_rungs), dtype=np.int64),
        np.zeros((n_actors, n_rungs), dtype=np.int64),
        np.zeros((n_actors, n_rungs), dtype=np.bool_),
        np.zeros(n_choosers, dtype=np.int64), np.zeros(n_choosers, dtype=np.int64),
        np.zeros(n_choosers, dtype=np.int64), parts, np.zeros(n_choosers, dtype=np.int64),
        np.zeros(3, dtype=np.int64))
