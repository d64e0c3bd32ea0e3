"""Self-limits and graded responses of red lines (issue 20, gaps 7 and 8).

A self-limit (a red line whose ``applies_to`` holds its owner) is the owner's
pledge: a certain audience cost in its decisions at or above the declared rung
while the pledge stands, paid once when broken (Fearon 1994). A graded schedule
(``responses``) answers a crossing at severity s with the entry whose ``at`` is
the highest at or below s. Checked against closed forms (the logit odds of the
first week's move, the cost paid), the rules (never enforced against the owner,
the schedule's response at each severity), both engines run by run, and
monotone effects (hypothesis).
"""

from __future__ import annotations

import copy
import math
import textwrap

import numpy as np
import pytest
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st

import redline
from redline.arrays.scenario_arrays import compile_scenario
from redline.arrays.state import NEVER, initial_state
from redline.engine.run import simulate
from redline.engine.seeding import BLOCK_SIZE, ChunkStreams
from redline.mechanisms.decisions import red_line_risk
from redline.mechanisms.redlines import apply_red_lines
from redline.scenario.errors import ScenarioError
from redline.scenario.loader import load_text, validate_data
from redline.scenario.models import GradedResponse, RedLine
from tests.support.engines import assert_engines_agree

# ------------------------------------------------------------------ self-limits

PLEDGE = """
name: pledge
start: 2024-01-01
horizon: 1
actors:
  A: {name: Alpha}
  B: {name: Beta}
sides: {A: [A], B: [B]}
ladder:
  - {id: step, severity: 2}
  - {id: strike, severity: 5, harm: 0.7}
  - {id: nuke, severity: 10, users: [A], needs_permission_from: [B], outcome: nuclear_use}
red_lines:
  - {id: pl, owner: A, applies_to: [A], declared_at: step, threshold: 0, response: nuke,
     follow_through: 1, audience_cost: 1.0}
model: {talks_hazard: 0.0, rationality: 1.0, switching_cost: 0.5, planning_weeks: 10,
        sources: {rationality: a test, switching_cost: a test, planning_weeks: a test}}
questions:
  - {id: a_step, event: {reached: {actor: A, rung: step}}, by_week: 1}
  - {id: crossed, event: {red_line_crossed: pl}, by_week: 1}
  - {id: enforced, event: {red_line_enforced: pl}, by_week: 1}
"""


def pledge_data(**line: object) -> dict:
    data = yaml.safe_load(PLEDGE)
    data["red_lines"][0].update(line)
    return data


def load(data: dict):
    return validate_data(data, file="pledge.yaml")


def first_state(data: dict, runs: int = 64):
    compiled = compile_scenario(load(data))
    streams = ChunkStreams(7, 0, runs, runs)
    return compiled, initial_state(compiled, streams.uniforms(len(compiled.slots.numbers)))


@pytest.mark.parametrize("engine", ["compiled", "numpy"])
def test_the_first_weeks_odds_of_breaking_a_pledge_shift_by_exp_minus_lambda_c(engine):
    """Closed form (logit choice, McKelvey & Palfrey 1995): no rung has an effect or a
    cost, so A's utilities in week 1 are U(hold) = 0 and U(step) = -k - C, and
    P(step) = 1 / (1 + exp(lambda (k + C))): 0.182 with the pledge (C = 1), 0.378
    without (C = 0); the odds P(step) / P(hold) shift by exp(-lambda C). Within 5
    binomial standard errors. The breach is the line's crossing, never an enforcement."""
    runs = 4000
    for cost in (1.0, 0.0):
        result = simulate(load(pledge_data(audience_cost=cost)), runs=runs, seed=5,
                          engine=engine)
        expected = 1.0 / (1.0 + math.exp(1.0 * (0.5 + cost)))
        moved = result.questions["a_step"].p
        assert abs(moved - expected) < 5 * math.sqrt(expected * (1 - expected) / runs)
        assert result.questions["crossed"].count == result.questions["a_step"].count
        assert result.questions["enforced"].count == 0
    odds = (1 / (1 + math.exp(1.5))) / (1 - 1 / (1 + math.exp(1.5)))
    assert odds == pytest.approx(math.exp(-0.5) * math.exp(-1.0))


