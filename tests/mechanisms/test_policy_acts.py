"""Tests of the policies' acts of issue 20: ``adopt``, ``record`` and ``hazard``.

``adopt`` sets an actor's posture in the week its policy fires, held for
``weeks`` and then undone; ``record`` only marks the policy fired; ``hazard``
draws in every week the condition holds (redline.mechanisms.policies, module
docstring). Checked against the rules by stepping the reference engine week
by week, against the geometric closed form of a constant hazard
(Box-Steffensmeier & Jones 2004) with 5 binomial standard errors, run by run
between the two engines, monotone in the hazard with common random numbers,
and for the language's errors at their line.
"""

from __future__ import annotations

import numpy as np
import pytest
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st
from pydantic import TypeAdapter

from redline.arrays.scenario_arrays import compile_scenario
from redline.arrays.state import initial_state
from redline.engine.run import simulate, step
from redline.engine.seeding import BLOCK_SIZE, ChunkStreams
from redline.mechanisms.mechanism import Week
from redline.mechanisms.registry import StreamLayout
from redline.report.describe import describe_policy
from redline.scenario.errors import ScenarioError
from redline.scenario.loader import load_text, validate_data
from redline.scenario.models import Action, Adopt, Policy, Record
from redline.scenario.pitfalls import pitfalls
from redline.scenario.yaml_source import read_yaml

#: Hezbollah's rocket fire may kill, each week with a chance, which makes Israel strike
#: once (a one-off act); Israel never strikes by itself, nor Hezbollah goes to war (each
#: costs far more than it gains, and they choose almost as a best response), and
#: Hezbollah holds its rocket fire (it gains from it at no cost).
INCIDENTS = """
name: incidents
start: 2024-01-01
horizon: 12
actors:
  HEZ: {name: Hezbollah, initial_posture: rockets}
  ISR: {name: Israel}
  USA: {name: United States}
sides: {ISR: [ISR, USA], HEZ: [HEZ]}
ladder:
  - {id: alert, severity: 1, cost: 0.0, users: [ISR, USA]}
  - {id: rockets, severity: 2, cost: 0.0, effect: 0.05, users: [HEZ]}
  - {id: strike, severity: 4, cost: 5.0, effect: 0.01, users: [ISR]}
  - {id: carrier, severity: 5, cost: 5.0, users: [USA], needs_permission_from: [ISR]}
  - {id: war, severity: 8, cost: 5.0, effect: 0.2, users: [HEZ]}
model: {rationality: 50.0, talks_hazard: 0.0, switching_cost: 1.0, planning_weeks: 10,
        sources: {rationality: test, switching_cost: test, planning_weeks: test}}
red_lines:
  - {id: no_strikes, owner: HEZ, applies_to: [ISR], declared_at: strike, threshold: 3,
     response: war, follow_through: 1.0}
policies:
  - {id: killing, when: {posture_at_least: {actor: HEZ, rung: rockets}}, hazard: 0.2,
     then: [{adopt: {actor: ISR, rung: strike, weeks: 1}}, {record: a commander is killed}]}
questions:
  - {id: killed, event: {policy_fired: killing}, by_week: 12}
  - {id: crossed, event: {red_line_crossed: no_strikes}, by_week: 12}
  - {id: struck, event: {reached: {actor: ISR, rung: strike}}, by_week: 12}
"""


def data(**changes: object) -> dict:
    scenario = yaml.safe_load(INCIDENTS)
    scenario.update(changes)
    return scenario


def with_policies(*policies: dict, **changes: object) -> dict:
    """The scenario with only ``policies`` (and no questions about the others)."""
    return data(policies=list(policies), questions=[], **changes)


def postures_by_week(scenario: dict, runs: int = 64, weeks: int = 6):
    """Step the reference engine; returns the compiled scenario and, by week 0..weeks,
    (posture, max_posture, weekly_cost) arrays (runs, actors)."""
    compiled = compile_scenario(validate_data(scenario, file="incidents.yaml"))
    layout = StreamLayout.of(compiled)
    streams = ChunkStreams(5, 0, runs, runs)
    state = initial_state(compiled, streams.uniforms(len(compiled.slots.numbers)))
    week = Week(compiled)
    history = [(state.posture.copy(), state.max_posture.copy(), state.weekly_cost.copy())]
    for number in range(1, weeks + 1):
        state.week = number
        step(week, state, streams.uniforms(layout.size), layout)
        history.append((state.posture.copy(), state.max_posture.copy(),
                        state.weekly_cost.copy()))
    return compiled, history


def rung(compiled, name: str) -> int:
    return compiled.rung_index[name]


# ------------------------------------------------------------------ adopt


