"""Conditions and policy actions as flat integer programs, and their compiled interpreter.

The compiled kernel (:mod:`redline.engine.kernel`) cannot call the Python
closures of :mod:`redline.mechanisms.conditions`, so each condition is
translated, by pattern matching on its fields, into a postfix program: leaf
tests push one boolean, ``all``/``any`` pop their operands and push their
conjunction/disjunction, ``not`` negates the top of the stack, and the two
conditions with a memory, ``held_for`` and ``ever``, replace the top of the
stack by what :func:`remember` makes of it. Policy actions
become rows of (kind, three integer arguments, one number). Nothing in a
scenario is ever evaluated as code: :func:`evaluate` interprets the programs
run by run, and the tests check the two forms against each other.

Each program carries the bits of what it reads (:mod:`redline.mechanisms.changes`):
the policies' step and the records evaluate a program again only when
something it reads has changed, or moves every week, and keep its last value
otherwise (docs/performance.md, step 9).
"""

from __future__ import annotations

import itertools
from collections import namedtuple
from collections.abc import Iterator
from dataclasses import dataclass

import numpy as np
from numba import njit
from numpy.typing import NDArray
from pydantic import BaseModel

from redline.arrays.scenario_arrays import ScenarioArrays, scenario_conditions
from redline.arrays.state import NEVER, TERMINAL_CODES
from redline.mechanisms import changes as ch
from redline.mechanisms.redlines import belief_at
from redline.scenario import models as m

# condition opcodes
OP_ALL, OP_ANY, OP_NOT = 0, 1, 2
OP_POSTURE_AT_LEAST, OP_REACHED, OP_PERMITTED = 3, 4, 5
OP_DEPLOYMENT_IN_COMBAT, OP_DEPLOYMENT_EXISTS = 6, 7
OP_CONTROL_BELOW, OP_CONTROL_ABOVE, OP_FRONT_ACTIVE = 8, 9, 10
OP_WEEK_AT_LEAST, OP_POLICY_FIRED = 11, 12
OP_RED_LINE_ENFORCED, OP_RED_LINE_CROSSED = 13, 14
OP_SETTLED, OP_OUTCOME, OP_STABILITY_BELOW, OP_REGIME_CRISIS, OP_BELIEF_BELOW = 15, 16, 17, 18, 19
OP_POSTURE_IS = 20
# conditions with a memory (one slot each): they take the value below them on the stack
OP_HELD_FOR, OP_EVER = 21, 22

# What each leaf reads, as the bits of what a step may change (:mod:`redline.mechanisms.changes`)
_READS = {
    OP_POSTURE_AT_LEAST: ch.POSTURE, OP_POSTURE_IS: ch.POSTURE, OP_REACHED: ch.POSTURE,
    OP_PERMITTED: ch.GRANTS,
    OP_DEPLOYMENT_IN_COMBAT: ch.DEPLOYMENTS, OP_DEPLOYMENT_EXISTS: ch.DEPLOYMENTS,
    OP_FRONT_ACTIVE: ch.FRONTS, OP_POLICY_FIRED: ch.POLICIES,
    OP_RED_LINE_ENFORCED: ch.RED_LINES, OP_RED_LINE_CROSSED: ch.RED_LINES,
    OP_BELIEF_BELOW: ch.RED_LINES, OP_SETTLED: ch.OUTCOME, OP_OUTCOME: ch.OUTCOME,
    OP_REGIME_CRISIS: ch.OUTCOME,
    # control and stability move every week of a going run, and so does the week
    OP_CONTROL_BELOW: ch.EVERY_WEEK, OP_CONTROL_ABOVE: ch.EVERY_WEEK,
    OP_STABILITY_BELOW: ch.EVERY_WEEK, OP_WEEK_AT_LEAST: ch.EVERY_WEEK,
}

#: What the conditions with a memory read besides their inner condition: a ``held_for``
#: becomes true by the passing of weeks alone; an ``ever`` changes only when its inner does.
_MEMORY_READS = {OP_HELD_FOR: ch.EVERY_WEEK, OP_EVER: 0}

_REGIME_CRISIS = TERMINAL_CODES["regime_crisis"]

# action kinds
ACT_PERMIT, ACT_FORBID, ACT_DEPLOY, ACT_SUPPORT, ACT_OPEN_FRONT, ACT_OFFER_TALKS = range(6)
#: An action another mechanism carries out (:class:`redline.scenario.models.RecordedAction`):
#: the policies' step only marks the policy fired.
ACT_RECORDED = 6
#: An actor adopts a rung (arguments: actor, rung, weeks held or 0 for none).
ACT_ADOPT = 7


