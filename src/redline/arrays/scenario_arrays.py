"""Compile a validated scenario into index maps, constant arrays and parameter slots.

Ids become integer indices; the ladder is sorted by severity and an implicit
rung ``none`` (severity 0) is put first, so a posture is an index into it.
Every scenario number becomes a *parameter slot*: each run draws one uniform
per slot, in slot order, and inverts the number's distribution (a constant
ignores its uniform). Slots are assigned in the scenario's structural order,
so two scenarios that differ only in values (an intervention, a hypothesis)
share their random numbers: common random numbers.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from numpy.typing import NDArray
from pydantic import BaseModel

from redline.games.negotiation_terms import settlement_terms
from redline.scenario import distributions as dist
from redline.scenario import models as m
from redline.scenario.estimates import DECISION_PARAMETERS, decision_table

FloatArray = NDArray[np.float64]
IntArray = NDArray[np.int64]
BoolArray = NDArray[np.bool_]

NONE_RUNG = "none"
#: A slot holding a plain uniform draw (for Bernoulli events fixed per run).
STANDARD_UNIFORM = dist.Uniform(uniform=(0.0, 1.0))


@dataclass
class ParameterSlots:
    """Registry of the scenario numbers sampled per run."""

    numbers: list[float | dist.Distribution] = field(default_factory=list)
    names: list[str] = field(default_factory=list)

    def add(self, number: float | dist.Distribution, name: str) -> int:
        """Register a number under the dotted path it has in the scenario; returns its slot."""
        self.numbers.append(number)
        self.names.append(name)
        return len(self.numbers) - 1

    def add_many(self, numbers: list[float | dist.Distribution], names: list[str]) -> IntArray:
        """Register several numbers; returns their slots."""
        return np.array([self.add(number, name) for number, name in zip(numbers, names,
                                                                       strict=True)],
                        dtype=np.int64)

    def uncertain(self) -> list[int]:
        """Slots whose number is a distribution: the uncertain parameters."""
        return [slot for slot, number in enumerate(self.numbers)
                if dist.is_distribution(number) and not self.names[slot].endswith("#draw")]

    def sample(self, uniforms: FloatArray) -> FloatArray:
        """Values of every slot for each run: shape (slots, runs)."""
        values = np.empty_like(uniforms)
        constant = [slot for slot, number in enumerate(self.numbers)
                    if not dist.is_distribution(number)]
        values[constant] = np.array([self.numbers[slot] for slot in constant],
                                    dtype=np.float64)[:, None]
        for slot, number in enumerate(self.numbers):
            if dist.is_distribution(number):
                values[slot] = dist.sample(number, uniforms[slot])
        return values


@dataclass
class ScenarioArrays:
    """Everything the mechanisms need about a scenario, as arrays and indices."""

    scenario: m.Scenario
    slots: ParameterSlots
    # actors and sides
    actor_ids: list[str]
    actor_index: dict[str, int]
    side_of: IntArray  # (A,) 0 or 1, -1 for actors aligned with no side
    is_member: BoolArray  # (A,) belligerent members of a side
    leaders: IntArray  # (2,) actor index of each side's leader
    side_leader_ids: list[str]
    great_power: BoolArray
    stability_floor: FloatArray
    capability_slot: IntArray
    resolve_slot: IntArray
    war_cost_slot: IntArray
    cost_sensitivity_slot: IntArray
    optimism_slot: IntArray
    stability_slot: IntArray
    stability_sensitivity_slot: IntArray
    support_slot: IntArray  # (A,) slot of initial support level (or -1 for 0 / 1 defaults)
    support_default: FloatArray
    initial_posture: IntArray
    # ladder (index 0 is the implicit rung "none")
    rung_ids: list[str]
    rung_index: dict[str, int]
    severity: FloatArray  # (R,)
    effect_slot: IntArray
    cost_slot: IntArray
    harm_slot: IntArray
    may_use: BoolArray  # (A, R) actor is among the rung's users
    suppliers: list[str]
    needs: BoolArray  # (R, S) rung needs supplier s's permission
    supplier_actor: IntArray  # (S,) actor index of each supplier
    terminal: Sequence[tuple[int, str]]  # rungs whose use ends the run, with the outcome
    # red lines
    red_line_ids: list[str]
    red_line_index: dict[str, int]
    red_line_owner: IntArray
    red_line_applies: BoolArray  # (L, A) whom the owner enforces it against (never itself)
    red_line_response: IntArray
    red_line_fallback: IntArray  # -1 for none
    #: (L, E) response and fallback (-1: none) to a crossing at each extended severity index:
    #: the graded schedule (``responses``), the line's own below its first entry
    red_line_response_at: IntArray
    red_line_fallback_at: IntArray
    red_line_pledged: BoolArray  # (L,) the line applies to its owner: a self-limit
    red_line_initial_low: IntArray  # index into the extended severity table
    threshold_slot: IntArray
    follow_through_slot: IntArray
    follow_through_mean: FloatArray
    extended_severity: FloatArray  # (R + 2,): -inf, rung severities, +inf
    belief_cdf: FloatArray  # (A, L, R + 2): observer's prior CDF at each extended severity
    # fronts
    front_ids: list[str]
    front_index: dict[str, int]
    front_active: BoolArray
    front_attacker_side: IntArray  # (F,)
    front_forces_slot: IntArray  # (F, 2, k) padded with -1
    front_attrition_slot: IntArray  # (F, 2, k)
    front_reinforcement_slot: IntArray  # (F, 2, k)
    front_force_owner: IntArray  # (F, 2, k) actor index, -1 padding
    front_control_slot: IntArray
    front_speed_slot: IntArray
    front_weight_slot: IntArray
    front_exponent_enemy: FloatArray
    front_exponent_own: FloatArray
    front_diverts_slot: IntArray  # (F, A) -1 for none
    # deployments
    deployment_ids: list[str]
    deployment_index: dict[str, int]
    deployment_actor: IntArray
    deployment_front: IntArray
    deployment_side: IntArray
    deployment_active: BoolArray
    deployment_strength_slot: IntArray
    deployment_exists_slot: IntArray
    deployment_delay_slot: IntArray
    deployment_draw_slot: IntArray  # a uniform per deployment: is it real?
    #: slot of the front's attrition entry for the deployment's actor, -1 if it has none
    deployment_attrition_slot: IntArray
    # policies
    policy_ids: list[str]
    policy_index: dict[str, int]
    policy_probability_slot: IntArray
    policy_delay_slot: IntArray
    support_change_slots: dict[tuple[int, int], int]  # (policy, action) -> slot of new level
    # trust
    trust_kept: FloatArray  # (A, A) weighted commitments kept, by column actor to row actor
    trust_broken: FloatArray
    # negotiation: the expected utility model's forecast terms (None: midpoint of the range)
    negotiated_terms: float | None
    # economic pressures (sanctions)
    pressure_ids: list[str]
    pressure_index: dict[str, int]
    pressure_target: IntArray  # (Q,) actor index of each pressure's target
    pressure_cost_slot: IntArray  # (Q,) slot of its weekly cost
    # concessions (trades: ``concede`` actions), in the order of policies and their actions
    concession_policy: IntArray  # (K,) the policy of each
    concession_side: IntArray  # (K,) the side that concedes
    concession_value_slot: IntArray  # (K,) slot of its worth to the other side
    # policies drawn every week their condition holds (``hazard``)
    policy_hazard_slot: IntArray  # (P,) slot of each policy's weekly hazard, -1 for none
    # self-limits: slot of each red line's audience cost, -1 where it has none
    audience_cost_slot: IntArray  # (L,)
    # reprisal motives: slot of each actor's bonus (-1 for none) and its weeks K (0 for none)
    reprisal_bonus_slot: IntArray  # (A,)
    reprisal_weeks: IntArray  # (A,)
    # questions
    question_ids: list[str]
    # conditions: how many keep a memory (held_for, ever), one per use; the first week each
    # event (questions, then observations) counts from
    n_condition_memories: int
    event_from: IntArray  # (E,)
    # decision parameters: each run takes one row of the table (one row when all are fixed)
    decision_table: FloatArray  # (K, 3) rationality, switching cost, planning weeks
    decision_draw_slot: int  # slot of the uniform that picks the row; -1 when K = 1

    @property
    def n_actors(self) -> int:
        """Number of actors."""
        return len(self.actor_ids)

    @property
    def n_rungs(self) -> int:
        """Number of rungs, the implicit ``none`` included."""
        return len(self.rung_ids)


def compile_scenario(scenario: m.Scenario) -> ScenarioArrays:
    """Compile ``scenario`` (already validated) to the arrays the mechanisms read.

    The parts are compiled in a fixed order, because each adds its parameter
    slots in turn and the slot order fixes which uniform each number reads
    (see the module docstring): new parts go last.
    """
    slots = ParameterSlots()
    decisions = _decision_table(scenario.model)
    actor_ids = list(scenario.actors)
    actor_index = {actor_id: i for i, actor_id in enumerate(actor_ids)}
    sides, support_numbers = _side_fields(scenario, actor_index)
    ladder = _ladder_fields(scenario, slots, actor_index, sides["is_member"])
    fields = {
        **sides,
        **ladder,
        **_front_force_fields(scenario, slots, actor_index, sides["side_of"]),
        "support_change_slots": _support_change_slots(scenario, slots),
        **_actor_fields(scenario, slots, support_numbers, ladder["rung_index"]),
        **_red_line_fields(scenario, slots, actor_index, ladder),
        **_front_fields(scenario, slots),
        **_deployment_fields(scenario, slots, actor_index, sides["side_of"]),
        **_policy_fields(scenario, slots),
        **_trust_fields(scenario, actor_index),
        "negotiated_terms": _negotiated_terms(scenario),
        "question_ids": [q.id for q in scenario.questions],
        "n_condition_memories": sum(memory_count(condition)
                                    for condition in scenario_conditions(scenario)),
        "event_from": np.array([q.from_week for q in scenario.questions]
                               + [0] * len(scenario.observations), dtype=np.int64),
        **_pressure_fields(scenario, slots, actor_index),
        **_concession_fields(scenario, slots, actor_index, sides["side_of"]),
        **_hazard_fields(scenario, slots),
        "audience_cost_slot": _audience_cost_slots(scenario, slots),
        **_reprisal_fields(scenario, slots),
        # last, so that the slots before it do not move when the decision parameters do
        "decision_table": decisions,
        # an uncertain parameter like any other (it enters `redline sensitivity`): the
        # quantile of the first estimated decision parameter, the others following it
        "decision_draw_slot": (slots.add(STANDARD_UNIFORM, _decision_slot_name(scenario.model))
                               if len(decisions) > 1 else -1),
    }
    return ScenarioArrays(scenario=scenario, slots=slots, actor_ids=actor_ids,
                          actor_index=actor_index, **fields)


def scenario_conditions(scenario: m.Scenario) -> list[m.Condition]:
    """Every condition of ``scenario``, in the order of the condition programs.

    The policies' ``when`` in order, then the questions' events, then the
    observations' events (:mod:`redline.mechanisms.programs`).
    """
    return ([policy.when for policy in scenario.policies]
            + [question.event for question in scenario.questions]
            + [observation.event for observation in scenario.observations])


def memory_count(condition: BaseModel) -> int:
    """The conditions with a memory (``held_for``, ``ever``) in ``condition``'s tree.

    Each keeps one per-run memory slot (``State.memory_since``); the slots of a
    scenario are numbered in the order of :func:`scenario_conditions`, each
    tree's in postfix order (an inner condition's before its outer one's).
    """
    own = 1 if isinstance(condition, m.HeldFor | m.Ever) else 0
    for name in type(condition).model_fields:
        value = getattr(condition, name)
        for item in value if isinstance(value, list) else [value]:
            if isinstance(item, BaseModel):
                own += memory_count(item)
    return own


def _side_fields(scenario: m.Scenario, actor_index: dict[str, int],
                 ) -> tuple[dict[str, Any], dict[int, float | dist.Distribution]]:
    """Side membership and the support levels of the actors who give support.

    An actor outside both sides who supports one (now, or by a policy's
    ``change_support``) is aligned with the side it supports. Returns the
    fields and the support number of each giver (slotted with the actors).
    """
    n_actors = len(actor_index)
    side_of = np.full(n_actors, -1, dtype=np.int64)
    is_member = np.zeros(n_actors, dtype=bool)
    for side, (leader, members) in enumerate(scenario.sides.items()):
        for actor_id in (leader, *members):
            side_of[actor_index[actor_id]] = side
            is_member[actor_index[actor_id]] = True
    support_numbers: dict[int, float | dist.Distribution] = {}
    for support in scenario.support:
        giver = actor_index[support.by]
        support_numbers[giver] = support.level
        if side_of[giver] < 0:
            side_of[giver] = side_of[actor_index[support.to]]
    for policy in scenario.policies:
        for action in policy.then:
            if isinstance(action, m.ChangeSupport):
                giver = actor_index[action.support.by]
                if not is_member[giver]:
                    support_numbers.setdefault(giver, 0.0)
                if side_of[giver] < 0:
                    side_of[giver] = side_of[actor_index[action.support.to]]
    side_leader_ids = list(scenario.sides)
    return {
        "side_of": side_of,
        "is_member": is_member,
        "leaders": np.array([actor_index[leader] for leader in side_leader_ids], dtype=np.int64),
        "side_leader_ids": side_leader_ids,
        "support_default": np.where(is_member, 1.0, 0.0),
    }, support_numbers


def _ladder_fields(scenario: m.Scenario, slots: ParameterSlots, actor_index: dict[str, int],
                   is_member: BoolArray) -> dict[str, Any]:
    """The ladder sorted by severity, after the implicit rung ``none``; who may use each rung."""
    rungs = sorted(scenario.ladder, key=lambda rung: rung.severity)
    rung_ids = [NONE_RUNG, *[rung.id for rung in rungs]]

    def ladder_slots(key: str) -> IntArray:
        return slots.add_many([0.0, *[getattr(rung, key) for rung in rungs]],
                              [f"ladder.{rung_id}.{key}" for rung_id in rung_ids])

    effect_slot = ladder_slots("effect")
    cost_slot = ladder_slots("cost")
    harm_slot = ladder_slots("harm")
    may_use = np.ones((len(actor_index), len(rung_ids)), dtype=bool)
    for r, rung in enumerate(rungs, start=1):
        if rung.users is not None:
            may_use[:, r] = False
            may_use[[actor_index[a] for a in rung.users], r] = True
        else:
            may_use[:, r] = is_member
    suppliers = sorted({s for rung in rungs for s in rung.needs_permission_from})
    needs = np.zeros((len(rung_ids), len(suppliers)), dtype=bool)
    for r, rung in enumerate(rungs, start=1):
        for supplier in rung.needs_permission_from:
            needs[r, suppliers.index(supplier)] = True
    return {
        "rung_ids": rung_ids,
        "rung_index": {rung_id: i for i, rung_id in enumerate(rung_ids)},
        "severity": np.array([0.0, *[rung.severity for rung in rungs]]),
        "effect_slot": effect_slot,
        "cost_slot": cost_slot,
        "harm_slot": harm_slot,
        "may_use": may_use,
        "suppliers": suppliers,
        "needs": needs,
        "supplier_actor": np.array([actor_index[s] for s in suppliers], dtype=np.int64),
        "terminal": [(r, rung.outcome) for r, rung in enumerate(rungs, start=1) if rung.outcome],
    }


def _front_force_fields(scenario: m.Scenario, slots: ParameterSlots,
                        actor_index: dict[str, int], side_of: IntArray) -> dict[str, Any]:
    """Each front's forces by role (0 attacker, 1 defender): owner and slots of each force."""
    fronts = scenario.fronts
    width = max([1, *[len(front.forces) for front in fronts.values()]])
    shape = (len(fronts), 2, width)
    forces_slot = np.full(shape, -1, dtype=np.int64)
    attrition_slot = np.full(shape, -1, dtype=np.int64)
    reinforcement_slot = np.full(shape, -1, dtype=np.int64)
    force_owner = np.full(shape, -1, dtype=np.int64)
    diverts_slot = np.full((len(fronts), len(actor_index)), -1, dtype=np.int64)
    attacker_side = np.zeros(len(fronts), dtype=np.int64)
    for f, (front_id, front) in enumerate(fronts.items()):
        where = f"fronts.{front_id}"
        attacker_side[f] = side_of[actor_index[front.attacker]]
        filled = [0, 0]
        for actor_id, strength in front.forces.items():
            a = actor_index[actor_id]
            role = 0 if side_of[a] == attacker_side[f] else 1
            k = filled[role]
            filled[role] += 1
            force_owner[f, role, k] = a
            forces_slot[f, role, k] = slots.add(strength, f"{where}.forces.{actor_id}")
            attrition_slot[f, role, k] = slots.add(front.attrition.get(actor_id, 0.0),
                                                   f"{where}.attrition.{actor_id}")
            reinforcement_slot[f, role, k] = slots.add(front.reinforcement.get(actor_id, 0.0),
                                                       f"{where}.reinforcement.{actor_id}")
        for actor_id, share in front.diverts.items():
            diverts_slot[f, actor_index[actor_id]] = slots.add(
                share, f"{where}.diverts.{actor_id}")
    return {
        "front_attacker_side": attacker_side,
        "front_forces_slot": forces_slot,
        "front_attrition_slot": attrition_slot,
        "front_reinforcement_slot": reinforcement_slot,
        "front_force_owner": force_owner,
        "front_diverts_slot": diverts_slot,
    }


