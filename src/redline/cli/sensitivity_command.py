"""The sensitivity command: global sensitivity indices and a tornado chart.

A thin adapter over :mod:`redline.analysis.sensitivity`: it checks the flags,
runs the designed experiment with a progress bar, prints the top parameters of
each target with their intervals (or one JSON document) and can write the
tornado chart of one target.
"""

from __future__ import annotations

import json
import math
import sys
from pathlib import Path
from typing import Annotated

import typer
from rich.text import Text

from redline.analysis.fixed_ranges import with_fixed_ranges
from redline.analysis.sensitivity import (
    CONF_NAMES,
    DEFAULTS,
    INDEX_NAMES,
    METHODS,
    SensitivityResult,
    analyse,
    check_arguments,
    design_size,
    salib_problem,
    save_figure,
    target_names,
    tornado,
)
from redline.cli.common import (
    EXIT_FAILURE,
    JsonOption,
    ScenarioArgument,
    SchedulerOption,
    SeedOption,
    WorkersOption,
    app,
    check_executor,
    check_output_path,
    executor_for,
    fail,
    load_or_fail,
    plain_table,
    progress_bar,
    stdout,
)

_HEADINGS = {"ST": "S_T", "S1": "S_1", "mu_star": "mu*", "mu": "mu", "sigma": "sigma",
             "ks": "KS D", "p_value": "p"}
_METHOD_NAMES = {"sobol": "Sobol' indices (S_T total, S_1 first order)",
                 "morris": "Morris elementary effects (mu* per unit of quantile scale)",
                 "rsa": "Monte Carlo filtering (KS distance between runs with and without "
                        "the event)"}


def _cell(value: float, digits: int = 3) -> str:
    return "-" if math.isnan(value) else f"{value:.{digits}f}"


def _print_tables(result: SensitivityResult, top: int) -> None:
    method = _METHOD_NAMES[result.method]
    stdout.print(Text(
        f"{result.scenario}: {method}; {len(result.parameters)} uncertain parameters, "
        f"{result.points:,} points x {result.replicates} replicates = {result.runs:,} runs, "
        f"seed {result.seed} ({result.elapsed_seconds:.1f} s)", style="bold"))
    names = INDEX_NAMES[result.method]
    columns = ["rank", "parameter"]
    for name in names:
        columns.append(_HEADINGS[name])
        if name in CONF_NAMES:
            columns.append("± 95%")
    for target in result.targets:
        floor = result.noise_floor(target)
        floor_name = "critical distance" if result.method == "rsa" else "noise floor"
        title = (f"{target}: mean P {result.mean[target]:.4f} over the design (in "
                 f"{result.events[target]:,} runs), {floor_name} of "
                 f"{_HEADINGS[result.main_index]} {_cell(floor)}")
        if result.constant(target):
            stdout.print(Text(f"{target}: P = {result.mean[target]:.4g} at every design "
                              "point; its indices are undefined", style="bold"))
            continue
        if not result.resolved(target):
            title += " - NOT RESOLVED: no interval clears the noise"
        rows = []
        for rank, parameter in enumerate(result.ranking(target, top), start=1):
            i = result.parameters.index(parameter)
            cells = [str(rank), parameter]
            for name in names:
                value = float(result.indices[target][name][i])
                cells.append(f"{value:.1e}" if name == "p_value" and 0 < value < 1e-3
                             else _cell(value))
                if name in CONF_NAMES:
                    cells.append(_cell(float(result.indices[target][CONF_NAMES[name]][i])))
            rows.append(cells)
        stdout.print(Text(title, style="bold"))
        stdout.print(plain_table(None, columns, rows, right=columns[2:]))
    if result.method == "rsa":
        stdout.print(Text(
            "A distance at or below the critical one is what chance gives a parameter without "
            "effect (5% family-wise); more --samples lower it. A target marked NOT RESOLVED "
            "had no parameter clear of it, or no runs with the event."))
        return
    stdout.print(Text(
        "Indices at or below the noise floor cannot be told from no effect: with "
        f"{result.replicates} replicates per point, the noise in each point's probability "
        "lowers S_1 and raises S_T and mu* (more --replicates lower the floor, more "
        "--samples narrow the intervals). A target marked NOT RESOLVED is too rare, or "
        "too noisy, for this design."))