@dataclass(frozen=True)
class Programs:
    """Postfix condition programs and action rows, concatenated with offsets.

    Condition ``c`` is ``op[start[c]:start[c + 1]]`` (with ``arg`` and
    ``value`` alongside); conditions are the policies' ``when`` in order,
    then the questions' events, then the observations' events. Policy ``p``'s
    actions are rows ``action_start[p]:action_start[p + 1]``.
    """

    op: NDArray[np.int64]
    arg: NDArray[np.int64]  # (n, 3)
    value: NDArray[np.float64]
    start: NDArray[np.int64]
    depth: int  # largest stack any condition needs
    action_kind: NDArray[np.int64]
    action_arg: NDArray[np.int64]  # (k, 3)
    action_value: NDArray[np.float64]
    action_start: NDArray[np.int64]
    reads: NDArray[np.int64]  # per condition: the bits of what it reads (changes)


def compile_programs(compiled: ScenarioArrays) -> Programs:
    """Translate the scenario's policy conditions, events and actions."""
    scenario = compiled.scenario
    conditions = scenario_conditions(scenario)
    rows: list[tuple[int, int, int, int, float]] = []
    start = [0]
    depth = 1
    memories = itertools.count()
    for condition in conditions:
        depth = max(depth, _emit(condition, compiled, rows, memories))
        start.append(len(rows))
    actions: list[tuple[int, int, int, int, float]] = []
    action_start = [0]
    support_columns = {key: k for k, key in enumerate(compiled.support_change_slots)}
    for p, policy in enumerate(scenario.policies):
        for j, action in enumerate(policy.then):
            actions.append(_action(action, compiled, support_columns.get((p, j), -1)))
        action_start.append(len(actions))

    def columns(table: list[tuple[int, int, int, int, float]]
                ) -> tuple[NDArray[np.int64], NDArray[np.int64], NDArray[np.float64]]:
        op = np.array([row[0] for row in table], dtype=np.int64)
        arg = np.array([row[1:4] for row in table], dtype=np.int64).reshape(len(table), 3)
        value = np.array([row[4] for row in table], dtype=np.float64)
        return op, arg, value

    op, arg, value = columns(rows)
    action_kind, action_arg, action_value = columns(actions)
    reads = np.zeros(len(conditions), dtype=np.int64)
    for c in range(len(conditions)):
        for code in op[start[c]:start[c + 1]]:
            reads[c] |= _READS.get(int(code), 0) | _MEMORY_READS.get(int(code), 0)
    return Programs(op=op, arg=arg, value=value, start=np.array(start, dtype=np.int64),
                    depth=depth, action_kind=action_kind, action_arg=action_arg,
                    action_value=action_value,
                    action_start=np.array(action_start, dtype=np.int64), reads=reads)


def _emit(condition: BaseModel, compiled: ScenarioArrays,
          rows: list[tuple[int, int, int, int, float]], memories: Iterator[int]) -> int:
    """Append ``condition`` in postfix order; return the stack depth it needs.

    A condition with a memory takes the next slot of ``memories`` after its
    inner condition's (the order of
    :func:`redline.arrays.scenario_arrays.memory_count`).
    """
    actor, rung = compiled.actor_index, compiled.rung_index
    match condition:
        case m.AllOf(all=items) | m.AnyOf(any=items):
            depth = 0
            for position, item in enumerate(items):
                depth = max(depth, position + _emit(item, compiled, rows, memories))
            rows.append((OP_ALL if isinstance(condition, m.AllOf) else OP_ANY,
                         len(items), 0, 0, 0.0))
            return max(depth, 1)
        case m.NotOf(not_=inner):
            depth = _emit(inner, compiled, rows, memories)
            rows.append((OP_NOT, 0, 0, 0, 0.0))
            return depth
        case m.HeldFor(held_for=spec):
            depth = _emit(spec.condition, compiled, rows, memories)
            rows.append((OP_HELD_FOR, spec.weeks, next(memories), 0, 0.0))
            return depth
        case m.Ever(ever=inner):
            depth = _emit(inner, compiled, rows, memories)
            rows.append((OP_EVER, 0, next(memories), 0, 0.0))
            return depth
    rows.append(_leaf(condition, compiled, actor, rung))
    return 1


