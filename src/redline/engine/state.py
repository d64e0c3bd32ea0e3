"""The state of a chunk of runs: arrays whose first axis is the run.

Per-run parameters (drawn once from the scenario's distributions) and the
evolving state live side by side in :class:`State`; the mechanisms read and
write its fields, and each declares which (see ``redline.mechanisms``).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from redline.engine.compiled import Compiled

FloatArray = NDArray[np.float64]
IntArray = NDArray[np.int64]
BoolArray = NDArray[np.bool_]

#: Code of "not yet" in the week arrays.
NEVER = np.iinfo(np.int64).max

#: Codes of the terminal outcomes (0: the run is still going).
TERMINAL_CODES: dict[str, int] = {
    "military_collapse": 1,
    "great_power_war": 2,
    "nuclear_use": 3,
    "regime_crisis": 4,
}


@dataclass
class State:
    """State and per-run parameters of ``runs`` runs (see the module docstring)."""

    runs: int
    week: int
    # per-run parameters: (runs, ...)
    capability: FloatArray  # (N, A)
    resolve: FloatArray
    war_cost: FloatArray
    cost_sensitivity: FloatArray
    optimism: FloatArray
    stability_sensitivity: FloatArray
    effect: FloatArray  # (N, R)
    cost: FloatArray
    harm: FloatArray
    threshold: FloatArray  # (N, L)
    follow_through: FloatArray
    attrition: FloatArray  # (N, F, 2): losses inflicted per unit of strength per week
    reinforcement: FloatArray  # (N, F, 2)
    control_speed: FloatArray  # (N, F)
    front_weight: FloatArray
    diverts: FloatArray  # (N, F, A)
    loss_share: FloatArray  # (N, F, 2, A): who bears each side's losses on a front
    deployment_strength: FloatArray  # (N, D)
    deployment_exists: BoolArray
    deployment_delay: FloatArray
    policy_probability: FloatArray  # (N, P)
    policy_delay: FloatArray
    action_level: FloatArray  # (N, K) new support level of each support-changing action
    # evolving state
    support: FloatArray  # (N, A)
    posture: IntArray  # (N, A) rung index
    max_posture: IntArray
    grants: BoolArray  # (N, A, R, S) supplier s has permitted rung r to actor a
    tested: IntArray  # (N, L) index into the extended severities: highest tested
    low: IntArray  # (N, L) public lower bound L (extended index)
    high: IntArray  # (N, L) public upper bound U (extended index)
    crossed: BoolArray  # (N, L) declared rung crossed
    enforced: BoolArray  # (N, L)
    forces: FloatArray  # (N, F, 2) attacker side, defender side
    control: FloatArray  # (N, F)
    front_open: BoolArray  # (N, F)
    deployment_active: BoolArray  # (N, D)
    deployment_since: IntArray  # (N, D) week of activation
    deployment_in_combat: BoolArray
    policy_decided: BoolArray  # (N, P) its condition has held and its draw was made
    policy_due: IntArray  # (N, P) week its actions take effect, NEVER if not pending
    policy_fired: BoolArray
    talks_hazard: FloatArray  # (N,)
    costs: FloatArray  # (N, A) accumulated
    weekly_cost: FloatArray  # (N, A) this week's
    stability: FloatArray  # (N, A)
    deals_broken: FloatArray  # (N, 2) deals broken by each side during the run
    win_probability: FloatArray  # (N,) side 0's chance to prevail (contest success)
    settled: BoolArray  # (N,)
    settled_ever: BoolArray
    broken_ever: BoolArray
    terms: FloatArray  # (N,) side 0's share in the current deal
    terminal: IntArray  # (N,) TERMINAL_CODES value, 0 while going
    end_week: IntArray  # (N,) week the run ended, NEVER while going
    regime_actor: IntArray  # (N,) actor whose regime fell, -1 if none

    @property
    def alive(self) -> BoolArray:
        """Runs that have not ended in a terminal outcome."""
        return self.terminal == 0

    @property
    def fighting(self) -> BoolArray:
        """Runs still going and not under a settlement."""
        return (self.terminal == 0) & ~self.settled


def initial_state(compiled: Compiled, uniforms: FloatArray) -> State:
    """Draw per-run parameters from ``uniforms`` (one row per slot) and set week 0."""
    values = compiled.slots.sample(uniforms)
    runs = uniforms.shape[1]

    def take(slots: NDArray[np.int64], fill: float = 0.0) -> FloatArray:
        slots = np.asarray(slots)
        if slots.size == 0:
            return np.zeros((runs, *slots.shape))
        picked = values[np.where(slots >= 0, slots, 0)]
        picked = np.where(slots[..., None] >= 0, picked, fill)
        return np.moveaxis(picked, -1, 0).copy()

    n_actors = compiled.n_actors
    n_rungs = compiled.n_rungs
    support = np.broadcast_to(compiled.support_default, (runs, n_actors)).copy()
    given = compiled.support_slot >= 0
    support[:, given] = take(compiled.support_slot[given])
    posture = np.broadcast_to(compiled.initial_posture, (runs, n_actors)).copy()

    forces_by_owner = take(compiled.front_forces_slot)  # (N, F, 2, k)
    forces_by_owner = np.maximum(forces_by_owner, 0.0)
    forces = forces_by_owner.sum(axis=-1)
    attrition = _weighted(take(compiled.front_attrition_slot), forces_by_owner)
    reinforcement = take(compiled.front_reinforcement_slot).sum(axis=-1)
    loss_share = np.zeros((runs, *forces.shape[1:], n_actors))
    owners = compiled.front_force_owner
    shares = forces_by_owner / np.maximum(forces[..., None], 1e-12)
    for f, role, k in zip(*np.nonzero(owners >= 0), strict=True):
        loss_share[:, f, role, owners[f, role, k]] += shares[:, f, role, k]

    deployment_exists = take(compiled.deployment_draw_slot) < take(
        compiled.deployment_exists_slot
    )
    red_lines = len(compiled.red_line_ids)
    severity_index = posture + 1  # extended index of each actor's rung
    baseline = np.zeros((runs, red_lines), dtype=np.int64)
    for line in range(red_lines):
        applies = compiled.red_line_applies[line]
        if applies.any():
            baseline[:, line] = severity_index[:, applies].max(axis=1)
    low = np.maximum(compiled.red_line_initial_low[None, :], baseline)
    stability = take(compiled.stability_slot)
    return State(
        runs=runs,
        week=0,
        capability=np.maximum(take(compiled.capability_slot), 0.0),
        resolve=np.clip(take(compiled.resolve_slot), 0.0, 1.0),
        war_cost=np.maximum(take(compiled.war_cost_slot), 0.0),
        cost_sensitivity=np.maximum(take(compiled.cost_sensitivity_slot), 0.0),
        optimism=take(compiled.optimism_slot),
        stability_sensitivity=np.maximum(take(compiled.stability_sensitivity_slot), 0.0),
        effect=take(compiled.effect_slot),
        cost=np.maximum(take(compiled.cost_slot), 0.0),
        harm=np.maximum(take(compiled.harm_slot), 0.0),
        threshold=take(compiled.threshold_slot),
        follow_through=np.clip(take(compiled.follow_through_slot), 0.0, 1.0),
        attrition=np.maximum(attrition, 0.0),
        reinforcement=np.maximum(reinforcement, 0.0),
        control_speed=np.maximum(take(compiled.front_speed_slot), 0.0),
        front_weight=np.maximum(take(compiled.front_weight_slot), 0.0),
        diverts=np.clip(take(compiled.front_diverts_slot), 0.0, 1.0),
        loss_share=loss_share,
        deployment_strength=np.maximum(take(compiled.deployment_strength_slot), 0.0),
        deployment_exists=deployment_exists,
        deployment_delay=np.maximum(np.rint(take(compiled.deployment_delay_slot)), 0.0),
        policy_probability=np.clip(take(compiled.policy_probability_slot), 0.0, 1.0),
        policy_delay=np.maximum(np.rint(take(compiled.policy_delay_slot)), 0.0),
        action_level=np.clip(
            take(np.array(list(compiled.support_change_slots.values()), dtype=np.int64)), 0.0, 1.0
        ),
        support=np.clip(support, 0.0, 1.0),
        posture=posture,
        max_posture=posture.copy(),
        grants=np.zeros((runs, n_actors, n_rungs, len(compiled.suppliers)), dtype=bool),
        tested=low.copy(),
        low=low,
        high=np.full((runs, red_lines), len(compiled.extended_severity) - 1, dtype=np.int64),
        crossed=np.zeros((runs, red_lines), dtype=bool),
        enforced=np.zeros((runs, red_lines), dtype=bool),
        forces=forces,
        control=np.clip(take(compiled.front_control_slot), 0.0, 1.0),
        front_open=np.broadcast_to(compiled.front_active, (runs, len(compiled.front_ids))).copy(),
        deployment_active=np.broadcast_to(
            compiled.deployment_active, (runs, len(compiled.deployment_ids))
        ).copy(),
        deployment_since=np.where(compiled.deployment_active, 0, NEVER)
        * np.ones((runs, 1), dtype=np.int64),
        deployment_in_combat=np.zeros((runs, len(compiled.deployment_ids)), dtype=bool),
        policy_decided=np.zeros((runs, len(compiled.policy_ids)), dtype=bool),
        policy_due=np.full((runs, len(compiled.policy_ids)), NEVER, dtype=np.int64),
        policy_fired=np.zeros((runs, len(compiled.policy_ids)), dtype=bool),
        talks_hazard=np.full(runs, compiled.scenario.model.talks_hazard),
        costs=np.zeros((runs, n_actors)),
        weekly_cost=np.zeros((runs, n_actors)),
        stability=np.clip(stability, 0.0, 1.0),
        deals_broken=np.zeros((runs, 2)),
        win_probability=np.full(runs, 0.5),
        settled=np.zeros(runs, dtype=bool),
        settled_ever=np.zeros(runs, dtype=bool),
        broken_ever=np.zeros(runs, dtype=bool),
        terms=np.full(runs, np.nan),
        terminal=np.zeros(runs, dtype=np.int64),
        end_week=np.full(runs, NEVER, dtype=np.int64),
        regime_actor=np.full(runs, -1, dtype=np.int64),
    )


def _weighted(coefficients: FloatArray, weights: FloatArray) -> FloatArray:
    """Strength-weighted mean of per-actor coefficients over the last axis."""
    total = weights.sum(axis=-1)
    weighted = (coefficients * weights).sum(axis=-1)
    return np.where(total > 0, weighted / np.maximum(total, 1e-12), coefficients.mean(axis=-1))
