"""Declarative conditions compiled into vectorised predicates over runs.

A condition from the scenario (``posture_at_least``, ``deployment_in_combat``,
``all`` / ``any`` / ``not`` ...) becomes a Python closure that maps the state
of a chunk to a boolean array with one entry per run. The closures are built
from the condition's fields by pattern matching; nothing in a scenario is
ever evaluated as code. A condition with a memory (``held_for``, ``ever``)
keeps it in the state's ``memory_*`` slots, one per use, numbered as the
compiled programs number them (:func:`redline.arrays.scenario_arrays.memory_count`),
and updates it as :func:`redline.mechanisms.programs.remember` does.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable, Iterator

import numpy as np
from numpy.typing import NDArray
from pydantic import BaseModel

from redline.arrays.scenario_arrays import ScenarioArrays, scenario_conditions
from redline.arrays.state import NEVER, TERMINAL_CODES, State
from redline.mechanisms.redlines import enforcement_belief
from redline.scenario import models as m

Predicate = Callable[[State], NDArray[np.bool_]]


def compile_condition(condition: BaseModel, compiled: ScenarioArrays,
                      memories: Iterator[int] | None = None) -> Predicate:
    """A predicate over runs for ``condition``.

    ``memories`` hands out the memory slots of its ``held_for`` and ``ever``
    (from 0 when left out): pass one counter for the conditions of a scenario
    in the order of :func:`~redline.arrays.scenario_arrays.scenario_conditions`.
    """
    memories = itertools.count() if memories is None else memories
    actor = compiled.actor_index
    rung = compiled.rung_index
    match condition:
        case m.AllOf(all=items):
            parts = [compile_condition(item, compiled, memories) for item in items]
            return lambda state: np.logical_and.reduce([part(state) for part in parts])
        case m.AnyOf(any=items):
            parts = [compile_condition(item, compiled, memories) for item in items]
            return lambda state: np.logical_or.reduce([part(state) for part in parts])
        case m.NotOf(not_=inner):
            part = compile_condition(inner, compiled, memories)
            return lambda state: ~part(state)
        case m.HeldFor(held_for=spec):
            part = compile_condition(spec.condition, compiled, memories)
            slot, weeks = next(memories), spec.weeks

            def held(state: State) -> NDArray[np.bool_]:
                since = remember(state, slot, part(state), latch=False)
                return (since != NEVER) & (since <= state.week - weeks + 1)
            return held
        case m.Ever(ever=inner):
            part = compile_condition(inner, compiled, memories)
            slot = next(memories)
            return lambda state: remember(state, slot, part(state), latch=True) != NEVER
        case m.PostureAtLeast(posture_at_least=target):
            a, r = actor[target.actor], rung[target.rung]
            return lambda state: state.posture[:, a] >= r
        case m.PostureIs(posture_is=target):
            a, r = actor[target.actor], rung[target.rung]
            return lambda state: state.posture[:, a] == r
        case m.Reached(reached=target):
            a, r = actor[target.actor], rung[target.rung]
            return lambda state: state.max_posture[:, a] >= r
        case m.Permitted(permitted=target):
            a, r = actor[target.actor], rung[target.rung]
            return lambda state: permitted(compiled, state)[:, a, r]
        case m.DeploymentInCombat(deployment_in_combat=ident):
            d = compiled.deployment_index[ident]
            return lambda state: state.deployment_in_combat[:, d]
        case m.DeploymentExists(deployment_exists=ident):
            d = compiled.deployment_index[ident]
            return lambda state: state.deployment_exists[:, d] & state.deployment_active[:, d]
        case m.ControlBelow(control_below=target):
            f, value = compiled.front_index[target.front], target.value
            return lambda state: state.control[:, f] < value
        case m.ControlAbove(control_above=target):
            f, value = compiled.front_index[target.front], target.value
            return lambda state: state.control[:, f] > value
        case m.FrontActive(front_active=ident):
            f = compiled.front_index[ident]
            return lambda state: state.front_open[:, f]
        case m.WeekAtLeast(week_at_least=week):
            return lambda state: np.full(state.runs, state.week >= week)
        case m.PolicyFired(policy_fired=ident):
            p = compiled.policy_index[ident]
            return lambda state: state.policy_fired[:, p]
        case m.RedLineEnforced(red_line_enforced=ident):
            line = compiled.red_line_index[ident]
            return lambda state: state.enforced[:, line]
        case m.RedLineCrossed(red_line_crossed=ident):
            line = compiled.red_line_index[ident]
            return lambda state: state.crossed[:, line]
        case m.Settled():
            return lambda state: state.settled & (state.terminal == 0)
        case m.OutcomeIs(outcome=name):
            code = TERMINAL_CODES[name]
            return lambda state: state.terminal == code
        case m.StabilityBelow(stability_below=target):
            a, value = actor[target.actor], target.value
            return lambda state: state.stability[:, a] < value
        case m.RegimeCrisis(regime_crisis=ident):
            a = actor[ident]
            return lambda state: (state.terminal == TERMINAL_CODES["regime_crisis"]) & (
                state.regime_actor == a
            )
        case m.BeliefBelow(belief_below=target):
            observer = actor[target.observer]
            line = compiled.red_line_index[target.red_line]
            r, value = rung[target.rung], target.value
            return lambda state: enforcement_belief(
                compiled.belief_cdf[observer, line], state.low[:, line], state.high[:, line],
                state.tested[:, line], r + 1,
            ) < value
    raise TypeError(f"not a condition: {condition!r}")


def compile_conditions(compiled: ScenarioArrays) -> list[Predicate]:
    """The predicates of every condition of the scenario, with their memory slots.

    In the order of :func:`~redline.arrays.scenario_arrays.scenario_conditions`
    (policies' ``when``, then questions' and observations' events), each use of
    ``held_for`` or ``ever`` with its own slot, as the compiled programs have them.
    """
    memories = itertools.count()
    return [compile_condition(condition, compiled, memories)
            for condition in scenario_conditions(compiled.scenario)]


def remember(state: State, slot: int, holds: NDArray[np.bool_], *, latch: bool
             ) -> NDArray[np.int64]:
    """Memory ``slot`` of every run after its inner condition is found ``holds`` this week.

    Returns ``state.memory_since[:, slot]``: the first week of the inner
    condition's current run of weeks held (``held_for``), or its first week
    held (``ever``, a ``latch``), NEVER if none. Evaluated again in the same
    week, it starts again from what the week before left (as the compiled
    :func:`redline.mechanisms.programs.remember`).
    """
    week = state.week
    fresh = state.memory_week[:, slot] != week
    state.memory_before[fresh, slot] = state.memory_since[fresh, slot]
    state.memory_week[:, slot] = week
    before = state.memory_before[:, slot]
    if latch:
        since = np.where(before != NEVER, before, np.where(holds, week, NEVER))
    else:
        since = np.where(holds, np.where(before != NEVER, before, week), NEVER)
    state.memory_since[:, slot] = since
    return since


def permitted(compiled: ScenarioArrays, state: State) -> NDArray[np.bool_]:
    """(N, A, R): the actor is among the rung's users and every needed supplier agreed.

    A supplier never needs its own permission.
    """
    if not compiled.suppliers:
        return np.broadcast_to(compiled.may_use, (state.runs, *compiled.may_use.shape))
    self_supplier = (
        compiled.supplier_actor[None, :] == np.arange(compiled.n_actors)[:, None]
    )  # (A, S)
    ok = state.grants | ~compiled.needs[None, None, :, :] | self_supplier[None, :, None, :]
    return compiled.may_use[None, :, :] & ok.all(axis=-1)