@app.command()
def sensitivity(
    scenario: ScenarioArgument,
    method: Annotated[str, typer.Option(
        "--method", "-m",
        help="sobol: variance shares (Saltelli design); morris: elementary-effects "
             "screening, cheaper; rsa: Monte Carlo filtering, for rare outcomes.")] = "sobol",
    samples: Annotated[int | None, typer.Option(
        "--samples", min=1,
        help="Sobol: base samples N, a power of 2 (N x (parameters + 2) points); Morris: "
             "trajectories (r x (parameters + 1) points); rsa: runs. Default: "
             f"{DEFAULTS['sobol'][0]} / {DEFAULTS['morris'][0]} / {DEFAULTS['rsa'][0]}.")
    ] = None,
    replicates: Annotated[int | None, typer.Option(
        "--replicates", min=1,
        help="Runs per design point, averaged to its probability (rsa: 1). Default: "
             f"{DEFAULTS['sobol'][1]} / {DEFAULTS['morris'][1]} / 1.")] = None,
    seed: SeedOption = 0,
    outcome: Annotated[list[str] | None, typer.Option(
        "--outcome", "-o",
        help="Only this outcome (repeatable); question:ID for a forecast question. "
             "Default: every outcome.")] = None,
    questions: Annotated[bool, typer.Option(
        "--questions", help="Also every forecast question's probability.")] = False,
    json_output: JsonOption = False,
    plot: Annotated[Path | None, typer.Option(
        "--plot", dir_okay=False,
        help="Write the tornado chart of the first --outcome (default: the first outcome "
             "that varies) to FILE.svg or FILE.png.")] = None,
    top: Annotated[int, typer.Option(
        "--top", min=1, help="Parameters shown per target (table and chart).")] = 10,
    include_fixed: Annotated[bool, typer.Option(
        "--include-fixed", help="Also every fixed number, each over ±50% of its value (clipped "
        "to [0, 1] inside it), and fixed decision parameters over the estimates from history "
        "(docs/trust.md).")] = False,
    workers: WorkersOption = None,
    scheduler: SchedulerOption = None,
) -> None:
    """Sensitivity of outcome probabilities to every uncertain parameter, with intervals.

    With --include-fixed, to every number of the scenario: nothing is hidden.
    """
    method = method.lower()
    if method not in METHODS:
        fail(f"error: unknown method {method!r}; choose {', '.join(METHODS)}")
    samples = DEFAULTS[method][0] if samples is None else samples
    replicates = DEFAULTS[method][1] if replicates is None else replicates
    try:
        check_arguments(method, samples, replicates, seed)
    except ValueError as error:
        fail(f"error: {error}")
    if plot is not None and plot.suffix.lower() not in (".svg", ".png"):
        fail(f"error: the chart {plot} must end in .svg or .png")
    check_output_path(plot, "the chart path")
    check_executor(workers, scheduler)
    loaded, _ = load_or_fail(scenario)
    if include_fixed:
        loaded = with_fixed_ranges(loaded)
    try:
        targets = target_names(loaded, outcome, questions)
    except ValueError as error:
        fail(f"error: {error}")
    parameters = salib_problem(loaded)["num_vars"]
    if parameters == 0:
        fail(f"error: {loaded.name} has no uncertain parameter: every number is a constant")
    points = design_size(method, samples, parameters)
    label = f"{method} on {loaded.name}: {points:,} points x {replicates}"
    try:
        with executor_for(workers, scheduler) as executor, \
                progress_bar(not json_output, label) as progress:
            result = analyse(loaded, method=method, samples=samples, replicates=replicates,
                             seed=seed, outcomes=outcome, questions=questions,
                             progress=progress, executor=executor)
    except ValueError as error:
        fail(f"error: {error}")
    except KeyboardInterrupt:
        fail("interrupted: nothing was written", 130)

    shown = targets[0]
    if not outcome:  # the first target that varies, if any
        shown = next((t for t in targets if not result.constant(t)), targets[0])
    if plot is not None:
        try:
            save_figure(tornado(result, shown, top=top), plot)
        except ValueError as error:
            fail(f"error: no chart written: {error}", EXIT_FAILURE)
        except OSError as error:
            fail(f"error: could not write the chart {plot}: {error}", EXIT_FAILURE)
    if json_output:
        document = result.to_dict() | {"plot": str(plot) if plot is not None else None,
                                       "plot_target": shown if plot is not None else None}
        sys.stdout.write(json.dumps(document) + "\n")
        return
    _print_tables(result, top)
    if plot is not None:
        stdout.print(Text(f"tornado chart of {shown} written to {plot}"))
