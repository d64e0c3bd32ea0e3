"""Fronts: Lanchester attrition, reinforcement and control of the ground.

On each open front the attacker's side (strength A) and the defender's side
(strength B) exchange losses each week by the generalised Lanchester law
(Lanchester 1916; Helmbold 1965)::

    dA = -a_B * (1 + e_B) * B^p * A^q        dB = -a_A * (1 + e_A) * A^p * B^q

where a_X is the losses X inflicts per week per unit of its strength, e_X its
side's military effect from the postures employed, and (p, q) = (1, 0) the
square law, (1, 1) the linear law. With p = 1, q = 0 and no reinforcement,
``a_A A^2 - a_B B^2`` is invariant (the square-law state equation), which the
tests check. Deployments join their side's strength when they reach combat;
reinforcements arrive weekly. Control (share of the ground held by the
attacker) moves with the log of the effective force ratio::

    d control = speed * clip(ln(((1 + e_A) A) / ((1 + e_B) B)), -3, 3)

Losses cost each actor in proportion to its share of its side's force.

A front fights in a week when it is open, the run goes on and, if it names a
rung ``fights_at``, its attacker or its defender holds that rung or a higher
one; otherwise it is a standoff that week: forces, reinforcements and control
stand still. Intruders who sit on ground the defender does not try to take
back keep it (the fait accompli: Altman 2017 counts 112 land grabs by fait
accompli from 1918 to 2016, against 13 gains of territory by coercion), and
are evicted only once someone fights for it. Policies end a front's fighting
for good: ``close_front`` (a ceasefire on that front, the ground held as it
stands) and ``withdraw`` (one actor leaves the front, the other holds all of
its ground: control 0 when the attacker leaves, 1 when the defender does).
Both take effect in the week their policy fires, before that week's
fighting; a closed front stays closed, even if a policy opens it again.
"""

from __future__ import annotations

import math
from collections import namedtuple

import numpy as np
from numba import njit
from numpy.typing import NDArray

from redline.arrays.scenario_arrays import ScenarioArrays
from redline.arrays.state import State
from redline.mechanisms import changes as ch
from redline.mechanisms.mechanism import Mechanism, Week
from redline.mechanisms.power import posture_effect, power_at
from redline.scenario import models as m

FloatArray = NDArray[np.float64]


def lanchester_step(attacker: FloatArray, defender: FloatArray, a_attacker: FloatArray,
                    a_defender: FloatArray, exponent_enemy: float = 1.0,
                    exponent_own: float = 0.0, dt: float = 1.0
                    ) -> tuple[FloatArray, FloatArray]:
    """One explicit Euler step of the generalised Lanchester law; strengths stay >= 0.

    >>> a, b = lanchester_step(100.0, 50.0, 0.01, 0.01)
    >>> float(a), float(b)
    (99.5, 49.0)
    """
    attacker = np.asarray(attacker, dtype=np.float64)
    defender = np.asarray(defender, dtype=np.float64)
    loss_attacker = a_defender * np.power(defender, exponent_enemy) * np.power(
        attacker, exponent_own) * dt
    loss_defender = a_attacker * np.power(attacker, exponent_enemy) * np.power(
        defender, exponent_own) * dt
    return np.maximum(attacker - loss_attacker, 0.0), np.maximum(defender - loss_defender, 0.0)


def square_law_invariant(attacker: FloatArray, defender: FloatArray, a_attacker: float,
                         a_defender: float) -> FloatArray:
    """a_A A^2 - a_B B^2, constant along exact square-law trajectories."""
    return a_attacker * np.square(attacker) - a_defender * np.square(defender)


def side_effects(compiled: ScenarioArrays, state: State) -> FloatArray:
    """(N, 2): sum of the posture effects of each side's actors."""
    effect = posture_effect(state)
    return np.stack([effect[:, compiled.side_of == side].sum(axis=1) for side in (0, 1)],
                    axis=1)