def _support_change_slots(scenario: m.Scenario, slots: ParameterSlots,
                          ) -> dict[tuple[int, int], int]:
    """Slot of the new support level of each ``change_support`` action, by (policy, action)."""
    result: dict[tuple[int, int], int] = {}
    for p, policy in enumerate(scenario.policies):
        for j, action in enumerate(policy.then):
            if isinstance(action, m.ChangeSupport):
                result[(p, j)] = slots.add(
                    action.support.level, f"policies.{policy.id}.then.{j}.support.level")
    return result


def _actor_fields(scenario: m.Scenario, slots: ParameterSlots,
                  support_numbers: dict[int, float | dist.Distribution],
                  rung_index: dict[str, int]) -> dict[str, Any]:
    """Each actor's numbers as slots, its initial support level and initial posture."""
    actor_ids = list(scenario.actors)
    actors = list(scenario.actors.values())

    def actor_slots(key: str) -> IntArray:
        return slots.add_many([getattr(actor, key) for actor in actors],
                              [f"actors.{actor_id}.{key}" for actor_id in actor_ids])

    fields: dict[str, Any] = {
        "great_power": np.array([actor.great_power for actor in actors]),
        "stability_floor": np.array([actor.stability_floor for actor in actors]),
    }
    for key in ("capability", "resolve", "war_cost", "cost_sensitivity", "optimism",
                "stability", "stability_sensitivity"):
        fields[f"{key}_slot"] = actor_slots(key)
    fields["support_slot"] = np.array(
        [slots.add(support_numbers[a], f"support.{actor_ids[a]}.level")
         if a in support_numbers else -1 for a in range(len(actors))], dtype=np.int64)
    fields["initial_posture"] = np.array(
        [rung_index[actor.initial_posture] if actor.initial_posture else 0 for actor in actors],
        dtype=np.int64)
    return fields


