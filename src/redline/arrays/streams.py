"""The counter-addressed uniforms that both engines read (SplitMix64).

Every uniform a run uses is addressed by a counter: run ``n`` (its index in
the ensemble), draw ``w`` (0 for the per-run parameters, then one draw per
simulated week) and row ``k`` (which mechanism and which actor, red line or
policy). The uniform at that address is output number ``i`` of the SplitMix64
generator [Steele2014] (the reference implementation is Vigna's
``splitmix64.c``) whose state is a 64-bit key::

    i = n * 2**32 + w * 2**21 + k
    z = key + (i + 1) * 0x9E3779B97F4A7C15            (mod 2**64)
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9
    z = (z ^ (z >> 27)) * 0x94D049BB133111EB
    u = (z ^ (z >> 31)) >> 11  / 2**53                in [0, 1)

Because the i-th output is computed directly (a counter-based generator, as
in [Salmon2011]), a run receives the same numbers in any chunk, process or
thread, and a mechanism computes only the numbers it needs: the compiled
steps of :mod:`redline.mechanisms` call :func:`uniform_at`, the reference
engine fills whole rows through :mod:`redline.engine.seeding`, and both get
the same numbers. The key comes from ``numpy.random.SeedSequence(seed)``
(:func:`redline.engine.seeding.stream_key`).
"""

from __future__ import annotations

import numpy as np
from numba import njit
from numpy.typing import NDArray

#: Bits of the counter given to the row (mechanism, actor...) and to the draw (week).
ROW_BITS = 21
DRAW_BITS = 11
#: Largest draw index (weeks) and row count a counter can address.
MAX_DRAWS = 1 << DRAW_BITS
MAX_ROWS = 1 << ROW_BITS
#: Largest run count a counter can address.
MAX_COUNTER_RUNS = 1 << (64 - ROW_BITS - DRAW_BITS)

GOLDEN_GAMMA = np.uint64(0x9E3779B97F4A7C15)
MIX_1 = np.uint64(0xBF58476D1CE4E5B9)
MIX_2 = np.uint64(0x94D049BB133111EB)
TO_UNIT = 2.0**-53


def splitmix64(key: int, index: NDArray[np.uint64]) -> NDArray[np.uint64]:
    """Outputs number ``index`` (0-based) of SplitMix64 with state ``key``, vectorised.

    >>> hex(int(splitmix64(0, np.array([0], dtype=np.uint64))[0]))
    '0xe220a8397b1dcdaf'
    """
    z = np.array(index, dtype=np.uint64)  # a copy, then updated in place
    z += np.uint64(1)
    z *= GOLDEN_GAMMA
    z += np.uint64(key)
    for shift, multiplier in ((30, MIX_1), (27, MIX_2)):
        z ^= z >> np.uint64(shift)
        z *= multiplier
    z ^= z >> np.uint64(31)
    return z


def counter_index(run: NDArray[np.integer] | int, draw: int, row: NDArray[np.integer] | int
                  ) -> NDArray[np.uint64]:
    """The counter of (run, draw, row), broadcast."""
    runs = np.asarray(run, dtype=np.uint64)
    rows = np.asarray(row, dtype=np.uint64)
    index = (runs << np.uint64(ROW_BITS + DRAW_BITS)) | (np.uint64(draw) << np.uint64(ROW_BITS))
    return np.asarray(index | rows, dtype=np.uint64)


@njit(cache=True, nogil=True, error_model="numpy")
def uniform_at(key, run, draw, row):  # pragma: no cover
    """The uniform of (run, draw, row): :func:`splitmix64` of :func:`counter_index`, compiled.

    One function for every compiled caller (the parameter fill of
    :mod:`redline.engine.seeding`, the mechanisms' compiled steps), so that
    all compute the same numbers.
    """
    index = ((np.uint64(run) << np.uint64(ROW_BITS + DRAW_BITS))
             | (np.uint64(draw) << np.uint64(ROW_BITS)) | np.uint64(row))
    z = key + (index + np.uint64(1)) * GOLDEN_GAMMA
    z = (z ^ (z >> np.uint64(30))) * MIX_1
    z = (z ^ (z >> np.uint64(27))) * MIX_2
    z = z ^ (z >> np.uint64(31))
    return float(z >> np.uint64(11)) * TO_UNIT
