"""Escalation decisions: each actor moves one rung down, holds, or moves one rung up.

Every actor aligned with a side considers three postures on the escalation
ladder (Kahn 1965): the next lower rung it may use, its current rung, and the
next higher rung it may use (a rung it may use is one among whose users it is
and for which every supplier whose permission the rung needs has given it).
The utility of a posture r, in units of the stakes, is::

    U(r) = H (dp(r) - cost(r) * cost_sensitivity) - sum_l B_l(r) * H_l(r)
           - sum_p C_p [r >= d_p, pledge p stands] - k [r != current]
           + R [r above current, provoked]

where H is the planning horizon in weeks (weekly gains and costs are flows;
risks and switching are one-off), dp(r) the change in its side's chance of
prevailing (contest success function, :mod:`redline.mechanisms.power`) from
the rung's military effect, B_l(r) its own belief that r would be met by
enforcement of red line l (:func:`redline.mechanisms.redlines.enforcement_belief`),
H_l(r) the expected harm of that enforcement (the response its graded schedule
gives a crossing at r, with the line's public follow-through rho, its fallback
otherwise), C_p the audience cost of each self-limit p the actor owns, certain
at or above its declared rung d_p while the pledge stands (Fearon 1994), and k
the switching cost of a move (a government's inertia: it holds unless a move
is clearly better), and R the actor's reprisal bonus while it is provoked: for
K weeks after each escalation of the other side (its highest rung rising), as
reciprocity, the answer in kind that crisis behaviour shows (Leng 1993;
tit-for-tat, Axelrod 1984). The
choice is logit (quantal response, McKelvey & Palfrey 1995): P(r) is
proportional to exp(lambda U(r)); lambda = 0 is uniform, a large lambda is a
best response.

An actor that a policy made adopt a rung (``adopt``,
:mod:`redline.mechanisms.policies`) does not decide while it holds it: its
week's draw is made (the streams are counter-based, so nothing else moves)
and its pick is overridden by the rung held. When the hold of an ``adopt``
with ``weeks`` ends, the actor first returns to the rung it held before, then
decides from it as usual.
"""

from __future__ import annotations

import math
from collections import namedtuple

import numpy as np
from llvmlite import ir
from numba import njit
from numba.core import types
from numba.extending import intrinsic
from numpy.typing import NDArray

from redline.arrays.scenario_arrays import ScenarioArrays
from redline.arrays.state import State
from redline.arrays.streams import uniform_at
from redline.mechanisms import changes as ch
from redline.mechanisms import power
from redline.mechanisms.conditions import permitted
from redline.mechanisms.mechanism import Mechanism, Week
from redline.mechanisms.power import actor_weight, contest_success, contest_success_at, side_power
from redline.mechanisms.redlines import belief_at, enforcement_belief
from redline.scenario import models

FloatArray = NDArray[np.float64]

#: Below this, exp(x) is under the smallest normal double (2.2e-308) and a
#: choice weight is taken as 0 (both engines; see :func:`flushed_exp`).
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
    return_from_hold(state)
    may = permitted(compiled, state)
    power = side_power(compiled, state)
    weight = actor_weight(state)
    decisiveness = compiled.scenario.model.decisiveness
    rationality = state.rationality
    horizon = state.planning_weeks
    runs = np.arange(state.runs)
    if compiled.reprisal_weeks.any():
        provoke(compiled, state)
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
        if compiled.reprisal_weeks[a] > 0:  # R, added last, as the compiled step does
            utilities[:, 2] = utilities[:, 2] + np.where(
                state.week <= state.provoked_until[:, a], state.reprisal_bonus[:, a], 0.0)
        chosen = options[runs, logit_choice(utilities, available, rationality, uniforms[a])]
        held = state.week <= state.hold_until[:, a]  # an adopted rung: no decision
        new = np.where(fighting & ~held, chosen, current)
        state.posture[:, a] = new
        state.max_posture[:, a] = np.maximum(state.max_posture[:, a], new)
        state.weekly_cost[:, a] += np.where(fighting, state.cost[runs, new], 0.0)