def _red_line_fields(scenario: m.Scenario, slots: ParameterSlots, actor_index: dict[str, int],
                     ladder: dict[str, Any]) -> dict[str, Any]:
    """Red lines: owner, who they apply to, response, and each actor's belief about the threshold.

    The belief is a CDF tabulated at the rung severities, extended by -inf and
    +inf so that "below every rung" and "above every rung" are cells too.
    """
    red_lines = scenario.red_lines
    rung_index = ladder["rung_index"]
    extended = np.concatenate([[-np.inf], ladder["severity"], [np.inf]])
    belief_cdf = np.zeros((len(actor_index), len(red_lines), len(extended)))
    applies = np.zeros((len(red_lines), len(actor_index)), dtype=bool)
    for l_index, red_line in enumerate(red_lines):
        for actor_id, a in actor_index.items():
            belief_cdf[a, l_index] = _cdf(red_line.priors.get(actor_id, red_line.threshold),
                                          extended)
        applies[l_index, [actor_index[a] for a in red_line.applies_to
                          if a != red_line.owner]] = True
    response_at, fallback_at = _graded_responses(scenario, rung_index, len(extended))
    return {
        "red_line_ids": [red_line.id for red_line in red_lines],
        "red_line_index": {red_line.id: i for i, red_line in enumerate(red_lines)},
        "red_line_owner": np.array([actor_index[r.owner] for r in red_lines], dtype=np.int64),
        "red_line_applies": applies,
        "red_line_response": np.array([rung_index[r.response] for r in red_lines],
                                      dtype=np.int64),
        "red_line_fallback": np.array(
            [rung_index[r.fallback] if r.fallback else -1 for r in red_lines], dtype=np.int64),
        "red_line_response_at": response_at,
        "red_line_fallback_at": fallback_at,
        "red_line_pledged": np.array([r.owner in r.applies_to for r in red_lines], dtype=bool),
        "red_line_initial_low": np.array(
            [rung_index[r.tolerated] + 1 if r.tolerated else 0 for r in red_lines],
            dtype=np.int64),
        "threshold_slot": slots.add_many([r.threshold for r in red_lines],
                                         [f"red_lines.{r.id}.threshold" for r in red_lines]),
        "follow_through_slot": slots.add_many(
            [r.follow_through for r in red_lines],
            [f"red_lines.{r.id}.follow_through" for r in red_lines]),
        "follow_through_mean": np.array([dist.mean_of(r.follow_through) for r in red_lines]),
        "extended_severity": extended,
        "belief_cdf": belief_cdf,
    }


