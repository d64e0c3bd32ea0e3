"""The roofline measurements (benchmarks/roofline.py) on tiny sizes: their records, not speeds.

Arrays of a few MB, 1024 runs, one repeat: enough to check that every
measurement comes out positive and that the JSON record has its keys. No
assertion is made about speed (the machine may be shared).
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

import redline
from benchmarks.roofline import (
    ACCUMULATORS,
    default_array_bytes,
    measure,
    memory_bandwidth,
    scalar_peak,
    state_bytes,
    table,
    write,
)

TINY = {"runs": 1024, "array_bytes": 4_000_000, "repeat": 1, "engine_repeat": 1,
        "flop_iterations": 100_000, "state_runs": 1024}


@pytest.fixture(scope="module")
def record() -> dict:
    return measure(**TINY)


def test_bandwidth_is_positive_for_both_kernels_and_both_thread_counts() -> None:
    bandwidth = memory_bandwidth(2_000_000, repeat=1)
    assert bandwidth["elements"] == 250_000 and bandwidth["threads"] >= 1
    for how in ("numpy", "parallel"):
        assert bandwidth[how]["copy_gb_s"] > 0 and bandwidth[how]["triad_gb_s"] > 0


def test_scalar_peak_is_positive_and_compiled_to_scalar_fma() -> None:
    peak = scalar_peak(10_000, repeat=1)
    assert peak["single_gflop_s"] > 0 and peak["parallel_gflop_s"] > 0
    assert peak["accumulators"] == ACCUMULATORS
    assert not any(name.endswith("pd") for name in peak["instructions"])  # no packed SIMD


def test_state_bytes_sum_every_array_field() -> None:
    state = state_bytes(redline.load("kursk-2024"), runs=1024)
    assert state["bytes_per_run"] > 0
    assert state["bytes_per_run"] == pytest.approx(sum(state["fields"].values()))
    assert {"capability", "posture", "grants", "terminal"} <= set(state["fields"])


def test_default_arrays_are_at_least_200_mb() -> None:
    assert default_array_bytes() >= 200_000_000


def test_record_has_every_key_and_positive_numbers(record: dict, tmp_path: Path) -> None:
    assert {"created", "machine", "git", "load_average_before", "load_average_after",
            "bandwidth", "scalar_peak", "state", "engines", "roofline"} <= set(record)
    assert {"hostname", "cpu_model", "cores", "numba", "numba_threads"} <= set(record["machine"])
    assert len(record["load_average_before"]) == 3
    assert set(record["engines"]) == {"compiled", "numpy"}
    for engine in record["engines"].values():
        assert engine["runs"] == 1024 and engine["run_weeks_per_second"] > 0
    roof = record["roofline"]
    assert {"least_bytes_per_run_week", "compiled_ceiling_run_weeks_per_second",
            "compiled_fraction_of_ceiling", "numpy_implied_bytes_per_run_week",
            "chunk_bytes"} <= set(roof)
    assert roof["least_bytes_per_run_week"] == pytest.approx(
        2 * record["state"]["bytes_per_run"] / roof["horizon"])
    assert roof["compiled_ceiling_run_weeks_per_second"] > 0
    assert roof["compiled_fraction_of_ceiling"] > 0
    out = write(record, tmp_path / "roofline.json")
    assert json.loads(out.read_text()) == json.loads(json.dumps(record))
    assert "run-weeks/s" in table(record)
