"""The report command: a self-contained HTML report with figures.

``redline report SCENARIO -o FILE.html`` simulates the scenario, adds the
analyses asked for (hypotheses by default when the scenario has some;
sensitivity on request, as it is slow; calibration when recorded outcomes are
given) and writes one HTML file atomically. Every input is checked before any
work starts: a bad flag, scenario or resolutions file is exit status 2 and
nothing is written.
"""

from __future__ import annotations

import importlib
import importlib.util
from pathlib import Path
from typing import Annotated, Any

import pandas as pd
import typer
from rich.text import Text

import redline
from redline.analysis.hinges import HINGE_RUNS, hinges
from redline.analysis.resolutions import load_resolutions, score_result
from redline.cli.common import (
    EXIT_FAILURE,
    RunsOption,
    ScenarioArgument,
    SeedOption,
    app,
    check_output_path,
    fail,
    load_or_fail,
    progress_bar,
    stdout,
)
from redline.engine.run import check_run_arguments
from redline.files import write_text_output
from redline.report.html import html_report
from redline.scenario.errors import ScenarioError
from redline.scenario.models import Scenario

#: Modules of the optional analyses, imported only when used.
HYPOTHESES_MODULE = "redline.analysis.hypotheses"
SENSITIVITY_MODULE = "redline.analysis.sensitivity"
#: Sensitivity method of the report (the cheaper screening method).
SENSITIVITY_METHOD = "morris"


def _available(module: str) -> bool:
    """Whether an optional analysis module is installed."""
    try:
        return importlib.util.find_spec(module) is not None
    except ModuleNotFoundError:
        return False


def _hypotheses(scenario: Scenario, runs: int, seed: int) -> dict[str, Any]:
    module = importlib.import_module(HYPOTHESES_MODULE)
    with progress_bar(True, "weighing hypotheses") as progress:
        analysis = module.evaluate_hypotheses(scenario, runs, seed, progress=progress)
    return dict(analysis.to_dict())


def _sensitivity(scenario: Scenario, seed: int) -> pd.DataFrame:
    module = importlib.import_module(SENSITIVITY_MODULE)
    with progress_bar(True, "sensitivity analysis") as progress:
        result = module.analyse(scenario, SENSITIVITY_METHOD, seed=seed, progress=progress)
    frame: pd.DataFrame = result.to_frame()
    return frame


@app.command()
def report(
    scenario: ScenarioArgument,
    output: Annotated[
        Path,
        typer.Option("--output", "-o", dir_okay=False,
                     help="The HTML file to write (name ending in .html)."),
    ],
    runs: RunsOption = 10_000,
    seed: SeedOption = 0,
    hypotheses: Annotated[
        bool | None,
        typer.Option("--hypotheses/--no-hypotheses",
                     help="Weigh the scenario's hypotheses against its observations "
                          "(default: on when the scenario has hypotheses)."),
    ] = None,
    sensitivity: Annotated[
        bool,
        typer.Option("--sensitivity", help="Add a sensitivity analysis (slow)."),
    ] = False,
    resolutions: Annotated[
        Path | None,
        typer.Option("--resolutions", dir_okay=False, metavar="FILE",
                     help="YAML file of recorded outcomes: adds a calibration plot."),
    ] = None,
) -> None:
    """Write a self-contained HTML report with figures (works offline)."""
    if output.suffix.lower() not in {".html", ".htm"}:
        fail(f"error: the report path {output} must end in .html")
    check_output_path(output, "the report path")
    try:
        check_run_arguments(runs, seed, None, None)
    except ValueError as error:
        fail(f"error: {error}")
    loaded, _ = load_or_fail(scenario)
    recorded = None
    if resolutions is not None:
        try:
            recorded = load_resolutions(resolutions, loaded)
        except ScenarioError as error:
            fail([issue.format() for issue in error.issues])
    if hypotheses and not loaded.hypotheses:
        fail(f"error: {loaded.name} defines no hypotheses; drop --hypotheses")
    if hypotheses and not _available(HYPOTHESES_MODULE):
        fail("error: the hypotheses analysis is not available in this installation;"
              " use --no-hypotheses")
    if hypotheses is None:
        hypotheses = bool(loaded.hypotheses) and _available(HYPOTHESES_MODULE)
    if sensitivity and not _available(SENSITIVITY_MODULE):
        fail("error: the sensitivity analysis is not available in this installation")

    try:
        with progress_bar(True, f"simulating {loaded.name}") as progress:
            result = redline.simulate(loaded, runs=runs, seed=seed, progress=progress)
        analysis = _hypotheses(loaded, runs, seed) if hypotheses else None
        found = hinges(loaded, runs=min(runs, HINGE_RUNS), seed=seed) if loaded.questions \
            else None
        indices = _sensitivity(loaded, seed) if sensitivity else None
    except ScenarioError as error:
        fail(error.format().splitlines())
    except ValueError as error:
        fail(f"error: {error}")
    except KeyboardInterrupt:
        fail("interrupted: nothing was written", 130)
    try:  # drawing takes seconds too: an interrupt then is said as one during the runs
        card = score_result(result, recorded) if recorded is not None else None
        page = html_report(result, hypotheses=analysis, sensitivity=indices, score=card,
                           hinges=found)
        try:
            write_text_output(output, page)
        except OSError as error:
            fail(f"error: could not write the report {output}: {error}", EXIT_FAILURE)
    except KeyboardInterrupt:
        fail("interrupted: nothing was written", 130)
    stdout.print(Text(f"report written to {output}"))
