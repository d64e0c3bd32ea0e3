"""Events and conditional policies: deployments reach combat, policies fire.

A policy is a ``when`` condition (see :mod:`redline.mechanisms.conditions`)
and a list of ``then`` actions. The first week its condition holds in a run,
the run draws once whether the policy is carried out (its ``probability``);
if so, the actions take effect ``delay_weeks`` later. Actions: a supplier
permits or forbids a rung, a deployment is activated, an actor's support for
a side changes, a front opens, talks are offered. Deployments that exist in a
run reach combat ``combat_delay_weeks`` after activation and then join their
side's strength on their front. This is the trigger-strategy form of
conditional commitments (Schelling 1960, ch. 5: threats and promises as
conditional policies); probabilities and delays carry their uncertainty.

A policy with a ``hazard`` h instead of a ``probability`` draws in every
week its condition holds, until a draw succeeds: an incident that may arise
in any week a posture is held, Schelling's threat that leaves something to
chance (Schelling 1960, ch. 8; 1966, ch. 3), in which a held posture carries
a risk of an incident that neither side fully controls. Each week's draw is
the policy's own uniform of that week, independent across weeks, so with the
condition holding from week 1 the week it is carried out is geometric::

    P(carried out by week w) = 1 - (1 - h)^w

the discrete-time form of a constant hazard (the first event of a Poisson
process of incidents; [BoxSteffensmeier2004], Box-Steffensmeier & Jones
2004, ch. 5). A ``probability`` p is the one-draw case: p the first week,
then never.

``adopt: {actor: A, rung: R, weeks: N}`` sets A's posture to R in the week
the policy fires, before the decisions: red lines test it that week, its
cost is paid, and ``reached`` counts it. A holds R without deciding through
that week (no ``weeks``: it decides again from R the next week) or for N
weeks, and then returns to the rung it held before (``weeks: 1``: a one-off
act, one week of the rung, as the single strikes and demonstrations on
Kahn 1965's ladder). A may adopt R only if it may use it then: a rung that
needs a supplier's permission not yet given is not adopted (the policy
still fires; permit it first, in the same policy or an earlier one).
``record`` does nothing: the event is the policy's firing (``policy_fired``).
"""

from __future__ import annotations

import math
from collections import namedtuple

import numpy as np
from numba import njit
from numpy.typing import NDArray

from redline.arrays.scenario_arrays import ScenarioArrays
from redline.arrays.state import NEVER, State
from redline.arrays.streams import uniform_at
from redline.mechanisms import changes as ch
from redline.mechanisms import programs as pg
from redline.mechanisms.conditions import Predicate, compile_conditions, permitted
from redline.mechanisms.mechanism import Mechanism, Week
from redline.scenario import models as m

FloatArray = NDArray[np.float64]


