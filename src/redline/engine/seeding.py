"""Random numbers that do not depend on chunking or on the number of workers.

Runs are grouped in fixed blocks of :data:`BLOCK_SIZE`. Block ``b`` of a run
with root seed ``seed`` draws from its own generator, seeded by the ``b``-th
child of ``SeedSequence(seed)`` (NumPy's recommended way to get independent
parallel streams, SPEC 7). A chunk is a whole number of blocks, and every
random number a run uses comes from its block's generator in a fixed order, so
any chunk size, processed in any order, on any worker, gives the same result.
All draws are uniforms; other laws are obtained by inversion.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import NDArray

#: Runs per block: the unit of random-number streams.
BLOCK_SIZE = 1024


def block_generator(seed: int, block: int) -> np.random.Generator:
    """The generator of block ``block`` for root ``seed``."""
    sequence = np.random.SeedSequence(entropy=seed, spawn_key=(block,))
    return np.random.Generator(np.random.PCG64(sequence))


def normalise_chunk_size(chunk_size: int | None, runs: int, default: int = 32 * BLOCK_SIZE) -> int:
    """A chunk size that is a positive multiple of :data:`BLOCK_SIZE`."""
    size = default if chunk_size is None else int(chunk_size)
    if size < 1:
        raise ValueError(f"chunk size must be at least 1, got {chunk_size}")
    blocks = max(1, -(-size // BLOCK_SIZE))
    return min(blocks, max(1, -(-runs // BLOCK_SIZE))) * BLOCK_SIZE


class ChunkStreams:
    """The uniforms of one chunk: its blocks' generators, drawn side by side.

    Parameters
    ----------
    seed : root seed of the ensemble.
    first_run, runs : the chunk covers runs ``first_run .. first_run + runs - 1``;
        ``first_run`` must be a multiple of :data:`BLOCK_SIZE`.
    total_runs : runs in the whole ensemble (fixes the size of the last block).

    """

    def __init__(self, seed: int, first_run: int, runs: int, total_runs: int) -> None:
        if first_run % BLOCK_SIZE:
            raise ValueError("a chunk must start at a block boundary")
        if runs % BLOCK_SIZE and first_run + runs != total_runs:
            raise ValueError("a chunk must hold whole blocks (only the last may be partial)")
        self.sizes: list[int] = []
        self.generators: list[np.random.Generator] = []
        start = first_run
        while start < first_run + runs:
            size = min(BLOCK_SIZE, total_runs - start)
            self.sizes.append(size)
            self.generators.append(block_generator(seed, start // BLOCK_SIZE))
            start += size

    def uniforms(self, rows: int) -> NDArray[np.float64]:
        """``rows`` uniforms per run, shape (rows, runs): the next draw of every block."""
        if rows == 0:
            return np.empty((0, sum(self.sizes)))
        parts = [g.random((rows, size)) for g, size in zip(self.generators, self.sizes,
                                                           strict=True)]
        return np.concatenate(parts, axis=1) if len(parts) > 1 else parts[0]
