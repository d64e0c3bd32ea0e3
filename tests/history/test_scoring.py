"""Scores and baselines of the backtest against closed forms."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from redline.analysis.scoring import categorical_log_score, ranked_probability_score
from redline.history.baselines import climatology
from redline.history.calibration import best_weight
from redline.history.forecast import smooth


def test_rps_closed_forms():
    # Perfect forecast: 0; all mass on the far end: 1 (normalised by K - 1).
    assert ranked_probability_score([[0, 0, 1, 0]], [2]) == 0.0
    assert ranked_probability_score([[1, 0, 0, 0]], [3]) == 1.0
    # Uniform over 4, outcome the first: cumulative (1/4, 1/2, 3/4) vs (1, 1, 1).
    expected = ((3 / 4) ** 2 + (1 / 2) ** 2 + (1 / 4) ** 2) / 3
    assert ranked_probability_score([[0.25] * 4], [0]) == pytest.approx(expected)
    # Two categories: the RPS is the Brier score of the second.
    assert ranked_probability_score([[0.3, 0.7]], [1]) == pytest.approx(0.09)


def test_rps_rewards_near_misses():
    near = ranked_probability_score([[0, 1, 0, 0]], [2])
    far = ranked_probability_score([[1, 0, 0, 0]], [2])
    assert near < far


def test_categorical_log_score():
    assert categorical_log_score([[0.5, 0.25, 0.25]], [1]) == pytest.approx(math.log(0.25))
    assert categorical_log_score([[0.2, 0.8], [0.6, 0.4]], [1, 0]) == pytest.approx(
        (math.log(0.8) + math.log(0.6)) / 2)


def test_climatology_is_the_smoothed_base_rate():
    observed = [0, 0, 1, 3, 3, 3]
    assert climatology(observed, 4).tolist() == pytest.approx([3 / 10, 2 / 10, 1 / 10, 4 / 10])


@given(st.lists(st.integers(0, 3), min_size=1, max_size=50),
       st.lists(st.floats(0, 1), min_size=4, max_size=4).filter(lambda p: sum(p) > 0),
       st.floats(0, 1))
def test_smoothed_forecasts_are_distributions(observed, raw, weight):
    rates = climatology(observed, 4)
    assert rates.sum() == pytest.approx(1.0)
    frequencies = np.asarray(raw) / sum(raw)
    mixed = smooth(frequencies, weight, rates)
    assert mixed.sum() == pytest.approx(1.0) and np.all(mixed >= 0)


def test_best_weight_prefers_the_model_when_it_is_right_and_the_base_rate_when_not():
    observed = [0, 1, 2, 3] * 5
    right = np.eye(4)[observed] * 0.97 + 0.0075
    wrong = np.eye(4)[[(k + 1) % 4 for k in observed]]
    assert best_weight(right, observed)[0] < 0.01
    assert best_weight(wrong, observed)[0] > 0.99