def _leaf(condition: BaseModel, compiled: ScenarioArrays, actor: dict[str, int],
          rung: dict[str, int]) -> tuple[int, int, int, int, float]:
    match condition:
        case m.PostureAtLeast(posture_at_least=target):
            return OP_POSTURE_AT_LEAST, actor[target.actor], rung[target.rung], 0, 0.0
        case m.PostureIs(posture_is=target):
            return OP_POSTURE_IS, actor[target.actor], rung[target.rung], 0, 0.0
        case m.Reached(reached=target):
            return OP_REACHED, actor[target.actor], rung[target.rung], 0, 0.0
        case m.Permitted(permitted=target):
            return OP_PERMITTED, actor[target.actor], rung[target.rung], 0, 0.0
        case m.DeploymentInCombat(deployment_in_combat=ident):
            return OP_DEPLOYMENT_IN_COMBAT, compiled.deployment_index[ident], 0, 0, 0.0
        case m.DeploymentExists(deployment_exists=ident):
            return OP_DEPLOYMENT_EXISTS, compiled.deployment_index[ident], 0, 0, 0.0
        case m.ControlBelow(control_below=target):
            return OP_CONTROL_BELOW, compiled.front_index[target.front], 0, 0, target.value
        case m.ControlAbove(control_above=target):
            return OP_CONTROL_ABOVE, compiled.front_index[target.front], 0, 0, target.value
        case m.FrontActive(front_active=ident):
            return OP_FRONT_ACTIVE, compiled.front_index[ident], 0, 0, 0.0
        case m.WeekAtLeast(week_at_least=week):
            return OP_WEEK_AT_LEAST, int(week), 0, 0, 0.0
        case m.PolicyFired(policy_fired=ident):
            return OP_POLICY_FIRED, compiled.policy_index[ident], 0, 0, 0.0
        case m.RedLineEnforced(red_line_enforced=ident):
            return OP_RED_LINE_ENFORCED, compiled.red_line_index[ident], 0, 0, 0.0
        case m.RedLineCrossed(red_line_crossed=ident):
            return OP_RED_LINE_CROSSED, compiled.red_line_index[ident], 0, 0, 0.0
        case m.Settled():
            return OP_SETTLED, 0, 0, 0, 0.0
        case m.OutcomeIs(outcome=name):
            return OP_OUTCOME, TERMINAL_CODES[name], 0, 0, 0.0
        case m.StabilityBelow(stability_below=target):
            return OP_STABILITY_BELOW, actor[target.actor], 0, 0, target.value
        case m.RegimeCrisis(regime_crisis=ident):
            return OP_REGIME_CRISIS, actor[ident], 0, 0, 0.0
        case m.BeliefBelow(belief_below=target):
            return (OP_BELIEF_BELOW, actor[target.observer],
                    compiled.red_line_index[target.red_line], rung[target.rung], target.value)
    raise TypeError(f"not a condition: {condition!r}")


def _action(action: object, compiled: ScenarioArrays, support_column: int
            ) -> tuple[int, int, int, int, float]:
    match action:
        case m.Permit(permit=target) | m.Forbid(forbid=target):
            return (ACT_PERMIT if isinstance(action, m.Permit) else ACT_FORBID,
                    compiled.actor_index[target.actor], compiled.rung_index[target.rung],
                    compiled.suppliers.index(target.by), 0.0)
        case m.Deploy(deploy=ident):
            return ACT_DEPLOY, compiled.deployment_index[ident], 0, 0, 0.0
        case m.ChangeSupport(support=change):
            return ACT_SUPPORT, compiled.actor_index[change.by], support_column, 0, 0.0
        case m.OpenFront(open_front=ident):
            return ACT_OPEN_FRONT, compiled.front_index[ident], 0, 0, 0.0
        case m.OfferTalks(offer_talks=offer):
            return ACT_OFFER_TALKS, 0, 0, 0, float(offer.hazard)
        case m.Adopt(adopt=target):
            return (ACT_ADOPT, compiled.actor_index[target.actor], compiled.rung_index[target.rung],
                    target.weeks or 0, 0.0)
        case m.RecordedAction():
            return ACT_RECORDED, 0, 0, 0, 0.0
    raise TypeError(f"not an action: {action!r}")


@njit(inline="always")
def remember(since, before, evaluated, n, slot, week, holds, latch):  # pragma: no cover
    """Run ``n``'s memory ``slot`` after its inner condition is found ``holds`` in ``week``.

    ``since[n, slot]`` is the first week of the inner condition's current run
    of weeks held (``held_for``), or of its first week held (``ever``, a
    ``latch``), NEVER if none; returned. Evaluated again in the same week (a
    policy after another fired), the memory starts again from the value the
    week before left (``before``), so it moves once a week whatever the number
    of evaluations. A week without evaluation leaves it as it was: a program is
    evaluated in every week in which what it reads changed, and a ``held_for``
    reads the passing of weeks (docs/model.md, conditions with a memory).
    """
    if evaluated[n, slot] != week:
        before[n, slot] = since[n, slot]
        evaluated[n, slot] = week
    previous = before[n, slot]
    if latch:
        value = previous if previous != NEVER else (week if holds else NEVER)
    else:
        value = (previous if previous != NEVER else week) if holds else NEVER
    since[n, slot] = value
    return value