#: What a policy does to a front (:func:`front_closers`): closes it, or one of its two
#: actors withdraws.
CLOSES, ATTACKER_WITHDRAWS, DEFENDER_WITHDRAWS = 1, 2, 3


def front_closers(compiled: ScenarioArrays) -> NDArray[np.int64]:
    """(K, 3): each policy action that ends a front's fighting as (front, policy, what).

    ``what`` is :data:`CLOSES`, :data:`ATTACKER_WITHDRAWS` or
    :data:`DEFENDER_WITHDRAWS`, in the order of the policies and their actions.
    """
    rows: list[tuple[int, int, int]] = []
    scenario = compiled.scenario
    for p, policy in enumerate(scenario.policies):
        for action in policy.then:
            if isinstance(action, m.CloseFront):
                rows.append((compiled.front_index[action.close_front], p, CLOSES))
            elif isinstance(action, m.Withdraw):
                front_id = action.withdraw.front
                leaving = (ATTACKER_WITHDRAWS
                           if action.withdraw.actor == scenario.fronts[front_id].attacker
                           else DEFENDER_WITHDRAWS)
                rows.append((compiled.front_index[front_id], p, leaving))
    return np.array(rows, dtype=np.int64).reshape(len(rows), 3)


def front_roles(compiled: ScenarioArrays) -> NDArray[np.int64]:
    """(F, 3): each front's attacker and defender (actor indices) and ``fights_at`` (-1: none)."""
    scenario = compiled.scenario
    rows = [(compiled.actor_index[front.attacker], compiled.actor_index[front.defender],
             -1 if front.fights_at is None else compiled.rung_index[front.fights_at])
            for front in scenario.fronts.values()]
    return np.array(rows, dtype=np.int64).reshape(len(rows), 3)


def close_fronts(state: State, closers: NDArray[np.int64]) -> None:
    """Fronts still open whose closing policy has fired close, after a withdrawal's handover."""
    for front, policy, what in closers:
        closing = state.front_open[:, front] & state.policy_fired[:, policy]
        if what != CLOSES:
            state.control[:, front] = np.where(
                closing, 0.0 if what == ATTACKER_WITHDRAWS else 1.0, state.control[:, front])
        state.front_open[:, front] &= ~closing


def standing(state: State, roles: NDArray[np.int64]) -> NDArray[np.bool_]:
    """(N, F) whether each front's attacker or defender holds its ``fights_at`` rung or above."""
    columns = []
    for attacker, defender, rung in roles:
        if rung < 0:
            columns.append(np.ones(state.runs, dtype=bool))
        else:
            columns.append((state.posture[:, attacker] >= rung)
                           | (state.posture[:, defender] >= rung))
    return np.stack(columns, axis=1) if columns else np.zeros((state.runs, 0), dtype=bool)


def advance_fronts(compiled: ScenarioArrays, state: State, arrivals: FloatArray,
                   tables: tuple[NDArray[np.int64], NDArray[np.int64]] | None = None) -> None:
    """One week on every open front; ``arrivals`` (N, F, 2) joins before the fighting.

    ``tables``: :func:`front_closers` and :func:`front_roles` of ``compiled``,
    if already at hand.
    """
    if not compiled.front_ids:
        return
    closers, roles = tables if tables is not None else (front_closers(compiled),
                                                        front_roles(compiled))
    close_fronts(state, closers)
    fighting = state.fighting[:, None] & state.front_open & standing(state, roles)
    effects = side_effects(compiled, state)  # (N, 2) by side
    attacker_side = compiled.front_attacker_side  # (F,)
    e_attacker = effects[:, attacker_side]
    e_defender = effects[:, 1 - attacker_side]
    forces = state.forces + arrivals + np.where(fighting[..., None], state.reinforcement, 0.0)
    before = forces.copy()
    for f in range(len(compiled.front_ids)):
        new_a, new_b = lanchester_step(
            forces[:, f, 0], forces[:, f, 1],
            state.attrition[:, f, 0] * (1.0 + e_attacker[:, f]),
            state.attrition[:, f, 1] * (1.0 + e_defender[:, f]),
            compiled.front_exponent_enemy[f], compiled.front_exponent_own[f],
        )
        forces[:, f, 0] = np.where(fighting[:, f], new_a, forces[:, f, 0])
        forces[:, f, 1] = np.where(fighting[:, f], new_b, forces[:, f, 1])
    losses = before - forces  # (N, F, 2)
    state.forces = forces
    cost_per_loss = compiled.scenario.model.cost_per_loss
    state.weekly_cost += cost_per_loss * np.einsum("nfr,nfra->na", losses, state.loss_share)
    ratio = ((1.0 + e_attacker) * np.maximum(forces[:, :, 0], 1e-9)) / (
        (1.0 + e_defender) * np.maximum(forces[:, :, 1], 1e-9))
    with np.errstate(divide="ignore"):  # a side whose effects cancel its force: log 0 = -inf
        step = state.control_speed * np.clip(np.log(ratio), -3.0, 3.0)
    state.control = np.where(fighting, np.clip(state.control + step, 0.0, 1.0), state.control)