def return_from_hold(state: State) -> None:
    """Actors whose hold of an adopted rung has ended return to the rung before it.

    In runs still fighting, as the decisions are made (a run under a
    settlement returns when the fighting resumes).
    """
    returning = (state.fighting[:, None] & (state.return_rung >= 0)
                 & (state.week > state.hold_until))
    if returning.any():
        state.posture[returning] = state.return_rung[returning]
        state.return_rung[returning] = -1


def provoke(compiled: ScenarioArrays, state: State) -> None:
    """Provoke the actors with a reprisal motive whose other side escalated since last week.

    A side escalates when its highest rung rises above the one these
    decisions last saw; each actor of the other side with a motive is then
    provoked this week and its next K - 1 (runs still fighting).
    """
    fighting = state.fighting
    for side in (0, 1):
        peak = state.posture[:, compiled.side_of == side].max(axis=1, initial=0)
        rose = fighting & (peak > state.side_peak[:, side])
        for a in np.flatnonzero((compiled.side_of == 1 - side) & (compiled.reprisal_weeks > 0)):
            until = state.week + compiled.reprisal_weeks[a] - 1
            state.provoked_until[:, a] = np.where(
                rose, np.maximum(state.provoked_until[:, a], until), state.provoked_until[:, a])
        state.side_peak[:, side] = np.where(fighting, peak, state.side_peak[:, side])


def red_line_risk(compiled: ScenarioArrays, state: State, actor: int,
                  rung: NDArray[np.int64]) -> FloatArray:
    """Expected harm, in the actor's own beliefs, of employing ``rung`` (N,).

    Line by line: B_l(r) H_l(r), with H_l(r) the harm of the response (and
    fallback) the line's graded schedule gives a crossing at r; for the owner
    of a self-limit whose pledge stands, its audience cost C_l if r is at or
    above the declared rung (:func:`pledge_cost`).
    """
    risk = np.zeros(state.runs)
    runs = np.arange(state.runs)
    level = rung + 1
    for line in range(len(compiled.red_line_ids)):
        if compiled.red_line_pledged[line] and compiled.red_line_owner[line] == actor:
            risk += pledge_cost(compiled, state, line, rung)
        if not compiled.red_line_applies[line, actor]:
            continue
        belief = enforcement_belief(compiled.belief_cdf[actor, line], state.low[:, line],
                                    state.high[:, line], state.tested[:, line], level)
        rho = compiled.follow_through_mean[line]
        response = compiled.red_line_response_at[line, level]
        fallback = compiled.red_line_fallback_at[line, level]
        harm = rho * state.harm[runs, response]
        harm = np.where(fallback >= 0,
                        harm + (1.0 - rho) * state.harm[runs, np.maximum(fallback, 0)], harm)
        risk += belief * harm
    return risk


def pledge_cost(compiled: ScenarioArrays, state: State, line: int,
                rung: NDArray[np.int64]) -> FloatArray:
    """The owner's certain cost of ``rung`` under its self-limit ``line`` (N,).

    C_l [r >= declared rung and the pledge stands]: the owner knows its own
    pledge, so the audience cost is a certainty, not a belief (Fearon 1994).
    """
    declared = compiled.rung_index[compiled.scenario.red_lines[line].declared_at]
    return np.where(~state.pledge_broken[:, line] & (rung >= declared),
                    state.audience_cost[:, line], 0.0)


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


#: Rows of each chooser's ``parts`` (see :func:`choices_at`).
(_SIDE_0, _ROW, _HAS_DOWN, _HAS_UP, _PRICE_DOWN, _PRICE_HOLD, _PRICE_UP, _DELTA_DOWN, _DELTA_UP,
 _RISK_DOWN, _RISK_HOLD, _RISK_UP, _REPRISAL, _PARTS) = range(14)

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


