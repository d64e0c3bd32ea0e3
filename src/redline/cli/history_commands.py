"""The history commands: the ICB crisis library, generated scenarios and the backtest."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated, Any

import pandas as pd
import typer
import yaml
from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn
from rich.text import Text

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
from redline.history.backtest import (
    MODELS,
    ROLLING,
    TEST_FROM,
    BacktestResult,
    RollingResult,
    run_backtest,
    run_rolling,
)
from redline.history.codebook import CODEBOOK, WHEN, meaning
from redline.history.icb import ICBData
from redline.history.mapping import crisis_start, crisis_type, scenario_for_crisis
from redline.history.posterior import (
    DESIGN_POINTS,
    MODE_EVALUATIONS,
    QUICK_DESIGN,
    QUICK_EVALUATIONS,
    shipped_posterior,
)

crises_app = typer.Typer(help="The International Crisis Behavior crises, 1918-2004 (ICB v15).",
                         no_args_is_help=False)
app.add_typer(crises_app, name="crises")


def _summary(data: ICBData) -> list[dict[str, Any]]:
    actors = data.actors.groupby("crisno")["actor"].apply(list).to_dict()
    rows = []
    for _, row in data.crises.iterrows():
        crisno = int(row["crisno"])
        end = row["yrterm"]
        rows.append({"crisno": crisno, "name": str(row["crisname"]),
                     "years": f"{int(row['yrtrig'])}-{'?' if pd.isna(end) else int(end)}",
                     "actors": actors.get(crisno, []),
                     "violence": meaning("viol", row["viol"]),
                     "outcome": meaning("forout", row["forout"])})
    return rows


@crises_app.callback(invoke_without_command=True)
def crises(
    context: typer.Context,
    search: Annotated[str | None, typer.Option(
        "--search", help="Only crises whose name or actors contain this text.")] = None,
    json_output: JsonOption = False,
) -> None:
    """List the crises: number, name, years, actors, violence, form of outcome."""
    if context.invoked_subcommand is not None:
        return
    rows = _summary(icb_data())
    if search:
        needle = search.lower()
        rows = [r for r in rows if needle in r["name"].lower()
                or any(needle in a.lower() for a in r["actors"])]
    if json_output:
        typer.echo(json.dumps({"crises": rows}, indent=2))
        return
    stdout.print(plain_table(f"ICB crises ({len(rows)})",
                        ["no.", "name", "years", "actors", "violence", "outcome"],
                        [[r["crisno"], r["name"].title(), r["years"], " ".join(r["actors"]),
                          r["violence"], r["outcome"]] for r in rows]))


def _crisis_rows(data: ICBData, number: int) -> tuple[Any, Any]:
    crisis = data.crises[data.crises["crisno"] == number]
    if crisis.empty:
        fail(f"error: no crisis number {number} (see `redline crises`)")
    return crisis.iloc[0], data.actors[data.actors["crisno"] == number]


@crises_app.command("show")
def crises_show(number: Annotated[int, typer.Argument(help="ICB crisis number.")],
                json_output: JsonOption = False) -> None:
    """One crisis's coded variables with their codebook meaning."""
    data = icb_data()
    crisis, actors = _crisis_rows(data, number)

    def coded(row: Any, names: list[str]) -> list[dict[str, Any]]:
        return [{"variable": name, "code": None if pd.isna(row[name]) else int(row[name]),
                 "meaning": meaning(name, row[name]),
                 "label": CODEBOOK[name][0], "known": WHEN.get(name, "")}
                for name in names if name in CODEBOOK]

    system = coded(crisis, ["break", "viol", "forout"])
    per_actor = {str(row["actor"]): coded(row, [n for n in CODEBOOK if n in row.index])
                 for _, row in actors.iterrows()}
    if json_output:
        typer.echo(json.dumps({"crisno": number, "name": str(crisis["crisname"]),
                               "crisis": system, "actors": per_actor}, indent=2))
        return
    stdout.print(Text(f"ICB crisis {number}: {str(crisis['crisname']).title()} "
                      f"(triggered {int(crisis['yrtrig'])})"))
    columns = ["variable", "code", "meaning", "known"]
    stdout.print(plain_table("System level", columns,
                        [[v["label"], v["code"], v["meaning"], v["known"]] for v in system]))
    for actor, variables in per_actor.items():
        stdout.print(plain_table(f"Crisis actor {actor}", columns,
                            [[v["label"], v["code"], v["meaning"], v["known"]]
                             for v in variables]))


