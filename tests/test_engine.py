"""Tests of redline.engine: determinism and seeding, ensemble invariants, degenerate
configurations with known answers, results and their Wilson intervals.

Degenerate configurations are analytic truths: each switches the model down to a
case whose answer follows from DESIGN section 2 by hand (stated in each test).
Monte Carlo comparisons use 5 binomial standard errors.
"""

from __future__ import annotations

import json
import math
import random
import textwrap

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from redline import load as redline_load
from redline.engine import run as run_module
from redline.engine.run import simulate
from redline.engine.seeding import BLOCK_SIZE, ChunkStreams, normalise_chunk_size
from redline.results import wilson_interval
from redline.scenario.errors import ScenarioError
from redline.scenario.loader import load_scenario, load_text, validate_data
from redline.scenario.models import OUTCOMES
from tests.support import strategies as ss
from tests.support.paths import MINI


@pytest.fixture(scope="module")
def mini():
    return load_scenario(MINI)


def as_json(result) -> str:
    return json.dumps(result.to_dict(), sort_keys=True)


def scenario(text: str):
    return load_text(textwrap.dedent(text), "test.yaml")


# -------------------------------------------------------------- determinism


def test_same_seed_same_result(mini):
    first = simulate(mini, runs=3000, seed=42)
    second = simulate(mini, runs=3000, seed=42)
    assert as_json(first) == as_json(second)
    for name, values in first.trajectories.items():
        np.testing.assert_array_equal(values, second.trajectories[name])


def test_result_independent_of_chunk_size(mini):
    """DESIGN 3: per-block streams make the result the same for any chunking."""
    results = [simulate(mini, runs=3000, seed=7, chunk_size=size) for size in (1024, 2048, None)]
    texts = {as_json(result) for result in results}
    assert len(texts) == 1
    assert [r.chunk_size for r in results] == [1024, 2048, 3072]
    for other in results[1:]:
        for name, values in results[0].trajectories.items():
            # sums are added chunk by chunk: equal up to summation order
            np.testing.assert_allclose(other.trajectories[name], values, rtol=1e-12, atol=1e-15)
        for qid, curve in results[0].question_weeks.items():
            np.testing.assert_array_equal(other.question_weeks[qid], curve)


def test_chunk_size_not_a_multiple_of_the_block(mini):
    """A chunk size is rounded up to whole blocks: 1500 behaves as 2048."""
    assert as_json(simulate(mini, runs=2500, seed=3, chunk_size=1500)) == as_json(
        simulate(mini, runs=2500, seed=3, chunk_size=2048))


def test_different_seeds_differ(mini):
    results = {as_json(simulate(mini, runs=3000, seed=seed)) for seed in (1, 2, 3)}
    assert len(results) == 3


def test_larger_ensemble_extends_a_smaller_one(mini):
    """Block 0's runs are the same whatever follows, so a 2048-run ensemble contains
    the 1024-run one: no outcome count can shrink."""
    small = simulate(mini, runs=BLOCK_SIZE, seed=5)
    large = simulate(mini, runs=2 * BLOCK_SIZE, seed=5)
    for name in OUTCOMES:
        assert large.outcomes[name].count >= small.outcomes[name].count


def test_seed_is_recorded(mini):
    result = simulate(mini, runs=100, seed=123456789)
    assert result.seed == 123456789
    assert result.to_dict()["seed"] == 123456789
    assert result.runs == 100


def test_chunk_streams_same_uniforms_for_any_chunking():
    """seeding.ChunkStreams: run r receives the same uniforms whatever chunk holds it."""
    total, seed = 3000, 99
    draws = [4, 1, 0, 7]
    whole = ChunkStreams(seed, 0, total, total)
    expected = [whole.uniforms(rows) for rows in draws]
    for chunk in (1024, 2048):
        pieces = [ChunkStreams(seed, first, min(chunk, total - first), total)
                  for first in range(0, total, chunk)]
        for rows, reference in zip(draws, expected, strict=True):
            got = np.concatenate([piece.uniforms(rows) for piece in pieces], axis=1)
            assert got.shape == (rows, total)
            np.testing.assert_array_equal(got, reference)
    assert np.all((expected[0] >= 0.0) & (expected[0] < 1.0))
    other = ChunkStreams(seed + 1, 0, total, total).uniforms(4)
    assert not np.array_equal(other, expected[0])