@njit(inline="always")
def decide_kernel(model, st, work, n, run, week, key):  # pragma: no cover
    """:func:`decide` for run ``n``: every chooser moves down, holds or moves up.

    Each chooser's options and the parts of its utilities that stand still
    between changes of postures, permissions, weights and red lines are kept
    (:func:`choices_at`); every chooser's utilities and logit draw are then one
    loop without calls or branches, which the compiler turns into vector code
    (:func:`bounded_picks`); a chooser whose draw needs exp, or whose contest
    is not A / (A + B) with 0 < A + B < inf, is done after, one at a time, by
    the same operations in the same order as the reference (measured: the
    decisions were a third of a week; docs/performance.md, step 16).
    """
    if st.settled[n]:
        return
    marks, m = work.marks, model.decisiveness
    for a in model.adopters:  # :func:`return_from_hold`
        if st.return_rung[n, a] >= 0 and week > st.hold_until[n, a]:
            if st.posture[n, a] != st.return_rung[n, a]:
                ch.note(marks, ch.POSTURE)
            st.posture[n, a] = st.return_rung[n, a]
            st.return_rung[n, a] = -1
    power.actor_weights(model, st, work, n)
    if not ch.is_stale(marks, power.SIDE_POWER_CACHE):  # last week's power step stands
        power_0, power_1 = work.power.kept[power.SIDE_0], work.power.kept[power.SIDE_1]
        p_side_0 = st.win_probability[n]
    else:
        power_0, power_1 = power.side_power_at(model, st, work, n)
        p_side_0 = contest_success_at(power_0, power_1, m)
    p_side_1 = contest_success_at(power_1, power_0, m)
    if ch.is_stale(marks, CHOICES_CACHE):
        choices_at(model, st, work, n)
    if model.any_reprisal:  # (else the reprisal parts stay 0)
        reprisals_at(model, st, work, n, week)
    bounded_picks(model, st, work, n, run, week, key, power_0, power_1, p_side_0, p_side_1)
    rung_down, rung_hold, rung_up = (work.decisions.rung_down, work.decisions.rung_hold,
                                     work.decisions.rung_up)
    posture, max_posture, cost = st.posture, st.max_posture, st.cost
    for k in range(model.choosers.shape[0]):
        a = model.choosers[k]
        current = rung_hold[k]
        pick = work.decisions.pick[k]
        if pick == 2:  # the draw needs exp, or the contest its general form
            side_0 = model.side_of[a] == 0
            pick = exact_pick(model, st, work, n, run, week, key, k,
                              power_0 if side_0 else power_1, power_1 if side_0 else power_0,
                              p_side_0 if side_0 else p_side_1)
        chosen = rung_down[k] if pick < 0 else (rung_up[k] if pick > 0 else current)
        if week <= st.hold_until[n, a]:  # an adopted rung is held: the pick is overridden
            chosen = current
        if chosen != current:  # (the maximum moves only with the posture)
            ch.note(marks, ch.POSTURE)
        posture[n, a] = chosen
        max_posture[n, a] = max(max_posture[n, a], chosen)
        st.weekly_cost[n, a] += cost[n, chosen]