class _PlainDumper(yaml.SafeDumper):
    """Writes every value out: the scenario loader refuses anchors and aliases."""

    def ignore_aliases(self, data: Any) -> bool:
        return True


@crises_app.command("scenario")
def crises_scenario(number: Annotated[int, typer.Argument(help="ICB crisis number.")]) -> None:
    """Write the generic scenario generated from the crisis's coded start (YAML on stdout).

    The scenario uses only what was known at the trigger (see docs/history.md)
    and the posterior medians of the mapping's parameters estimated on every
    ICB crisis (`redline estimate`); `redline run FILE` simulates it.
    """
    data = icb_data()
    _crisis_rows(data, number)
    kind = crisis_type(crisis_start(data, number))
    scenario = scenario_for_crisis(data, number, shipped_posterior().median())
    header = (f"# Generated by `redline crises scenario {number}` from the ICB coded start of\n"
              f"# the crisis (classes: {kind}).\n# Edit freely: a historical analogue to start "
              "a new scenario from.\n")
    typer.echo(header + yaml.dump(scenario, Dumper=_PlainDumper, sort_keys=False, width=100),
               nl=False)


def _score_rows(targets: dict[str, Any]) -> list[list[Any]]:
    rows = []
    for name, scores in targets.items():
        for model in MODELS:
            first = "rps" if "rps" in scores[model] else "brier"
            difference = "" if model == "redline" else "{:+.4f} ± {:.4f}".format(
                scores["redline_minus"][model][first]["difference"],
                scores["redline_minus"][model][first]["se"])
            rows.append([name, scores["n"], model, first,
                         f"{scores[model][first]:.4f}", f"{scores[model]['log']:.4f}",
                         difference])
    return rows


_SCORE_COLUMNS = ["target", "n", "model", "score", "value (lower better)",
                  "log (higher better)", "redline − model (score)"]


def _print_backtest(result: BacktestResult) -> None:
    stdout.print(plain_table(
        f"Backtest: trained on {result.train_n} crises before {result.test_from}, "
        f"tested on {result.test_n} from {result.test_from} on "
        "(redline: post-processed; raw: the simulator alone)",
        _SCORE_COLUMNS, _score_rows(result.target_scores())))
    fitted = result.calibration
    stdout.print(plain_table("Posterior medians of the parameters, with 95% intervals",
                        ["parameter", "estimate", "interval"],
                        [[name, f"{value:.4g}", " - ".join(f"{b:.4g}" for b in
                                                          fitted.intervals.get(name, ()))]
                         for name, value in fitted.params.__dict__.items()]
                        + [[f"weight on base rates ({t})", f"{w:.3f}", ""]
                           for t, w in fitted.weights.items()]))
    stdout.print(plain_table("Post-processing (model output statistics) per target",
                        ["target", "weight on the simulator's log frequencies",
                         "penalty on the start variables"],
                        [[name, f"{p['simulator_weight']:.3f}", str(p["penalty"])]
                         for name, p in result.postprocessing.items()]))
    for name, target in result.targets.items():
        stdout.print(plain_table(f"Reliability of redline's {name} forecasts (one-vs-rest)",
                            ["bin", "forecasts", "mean forecast", "observed"],
                            [[f"{b['low']:.1f}-{b['high']:.1f}", b["count"],
                              f"{b['mean_forecast']:.3f}", f"{b['observed_frequency']:.3f}"]
                             for b in target.reliability() if b["count"]]))
        if name != "agreement":
            stdout.print(plain_table(f"Most wrong ({name}): least probability on what happened",
                                ["case", "observed", "probability"],
                                [[w["case"], w["observed"], f"{w['probability']:.3f}"]
                                 for w in target.worst()]))


