"""How the cost of ``redline.simulate`` grows with runs, actors and horizon.

Usage::

    python -m benchmarks.scaling [--quick] [--out DIR] [--sweep runs actors horizon]
                                 [--seed S] [--repeat R] [--timeout SECONDS]

Three sweeps, each point simulated in a fresh Python process so that its peak
resident memory is its own:

- ``runs``: 1e3, 1e4, 1e5, 1e6 and 1e7 runs of kursk-2024 over 52 weeks;
- ``actors``: generated scenarios (:mod:`tests.support.generated`) with 5, 10,
  20 and 40 actors, 1e5 runs over 52 weeks;
- ``horizon``: kursk-2024 over 13, 26, 52, 104 and 208 weeks, 1e5 runs.

``--quick`` divides every run count by 100 (a smoke test of a few minutes).

In each child the scenario is loaded and simulated once on up to 1024 runs
over the same horizon (a warm-up: imports, caches, compiled code), then timed
``--repeat`` times. The peak resident set is the child's high-water mark
(``VmHWM`` in ``/proc/self/status``, else ``ru_maxrss``), reset after the
warm-up where Linux allows it (``/proc/self/clear_refs``; ``peak_rss_reset``
says whether it was), so that it is the peak of the timed runs, not of a
compiler; it includes the interpreter and its imports, whose size is recorded
as ``rss_before_bytes``, and the warm-up's peak is kept as
``peak_rss_warm_up_bytes``. Throughput is in run-weeks per second (runs x
weeks). The largest point of the ``runs`` sweep (1e7 runs in the full study)
must keep its peak resident set under 1.5 GiB: PASS or FAIL is printed and
recorded (a point that fails or is killed is a FAIL).

Each panel's cost is summarised by the slope b of a least-squares line
through log(seconds) against log(size): time grows as size^b (b = 1 is
linear; below 1, fixed costs still weigh), with the local slope between the
two largest sizes beside it. Results:
``benchmarks/results/scaling-<date>-<host>.json`` (``scaling-quick-...`` with
``--quick``, so that a smoke test never overwrites a study) with the machine
and the commit measured, the plot ``.png`` beside it, and a Markdown table on
stdout; progress goes to stderr, one line per point.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import math
import os
import resource
import subprocess
import sys
import time
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import numpy as np

REPOSITORY = Path(__file__).resolve().parents[1]
RESULTS = REPOSITORY / "benchmarks" / "results"
SCENARIO = "kursk-2024"
GENERATED = "generated"
MEMORY_LIMIT_BYTES = 3 * 2**29  # 1.5 GiB
QUICK_FACTOR = 100
WARM_UP_RUNS = 1024
SWEEPS = ("runs", "actors", "horizon")
#: Environment variables that set thread counts (recorded when set).
THREAD_VARIABLES = ("NUMBA_NUM_THREADS", "OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS",
                    "MKL_NUM_THREADS")
#: What each sweep varies, for the table and the plot.
LABELS = {
    "runs": "runs (kursk-2024, 52 weeks)",
    "actors": "actors (generated, 52 weeks)",
    "horizon": "horizon in weeks (kursk-2024)",
}


@dataclass(frozen=True)
class Point:
    """One measurement: a scenario, a number of runs and a horizon.

    ``scenario`` is a built-in name or ``"generated"``, in which case
    ``actors`` gives the size of :func:`tests.support.generated.generated_scenario`.
    """

    sweep: str
    scenario: str
    runs: int
    horizon: int
    actors: int | None = None

    @property
    def size(self) -> int:
        """The quantity its sweep varies."""
        return {"runs": self.runs, "horizon": self.horizon}.get(self.sweep, self.actors or 0)


def plan(quick: bool = False, sweeps: tuple[str, ...] = SWEEPS) -> dict[str, list[Point]]:
    """The points of the study (run counts divided by 100 when ``quick``)."""
    factor = QUICK_FACTOR if quick else 1
    fixed_runs = 100_000 // factor
    points = {
        "runs": [Point("runs", SCENARIO, 10**k // factor, 52) for k in range(3, 8)],
        "actors": [Point("actors", GENERATED, fixed_runs, 52, actors)
                   for actors in (5, 10, 20, 40)],
        "horizon": [Point("horizon", SCENARIO, fixed_runs, weeks)
                    for weeks in (13, 26, 52, 104, 208)],
    }
    return {sweep: points[sweep] for sweep in sweeps}


# ------------------------------------------------------- inside a child process


def resident_bytes(key: str = "VmHWM") -> int | None:
    """This process's peak (``VmHWM``) or current (``VmRSS``) resident set, in bytes.

    Read from ``/proc/self/status``; without it, the peak comes from
    ``getrusage`` (kilobytes on Linux, bytes on macOS) and the current size is
    unknown (``None``).
    """
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith(key + ":"):
                value, unit = line.split(":", 1)[1].split()
                return int(value) * (1024 if unit.lower() == "kb" else 1)
    except (OSError, ValueError):
        pass
    if key != "VmHWM":
        return None
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return int(peak) if sys.platform == "darwin" else int(peak) * 1024


def reset_peak() -> bool:
    """Reset this process's peak resident set to its current size (Linux 4.0 and later).

    Writing 5 to ``/proc/self/clear_refs`` resets ``VmHWM``, so that the peak
    read after the timed runs is theirs, not the warm-up's (a JIT compiler's
    memory, for instance). Returns whether it worked.
    """
    try:
        Path("/proc/self/clear_refs").write_text("5")
    except OSError:
        return False
    return True


def load_point_scenario(point: Point, seed: int) -> Any:
    """The scenario a point simulates."""
    import redline

    if point.scenario == GENERATED:
        from tests.support.generated import generated_scenario

        return generated_scenario(int(point.actors or 0), horizon=point.horizon, seed=seed)
    return redline.load(point.scenario)


def measure_point(point: Point, seed: int = 0, repeat: int = 1) -> dict[str, Any]:
    """Warm up, then time ``redline.simulate`` ``repeat`` times in this process.

    Meant to run in a fresh process (see :func:`run_point`): the peak resident
    set it reports is the process's own high-water mark.
    """
    import redline

    scenario = load_point_scenario(point, seed)
    # warm-up on the same scenario and horizon: imports, caches, compiled code paths
    redline.simulate(scenario, runs=min(point.runs, WARM_UP_RUNS), seed=seed,
                     horizon=point.horizon)
    warm_up_peak = resident_bytes("VmHWM")
    peak_reset = reset_peak()
    baseline = resident_bytes("VmRSS")
    seconds = []
    for i in range(repeat):
        start = time.perf_counter()
        redline.simulate(scenario, runs=point.runs, seed=seed + i, horizon=point.horizon)
        seconds.append(time.perf_counter() - start)
    median = float(np.median(seconds))
    run_weeks = point.runs * point.horizon
    return {
        **asdict(point),
        "actors": len(scenario.actors),
        "fronts": len(scenario.fronts),
        "policies": len(scenario.policies),
        "seed": seed,
        "repeat": repeat,
        "run_weeks": run_weeks,
        "seconds": seconds,
        "seconds_median": median,
        "run_weeks_per_second": run_weeks / median if median > 0 else math.inf,
        "rss_before_bytes": baseline,
        "peak_rss_bytes": resident_bytes("VmHWM"),
        "peak_rss_reset": peak_reset,
        "peak_rss_warm_up_bytes": warm_up_peak,
    }


# ------------------------------------------------------------ in the parent


def run_point(point: Point, seed: int = 0, repeat: int = 1,
              timeout: float | None = None) -> dict[str, Any]:
    """Measure one point in a fresh Python process; its record, or one with ``error``."""
    command = [sys.executable, "-m", "benchmarks.scaling", "--point", json.dumps(asdict(point)),
               "--seed", str(seed), "--repeat", str(repeat)]
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(REPOSITORY),
                                                      env.get("PYTHONPATH")]))
    started = time.perf_counter()
    try:
        child = subprocess.run(command, cwd=REPOSITORY, env=env, capture_output=True,
                               text=True, timeout=timeout, check=False)
    except subprocess.TimeoutExpired:
        return {**asdict(point), "error": f"timed out after {timeout:g} s"}
    lines = child.stdout.strip().splitlines()
    if child.returncode != 0 or not lines:
        tail = (child.stderr.strip().splitlines() or ["no output"])[-1]
        return {**asdict(point), "error": f"exit status {child.returncode}: {tail}"}
    record: dict[str, Any] = json.loads(lines[-1])
    record["process_seconds"] = time.perf_counter() - started
    return record


def fit_slope(sizes: list[float], seconds: list[float]) -> dict[str, float] | None:
    """Least-squares line through (log size, log seconds): ``seconds = a * size^slope``.

    Also the local slope between the two largest sizes (``slope_largest_pair``),
    nearer the asymptotic growth when fixed costs weigh on the small sizes.
    ``None`` with fewer than two usable points (positive, distinct sizes).
    """
    pairs = [(x, y) for x, y in zip(sizes, seconds, strict=True) if x > 0 and y > 0]
    if len({x for x, _ in pairs}) < 2:
        return None
    log_x = np.log([x for x, _ in pairs])
    log_y = np.log([y for _, y in pairs])
    slope, intercept = np.polyfit(log_x, log_y, 1)
    order = np.argsort(log_x)
    (x0, x1), (y0, y1) = log_x[order[-2:]], log_y[order[-2:]]
    return {"slope": float(slope), "coefficient": float(math.exp(intercept)),
            "points": len(pairs), "slope_largest_pair": float((y1 - y0) / (x1 - x0))}


def memory_check(points: list[dict[str, Any]], limit: int = MEMORY_LIMIT_BYTES
                 ) -> dict[str, Any] | None:
    """The verdict on the largest point of the runs sweep: peak resident set under ``limit``."""
    if not points:
        return None
    largest = max(points, key=lambda p: p["runs"])
    peak = largest.get("peak_rss_bytes")
    passed = "error" not in largest and peak is not None and peak < limit
    return {"runs": largest["runs"], "peak_rss_bytes": peak, "limit_bytes": limit,
            "passed": bool(passed), "error": largest.get("error"),
            "full_size": largest["runs"] >= 10**7}


def git_state() -> dict[str, Any]:
    """The commit measured, and whether the package sources differ from it."""
    def git(*args: str) -> str | None:
        try:
            done = subprocess.run(["git", *args], cwd=REPOSITORY, capture_output=True,
                                  text=True, timeout=10, check=False)
        except (OSError, subprocess.TimeoutExpired):
            return None
        return done.stdout.strip() if done.returncode == 0 else None

    status = git("status", "--porcelain", "--", "src")
    return {"commit": git("rev-parse", "HEAD"),
            "src_modified": None if status is None else bool(status)}


def study(points: dict[str, list[Point]], seed: int = 0, repeat: int = 1,
          timeout: float | None = None, quick: bool = False,
          log: Any = None) -> dict[str, Any]:
    """Measure every point, each in its own process; the study's record."""
    from benchmarks.run import machine

    sweeps: dict[str, Any] = {}
    for sweep, sweep_points in points.items():
        measured = []
        for point in sweep_points:
            record = run_point(point, seed=seed, repeat=repeat, timeout=timeout)
            measured.append(record)
            if log is not None:
                print(_progress_line(record), file=log, flush=True)
        ok = [p for p in measured if "error" not in p]
        sweeps[sweep] = {
            "label": LABELS.get(sweep, sweep),
            "points": measured,
            "fit": fit_slope([Point(**_point_fields(p)).size for p in ok],
                             [p["seconds_median"] for p in ok]),
        }
    now = dt.datetime.now(dt.UTC)
    return {
        "created": now.isoformat(timespec="seconds"),
        "quick": quick,
        "seed": seed,
        "repeat": repeat,
        "machine": machine(),
        "git": git_state(),
        "threads_env": {name: os.environ[name] for name in THREAD_VARIABLES
                        if name in os.environ},
        "memory_limit_bytes": MEMORY_LIMIT_BYTES,
        "sweeps": sweeps,
        "memory_check": memory_check(sweeps.get("runs", {}).get("points", [])),
    }