@njit(inline="always")
def choices_at(model, st, work, n):  # pragma: no cover
    """Each chooser's options (next usable rung down, current, next up) and utility parts."""
    marks = work.marks
    (risk_table, risk_known, step_down, step_up, steps_known, rung_down, rung_hold, rung_up,
     parts, _, _) = work.decisions
    if ch.is_stale(marks, STEPS_CACHE):
        steps_known[:, :] = False
        ch.refreshed(marks, STEPS_CACHE)
    if ch.is_stale(marks, RISKS_CACHE):
        risk_known[:, :] = False
        ch.refreshed(marks, RISKS_CACHE)
    weight, effect, cost = work.power.weight, st.effect, st.cost
    for k in range(model.choosers.shape[0]):
        a = model.choosers[k]
        current = st.posture[n, a]
        if not steps_known[a, current]:
            next_usable_rungs(model, st, work, n, a, current)
        down = step_down[a, current]
        up = step_up[a, current]
        rung_down[k] = down
        rung_hold[k] = current
        rung_up[k] = up
        for rung in (down, current, up):  # red-line risk, once per change
            if not risk_known[a, rung]:
                risk_table[a, rung] = red_line_risk_at(model, st, n, a, rung)
                risk_known[a, rung] = True
        sensitivity = st.cost_sensitivity[n, a]
        parts[_HAS_DOWN, k] = 1.0 if down != current else 0.0
        parts[_HAS_UP, k] = 1.0 if up != current else 0.0
        parts[_PRICE_DOWN, k] = cost[n, down] * sensitivity
        parts[_PRICE_HOLD, k] = cost[n, current] * sensitivity
        parts[_PRICE_UP, k] = cost[n, up] * sensitivity
        parts[_DELTA_DOWN, k] = weight[a] * (effect[n, down] - effect[n, current])
        parts[_DELTA_UP, k] = weight[a] * (effect[n, up] - effect[n, current])
        parts[_RISK_DOWN, k] = risk_table[a, down]
        parts[_RISK_HOLD, k] = risk_table[a, current]
        parts[_RISK_UP, k] = risk_table[a, up]
    ch.refreshed(marks, CHOICES_CACHE)


@njit(inline="always")
def reprisals_at(model, st, work, n, week):  # pragma: no cover
    """:func:`provoke` for run ``n``, then each chooser's reprisal bonus R of this week."""
    side_of, posture = model.side_of, st.posture
    for side in range(2):
        peak = 0
        for a in range(side_of.shape[0]):
            if side_of[a] == side:
                peak = max(peak, posture[n, a])
        if peak > st.side_peak[n, side]:
            for a in range(side_of.shape[0]):
                if side_of[a] == 1 - side and model.reprisal_weeks[a] > 0:
                    st.provoked_until[n, a] = max(st.provoked_until[n, a],
                                                  week + model.reprisal_weeks[a] - 1)
        st.side_peak[n, side] = peak
    parts = work.decisions.parts
    for k in range(model.choosers.shape[0]):
        a = model.choosers[k]
        parts[_REPRISAL, k] = st.reprisal_bonus[n, a] if week <= st.provoked_until[n, a] else 0.0


@njit(inline="always")
def next_usable_rungs(model, st, work, n, a, current):  # pragma: no cover
    """:func:`neighbours` of actor ``a`` at rung ``current``: kept until a permission changes."""
    may_use, needs, supplier_actor = model.may_use, model.needs, model.supplier_actor
    options = work.decisions.options
    options[0] = current
    options[2] = current
    for step_dir in range(2):  # next usable rung below, above
        r = current - 1 if step_dir == 0 else current + 1
        while 0 <= r < may_use.shape[1]:
            usable = may_use[a, r]
            for s in range(supplier_actor.shape[0]):
                if needs[r, s] and supplier_actor[s] != a and not st.grants[n, a, r, s]:
                    usable = False
            if usable:
                options[2 * step_dir] = r
                break
            r = r - 1 if step_dir == 0 else r + 1
    work.decisions.step_down[a, current] = options[0]
    work.decisions.step_up[a, current] = options[2]
    work.decisions.steps_known[a, current] = True


@njit(inline="always")
def red_line_risk_at(model, st, n, a, rung):  # pragma: no cover
    """:func:`red_line_risk` of actor ``a`` employing ``rung`` in run ``n``."""
    belief_cdf, harm = model.belief_cdf, st.harm
    risk = 0.0
    level = rung + 1
    for line in range(model.applies.shape[0]):
        if model.pledged[line] and model.owner[line] == a:  # :func:`pledge_cost`
            risk += (st.audience_cost[n, line]
                     if not st.pledge_broken[n, line] and level >= model.declared[line]
                     else 0.0)
        if not model.applies[line, a]:
            continue
        lo, hi = st.low[n, line], st.high[n, line]
        belief = belief_at(belief_cdf[a, line, lo], belief_cdf[a, line, hi],
                           belief_cdf[a, line, min(level, hi)], lo, hi, st.tested[n, line],
                           level)
        rho = model.follow_through_mean[line]
        expected = rho * harm[n, model.response_at[line, level]]
        if model.fallback_at[line, level] >= 0:
            expected = expected + (1.0 - rho) * harm[n, model.fallback_at[line, level]]
        risk += belief * expected
    return risk