def test_a_one_off_act_is_one_week_of_the_rung_then_back():
    """adopt weeks 1 in week 3: the posture is the rung in week 3 only, its cost is paid
    that week, the maximum keeps it, and week 4 starts again from the rung before."""
    compiled, history = postures_by_week(with_policies(
        {"id": "strike_once", "when": {"week_at_least": 3},
         "then": [{"adopt": {"actor": "ISR", "rung": "strike", "weeks": 1}}]}))
    isr = compiled.actor_index["ISR"]
    strike = rung(compiled, "strike")
    before = history[2][0][:, isr]
    assert (before < strike).all()
    posture, max_posture, cost = history[3]
    assert (posture[:, isr] == strike).all() and (max_posture[:, isr] == strike).all()
    np.testing.assert_allclose(cost[:, isr], 5.0)  # the strike's weekly cost, once
    after = history[4][0][:, isr]
    # back to the rung before, then one decision from it (never up to the strike again:
    # it costs 5 a week)
    assert (np.abs(after - before) <= 1).all() and (after < strike).all()
    assert (history[4][1][:, isr] == strike).all()  # reached stays


@pytest.mark.parametrize("weeks", [None, 3])
def test_an_adopted_rung_is_held_without_deciding_for_its_weeks(weeks):
    """Without weeks the actor decides again from the rung the next week; with weeks N it
    holds the rung N weeks (here 2..4), then returns to the rung before (week 5)."""
    target = {"actor": "ISR", "rung": "strike"} | ({"weeks": weeks} if weeks else {})
    compiled, history = postures_by_week(with_policies(
        {"id": "escalate", "when": {"week_at_least": 2}, "then": [{"adopt": target}]}),
        weeks=6)
    isr, strike = compiled.actor_index["ISR"], rung(compiled, "strike")
    before = history[1][0][:, isr]
    held = [history[w][0][:, isr] for w in range(2, 7)]
    assert (held[0] == strike).all()
    if weeks is None:  # rationality 50 and a cost of 5 a week: it steps down at once
        assert (held[1] < strike).all()
    else:
        assert all((posture == strike).all() for posture in held[:3])
        assert (np.abs(held[3] - before) <= 1).all() and (held[3] < strike).all()


def test_an_adopt_steps_down_as_well():
    compiled, history = postures_by_week(with_policies(
        {"id": "calm", "when": {"week_at_least": 1},
         "then": [{"adopt": {"actor": "HEZ", "rung": "rockets", "weeks": 2}}]},
        actors={"HEZ": {"name": "Hezbollah", "initial_posture": "war"},
                "ISR": {"name": "Israel"}, "USA": {"name": "United States"}}), weeks=2)
    hez = compiled.actor_index["HEZ"]
    assert (history[1][0][:, hez] == rung(compiled, "rockets")).all()
    assert (history[1][1][:, hez] == rung(compiled, "war")).all()  # the maximum stays


def test_a_rung_that_needs_a_permission_not_given_is_not_adopted():
    """USA's carrier needs ISR's permission: without it the adopt does nothing (the policy
    still fires); with a permit before it in the same policy, it is adopted."""
    adopt = {"adopt": {"actor": "USA", "rung": "carrier", "weeks": 1}}
    permit = {"permit": {"actor": "USA", "rung": "carrier", "by": "ISR"}}
    for then, adopted in (([adopt], False), ([permit, adopt], True)):
        compiled, history = postures_by_week(with_policies(
            {"id": "carrier", "when": {"week_at_least": 1}, "then": then}), weeks=1)
        usa = compiled.actor_index["USA"]
        assert (history[1][0][:, usa] == rung(compiled, "carrier")).all() == adopted


def test_an_incident_crosses_a_red_line_with_the_hazards_closed_form():
    """Israel strikes only through the incident, so the red line is crossed (and
    enforced) exactly in the week of the killing: P(crossed by w) = 1 - (1 - h)^w."""
    runs = 4 * BLOCK_SIZE * 4
    result = simulate(validate_data(data(), file="incidents.yaml"), runs=runs, seed=4,
                      keep_runs=True, engine="numpy")
    killed = result.per_run["event_week"][:, 0]
    crossed = result.per_run["event_week"][:, 1]
    np.testing.assert_array_equal(crossed, killed)
    weeks = np.arange(13)
    expected = 1.0 - 0.8 ** weeks
    tolerance = 5.0 * np.sqrt(expected * (1.0 - expected) / runs) + 1e-12
    assert (np.abs(result.question_weeks["crossed"] - expected) <= tolerance).all()


# ------------------------------------------------------------------ hazard


