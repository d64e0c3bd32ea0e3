"""The compiled column counts of a chunk's records (engine/tallies.py) against NumPy's bincount."""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from redline.engine.tallies import counts_by_column


def bincount_by_column(values: np.ndarray, width: int) -> np.ndarray:
    """The NumPy form: values clipped to width - 1, offset by column, counted at once."""
    clipped = np.minimum(values, width - 1)
    offsets = np.arange(values.shape[1], dtype=np.int64) * width
    return np.bincount((clipped + offsets).ravel(), minlength=values.shape[1] * width).reshape(
        values.shape[1], width)


@settings(max_examples=200, deadline=None)
@given(st.integers(1, 12).flatmap(lambda width: st.tuples(
    st.just(width),
    arrays(np.int64, st.tuples(st.integers(0, 40), st.integers(0, 6)),
           elements=st.integers(0, 2 * width)))))
def test_counts_match_bincount_and_sum_to_the_rows(case):
    width, values = case
    counts = counts_by_column(values, width)
    np.testing.assert_array_equal(counts, bincount_by_column(values, width))
    assert counts.shape == (values.shape[1], width)
    assert (counts.sum(axis=1) == values.shape[0]).all()


def test_values_beyond_the_width_fall_in_the_last_column():
    never = np.iinfo(np.int64).max
    counts = counts_by_column(np.array([[0, never], [3, 1], [never, 1]]), 3)
    np.testing.assert_array_equal(counts, [[1, 0, 2], [0, 2, 1]])


@pytest.mark.parametrize("values, width, message", [
    (np.array([[0, -1]]), 3, "non-negative"),
    (np.array([1, 2]), 3, "2-D"),
    (np.array([[1]]), 0, "at least 1"),
])
def test_bad_input_is_refused(values, width, message):
    with pytest.raises(ValueError, match=message):
        counts_by_column(values, width)