def _graded_responses(scenario: m.Scenario, rung_index: dict[str, int], levels: int,
                      ) -> tuple[IntArray, IntArray]:
    """Each red line's response and fallback to a crossing at each extended severity index.

    A crossing at level e gets the schedule's entry with the highest ``at``
    at or below e (``at``'s rung index + 1), and the line's own response and
    fallback below its first entry (docs/model.md, red lines).
    """
    red_lines = scenario.red_lines
    response_at = np.zeros((len(red_lines), levels), dtype=np.int64)
    fallback_at = np.zeros((len(red_lines), levels), dtype=np.int64)
    for line, red_line in enumerate(red_lines):
        response_at[line] = rung_index[red_line.response]
        fallback_at[line] = rung_index[red_line.fallback] if red_line.fallback else -1
        for entry in red_line.responses:  # in increasing severity (references.py checks)
            level = rung_index[entry.at] + 1
            response_at[line, level:] = rung_index[entry.response]
            fallback_at[line, level:] = rung_index[entry.fallback] if entry.fallback else -1
    return response_at, fallback_at


def _audience_cost_slots(scenario: m.Scenario, slots: ParameterSlots) -> IntArray:
    """Slot of each self-limit's ``audience_cost``; -1 for a line without one (no slot).

    Only lines that give one take a slot, after every existing part, so a
    scenario without self-limits keeps every slot where it was.
    """
    return np.array([slots.add(r.audience_cost, f"red_lines.{r.id}.audience_cost")
                     if r.audience_cost is not None else -1 for r in scenario.red_lines],
                    dtype=np.int64)


