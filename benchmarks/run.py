"""Time ``redline.simulate`` on a scenario (the flagship by default) and record the machine.

Usage::

    python -m benchmarks.run [--scenario kursk-2024] [--sizes 10000 100000 1000000]
                             [--repeat 3]

Each size is simulated ``--repeat`` times after one small warm-up run; the
median wall time is reported with the fastest and slowest. Throughput is in
run-weeks per second (runs x weeks simulated, the unit of the engine's
progress callback). With the flagship and a size of 1,000,000, issue 5's
target (at most 10 seconds for 10^6 runs x 52 weeks) is judged on the
median: met or not met, printed and kept in the file under ``target``.
Results go to ``benchmarks/results/<date>-<hostname>.json``.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import platform
import socket
import statistics
import time
from pathlib import Path
from typing import Any

import numpy as np

import redline

RESULTS = Path(__file__).resolve().parent / "results"
DEFAULT_SCENARIO = "kursk-2024"
#: Issue 5's target: this many runs of the flagship, this many weeks, in at most these seconds.
TARGET_RUNS = 1_000_000
TARGET_WEEKS = 52
TARGET_SECONDS = 10.0


def cpu_model() -> str:
    """Return the CPU model name from /proc/cpuinfo (or the platform's best guess)."""
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.lower().startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def machine() -> dict[str, Any]:
    """Return what the timings depend on: CPU, cores, Python and NumPy versions."""
    return {
        "hostname": socket.gethostname(),
        "cpu_model": cpu_model(),
        "cores": os.cpu_count(),
        "usable_cores": len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else None,
        "platform": platform.platform(),
        "python": platform.python_version(),
        "numpy": np.__version__,
        "redline": getattr(redline, "__version__", "unknown"),
    }


def write_result(record: dict[str, Any], kind: str = "", out: Path | None = None) -> Path:
    """Write ``record`` as JSON to ``out``, or to ``results/[<kind>-]<date>-<host>.json``."""
    if out is None:
        day = f"{dt.datetime.now(dt.UTC):%Y-%m-%d}"
        name = "-".join(part for part in (kind, day, socket.gethostname()) if part)
        out = RESULTS / f"{name}.json"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(record, indent=2) + "\n")
    return out


def time_once(scenario: Any, runs: int, seed: int) -> tuple[float, int]:
    """Simulate once; return wall seconds and run-weeks simulated."""
    seen = {"total": 0}

    def progress(done: int, total: int) -> None:
        seen["total"] = total

    start = time.perf_counter()
    result = redline.simulate(scenario, runs=runs, seed=seed, progress=progress)
    seconds = time.perf_counter() - start
    return seconds, seen["total"] or runs * result.horizon


def main(argv: list[str] | None = None) -> dict[str, Any]:
    """Run the benchmark, write its JSON file and print a summary."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scenario", default=DEFAULT_SCENARIO,
                        help="built-in name or scenario file")
    parser.add_argument("--sizes", type=int, nargs="+", default=[10_000, 100_000, TARGET_RUNS])
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--out", type=Path, default=None, help="JSON file to write")
    args = parser.parse_args(argv)

    scenario = redline.load(args.scenario)
    time_once(scenario, 1_000, args.seed)  # warm-up: imports, caches
    cases = []
    for runs in args.sizes:
        timings = [time_once(scenario, runs, args.seed + i) for i in range(args.repeat)]
        seconds = [s for s, _ in timings]
        run_weeks = timings[0][1]
        median = statistics.median(seconds)
        case = {
            "scenario": scenario.name,
            "runs": runs,
            "repeat": args.repeat,
            "run_weeks": run_weeks,
            "seconds_median": median,
            "seconds_min": min(seconds),
            "seconds_max": max(seconds),
            "seconds": seconds,
            "run_weeks_per_second": run_weeks / median,
        }
        cases.append(case)
        print(f"{scenario.name} {runs:>9,} runs: median {median:7.3f} s"
              f" ({min(seconds):.3f}-{max(seconds):.3f}),"
              f" {case['run_weeks_per_second']:,.0f} run-weeks/s")

    now = dt.datetime.now(dt.UTC)
    info = machine()
    record = {"created": now.isoformat(timespec="seconds"), "machine": info, "cases": cases}
    target = judge_target(cases)
    if target is not None:
        record["target"] = target
        print(f"target: {TARGET_RUNS:,} runs x {TARGET_WEEKS} weeks of {DEFAULT_SCENARIO}"
              f" in at most {TARGET_SECONDS:g} s: {'met' if target['met'] else 'NOT met'}"
              f" (median {target['seconds_median']:.2f} s)")
    print(f"written to {write_result(record, out=args.out)}")
    return record


def judge_target(cases: list[dict[str, Any]]) -> dict[str, Any] | None:
    """Issue 5's speed target judged on the median of the flagship's million-run case.

    None when the cases hold no such case (another scenario, size or horizon).
    """
    for case in cases:
        if (case["scenario"] == DEFAULT_SCENARIO and case["runs"] == TARGET_RUNS
                and case["run_weeks"] == TARGET_RUNS * TARGET_WEEKS):
            return {"runs": TARGET_RUNS, "weeks": TARGET_WEEKS, "seconds_limit": TARGET_SECONDS,
                    "seconds_median": case["seconds_median"],
                    "met": case["seconds_median"] <= TARGET_SECONDS}
    return None


if __name__ == "__main__":
    from redline.allocation import tune_allocator

    tune_allocator()  # before any run starts a thread, as the command line: redline.allocation
    main()