def test_chunk_streams_blocks_are_independent_streams():
    """Distinct blocks get distinct streams (not copies of one another)."""
    streams = ChunkStreams(0, 0, 2 * BLOCK_SIZE, 2 * BLOCK_SIZE).uniforms(3)
    assert not np.array_equal(streams[:, :BLOCK_SIZE], streams[:, BLOCK_SIZE:])


def test_chunk_streams_refuse_misaligned_start():
    with pytest.raises(ValueError, match="block boundary"):
        ChunkStreams(0, 100, 1024, 3000)


def test_chunk_streams_partial_block_has_its_width():
    try:
        uniforms = ChunkStreams(0, 0, 500, 3000).uniforms(2)
    except ValueError:
        return
    assert uniforms.shape == (2, 500)


@pytest.mark.parametrize(("size", "runs", "expected"), [
    (None, 100, 1024), (1, 100_000, 1024), (1024, 100_000, 1024), (1025, 100_000, 2048),
    (10**9, 3000, 3072), (None, 10**6, 32 * 1024)])
def test_normalise_chunk_size(size, runs, expected):
    assert normalise_chunk_size(size, runs) == expected


def test_no_global_random_state(monkeypatch, mini):
    """SPEC 7: no global numpy (or stdlib) random state anywhere in a simulation."""

    def refuse(*args, **kwargs):
        raise AssertionError("global random state used")

    class Refusing:
        def __getattr__(self, name):
            raise AssertionError(f"global RandomState used: {name}")

    for name in ("random", "rand", "randn", "randint", "random_sample", "sample", "seed",
                 "uniform", "normal", "choice", "shuffle", "permutation", "beta",
                 "triangular", "lognormal", "binomial", "get_state", "set_state"):
        monkeypatch.setattr(np.random, name, refuse)
    monkeypatch.setattr(np.random.mtrand, "_rand", Refusing())
    for name in ("random", "uniform", "seed", "choice", "randint", "gauss"):
        monkeypatch.setattr(random, name, refuse)
    result = simulate(mini, runs=1500, seed=1)
    assert result.outcomes["settlement"].runs == 1500


# ------------------------------------------------------- ensemble invariants


def test_outcomes_sum_to_one(mini):
    result = simulate(mini, runs=2500, seed=11)
    assert sum(est.count for est in result.outcomes.values()) == 2500
    assert sum(est.p for est in result.outcomes.values()) == pytest.approx(1.0, abs=1e-12)
    assert list(result.outcomes) == list(OUTCOMES)


def _check_result(result, runs, horizon):
    counts = [est.count for est in result.outcomes.values()]
    assert sum(counts) == runs
    assert math.fsum(est.p for est in result.outcomes.values()) == pytest.approx(1.0, abs=1e-12)
    for qid, est in result.questions.items():
        assert 0.0 <= est.p <= 1.0
        # 1e-12: see test_wilson_interval_contains_p_exactly (xfail) for the exact property
        assert est.lo - 1e-12 <= est.p <= est.hi + 1e-12
        curve = result.question_weeks[qid]
        assert curve.shape == (horizon + 1,)
        assert np.all(np.diff(curve) >= 0)
        assert 0.0 <= curve[0] and curve[-1] <= 1.0
    for name in ("military_collapse", "great_power_war", "nuclear_use", "regime_crisis"):
        curve = result.outcome_weeks[name]
        assert np.all(np.diff(curve) >= 0)
        assert curve[-1] == pytest.approx(result.outcomes[name].p, abs=1e-12)
    status = result.trajectories["status"]
    np.testing.assert_allclose(status.sum(axis=1), 1.0, atol=1e-12)