@pytest.mark.parametrize("hazard", [0.05, 0.3])
def test_a_hazard_fires_by_week_w_with_probability_one_minus_survival(hazard):
    """Closed form of a constant weekly hazard h with the condition holding from week 1:
    P(fired by week w) = 1 - (1 - h)^w (5 binomial standard errors)."""
    runs = 8 * BLOCK_SIZE
    scenario = data()
    scenario["policies"][0]["hazard"] = hazard
    result = simulate(validate_data(scenario, file="incidents.yaml"), runs=runs, seed=9,
                      engine="numpy")
    expected = 1.0 - (1.0 - hazard) ** np.arange(13)
    tolerance = 5.0 * np.sqrt(expected * (1.0 - expected) / runs) + 1e-12
    assert (np.abs(result.question_weeks["killed"] - expected) <= tolerance).all()


def test_a_hazard_waits_while_its_condition_does_not_hold():
    """The condition holds from week 4: no firing before, then the geometric law from
    there: P(fired by w) = 1 - (1 - h)^(w - 3)."""
    runs = 8 * BLOCK_SIZE
    scenario = data()
    scenario["policies"][0]["when"] = {"week_at_least": 4}
    result = simulate(validate_data(scenario, file="incidents.yaml"), runs=runs, seed=2,
                      engine="numpy")
    weeks = np.arange(13)
    expected = np.where(weeks >= 4, 1.0 - 0.8 ** np.maximum(weeks - 3, 0), 0.0)
    tolerance = 5.0 * np.sqrt(expected * (1.0 - expected) / runs) + 1e-12
    assert (np.abs(result.question_weeks["killed"] - expected) <= tolerance).all()


@settings(max_examples=8, deadline=None)
@given(low=st.floats(0.0, 0.5), extra=st.floats(0.0, 0.5))
def test_a_higher_hazard_fires_no_later_in_any_run(low, extra):
    """Monotone with common random numbers: the same week's uniform u fires the policy
    when u < h, so raising h never delays the firing in any run; the share fired by
    each week is a probability."""
    weeks = []
    for hazard in (low, low + extra):
        scenario = data(horizon=8)
        scenario["policies"][0]["hazard"] = hazard
        result = simulate(validate_data(scenario, file="incidents.yaml"), runs=BLOCK_SIZE,
                          seed=6, keep_runs=True, engine="numpy")
        shares = result.question_weeks["killed"]
        assert ((shares >= 0.0) & (shares <= 1.0)).all()
        weeks.append(result.per_run["event_week"][:, 0])  # (NEVER: not by the horizon)
    assert (weeks[1] <= weeks[0]).all()


def test_a_scenario_with_acts_and_hazards_survives_a_full_dump():
    """The store keeps a scenario's full JSON (defaults written out, probability 1 among
    them) and validates it again when its text fails: the same scenario."""
    scenario = validate_data(data(), file="incidents.yaml")
    dumped = scenario.model_dump(mode="json", by_alias=True)
    assert type(scenario).model_validate(dumped) == scenario


def test_probability_and_hazard_together_are_an_error_at_the_policy():
    text = INCIDENTS.replace("hazard: 0.2,", "hazard: 0.2, probability: 0.5,")
    with pytest.raises(ScenarioError) as error:
        load_text(text, "incidents.yaml")
    assert "probability" in str(error.value) and "hazard" in str(error.value)
    line = next(i for i, row in enumerate(text.splitlines(), start=1) if "id: killing" in row)
    assert line in {issue.line for issue in error.value.issues}


# ------------------------------------------------------------------ the language


def test_an_adopt_of_a_rung_the_actor_may_not_use_is_an_error_at_its_line():
    text = INCIDENTS.replace("{adopt: {actor: ISR, rung: strike, weeks: 1}}",
                             "{adopt: {actor: HEZ, rung: strike, weeks: 1}}")
    with pytest.raises(ScenarioError) as error:
        load_text(text, "incidents.yaml")
    assert "HEZ may not use rung 'strike'" in str(error.value)
    assert "rockets" in str(error.value)  # the rungs it may use
    line = next(i for i, row in enumerate(text.splitlines(), start=1) if "adopt:" in row)
    assert line in {issue.line for issue in error.value.issues}


def test_an_unknown_rung_or_actor_in_an_adopt_gets_a_did_you_mean():
    text = INCIDENTS.replace("{adopt: {actor: ISR, rung: strike, weeks: 1}}",
                             "{adopt: {actor: ISRL, rung: strik, weeks: 1}}")
    with pytest.raises(ScenarioError) as error:
        load_text(text, "incidents.yaml")
    message = str(error.value)
    assert "did you mean 'ISR'" in message and "did you mean 'strike'" in message


