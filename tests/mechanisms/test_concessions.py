"""Trades in bargaining (redline.mechanisms.bargaining): a concession widens the acceptable range.

A ``concede`` action by side S worth v to the other side moves the range's
other end by v from the week its policy fires (Morgan 1990). Checked against
that closed form, both engines run by run, a monotone effect, and the language.
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
from redline.mechanisms import bargaining
from redline.report.describe import describe_policy
from redline.scenario.errors import ScenarioError
from redline.scenario.loader import load_text, validate_data
from tests.support.engines import assert_engines_agree

# Both leaders are optimistic (each adds 0.25 to its chance) and fighting is cheap: with
# trust 1 the range is [p + 0.25 - 0.05, p - 0.25 + 0.05], empty by 0.4 before any trade.
BASE = """
name: trade
start: 1962-10-16
horizon: 12
actors:
  A: {name: Alpha, capability: 1.0, war_cost: 0.1, optimism: 0.25}
  B: {name: Beta, capability: 1.0, war_cost: 0.1, optimism: 0.25}
  C: {name: Gamma, capability: 0.1}
sides: {A: [A], B: [B]}
ladder:
  - {id: alert, severity: 1, effect: 0.0}
commitments: []
model: {talks_hazard: 0.3, power_shift: 0.0, trust_prior: [1000, 1], rationality: 5,
        planning_weeks: 4, switching_cost: 1}
policies:
  - {id: jupiters, when: {week_at_least: 3}, then: [{concede: {by: A, value: 0.5}}]}
"""


def scenario_data(**changes: object) -> dict:
    data = yaml.safe_load(BASE)
    data.update(changes)
    return data


def settled_by_week(data: dict, engine: str = "numpy", seed: int = 4):
    result = simulate(validate_data(data, file="trade.yaml"), runs=BLOCK_SIZE, seed=seed,
                      keep_runs=True, engine=engine)
    return result.trajectories["ever_settled"][:, 0], result


def test_concessions_sum_by_conceding_side_once_their_policy_fired():
    data = scenario_data()
    data["policies"].append({"id": "b_pays", "when": {"week_at_least": 1},
                             "then": [{"concede": {"by": "B", "value": {"uniform": [0, 0.2]}}},
                                      {"concede": {"by": "B", "value": 0.1}}]})
    compiled = compile_scenario(validate_data(data, file="trade.yaml"))
    state = initial_state(compiled, ChunkStreams(3, 0, 32, 32).uniforms(
        len(compiled.slots.numbers)))
    fired = np.arange(state.runs) % 2 == 0
    state.policy_fired[:, compiled.policy_index["b_pays"]] = fired
    conceded = bargaining.concessions(compiled, state)
    np.testing.assert_array_equal(conceded[:, 0], 0.0)  # A's has not fired
    expected = np.where(fired, state.concession_value[:, 1] + 0.1, 0.0)
    np.testing.assert_allclose(conceded[:, 1], expected, rtol=0, atol=1e-15)
    assert ((state.concession_value[:, 1] >= 0.0) & (state.concession_value[:, 1] <= 0.2)).all()


def test_no_deal_before_the_trade_and_deals_at_the_talks_hazard_after_it():
    """Closed form: no run settles before week 3; from week 3 the range is open in every run
    (width 0.5 - 0.4 > 0), so the share still unsettled falls by (1 - 0.3) a week."""
    settled, _ = settled_by_week(scenario_data())
    np.testing.assert_array_equal(settled[:3], 0.0)
    weeks = np.arange(3, len(settled))
    expected = 1.0 - 0.7 ** (weeks - 2)
    standard_error = np.sqrt(expected * (1 - expected) / BLOCK_SIZE)
    assert (np.abs(settled[3:] - expected) <= 4 * standard_error + 1e-12).all()


def test_a_trade_moves_the_terms_towards_the_side_that_paid():
    """The deal is the midpoint of the clipped range [low, high + v]: its share to A rises with
    A's concession (a larger v buys A more of the issue)."""
    terms = []
    for value in (0.5, 0.7):
        data = scenario_data()
        data["policies"][0]["then"][0]["concede"]["value"] = value
        _, result = settled_by_week(data)
        terms.append(result.terms["mean"])
    assert terms[1] > terms[0]


def test_both_engines_agree_run_by_run_with_trades():
    data = scenario_data()
    data["policies"][0]["then"][0]["concede"]["value"] = {"uniform": [0.3, 0.6]}
    data["policies"].append({"id": "b_pays", "when": {"week_at_least": 5}, "probability": 0.5,
                             "then": [{"concede": {"by": "B", "value": 0.05}}]})
    scenario = validate_data(data, file="trade.yaml")
    runs = 2 * BLOCK_SIZE + 3
    assert_engines_agree(scenario, runs=runs, seed=9)


@settings(max_examples=8, deadline=None)
@given(value=st.floats(0.0, 0.6), extra=st.floats(0.01, 0.4))
def test_a_larger_concession_never_makes_a_deal_less_likely(value, extra):
    """Monotone, on common random numbers: the share settled by the horizon."""
    shares = []
    for worth in (value, value + extra):
        data = scenario_data()
        data["policies"][0]["then"][0]["concede"]["value"] = worth
        settled, _ = settled_by_week(data, seed=2)
        shares.append(settled[-1])
    assert shares[1] >= shares[0]


def test_a_concession_by_an_actor_on_no_side_is_reported_at_its_line():
    text = BASE.replace("concede: {by: A", "concede: {by: C")
    with pytest.raises(ScenarioError) as error:
        load_text(text, "trade.yaml")
    issue = error.value.issues[0]
    assert "'C' is on neither side" in issue.message
    assert "concede: {by: C" in text.splitlines()[issue.line - 1]


def test_the_trade_is_described_in_words():
    scenario = validate_data(scenario_data(), file="trade.yaml")
    assert "A concedes (worth 0.5 to the other side)" in describe_policy(scenario.policies[0])