def test_the_pledge_is_a_certain_cost_in_its_owners_risk_until_broken():
    """C [r >= declared] while the pledge stands, 0 after (exact); the other side's risk
    has no part of it (a line on its owner alone is enforced against no one)."""
    compiled, state = first_state(pledge_data(audience_cost={"uniform": [0.5, 2.0]}))
    a, b = compiled.actor_index["A"], compiled.actor_index["B"]
    cost = state.audience_cost[:, 0]
    assert ((cost >= 0.5) & (cost <= 2.0)).all()
    for rung, name in enumerate(compiled.rung_ids):
        rungs = np.full(state.runs, rung)
        expected = cost if rung >= compiled.rung_index["step"] else 0.0
        np.testing.assert_array_equal(red_line_risk(compiled, state, a, rungs),
                                      np.broadcast_to(expected, (state.runs,)), err_msg=name)
        assert (red_line_risk(compiled, state, b, rungs) == 0.0).all()
    state.pledge_broken[:, 0] = True
    assert (red_line_risk(compiled, state, a, np.full(state.runs, 2)) == 0.0).all()


def test_breaking_a_pledge_costs_its_owner_c_once_and_crosses_the_line():
    """The red-line step (reference): the week A reaches `step` it pays C (weekly cost),
    the line is crossed, never enforced, and A's posture is not raised to the response;
    a second week at `step` costs nothing more. Exact."""
    compiled, state = first_state(pledge_data(audience_cost=1.25))
    a = compiled.actor_index["A"]
    state.weekly_cost[:] = 0.0
    state.posture[:, a] = compiled.rung_index["step"]
    apply_red_lines(compiled, state, np.zeros((1, state.runs)))
    assert (state.weekly_cost[:, a] == 1.25).all()
    assert state.crossed[:, 0].all() and state.pledge_broken[:, 0].all()
    assert not state.enforced.any()
    assert (state.posture[:, a] == compiled.rung_index["step"]).all()
    apply_red_lines(compiled, state, np.zeros((1, state.runs)))
    assert (state.weekly_cost[:, a] == 1.25).all()


def test_without_audience_cost_the_pledge_costs_the_harm_of_its_response():
    _, state = first_state(pledge_data(audience_cost=None, response="strike"))
    assert (state.audience_cost[:, 0] == 0.7).all()


def test_a_pledge_broken_at_the_start_counts_as_broken_unless_tested_in_week_one():
    data = pledge_data()
    data["actors"]["A"]["initial_posture"] = "step"
    _, state = first_state(data)
    assert state.pledge_broken.all()
    _, state = first_state(pledge_data(tested_at_start=False) | {"actors": data["actors"]})
    assert not state.pledge_broken.any()


def test_a_line_on_owner_and_others_is_a_pledge_and_is_enforced_on_the_others_only():
    """applies_to [A, B]: B's crossing of `step` is tested (threshold 0: enforced) and
    answered with the response; A's own steps never are."""
    compiled, state = first_state(pledge_data(applies_to=["A", "B"], response="strike"))
    assert compiled.red_line_applies[0].tolist() == [False, True]
    a, b = compiled.actor_index["A"], compiled.actor_index["B"]
    state.posture[:, a] = compiled.rung_index["step"]
    apply_red_lines(compiled, state, np.zeros((1, state.runs)))
    assert state.pledge_broken.all() and not state.enforced.any()
    state.posture[:, b] = compiled.rung_index["step"]
    apply_red_lines(compiled, state, np.zeros((1, state.runs)))
    assert state.enforced.all()
    assert (state.posture[:, a] == compiled.rung_index["strike"]).all()


