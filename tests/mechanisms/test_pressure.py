"""Economic pressure (redline.mechanisms.pressure): the weekly cost of sanctions to their target.

Checked against the mechanism's closed form (the cost added each week while in
force, and the stability it takes), the apply/lift rule, both engines run by
run, monotone effects, and the language's checks of its references.
"""

from __future__ import annotations

import copy

import numpy as np
import pytest
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st

from redline.arrays.scenario_arrays import compile_scenario
from redline.arrays.state import initial_state
from redline.engine.run import simulate
from redline.engine.seeding import BLOCK_SIZE, ChunkStreams
from redline.mechanisms import pressure
from redline.mechanisms.mechanism import Week
from redline.report.describe import describe_policy
from redline.scenario.errors import ScenarioError
from redline.scenario.loader import load_text, validate_data
from tests.support.engines import assert_engines_agree

BASE = """
name: sanctions
start: 2024-01-01
horizon: 20
actors:
  A: {name: Alpha, capability: 1.0, war_cost: 0.2, stability: 0.9, stability_floor: 0.1,
      stability_sensitivity: 1.0}
  B: {name: Beta, capability: {uniform: [0.5, 1.0]}, war_cost: 0.2}
  C: {name: Gamma, capability: 0.5}
sides: {A: [A], B: [B, C]}
ladder:
  - {id: war, severity: 2, effect: 0.05, cost: 0.001}
  - {id: strike, severity: 5, effect: 0.1, cost: 0.002}
fronts:
  main: {attacker: A, defender: B, forces: {A: 1000, B: 800}, attrition: {A: 0.01, B: 0.012},
         control: 0.3}
pressures:
  embargo: {by: [B, C], target: A, cost: {uniform: [0.002, 0.01]}}
  tariffs: {by: [C], target: A, cost: 0.003, active: false}
policies:
  - {id: impose, when: {week_at_least: 4}, then: [{apply_pressure: tariffs}]}
  - {id: relief, when: {week_at_least: 9}, then: [{lift_pressure: embargo}],
     probability: 0.5, delay_weeks: {uniform: [0, 4]}}
questions:
  - {id: crisis, event: {regime_crisis: A}, by_week: 20}
"""


def scenario_data(**changes: object) -> dict:
    data = yaml.safe_load(BASE)
    data.update(changes)
    return data


def week_state(data: dict, runs: int = 256):
    compiled = compile_scenario(validate_data(data, file="sanctions.yaml"))
    streams = ChunkStreams(7, 0, runs, runs)
    return compiled, initial_state(compiled, streams.uniforms(len(compiled.slots.numbers)))


def test_a_pressure_in_force_adds_its_cost_to_its_target_each_week():
    compiled, state = week_state(scenario_data())
    state.weekly_cost[:] = 0.0
    pressure.reference_step(Week(compiled), state, np.zeros((0, state.runs)))
    embargo = compiled.pressure_index["embargo"]
    expected = np.zeros_like(state.weekly_cost)
    expected[:, compiled.actor_index["A"]] = state.pressure_cost[:, embargo]
    np.testing.assert_array_equal(state.weekly_cost, expected)
    assert ((state.pressure_cost[:, embargo] >= 0.002)
            & (state.pressure_cost[:, embargo] <= 0.01)).all()


def test_policies_apply_and_lift_pressures_and_a_lift_is_for_good():
    compiled, state = week_state(scenario_data())
    impose, relief = compiled.policy_index["impose"], compiled.policy_index["relief"]
    embargo, tariffs = compiled.pressure_index["embargo"], compiled.pressure_index["tariffs"]
    runs = np.arange(state.runs)
    state.policy_fired[:, impose] = runs % 2 == 0
    state.policy_fired[:, relief] = runs % 3 == 0
    on = pressure.in_force(compiled, state)
    np.testing.assert_array_equal(on[:, tariffs], runs % 2 == 0)
    np.testing.assert_array_equal(on[:, embargo], runs % 3 != 0)
    # a policy that applies a lifted pressure again does not restore it
    data = scenario_data()
    data["policies"].append({"id": "again", "when": {"week_at_least": 15},
                             "then": [{"apply_pressure": "embargo"}]})
    compiled, state = week_state(data)
    state.policy_fired[:, :] = True
    assert not pressure.in_force(compiled, state)[:, compiled.pressure_index["embargo"]].any()


