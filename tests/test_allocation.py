"""The allocator settings (glibc's mallopt): the command line's, made once, never the library's."""

from __future__ import annotations

import json
import os
import platform
import subprocess
import sys
import textwrap

import pytest

from redline import allocation

GLIBC = platform.libc_ver()[0] == "glibc"


def python(code: str) -> dict:
    """Run ``code`` in a fresh interpreter (no MALLOC_ARENA_MAX) and read its last line as JSON."""
    env = {key: value for key, value in os.environ.items() if key != "MALLOC_ARENA_MAX"}
    process = subprocess.run([sys.executable, "-c", textwrap.dedent(code)], capture_output=True,
                             text=True, env=env, timeout=300, check=False)
    assert process.returncode == 0, process.stderr
    return json.loads(process.stdout.splitlines()[-1])


def test_keep_freed_memory_sets_the_thresholds_once():
    first = allocation.keep_freed_memory()
    assert isinstance(first, bool)
    assert allocation.keep_freed_memory() is first
    assert allocation._done == [first]


@pytest.mark.skipif(not GLIBC, reason="mallopt is glibc's")
def test_on_glibc_both_thresholds_are_accepted():
    assert allocation._set_thresholds() is True


@pytest.mark.skipif(not GLIBC, reason="mallopt is glibc's")
def test_on_glibc_one_arena_is_accepted_unless_the_environment_rules(monkeypatch):
    monkeypatch.setattr(allocation, "_arena", [])
    monkeypatch.delenv("MALLOC_ARENA_MAX", raising=False)
    assert allocation.one_arena() is True
    monkeypatch.setattr(allocation, "_arena", [])
    monkeypatch.setenv("MALLOC_ARENA_MAX", "4")
    assert allocation.one_arena() is False


def test_importing_redline_leaves_the_allocator_alone():
    """``import redline`` and its lazy names neither import nor apply the allocator settings."""
    seen = python("""
        import json, sys
        import redline
        imported = "redline.allocation" in sys.modules
        redline.simulate, redline.load, redline.Scenario, redline.EnsembleResult
        settings = sys.modules.get("redline.allocation")
        print(json.dumps({"imported_by_import": imported,
                          "arena": None if settings is None else settings._arena,
                          "thresholds": None if settings is None else settings._done}))
    """)
    assert seen["imported_by_import"] is False
    assert not seen["arena"] and not seen["thresholds"]


def test_a_library_run_leaves_the_allocator_alone():
    """``redline.simulate`` of several chunks changes nothing in the host process's allocator."""
    seen = python("""
        import json, sys
        import redline
        # the NumPy engine: the same chunk loop, without compiling the kernel in a fresh process
        redline.simulate(redline.load("kursk-2024"), runs=2048, seed=1, horizon=2, chunk_size=1024,
                         engine="numpy")
        settings = sys.modules.get("redline.allocation")
        print(json.dumps({"arena": None if settings is None else settings._arena,
                          "thresholds": None if settings is None else settings._done}))
    """)
    assert not seen["arena"] and not seen["thresholds"]


def test_the_command_line_sets_the_allocator_before_any_thread():
    """``redline`` (:func:`redline.cli.main`) tunes the allocator first, with one thread alive."""
    seen = python("""
        import json, threading
        from redline import allocation

        threads = []
        tune = allocation.tune_allocator

        def watched():
            threads.append(threading.active_count())
            return tune()

        allocation.tune_allocator = watched
        from redline.cli import main

        try:
            main(["--version"])
        except SystemExit:
            pass
        print(json.dumps({"threads": threads, "arena": allocation._arena,
                          "thresholds": allocation._done}))
    """)
    assert seen["threads"] == [1]
    assert seen["arena"] == [GLIBC] and seen["thresholds"] == [GLIBC]


@pytest.mark.skipif(not GLIBC, reason="the allocator settings are glibc's")
def test_a_drawing_thread_reuses_the_freed_pages():
    """Chunks drawn one after another on a second thread come back to the same pages once the
    allocator is tuned as the command line tunes it: without one arena each took ~19,000 page
    faults (fresh pages every time). In a fresh process, so that no earlier thread has an arena.
    """
    seen = python("""
        import json, resource
        from redline.allocation import tune_allocator

        tuned = tune_allocator()  # first, as redline.cli.main does
        from concurrent.futures import ThreadPoolExecutor

        import redline
        from redline.engine import run

        compiled = run.compile_scenario(redline.load("kursk-2024"))
        task = run.ChunkTask(seed=5, first=0, size=32768, runs=32768, horizon=52)
        with ThreadPoolExecutor(max_workers=1) as pool:
            for _ in range(3):
                pool.submit(run.prepare_chunk, compiled, task).result()
            before = resource.getrusage(resource.RUSAGE_SELF).ru_minflt
            for _ in range(5):
                pool.submit(run.prepare_chunk, compiled, task).result()
            faults = resource.getrusage(resource.RUSAGE_SELF).ru_minflt - before
        print(json.dumps({"tuned": tuned, "faults": faults}))
    """)
    assert seen["tuned"] is True
    # 32,768 runs hold ~104 MB of state, more than one 64 MiB heap of a thread's arena:
    # five chunks on fresh pages would be ~100,000 faults
    assert seen["faults"] < 10_000
