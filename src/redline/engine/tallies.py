"""Counts of small non-negative integers, column by column, in one compiled pass.

A chunk's records count, for each event, the runs by the week it first held,
and for each actor the runs by the highest rung it reached
(``run._Accumulator.record_chunk``). Measured (issue 5): NumPy's
``bincount`` over offset columns took 4 of a chunk's 5.5 ms of records,
which run between two chunks' kernels; one loop over the values takes
0.7 ms.
"""

from __future__ import annotations

import numpy as np
from numba import njit
from numpy.typing import NDArray


def counts_by_column(values: NDArray[np.int64], width: int) -> NDArray[np.int64]:
    """How often each value 0 .. width - 1 occurs in each column of ``values``: (columns, width).

    Values of ``width - 1`` or more are counted as ``width - 1`` (the "never"
    column of a first week); a negative value is an error.
    """
    values = np.ascontiguousarray(values, dtype=np.int64)
    if values.ndim != 2:
        raise ValueError(f"counts_by_column needs a 2-D array, got shape {values.shape}")
    if width < 1:
        raise ValueError(f"counts_by_column needs a width of at least 1, got {width}")
    counts = np.zeros((values.shape[1], width), dtype=np.int64)
    if not _count_into(values, counts):
        raise ValueError("counts_by_column counts non-negative values only")
    return counts


@njit(cache=True, nogil=True)
def _count_into(values, counts):  # pragma: no cover
    """Count each value in ``counts[column, min(value, width - 1)]``; False on a negative."""
    last = counts.shape[1] - 1
    for j in range(values.shape[0]):
        for column in range(values.shape[1]):
            value = values[j, column]
            if value < 0:
                return False
            counts[column, min(value, last)] += 1
    return True
