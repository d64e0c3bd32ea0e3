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
"""

from __future__ import annotations

from collections import namedtuple

import numpy as np
from numba import njit
from numpy.typing import NDArray

from redline.arrays.scenario_arrays import ScenarioArrays
from redline.arrays.state import NEVER, State
from redline.mechanisms.conditions import Predicate, compile_condition
from redline.scenario import models as m

NAME = "events and policies"
STOCHASTIC = True
READS = ("week", "deployment_active", "deployment_since", "deployment_exists",
         "deployment_delay", "deployment_strength", "deployment_attrition", "forces",
         "policy_decided", "policy_due", "policy_probability", "policy_delay")
WRITES = ("deployment_in_combat", "policy_decided", "policy_due", "policy_fired", "grants",
          "deployment_active", "deployment_since", "support", "front_open", "talks_hazard",
          "attrition", "loss_share")
SOURCE = "Schelling1960"

FloatArray = NDArray[np.float64]


class PolicyProgram:
    """The scenario's policies with their conditions compiled to predicates."""

    def __init__(self, compiled: ScenarioArrays) -> None:
        self.compiled = compiled
        self.conditions: list[Predicate] = [
            compile_condition(policy.when, compiled) for policy in compiled.scenario.policies
        ]
        self.support_columns = {key: k for k, key in enumerate(compiled.support_change_slots)}

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
        """Decide newly triggered policies and carry out those due (``uniforms``: one row each)."""
        alive = state.alive
        for p, condition in enumerate(self.conditions):
            undecided = alive & ~state.policy_decided[:, p]
            if undecided.any():
                holds = undecided & condition(state)
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
#: that are undecided and read what moves every week; ``lists`` holds their lengths and
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