def test_weeks_must_be_a_whole_number_of_weeks_from_one():
    text = INCIDENTS.replace("weeks: 1}}", "weeks: 0}}")
    with pytest.raises(ScenarioError):
        load_text(text, "incidents.yaml")


def test_the_acts_are_described_in_words():
    scenario = validate_data(data(), file="incidents.yaml")
    words = describe_policy(scenario.policies[0])
    assert "ISR adopts strike for 1 week, then back" in words
    assert "record: a commander is killed" in words
    assert "weekly hazard 0.2" in words


# ------------------------------------------------------------------ both engines


def test_both_engines_agree_run_by_run_with_adopt_record_and_hazard():
    scenario = data(model={"talks_hazard": 0.05, "rationality": 3.0, "switching_cost": 0.01,
                           "planning_weeks": 10,
                           "sources": {"rationality": "t", "switching_cost": "t",
                                       "planning_weeks": "t"}})
    scenario["ladder"][2]["cost"] = 0.002  # Israel may strike by itself too
    scenario["policies"] += [
        {"id": "carrier", "when": {"red_line_enforced": "no_strikes"}, "hazard": 0.5,
         "then": [{"permit": {"actor": "USA", "rung": "carrier", "by": "ISR"}},
                  {"adopt": {"actor": "USA", "rung": "carrier"}}]},
        {"id": "withdraw", "when": {"policy_fired": "carrier"}, "delay_weeks": 2,
         "then": [{"adopt": {"actor": "USA", "rung": "alert", "weeks": 2}},
                  {"record": "the carrier sails home"}]},
    ]
    scenario["questions"].append({"id": "home", "event": {"policy_fired": "withdraw"},
                                  "by_week": 12})
    loaded = validate_data(scenario, file="incidents.yaml")
    runs = 2 * BLOCK_SIZE + 5
    compiled = simulate(loaded, runs=runs, seed=3, keep_runs=True)
    reference = simulate(loaded, runs=runs, seed=3, keep_runs=True, engine="numpy")
    assert 0 < reference.questions["home"].count < runs  # the acts happen, not always
    for name in ("outcome", "end_week", "event_week"):
        np.testing.assert_array_equal(compiled.per_run[name], reference.per_run[name])
    for name, values in compiled.trajectories.items():
        np.testing.assert_allclose(values, reference.trajectories[name], rtol=1e-9,
                                   atol=1e-12, err_msg=name)
    assert compiled.questions["killed"].count == reference.questions["killed"].count


def test_a_scenario_without_hazards_gets_no_new_slot():
    """Hazard slots are added for the policies that have one only, after every other
    part, so that the slots (and random numbers) of other scenarios do not move."""
    with_hazard = compile_scenario(validate_data(data(), file="incidents.yaml"))
    scenario = data()
    del scenario["policies"][0]["hazard"]
    without = compile_scenario(validate_data(scenario, file="incidents.yaml"))
    assert (without.policy_hazard_slot == -1).all()
    assert len(with_hazard.slots.names) == len(without.slots.names) + 1
    assert with_hazard.slots.names[:-1] == without.slots.names
    assert with_hazard.slots.names[-1] == "policies.killing.hazard"


@pytest.mark.parametrize("model", [Adopt, Record, Policy])
def test_the_reference_pages_examples_are_valid(model):
    """The examples docs/reference/scenario.md prints (language_docs) are valid elements."""
    examples = model.model_config["json_schema_extra"]["examples"]
    adapter = TypeAdapter(Action if model is not Policy else Policy)
    for example in examples:
        assert isinstance(adapter.validate_python(example), model)


def test_validate_warns_of_an_adopt_that_no_permit_makes_possible():
    """USA's carrier needs ISR's permission: an adopt of it with no permit anywhere never
    takes effect, and `redline validate` says so at the adopt's rung; a permit silences it."""
    adopt = "{adopt: {actor: USA, rung: carrier}}"
    text = INCIDENTS.replace("{record: a commander is killed}", adopt)
    _, source, _ = read_yaml(text, "incidents.yaml")
    warnings = pitfalls(load_text(text, "incidents.yaml"), source, "incidents.yaml")
    assert [w for w in warnings if "no policy permits it" in w.message]
    line = next(i for i, row in enumerate(text.splitlines(), start=1) if adopt in row)
    assert line in {w.line for w in warnings}
    permitted = text.replace(adopt, "{permit: {actor: USA, rung: carrier, by: ISR}}, " + adopt)
    _, source, _ = read_yaml(permitted, "incidents.yaml")
    assert not pitfalls(load_text(permitted, "incidents.yaml"), source, "incidents.yaml")