@settings(max_examples=15, deadline=None)
@given(low=st.floats(0.0, 3.0), extra=st.floats(0.01, 3.0), rationality=st.floats(0.1, 5.0))
def test_a_costlier_pledge_is_never_broken_in_more_runs(low, extra, rationality):
    """Monotone (common random numbers): in week 1 the owner moves up iff its uniform is
    at least P(hold), which grows with C; so the runs that break the costlier pledge
    are a subset of those that break the cheaper one."""
    broken = []
    for cost in (low, low + extra):
        data = pledge_data(audience_cost=cost)
        data["model"]["rationality"] = rationality
        result = simulate(load(data), runs=BLOCK_SIZE, seed=3, keep_runs=True, engine="numpy")
        question = list(result.questions).index("crossed")
        broken.append(result.per_run["event_week"][:, question] != NEVER)
    assert not (broken[1] & ~broken[0]).any()


# ------------------------------------------------------------ graded responses

GRADED = """
name: graded
start: 2024-01-01
horizon: 12
actors:
  A: {name: Alpha, nuclear: true}
  B: {name: Beta}
sides: {A: [A], B: [B]}
ladder:
  - {id: probe, severity: 1, effect: 0.02}
  - {id: raid, severity: 3, effect: 0.05, cost: 0.001, harm: 0.2}
  - {id: strike, severity: 5, effect: 0.08, cost: 0.002, harm: 0.5}
  - {id: bombing, severity: 7, effect: 0.1, cost: 0.004, harm: 1.0, users: [A]}
  - {id: nuke, severity: 10, harm: 5.0, users: [A], outcome: nuclear_use}
red_lines:
  - id: rl
    owner: A
    applies_to: [B]
    declared_at: probe
    threshold: {uniform: [0, 6]}
    response: raid
    follow_through: {beta: [3, 2]}
    responses:
      - {at: raid, response: strike, fallback: raid}
      - {at: strike, response: bombing}
model: {talks_hazard: 0.01}
questions:
  - {id: bombed, event: {reached: {actor: A, rung: bombing}}, by_week: 12}
  - {id: enforced, event: {red_line_enforced: rl}, by_week: 12}
"""


def graded_data() -> dict:
    return yaml.safe_load(GRADED)


def test_the_owner_answers_a_crossing_at_each_severity_by_the_schedule():
    """Threshold 0.5 (every test enforced); follow-through 1 gives the declared response,
    0 the fallback, of the entry with the highest `at` at or below the crossing (the
    line's own below the first entry; an entry without fallback: no answer). Exact."""
    expected = {"probe": ("raid", None), "raid": ("strike", "raid"),
                "strike": ("bombing", None)}
    for rho, pick in ((1.0, 0), (0.0, 1)):
        data = graded_data()
        data["red_lines"][0].update(threshold=0.5, follow_through=rho)
        compiled, state = first_state(data)
        a, b = compiled.actor_index["A"], compiled.actor_index["B"]
        for crossing, answers in expected.items():
            fresh = copy.deepcopy(state)
            fresh.posture[:, b] = compiled.rung_index[crossing]
            apply_red_lines(compiled, fresh, np.full((1, fresh.runs), 0.5))
            answer = answers[pick] or "none"
            assert (fresh.posture[:, a] == compiled.rung_index[answer]).all(), (rho, crossing)
            assert fresh.enforced.all()


def test_the_risk_of_a_rung_weighs_the_harm_of_its_scheduled_response():
    """H_l(r) = rho H(response(r)) + (1 - rho) H(fallback(r)), rho the mean follow-through
    (0.6): with a belief of 1 (threshold known to be 0.5) the risk of `raid` is
    0.6 x 0.5 + 0.4 x 0.2 and of `strike` 0.6 x 1.0. Tolerance 1e-12."""
    data = graded_data()
    data["red_lines"][0]["threshold"] = 0.5
    compiled, state = first_state(data)
    b = compiled.actor_index["B"]
    risk = {name: red_line_risk(compiled, state, b, np.full(state.runs, compiled.rung_index[name]))
            for name in ("probe", "raid", "strike")}
    np.testing.assert_allclose(risk["probe"], 0.6 * 0.2, atol=1e-12)
    np.testing.assert_allclose(risk["raid"], 0.6 * 0.5 + 0.4 * 0.2, atol=1e-12)
    np.testing.assert_allclose(risk["strike"], 0.6 * 1.0, atol=1e-12)


