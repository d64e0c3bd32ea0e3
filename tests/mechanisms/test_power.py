"""Tests of redline.mechanisms.power: the contest success function.

Oracle tests cite their source in the docstring and state their tolerance;
analytic truths are kept apart from property-based invariants.
"""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from redline.mechanisms.power import contest_success

positive = st.floats(1e-3, 1e3, allow_nan=False)


# -------------------------------------------------------- contest success


def test_contest_success_worked_example():
    """Tullock (1980); Hirshleifer (1989): p = P_A^m / (P_A^m + P_B^m); with P = (3, 1) and
    m = 1 p = 3/4. Exact."""
    assert float(contest_success(3.0, 1.0, 1.0)) == 0.75
    assert float(contest_success(2.0, 1.0, 2.0)) == pytest.approx(0.8, abs=1e-15)
    assert float(contest_success(0.0, 0.0, 1.0)) == 0.5


@settings(max_examples=100, deadline=None)
@given(positive, positive, st.floats(0.2, 4.0), st.floats(1e-2, 1e2))
def test_contest_success_symmetric_and_homogeneous(power_a, power_b, m, scale):
    """Hirshleifer (1989): the ratio form is symmetric (p(A, B) + p(B, A) = 1) and
    homogeneous of degree 0 (only the ratio of powers matters). Tolerance 1e-12."""
    p = float(contest_success(power_a, power_b, m))
    assert 0.0 <= p <= 1.0
    assert p + float(contest_success(power_b, power_a, m)) == pytest.approx(1.0, abs=1e-12)
    assert float(contest_success(scale * power_a, scale * power_b, m)) == pytest.approx(
        p, abs=1e-12)


@settings(max_examples=100, deadline=None)
@given(positive, positive, st.floats(1.01, 2.0), st.floats(0.2, 3.0), st.floats(1.01, 2.0))
def test_contest_success_monotone(power_a, power_b, factor, m, m_factor):
    """Increasing in one's own power; when P_A > P_B, increasing in decisiveness m
    (Hirshleifer 1989). Weak inequalities (ties allowed only by rounding)."""
    p = float(contest_success(power_a, power_b, m))
    assert float(contest_success(power_a * factor, power_b, m)) >= p
    if power_a > power_b:
        assert float(contest_success(power_a, power_b, m * m_factor)) >= p


def test_contest_success_large_decisiveness_favours_the_stronger_side():
    """Hirshleifer (1989): as m grows, p -> 1 for the stronger side."""
    assert float(contest_success(0.5, 0.4, 1100.0)) > 0.99
    assert float(contest_success(10.0, 5.0, 400.0)) > 0.99
