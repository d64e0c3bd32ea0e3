"""Tests of redline.mechanisms.trust: the Beta-Bernoulli trust in kept promises.

Oracle tests cite their source in the docstring and state their tolerance;
analytic truths are kept apart from property-based invariants.
"""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from redline.mechanisms.trust import beta_bernoulli_trust

# ------------------------------------------------------------------ trust


@settings(max_examples=100, deadline=None)
@given(st.integers(0, 50), st.integers(0, 50))
def test_beta_bernoulli_trust_closed_form(kept, broken):
    """Laplace's rule of succession (Beta(1, 1) prior): posterior mean of the keeping rate
    is (1 + k) / (2 + k + b). Tolerance 1e-15."""
    assert float(beta_bernoulli_trust(kept, broken)) == pytest.approx(
        (1 + kept) / (2 + kept + broken), abs=1e-15)
    assert float(beta_bernoulli_trust(kept, broken, (2.0, 5.0))) == pytest.approx(
        (2 + kept) / (7 + kept + broken), abs=1e-15)


@settings(max_examples=100, deadline=None)
@given(st.floats(0.0, 100.0), st.floats(0.0, 100.0), st.floats(0.01, 10.0))
def test_trust_monotone(kept, broken, more):
    """A kept promise raises trust, a broken one lowers it (strictly)."""
    base = float(beta_bernoulli_trust(kept, broken))
    assert 0.0 < base < 1.0
    assert float(beta_bernoulli_trust(kept + more, broken)) > base
    assert float(beta_bernoulli_trust(kept, broken + more)) < base