class PolicyProgram:
    """The scenario's policies with their conditions compiled to predicates."""

    def __init__(self, compiled: ScenarioArrays) -> None:
        self.compiled = compiled
        self.conditions: list[Predicate] = compile_conditions(compiled)[
            :len(compiled.scenario.policies)]
        self.support_columns = {key: k for k, key in enumerate(compiled.support_change_slots)}
        self.hazard = compiled.policy_hazard_slot >= 0

    def reach_combat(self, state: State) -> FloatArray:
        """Deployments reaching combat this week; returns their strength by front (N, F, 2)."""
        compiled = self.compiled
        arrivals = np.zeros((state.runs, len(compiled.front_ids), 2))
        if not compiled.deployment_ids:
            return arrivals
        due = state.deployment_since + state.deployment_delay.astype(np.int64)
        ready = (state.deployment_active & state.deployment_exists
                 & (state.deployment_since != NEVER) & (state.week >= due))
        new = ready & ~state.deployment_in_combat & state.alive[:, None]
        state.deployment_in_combat |= new
        for d in range(len(compiled.deployment_ids)):
            front = compiled.deployment_front[d]
            role = 0 if compiled.deployment_side[d] == compiled.front_attacker_side[front] else 1
            joining = np.where(new[:, d], state.deployment_strength[:, d], 0.0)
            _mix(state, front, role, compiled.deployment_actor[d], joining,
                 state.deployment_attrition[:, d], arrivals[:, front, role])
            arrivals[:, front, role] += joining
        return arrivals

    def step(self, state: State, uniforms: FloatArray) -> None:
        """Decide newly triggered policies and carry out those due (``uniforms``: one row each).

        A policy with a ``probability`` is decided the first week its condition
        holds; one with a ``hazard`` only in the week its draw succeeds
        (module docstring).
        """
        alive = state.alive
        for p, condition in enumerate(self.conditions):
            undecided = alive & ~state.policy_decided[:, p]
            if undecided.any():
                holds = undecided & condition(state)
                if self.hazard[p]:
                    go = holds & (uniforms[p] < state.policy_hazard[:, p])
                    state.policy_decided[:, p] |= go
                else:
                    state.policy_decided[:, p] |= holds
                    go = holds & (uniforms[p] < state.policy_probability[:, p])
                state.policy_due[:, p] = np.where(
                    go, state.week + state.policy_delay[:, p].astype(np.int64),
                    state.policy_due[:, p])
            fire = alive & ~state.policy_fired[:, p] & (state.policy_due[:, p] <= state.week)
            if fire.any():
                state.policy_fired[:, p] |= fire
                for j, action in enumerate(self.compiled.scenario.policies[p].then):
                    self._act(state, p, j, action, fire)

    def _act(self, state: State, p: int, j: int, action: object,
             fire: NDArray[np.bool_]) -> None:
        compiled = self.compiled
        match action:
            case m.Permit(permit=target) | m.Forbid(forbid=target):
                a = compiled.actor_index[target.actor]
                r = compiled.rung_index[target.rung]
                s = compiled.suppliers.index(target.by)
                state.grants[:, a, r, s] = np.where(fire, isinstance(action, m.Permit),
                                                    state.grants[:, a, r, s])
            case m.Deploy(deploy=ident):
                d = compiled.deployment_index[ident]
                start = fire & ~state.deployment_active[:, d]
                state.deployment_active[:, d] |= fire
                state.deployment_since[:, d] = np.where(start, state.week,
                                                        state.deployment_since[:, d])
            case m.ChangeSupport(support=change):
                a = compiled.actor_index[change.by]
                level = state.action_level[:, self.support_columns[(p, j)]]
                state.support[:, a] = np.where(fire, level, state.support[:, a])
            case m.OpenFront(open_front=ident):
                f = compiled.front_index[ident]
                state.front_open[:, f] |= fire
            case m.OfferTalks(offer_talks=offer):
                state.talks_hazard = np.where(fire, np.maximum(state.talks_hazard, offer.hazard),
                                              state.talks_hazard)
            case m.Adopt(adopt=target):
                a, r = compiled.actor_index[target.actor], compiled.rung_index[target.rung]
                usable = permitted(compiled, state)[:, a, r]
                adopt(state, a, r, target.weeks or 0, fire & usable)
            case m.RecordedAction():  # carried out by its own mechanism, from policy_fired
                pass


def adopt(state: State, actor: int, rung: int, weeks: int, go: NDArray[np.bool_]) -> None:
    """In the runs ``go``, ``actor`` adopts ``rung`` this week (module docstring, ``adopt``).

    It holds the rung without deciding through week t (``weeks`` 0) or
    t + weeks - 1, and with ``weeks`` returns after them to the rung it held
    before: the one it held when no earlier return is pending, else that
    return's (two overlapping one-off acts return to the posture before both).
    """
    week = state.week
    if weeks:
        first = go & (state.return_rung[:, actor] < 0)
        state.return_rung[:, actor] = np.where(first, state.posture[:, actor],
                                               state.return_rung[:, actor])
    else:
        state.return_rung[:, actor] = np.where(go, -1, state.return_rung[:, actor])
    state.hold_until[:, actor] = np.where(go, week + max(weeks, 1) - 1,
                                          state.hold_until[:, actor])
    state.posture[:, actor] = np.where(go, rung, state.posture[:, actor])
    state.max_posture[:, actor] = np.where(go, np.maximum(state.max_posture[:, actor], rung),
                                           state.max_posture[:, actor])