def _reprisal_fields(scenario: m.Scenario, slots: ParameterSlots) -> dict[str, Any]:
    """Each actor's reprisal bonus slot (only actors with a reprisal take one) and its weeks."""
    return {
        "reprisal_bonus_slot": np.array(
            [slots.add(actor.reprisal.bonus, f"actors.{actor_id}.reprisal.bonus")
             if actor.reprisal is not None else -1
             for actor_id, actor in scenario.actors.items()], dtype=np.int64),
        "reprisal_weeks": np.array(
            [actor.reprisal.weeks if actor.reprisal is not None else 0
             for actor in scenario.actors.values()], dtype=np.int64),
    }


def _front_fields(scenario: m.Scenario, slots: ParameterSlots) -> dict[str, Any]:
    """Each front's control, control speed, weight, and Lanchester exponents."""
    fronts = scenario.fronts
    front_ids = list(fronts)

    def front_slots(key: str) -> IntArray:
        return slots.add_many([getattr(front, key) for front in fronts.values()],
                              [f"fronts.{f}.{key}" for f in front_ids])

    return {
        "front_ids": front_ids,
        "front_index": {front_id: i for i, front_id in enumerate(front_ids)},
        "front_active": np.array([front.active for front in fronts.values()], dtype=bool),
        "front_control_slot": front_slots("control"),
        "front_speed_slot": front_slots("control_speed"),
        "front_weight_slot": front_slots("weight"),
        "front_exponent_enemy": np.array([front.exponent_enemy for front in fronts.values()]),
        "front_exponent_own": np.array([front.exponent_own for front in fronts.values()]),
    }


