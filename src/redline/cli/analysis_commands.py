"""Commands about forecasts: forecast (questions by week) and score (against outcomes)."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Annotated

import typer
from rich.text import Text

import redline
from redline.analysis.hinges import hinges
from redline.analysis.resolutions import load_resolutions, resolution_warnings, score_result
from redline.cli.common import (
    HorizonOption,
    JsonOption,
    RunsOption,
    ScenarioArgument,
    SeedOption,
    app,
    fail,
    load_or_fail,
    plain_table,
    probability_cells,
    progress_bar,
    stdout,
)
from redline.engine.run import check_run_arguments
from redline.report import format_probability
from redline.report.markdown import week_date
from redline.results import EnsembleResult
from redline.scenario.errors import ScenarioError
from redline.scenarios import builtin_resolutions


def _simulate(name: str, runs: int, seed: int, horizon: int | None,
              quiet: bool) -> EnsembleResult:
    try:
        check_run_arguments(runs, seed, horizon, None)
    except ValueError as error:
        fail(f"error: {error}")
    loaded, _ = load_or_fail(name)
    with progress_bar(not quiet, f"simulating {loaded.name}") as progress:
        return redline.simulate(loaded, runs=runs, seed=seed, horizon=horizon,
                                progress=progress)


@app.command()
def forecast(
    scenario: ScenarioArgument,
    runs: RunsOption = 10_000,
    seed: SeedOption = 0,
    horizon: HorizonOption = None,
    every: Annotated[int, typer.Option("--every", min=1,
                                       help="Show the cumulative curve every N weeks.")] = 4,
    hinge_runs: Annotated[int, typer.Option(
        "--hinge-runs", min=0, max=1_000_000, help="Runs of the analysis of what each question "
        "hinges on (0: skip it).")] = 4000,
    json_output: JsonOption = False,
) -> None:
    """Print every question's probability, its curve by week, and what it hinges on.

    What it hinges on: the two or three parameters whose range moves the
    question's probability most (docs/trust.md).
    """
    result = _simulate(scenario, runs, seed, horizon, json_output)
    questions = {q.id: q for q in result.scenario.questions}
    found = hinges(result.scenario, runs=hinge_runs, seed=seed) if hinge_runs else {}
    if json_output:
        document = {
            "scenario": result.scenario.name, "runs": result.runs, "seed": result.seed,
            "questions": {
                qid: {**estimate.to_dict(), "by_week": questions[qid].by_week,
                      "text": questions[qid].text,
                      "cumulative": [float(v) for v in result.question_weeks[qid]],
                      "hinges_on": [h.to_dict() for h in found.get(qid, [])]}
                for qid, estimate in result.questions.items()
            },
        }
        sys.stdout.write(json.dumps(document) + "\n")
        return
    weeks = list(range(every, result.horizon + 1, every))
    if not weeks or weeks[-1] != result.horizon:
        weeks.append(result.horizon)
    stdout.print(Text(f"{result.scenario.name}: {result.runs:,} runs, seed {result.seed}",
                      style="bold"))
    stdout.print(plain_table(
        "Forecast questions",
        ["question", "by", "P", "95% interval", "text"],
        [[qid, f"week {questions[qid].by_week} ({week_date(result, questions[qid].by_week)})",
          *probability_cells(estimate), questions[qid].text or ""]
         for qid, estimate in result.questions.items()],
        right=["P", "95% interval"],
    ))
    stdout.print(plain_table(
        "Cumulative probability by week",
        ["question", *[f"w{week}" for week in weeks]],
        [[qid, *[format_probability(float(result.question_weeks[qid][week])) for week in weeks]]
         for qid in result.questions],
        right=[f"w{week}" for week in weeks],
    ))
    if found:
        stdout.print(plain_table(
            f"What each forecast hinges on ({hinge_runs:,} runs; P among the runs with the "
            "parameter below its 20th percentile -> above its 80th)",
            ["question", "hinges on (most first)"],
            [[qid, "; ".join(f"{h.parameter} {h.low_value:.3g}..{h.high_value:.3g}: "
                             f"{format_probability(h.p_low)} -> {format_probability(h.p_high)}"
                             for h in found[qid]) or "nothing beyond noise"]
             for qid in result.questions]))


@app.command("score")
def score_command(
    scenario: ScenarioArgument,
    resolutions: Annotated[
        Path | None,
        typer.Argument(help="YAML file of recorded outcomes (default: the ones shipped with a"
                       " built-in scenario, e.g. cuba-1962).", dir_okay=False),
    ] = None,
    runs: RunsOption = 10_000,
    seed: SeedOption = 0,
    json_output: JsonOption = False,
) -> None:
    """Score the scenario's forecasts against recorded outcomes (Brier, log, calibration)."""
    loaded, _ = load_or_fail(scenario)
    if resolutions is None:
        resolutions = builtin_resolutions(scenario)
        if resolutions is None:
            fail(f"error: {scenario} ships no resolutions: give a RESOLUTIONS.yaml file")
    try:
        recorded = load_resolutions(resolutions, loaded)
    except ScenarioError as error:
        fail([issue.format() for issue in error.issues])
    for warning in resolution_warnings(resolutions, loaded):  # (e.g. scored as false)
        typer.echo(warning.format(), err=True)
    result = _simulate(scenario, runs, seed, None, json_output)
    card = score_result(result, recorded)
    if json_output:
        document = {"scenario": loaded.name, "runs": result.runs, "seed": result.seed,
                    **card.to_dict()}
        sys.stdout.write(json.dumps(document) + "\n")
        return
    stdout.print(plain_table(
        f"Forecasts scored against {resolutions}",
        ["question", "forecast", "happened", "Brier"],
        [[row["question"], format_probability(row["forecast"]),
          "yes" if row["outcome"] else "no", f"{row['brier']:.4f}"] for row in card.questions],
        right=["forecast", "Brier"],
    ))
    rows = [["redline", str(len(card.questions)), f"{card.brier:.4f}", f"{card.log:.4f}"]]
    for name, values in card.baselines.items():
        if "model_brier_same_questions" in values:
            rows.append([f"redline (the {int(values['n'])} questions with a base rate)",
                         str(int(values["n"])), f"{values['model_brier_same_questions']:.4f}",
                         f"{values['model_log_same_questions']:.4f}"])
        rows.append([name, str(int(values["n"])), f"{values['brier']:.4f}",
                     f"{values['log']:.4f}"])
    stdout.print(plain_table("Scores (Brier: lower is better; log: higher is better)",
                        ["forecaster", "questions", "Brier", "log score"], rows,
                        right=["questions", "Brier", "log score"]))
    stdout.print(plain_table(
        "Calibration", ["forecast bin", "questions", "mean forecast", "observed"],
        [[f"{b.low:.1f}-{b.high:.1f}", str(b.count), format_probability(b.mean_forecast),
          format_probability(b.observed_frequency)] for b in card.calibration],
        right=["questions", "mean forecast", "observed"],
    ))