# ------------------------------------------------------------------ the compiled step

#: The caches of the compiled step (bits of ``changes.STALE``): what each keeps for the run
#: being simulated, and the changes that make it stale (:mod:`redline.mechanisms.changes`).
EFFECTS_CACHE = 1 << 6
KERNEL_CACHES = {
    "posture effects": (EFFECTS_CACHE, ch.POSTURE),  # each side's summed posture effects
}


#: A block's scratch and cache: each actor's losses this week, and each side's summed
#: posture effects.
FrontWork = namedtuple("FrontWork", ["lost", "effects"])


@njit(inline="always")
def fronts_work(model):  # pragma: no cover
    """The compiled step's arrays for a block of runs."""
    return FrontWork(np.zeros(model.side_of.shape[0]), np.zeros(2))


@njit(inline="always")
def side_effects_at(model, st, work, n):  # pragma: no cover
    """:func:`side_effects` of run ``n`` (``work.fronts.effects``), kept until a posture moves."""
    effects = work.fronts.effects
    if ch.is_stale(work.marks, EFFECTS_CACHE):
        side_of, effect, posture = model.side_of, st.effect, st.posture
        effect_0 = 0.0
        effect_1 = 0.0
        for a in range(side_of.shape[0]):
            if side_of[a] == 0:
                effect_0 += effect[n, posture[n, a]]
            elif side_of[a] == 1:
                effect_1 += effect[n, posture[n, a]]
        effects[0] = effect_0
        effects[1] = effect_1
        ch.refreshed(work.marks, EFFECTS_CACHE)
    return effects[0], effects[1]


