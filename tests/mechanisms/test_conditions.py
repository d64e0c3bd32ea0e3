"""Conditions with a memory (``held_for``, ``ever``), ``posture_is``, and questions' windows.

Checked against closed forms (an actor who picks between two rungs by a fair
coin each week: the chance of a run of N weeks on one rung by week b), rule
properties on random scenarios (``held_for`` one week is the condition itself,
``held_for`` N + 1 implies N, ``ever`` never turns false, a window is answered
no earlier than the whole question), both engines run by run, a policy and a
question that share a condition, and the language's checks.
"""

from __future__ import annotations

import copy

import numpy as np
import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from redline.arrays.scenario_arrays import compile_scenario, memory_count
from redline.arrays.state import NEVER, initial_state
from redline.engine.run import simulate, step
from redline.engine.seeding import BLOCK_SIZE, ChunkStreams
from redline.mechanisms.conditions import compile_conditions
from redline.mechanisms.mechanism import Week
from redline.mechanisms.programs import compile_programs
from redline.mechanisms.registry import StreamLayout
from redline.report.describe import describe_condition
from redline.scenario.errors import ScenarioError
from redline.scenario.loader import load_text, validate_data
from tests.support import strategies as ss

#: A coin: A's only rung is ``alert``; with rationality 0 it holds or moves with equal
#: chance, so each week from week 1 A is on ``alert`` with probability 1/2, independently.
COIN = """
name: coin
start: 2024-01-01
horizon: 12
actors:
  A: {name: Alpha}
  B: {name: Beta}
sides: {A: [A], B: [B]}
ladder:
  - {id: alert, severity: 1, users: [A]}
model: {rationality: 0, switching_cost: 0, planning_weeks: 1, talks_hazard: 0,
        collapse_share: 0}
questions:
  - {id: on_alert, event: {posture_is: {actor: A, rung: alert}}, by_week: 12}
  - {id: ever_on_alert, event: {ever: {posture_is: {actor: A, rung: alert}}}, by_week: 12}
  - {id: three_weeks, by_week: 12,
     event: {held_for: {weeks: 3, condition: {posture_is: {actor: A, rung: alert}}}}}
  - {id: three_weeks_late, by_week: 12, from_week: 6,
     event: {held_for: {weeks: 3, condition: {posture_is: {actor: A, rung: alert}}}}}
  - {id: late_alert, event: {posture_is: {actor: A, rung: alert}}, by_week: 9, from_week: 5}
"""


def coin_data() -> dict:
    return yaml.safe_load(COIN)


def streak_probability(weeks: int, first: int, last: int, p: float = 0.5) -> float:
    """P(some week t in [first, last] ends a run of at least ``weeks`` successes), trials
    in weeks 1 .. last, each a success with probability ``p`` (a Markov chain on the
    length of the current run, capped at ``weeks``)."""
    length = np.zeros(weeks + 1)
    length[0] = 1.0
    hit = 0.0
    for week in range(1, last + 1):
        grown = np.zeros(weeks + 1)
        grown[0] = (1 - p) * length.sum()
        grown[1:] += p * length[:-1]
        grown[weeks] += p * length[weeks]
        if week >= first:  # a run that reaches the length in the window is a hit: absorbed
            hit += grown[weeks]
            grown[weeks] = 0.0
        length = grown
    return hit


RUNS = 8 * BLOCK_SIZE


@pytest.fixture(scope="module")
def coin():
    return simulate(validate_data(coin_data(), file="coin.yaml"), runs=RUNS, seed=4,
                    keep_runs=True, engine="numpy")


@pytest.mark.parametrize(("question", "expected"), [
    ("on_alert", 1 - 0.5 ** 12),
    ("ever_on_alert", 1 - 0.5 ** 12),
    ("three_weeks", streak_probability(3, 1, 12)),
    ("three_weeks_late", streak_probability(3, 6, 12)),
    ("late_alert", 1 - 0.5 ** 5),
])
def test_the_coin_questions_match_their_closed_forms(coin, question, expected):
    """Closed forms of a fair weekly coin; tolerance: 4 binomial standard errors."""
    estimate = coin.questions[question]
    assert abs(estimate.p - expected) <= 4 * np.sqrt(expected * (1 - expected) / RUNS)


def test_the_coin_is_fair_and_independent(coin):
    """The premise of the closed forms: A on alert half the weeks, no run ends."""
    assert coin.outcomes["ongoing"].count == RUNS
    on_alert = coin.trajectories["posture"][1:, 0]  # mean severity of A: share on alert
    assert np.all(np.abs(on_alert - 0.5) < 4 * np.sqrt(0.25 / RUNS))