def _mix(state: State, front: int, role: int, actor: int, joining: FloatArray,
         rate: FloatArray, arrived: FloatArray) -> None:
    """A deployment joins its side's force on a front: the force becomes a strength-weighted mix.

    With pool P (the side's force there, plus what already arrived this week)
    and S joining, the side's attrition coefficient becomes
    (a P + a_S S) / (P + S), where a_S is the front's ``attrition`` entry for
    the deployment's actor (unchanged when it has none), and each actor's share
    of the side's losses becomes (share P + S [actor is the deployment's]) / (P + S):
    the same strength weighting as the starting forces of several actors.
    """
    pool = state.forces[:, front, role] + arrived
    total = pool + joining
    mixing = (joining > 0) & (total > 0)
    if not mixing.any():
        return
    with np.errstate(divide="ignore", invalid="ignore"):
        mixed_rate = (state.attrition[:, front, role] * pool + rate * joining) / total
        kept = pool / total
        share = state.loss_share[:, front, role, :] * kept[:, None]
        share[:, actor] += joining / total
    state.attrition[:, front, role] = np.where(mixing & ~np.isnan(rate), mixed_rate,
                                               state.attrition[:, front, role])
    state.loss_share[:, front, role, :] = np.where(mixing[:, None], share,
                                                   state.loss_share[:, front, role, :])


# ------------------------------------------------------------------ the compiled step

#: A block's lists of the policies that may still act (in order) and of those among them
#: that are undecided and read what moves every week or draw with a hazard (every week
#: their condition holds); ``lists`` holds their lengths and
#: the next week a decided policy is due; ``arrivals`` the strength reaching each front
#: this week (for the fronts' step).
PolicyWork = namedtuple("PolicyWork", ["open", "weekly", "lists", "arrivals"])
OPEN_COUNT, WEEKLY_COUNT, NEXT_DUE = 0, 1, 2


@njit(inline="always")
def policies_work(st):  # pragma: no cover
    """The compiled step's arrays for a block of runs."""
    n_policies, n_fronts = st.policy_fired.shape[1], st.forces.shape[1]
    return PolicyWork(np.zeros(max(n_policies, 1), dtype=np.int64),
                      np.zeros(max(n_policies, 1), dtype=np.int64),
                      np.zeros(3, dtype=np.int64), np.zeros((max(n_fronts, 1), 2)))


@njit(inline="always")
def start_policies(model, st, work, n):  # pragma: no cover
    """Run ``n``'s open list: the policies that may still act (fired or decided against: not)."""
    open_policies, lists = work.policies.open, work.policies.lists
    count = 0
    for p in range(st.policy_fired.shape[1]):
        if not st.policy_fired[n, p] and not (st.policy_decided[n, p]
                                              and st.policy_due[n, p] == NEVER):
            open_policies[count] = p
            count += 1
    lists[OPEN_COUNT] = count
    lists[WEEKLY_COUNT] = 0
    lists[NEXT_DUE] = 0  # (every open policy has every change to see: all of them, week 1)