@njit(inline="always")
def bounded_picks(model, st, work, n, run, week, key, power_0, power_1, p_side_0,
                  p_side_1):  # pragma: no cover
    """Every chooser's utilities and logit draw, settled by :func:`exp_bound` where it can.

    One loop over the choosers without calls or branches, which the compiler
    turns into vector code; the same operations, in the same order, as
    :func:`utility_of_move_at` and :func:`logit_pick`. A chooser whose draw needs
    exp, or whose contest is not A / (A + B) with 0 < A + B < inf, gets pick 2
    (for :func:`exact_pick`). It reads one array (``parts``) and writes one
    (``pick``): the compiler checks at run time that the arrays a vector loop
    writes do not overlap those it reads, a check per pair.
    """
    parts, chooser_pick = work.decisions.parts, work.decisions.pick
    lam, plan, switching_cost = st.rationality[n], st.planning_weeks[n], st.switching_cost[n]
    contest_linear = model.decisiveness == 1.0
    for k in range(chooser_pick.shape[0]):
        side_0 = parts[_SIDE_0, k] == 1.0
        own = power_0 if side_0 else power_1
        other = power_1 if side_0 else power_0
        p_now = p_side_0 if side_0 else p_side_1
        u_hold = plan * (0.0 - parts[_PRICE_HOLD, k]) - 0.0 - parts[_RISK_HOLD, k]
        b_other = max(other, 0.0)
        a_down = max(own + parts[_DELTA_DOWN, k], 0.0)
        a_up = max(own + parts[_DELTA_UP, k], 0.0)
        total_down = a_down + b_other
        total_up = a_up + b_other
        u_down = (plan * (a_down / total_down - p_now - parts[_PRICE_DOWN, k])
                  - switching_cost - parts[_RISK_DOWN, k])
        u_up = ((plan * (a_up / total_up - p_now - parts[_PRICE_UP, k])
                 - switching_cost - parts[_RISK_UP, k]) + parts[_REPRISAL, k])
        with_down = parts[_HAS_DOWN, k] == 1.0
        with_up = parts[_HAS_UP, k] == 1.0
        if not with_down:
            u_down = -np.inf
        if not with_up:
            u_up = -np.inf
        top = max(max(u_hold, u_down), u_up)
        x_down = lam * u_down - lam * top
        x_hold = lam * u_hold - lam * top
        x_up = lam * u_up - lam * top
        if not with_down:
            x_down = -np.inf
        if not with_up:
            x_up = -np.inf
        u = uniform_at(key, run, week, np.int64(parts[_ROW, k]))
        b_down = exp_bound(x_down)
        b_hold = exp_bound(x_hold)
        b_up = exp_bound(x_up)
        pick = 2
        if x_up == 0.0 and u >= b_down + b_hold + 1e-12:
            pick = 1
        if x_down == 0.0 and u < 1.0 - (b_hold + b_up) - 1e-12:
            pick = -1
        if x_hold == 0.0 and b_down <= u < 1.0 - (b_down + b_up) - 1e-12:
            pick = 0
        exact = (contest_linear and 0.0 < total_down < np.inf and 0.0 < total_up < np.inf
                 and u_hold == u_hold)
        if not (with_down or with_up):
            pick = 0
        chooser_pick[k] = pick if exact else 2


