"""The memory guard: ensembles that would not fit are refused before any work starts."""

from __future__ import annotations

import subprocess
import sys

import numpy as np
import pytest

import redline
from redline.arrays.scenario_arrays import compile_scenario
from redline.arrays.state import initial_state
from redline.engine.memory import (
    MemoryLimitError,
    check_memory,
    planned_bytes,
    state_bytes_per_run,
    usable_memory,
)

GIB = 2**30


@pytest.fixture(scope="module")
def kursk():
    return compile_scenario(redline.load("kursk-2024"))


def test_state_bytes_per_run_matches_a_real_chunk(kursk):
    state = initial_state(kursk, np.full((len(kursk.slots.numbers), 1024), 0.5))
    real = sum(v.nbytes for v in vars(state).values() if isinstance(v, np.ndarray)) / 1024
    assert state_bytes_per_run(kursk) == pytest.approx(real, rel=0.01)
    assert 1_000 < real < 20_000  # kursk-2024: about 3 kB a run (docs/performance.md)


def test_usable_memory_is_positive_and_at_most_the_ram():
    import os

    ram = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")
    assert 0 < usable_memory() <= ram


def test_planned_bytes_grow_with_the_chunk_and_the_kept_records(kursk):
    small = planned_bytes(kursk, 10**6, 32_768, keep_runs=False)
    assert planned_bytes(kursk, 10**7, 32_768, keep_runs=False) == small  # chunk-bound
    assert planned_bytes(kursk, 10**6, 65_536, keep_runs=False) == 2 * small
    kept = planned_bytes(kursk, 10**6, 32_768, keep_runs=True) - small
    events = len(kursk.scenario.questions) + len(kursk.scenario.observations)
    assert kept == 10**6 * 8 * (2 + events)


def test_a_chunk_bigger_than_memory_is_refused(kursk):
    check_memory(kursk, 10**7, 32_768, keep_runs=False, usable=1 * GIB)
    with pytest.raises(MemoryLimitError, match="chunk-size"):
        check_memory(kursk, 10**7, 10**6, keep_runs=False, usable=1 * GIB)


def test_kept_records_bigger_than_memory_are_refused(kursk):
    with pytest.raises(MemoryLimitError, match="fewer runs"):
        check_memory(kursk, 10**8, 32_768, keep_runs=True, usable=1 * GIB)


def test_the_command_line_refuses_before_any_work():
    process = subprocess.run(
        [sys.executable, "-m", "redline", "run", "kursk-2024", "--runs", "100000000",
         "--chunk-size", "100000000", "--no-db", "--json"],
        capture_output=True, text=True, timeout=120, check=False)
    assert process.returncode == 2, process.stderr
    assert "GiB" in process.stderr and "--chunk-size" in process.stderr
    assert "Traceback" not in process.stderr
    assert process.stdout == ""