def _print_rolling(result: RollingResult) -> None:
    for split in result.splits:
        stdout.print(plain_table(
            f"Split from {split.test_from}: trained on {split.train_n} crises, "
            f"tested on {split.test_n}", _SCORE_COLUMNS, _score_rows(split.target_scores())))
    average = result.average()
    stdout.print(plain_table(
        "Averaged over the splits " + ", ".join(str(s.test_from) for s in result.splits),
        ["target", "model", "score", "value (lower better)", "log (higher better)"],
        [[name, model, key := ("rps" if "rps" in scores[model] else "brier"),
          f"{scores[model][key]:.4f}", f"{scores[model]['log']:.4f}"]
         for name, scores in average.items() for model in MODELS]))


@app.command()
def backtest(
    icb1: Icb1Option = None,
    icb2: Icb2Option = None,
    test_from: Annotated[int, typer.Option(
        "--test-from", help="Test on crises triggered from this year on.")] = TEST_FROM,
    rolling: Annotated[bool, typer.Option(
        "--rolling", help="Rolling origin: one split from each of "
        + ", ".join(map(str, ROLLING)) + " (each calibrated on all crises before it).")
    ] = False,
    runs: Annotated[int, typer.Option(
        "--runs", "-n", min=10, help="Runs per crisis type and evaluation.")] = 100,
    seed: SeedOption = 0,
    evaluations: Annotated[int, typer.Option(
        "--evaluations", min=1, help="Most simulator evaluations of the posterior's mode "
        "search (after a global design of 64; the response surface adds two designs of 32).")
    ] = MODE_EVALUATIONS,
    quick: Annotated[bool, typer.Option(
        "--quick", help="A quick, rough run for trying things out and for tests: 20 runs, "
        "20 evaluations of the mode search, designs of 22 points.")] = False,
    workers: Annotated[int | None, typer.Option(
        "--workers", min=1, max=256, help="Processes that simulate the crisis types (default: "
        "every available core); the result does not depend on it.")] = None,
    plot: Annotated[Path | None, typer.Option(
        "--plot", dir_okay=False, help="Write the reliability diagrams to this image "
        "(of the last split with --rolling).")] = None,
    json_output: JsonOption = False,
) -> None:
    """Calibrate on crises before --test-from, forecast later ones from their start, score.

    Scores violence, each actor's outcome, major response, its timing and the
    crisis's duration (RPS, log) and agreement (Brier, log) for redline (the
    post-processed forecast), the simulator alone (raw), climatology and a
    logistic regression.
    """
    check_output_path(plot, "plot")
    data = icb_data(icb1, icb2)
    budget = (20, QUICK_EVALUATIONS, QUICK_DESIGN) if quick else (runs, evaluations, DESIGN_POINTS)
    result: BacktestResult | RollingResult
    try:
        if json_output:
            result = _compute(data, test_from, rolling, budget, seed, workers, None)
        else:
            with Progress(TextColumn("calibrating and forecasting"), BarColumn(),
                          TextColumn("{task.completed}/{task.total} simulator evaluations"),
                          TimeElapsedColumn(), console=stderr) as bar:
                task = bar.add_task("backtest", total=None)
                result = _compute(
                    data, test_from, rolling, budget, seed, workers,
                    lambda done, total: bar.update(task, completed=done, total=total))
    except ValueError as error:
        fail(f"error: {error}")
    if plot is not None:
        from redline.history.figures import reliability_figure
        last = result.splits[-1] if isinstance(result, RollingResult) else result
        reliability_figure(last, plot)
        stderr.print(f"wrote {plot}")
    if json_output:
        typer.echo(json.dumps(result.to_dict(), indent=2, default=json_default))
    elif isinstance(result, RollingResult):
        _print_rolling(result)
    else:
        _print_backtest(result)


def _compute(data: ICBData, test_from: int, rolling: bool, budget: tuple[int, int, int],
             seed: int, workers: int | None,
             progress: Any) -> BacktestResult | RollingResult:
    runs, evaluations, design = budget
    if rolling:
        return run_rolling(data, ROLLING, runs=runs, seed=seed, max_evaluations=evaluations,
                           progress=progress, workers=workers, design_points=design)
    return run_backtest(data, test_from, runs=runs, seed=seed, max_evaluations=evaluations,
                        progress=progress, workers=workers, design_points=design)
