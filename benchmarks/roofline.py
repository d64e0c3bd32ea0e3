"""What a roofline of the engine needs: memory bandwidth, scalar peak, bytes per run-week.

Usage::

    python -m benchmarks.roofline [--runs N] [--json] [--array-mb MB] [--repeat R] [--out FILE]

Four measurements, recorded with the machine, the commit and the load average
(before and after: on a shared machine every number here is a lower bound of
what the hardware can do):

1. **Memory bandwidth**, STREAM-style [McCalpin1995]_: copy ``a = b`` and
   triad ``a = b + s*c`` over float64 arrays, best of ``--repeat`` (5), in
   GB/s (1e9 bytes). Bytes are counted as STREAM counts them, 16 per element
   for copy and 24 for triad, whatever the hardware really moves (write-allocate
   reads are not counted). Single-threaded with NumPy (``np.copyto``; the
   triad in place, ``np.multiply(c, s, out=a); np.add(a, b, out=a)``, which
   makes two passes and so moves about 40 bytes per element while being
   credited 24: it understates the bandwidth), then on all of Numba's threads
   with a one-line ``prange`` loop for each kernel. STREAM's rule is that each
   array be at least four times the last-level cache; the default array size
   is that (read from sysfs), and at least 200 MB.
2. **Scalar floating-point peak**: eight independent chains of fused
   multiply-adds ``x = x*m + k`` in scalar double precision (Numba with only
   the ``contract`` fast-math flag, which turns each ``x*m + k`` into one FMA
   and allows nothing else), 2 flops per FMA, best of ``--repeat``, on one
   thread and on all. It is the peak of scalar (non-SIMD) code, which is what
   the engine's kernel is (:mod:`redline.engine.kernel`: one run at a time);
   SIMD peaks are 4 to 8 times higher.
3. **Bytes per run**: the ``nbytes`` of every array field of
   :class:`redline.arrays.state.State` (per-run parameters and evolving state)
   for kursk-2024, divided by the runs. The compiled engine keeps one run's
   state in cache for all its weeks and sums the weekly records per block in
   cache, so the least it can move to and from memory is that state read once
   and written once: ``2 * bytes_per_run / horizon`` bytes per run-week.
4. **Throughput** of both engines through :func:`redline.simulate`
   (``engine="compiled"`` after a warm-up call, and ``engine="numpy"``),
   ``--runs`` runs (20,000) over the scenario's horizon, best of 3, in
   run-weeks per second.

The roofline arithmetic: the compiled engine's bandwidth-bound ceiling is the
all-threads triad bandwidth divided by its least bytes per run-week, and its
measured throughput is reported as a fraction of that ceiling. The NumPy
engine (single-threaded) is reported by the bytes per run-week it would move
if it were bound by the single-threaded triad bandwidth (bandwidth /
throughput): an implied traffic, not a measured one. Likewise the flops per
run-week each engine could spend if it were bound by the scalar peak. No
hardware counter is read: these are bounds, not a profile.

A chunk of runs (``chunk_bytes``: runs per chunk x bytes per run) may fit in
the last-level cache; when it does the compiled engine need not reach DRAM
at all and the DRAM ceiling is not the binding one. Both sizes are recorded.

Results go to ``benchmarks/results/roofline-<date>-<hostname>.json``; a short
table goes to stdout (or the JSON record with ``--json``).

References
----------
.. [McCalpin1995] J. D. McCalpin, "Memory Bandwidth and Machine Balance in
   Current High Performance Computers", IEEE TCCA Newsletter, Dec. 1995;
   https://www.cs.virginia.edu/stream/
"""

from __future__ import annotations

import argparse
import dataclasses
import datetime as dt
import json
import os
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numba
import numpy as np
from numba import njit, prange

import redline
from redline.scenario.models import Scenario

RESULTS = Path(__file__).resolve().parent / "results"
SCENARIO = "kursk-2024"
#: Bytes STREAM credits per element: copy reads b and writes a; triad reads b, c, writes a.
COPY_BYTES = 16
TRIAD_BYTES = 24
TRIAD_SCALAR = 3.0
#: Independent FMA chains: enough to cover the FMA latency on two FMA ports.
ACCUMULATORS = 8
FLOPS_PER_ITERATION = 2 * ACCUMULATORS
SMALLEST_ARRAY_BYTES = 200_000_000


def last_level_cache_bytes() -> int | None:
    """Size of the largest-level CPU cache in bytes (Linux sysfs), or None."""
    caches = Path("/sys/devices/system/cpu/cpu0/cache")
    best: tuple[int, int] | None = None
    for index in caches.glob("index*"):
        try:
            level = int((index / "level").read_text())
            size = (index / "size").read_text().strip()
        except (OSError, ValueError):
            continue
        units = {"K": 1024, "M": 1024**2, "G": 1024**3}
        nbytes = int(size[:-1]) * units[size[-1]] if size[-1] in units else int(size)
        if best is None or level > best[0]:
            best = (level, nbytes)
    return None if best is None else best[1]