@njit(inline="always")
def advance_fronts_kernel(model, st, work, n, run, week, key):  # pragma: no cover
    """:func:`advance_fronts` for run ``n``: arrivals, reinforcements, attrition, control, costs.

    ``work.policies.arrivals`` holds the strength the policies' step brought to
    each front this week.
    """
    n_fronts = st.forces.shape[1]
    if n_fronts == 0:
        return
    forces, control, front_open = st.forces, st.control, st.front_open
    attrition, loss_share = st.attrition, st.loss_share
    arrivals, lost = work.policies.arrivals, work.fronts.lost
    attacker_side, roles, closers = model.attacker_side, model.front_roles, model.front_closers
    n_actors = lost.shape[0]
    fighting = not st.settled[n]
    for k in range(closers.shape[0]):  # close_fronts
        f, p = closers[k, 0], closers[k, 1]
        if front_open[n, f] and st.policy_fired[n, p]:
            if closers[k, 2] != CLOSES:
                control[n, f] = 0.0 if closers[k, 2] == ATTACKER_WITHDRAWS else 1.0
            front_open[n, f] = False
            ch.note(work.marks, ch.FRONTS)
    effect_0, effect_1 = side_effects_at(model, st, work, n)
    for a in range(n_actors):
        lost[a] = 0.0
    for f in range(n_fronts):
        engaged = fighting and front_open[n, f]
        rung = roles[f, 2]
        if rung >= 0 and engaged:  # standing: someone holds the front's fighting rung
            engaged = st.posture[n, roles[f, 0]] >= rung or st.posture[n, roles[f, 1]] >= rung
        for role in range(2):
            force = forces[n, f, role] + arrivals[f, role]
            if engaged:
                force += st.reinforcement[n, f, role]
            forces[n, f, role] = force
        e_attacker = effect_0 if attacker_side[f] == 0 else effect_1
        e_defender = effect_1 if attacker_side[f] == 0 else effect_0
        attacker = forces[n, f, 0]
        defender = forces[n, f, 1]
        attacker_before, defender_before = attacker, defender
        if engaged:  # the generalised Lanchester law, one week
            a_attacker = attrition[n, f, 0] * (1.0 + e_attacker)
            a_defender = attrition[n, f, 1] * (1.0 + e_defender)
            p_exp, q_exp = model.exponent_enemy[f], model.exponent_own[f]
            loss_attacker = a_defender * power_at(defender, p_exp) * power_at(attacker, q_exp)
            loss_defender = a_attacker * power_at(attacker, p_exp) * power_at(defender, q_exp)
            attacker = max(attacker - loss_attacker, 0.0)
            defender = max(defender - loss_defender, 0.0)
            forces[n, f, 0] = attacker
            forces[n, f, 1] = defender
        for a in range(n_actors):
            lost[a] += ((attacker_before - attacker) * loss_share[n, f, 0, a]
                        + (defender_before - defender) * loss_share[n, f, 1, a])
        if engaged:  # control moves with the log of the effective force ratio
            ratio = ((1.0 + e_attacker) * max(attacker, 1e-9)) / (
                (1.0 + e_defender) * max(defender, 1e-9))
            shift = st.control_speed[n, f] * min(max(math.log(ratio), -3.0), 3.0)
            control[n, f] = min(max(control[n, f] + shift, 0.0), 1.0)
    for a in range(n_actors):
        st.weekly_cost[n, a] += model.cost_per_loss * lost[a]


def reference_step(week: Week, state: State, uniforms: FloatArray) -> None:
    """The reference engine's week: :func:`advance_fronts`, with the policies' arrivals."""
    compiled = week.compiled
    arrivals = week.arrivals
    if arrivals is None:  # (the policies' step sets them, earlier in the week)
        arrivals = np.zeros((state.runs, len(compiled.front_ids), 2))
    if "fronts" not in week.kept:
        week.kept["fronts"] = (front_closers(compiled), front_roles(compiled))
    advance_fronts(compiled, state, arrivals, week.kept["fronts"])


#: The mechanism's declaration (:class:`redline.mechanisms.mechanism.Mechanism`).
MECHANISM = Mechanism(
    key="fronts",
    name="fronts",
    summary=("Lanchester attrition and reinforcements on each open front; control of the "
             "ground; the losses' costs"),
    reads=("forces", "attrition", "reinforcement", "control", "control_speed", "front_open",
           "deployment_in_combat", "posture", "effect", "loss_share", "policy_fired"),
    writes=("forces", "control", "weekly_cost", "front_open"),
    draws="none",
    reference=reference_step,
    kernel=advance_fronts_kernel,
    sources=("Lanchester1916", "Helmbold1965", "Altman2017"),
    caches=KERNEL_CACHES,
    constants={
        "exponent_enemy": lambda compiled: np.ascontiguousarray(
            compiled.front_exponent_enemy, dtype=np.float64),
        "exponent_own": lambda compiled: np.ascontiguousarray(
            compiled.front_exponent_own, dtype=np.float64),
        "cost_per_loss": lambda compiled: float(compiled.scenario.model.cost_per_loss),
        "front_roles": front_roles,
        "front_closers": front_closers,
    },
)
