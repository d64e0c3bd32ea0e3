"""Tests of redline.engine.seeding: one stream per block of runs, whatever the chunks."""

from __future__ import annotations

import numpy as np
import pytest

from redline.engine.seeding import BLOCK_SIZE, ChunkStreams, normalise_chunk_size


def test_chunk_streams_same_uniforms_for_any_chunking():
    """seeding.ChunkStreams: run r receives the same uniforms whatever chunk holds it."""
    total, seed = 3000, 99
    draws = [4, 1, 0, 7]
    whole = ChunkStreams(seed, 0, total, total)
    expected = [whole.uniforms(rows) for rows in draws]
    for chunk in (1024, 2048):
        pieces = [ChunkStreams(seed, first, min(chunk, total - first), total)
                  for first in range(0, total, chunk)]
        for rows, reference in zip(draws, expected, strict=True):
            got = np.concatenate([piece.uniforms(rows) for piece in pieces], axis=1)
            assert got.shape == (rows, total)
            np.testing.assert_array_equal(got, reference)
    assert np.all((expected[0] >= 0.0) & (expected[0] < 1.0))
    other = ChunkStreams(seed + 1, 0, total, total).uniforms(4)
    assert not np.array_equal(other, expected[0])


def test_chunk_streams_blocks_are_independent_streams():
    """Distinct blocks get distinct streams (not copies of one another)."""
    streams = ChunkStreams(0, 0, 2 * BLOCK_SIZE, 2 * BLOCK_SIZE).uniforms(3)
    assert not np.array_equal(streams[:, :BLOCK_SIZE], streams[:, BLOCK_SIZE:])


def test_chunk_streams_refuse_misaligned_start():
    with pytest.raises(ValueError, match="block boundary"):
        ChunkStreams(0, 100, 1024, 3000)


def test_chunk_streams_partial_block_has_its_width():
    try:
        uniforms = ChunkStreams(0, 0, 500, 3000).uniforms(2)
    except ValueError:
        return
    assert uniforms.shape == (2, 500)


@pytest.mark.parametrize(("size", "runs", "expected"), [
    (None, 100, 1024), (1, 100_000, 1024), (1024, 100_000, 1024), (1025, 100_000, 2048),
    (10**9, 3000, 3072), (None, 10**6, 32 * 1024)])
def test_normalise_chunk_size(size, runs, expected):
    assert normalise_chunk_size(size, runs) == expected