def default_array_bytes() -> int:
    """STREAM's rule, each array at least 4 x the last-level cache, and at least 200 MB."""
    cache = last_level_cache_bytes() or 0
    return max(SMALLEST_ARRAY_BYTES, 4 * cache)


def _best_seconds(work: Callable[[], object], repeat: int) -> float:
    best = float("inf")
    for _ in range(repeat):
        start = time.perf_counter()
        work()
        best = min(best, time.perf_counter() - start)
    return best


@njit(parallel=True)
def _parallel_copy(a: np.ndarray, b: np.ndarray) -> None:  # pragma: no cover - compiled
    for i in prange(a.size):
        a[i] = b[i]


@njit(parallel=True)
def _parallel_triad(a: np.ndarray, b: np.ndarray, c: np.ndarray,
                    scalar: float) -> None:  # pragma: no cover - compiled
    for i in prange(a.size):
        a[i] = b[i] + scalar * c[i]


def memory_bandwidth(array_bytes: int, repeat: int = 5) -> dict[str, Any]:
    """STREAM copy and triad in GB/s: NumPy on one thread, Numba on all threads.

    The three arrays are written before any timing (so their pages exist) and
    the Numba kernels are compiled on small arrays first.
    """
    elements = max(1, array_bytes // 8)
    a = np.full(elements, 0.0)
    b = np.full(elements, 1.0)
    c = np.full(elements, 2.0)
    small = np.zeros(16)
    _parallel_copy(small, small)
    _parallel_triad(small, small, small, TRIAD_SCALAR)

    def numpy_triad() -> None:
        np.multiply(c, TRIAD_SCALAR, out=a)
        np.add(a, b, out=a)

    kernels = {
        "numpy": {"copy": lambda: np.copyto(a, b), "triad": numpy_triad},
        "parallel": {"copy": lambda: _parallel_copy(a, b),
                     "triad": lambda: _parallel_triad(a, b, c, TRIAD_SCALAR)},
    }
    record: dict[str, Any] = {"elements": elements, "array_bytes": elements * 8,
                              "repeat": repeat, "threads": numba.get_num_threads(),
                              "last_level_cache_bytes": last_level_cache_bytes()}
    for how, pair in kernels.items():
        copy_seconds = _best_seconds(pair["copy"], repeat)
        triad_seconds = _best_seconds(pair["triad"], repeat)
        record[how] = {"copy_gb_s": COPY_BYTES * elements / copy_seconds / 1e9,
                       "triad_gb_s": TRIAD_BYTES * elements / triad_seconds / 1e9,
                       "copy_seconds": copy_seconds, "triad_seconds": triad_seconds}
    if not np.allclose(a[:: max(1, elements // 1000)], 1.0 + TRIAD_SCALAR * 2.0):
        raise RuntimeError("the parallel triad did not write its result")
    return record


@njit(fastmath={"contract"})
def _fma_chains(iterations: int, factor: float,
                addend: float) -> float:  # pragma: no cover - compiled
    x0, x1, x2, x3, x4, x5, x6, x7 = 1.0, 1.1, 1.2, 1.3, 1.4, 1.5, 1.6, 1.7
    for _ in range(iterations):
        x0 = x0 * factor + addend
        x1 = x1 * factor + addend
        x2 = x2 * factor + addend
        x3 = x3 * factor + addend
        x4 = x4 * factor + addend
        x5 = x5 * factor + addend
        x6 = x6 * factor + addend
        x7 = x7 * factor + addend
    return x0 + x1 + x2 + x3 + x4 + x5 + x6 + x7


@njit(parallel=True, fastmath={"contract"})
def _parallel_fma_chains(threads: int, iterations: int, factor: float,
                         addend: float) -> float:  # pragma: no cover - compiled
    totals = np.empty(threads)
    for t in prange(threads):
        totals[t] = _fma_chains(iterations, factor, addend)
    return totals.sum()


def scalar_peak(iterations: int, repeat: int = 5) -> dict[str, Any]:
    """GFLOP/s of 8 independent scalar FMA chains, on one thread and on every thread.

    ``x*m + k`` with ``m`` just below 1 stays finite and normal for any count.
    Whether the compiled loop really is scalar FMA (``vfmadd...sd``) is read
    from its assembly and recorded as ``instructions``.
    """
    factor, addend = 0.999999, 1e-6
    threads = numba.get_num_threads()
    _fma_chains(16, factor, addend)
    _parallel_fma_chains(threads, 16, factor, addend)
    assembly = _fma_chains.inspect_asm(_fma_chains.signatures[0])
    instructions = sorted({word for word in assembly.split()
                           if word.startswith(("vfmadd", "vfnmadd", "vmulpd", "vaddpd"))})
    single = _best_seconds(lambda: _fma_chains(iterations, factor, addend), repeat)
    parallel = _best_seconds(
        lambda: _parallel_fma_chains(threads, iterations, factor, addend), repeat)
    flops = FLOPS_PER_ITERATION * iterations
    return {"accumulators": ACCUMULATORS, "iterations": iterations, "repeat": repeat,
            "threads": threads, "instructions": instructions,
            "single_gflop_s": flops / single / 1e9,
            "parallel_gflop_s": threads * flops / parallel / 1e9}


def state_bytes(scenario: Scenario, runs: int = 4096) -> dict[str, Any]:
    """Bytes per run of the engine's state and per-run parameters (every array of State)."""
    from redline.arrays.scenario_arrays import compile_scenario
    from redline.arrays.state import State, initial_state

    compiled = compile_scenario(scenario)
    uniforms = np.random.default_rng(0).random((len(compiled.slots.numbers), runs))
    state = initial_state(compiled, uniforms)
    fields = {field.name: getattr(state, field.name).nbytes / runs
              for field in dataclasses.fields(State)
              if isinstance(getattr(state, field.name), np.ndarray)}
    return {"runs": runs, "bytes_per_run": sum(fields.values()), "fields": fields}


def engine_throughput(scenario: Scenario, runs: int, engine: str, repeat: int = 3,
                      seed: int = 0, warm_up_runs: int = 1024) -> dict[str, Any]:
    """Run-weeks per second of ``redline.simulate(..., engine=engine)``, best of ``repeat``.

    One warm-up call on ``warm_up_runs`` runs first (it loads the compiled
    kernel from Numba's cache).
    """
    redline.simulate(scenario, runs=min(runs, warm_up_runs), seed=seed, engine=engine)
    seconds = []
    for _ in range(repeat):
        start = time.perf_counter()
        result = redline.simulate(scenario, runs=runs, seed=seed, engine=engine)
        seconds.append(time.perf_counter() - start)
    run_weeks = runs * result.horizon
    return {"engine": engine, "runs": runs, "horizon": result.horizon, "repeat": repeat,
            "seconds": seconds, "run_weeks_per_second": run_weeks / min(seconds)}


def roofline(bandwidth: dict[str, Any], peak: dict[str, Any], state: dict[str, Any],
             engines: dict[str, dict[str, Any]], horizon: int, chunk_runs: int) -> dict[str, Any]:
    """The arithmetic: the compiled engine's ceiling, and what each throughput implies."""
    least_bytes = 2 * state["bytes_per_run"] / horizon
    parallel_bw = bandwidth["parallel"]["triad_gb_s"] * 1e9
    single_bw = bandwidth["numpy"]["triad_gb_s"] * 1e9
    compiled = engines["compiled"]["run_weeks_per_second"]
    vectorised = engines["numpy"]["run_weeks_per_second"]
    ceiling = parallel_bw / least_bytes
    return {
        "horizon": horizon,
        "least_bytes_per_run_week": least_bytes,
        "bandwidth_used": {"compiled": "parallel triad", "numpy": "numpy triad (one thread)"},
        "compiled_ceiling_run_weeks_per_second": ceiling,
        "compiled_fraction_of_ceiling": compiled / ceiling,
        "compiled_implied_bytes_per_run_week": parallel_bw / compiled,
        "numpy_implied_bytes_per_run_week": single_bw / vectorised,
        "numpy_implied_over_least": single_bw / vectorised / least_bytes,
        "compiled_flops_per_run_week_at_peak": peak["parallel_gflop_s"] * 1e9 / compiled,
        "numpy_flops_per_run_week_at_peak": peak["single_gflop_s"] * 1e9 / vectorised,
        "compiled_over_numpy": compiled / vectorised,
        "chunk_runs": chunk_runs,
        "chunk_bytes": chunk_runs * state["bytes_per_run"],
    }


def measure(runs: int = 20_000, array_bytes: int | None = None, repeat: int = 5,
            engine_repeat: int = 3, flop_iterations: int = 100_000_000,
            state_runs: int = 4096, scenario_name: str = SCENARIO) -> dict[str, Any]:
    """Take every measurement of the module docstring; the JSON record."""
    from benchmarks.run import machine
    from benchmarks.scaling import git_state
    from redline.engine.seeding import normalise_chunk_size

    load_before = os.getloadavg()
    started = time.perf_counter()
    bandwidth = memory_bandwidth(array_bytes or default_array_bytes(), repeat)
    peak = scalar_peak(flop_iterations, repeat)
    scenario = redline.load(scenario_name)
    state = state_bytes(scenario, state_runs)
    engines = {engine: engine_throughput(scenario, runs, engine, engine_repeat)
               for engine in ("compiled", "numpy")}
    horizon = engines["compiled"]["horizon"]
    return {
        "created": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        "machine": {**machine(), "numba": numba.__version__,
                    "numba_threads": numba.get_num_threads()},
        "git": git_state(),
        "load_average_before": list(load_before),
        "load_average_after": list(os.getloadavg()),
        "seconds": time.perf_counter() - started,
        "scenario": scenario.name,
        "bandwidth": bandwidth,
        "scalar_peak": peak,
        "state": state,
        "engines": engines,
        "roofline": roofline(bandwidth, peak, state, engines, horizon,
                             normalise_chunk_size(None, runs)),
    }


def table(record: dict[str, Any]) -> str:
    """A short plain-text summary of a record."""
    bandwidth, peak = record["bandwidth"], record["scalar_peak"]
    state, engines, roof = record["state"], record["engines"], record["roofline"]
    one, every = bandwidth["numpy"], bandwidth["parallel"]
    threads = bandwidth["threads"]
    load = ", ".join(f"{x:.2f}" for x in record["load_average_before"])
    lines = [
        f"machine: {record['machine']['cpu_model']}, {record['machine']['cores']} cores,"
        f" load average before {load}",
        f"STREAM, {bandwidth['array_bytes'] / 1e6:,.0f} MB arrays, best of {bandwidth['repeat']}:",
        f"  1 thread (NumPy)     copy {one['copy_gb_s']:7.1f} GB/s   triad {one['triad_gb_s']:7.1f}"
        " GB/s",
        f"  {threads} threads (Numba)    copy {every['copy_gb_s']:7.1f} GB/s   triad"
        f" {every['triad_gb_s']:7.1f} GB/s",
        f"scalar FMA peak: 1 thread {peak['single_gflop_s']:.1f} GFLOP/s,"
        f" {peak['threads']} threads {peak['parallel_gflop_s']:.1f} GFLOP/s",
        f"state + parameters: {state['bytes_per_run']:,.0f} B per run;"
        f" least traffic {roof['least_bytes_per_run_week']:,.1f} B per run-week"
        f" (horizon {roof['horizon']})",
        f"compiled engine: {engines['compiled']['run_weeks_per_second']:>12,.0f} run-weeks/s;"
        f" bandwidth ceiling {roof['compiled_ceiling_run_weeks_per_second']:,.0f}"
        f" -> {roof['compiled_fraction_of_ceiling']:.1%} of it",
        f"numpy engine:    {engines['numpy']['run_weeks_per_second']:>12,.0f} run-weeks/s;"
        f" if bandwidth-bound: {roof['numpy_implied_bytes_per_run_week']:,.0f} B per run-week"
        f" ({roof['numpy_implied_over_least']:.0f}x the least)",
        f"chunk of {roof['chunk_runs']:,} runs holds {roof['chunk_bytes'] / 1e6:,.0f} MB"
        f" of state; last-level cache {(bandwidth['last_level_cache_bytes'] or 0) / 1e6:,.0f} MB",
    ]
    return "\n".join(lines)


def write(record: dict[str, Any], out: Path | None = None) -> Path:
    """Write the record as JSON (default: results/roofline-<date>-<hostname>.json)."""
    created = dt.datetime.fromisoformat(record["created"])
    out = out or RESULTS / f"roofline-{created:%Y-%m-%d}-{record['machine']['hostname']}.json"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(record, indent=2) + "\n")
    return out


def main(argv: list[str] | None = None) -> dict[str, Any]:
    """Measure, write the JSON file, print the table (or the record with --json)."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=20_000, help="runs per engine timing")
    parser.add_argument("--json", action="store_true", help="print the record as JSON")
    parser.add_argument("--array-mb", type=float, default=None,
                        help="STREAM array size in MB (default: 4 x last-level cache, >= 200)")
    parser.add_argument("--repeat", type=int, default=5, help="best of, for STREAM and FLOPs")
    parser.add_argument("--out", type=Path, default=None, help="JSON file to write")
    args = parser.parse_args(argv)
    array_bytes = None if args.array_mb is None else int(args.array_mb * 1e6)
    record = measure(runs=args.runs, array_bytes=array_bytes, repeat=args.repeat)
    out = write(record, args.out)
    print(json.dumps(record, indent=2) if args.json else table(record))
    print(f"written to {out}", file=sys.stderr if args.json else sys.stdout)
    return record


if __name__ == "__main__":
    from redline.allocation import tune_allocator

    tune_allocator()  # before any run starts a thread, as the command line: redline.allocation
    main()