@njit(inline="always")
def exact_pick(model, st, work, n, run, week, key, k, own, other, p_now):  # pragma: no cover
    """The logit draw of chooser ``k`` with exp and the general contest (:func:`logit_pick`)."""
    a = model.choosers[k]
    down, current, up = (work.decisions.rung_down[k], work.decisions.rung_hold[k],
                         work.decisions.rung_up[k])
    lam, plan = st.rationality[n], st.planning_weeks[n]
    # U = planning x (gain - price) - switching - risk; holding gains 0
    u_hold = (plan * (0.0 - work.decisions.parts[_PRICE_HOLD, k]) - 0.0
              - work.decisions.risk_table[a, current])
    top = u_hold
    u_down = -np.inf
    u_up = -np.inf
    if down != current:
        u_down = utility_of_move_at(model, st, work, n, a, current, down, own, other, p_now)
        top = max(top, u_down)
    if up != current:
        u_up = (utility_of_move_at(model, st, work, n, a, current, up, own, other, p_now)
                + work.decisions.parts[_REPRISAL, k])
        top = max(top, u_up)
    x_down = lam * u_down - lam * top if down != current else -np.inf
    x_hold = lam * u_hold - lam * top
    x_up = lam * u_up - lam * top if up != current else -np.inf
    return logit_pick(x_down, x_hold, x_up, uniform_at(key, run, week, model.row_decisions + a))


@njit(inline="always")
def utility_of_move_at(model, st, work, n, a, current, rung, own, other,
                       p_now):  # pragma: no cover
    """U = planning x (gain - price) - switching - risk of moving ``a`` to ``rung``."""
    delta = work.power.weight[a] * (st.effect[n, rung] - st.effect[n, current])
    gain = contest_success_at(own + delta, other, model.decisiveness) - p_now
    return (st.planning_weeks[n] * (gain - st.cost[n, rung] * st.cost_sensitivity[n, a])
            - st.switching_cost[n] - work.decisions.risk_table[a, rung])


@njit(cache=True, error_model="numpy")
def flushed_exp(x):  # pragma: no cover
    """Return exp(x), without calling exp where the result is known exactly.

    exp(0) = 1 (the best option's weight), and exp(x) rounds to 0 for x below
    ln(2^-1075) = -745.13.... Below :data:`EXP_FLUSH` (where exp(x) is smaller
    than the smallest normal number, 2.2e-308) the weight is taken as 0, in
    both engines: the C library's exp takes a slow path for subnormal results
    (measured: 66 ns a call instead of 6), and a weight below 1e-308 changes no
    choice probability by more than that.
    """
    if x == 0.0:
        return 1.0
    if x < EXP_FLUSH:
        return 0.0
    return math.exp(max(x, EXP_FLUSH))  # even if computed on both branches: never subnormal


@intrinsic
def float_from_bits(typingctx, bits):  # type: ignore[no-untyped-def]  # pragma: no cover
    """The float64 whose IEEE-754 bits are the int64 ``bits`` (an LLVM bitcast)."""
    signature = types.float64(types.int64)

    def codegen(context, builder, sig, args):  # type: ignore[no-untyped-def]
        return builder.bitcast(args[0], ir.DoubleType())

    return signature, codegen


@njit(cache=True, error_model="numpy", inline="always")
def exp_bound(x):  # pragma: no cover
    """An upper bound on :func:`flushed_exp` (x <= 0), within a factor of four, without exp.

    2^(ceil(x log2 e) + 1): the product's rounding moves ceil's argument by less
    than 1e-13, so the bound exceeds e^x by a factor of at least 1.99, far more
    than the C library's exp can err. Below the flush, where ``flushed_exp``
    gives 0, 0; infinite for NaN. Without branches, so that a loop calling it
    can become vector code.
    """
    k = np.int64(math.ceil(max(x, EXP_FLUSH) * 1.4426950408889634)) + 1
    bound = float_from_bits((k + 1023) << 52)
    if x < EXP_FLUSH:
        bound = 0.0
    if not x <= 0.0:  # NaN: no bound
        bound = math.inf
    return bound