def _point_fields(record: dict[str, Any]) -> dict[str, Any]:
    fields = {key: record[key] for key in ("sweep", "scenario", "runs", "horizon")}
    fields["actors"] = record.get("actors")
    return fields


def _mib(value: int | None) -> str:
    return "n/a" if value is None else f"{value / 2**20:,.0f}"


def _progress_line(record: dict[str, Any]) -> str:
    where = (f"{record['sweep']:>7}: {record['scenario']}, {record['runs']:,} runs x "
             f"{record['horizon']} weeks")
    if "error" in record:
        return f"{where}: ERROR {record['error']}"
    return (f"{where} ({record['actors']} actors): {record['seconds_median']:.2f} s, "
            f"{record['run_weeks_per_second']:,.0f} run-weeks/s, "
            f"peak {_mib(record['peak_rss_bytes'])} MiB")


def markdown(record: dict[str, Any]) -> str:
    """The study as a Markdown table, with each sweep's slope and the memory verdict."""
    lines = ["| sweep | scenario | actors | runs | weeks | seconds | run-weeks/s | "
             "peak RSS (MiB) |",
             "|---|---|---:|---:|---:|---:|---:|---:|"]
    for sweep, body in record["sweeps"].items():
        for p in body["points"]:
            if "error" in p:
                lines.append(f"| {sweep} | {p['scenario']} | {p.get('actors') or ''} | "
                             f"{p['runs']:,} | {p['horizon']} | error: {p['error']} | | |")
                continue
            lines.append(f"| {sweep} | {p['scenario']} | {p['actors']} | {p['runs']:,} | "
                         f"{p['horizon']} | {p['seconds_median']:.3f} | "
                         f"{p['run_weeks_per_second']:,.0f} | {_mib(p['peak_rss_bytes'])} |")
    lines.append("")
    for body in record["sweeps"].values():
        fit = body["fit"]
        slope = ("n/a" if fit is None else f"{fit['slope']:.2f} (fit over {fit['points']} "
                 f"points; {fit['slope_largest_pair']:.2f} between the two largest)")
        lines.append(f"- {body['label']}: time grows as size^{slope}")
    lines.append("")
    lines.append(memory_verdict(record))
    return "\n".join(lines)