@settings(max_examples=25, deadline=None,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(ss.scenario_dicts(max_horizon=10), st.integers(0, 2**63 - 1), st.integers(1, 300))
def test_ensemble_invariants_on_generated_scenarios(data, seed, runs):
    """For any small valid scenario and seed: outcomes are exclusive and exhaustive,
    question probabilities lie in [0, 1] inside their interval, cumulative curves
    never decrease."""
    scenario_ = validate_data(data)
    result = simulate(scenario_, runs=runs, seed=seed)
    _check_result(result, runs, scenario_.horizon)


@settings(max_examples=8, deadline=None,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(ss.scenario_dicts(max_horizon=6), st.integers(0, 1000))
def test_chunking_invariance_on_generated_scenarios(data, seed):
    scenario_ = validate_data(data)
    runs = BLOCK_SIZE + 37
    one = simulate(scenario_, runs=runs, seed=seed, chunk_size=BLOCK_SIZE)
    two = simulate(scenario_, runs=runs, seed=seed)
    assert as_json(one) == as_json(two)


# ------------------------------------------------- degenerate configurations

SETTLE = """\
    name: settle
    start: 2024-01-01
    horizon: 6
    actors:
      A: {name: Alpha, capability: 1.0, war_cost: %(cost)s}
      B: {name: Beta, capability: 1.0, war_cost: %(cost)s}
    sides: {A: [A], B: [B]}
    ladder:
      - {id: talk, severity: 1}
    model: {talks_hazard: 1.0, break_hazard: 0.0, power_shift: 0.1}
    questions:
      - {id: deal, event: {settled: true}, by_week: 1}
"""


def test_wide_bargaining_range_settles_in_week_one():
    """No red lines, no fronts, talks hazard 1 and a non-empty range: every run settles
    in week 1 and the deal holds (break hazard 0). Range by hand (DESIGN 2.6): p = 0.5,
    perceived c = 0.6 (1 - 0.5) = 0.3, trust 1/2 with no history (Beta(1, 1)), premium
    0.1 (1 - 1/2) / (1/2) = 0.1: [0.3, 0.7]."""
    result = simulate(scenario(SETTLE % {"cost": 0.6}), runs=1500, seed=4)
    assert result.outcomes["settlement"].count == 1500
    assert result.outcomes["settlement"].p == 1.0
    assert result.questions["deal"].p == 1.0
    np.testing.assert_array_equal(result.question_weeks["deal"], [0, 1, 1, 1, 1, 1, 1])
    np.testing.assert_array_equal(result.outcome_weeks["settlement"], [0, 1, 1, 1, 1, 1, 1])


def test_commitment_problem_prevents_any_deal():
    """Same crisis with no cost of war: range [0.5 + 0.1, 0.5 - 0.1] is empty (Powell
    2006), so no run ever settles and every run is ongoing at the horizon."""
    result = simulate(scenario(SETTLE % {"cost": 0.0}), runs=1500, seed=4)
    assert result.outcomes["ongoing"].p == 1.0
    assert result.questions["deal"].p == 0.0


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


RED_LINE = """\
    name: redline
    start: 2024-01-01
    horizon: 10
    actors:
      A: {name: Alpha}
      B: {name: Beta}
    sides: {A: [A], B: [B]}
    ladder:
      - {id: probe, severity: 2}
      - {id: strike, severity: 5, users: [B]}
      - {id: nuke, severity: 10, users: [A], needs_permission_from: [B], outcome: nuclear_use}
    red_lines:
      - {id: rl, owner: A, applies_to: [B], declared_at: strike, threshold: 4,
         response: nuke, follow_through: %(rho)s}
    model: {talks_hazard: 0.0, rationality: 0.0}
    questions:
      - {id: b_strike, event: {reached: {actor: B, rung: strike}}, by_week: 10}
      - {id: enforced, event: {red_line_enforced: rl}, by_week: 10}
      - {id: crossed, event: {red_line_crossed: rl}, by_week: 10}
"""


def test_certain_enforcement_of_a_known_red_line():
    """Threshold 4 (constant) below `strike` (5), above `probe` (2), follow-through 1,
    response terminal: every crossing is answered by nuclear use in the same week
    (DESIGN 2.3), and nothing else ends a run (A cannot choose `nuke`: it needs B's
    permission). So P(nuclear_use by w) = P(B reached strike by w), exactly."""
    result = simulate(scenario(RED_LINE % {"rho": 1}), runs=2000, seed=21)
    nuclear = result.outcomes["nuclear_use"]
    crossing = result.questions["b_strike"]
    assert 0.3 < crossing.p < 1.0
    assert nuclear.count == crossing.count
    assert result.ladder_reached["B"]["strike"].count == crossing.count
    assert result.questions["enforced"].count == crossing.count
    assert result.questions["crossed"].count == crossing.count
    np.testing.assert_array_equal(result.outcome_weeks["nuclear_use"],
                                  result.question_weeks["b_strike"])
    assert result.outcomes["ongoing"].count == 2000 - crossing.count


def test_enforcement_without_follow_through_is_not_nuclear():
    """Same line with follow-through 0 and no fallback: enforced but never nuclear."""
    result = simulate(scenario(RED_LINE % {"rho": 0}), runs=2000, seed=21)
    assert result.outcomes["nuclear_use"].count == 0
    assert result.questions["enforced"].count == result.questions["b_strike"].count > 0


def test_follow_through_probability_is_respected():
    """follow_through 0.3: P(nuclear | enforced) = 0.3 within 5 binomial standard errors."""
    result = simulate(scenario(RED_LINE % {"rho": 0.3}), runs=4000, seed=2)
    enforced = result.questions["enforced"].count
    rate = result.outcomes["nuclear_use"].count / enforced
    assert abs(rate - 0.3) < 5 * math.sqrt(0.3 * 0.7 / enforced)


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


TERMINAL = """\
    name: terminal
    start: 2024-01-01
    horizon: 4
    actors:
      A: {name: Alpha, capability: 1.0, stability: %(stability)s, stability_floor: 0.1}
      B: {name: Beta, capability: %(weak)s}
    sides: {A: [A], B: [B]}
    ladder:
      - {id: fight, severity: 1}
    model: {talks_hazard: 0.0, decisiveness: 1.0}
    questions:
      - {id: a_falls, event: {regime_crisis: A}, by_week: 4}
      - {id: b_falls, event: {regime_crisis: B}, by_week: 4}
"""


def test_overwhelming_power_is_military_collapse_in_week_one():
    """Contest success 1 / 1.01 = 0.990 > 1 - collapse_share (0.95): side B collapses
    in week 1 in every run (DESIGN 2.5 and 2.8)."""
    result = simulate(scenario(TERMINAL % {"stability": 1.0, "weak": 0.01}), runs=1100, seed=1)
    assert result.outcomes["military_collapse"].p == 1.0
    np.testing.assert_array_equal(result.outcome_weeks["military_collapse"], [0, 1, 1, 1, 1])


def test_regime_below_its_floor_falls_in_week_one_and_takes_precedence():
    """Stability 0.05 below its floor 0.1: regime crisis of A in week 1, which takes
    precedence over the simultaneous military collapse (termination's documented order)."""
    result = simulate(scenario(TERMINAL % {"stability": 0.05, "weak": 0.01}), runs=1100, seed=1)
    assert result.outcomes["regime_crisis"].p == 1.0
    assert result.outcomes["military_collapse"].p == 0.0
    assert result.questions["a_falls"].p == 1.0
    assert result.questions["b_falls"].p == 0.0
    balanced = simulate(scenario(TERMINAL % {"stability": 1.0, "weak": 1.0}), runs=1100, seed=1)
    assert balanced.outcomes["ongoing"].p == 1.0


def test_settlement_curve_is_cumulative_as_documented():
    text = SETTLE.replace("break_hazard: 0.0", "break_hazard: 1.0") % {"cost": 0.6}
    result = simulate(scenario(text), runs=1500, seed=4)
    assert np.all(np.diff(result.outcome_weeks["settlement"]) >= 0)


def test_degenerate_uniform_is_refused_in_a_scenario():
    """A zero-width uniform would give NaN beliefs: the loader refuses it, with advice."""
    text = MINI.read_text().replace("follow_through: 0.2", "follow_through: {uniform: [0.2, 0.2]}")
    with pytest.raises(ScenarioError, match="write a constant as a number"):
        load_text(text)


# ------------------------------------------------------------------ results


def test_to_frame(mini):
    result = simulate(mini, runs=200, seed=1)
    frame = result.to_frame()
    assert list(frame.columns) == ["week", "date", "variable", "entity", "mean"]
    weeks = sorted(frame["week"].unique())
    assert weeks == list(range(mini.horizon + 1))
    first = frame[frame["week"] == 1]["date"].iloc[0]
    assert first.date().isoformat() == "2024-01-08"
    assert set(frame["variable"]) >= {"posture", "control", "question", "stability"}
    questions = frame[frame["variable"] == "question"]
    assert set(questions["entity"]) == {"strike_used", "nuclear"}
    curve = questions[questions["entity"] == "nuclear"].sort_values("week")["mean"].to_numpy()
    np.testing.assert_array_equal(curve, result.question_weeks["nuclear"])


def test_wilson_interval_textbook_values():
    """Wilson (1927) score interval, 95%; values from Newcombe (1998), 'Two-sided
    confidence intervals for the single proportion', Stat. Med. 17, Table II (method 3),
    and the standard 50/100 example. Tolerance 5e-5 (4-decimal tables)."""
    for count, runs, expected in [(50, 100, (0.4038, 0.5962)), (81, 263, (0.2553, 0.3662)),
                                  (15, 148, (0.0624, 0.1605)), (0, 20, (0.0, 0.1611)),
                                  (1, 29, (0.0061, 0.1718))]:
        assert wilson_interval(count, runs) == pytest.approx(expected, abs=5e-5)


@settings(max_examples=200, deadline=None)
@given(st.integers(1, 10**7), st.floats(0.0, 1.0))
def test_wilson_interval_is_the_score_test_inversion(runs, share):
    """The interval's interior endpoints solve (p_hat - p)^2 = z^2 p (1 - p) / n (Wilson
    1927); it lies in [0, 1] and contains p_hat up to rounding (1e-12)."""
    count = round(share * runs)
    lo, hi = wilson_interval(count, runs)
    p_hat = count / runs
    assert 0.0 <= lo <= hi <= 1.0
    assert lo - 1e-12 <= p_hat <= hi + 1e-12
    z = 1.959963984540054
    for end in (lo, hi):
        if 1e-9 < end < 1 - 1e-9:
            assert (p_hat - end) ** 2 == pytest.approx(z * z * end * (1 - end) / runs,
                                                       rel=1e-6, abs=1e-15)


@pytest.mark.parametrize("runs", [3, 7, 10, 100, 2000])
def test_wilson_interval_contains_p_exactly(runs):
    assert wilson_interval(0, runs)[0] == 0.0
    assert wilson_interval(runs, runs)[1] == 1.0


# ------------------------------------------------------------ arguments


@pytest.mark.parametrize("kwargs", [{"runs": 0}, {"runs": -5}, {"seed": -1},
                                    {"horizon": 0}, {"horizon": 2000}, {"chunk_size": 0},
                                    {"seed": 2**63}])
def test_simulate_rejects_bad_arguments_before_work(kwargs, mini, monkeypatch):
    def no_work(*args, **kw):
        raise AssertionError("work started before the arguments were checked")

    monkeypatch.setattr(run_module, "compile_scenario", no_work)
    with pytest.raises(ValueError):
        simulate(mini, **{"runs": 10, **kwargs})


def test_trajectories_and_terms_identical_for_any_chunk_size():
    """Floating sums too: per-block sums added in block order do not depend on chunking."""
    kursk = redline_load("kursk-2024")
    small = simulate(kursk, runs=3 * BLOCK_SIZE - 5, seed=11, chunk_size=BLOCK_SIZE)
    large = simulate(kursk, runs=3 * BLOCK_SIZE - 5, seed=11, chunk_size=4 * BLOCK_SIZE)
    assert small.to_frame().equals(large.to_frame())
    assert small.terms == large.terms


NEGOTIATION = """\
name: negotiated
start: 2024-01-01
horizon: 1
actors:
  A: {name: A, capability: 1.0, war_cost: 0.3, resolve: 0.0, position: 0.9, salience: 0.9}
  B: {name: B, capability: 1.0, war_cost: 0.3, resolve: 0.0, position: 0.2, salience: 0.8}
  C: {name: C, capability: 0.5, position: 0.6, salience: 0.5}
sides: {A: [A, C], B: [B]}
ladder:
  - {id: war, severity: 1, users: []}
model: {talks_hazard: 1.0, break_hazard: 0.0, power_shift: 0.0, collapse_share: 0.0,
        decisiveness: 1.0, negotiation_terms: %(terms)s}
"""


def test_negotiated_terms_are_the_expected_utility_forecast_clipped_to_the_range():
    """Bueno de Mesquita's forecast sets the terms of a deal, inside Fearon's range."""
    from redline.games.negotiation_terms import settlement_terms

    forecast = settlement_terms({"A": 0.9, "B": 0.2, "C": 0.6},
                                capability={"A": 1.0, "B": 1.0, "C": 0.5},
                                salience={"A": 0.9, "B": 0.8, "C": 0.5})
    p = 1.5 / 2.5  # side A: A + C (support 1) against B
    low, high = p - 0.3, p + 0.3
    negotiated = simulate(scenario(NEGOTIATION % {"terms": "expected_utility"}), runs=1024, seed=1)
    midpoint = simulate(scenario(NEGOTIATION % {"terms": "midpoint"}), runs=1024, seed=1)
    assert negotiated.terms["mean"] == pytest.approx(min(max(forecast, low), high), abs=1e-12)
    assert midpoint.terms["mean"] == pytest.approx((low + high) / 2, abs=1e-12)


def test_expected_utility_terms_need_positions():
    text = NEGOTIATION.replace(", position: 0.2, salience: 0.8", "").replace(
        ", position: 0.6, salience: 0.5", "") % {"terms": "expected_utility"}
    with pytest.raises(ScenarioError, match="fewer than two actors have a `position`"):
        load_text(text)


def test_per_run_records_agree_with_the_aggregates(mini):
    result = simulate(mini, runs=1500, seed=3, keep_runs=True)
    counts = np.bincount(result.per_run["outcome"], minlength=len(OUTCOMES))
    assert [result.outcomes[name].count for name in OUTCOMES] == counts.tolist()
    first = result.per_run["event_week"][:, 0]
    by_week = mini.questions[0].by_week
    assert result.questions[mini.questions[0].id].count == int(np.sum(first <= by_week))


def test_parameter_uniforms_replace_the_parameter_draws(mini):
    """Designed experiments: each run's parameters come from the given uniforms."""
    from redline.arrays.scenario_arrays import compile_scenario

    slots = compile_scenario(mini).slots
    runs = 1024
    low = np.full((runs, len(slots.numbers)), 1e-9)
    high = np.full((runs, len(slots.numbers)), 1 - 1e-9)
    a = simulate(mini, runs=runs, seed=1, parameter_uniforms=low)
    b = simulate(mini, runs=runs, seed=1, parameter_uniforms=high)
    assert a.to_dict() != b.to_dict()
    assert simulate(mini, runs=runs, seed=1, parameter_uniforms=low).to_dict() == a.to_dict()
    with pytest.raises(ValueError, match="shape"):
        simulate(mini, runs=runs, seed=1, parameter_uniforms=low[:, :3])
