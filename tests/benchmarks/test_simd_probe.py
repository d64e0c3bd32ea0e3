"""The SIMD probe (benchmarks/simd_probe.py) compares like with like.

Its vectorised decision step must make the same picks as the scalar one, and
its polynomial exp must agree with the C library's to near machine precision,
or its cycle counts would compare different computations.
"""

from __future__ import annotations

import math

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from benchmarks.simd_probe import (
    decide_scalar,
    decide_vectorised,
    exp_nonpositive,
    inputs,
    largest_exp_error,
)


def test_polynomial_exp_is_within_a_few_units_in_the_last_place():
    assert largest_exp_error(2001) < 1e-14
    assert exp_nonpositive(0.0) == 1.0


@settings(max_examples=200, deadline=None)
@given(st.floats(min_value=-708.0, max_value=0.0))
def test_polynomial_exp_agrees_with_the_c_library(x):
    assert math.isclose(exp_nonpositive(x), math.exp(x), rel_tol=1e-14)


def test_both_forms_make_the_same_picks():
    data = inputs(4096, seed=3)
    scalar = np.zeros(4096, dtype=np.int64)
    vectorised = np.ones(4096, dtype=np.int64)
    decide_scalar(*data, scalar, 1)
    decide_vectorised(*data, vectorised, 1)
    np.testing.assert_array_equal(scalar, vectorised)
    assert 0 < scalar.sum() < 4096  # both outcomes occur: the comparison is not vacuous