def _deployment_fields(scenario: m.Scenario, slots: ParameterSlots,
                       actor_index: dict[str, int], side_of: IntArray) -> dict[str, Any]:
    """Deployments: who, where, for which side, and their numbers as slots."""
    deployments = scenario.deployments
    front_ids = list(scenario.fronts)

    def deployment_slots(numbers: list[Any], key: str) -> IntArray:
        return slots.add_many(numbers, [f"deployments.{d.id}{key}" for d in deployments])

    return {
        "deployment_ids": [d.id for d in deployments],
        "deployment_index": {d.id: i for i, d in enumerate(deployments)},
        "deployment_actor": np.array([actor_index[d.actor] for d in deployments],
                                     dtype=np.int64),
        "deployment_front": np.array([front_ids.index(d.front) for d in deployments],
                                     dtype=np.int64),
        "deployment_side": np.array([side_of[actor_index[d.side]] for d in deployments],
                                    dtype=np.int64),
        "deployment_active": np.array([d.active for d in deployments], dtype=bool),
        "deployment_strength_slot": deployment_slots([d.strength for d in deployments],
                                                     ".strength"),
        "deployment_exists_slot": deployment_slots([d.exists for d in deployments], ".exists"),
        "deployment_delay_slot": deployment_slots([d.combat_delay_weeks for d in deployments],
                                                  ".combat_delay_weeks"),
        "deployment_draw_slot": deployment_slots([STANDARD_UNIFORM for _ in deployments],
                                                 "#draw"),
        "deployment_attrition_slot": _deployment_attrition_slots(scenario, slots),
    }


