"""Tests of redline.mechanisms.policies: conditional policies and deployments.

Policies fire when their condition first holds, with their probability and
delay; a deployment reaches combat after its delay, if it exists, and joins
its side's force as a strength-weighted mix.

Degenerate configurations are analytic truths: each switches the model down to a
case whose answer follows from DESIGN section 2 by hand (stated in each test),
and runs it through :func:`redline.simulate`. Monte Carlo comparisons use 5
binomial standard errors.
"""

from __future__ import annotations

import math

import numpy as np
import pytest

from redline.arrays.scenario_arrays import compile_scenario
from redline.arrays.state import initial_state
from redline.engine.run import simulate
from redline.engine.seeding import ChunkStreams
from redline.mechanisms import policies
from redline.scenario.loader import load_text
from tests.support.scenarios import scenario

# ------------------------------------------------- degenerate configurations

POLICY = """\
    name: policy
    start: 2024-01-01
    horizon: 10
    actors:
      A: {name: Alpha}
      B: {name: Beta}
    sides: {A: [A], B: [B]}
    ladder:
      - {id: low, severity: 1}
      - {id: up, severity: 2}
    model: {talks_hazard: 0.0, rationality: 0.0}
    policies:
      - {id: never, when: {week_at_least: 1}, then: [{offer_talks: {hazard: 0.5}}],
         probability: 0}
      - {id: week3, when: {week_at_least: 3}, then: [{offer_talks: {hazard: 0.0}}],
         probability: 1, delay_weeks: 0}
      - {id: follow, when: {reached: {actor: B, rung: up}}, then: [{offer_talks: {hazard: 0}}],
         probability: 1, delay_weeks: %(delay)s}
    questions:
      - {id: never_fired, event: {policy_fired: never}, by_week: 10}
      - {id: week3_fired, event: {policy_fired: week3}, by_week: 10}
      - {id: follow_fired, event: {policy_fired: follow}, by_week: 10}
      - {id: b_up, event: {reached: {actor: B, rung: up}}, by_week: 10}
"""


def test_policy_with_probability_zero_never_fires():
    result = simulate(scenario(POLICY % {"delay": 0}), runs=1200, seed=8)
    assert result.questions["never_fired"].count == 0
    assert np.all(result.question_weeks["never_fired"] == 0.0)


def test_certain_policy_fires_when_its_condition_first_holds():
    """probability 1, delay 0, when week_at_least 3: fired in week 3 in every run."""
    result = simulate(scenario(POLICY % {"delay": 0}), runs=1200, seed=8)
    np.testing.assert_array_equal(result.question_weeks["week3_fired"],
                                  [0, 0, 0, 1, 1, 1, 1, 1, 1, 1, 1])


@pytest.mark.parametrize("delay", [0, 2])
def test_state_triggered_policy_fires_one_step_after_the_event(delay):
    """Policies act first in a week (DESIGN 2, step 1), so a condition created by
    this week's decisions is seen next week: P(fired by w) = P(B reached `up` by
    w - 1 - delay), exactly (no run can end in this scenario)."""
    result = simulate(scenario(POLICY % {"delay": delay}), runs=1200, seed=8)
    reached = result.question_weeks["b_up"]
    fired = result.question_weeks["follow_fired"]
    lag = 1 + delay
    assert 0.5 < reached[-1] < 1.0  # rationality 0: B moves at random
    np.testing.assert_array_equal(fired[lag:], reached[:-lag])
    assert np.all(fired[:lag] == 0.0)


DEPLOYMENT = """\
    name: deploy
    start: 2024-01-01
    horizon: 8
    actors:
      A: {name: Alpha}
      B: {name: Beta}
      C: {name: Gamma, capability: 0.2}
    sides: {A: [A], B: [B, C]}
    ladder:
      - {id: fight, severity: 1}
    fronts:
      main: {attacker: A, defender: B, forces: {A: 1000, B: 1000},
             attrition: {A: 0.01, B: 0.01}}
    deployments:
      - {id: dep, actor: C, front: main, side: B, strength: %(strength)s, exists: %(exists)s,
         combat_delay_weeks: 2}
    model: {talks_hazard: 0.0}
    questions:
      - {id: combat, event: {deployment_in_combat: dep}, by_week: 8}
"""