@njit(inline="always")
def policies_kernel(model, st, work, n, run, week, key):  # pragma: no cover
    """:meth:`PolicyProgram.reach_combat` then :meth:`PolicyProgram.step` for run ``n``.

    Nothing is evaluated in a week when no open policy's condition reads what
    changed, none is due and none of those that read what moves every week
    holds (measured: passing over the open policies every week was a seventh of
    the kernel). After a policy fires, the conditions of those after it are
    evaluated again, so they see its effects this week; those before it see
    them next week, as in the vectorised form.
    """
    reach_combat_kernel(model, st, work, n, run, week, key)
    marks, holds, needed = work.marks, work.conditions.holds, work.conditions.needed
    open_policies, weekly_policies, lists = (work.policies.open, work.policies.weekly,
                                             work.policies.lists)
    decided, due, fired = st.policy_decided, st.policy_due, st.policy_fired
    open_count, weekly_count = lists[OPEN_COUNT], lists[WEEKLY_COUNT]
    every_policy = marks[ch.UNSEEN_BY_POLICIES] != 0 or week >= lists[NEXT_DUE]
    every_week = ch.EVERY_WEEK  # (0 once those values are this week's)
    if not every_policy and weekly_count > 0:
        pg.evaluate(model, st, work, weekly_policies, 0, weekly_count, n, week, 0, ch.EVERY_WEEK)
        every_week = 0
        for i in range(weekly_count):
            every_policy = every_policy or holds[weekly_policies[i]]
    if not every_policy:
        return
    for i in range(open_count):
        needed[open_policies[i]] = not decided[n, open_policies[i]]
    first = 0
    while first < open_count:  # again after one fires: later ones see it
        pg.evaluate(model, st, work, open_policies, first, open_count, n, week,
                    marks[ch.UNSEEN_BY_POLICIES], every_week)
        every_week = 0
        if first == 0:  # (the earlier ones see a firing's changes next week)
            marks[ch.UNSEEN_BY_POLICIES] = 0
        resume = open_count
        for i in range(first, open_count):
            p = open_policies[i]
            if not decided[n, p] and holds[p]:
                u = uniform_at(key, run, week, model.row_policies + p)
                if model.policy_has_hazard[p]:  # decided only when the week's draw succeeds
                    if u < st.policy_hazard[n, p]:
                        decided[n, p] = True
                        due[n, p] = week + np.int64(st.policy_delay[n, p])
                else:
                    decided[n, p] = True
                    if u < st.policy_probability[n, p]:
                        due[n, p] = week + np.int64(st.policy_delay[n, p])
            if not fired[n, p] and due[n, p] <= week:
                fired[n, p] = True
                ch.note(marks, ch.POLICIES)
                act_kernel(model, st, work, n, week, p)
                resume = i + 1
                break
        first = resume
    # the open list without the policies that fired or were decided against
    kept = 0
    for i in range(open_count):
        p = open_policies[i]
        if not fired[n, p] and not (decided[n, p] and due[n, p] == NEVER):
            open_policies[kept] = p
            kept += 1
    weekly_count = 0
    next_due = NEVER
    for i in range(kept):
        p = open_policies[i]
        if decided[n, p]:
            next_due = min(next_due, due[n, p])
        elif model.condition_reads[p] & ch.EVERY_WEEK or model.policy_has_hazard[p]:
            weekly_policies[weekly_count] = p  # (a hazard draws every week its condition holds)
            weekly_count += 1
    lists[OPEN_COUNT] = kept
    lists[WEEKLY_COUNT] = weekly_count
    lists[NEXT_DUE] = next_due


@njit(inline="always")
def act_kernel(model, st, work, n, week, p):  # pragma: no cover
    """The actions of policy ``p`` in run ``n`` (as :meth:`PolicyProgram._act`)."""
    marks = work.marks
    for j in range(model.action_start[p], model.action_start[p + 1]):
        kind = model.action_kind[j]
        x, y, z = model.action_arg[j, 0], model.action_arg[j, 1], model.action_arg[j, 2]
        if kind == pg.ACT_PERMIT:
            st.grants[n, x, y, z] = True
            ch.note(marks, ch.GRANTS)
        elif kind == pg.ACT_FORBID:
            st.grants[n, x, y, z] = False
            ch.note(marks, ch.GRANTS)
        elif kind == pg.ACT_DEPLOY:
            if not st.deployment_active[n, x]:
                st.deployment_since[n, x] = week
            st.deployment_active[n, x] = True
            ch.note(marks, ch.DEPLOYMENTS)
        elif kind == pg.ACT_SUPPORT:
            st.support[n, x] = st.action_level[n, y]
            ch.note(marks, ch.SUPPORT)
        elif kind == pg.ACT_OPEN_FRONT:
            st.front_open[n, x] = True
            ch.note(marks, ch.FRONTS)
        elif kind == pg.ACT_OFFER_TALKS:
            st.talks_hazard[n] = max(st.talks_hazard[n], model.action_value[j])
        elif kind == pg.ACT_ADOPT:
            if adopt_kernel(model, st, n, week, x, y, z):
                ch.note(marks, ch.POSTURE)
        # ACT_RECORDED: carried out by the mechanism that owns it, which reads policy_fired


@njit(inline="always")
def adopt_kernel(model, st, n, week, actor, rung, weeks):  # pragma: no cover
    """:func:`adopt` in run ``n`` if ``actor`` may use ``rung`` now; returns whether it did."""
    usable = model.may_use[actor, rung]
    for s in range(model.supplier_actor.shape[0]):
        if (model.needs[rung, s] and model.supplier_actor[s] != actor
                and not st.grants[n, actor, rung, s]):
            usable = False
    if not usable:
        return False
    if weeks > 0:
        if st.return_rung[n, actor] < 0:
            st.return_rung[n, actor] = st.posture[n, actor]
    else:
        st.return_rung[n, actor] = -1
    st.hold_until[n, actor] = week + max(weeks, 1) - 1
    st.posture[n, actor] = rung
    st.max_posture[n, actor] = max(st.max_posture[n, actor], rung)
    return True


