"""Fronts that do not always fight (redline.mechanisms.fronts): standoffs, closures, withdrawals.

A front with ``fights_at`` fights only while its attacker or defender holds that
rung or a higher one; ``close_front`` ends its fighting with the ground as it
stands, ``withdraw`` hands one actor's ground to the other. Checked against
these rules exactly (a standoff keeps forces and control, a withdrawal sets
control to 0 or 1), both engines run by run, and the language's checks.
"""

from __future__ import annotations

import numpy as np
import pytest
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st

from redline.arrays.scenario_arrays import compile_scenario
from redline.arrays.state import initial_state
from redline.engine.run import simulate
from redline.engine.seeding import BLOCK_SIZE, ChunkStreams
from redline.mechanisms import fronts
from redline.mechanisms.mechanism import Week
from redline.report.describe import describe_policy
from redline.scenario.errors import ScenarioError
from redline.scenario.loader import load_text, validate_data
from tests.support.engines import assert_engines_agree

BASE = """
name: standoff
start: 2017-06-16
horizon: 16
actors:
  A: {name: Alpha, capability: 1.0, war_cost: 0.2}
  B: {name: Beta, capability: {uniform: [0.5, 1.0]}, war_cost: 0.2}
  C: {name: Gamma, capability: 0.2}
sides: {A: [A], B: [B]}
ladder:
  - {id: patrol, severity: 1, effect: 0.0, cost: 0.0}
  - {id: skirmish, severity: 2, effect: 0.05, cost: 0.001}
  - {id: war, severity: 4, effect: 0.1, cost: 0.002}
fronts:
  plateau: {attacker: A, defender: B, forces: {A: 300, B: 500},
            attrition: {A: 0.02, B: 0.03}, reinforcement: {A: 5, B: 8}, control: 0.4,
            control_speed: 0.05}
  coast: {attacker: B, defender: A, forces: {A: 900, B: 700}, attrition: {A: 0.01, B: 0.01},
          control: 0.2}
"""


def scenario_data(**changes: object) -> dict:
    data = yaml.safe_load(BASE)
    data.update(changes)
    return data


def run(data: dict, engine: str = "numpy", runs: int = BLOCK_SIZE, seed: int = 5):
    return simulate(validate_data(data, file="standoff.yaml"), runs=runs, seed=seed,
                    keep_runs=True, engine=engine)


def test_a_front_below_its_fighting_rung_is_a_standoff_in_both_engines():
    """Nobody can reach `war` (only C may use it), so the plateau never fights: its control
    stays at 0.4 in every run and week, while the coast front fights and moves."""
    data = scenario_data()
    data["ladder"][2]["users"] = ["C"]
    data["fronts"]["plateau"]["fights_at"] = "war"
    for engine in ("numpy", "compiled"):
        result = run(data, engine)
        control = result.trajectories["control"]
        assert np.ptp(control[:, 0]) == 0.0  # (the mean over runs of 0.4 in each)
        np.testing.assert_allclose(control[:, 0], 0.4, atol=1e-12)
        assert np.ptp(control[:, 1]) > 0.0


def week_of_fronts(data: dict, posture: str | None = None):
    """The state after the fronts' reference step, on a start state (postures set to a rung)."""
    compiled = compile_scenario(validate_data(data, file="standoff.yaml"))
    state = initial_state(compiled, ChunkStreams(7, 0, 64, 64).uniforms(
        len(compiled.slots.numbers)))
    if posture is not None:
        state.posture[:, :] = compiled.rung_index[posture]
    fronts.reference_step(Week(compiled), state, np.zeros((0, state.runs)))
    return compiled, state


def test_a_front_whose_rung_is_held_fights_exactly_as_without_one():
    """Actors start at the ladder's implicit rung `none`, below every rung; once both hold
    `skirmish`, a front with fights_at `patrol` or `skirmish` fights as one without."""
    _, plain = week_of_fronts(scenario_data(), "skirmish")
    for rung in ("patrol", "skirmish"):
        data = scenario_data()
        data["fronts"]["plateau"]["fights_at"] = rung
        _, state = week_of_fronts(data, "skirmish")
        for name in ("forces", "control", "weekly_cost"):
            np.testing.assert_array_equal(getattr(state, name), getattr(plain, name))
    data = scenario_data()
    data["fronts"]["plateau"]["fights_at"] = "patrol"
    compiled, quiet = week_of_fronts(data)  # (everyone at `none`)
    plateau = compiled.front_index["plateau"]
    np.testing.assert_array_equal(quiet.control[:, plateau], 0.4)


def test_a_front_fights_only_in_the_weeks_someone_holds_the_rung():
    """Reference step on a mid-run state: fronts whose actors stand below the rung keep forces
    and control; where the defender holds it, the front fights."""
    data = scenario_data()
    data["fronts"]["plateau"]["fights_at"] = "skirmish"
    compiled = compile_scenario(validate_data(data, file="standoff.yaml"))
    state = initial_state(compiled, ChunkStreams(7, 0, 64, 64).uniforms(
        len(compiled.slots.numbers)))
    defender = compiled.actor_index["B"]
    holds = np.arange(state.runs) % 2 == 0
    state.posture[:, defender] = np.where(holds, compiled.rung_index["skirmish"], 0)
    plateau = compiled.front_index["plateau"]
    forces, control = state.forces[:, plateau].copy(), state.control[:, plateau].copy()
    fronts.reference_step(Week(compiled), state, np.zeros((0, state.runs)))
    np.testing.assert_array_equal(state.forces[~holds, plateau], forces[~holds])
    np.testing.assert_array_equal(state.control[~holds, plateau], control[~holds])
    assert (state.forces[holds, plateau, 0] < forces[holds, 0]).all()
    assert (state.control[holds, plateau] != control[holds]).all()