@settings(max_examples=25, deadline=None)
@given(harms=st.lists(st.floats(0.0, 10.0), min_size=4, max_size=4),
       tested=st.integers(0, 2))
def test_the_risk_is_monotone_where_the_schedules_harms_are(harms, tested):
    """Belief is a CDF in severity and the scheduled harm does not fall with it, so the
    risk of a rung does not fall with the rung (fallbacks equal to responses)."""
    data = graded_data()
    ladder = {rung["id"]: rung for rung in data["ladder"]}
    for name, harm in zip(("raid", "strike", "bombing", "nuke"), sorted(harms), strict=True):
        ladder[name]["harm"] = harm
    data["red_lines"][0]["responses"] = [{"at": "raid", "response": "strike"},
                                         {"at": "strike", "response": "bombing"},
                                         {"at": "bombing", "response": "nuke"}]
    data["red_lines"][0]["follow_through"] = 1
    compiled, state = first_state(data)
    state.tested[:] = tested
    b = compiled.actor_index["B"]
    risks = [red_line_risk(compiled, state, b, np.full(state.runs, rung))
             for rung in range(compiled.n_rungs)]
    for lower, higher in zip(risks[tested:], risks[tested + 1:], strict=False):
        assert (higher >= lower - 1e-12).all()


def test_a_schedule_of_the_lines_own_response_at_its_declared_rung_changes_nothing():
    """kursk-2024's nuclear red line with `responses: [{at: deep_strike, response:
    nuclear_use, fallback: strategic_conventional}]` (its own) gives the same runs."""
    text = redline.resolve("kursk-2024").read_text(encoding="utf-8")
    marker = "    fallback: strategic_conventional\n"
    assert text.count(marker) == 1
    scheduled = load_text(text.replace(marker, marker + (
        "    responses: [{at: deep_strike, response: nuclear_use, "
        "fallback: strategic_conventional}]\n")), "kursk.yaml")
    assert scheduled.red_lines[0].responses
    first = simulate(redline.load("kursk-2024"), runs=BLOCK_SIZE + 3, seed=9, keep_runs=True)
    second = simulate(scheduled, runs=BLOCK_SIZE + 3, seed=9, keep_runs=True)
    for name in ("outcome", "end_week", "event_week"):
        np.testing.assert_array_equal(first.per_run[name], second.per_run[name])


@pytest.mark.parametrize("text", [GRADED, PLEDGE.replace("horizon: 1", "horizon: 15")
                                  .replace("applies_to: [A]", "applies_to: [A, B]")])
def test_both_engines_agree_run_by_run(text):
    scenario = load_text(text, "both.yaml")
    assert_engines_agree(scenario, runs=2 * BLOCK_SIZE + 5, seed=3)


# ------------------------------------------------------------------ the language


def test_bad_schedules_and_audience_costs_are_reported_at_their_line():
    text = GRADED.replace("{at: strike, response: bombing}", "{at: probe, response: bombng}")
    text = text.replace("follow_through: {beta: [3, 2]}",
                        "follow_through: {beta: [3, 2]}\n    audience_cost: 1")
    with pytest.raises(ScenarioError) as error:
        load_text(text, "graded.yaml")
    messages = str(error.value)
    assert "unknown rung 'bombng'" in messages and "did you mean 'bombing'" in messages
    assert "not above the previous entry's 'raid'" in messages
    assert "only a self-limit has an audience cost" in messages
    lines = {issue.line for issue in error.value.issues}
    assert {i + 1 for i, line in enumerate(text.splitlines())
            if "bombng" in line or "audience_cost" in line} <= lines


@pytest.mark.parametrize("model", [RedLine, GradedResponse])
def test_the_documented_examples_load(model):
    """The YAML examples in the models' docstrings (the language reference shows them)."""
    doc = textwrap.dedent((model.__doc__ or "").split("::", 1)[1].split("\n\n", 2)[1])
    example = yaml.safe_load(doc)
    if model is RedLine:
        RedLine.model_validate(example[0])
    else:
        for entry in example["responses"]:
            GradedResponse.model_validate(entry)