def _policy_fields(scenario: m.Scenario, slots: ParameterSlots) -> dict[str, Any]:
    """Each policy's probability and delay as slots."""
    policies = scenario.policies
    return {
        "policy_ids": [p.id for p in policies],
        "policy_index": {p.id: i for i, p in enumerate(policies)},
        "policy_probability_slot": slots.add_many(
            [p.probability for p in policies], [f"policies.{p.id}.probability" for p in policies]),
        "policy_delay_slot": slots.add_many(
            [p.delay_weeks for p in policies], [f"policies.{p.id}.delay_weeks" for p in policies]),
    }


def _trust_fields(scenario: m.Scenario, actor_index: dict[str, int]) -> dict[str, Any]:
    """Weights of commitments kept and broken, ``[to whom, by whom]``."""
    n_actors = len(actor_index)
    kept = np.zeros((n_actors, n_actors))
    broken = np.zeros((n_actors, n_actors))
    for commitment in scenario.commitments:
        table = kept if commitment.kept else broken
        table[actor_index[commitment.to], actor_index[commitment.by]] += commitment.weight
    return {"trust_kept": kept, "trust_broken": broken}


def _pressure_fields(scenario: m.Scenario, slots: ParameterSlots,
                     actor_index: dict[str, int]) -> dict[str, Any]:
    """Each economic pressure's target and the slot of its weekly cost."""
    pressures = scenario.pressures
    return {
        "pressure_ids": list(pressures),
        "pressure_index": {q: i for i, q in enumerate(pressures)},
        "pressure_target": np.array([actor_index[p.target] for p in pressures.values()],
                                    dtype=np.int64),
        "pressure_cost_slot": slots.add_many([p.cost for p in pressures.values()],
                                             [f"pressures.{q}.cost" for q in pressures]),
    }


def _hazard_fields(scenario: m.Scenario, slots: ParameterSlots) -> dict[str, Any]:
    """The slot of each policy's weekly hazard; slots only for the policies that have one.

    A scenario without hazards gets no slot, so its other slots (and the
    decision draw after them) keep their places.
    """
    return {"policy_hazard_slot": np.array(
        [-1 if policy.hazard is None
         else slots.add(policy.hazard, f"policies.{policy.id}.hazard")
         for policy in scenario.policies], dtype=np.int64)}