@njit(inline="always")
def reach_combat_kernel(model, st, work, n, run, week, key):  # pragma: no cover
    """:meth:`PolicyProgram.reach_combat` for run ``n``: arrivals go to ``work.policies``."""
    arrivals = work.policies.arrivals
    forces, attrition, loss_share = st.forces, st.attrition, st.loss_share
    since, active, in_combat = (st.deployment_since, st.deployment_active,
                                st.deployment_in_combat)
    for f in range(forces.shape[1]):
        arrivals[f, 0] = 0.0
        arrivals[f, 1] = 0.0
    for d in range(since.shape[1]):
        if (since[n, d] != NEVER and active[n, d] and st.deployment_exists[n, d]
                and not in_combat[n, d]
                and week >= since[n, d] + np.int64(st.deployment_delay[n, d])):
            in_combat[n, d] = True
            ch.note(work.marks, ch.DEPLOYMENTS)
            f, role = model.deployment_front[d], model.deployment_role[d]
            joining = st.deployment_strength[n, d]
            pool = forces[n, f, role] + arrivals[f, role]
            total = pool + joining
            if joining > 0.0 and total > 0.0:  # a strength-weighted mix (as _mix)
                rate = st.deployment_attrition[n, d]
                if not math.isnan(rate):
                    attrition[n, f, role] = (attrition[n, f, role] * pool
                                             + rate * joining) / total
                kept = pool / total
                for a in range(loss_share.shape[3]):
                    loss_share[n, f, role, a] = loss_share[n, f, role, a] * kept
                loss_share[n, f, role, model.deployment_actor[d]] += joining / total
            arrivals[f, role] += joining


def reference_step(week: Week, state: State, uniforms: FloatArray) -> None:
    """The reference engine's week: deployments reach combat, then the policies act.

    The strength reaching each front goes to ``week.arrivals`` (the fronts' step
    reads it); the policies' conditions are compiled to predicates once a chunk.
    """
    program = week.kept.get("policies")
    if program is None:
        program = week.kept["policies"] = PolicyProgram(week.compiled)
    week.arrivals = program.reach_combat(state)
    program.step(state, uniforms)


def deployment_roles(compiled: ScenarioArrays) -> NDArray[np.int64]:
    """(D,) each deployment's role on its front: 0 with the attacker, 1 with the defender."""
    return np.array([0 if compiled.deployment_side[d] == compiled.front_attacker_side[
        compiled.deployment_front[d]] else 1 for d in range(len(compiled.deployment_ids))],
        dtype=np.int64)


#: The mechanism's declaration (:class:`redline.mechanisms.mechanism.Mechanism`).
MECHANISM = Mechanism(
    key="policies",
    name="events and policies",
    summary=("deployments reach combat; a policy whose condition holds draws once (or, with "
             "a hazard, every week it holds until it is carried out), and its actions, "
             "adopting a posture among them, take effect after its delay"),
    reads=("week", "deployment_active", "deployment_since", "deployment_exists",
           "deployment_delay", "deployment_strength", "deployment_attrition", "forces",
           "policy_decided", "policy_due", "policy_probability", "policy_delay",
           "policy_hazard", "grants", "posture", "max_posture", "return_rung"),
    writes=("deployment_in_combat", "policy_decided", "policy_due", "policy_fired", "grants",
            "deployment_active", "deployment_since", "support", "front_open", "talks_hazard",
            "attrition", "loss_share", "memory_since", "memory_before", "memory_week",
            "posture", "max_posture", "hold_until", "return_rung"),
    draws="one per policy",
    reference=reference_step,
    kernel=policies_kernel,
    sources=("Schelling1960", "Schelling1966", "BoxSteffensmeier2004", "Kahn1965"),
    constants={
        "policy_has_hazard": lambda compiled: compiled.policy_hazard_slot >= 0,
        "deployment_front": lambda compiled: np.ascontiguousarray(
            compiled.deployment_front, dtype=np.int64),
        "deployment_role": deployment_roles,
        "deployment_actor": lambda compiled: np.ascontiguousarray(
            compiled.deployment_actor, dtype=np.int64),
    },
)