@njit(cache=True, error_model="numpy", inline="always")
def logit_pick(x_down, x_hold, x_up, u):  # pragma: no cover
    """The logit draw among down, hold and up: -1, 0 or 1 (as :func:`logit_choice`).

    ``x`` is lambda U - max(lambda U) (-inf for an option not available), ``u``
    the uniform. The option with x = 0 has weight exp(0) = 1. Where upper bounds
    on the others' weights (:func:`exp_bound`) leave no doubt about the draw,
    that option is returned without exp: the same choice as the full sum, with
    margins for its roundings (measured: exp was a fifth of the kernel, and most
    weeks the best option takes all but a thousandth of the probability).
    """
    b_down, b_hold, b_up = exp_bound(x_down), exp_bound(x_hold), exp_bound(x_up)
    if x_hold == 0.0 and b_down <= u < 1.0 - (b_down + b_up) - 1e-12:
        return 0  # u total >= u >= W_down, and u total < 1 <= W_down + W_hold
    if x_down == 0.0 and u < 1.0 - (b_hold + b_up) - 1e-12:
        return -1  # u total < 1 = W_down
    if x_up == 0.0 and u >= b_down + b_hold + 1e-12:
        return 1  # u total >= u > W_down + W_hold
    w_down, w_hold, w_up = flushed_exp(x_down), flushed_exp(x_hold), flushed_exp(x_up)
    # u >= W_k / total as u total >= W_k
    scaled = u * (w_down + w_hold + w_up)
    if scaled < w_down:
        return -1
    if scaled >= w_down + w_hold:
        return 1
    return 0


def reference_step(week: Week, state: State, uniforms: FloatArray) -> None:
    """The reference engine's week: :func:`decide`."""
    decide(week.compiled, state, uniforms)


def choosers(compiled: ScenarioArrays) -> NDArray[np.int64]:
    """The actors who choose a posture: aligned with a side, and users of a rung above none."""
    return np.array([a for a in range(compiled.n_actors)
                     if compiled.side_of[a] >= 0 and bool(compiled.may_use[a, 1:].any())],
                    dtype=np.int64)


def adopters(compiled: ScenarioArrays) -> NDArray[np.int64]:
    """The actors a policy's ``adopt`` names (those that may return from a hold)."""
    named = {compiled.actor_index[action.adopt.actor] for policy in compiled.scenario.policies
             for action in policy.then if isinstance(action, models.Adopt)}
    return np.array(sorted(named), dtype=np.int64)


#: The mechanism's declaration (:class:`redline.mechanisms.mechanism.Mechanism`).
MECHANISM = Mechanism(
    key="decisions",
    name="decisions",
    summary=("each actor aligned with a side moves one rung down, holds or moves one rung up "
             "(logit choice)"),
    reads=("week", "posture", "grants", "effect", "cost", "harm", "low", "high", "tested",
           "hold_until", "return_rung", "audience_cost", "pledge_broken", "reprisal_bonus",
           "provoked_until", "side_peak",
           "rationality", "switching_cost", "planning_weeks",
           "follow_through", "capability", "support", "cost_sensitivity", "control", "diverts",
           "front_open", "front_weight"),
    writes=("posture", "max_posture", "weekly_cost", "return_rung", "provoked_until",
            "side_peak"),
    draws="one per actor",
    reference=reference_step,
    kernel=decide_kernel,
    sources=("McKelvey1995", "Kahn1965", "Fearon1994", "Leng1993", "Axelrod1984"),
    caches=KERNEL_CACHES,
    constants={
        "choosers": choosers,
        "adopters": adopters,
        "reprisal_weeks": lambda compiled: np.ascontiguousarray(compiled.reprisal_weeks,
                                                                dtype=np.int64),
        "any_reprisal": lambda compiled: bool(compiled.reprisal_weeks.any()),
        "follow_through_mean": lambda compiled: np.ascontiguousarray(
            compiled.follow_through_mean, dtype=np.float64),
    },
)