def test_deployment_that_does_not_exist_never_reaches_combat():
    result = simulate(scenario(DEPLOYMENT % {"exists": 0, "strength": 500}), runs=1500, seed=6)
    assert result.questions["combat"].count == 0
    # and it changes nothing: same runs as a deployment of strength 0 (common random numbers)
    empty = simulate(scenario(DEPLOYMENT % {"exists": 1, "strength": 0}), runs=1500, seed=6)
    np.testing.assert_array_equal(result.trajectories["control"], empty.trajectories["control"])


def test_certain_deployment_reaches_combat_after_its_delay():
    result = simulate(scenario(DEPLOYMENT % {"exists": 1, "strength": 500}), runs=1500, seed=6)
    np.testing.assert_array_equal(result.question_weeks["combat"], [0, 0, 1, 1, 1, 1, 1, 1, 1])


def test_deployment_existence_probability():
    """exists 0.3: P(in combat) = 0.3 within 5 binomial standard errors (n = 4000)."""
    result = simulate(scenario(DEPLOYMENT % {"exists": 0.3, "strength": 500}), runs=4000,
                      seed=6)
    assert abs(result.questions["combat"].p - 0.3) < 5 * math.sqrt(0.3 * 0.7 / 4000)


# ------------------------------------------------- deployments joining a front

DEPLOYMENT_MIX = """\
name: mix
start: 2024-01-01
horizon: 4
actors:
  A: {name: Alpha}
  B: {name: Beta}
  K: {name: Korea}
sides: {A: [A], B: [B, K]}
ladder:
  - {id: war, severity: 2}
fronts:
  main:
    attacker: A
    defender: B
    forces: {A: 1000, B: 300}
    attrition: {A: 0.01, B: 0.02, K: ATTRITION_K}
deployments:
  - {id: troops, actor: K, front: main, side: B, strength: 100, combat_delay_weeks: 1}
"""


@pytest.mark.parametrize(("rate_k", "expected_rate"), [
    (0.0, (0.02 * 300 + 0.0 * 100) / 400),
    (0.02, 0.02),
    (0.06, (0.02 * 300 + 0.06 * 100) / 400),
])
def test_a_deployment_joins_as_a_strength_weighted_mix(rate_k, expected_rate):
    """On arrival the side's coefficient is the strength-weighted mean of the force there
    and the deployment's own rate; the deployment's actor takes its share of the losses."""
    mix = load_text(DEPLOYMENT_MIX.replace("ATTRITION_K", str(rate_k)), "mix.yaml")
    compiled = compile_scenario(mix)
    streams = ChunkStreams(0, 0, 8, 8)
    state = initial_state(compiled, streams.parameters(np.arange(len(compiled.slots.numbers))))
    program = policies.PolicyProgram(compiled)
    state.week = 1
    arrivals = program.reach_combat(state)
    np.testing.assert_allclose(arrivals[:, 0, 1], 100.0)
    np.testing.assert_allclose(state.attrition[:, 0, 1], expected_rate, rtol=1e-12)
    korea, beta = compiled.actor_index["K"], compiled.actor_index["B"]
    np.testing.assert_allclose(state.loss_share[:, 0, 1, korea], 0.25, rtol=1e-12)
    np.testing.assert_allclose(state.loss_share[:, 0, 1, beta], 0.75, rtol=1e-12)
    np.testing.assert_allclose(state.loss_share[:, 0, 1].sum(axis=1), 1.0, rtol=1e-12)


def test_a_deployment_without_its_own_rate_keeps_the_sides():
    text = DEPLOYMENT_MIX.replace(", K: ATTRITION_K", "")
    compiled = compile_scenario(load_text(text, "mix.yaml"))
    assert compiled.deployment_attrition_slot.tolist() == [-1]
    streams = ChunkStreams(0, 0, 4, 4)
    state = initial_state(compiled, streams.parameters(np.arange(len(compiled.slots.numbers))))
    state.week = 1
    policies.PolicyProgram(compiled).reach_combat(state)
    np.testing.assert_allclose(state.attrition[:, 0, 1], 0.02, rtol=1e-12)
    np.testing.assert_allclose(state.loss_share[:, 0, 1, compiled.actor_index["K"]], 0.25)