def _decision_table(settings: m.ModelSettings) -> FloatArray:
    """The rows of decision parameters the runs pick from.

    The estimates' table (:mod:`redline.scenario.estimates`) with the fixed
    values in their columns, or one row when all three are fixed.
    The rows are sorted by the first estimated parameter, so that the uniform
    that picks a run's row is that parameter's quantile (the others follow
    with their correlated values): the slot is named after it, and a
    sensitivity analysis of it reads as the effect of that parameter.
    """
    fixed = [getattr(settings, name) for name in DECISION_PARAMETERS]
    if all(value is not None for value in fixed):
        return np.array([fixed], dtype=np.float64)
    table = decision_table().copy()
    for column, value in enumerate(fixed):
        if value is not None:
            table[:, column] = value
    first = next(column for column, value in enumerate(fixed) if value is None)
    return table[np.argsort(table[:, first], kind="stable")]


def _decision_slot_name(settings: m.ModelSettings) -> str:
    """``model.<the first estimated decision parameter>``: an overlay path like every slot's."""
    return "model." + next(name for name in DECISION_PARAMETERS
                           if getattr(settings, name) is None)


def _deployment_attrition_slots(scenario: m.Scenario, slots: ParameterSlots) -> IntArray:
    """Slot of ``fronts.F.attrition.ACTOR`` for each deployment (-1 where there is none).

    A number the front already registered (the actor also has starting forces
    there) keeps its slot; one read only through deployments gets a new slot,
    shared by the deployments of that actor on that front.
    """
    known = {name: slot for slot, name in enumerate(slots.names)}
    result = []
    for deployment in scenario.deployments:
        front = scenario.fronts[deployment.front]
        if deployment.actor not in front.attrition:
            result.append(-1)
            continue
        name = f"fronts.{deployment.front}.attrition.{deployment.actor}"
        if name not in known:
            known[name] = slots.add(front.attrition[deployment.actor], name)
        result.append(known[name])
    return np.array(result, dtype=np.int64)


def _negotiated_terms(scenario: m.Scenario) -> float | None:
    """The expected utility model's forecast share to side 0, from the mean of each number.

    The model is deterministic and costs milliseconds per call, so it is run
    once per scenario on the expected positions, capabilities and saliences,
    not once per run.
    """
    if scenario.model.negotiation_terms != "expected_utility":
        return None
    seated = {actor_id: actor for actor_id, actor in scenario.actors.items()
              if actor.position is not None and actor.salience is not None}
    return settlement_terms(
        {a: dist.mean_of(actor.position) for a, actor in seated.items()},  # type: ignore[arg-type]
        capability={a: dist.mean_of(actor.capability) for a, actor in seated.items()},
        salience={a: dist.mean_of(actor.salience) for a, actor in seated.items()},  # type: ignore[arg-type]
        rounds=scenario.model.negotiation_rounds,
    )


def _cdf(prior: float | dist.Distribution, points: FloatArray) -> FloatArray:
    """CDF of a prior at ``points`` (a constant is a point mass)."""
    if dist.is_distribution(prior):
        values = prior.cdf(points)  # type: ignore[union-attr]
    else:
        values = (points >= float(prior)).astype(np.float64)  # type: ignore[arg-type]
    values = np.where(np.isneginf(points), 0.0, values)
    return np.where(np.isposinf(points), 1.0, values)


def _concession_fields(scenario: m.Scenario, slots: ParameterSlots,
                       actor_index: dict[str, int], side_of: IntArray) -> dict[str, Any]:
    """Each ``concede`` action's policy, conceding side and the slot of its value."""
    rows = [(p, j, action) for p, policy in enumerate(scenario.policies)
            for j, action in enumerate(policy.then) if isinstance(action, m.Concede)]
    return {
        "concession_policy": np.array([p for p, _, _ in rows], dtype=np.int64),
        "concession_side": np.array([side_of[actor_index[action.concede.by]]
                                     for _, _, action in rows], dtype=np.int64),
        "concession_value_slot": slots.add_many(
            [action.concede.value for _, _, action in rows],
            [f"policies.{scenario.policies[p].id}.then.{j}.concede.value" for p, j, _ in rows]),
    }
