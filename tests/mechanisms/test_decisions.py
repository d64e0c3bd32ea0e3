"""Tests of redline.mechanisms.decisions: logit choice, its closed form and its sampler.

Oracle tests cite their source in the docstring and state their tolerance;
analytic truths are kept apart from property-based invariants.
"""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from redline.mechanisms.decisions import choice_probabilities, logit_choice

# ---------------------------------------------------------- logit choice


@settings(max_examples=100, deadline=None)
@given(st.lists(st.floats(-5.0, 5.0), min_size=1, max_size=5), st.floats(0.0, 50.0))
def test_choice_probabilities_sum_to_one(utilities, rationality):
    """McKelvey & Palfrey (1995): logit QRE choice probabilities form a distribution
    with P(a) proportional to exp(lambda U(a)). Tolerance 1e-12."""
    probs = choice_probabilities(np.array([utilities]), rationality)[0]
    assert probs.sum() == pytest.approx(1.0, abs=1e-12)
    assert np.all(probs >= 0.0)
    u = np.array(utilities)
    for i in range(len(u)):
        for j in range(len(u)):
            if probs[j] > 1e-300 and probs[i] > 1e-300:
                assert math.log(probs[i] / probs[j]) == pytest.approx(
                    rationality * (u[i] - u[j]), abs=1e-9)


def test_logit_limits():
    """lambda = 0: uniform; lambda large: best response (McKelvey & Palfrey 1995). Tol 1e-12."""
    utilities = np.array([[0.1, 0.5, -0.2]])
    np.testing.assert_allclose(choice_probabilities(utilities, 0.0), [[1 / 3] * 3], atol=1e-12)
    np.testing.assert_allclose(choice_probabilities(utilities, 1e4), [[0.0, 1.0, 0.0]],
                               atol=1e-12)


def test_logit_choice_frequencies_match_closed_form():
    """The sampler draws from the closed form: empirical frequencies over n = 200k
    seeded draws within 5 binomial standard errors of choice_probabilities."""
    n = 200_000
    utilities = np.tile([0.1, 0.3, -0.2], (n, 1))
    rationality = 4.0
    available = np.ones((n, 3), dtype=bool)
    draws = np.random.default_rng(11).random(n)
    chosen = logit_choice(utilities, available, rationality, draws)
    freq = np.bincount(chosen, minlength=3) / n
    expected = choice_probabilities(utilities[:1], rationality)[0]
    se = np.sqrt(expected * (1 - expected) / n)
    assert np.all(np.abs(freq - expected) < 5 * se), (freq, expected)


def test_logit_choice_never_picks_unavailable_options():
    n = 50_000
    utilities = np.tile([5.0, 0.0, 1.0], (n, 1))
    available = np.tile([False, True, True], (n, 1))
    draws = np.random.default_rng(5).random(n)
    chosen = logit_choice(utilities, available, 2.0, draws)
    assert set(np.unique(chosen)) <= {1, 2}
    expected = choice_probabilities(np.array([[0.0, 1.0]]), 2.0)[0]
    freq = np.bincount(chosen, minlength=3)[1:] / n
    assert np.all(np.abs(freq - expected) < 5 * np.sqrt(expected * (1 - expected) / n))
    # edge uniforms
    edge = logit_choice(utilities[:2], available[:2], 2.0, np.array([0.0, 1 - 2**-53]))
    np.testing.assert_array_equal(edge, [1, 2])
