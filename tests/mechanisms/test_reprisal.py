"""The reprisal motive of the decisions (issue 20, gap 9): tit-for-tat (Leng 1993).

An actor with ``reprisal: {bonus: R, weeks: K}`` is provoked for K weeks by each
escalation of the other side (its highest rung rising), and from week 1 with
``at_start``; while provoked, moving up gains R. Checked against the logit
closed form of the first week's odds (exp(lambda R)), the provocation rule
(exact), a monotone property under common random numbers (hypothesis), and both
engines run by run.
"""

from __future__ import annotations

import math
import textwrap

import pytest
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st

from redline.arrays.scenario_arrays import compile_scenario
from redline.arrays.state import NEVER, initial_state
from redline.engine.run import simulate
from redline.engine.seeding import BLOCK_SIZE, ChunkStreams
from redline.mechanisms.decisions import provoke
from redline.scenario.errors import ScenarioError
from redline.scenario.loader import load_text, validate_data
from redline.scenario.models import Reprisal
from tests.support.engines import assert_engines_agree

REPRISAL = """
name: reprisal
start: 2024-01-01
horizon: 1
actors:
  A: {name: Alpha, reprisal: {bonus: 1.0, weeks: 2, at_start: true}}
  B: {name: Beta}
sides: {A: [A], B: [B]}
ladder:
  - {id: step, severity: 2}
  - {id: strike, severity: 5}
model: {talks_hazard: 0.0, rationality: 1.0, switching_cost: 0.5, planning_weeks: 10,
        sources: {rationality: a test, switching_cost: a test, planning_weeks: a test}}
questions:
  - {id: a_step, event: {reached: {actor: A, rung: step}}, by_week: 1}
"""


def reprisal_data(**motive: object) -> dict:
    data = yaml.safe_load(REPRISAL)
    data["actors"]["A"]["reprisal"].update(motive)
    return data


def load(data: dict):
    return validate_data(data, file="reprisal.yaml")


@pytest.mark.parametrize("engine", ["compiled", "numpy"])
def test_a_provoked_actors_odds_of_moving_up_grow_by_exp_lambda_r(engine):
    """Closed form (logit choice): no rung has an effect or a cost, so A's utilities in
    week 1 are U(hold) = 0 and U(step) = -k + R while provoked: P(step) =
    1 / (1 + exp(lambda (k - R))), 0.622 with R = 1 at the start; without `at_start` A
    is not provoked in week 1 and P(step) = 1 / (1 + exp(lambda k)) = 0.378. Within 5
    binomial standard errors."""
    runs = 4000
    for at_start, expected in ((True, 1 / (1 + math.exp(0.5 - 1.0))),
                               (False, 1 / (1 + math.exp(0.5)))):
        result = simulate(load(reprisal_data(at_start=at_start)), runs=runs, seed=5,
                          engine=engine)
        moved = result.questions["a_step"].p
        assert abs(moved - expected) < 5 * math.sqrt(expected * (1 - expected) / runs)


def test_an_escalation_of_the_other_side_provokes_for_k_weeks():
    """The provocation rule, exact: B's highest rung rising seen in week w provokes A in
    weeks w to w + K - 1 (K = 2); no rise, no new provocation; a fall then a new rise
    provokes again; A's own escalation provokes no one (B has no motive)."""
    compiled = compile_scenario(load(reprisal_data(at_start=False)))
    streams = ChunkStreams(7, 0, 8, 8)
    state = initial_state(compiled, streams.uniforms(len(compiled.slots.numbers)))
    a, b = compiled.actor_index["A"], compiled.actor_index["B"]
    assert (state.provoked_until[:, a] == -1).all() and (state.reprisal_bonus[:, a] == 1).all()
    state.week = 3
    state.posture[:, b] = compiled.rung_index["step"]
    provoke(compiled, state)
    assert (state.provoked_until[:, a] == 4).all()
    state.week = 5
    provoke(compiled, state)
    assert (state.provoked_until[:, a] == 4).all()
    state.posture[:, b] = 0
    state.week = 6
    provoke(compiled, state)
    state.posture[:, b] = compiled.rung_index["step"]
    state.posture[:, a] = compiled.rung_index["strike"]
    state.week = 7
    provoke(compiled, state)
    assert (state.provoked_until[:, a] == 8).all()
    assert (state.provoked_until[:, b] == -1).all()


def test_at_start_provokes_in_weeks_one_to_k():
    compiled = compile_scenario(load(reprisal_data(weeks=3)))
    state = initial_state(compiled, ChunkStreams(7, 0, 8, 8).uniforms(
        len(compiled.slots.numbers)))
    assert (state.provoked_until[:, compiled.actor_index["A"]] == 3).all()


@settings(max_examples=15, deadline=None)
@given(low=st.floats(0.0, 3.0), extra=st.floats(0.01, 3.0), rationality=st.floats(0.1, 5.0))
def test_a_larger_bonus_never_makes_fewer_runs_answer(low, extra, rationality):
    """Monotone (common random numbers): in week 1 the provoked A moves up iff its uniform
    is at least P(hold), which falls as R grows; so the runs that answer with the
    smaller bonus are a subset of those that answer with the larger."""
    moved = []
    for bonus in (low, low + extra):
        data = reprisal_data(bonus=bonus)
        data["model"]["rationality"] = rationality
        result = simulate(load(data), runs=BLOCK_SIZE, seed=3, keep_runs=True, engine="numpy")
        moved.append(result.per_run["event_week"][:, 0] != NEVER)
    assert not (moved[0] & ~moved[1]).any()


BOTH = """
name: reciprocity
start: 2024-01-01
horizon: 20
actors:
  A: {name: Alpha, reprisal: {bonus: {uniform: [0.0, 0.6]}, weeks: 2}}
  B: {name: Beta, reprisal: {bonus: 0.4, weeks: 3, at_start: true}}
  C: {name: Gamma, capability: 0.5}
sides: {A: [A], B: [B, C]}
ladder:
  - {id: raid, severity: 2, effect: 0.03, cost: 0.002}
  - {id: killing, severity: 3, effect: 0.01, cost: 0.001}
  - {id: strike, severity: 5, effect: 0.08, cost: 0.004}
fronts:
  main: {attacker: A, defender: B, forces: {A: 1000, B: 900}, attrition: {A: 0.01, B: 0.012}}
model: {talks_hazard: 0.02}
questions:
  - {id: strike, event: {reached: {actor: A, rung: strike}}, by_week: 20}
"""


def test_both_engines_agree_run_by_run_with_reprisals():
    scenario = load_text(BOTH, "reciprocity.yaml")
    assert_engines_agree(scenario, runs=2 * BLOCK_SIZE + 5, seed=3)


def test_a_bad_motive_is_reported_at_its_line():
    text = REPRISAL.replace("weeks: 2", "weeks: 0")
    with pytest.raises(ScenarioError) as error:
        load_text(text, "reprisal.yaml")
    assert any(issue.line == 6 for issue in error.value.issues), str(error.value)


def test_the_documented_example_loads():
    doc = (Reprisal.__doc__ or "").split("::", 1)[1]
    example = yaml.safe_load(textwrap.dedent(doc))
    Reprisal.model_validate(example["actors"]["USA"]["reprisal"])
