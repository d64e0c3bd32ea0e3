"""Tests of redline.mechanisms.bargaining: Fearon's range, the commitment problem, the terms.

Oracle tests cite their source in the docstring and state their tolerance;
analytic truths are kept apart from property-based invariants.

Degenerate configurations are analytic truths: each switches the model down to a
case whose answer follows from DESIGN section 2 by hand (stated in each test),
and runs it through :func:`redline.simulate`. Monte Carlo comparisons use 5
binomial standard errors.
"""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from redline.engine.run import simulate
from redline.mechanisms.bargaining import acceptable_range, bargaining_range
from redline.scenario.errors import ScenarioError
from redline.scenario.loader import load_text
from tests.support.scenarios import scenario

unit = st.floats(0.0, 1.0, allow_nan=False)
costs = st.floats(0.0, 0.5, allow_nan=False)


# ------------------------------------------------------------- bargaining


def test_fearon_bargaining_range_worked_example():
    """Fearon (1995), 'Rationalist explanations for war', IO 49(3), p. 388: with
    p = 0.6, c_A = 0.1, c_B = 0.15 the range is [p - c_A, p + c_B] = [0.5, 0.75].
    Tolerance 1e-12 (two float subtractions)."""
    low, high = bargaining_range(0.6, 0.1, 0.15)
    assert float(low) == pytest.approx(0.5, abs=1e-12)
    assert float(high) == pytest.approx(0.75, abs=1e-12)


@settings(max_examples=100, deadline=None)
@given(unit, costs, costs, st.floats(0.0, 1.0))
def test_acceptable_range_with_full_trust_is_fearons_range(p, cost_a, cost_b, shift):
    """Fearon (1995): with trust 1 (deals are kept) and no optimism the acceptable
    range is [p - c_A, p + c_B], whatever the power shift. Tolerance 1e-12."""
    one = np.ones(1)
    low, high = acceptable_range(p * one, (1 - p) * one, cost_a * one, cost_b * one, one, one,
                                 shift)
    fearon_low, fearon_high = bargaining_range(p, cost_a, cost_b)
    assert low[0] == pytest.approx(float(fearon_low), abs=1e-12)
    assert high[0] == pytest.approx(float(fearon_high), abs=1e-12)
    assert low[0] <= high[0] + 1e-12


@settings(max_examples=100, deadline=None)
@given(unit, costs, costs, st.floats(0.01, 0.5), st.floats(0.05, 0.99), st.floats(0.05, 0.99))
def test_distrust_narrows_the_range_monotonically(p, cost_a, cost_b, shift, trust_low, trust_high):
    """Powell (2006), 'War as a commitment problem', IO 60(1): with a power shift d > 0
    a side that trusts less demands more; the range is strictly narrower than Fearon's
    and shrinks as trust falls (monotone in tau). Trust levels at least 1e-6 apart, so
    that the strict comparison is not lost to rounding (1 ulp apart they are equal)."""
    assume(trust_high - trust_low > 1e-6)
    one = np.ones(1)

    def width(tau: float) -> float:
        low, high = acceptable_range(p * one, (1 - p) * one, cost_a * one, cost_b * one,
                                     tau * one, tau * one, shift)
        return float(high[0] - low[0])

    fearon = cost_a + cost_b
    assert width(trust_high) < fearon
    assert width(trust_low) < width(trust_high)
    # closed form: each side's demand moves by d (1 - tau) / tau
    expected = fearon - 2 * shift * (1 - trust_low) / trust_low
    assert width(trust_low) == pytest.approx(expected, abs=1e-9)


@settings(max_examples=100, deadline=None)
@given(unit, costs, costs, st.floats(0.01, 1.0), st.floats(0.05, 1.0))
def test_range_vanishes_when_commitment_premium_exceeds_half_the_costs(p, cost_a, cost_b,
                                                                      shift, tau):
    """Powell (2006): the range is empty exactly when the premium d (1 - tau)/tau each
    side demands exceeds (c_A + c_B) / 2 (symmetric trust). Exact comparison, away
    from the boundary by 1e-9."""
    premium = shift * (1 - tau) / tau
    assume(abs(premium - (cost_a + cost_b) / 2) > 1e-9)
    one = np.ones(1)
    low, high = acceptable_range(p * one, (1 - p) * one, cost_a * one, cost_b * one,
                                 tau * one, tau * one, shift)
    assert (low[0] > high[0]) == (premium > (cost_a + cost_b) / 2)


@settings(max_examples=60, deadline=None)
@given(unit, costs, costs, st.floats(0.01, 0.3))
def test_mutual_optimism_narrows_the_range(p, cost_a, cost_b, optimism):
    """Fearon (1995, section 'private information'); Blainey (1973): when both sides
    overestimate their chance of winning by e, the range shrinks by 2e. Tol. 1e-12."""
    one = np.ones(1)
    low, high = acceptable_range((p + optimism) * one, (1 - p + optimism) * one,
                                 cost_a * one, cost_b * one, one, one, 0.0)
    assert float(high[0] - low[0]) == pytest.approx(cost_a + cost_b - 2 * optimism, abs=1e-12)


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


def test_settlement_curve_is_cumulative_as_documented():
    text = SETTLE.replace("break_hazard: 0.0", "break_hazard: 1.0") % {"cost": 0.6}
    result = simulate(scenario(text), runs=1500, seed=4)
    assert np.all(np.diff(result.outcome_weeks["settlement"]) >= 0)


# ------------------------------------------------------------ negotiated terms

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
