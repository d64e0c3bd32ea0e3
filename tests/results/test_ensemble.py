"""Tests of redline.results: an ensemble's frame and its Wilson intervals.

Oracle tests cite their source (Wilson 1927; Newcombe 1998, Table II) and state
their tolerance.
"""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from redline.engine.run import simulate
from redline.results import wilson_interval
from redline.scenario.loader import load_scenario
from tests.support.paths import MINI


@pytest.fixture(scope="module")
def mini():
    return load_scenario(MINI)


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