def memory_verdict(record: dict[str, Any]) -> str:
    """PASS or FAIL: the peak resident set of the largest runs point against the limit."""
    check = record.get("memory_check")
    if check is None:
        return "memory: not measured (no runs sweep)"
    verdict = "PASS" if check["passed"] else "FAIL"
    note = "" if check["full_size"] else " (a smaller study: the limit is set for 1e7 runs)"
    peak = (f"error: {check['error']}" if check.get("error")
            else f"peak RSS {_mib(check['peak_rss_bytes'])} MiB")
    return (f"{verdict}: {check['runs']:,} runs, {peak}, limit "
            f"{_mib(check['limit_bytes'])} MiB{note}")


def plot(record: dict[str, Any], path: Path) -> Path:
    """Three panels, log-log: wall time against each sweep's size with its fitted line.

    Peak resident memory is drawn on a second axis (the 1.5 GiB limit on the
    runs panel).
    """
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    from matplotlib.ticker import NullFormatter

    sweeps = record["sweeps"]
    figure, axes = plt.subplots(1, max(1, len(sweeps)), figsize=(5.2 * max(1, len(sweeps)), 5.0),
                                squeeze=False)
    for axis, (sweep, body) in zip(axes[0], sweeps.items(), strict=False):
        ok = [p for p in body["points"] if "error" not in p]
        sizes = [Point(**_point_fields(p)).size for p in ok]
        seconds = [p["seconds_median"] for p in ok]
        axis.plot(sizes, seconds, "o-", color="tab:blue", label="wall time (median)")
        fit = body["fit"]
        if fit is not None:
            line = np.geomspace(min(sizes), max(sizes), 50)
            axis.plot(line, fit["coefficient"] * line ** fit["slope"], "--", color="tab:blue",
                      alpha=0.6, label=f"fit: time ∝ size^{fit['slope']:.2f}")
        axis.set_xscale("log")
        axis.set_yscale("log")
        axis.set_xticks(sizes, [_tick(size) for size in sizes])
        axis.xaxis.set_minor_formatter(NullFormatter())
        axis.set_xlabel(body["label"])
        axis.set_ylabel("seconds")
        axis.grid(True, which="both", alpha=0.3)
        memory = axis.twinx()
        peaks = [p["peak_rss_bytes"] / 2**20 for p in ok if p.get("peak_rss_bytes")]
        if len(peaks) == len(sizes):
            memory.plot(sizes, peaks, "s:", color="tab:red", label="peak RSS")
        if sweep == "runs":
            memory.axhline(record["memory_limit_bytes"] / 2**20, color="tab:red",
                           linestyle="-.", alpha=0.5, label="limit 1.5 GiB")
        top = max([*peaks, record["memory_limit_bytes"] / 2**20 if sweep == "runs" else 0])
        memory.set_ylim(0, 1.25 * top if top > 0 else None)
        memory.set_ylabel("peak RSS (MiB)", color="tab:red")
        handles = axis.get_legend_handles_labels()
        extra = memory.get_legend_handles_labels()
        axis.legend(handles[0] + extra[0], handles[1] + extra[1], loc="upper center",
                    bbox_to_anchor=(0.5, -0.16), ncol=2, fontsize="small", frameon=False)
        axis.set_title(f"{sweep}: time ∝ size^{fit['slope']:.2f} "
                       f"({fit['slope_largest_pair']:.2f} at the top)" if fit else sweep,
                       fontsize="medium")
    info = record["machine"]
    figure.suptitle(f"redline.simulate scaling{' (quick)' if record['quick'] else ''}: "
                    f"{info.get('cpu_model')}, {record['created'][:10]}", fontsize="medium")
    figure.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    figure.savefig(path, dpi=120)
    plt.close(figure)
    return path