def test_streak_probability_closed_form_checks():
    """The Markov chain against direct counts: a run of 1 is any success; of b by week b
    needs all; a window of one week needs the last ``weeks`` trials."""
    assert streak_probability(1, 1, 5) == pytest.approx(1 - 0.5 ** 5)
    assert streak_probability(5, 1, 5) == pytest.approx(0.5 ** 5)
    assert streak_probability(3, 7, 7) == pytest.approx(0.5 ** 3)
    assert streak_probability(3, 1, 2) == 0.0


def test_a_window_records_the_first_week_in_it(coin):
    weeks = coin.per_run["event_week"]
    on_alert, late = weeks[:, 0], weeks[:, 4]
    in_window = late != NEVER
    assert np.all((late[in_window] >= 5) & (late[in_window] >= on_alert[in_window]))
    # ever: its first week is the condition's first week
    np.testing.assert_array_equal(weeks[:, 1], on_alert)


def test_both_engines_agree_run_by_run_on_the_coin():
    data = coin_data()
    data["policies"] = [{"id": "stand_down", "when": {"held_for": {"weeks": 2, "condition": {
        "posture_is": {"actor": "A", "rung": "alert"}}}}, "then": [{"offer_talks": {
            "hazard": 0.0}}]},
        {"id": "remember", "when": {"all": [{"ever": {"policy_fired": "stand_down"}},
                                            {"week_at_least": 4}]},
         "then": [{"offer_talks": {"hazard": 0.0}}], "probability": 0.5}]
    data["questions"] += [
        {"id": "stood_down", "event": {"policy_fired": "stand_down"}, "by_week": 12},
        {"id": "remembered", "event": {"policy_fired": "remember"}, "by_week": 12,
         "from_week": 7}]
    scenario = validate_data(data, file="coin.yaml")
    compiled = simulate(scenario, runs=3 * BLOCK_SIZE + 7, seed=9, keep_runs=True)
    reference = simulate(scenario, runs=3 * BLOCK_SIZE + 7, seed=9, keep_runs=True,
                         engine="numpy")
    for name in ("outcome", "end_week", "event_week"):
        np.testing.assert_array_equal(compiled.per_run[name], reference.per_run[name])
    assert 0 < compiled.questions["remembered"].count < compiled.runs
    # a policy sees at the start of a week what a question saw at the end of the one before
    events = reference.per_run["event_week"]
    held, fired = events[:, 2], events[:, 5]  # held_for 3 weeks; stand_down (2 weeks) fired
    streak_of_two = _first_streak(data["policies"], 2, reference.runs)
    going = streak_of_two < 12
    np.testing.assert_array_equal(fired[going], streak_of_two[going] + 1)
    assert np.all(held >= streak_of_two)


def _first_streak(policies: list[dict], weeks: int, runs: int) -> np.ndarray:
    """The first week ending a run of ``weeks`` on alert, from a second simulation with
    the question ``held_for`` weeks and the same policies (so the same runs: questions
    draw no random numbers)."""
    data = coin_data()
    data["questions"] = [{"id": "q", "by_week": 12, "event": {"held_for": {
        "weeks": weeks, "condition": {"posture_is": {"actor": "A", "rung": "alert"}}}}}]
    data["policies"] = copy.deepcopy(policies)
    again = simulate(validate_data(data, file="coin.yaml"), runs=runs, seed=9,
                     keep_runs=True, engine="numpy")
    return again.per_run["event_week"][:, 0]


# ------------------------------------------------ properties on random scenarios


def _memory_questions(condition: dict, horizon: int) -> list[dict]:
    """The condition, held_for 1, 2 and 3 weeks, and ever, as questions."""
    questions = [{"id": "plain", "event": condition, "by_week": horizon}]
    questions += [{"id": f"held_{n}", "by_week": horizon,
                   "event": {"held_for": {"weeks": n, "condition": condition}}}
                  for n in (1, 2, 3)]
    questions.append({"id": "ever", "event": {"ever": condition}, "by_week": horizon})
    return questions


