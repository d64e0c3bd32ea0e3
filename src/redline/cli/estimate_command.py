"""The estimate command: the decision parameters' posterior from every ICB crisis, and its check."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import math
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn

from redline.cli.common import (
    Icb1Option,
    Icb2Option,
    JsonOption,
    SeedOption,
    app,
    check_output_path,
    fail,
    icb_data,
    json_default,
    plain_table,
    stderr,
    stdout,
)
from redline.files import write_output
from redline.history.calibration import calibrate
from redline.history.cases import build_cases
from redline.history.forecast import type_pool
from redline.history.posterior import (
    DESIGN_POINTS,
    MODE_EVALUATIONS,
    NAMES,
    PRIOR,
    QUICK_DESIGN,
    QUICK_EVALUATIONS,
    SEEDS,
    Posterior,
    estimate_evaluations,
)
from redline.history.sbc import LEVELS, CalibrationCheck, calibration_check
from redline.report.markdown import redline_version


def _sha256(path: str) -> str:
    return hashlib.sha256(Path(path).read_bytes()).hexdigest()


def _shown_path(path: str) -> str:
    """``path`` as recorded in provenance: inside the package relative to it (redline/...)."""
    package = Path(__file__).resolve().parents[1]
    try:
        return str(Path("redline") / Path(path).resolve().relative_to(package))
    except ValueError:
        return path


def _with_progress(label: str, work: Callable[[Callable[[int, int], None] | None], Any],
                   quiet: bool) -> Any:
    if quiet:
        return work(None)
    with Progress(TextColumn(label), BarColumn(),
                  TextColumn("{task.completed}/{task.total} simulator evaluations"),
                  TimeElapsedColumn(), console=stderr) as bar:
        task = bar.add_task(label, total=None)
        return work(lambda done, total: bar.update(task, completed=done, total=total))


@app.command()
def estimate(
    icb1: Icb1Option = None,
    icb2: Icb2Option = None,
    runs: Annotated[int, typer.Option(
        "--runs", "-n", min=10, help="Runs per crisis type and evaluation.")] = 100,
    seed: SeedOption = 0,
    evaluations: Annotated[int, typer.Option(
        "--evaluations", min=1, help="Most simulator evaluations of the mode search.")
    ] = MODE_EVALUATIONS,
    seeds: Annotated[int, typer.Option(
        "--seeds", min=1, max=20, help="Estimate with this many independent simulation seeds "
        "and average them, their scatter added to the covariance: the simulation's own "
        "noise then widens the posterior instead of shifting it unseen.")] = SEEDS,
    quick: Annotated[bool, typer.Option(
        "--quick", help="A quick, rough run: 20 runs, 20 evaluations, designs of 22 points, "
        "one seed.")] = False,
    workers: Annotated[int | None, typer.Option(
        "--workers", min=1, max=256, help="Processes that simulate the crisis types "
        "(default: every available core); the result does not depend on it.")] = None,
    before: Annotated[int | None, typer.Option(
        "--before", help="Use only the crises triggered before this year.")] = None,
    check: Annotated[int, typer.Option(
        "--check", min=0, max=1000, help="Instead of estimating, run this many replicates of "
        "simulation-based calibration: data simulated from parameters drawn from the prior "
        "must be recovered, with intervals that cover at their nominal rate.")] = 0,
    output: Annotated[Path | None, typer.Option(
        "--output", "-o", dir_okay=False, help="Write the posterior (or the check) as JSON to "
        "this file; `-o src/redline/data/decision_posterior.json` regenerates the shipped "
        "one.")] = None,
    json_output: JsonOption = False,
) -> None:
    """Estimate the decision parameters' posterior from every ICB crisis's coded dynamics.

    Rationality, switching cost, planning weeks, escalation and the talks
    hazard, from violence, agreement, outcome, major response, its timing and
    the duration (docs/history.md); --check N tests the estimator itself.
    """
    check_output_path(output, "output")
    data = icb_data(icb1, icb2)
    cases = build_cases(data)
    if before is not None:
        cases = cases.split(before)[0]
        if not cases.crises:
            fail(f"error: no crisis was triggered before {before}")
    runs, evaluations, design, seeds = ((20, QUICK_EVALUATIONS, QUICK_DESIGN, 1) if quick
                                        else (runs, evaluations, DESIGN_POINTS, seeds))
    if check:
        with type_pool(workers) as pool:
            result: CalibrationCheck = _with_progress(
                f"calibration check ({check} replicates)",
                lambda progress: calibration_check(
                    cases, check, runs=runs, seed=seed, max_evaluations=evaluations,
                    design_points=design, executor=pool, progress=progress, seeds=seeds),
                json_output)
        summary = result.to_dict()
        if output is not None:
            write_output(output, lambda handle: handle.write(
                json.dumps(summary, indent=2).encode("utf-8")))
        if json_output:
            typer.echo(json.dumps(summary, indent=2, default=json_default))
            return
        stdout.print(plain_table(
            f"Simulation-based calibration: {check} replicates, {runs} runs per type",
            ["parameter", *(f"{level:.0%} interval covers" for level in LEVELS),
             "KS p (uniform u)", "shrinkage of the prior"],
            [[name, *(f"{result.coverage(level)[name]:.2f}" for level in LEVELS),
              f"{result.uniformity()[name]:.3f}", f"{result.shrinkage()[name]:.2f}"]
             for name in NAMES]))
        return
    total = estimate_evaluations(evaluations, design, seeds=seeds) + 1
    with type_pool(workers) as pool:
        fitted = _with_progress(
            "estimating the posterior",
            lambda progress: calibrate(
                cases, runs=runs, seed=seed, max_evaluations=evaluations, design_points=design,
                executor=pool, seeds=seeds,
                progress=None if progress is None else (lambda done: progress(
                    min(done, total), total))), json_output)
    posterior: Posterior = fitted.posterior
    posterior.provenance.update({
        "command": "redline " + " ".join(sys.argv[1:]) if sys.argv[1:] else "redline estimate",
        "data": {_shown_path(path): _sha256(path) for path in data.sources},
        "crises": len(cases.crises), "crisis_actors": len(cases.actors),
        "years": [min(c.year for c in cases.crises), max(c.year for c in cases.crises)],
        "evaluations": evaluations, "design_points": design, "seeds": seeds,
        "redline": redline_version(), "date": dt.date.today().isoformat(),
        "weights_on_base_rates": fitted.weights,
    })
    document = posterior.to_dict()
    if output is not None:
        write_output(output, lambda handle: handle.write(
            (json.dumps(document, indent=2) + "\n").encode("utf-8")))
        stderr.print(f"wrote {output}")
    if json_output:
        typer.echo(json.dumps(document, indent=2, default=json_default))
        return
    interval = posterior.interval()
    stdout.print(plain_table(
        f"Posterior from {len(cases.crises)} ICB crises (median and 95% interval)",
        ["parameter", "median", "95% interval", "prior median", "informed by the data"],
        [[name, f"{getattr(posterior.median(), name):.4g}",
          f"{interval[name][0]:.4g} - {interval[name][1]:.4g}",
          f"{_prior_median(name):.4g}", "no" if name in posterior.uninformed else "yes"]
         for name in NAMES]))


def _prior_median(name: str) -> float:
    mean = PRIOR[name][0]
    return 1.0 / (1.0 + math.exp(-mean)) if name == "talks_hazard" else math.exp(mean)
