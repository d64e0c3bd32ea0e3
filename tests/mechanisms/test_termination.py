"""Tests of redline.mechanisms.termination: terminal outcomes and their precedence.

Degenerate configurations are analytic truths: each switches the model down to a
case whose answer follows from DESIGN section 2 by hand (stated in each test),
and runs it through :func:`redline.simulate`. Monte Carlo comparisons use 5
binomial standard errors.
"""

from __future__ import annotations

import numpy as np

from redline.engine.run import simulate
from tests.support.scenarios import scenario

# ------------------------------------------------- degenerate configurations

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