@settings(max_examples=30, deadline=None,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(data=ss.scenario_dicts(), pick=st.data())
def test_memories_week_by_week_on_random_scenarios(data, pick):
    """Week by week in the reference engine: held_for 1 is the condition; held_for N + 1
    implies held_for N; ever never turns false and holds once the condition has."""
    parts = {"actors": list(data["actors"]), "rungs": [r["id"] for r in data["ladder"]]}
    condition = pick.draw(ss.conditions(parts, depth=1))
    data = {**data, "questions": _memory_questions(condition, data["horizon"]),
            "observations": []}
    compiled = compile_scenario(validate_data(data, file="generated.yaml"))
    layout = StreamLayout.of(compiled)
    streams = ChunkStreams(5, 0, 64, 64)
    state = initial_state(compiled, streams.uniforms(len(compiled.slots.numbers)))
    events = compile_conditions(compiled)[len(compiled.policy_ids):]
    week, seen = Week(compiled), np.zeros(state.runs, dtype=bool)
    ever_before = np.zeros(state.runs, dtype=bool)
    for number in range(data["horizon"] + 1):
        if number:
            state.week = number
            step(week, state, streams.uniforms(layout.size), layout)
        plain, held_1, held_2, held_3, ever = (event(state) for event in events)
        np.testing.assert_array_equal(held_1, plain)
        assert not (held_3 & ~held_2).any() and not (held_2 & ~held_1).any()
        seen |= plain
        np.testing.assert_array_equal(ever, seen)
        assert not (ever_before & ~ever).any()
        ever_before = ever


@settings(max_examples=15, deadline=None,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(data=ss.scenario_dicts(), opens=st.integers(0, 14))
def test_a_window_is_answered_no_more_often_than_the_whole_question(data, opens):
    """[a, b] <= [0, b], run by run, in both engines alike."""
    parts = {"actors": list(data["actors"]), "rungs": [r["id"] for r in data["ladder"]]}
    condition = {"posture_at_least": {"actor": parts["actors"][0], "rung": parts["rungs"][-1]}}
    horizon = data["horizon"]
    data = {**data, "questions": [
        {"id": "whole", "event": condition, "by_week": horizon},
        {"id": "window", "event": condition, "by_week": horizon,
         "from_week": min(opens, horizon)}]}
    scenario = validate_data(data, file="generated.yaml")
    results = [simulate(scenario, runs=100, seed=2, keep_runs=True, engine=engine)
               for engine in ("compiled", "numpy")]
    np.testing.assert_array_equal(results[0].per_run["event_week"],
                                  results[1].per_run["event_week"])
    whole, window = results[1].per_run["event_week"].T
    assert np.all(window >= whole)
    assert np.all((window == NEVER) | (window >= min(opens, horizon)))
    assert results[1].questions["window"].count <= results[1].questions["whole"].count


# ------------------------------------------------------------ the language


def test_each_use_has_its_own_memory_slot_in_both_forms():
    data = coin_data()
    held = {"held_for": {"weeks": 2, "condition": {"ever": {"posture_is": {
        "actor": "A", "rung": "alert"}}}}}
    data["policies"] = [{"id": "p", "when": held, "then": [{"offer_talks": {"hazard": 0.1}}]}]
    data["questions"].append({"id": "again", "event": held, "by_week": 5})
    compiled = compile_scenario(validate_data(data, file="coin.yaml"))
    from redline.scenario import models as m

    assert memory_count(m.Scenario.model_validate(data).policies[0].when) == 2
    assert compiled.n_condition_memories == 2 + 1 + 1 + 1 + 2  # p, ever, two held, again
    programs = compile_programs(compiled)
    slots = sorted(int(programs.arg[i, 1]) for i, op in enumerate(programs.op) if op in (21, 22))
    assert slots == list(range(compiled.n_condition_memories))


def test_memories_are_described_in_words():
    scenario = validate_data(coin_data(), file="coin.yaml")
    words = [describe_condition(question.event) for question in scenario.questions]
    assert words[0] == "A posture is alert"
    assert words[1] == "ever A posture is alert"
    assert words[2] == "A posture is alert for 3 weeks running"


def test_bad_memories_and_windows_are_reported_at_their_line():
    text = COIN.replace("rung: alert}}}}}\n  - {id: three_weeks_late", "rung: alrt}}}}}\n"
                        "  - {id: three_weeks_late").replace("by_week: 9, from_week: 5",
                                                             "by_week: 9, from_week: 10")
    text = text.replace("weeks: 3, condition: {posture_is: {actor: A, rung: alert}}}}}\n"
                        "  - {id: late_alert", "weeks: 0, condition: {posture_is: {actor: A, "
                        "rung: alert}}}}}\n  - {id: late_alert")
    with pytest.raises(ScenarioError) as caught:
        load_text(text, "coin.yaml")
    lines = text.splitlines()
    found = {(issue.line, issue.message.split(":")[0]) for issue in caught.value.issues}
    messages = " | ".join(issue.message for issue in caught.value.issues)
    assert "unknown rung 'alrt'; did you mean 'alert'?" in messages
    assert "the window opens at week 10, after the deadline (week 9)" in messages
    assert "weeks" in messages
    assert {line for line, _ in found} == {
        next(i for i, line in enumerate(lines, 1) if needle in line)
        for needle in ("alrt", "weeks: 0", "from_week: 10")}
