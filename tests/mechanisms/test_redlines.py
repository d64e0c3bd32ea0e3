"""Tests of redline.mechanisms.redlines: the enforcement belief and the response to a crossing.

Oracle tests cite their source in the docstring and state their tolerance;
analytic truths are kept apart from property-based invariants.

Degenerate configurations are analytic truths: each switches the model down to a
case whose answer follows from DESIGN section 2 by hand (stated in each test),
and runs it through :func:`redline.simulate`. Monte Carlo comparisons use 5
binomial standard errors.
"""

from __future__ import annotations

import itertools
import math

import numpy as np
import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st
from scipy import stats

from redline.engine.run import simulate
from redline.mechanisms.redlines import enforcement_belief
from tests.support.scenarios import scenario

# --------------------------------------------------------------- red lines

SEVERITIES = np.array([1.0, 2.0, 3.5, 5.0, 7.0, 9.0])
EXTENDED = np.concatenate([[-np.inf], SEVERITIES, [np.inf]])
TRIANGULAR_PRIOR = stats.triang(c=(5 - 2) / (10 - 2), loc=2.0, scale=8.0)  # triangular(2, 5, 10)
PRIOR_CDF = np.where(np.isneginf(EXTENDED), 0.0,
                     np.where(np.isposinf(EXTENDED), 1.0, TRIANGULAR_PRIOR.cdf(EXTENDED)))
E = len(EXTENDED)


def belief(low: int, high: int, tested: int, level: int) -> float:
    return float(enforcement_belief(PRIOR_CDF, np.array([low]), np.array([high]),
                                    np.array([tested]), level)[0])


@pytest.mark.parametrize("low", range(0, E - 1))
def test_enforcement_belief_is_truncated_prior_cdf(low):
    """Schelling (1966) threshold uncertainty, as formalised in redline's DESIGN 2.3:
    P(T <= s | L < T <= U) = (F(min(s, U)) - F(L)) / (F(U) - F(L)) for a triangular(2, 5, 10)
    prior, computed here directly with scipy for every L < s < U of a 6-rung table.
    Tolerance 1e-12."""
    for high in range(low + 1, E):
        f_low = TRIANGULAR_PRIOR.cdf(EXTENDED[low]) if low > 0 else 0.0
        f_high = TRIANGULAR_PRIOR.cdf(EXTENDED[high]) if high < E - 1 else 1.0
        if f_high - f_low <= 1e-12:
            continue
        for level in range(low + 1, high):
            expected = (TRIANGULAR_PRIOR.cdf(min(EXTENDED[level], EXTENDED[high])) - f_low) / (
                f_high - f_low)
            assert belief(low, high, low, level) == pytest.approx(expected, abs=1e-12), (
                low, high, level)


def test_enforcement_belief_bounds():
    """DESIGN 2.3: the belief is 0 at or below L, 1 at or above U, and 0 at or below
    the highest severity already tested (no new test, no risk). Exact."""
    low, high = 2, 6
    for level in range(0, low + 1):
        assert belief(low, high, low, level) == 0.0
    for level in range(high, E):
        assert belief(low, high, low, level) == 1.0
    for level in range(0, 5):
        assert belief(0, E - 1, 4, level) == 0.0
    assert belief(0, E - 1, 4, 5) > 0.0


@settings(max_examples=100, deadline=None)
@given(st.integers(0, E - 2), st.integers(1, E - 1), st.integers(0, E - 1))
def test_enforcement_belief_monotone_in_severity(low, high, tested):
    """The belief is a CDF in s: non-decreasing, in [0, 1]. Exact comparisons."""
    assume(low < high)
    tested = max(tested, low)
    values = [belief(low, high, tested, level) for level in range(E)]
    assert all(0.0 <= v <= 1.0 for v in values)
    assert all(b >= a for a, b in itertools.pairwise(values))


def test_enforcement_belief_vectorised_over_runs():
    """One call for N runs equals N scalar calls (exact)."""
    lows = np.array([0, 1, 2, 3])
    highs = np.array([7, 6, 5, 7])
    tested = np.array([0, 2, 2, 3])
    levels = np.array([4, 4, 4, 5])
    vector = enforcement_belief(PRIOR_CDF, lows, highs, tested, levels)
    scalar = [belief(lo, hi, t, lv) for lo, hi, t, lv in zip(lows, highs, tested, levels,
                                                              strict=True)]
    np.testing.assert_array_equal(vector, scalar)


# ------------------------------------------------- degenerate configurations

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


@pytest.mark.parametrize("engine", ["compiled", "numpy"])
def test_a_crossing_at_the_start_is_answered_in_week_one_unless_counted_as_tested(engine):
    """B starts on `strike`, above the constant threshold 4 (issue 20). With
    `tested_at_start: false` the start is tested in week 1: every run is enforced
    then, with nuclear use (follow-through 1). By default the start counts as
    tested and tolerated, and nothing B can do goes higher: no run is enforced. B's
    inertia (switching cost 100 at rationality 50) keeps it on `strike`: the test sees
    the postures of week 1, after its decisions."""
    text = RED_LINE % {"rho": 1}
    text = text.replace("B: {name: Beta}", "B: {name: Beta, initial_posture: strike}")
    text = text.replace("rationality: 0.0}", "rationality: 50, switching_cost: 100,\n"
                        "            sources: {rationality: a test, switching_cost: a test}}")
    untested = text.replace("follow_through: 1}", "follow_through: 1, tested_at_start: false}")
    result = simulate(scenario(untested), runs=500, seed=4, engine=engine)
    assert result.outcomes["nuclear_use"].count == 500
    assert result.outcome_weeks["nuclear_use"][:2].tolist() == [0.0, 1.0]  # all in week 1
    result = simulate(scenario(text), runs=500, seed=4, engine=engine)
    assert result.questions["enforced"].count == 0
    assert result.outcomes["nuclear_use"].count == 0


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
