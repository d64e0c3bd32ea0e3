"""The values of a chunk's parameter slots, and their compiled gathering into state fields.

Each run draws one value per parameter slot (``scenario_arrays.ParameterSlots``): a
constant, or a distribution's inverse at the run's uniform. :class:`SlotValues`
inverts every distribution slot of a chunk once (``distributions.sample_into``,
the draws of ``ParameterSlots.sample`` to the last bit) and keeps the constants
apart;
:meth:`SlotValues.take` gathers the values of a field's slots, run axis first,
bounded as the field requires, in one compiled pass.

Measured (issue 5, step 19): gathering field by field with NumPy (a fill of
the whole field, a write per drawn column, a clip over it all) took most of
drawing a chunk's parameters; those passes are one loop here.
"""

from __future__ import annotations

import numpy as np
from numba import njit
from numpy.typing import NDArray

from redline.arrays.scenario_arrays import ParameterSlots
from redline.scenario import distributions as dist

FloatArray = NDArray[np.float64]
IntArray = NDArray[np.int64]

#: How a gathered value is bounded: left as drawn, raised to 0, clipped to [0, 1],
#: rounded to whole weeks and raised to 0. NaN stays NaN under each (as with NumPy).
AS_DRAWN, AT_LEAST_ZERO, SHARE, WHOLE_WEEKS = 0, 1, 2, 3


class SlotValues:
    """Every slot's value for the runs of a chunk.

    Parameters
    ----------
    slots : the scenario's parameter slots.
    uniforms : (rows, runs) uniforms; row ``i`` belongs to slot ``rows[i]``.
    rows : the slot of each row of ``uniforms``; None when row ``i`` is slot ``i``.

    Every distribution slot must have a row; constant slots need none.
    """

    def __init__(self, slots: ParameterSlots, uniforms: FloatArray,
                 rows: IntArray | None = None) -> None:
        n_slots = len(slots.numbers)
        row_of_slot = (np.arange(n_slots) if rows is None
                       else _row_of_slot(np.asarray(rows, dtype=np.int64), n_slots))
        self.runs = uniforms.shape[1]
        self.constant = np.zeros(n_slots)
        self.row = np.full(n_slots, -1, dtype=np.int64)
        n_drawn = sum(dist.is_distribution(number) for number in slots.numbers)
        self.values = np.empty((n_drawn, self.runs))
        row = 0
        for slot, number in enumerate(slots.numbers):
            if not dist.is_distribution(number):
                self.constant[slot] = float(number)  # type: ignore[arg-type]
                continue
            if row_of_slot[slot] < 0:
                raise ValueError(f"slot {slot} ({slots.names[slot]}) holds a distribution"
                                 " but has no uniforms")
            self.row[slot] = row
            dist.sample_into(number,  # type: ignore[arg-type]
                             np.ascontiguousarray(uniforms[row_of_slot[slot]], dtype=np.float64),
                             self.values[row])
            row += 1

    def take(self, slots: IntArray, fill: float | FloatArray = 0.0,
             bound: int = AS_DRAWN) -> FloatArray:
        """Values of ``slots`` for each run, run axis first: shape (runs, *slots.shape).

        A slot of -1 takes ``fill`` (a number, or an array shaped like ``slots``);
        ``bound`` is one of :data:`AS_DRAWN`, :data:`AT_LEAST_ZERO`, :data:`SHARE`,
        :data:`WHOLE_WEEKS`, applied to every value, fills included.
        """
        slots = np.asarray(slots, dtype=np.int64)
        fills = np.array(np.broadcast_to(fill, slots.shape), dtype=np.float64).ravel()
        out = np.empty((self.runs, slots.size))
        _gather(slots.ravel(), fills, self.constant, self.row, self.values, bound, out)
        return out.reshape(self.runs, *slots.shape)


def _row_of_slot(rows: IntArray, n_slots: int) -> IntArray:
    """The row of ``uniforms`` holding each slot, -1 for a slot without one."""
    row_of_slot = np.full(n_slots, -1, dtype=np.int64)
    row_of_slot[rows] = np.arange(rows.size)
    return row_of_slot


@njit(cache=True, nogil=True, error_model="numpy")
def _bounded(value, bound):  # pragma: no cover
    """``value`` bounded as ``np.maximum(v, 0)``, ``np.clip(v, 0, 1)`` or their rounding."""
    if bound == WHOLE_WEEKS:
        value = np.rint(value)
    if bound != AS_DRAWN and value < 0.0:
        value = 0.0
    if bound == SHARE and value > 1.0:
        value = 1.0
    return value


@njit(cache=True, nogil=True, error_model="numpy")
def _gather(slots, fills, constant, row, values, bound, out):  # pragma: no cover
    """``out[j, i]`` = the bounded value of slot ``slots[i]`` in run ``j`` (or ``fills[i]``).

    Run by run, so that ``out`` is written in memory order.
    """
    n = slots.shape[0]
    source = np.full(n, -1, dtype=np.int64)  # the row of values each column reads, or -1
    fixed = np.zeros(n)
    for i in range(n):
        slot = slots[i]
        if slot >= 0 and row[slot] >= 0:
            source[i] = row[slot]
        else:
            fixed[i] = _bounded(fills[i] if slot < 0 else constant[slot], bound)
    for j in range(out.shape[0]):
        for i in range(n):
            out[j, i] = fixed[i] if source[i] < 0 else _bounded(values[source[i], j], bound)
