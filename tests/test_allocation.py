"""The allocator keeps freed chunk memory (glibc's mallopt), once per process."""

from __future__ import annotations

import platform

import pytest

from redline import allocation


def test_keep_freed_memory_sets_the_thresholds_once():
    first = allocation.keep_freed_memory()
    assert isinstance(first, bool)
    assert allocation.keep_freed_memory() is first
    assert allocation._done == [first]


@pytest.mark.skipif(platform.libc_ver()[0] != "glibc", reason="mallopt is glibc's")
def test_on_glibc_both_thresholds_are_accepted():
    assert allocation._set_thresholds() is True


def test_one_arena_is_set_once_by_the_import():
    """``import redline`` asked for one arena before anything else (cached: same answer)."""
    import redline  # noqa: F401

    assert len(allocation._arena) == 1
    assert allocation.one_arena() is allocation._arena[0]


@pytest.mark.skipif(platform.libc_ver()[0] != "glibc", reason="mallopt is glibc's")
def test_on_glibc_one_arena_is_accepted_unless_the_environment_rules(monkeypatch):
    monkeypatch.setattr(allocation, "_arena", [])
    monkeypatch.delenv("MALLOC_ARENA_MAX", raising=False)
    assert allocation.one_arena() is True
    monkeypatch.setattr(allocation, "_arena", [])
    monkeypatch.setenv("MALLOC_ARENA_MAX", "4")
    assert allocation.one_arena() is False


def test_a_drawing_thread_reuses_the_freed_pages():
    """Chunks drawn one after another on a second thread come back to the same pages:
    without one arena each took ~19,000 page faults (fresh pages every time)."""
    import resource
    from concurrent.futures import ThreadPoolExecutor

    import redline
    from redline.engine import run
    from redline.engine.compiled import compile_scenario

    if not (allocation.one_arena() and allocation.keep_freed_memory()):
        pytest.skip("the allocator settings are glibc's")
    compiled = compile_scenario(redline.load("kursk-2024"))
    task = run.ChunkTask(seed=5, first=0, size=32768, runs=32768, horizon=52)
    with ThreadPoolExecutor(max_workers=1) as pool:
        for _ in range(3):
            pool.submit(run.prepare_chunk, compiled, task).result()
        before = resource.getrusage(resource.RUSAGE_SELF).ru_minflt
        for _ in range(5):
            pool.submit(run.prepare_chunk, compiled, task).result()
        faults = resource.getrusage(resource.RUSAGE_SELF).ru_minflt - before
    # 32,768 runs hold ~104 MB of state, more than one 64 MiB heap of a thread's arena:
    # five chunks on fresh pages would be ~100,000 faults
    assert faults < 10_000