def _tick(size: float) -> str:
    """A tick label: powers of ten from 10^4 up as 1e4, other sizes as they are."""
    power = round(math.log10(size)) if size > 0 else 0
    return f"1e{power}" if size >= 1e4 and size == 10**power else f"{size:g}"


def write(record: dict[str, Any], out_dir: Path) -> tuple[Path, Path]:
    """Write the JSON record and its plot to ``out_dir``; their paths."""
    stem = (f"scaling-{'quick-' if record['quick'] else ''}{record['created'][:10]}-"
            f"{record['machine']['hostname']}")
    out_dir.mkdir(parents=True, exist_ok=True)
    json_path = out_dir / f"{stem}.json"
    json_path.write_text(json.dumps(record, indent=2) + "\n")
    return json_path, plot(record, out_dir / f"{stem}.png")


def main(argv: list[str] | None = None) -> dict[str, Any]:
    """Run the study (or, with ``--point``, one point in this process)."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true",
                        help=f"run counts divided by {QUICK_FACTOR} (smoke test)")
    parser.add_argument("--out", type=Path, default=RESULTS,
                        help="directory for the JSON and PNG files")
    parser.add_argument("--sweep", nargs="+", choices=SWEEPS, default=list(SWEEPS),
                        help="sweeps to run (default: all three)")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--repeat", type=int, default=1, help="timed runs per point")
    parser.add_argument("--timeout", type=float, default=None,
                        help="seconds allowed per point (default: no limit)")
    parser.add_argument("--point", default=None, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.repeat < 1:
        parser.error("--repeat must be at least 1")

    if args.point is not None:  # a child: one measurement, as one JSON line on stdout
        result = measure_point(Point(**json.loads(args.point)), args.seed, args.repeat)
        print(json.dumps(result))
        return result

    points = plan(quick=args.quick, sweeps=tuple(dict.fromkeys(args.sweep)))
    record = study(points, seed=args.seed, repeat=args.repeat, timeout=args.timeout,
                   quick=args.quick, log=sys.stderr)
    json_path, png_path = write(record, args.out)
    print(markdown(record))
    print(f"\nwritten to {json_path} and {png_path}")
    return record


if __name__ == "__main__":
    from redline.allocation import tune_allocator

    tune_allocator()  # before any run starts a thread, as the command line: redline.allocation
    main()