def test_stability_falls_by_the_sensitivity_times_the_cost_week_by_week():
    """Closed form: with no other cost, the target's stability after w weeks is
    s0 - sensitivity x cost x w, and its accumulated costs cost x w."""
    data = scenario_data(fronts={}, policies=[], questions=[],
                         pressures={"embargo": {"by": ["B"], "target": "A", "cost": 0.01}})
    data["ladder"] = [{"id": "war", "severity": 2, "effect": 0.05}]
    result = simulate(validate_data(data, file="sanctions.yaml"), runs=BLOCK_SIZE, seed=1,
                      horizon=10, keep_runs=True, engine="numpy")
    going = ("ongoing", "settlement", "settlement_broken")  # no run ends: all pay every week
    assert sum(result.outcomes[name].count for name in going) == BLOCK_SIZE
    stability = result.trajectories["stability"][:, 0]  # (actor A, the first)
    weeks = np.arange(len(stability))
    np.testing.assert_allclose(stability, 0.9 - 0.01 * weeks, atol=1e-12)


def test_both_engines_agree_run_by_run_with_pressures():
    scenario = validate_data(scenario_data(), file="sanctions.yaml")
    assert_engines_agree(scenario, runs=2 * BLOCK_SIZE + 5, seed=3)


@settings(max_examples=10, deadline=None)
@given(low=st.floats(0.0, 0.02), extra=st.floats(0.001, 0.05))
def test_a_costlier_pressure_never_leaves_its_target_more_stable(low, extra):
    """Monotone: with common random numbers, a higher weekly cost leaves the target's
    mean stability in week 5 no higher."""
    stabilities = []
    for cost in (low, low + extra):
        data = scenario_data()
        data["pressures"]["embargo"]["cost"] = cost
        result = simulate(validate_data(data, file="sanctions.yaml"), runs=BLOCK_SIZE, seed=2,
                          horizon=5, keep_runs=True, engine="numpy")
        stabilities.append(result.trajectories["stability"][-1, 0])  # (mean of A's)
    assert stabilities[1] <= stabilities[0] + 1e-12


def test_unknown_pressures_and_actors_are_reported_at_their_line():
    text = BASE.replace("target: A, cost: {uniform", "target: Z, cost: {uniform").replace(
        "lift_pressure: embargo", "lift_pressure: embarg")
    with pytest.raises(ScenarioError) as error:
        load_text(text, "sanctions.yaml")
    messages = str(error.value)
    assert "unknown actor 'Z'" in messages and "unknown pressure 'embarg'" in messages
    lines = {issue.line for issue in error.value.issues}
    assert {text.splitlines().index(line) + 1 for line in text.splitlines()
            if "target: Z" in line or "embarg}" in line} <= lines


def test_the_actions_are_described_in_words():
    scenario = validate_data(scenario_data(), file="sanctions.yaml")
    assert "apply pressure tariffs" in describe_policy(scenario.policies[0])
    assert "lift pressure embargo" in describe_policy(scenario.policies[1])


def test_a_scenario_without_pressures_is_unchanged_by_the_mechanism():
    data = scenario_data(pressures={})
    data["policies"] = []
    compiled, state = week_state(data)
    before = copy.deepcopy(state.weekly_cost)
    pressure.reference_step(Week(compiled), state, np.zeros((0, state.runs)))
    np.testing.assert_array_equal(state.weekly_cost, before)
    assert state.pressure_cost.shape == (state.runs, 0)
