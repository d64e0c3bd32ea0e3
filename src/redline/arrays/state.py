"""The state of a chunk of runs: arrays whose first axis is the run.

Per-run parameters (drawn once from the scenario's distributions) and the
evolving state live side by side in :class:`State`; the mechanisms read and
write its fields, and each declares which (see ``redline.mechanisms``).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
from numpy.typing import NDArray

from redline.arrays.scenario_arrays import ScenarioArrays
from redline.arrays.slot_values import AT_LEAST_ZERO, SHARE, WHOLE_WEEKS, SlotValues

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
    deployment_attrition: FloatArray  # (N, D) its own attrition rate; NaN: its side's
    policy_probability: FloatArray  # (N, P)
    policy_delay: FloatArray
    action_level: FloatArray  # (N, K) new support level of each support-changing action
    pressure_cost: FloatArray  # (N, Q) weekly cost of each economic pressure to its target
    concession_value: FloatArray  # (N, K) worth of each concession to the side it is made to
    policy_hazard: FloatArray  # (N, P) weekly chance of a hazard policy (0 for the others)
    rationality: FloatArray  # (N,) logit precision of the decisions
    switching_cost: FloatArray  # (N,)
    planning_weeks: FloatArray  # (N,)
    # evolving state
    support: FloatArray  # (N, A)
    posture: IntArray  # (N, A) rung index
    max_posture: IntArray
    hold_until: IntArray  # (N, A) last week an adopted posture is held without deciding
    return_rung: IntArray  # (N, A) rung to return to after that week, -1 for none
    grants: BoolArray  # (N, A, R, S) supplier s has permitted rung r to actor a
    tested: IntArray  # (N, L) index into the extended severities: highest tested
    low: IntArray  # (N, L) public lower bound L (extended index)
    high: IntArray  # (N, L) public upper bound U (extended index)
    crossed: BoolArray  # (N, L) declared rung crossed
    audience_cost: FloatArray  # (N, L) a self-limit's cost to its owner of breaking it, else 0
    pledge_broken: BoolArray  # (N, L) a self-limit's owner has reached its declared rung
    reprisal_bonus: FloatArray  # (N, A) utility of moving up while provoked (0: no motive)
    provoked_until: IntArray  # (N, A) last week of the actor's provocation (-1: none yet)
    side_peak: IntArray  # (N, 2) each side's highest rung when last seen by the decisions
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
    # conditions with a memory (held_for, ever), one slot per use (docs/model.md)
    memory_since: IntArray  # (N, M) first week of the current run of weeks held (held_for)
    # or of the first week held (ever); NEVER if none
    memory_before: IntArray  # (N, M) memory_since as the week before left it
    memory_week: IntArray  # (N, M) last week the slot was evaluated, -1 before any

    @property
    def alive(self) -> BoolArray:
        """Runs that have not ended in a terminal outcome."""
        return self.terminal == 0

    @property
    def fighting(self) -> BoolArray:
        """Runs still going and not under a settlement."""
        return (self.terminal == 0) & ~self.settled


def initial_state(compiled: ScenarioArrays, uniforms: FloatArray,
                  rows: NDArray[np.int64] | None = None) -> State:
    """Draw per-run parameters from ``uniforms`` and set week 0.

    ``uniforms`` has one row per slot, or, with ``rows``, one row per slot in
    ``rows`` (which must hold every distribution slot; constants need none).
    """
    runs = uniforms.shape[1]
    values = SlotValues(compiled.slots, uniforms, rows)
    take = values.take

    n_actors = compiled.n_actors
    n_rungs = compiled.n_rungs
    posture = np.broadcast_to(compiled.initial_posture, (runs, n_actors)).copy()

    # each side of a front: its actors' strengths added, their attrition coefficients
    # weighted by strength (the plain mean over the padded width if all are 0), and each
    # actor's share of the losses; one (runs,) column at a time, as a side has few actors
    n_fronts, _, width = compiled.front_force_owner.shape
    forces = np.zeros((runs, n_fronts, 2))
    attrition = np.zeros((runs, n_fronts, 2))
    reinforcement = np.zeros((runs, n_fronts, 2))
    loss_share = np.zeros((runs, n_fronts, 2, n_actors))
    for f, role in np.ndindex(n_fronts, 2):
        owners = compiled.front_force_owner[f, role]
        present = np.flatnonzero(owners >= 0)
        if present.size == 0:
            continue
        strengths = [take(compiled.front_forces_slot[f, role, k], bound=AT_LEAST_ZERO)
                     for k in present]
        coefficients = [take(compiled.front_attrition_slot[f, role, k]) for k in present]
        total = _added(strengths)
        divisor = np.maximum(total, 1e-12)
        weighted = _added([c * s for c, s in zip(coefficients, strengths, strict=True)])
        forces[:, f, role] = total
        attrition[:, f, role] = np.where(total > 0, weighted / divisor,
                                         _added(coefficients) / width)
        reinforcement[:, f, role] = _added(
            [take(compiled.front_reinforcement_slot[f, role, k]) for k in present])
        for k, strength in zip(present, strengths, strict=True):
            loss_share[:, f, role, owners[k]] += strength / divisor

    deployment_exists = take(compiled.deployment_draw_slot) < take(
        compiled.deployment_exists_slot
    )
    red_lines = len(compiled.red_line_ids)
    # every run starts from the same postures, so the public lower bounds are shared; a
    # line tested at the start counts them as tested and tolerated, one that is not
    # tests them in week 1 (the crossing that starts a crisis)
    severity_index = compiled.initial_posture + 1  # extended index of each actor's rung
    baseline = np.zeros(red_lines, dtype=np.int64)
    for line, spec in enumerate(compiled.scenario.red_lines):
        applies = compiled.red_line_applies[line]
        if applies.any() and spec.tested_at_start:
            baseline[line] = severity_index[applies].max()
    low = np.broadcast_to(np.maximum(compiled.red_line_initial_low, baseline),
                          (runs, red_lines)).copy()
    harm = take(compiled.harm_slot, bound=AT_LEAST_ZERO)
    audience_cost, pledge_broken = _pledges(compiled, take, harm)
    return State(
        runs=runs,
        week=0,
        capability=take(compiled.capability_slot, bound=AT_LEAST_ZERO),
        resolve=take(compiled.resolve_slot, bound=SHARE),
        war_cost=take(compiled.war_cost_slot, bound=AT_LEAST_ZERO),
        cost_sensitivity=take(compiled.cost_sensitivity_slot, bound=AT_LEAST_ZERO),
        optimism=take(compiled.optimism_slot),
        stability_sensitivity=take(compiled.stability_sensitivity_slot,
                                   bound=AT_LEAST_ZERO),
        effect=take(compiled.effect_slot),
        cost=take(compiled.cost_slot, bound=AT_LEAST_ZERO),
        harm=harm,
        threshold=take(compiled.threshold_slot),
        follow_through=take(compiled.follow_through_slot, bound=SHARE),
        attrition=_at_least_zero(attrition),
        reinforcement=_at_least_zero(reinforcement),
        control_speed=take(compiled.front_speed_slot, bound=AT_LEAST_ZERO),
        front_weight=take(compiled.front_weight_slot, bound=AT_LEAST_ZERO),
        diverts=take(compiled.front_diverts_slot, bound=SHARE),
        loss_share=loss_share,
        deployment_strength=take(compiled.deployment_strength_slot, bound=AT_LEAST_ZERO),
        deployment_exists=deployment_exists,
        deployment_delay=take(compiled.deployment_delay_slot, bound=WHOLE_WEEKS),
        deployment_attrition=take(compiled.deployment_attrition_slot, fill=np.nan,
                                  bound=AT_LEAST_ZERO),
        policy_probability=take(compiled.policy_probability_slot, bound=SHARE),
        policy_delay=take(compiled.policy_delay_slot, bound=WHOLE_WEEKS),
        action_level=take(np.array(list(compiled.support_change_slots.values()), dtype=np.int64),
                          bound=SHARE),
        pressure_cost=take(compiled.pressure_cost_slot, bound=AT_LEAST_ZERO),
        concession_value=take(compiled.concession_value_slot, bound=AT_LEAST_ZERO),
        policy_hazard=take(compiled.policy_hazard_slot, bound=SHARE),
        support=take(compiled.support_slot, fill=compiled.support_default, bound=SHARE),
        posture=posture,
        max_posture=posture.copy(),
        hold_until=np.zeros((runs, n_actors), dtype=np.int64),
        return_rung=np.full((runs, n_actors), -1, dtype=np.int64),
        grants=np.zeros((runs, n_actors, n_rungs, len(compiled.suppliers)), dtype=bool),
        tested=low.copy(),
        low=low,
        high=np.full((runs, red_lines), len(compiled.extended_severity) - 1, dtype=np.int64),
        crossed=np.zeros((runs, red_lines), dtype=bool),
        enforced=np.zeros((runs, red_lines), dtype=bool),
        audience_cost=audience_cost,
        pledge_broken=pledge_broken,
        reprisal_bonus=take(compiled.reprisal_bonus_slot, bound=AT_LEAST_ZERO),
        provoked_until=np.broadcast_to(
            np.where([a.reprisal is not None and a.reprisal.at_start
                      for a in compiled.scenario.actors.values()], compiled.reprisal_weeks, -1),
            (runs, n_actors)).astype(np.int64),
        side_peak=np.broadcast_to(_side_peaks(compiled), (runs, 2)).copy(),
        forces=forces,
        control=take(compiled.front_control_slot, bound=SHARE),
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
        **_decision_parameters(compiled, take, runs),
        costs=np.zeros((runs, n_actors)),
        weekly_cost=np.zeros((runs, n_actors)),
        stability=take(compiled.stability_slot, bound=SHARE),
        deals_broken=np.zeros((runs, 2)),
        win_probability=np.full(runs, 0.5),
        settled=np.zeros(runs, dtype=bool),
        settled_ever=np.zeros(runs, dtype=bool),
        broken_ever=np.zeros(runs, dtype=bool),
        terms=np.full(runs, np.nan),
        terminal=np.zeros(runs, dtype=np.int64),
        end_week=np.full(runs, NEVER, dtype=np.int64),
        regime_actor=np.full(runs, -1, dtype=np.int64),
        memory_since=np.full((runs, compiled.n_condition_memories), NEVER, dtype=np.int64),
        memory_before=np.full((runs, compiled.n_condition_memories), NEVER, dtype=np.int64),
        memory_week=np.full((runs, compiled.n_condition_memories), -1, dtype=np.int64),
    )


def _pledges(compiled: ScenarioArrays, take: Any, harm: FloatArray,
             ) -> tuple[FloatArray, BoolArray]:
    """Each self-limit's audience cost per run, and whether its pledge is broken at the start.

    The cost is the line's ``audience_cost`` or, without one, the harm of its
    ``response``; 0 for a line that does not apply to its owner. A pledge is
    broken at the start when its owner starts at or above its declared rung
    and the line counts the start as tested (``tested_at_start``, the default);
    otherwise the red-line step records the breach in week 1.
    """
    runs = harm.shape[0]
    audience_cost = take(compiled.audience_cost_slot, bound=AT_LEAST_ZERO)
    broken = np.zeros((runs, len(compiled.red_line_ids)), dtype=bool)
    for line, spec in enumerate(compiled.scenario.red_lines):
        if not compiled.red_line_pledged[line]:
            continue
        if compiled.audience_cost_slot[line] < 0:
            audience_cost[:, line] = harm[:, compiled.red_line_response[line]]
        owner = compiled.red_line_owner[line]
        declared = compiled.rung_index[spec.declared_at]
        broken[:, line] = spec.tested_at_start and compiled.initial_posture[owner] >= declared
    return audience_cost, broken


def _side_peaks(compiled: ScenarioArrays) -> IntArray:
    """Each side's highest rung at the start: a start is no escalation."""
    return np.array([compiled.initial_posture[compiled.side_of == side].max(initial=0)
                     for side in (0, 1)], dtype=np.int64)


def _decision_parameters(compiled: ScenarioArrays, take: Any, runs: int) -> dict[str, FloatArray]:
    """Each run's rationality, switching cost and planning weeks: one row of the table.

    The row is the run's uniform of ``decision_draw_slot`` times the table's
    length, rounded down (every row equally likely); one row for all runs when
    the scenario fixes all three.
    """
    table = compiled.decision_table
    if compiled.decision_draw_slot < 0:
        rows = np.zeros(runs, dtype=np.int64)
    else:
        uniforms = take(np.int64(compiled.decision_draw_slot))
        rows = np.minimum((uniforms * len(table)).astype(np.int64), len(table) - 1)
    return {name: np.ascontiguousarray(table[rows, column])
            for column, name in enumerate(("rationality", "switching_cost", "planning_weeks"))}


def _at_least_zero(values: FloatArray) -> FloatArray:
    """Raise negative values to 0, in place (the array is a fresh draw)."""
    return np.maximum(values, 0.0, out=values)


def _added(columns: list[FloatArray]) -> FloatArray:
    """Sum of a few columns, added left to right into a fresh array."""
    total = columns[0].copy()
    for column in columns[1:]:
        total += column
    return total
