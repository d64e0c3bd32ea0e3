"""Random numbers that do not depend on chunking, worker count or thread count.

Every uniform a run uses is addressed by a counter (run, draw, row) and is
that output of the SplitMix64 generator whose 64-bit state, the key, is drawn
from ``numpy.random.SeedSequence(seed)`` (SPEC 7): the generator and its
compiled form live in :mod:`redline.arrays.streams`, beneath the mechanisms
that call it. This module gives the reference engine its rows of uniforms
(:func:`counter_uniforms`, :class:`ChunkStreams`) and fills the per-run
parameter draws; the compiled kernel's mechanisms compute the same numbers
one at a time.

Runs are still grouped in blocks of :data:`BLOCK_SIZE`: the unit in which
floating-point sums over runs are formed and added in order, so that
aggregates are the same for any chunking (``redline.engine.run``).
"""

from __future__ import annotations

import numpy as np
from numba import njit
from numpy.typing import NDArray

from redline.arrays.streams import MAX_COUNTER_RUNS, MAX_DRAWS, MAX_ROWS, uniform_at
from redline.engine.numba_cache import cached_with_inlined_sources

#: Runs per block: the unit of the summation order of aggregates.
BLOCK_SIZE = 1024


def stream_key(seed: int) -> int:
    """The 64-bit SplitMix64 state of an ensemble with root ``seed`` (via SeedSequence)."""
    return int(np.random.SeedSequence(int(seed)).generate_state(1, dtype=np.uint64)[0])


def counter_uniforms(key: int, first_run: int, runs: int, draw: int,
                     rows: int | NDArray[np.int64]) -> NDArray[np.float64]:
    """Uniforms of draw ``draw`` for runs from ``first_run``: (rows, runs).

    ``rows`` is a row count (rows ``0 .. rows - 1``) or an array of row indices.
    """
    row = np.arange(int(rows)) if isinstance(rows, int | np.integer) else np.asarray(rows)
    values = np.empty((row.size, runs))
    fill_counter_uniforms(key, first_run, draw, row, values, np.arange(row.size))
    return values


def fill_counter_uniforms(key: int, first_run: int, draw: int, rows: NDArray[np.integer],
                          out: NDArray[np.float64], targets: NDArray[np.integer]) -> None:
    """Write the uniforms of draw ``draw``, row ``rows[i]``, into ``out[targets[i]]``.

    ``out`` is (any rows, runs): column ``j`` is run ``first_run + j``.
    """
    rows = np.asarray(rows, dtype=np.int64)
    if not 0 <= draw < MAX_DRAWS:
        raise ValueError(f"draw must be in [0, {MAX_DRAWS}), got {draw}")
    if rows.size and not (0 <= rows.min() and rows.max() < MAX_ROWS):
        raise ValueError(f"rows must lie in [0, {MAX_ROWS}), got {rows.min()} .. {rows.max()}")
    if first_run + out.shape[1] > MAX_COUNTER_RUNS:
        raise ValueError(f"at most {MAX_COUNTER_RUNS} runs, got {first_run + out.shape[1]}")
    _fill_uniforms(np.uint64(key), first_run, draw, rows, np.asarray(targets, dtype=np.int64),
                   out)


@cached_with_inlined_sources
@njit(cache=True, nogil=True, error_model="numpy")
def _fill_uniforms(key, first_run, draw, rows, targets, out):  # pragma: no cover
    """``out[targets[i], j]`` = the uniform of (run ``first_run + j``, ``draw``, ``rows[i]``).

    One pass without temporaries (measured: the vectorised form was a third of
    drawing a chunk's parameters).
    """
    for i in range(rows.shape[0]):
        target = out[targets[i]]
        for j in range(out.shape[1]):
            target[j] = uniform_at(key, first_run + j, draw, rows[i])


def normalise_chunk_size(chunk_size: int | None, runs: int, default: int = 32 * BLOCK_SIZE) -> int:
    """A chunk size that is a positive multiple of :data:`BLOCK_SIZE`."""
    size = default if chunk_size is None else int(chunk_size)
    if size < 1:
        raise ValueError(f"chunk size must be at least 1, got {chunk_size}")
    blocks = max(1, -(-size // BLOCK_SIZE))
    return min(blocks, max(1, -(-runs // BLOCK_SIZE))) * BLOCK_SIZE


class ChunkStreams:
    """The uniforms of one chunk of runs, draw after draw.

    Parameters
    ----------
    seed : root seed of the ensemble.
    first_run, runs : the chunk covers runs ``first_run .. first_run + runs - 1``;
        ``first_run`` must be a multiple of :data:`BLOCK_SIZE`.
    total_runs : runs in the whole ensemble (fixes the size of the last block).

    The first call of :meth:`uniforms` returns draw 0 (parameters), the next
    draw 1 (week 1), and so on.
    """

    def __init__(self, seed: int, first_run: int, runs: int, total_runs: int) -> None:
        if first_run % BLOCK_SIZE:
            raise ValueError("a chunk must start at a block boundary")
        if runs % BLOCK_SIZE and first_run + runs != total_runs:
            raise ValueError("a chunk must hold whole blocks (only the last may be partial)")
        self.key = stream_key(seed)
        self.first_run = first_run
        self.runs = runs
        self.sizes = [min(BLOCK_SIZE, first_run + runs - start)
                      for start in range(first_run, first_run + runs, BLOCK_SIZE)]
        self.draw = 0

    def uniforms(self, rows: int) -> NDArray[np.float64]:
        """``rows`` uniforms per run of the next draw, shape (rows, runs)."""
        values = counter_uniforms(self.key, self.first_run, self.runs, self.draw, rows)
        self.draw += 1
        return values

    def parameters(self, rows: NDArray[np.int64]) -> NDArray[np.float64]:
        """Draw 0 (the per-run parameters) of the slots ``rows``: shape (len(rows), runs).

        Row ``i`` holds the uniforms of slot ``rows[i]``; the slots left out (those
        holding constants, which ignore their uniform) are not drawn at all (measured:
        a zeroed row for every slot was a sixth of drawing a chunk's parameters).
        The next draw is week 1.
        """
        if self.draw != 0:
            raise ValueError("the parameters are the first draw of a chunk")
        rows = np.asarray(rows, dtype=np.int64)
        values = np.empty((rows.size, self.runs))
        fill_counter_uniforms(self.key, self.first_run, 0, rows, values, np.arange(rows.size))
        self.draw = 1
        return values
