"""redline against its Mesa peer, side by side in one process on the same scenario.

Usage::

    python -m benchmarks.compare --runs 2000 [--peer-runs 500] [--horizon 52] [--json]

Both models simulate the flagship scenario (kursk-2024) from the same root
seed: redline as one vectorised ensemble (:func:`redline.simulate`), the peer
(:mod:`benchmarks.peer_mesa`) as one ``mesa.Model`` per run. Throughput is in
run-weeks per second (runs x weeks of horizon; the peer stops stepping a run
once it has ended, redline carries it along, and both are credited the full
horizon). The peer may run fewer runs (``--peer-runs``) because it is slow;
the ratio compares throughputs, so it is normalised by run-weeks. The machine
is recorded with the timings: CPU model, logical cores, NumPy version and the
BLAS NumPy was built against. The result is written to
``benchmarks/results/compare-<date>-<host>.json``.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import time
from pathlib import Path
from typing import Any

import numpy as np

import redline
from benchmarks.peer_mesa import run_peer
from benchmarks.run import machine as base_machine

RESULTS = Path(__file__).resolve().parent / "results"
SCENARIO = "kursk-2024"


def blas() -> dict[str, Any]:
    """The BLAS and LAPACK NumPy was built against (``numpy.show_config(mode="dicts")``)."""
    try:
        config = np.show_config(mode="dicts")
    except TypeError:  # NumPy < 1.26 has no mode
        return {"name": "unknown"}
    dependencies = (config or {}).get("Build Dependencies", {})
    found = {}
    for library in ("blas", "lapack"):
        entry = dependencies.get(library, {})
        found[library] = {key: entry.get(key) for key in
                          ("name", "version", "openblas configuration") if entry.get(key)}
    return found


def machine() -> dict[str, Any]:
    """What the timings depend on: CPU, cores, Python, NumPy, BLAS and Mesa versions."""
    import mesa

    info = base_machine()
    info["blas"] = blas()
    info["mesa"] = mesa.__version__
    return info


def time_redline(scenario: redline.Scenario, runs: int, horizon: int, seed: int
                 ) -> dict[str, Any]:
    """Simulate with redline once; wall time and throughput."""
    start = time.perf_counter()
    result = redline.simulate(scenario, runs=runs, seed=seed, horizon=horizon)
    seconds = time.perf_counter() - start
    run_weeks = runs * horizon
    return {"runs": runs, "horizon": horizon, "run_weeks": run_weeks, "seconds": seconds,
            "run_weeks_per_second": run_weeks / seconds,
            "outcomes": {name: estimate.p for name, estimate in result.outcomes.items()}}


def time_peer(scenario: redline.Scenario, runs: int, horizon: int, seed: int) -> dict[str, Any]:
    """Simulate with the Mesa peer once; wall time and throughput."""
    start = time.perf_counter()
    summary = run_peer(scenario, runs, seed=seed, horizon=horizon, questions=[])
    seconds = time.perf_counter() - start
    run_weeks = runs * horizon
    return {"runs": runs, "horizon": horizon, "run_weeks": run_weeks, "seconds": seconds,
            "run_weeks_per_second": run_weeks / seconds,
            "outcomes": {name: count / runs for name, count in summary.outcomes.items()}}


def compare(runs: int, peer_runs: int | None = None, horizon: int | None = None,
            seed: int = 0) -> dict[str, Any]:
    """Time both models on the flagship scenario; returns the record written to disk."""
    scenario = redline.load(SCENARIO)
    horizon = int(horizon or scenario.horizon)
    peer_runs = int(peer_runs or runs)
    redline.simulate(scenario, runs=min(runs, 1024), seed=seed, horizon=2)  # warm-up
    run_peer(scenario, 2, seed=seed, horizon=2, questions=[])
    ours = time_redline(scenario, runs, horizon, seed)
    peer = time_peer(scenario, peer_runs, horizon, seed)
    return {
        "created": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        "scenario": scenario.name,
        "seed": seed,
        "redline": ours,
        "peer": peer,
        "ratio": ours["run_weeks_per_second"] / peer["run_weeks_per_second"],
        "machine": machine(),
    }


def main(argv: list[str] | None = None) -> dict[str, Any]:
    """Run the comparison, write its JSON file and print a summary (or the JSON)."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=2000, help="runs for redline (and the peer)")
    parser.add_argument("--peer-runs", type=int, default=None,
                        help="runs for the peer (default: --runs)")
    parser.add_argument("--horizon", type=int, default=None, help="weeks (default: scenario's)")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--json", action="store_true", help="print the result as one JSON object")
    parser.add_argument("--out", type=Path, default=None, help="JSON file to write")
    args = parser.parse_args(argv)
    if args.runs < 1 or (args.peer_runs is not None and args.peer_runs < 1):
        parser.error("run counts must be positive")

    record = compare(args.runs, args.peer_runs, args.horizon, args.seed)
    info = record["machine"]
    out = args.out or RESULTS / f"compare-{record['created'][:10]}-{info['hostname']}.json"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(record, indent=2) + "\n")
    if args.json:
        print(json.dumps(record))
        return record
    blas_name = info["blas"].get("blas", {}).get("name", "unknown")
    blas_version = info["blas"].get("blas", {}).get("version", "")
    print(f"machine: {info['cpu_model']}, {info['cores']} logical cores,"
          f" numpy {info['numpy']}, BLAS {blas_name} {blas_version}, mesa {info['mesa']}")
    for name in ("redline", "peer"):
        case = record[name]
        print(f"{name:8s} {case['runs']:>8,} runs x {case['horizon']} weeks:"
              f" {case['seconds']:8.2f} s, {case['run_weeks_per_second']:>12,.0f} run-weeks/s")
    print(f"ratio redline/peer: {record['ratio']:,.1f}")
    print(f"written to {out}")
    return record


if __name__ == "__main__":
    from redline.allocation import tune_allocator

    tune_allocator()  # before any run starts a thread, as the command line: redline.allocation
    main()