@settings(max_examples=20, deadline=None)
@given(control=st.floats(0.0, 1.0), attacker=st.floats(0.0, 1e4), defender=st.floats(0.0, 1e4))
def test_a_standoff_keeps_any_forces_and_control(control, attacker, defender):
    data = scenario_data()
    data["fronts"]["plateau"].update(fights_at="war", control=control,
                                     forces={"A": attacker, "B": defender})
    compiled = compile_scenario(validate_data(data, file="standoff.yaml"))
    state = initial_state(compiled, ChunkStreams(1, 0, 8, 8).uniforms(
        len(compiled.slots.numbers)))
    plateau = compiled.front_index["plateau"]
    before = state.forces[:, plateau].copy()
    fronts.reference_step(Week(compiled), state, np.zeros((0, state.runs)))
    np.testing.assert_array_equal(state.forces[:, plateau], before)
    np.testing.assert_array_equal(state.control[:, plateau], control)


def closing_policies() -> list[dict]:
    return [
        {"id": "ceasefire", "when": {"week_at_least": 3}, "then": [{"close_front": "coast"}]},
        {"id": "pull_out", "when": {"week_at_least": 5},
         "then": [{"withdraw": {"front": "plateau", "actor": "A"}}]},
    ]


def test_a_closed_front_keeps_its_ground_and_a_withdrawal_hands_it_over():
    """The ceasefire fires in week 3: the coast's control stands at its week-2 value from then
    on. A withdraws from the plateau in week 5: control 0 in every run, the front closed."""
    data = scenario_data(policies=closing_policies())
    for engine in ("numpy", "compiled"):
        result = run(data, engine)
        control, open_ = result.trajectories["control"], result.trajectories["front_open"]
        np.testing.assert_array_equal(control[3:, 1], control[2, 1])
        np.testing.assert_array_equal(open_[3:, 1], 0.0)
        np.testing.assert_array_equal(open_[:3, 1], 1.0)
        np.testing.assert_array_equal(control[5:, 0], 0.0)
        assert (control[1:5, 0] > 0.0).all()


def test_a_defender_that_withdraws_leaves_the_attacker_all_the_ground():
    data = scenario_data(policies=[
        {"id": "leave", "when": {"week_at_least": 2},
         "then": [{"withdraw": {"front": "coast", "actor": "A"}}]}])
    result = run(data, "compiled")
    np.testing.assert_array_equal(result.trajectories["control"][2:, 1], 1.0)


def test_a_closed_front_stays_closed_when_a_policy_opens_it_again():
    policies = [*closing_policies(),
                {"id": "reopen", "when": {"week_at_least": 8}, "then": [{"open_front": "coast"}]}]
    result = run(scenario_data(policies=policies), "numpy")
    np.testing.assert_array_equal(result.trajectories["front_open"][3:, 1], 0.0)


def test_both_engines_agree_run_by_run_with_standoffs_and_closures():
    data = scenario_data(policies=[
        {"id": "ceasefire", "when": {"any": [{"control_above": {"front": "coast", "value": 0.25}},
                                              {"week_at_least": 4}]},
         "then": [{"close_front": "coast"}], "probability": 0.6,
         "delay_weeks": {"uniform": [0, 3]}},
        {"id": "pull_out", "when": {"posture_at_least": {"actor": "B", "rung": "skirmish"}},
         "then": [{"withdraw": {"front": "plateau", "actor": "A"}}], "probability": 0.4},
    ])
    data["fronts"]["plateau"]["fights_at"] = "skirmish"
    scenario = validate_data(data, file="standoff.yaml")
    runs = 2 * BLOCK_SIZE + 7
    compiled = assert_engines_agree(scenario, runs=runs, seed=11)
    open_ = compiled.trajectories["front_open"]
    assert 0.0 < open_[-1, 1] < 1.0 and 0.0 < open_[-1, 0] < 1.0  # some runs closed each


def test_a_withdrawal_by_an_actor_not_on_the_front_is_reported_at_its_line():
    data = scenario_data(policies=[
        {"id": "leave", "when": {"week_at_least": 2},
         "then": [{"withdraw": {"front": "coast", "actor": "C"}}]}])
    text = yaml.safe_dump(data, sort_keys=False)
    with pytest.raises(ScenarioError) as error:
        load_text(text, "standoff.yaml")
    issue = error.value.issues[0]
    assert "neither the attacker nor the defender of front 'coast'" in issue.message
    assert "actor: C" in text.splitlines()[issue.line - 1]


def test_unknown_fronts_and_rungs_are_reported_with_a_suggestion():
    data = scenario_data(policies=[
        {"id": "ceasefire", "when": {"week_at_least": 3}, "then": [{"close_front": "coats"}]}])
    data["fronts"]["plateau"]["fights_at"] = "skirmsh"
    with pytest.raises(ScenarioError) as error:
        load_text(yaml.safe_dump(data, sort_keys=False), "standoff.yaml")
    messages = str(error.value)
    assert "'coats'" in messages and "did you mean 'coast'" in messages
    assert "'skirmsh'" in messages and "did you mean 'skirmish'" in messages


def test_the_actions_are_described_in_words():
    scenario = validate_data(scenario_data(policies=closing_policies()), file="standoff.yaml")
    assert "close front coast" in describe_policy(scenario.policies[0])
    assert "A withdraws from front plateau" in describe_policy(scenario.policies[1])