#: The values of the conditions, which of them are to be evaluated, and the interpreter's
#: stack: one of each per block of runs (see :func:`conditions_work`).
ConditionWork = namedtuple("ConditionWork", ["holds", "needed", "stack"])


@njit(inline="always")
def conditions_work(model, n_policies, n_events):  # pragma: no cover
    """The interpreter's arrays for a block; an event is evaluated while it is open."""
    n_conditions = model.condition_start.shape[0] - 1
    needed = np.zeros(max(n_conditions, 1), dtype=np.bool_)
    for q in range(n_events):
        needed[n_policies + q] = True
    return ConditionWork(np.zeros(max(n_conditions, 1), dtype=np.bool_), needed,
                         np.zeros(model.depth, dtype=np.bool_))


@njit(inline="always")
def evaluate(model, st, work, listed, first, last, n, week, changes,
             every_week):  # pragma: no cover
    """Evaluate the ``needed`` programs ``listed[first:last]`` of run ``n`` that read ``changes``.

    ``every_week`` is ``changes.EVERY_WEEK`` to evaluate also those that read
    what moves every week, or 0 when their values are already this week's.
    Each program's value goes to ``work.conditions.holds``. The leaves read
    the state as :func:`redline.mechanisms.conditions.compile_condition`'s
    predicates do.
    """
    op, arg, value = model.condition_op, model.condition_arg, model.condition_value
    start, reads = model.condition_start, model.condition_reads
    holds, needed, stack = work.conditions
    may_use, needs, supplier_actor = model.may_use, model.needs, model.supplier_actor
    belief_cdf = model.belief_cdf
    for entry in range(first, last):
        c = listed[entry]
        if not needed[c] or not reads[c] & (changes | every_week):
            continue
        top = 0
        for i in range(start[c], start[c + 1]):
            code = op[i]
            x, y, z = arg[i, 0], arg[i, 1], arg[i, 2]
            if code == OP_ALL:
                result = True
                for j in range(top - x, top):
                    result = result and stack[j]
                top -= x
            elif code == OP_ANY:
                result = False
                for j in range(top - x, top):
                    result = result or stack[j]
                top -= x
            elif code == OP_NOT:
                top -= 1
                result = not stack[top]
            elif code == OP_HELD_FOR or code == OP_EVER:
                top -= 1
                since = remember(st.memory_since, st.memory_before, st.memory_week, n, y, week,
                                 stack[top], code == OP_EVER)
                result = since != NEVER and (code == OP_EVER or since <= week - x + 1)
            elif code == OP_POSTURE_AT_LEAST:
                result = st.posture[n, x] >= y
            elif code == OP_POSTURE_IS:
                result = st.posture[n, x] == y
            elif code == OP_REACHED:
                result = st.max_posture[n, x] >= y
            elif code == OP_PERMITTED:
                result = may_use[x, y]
                for s in range(supplier_actor.shape[0]):
                    if needs[y, s] and supplier_actor[s] != x and not st.grants[n, x, y, s]:
                        result = False
            elif code == OP_DEPLOYMENT_IN_COMBAT:
                result = st.deployment_in_combat[n, x]
            elif code == OP_DEPLOYMENT_EXISTS:
                result = st.deployment_exists[n, x] and st.deployment_active[n, x]
            elif code == OP_CONTROL_BELOW:
                result = st.control[n, x] < value[i]
            elif code == OP_CONTROL_ABOVE:
                result = st.control[n, x] > value[i]
            elif code == OP_FRONT_ACTIVE:
                result = st.front_open[n, x]
            elif code == OP_WEEK_AT_LEAST:
                result = week >= x
            elif code == OP_POLICY_FIRED:
                result = st.policy_fired[n, x]
            elif code == OP_RED_LINE_ENFORCED:
                result = st.enforced[n, x]
            elif code == OP_RED_LINE_CROSSED:
                result = st.crossed[n, x]
            elif code == OP_SETTLED:
                result = st.settled[n] and st.terminal[n] == 0
            elif code == OP_OUTCOME:
                result = st.terminal[n] == x
            elif code == OP_STABILITY_BELOW:
                result = st.stability[n, x] < value[i]
            elif code == OP_REGIME_CRISIS:
                result = st.terminal[n] == _REGIME_CRISIS and st.regime_actor[n] == x
            else:  # OP_BELIEF_BELOW
                lo, hi, level = st.low[n, y], st.high[n, y], z + 1
                result = belief_at(belief_cdf[x, y, lo], belief_cdf[x, y, hi],
                                   belief_cdf[x, y, min(level, hi)], lo, hi, st.tested[n, y],
                                   level) < value[i]
            stack[top] = result
            top += 1
        holds[c] = stack[0]
