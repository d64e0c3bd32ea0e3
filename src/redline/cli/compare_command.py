"""The compare command: interventions on common random numbers.

``redline compare SCENARIO --set PATH=VALUE ...`` or ``--intervention NAME``
runs the scenario and the changed copy with the same seed (so the runs are
paired) and prints each outcome's and question's change of probability with
its 95% paired interval (:mod:`redline.analysis.interventions`). ``--json``
prints the document of :meth:`~redline.analysis.interventions.Comparison.to_dict`.
"""

from __future__ import annotations

import json
import math
import sys
from typing import Annotated, Any

import typer
from rich.table import Table
from rich.text import Text

from redline.analysis import interventions
from redline.cli.common import (
    HorizonOption,
    JsonOption,
    RunsOption,
    ScenarioArgument,
    SchedulerOption,
    SeedOption,
    WorkersOption,
    app,
    check_executor,
    executor_for,
    fail,
    load_or_fail,
    progress_bar,
    short_value,
    stdout,
)
from redline.engine.run import check_run_arguments
from redline.report import format_probability
from redline.report.markdown import week_date
from redline.scenario.errors import ScenarioError
from redline.scenario.models import Scenario
from redline.scenario.overlay import apply_overlay

SetOption = Annotated[
    list[str] | None,
    typer.Option(
        "--set", metavar="PATH=VALUE",
        help="Change one value (repeatable): a dotted path into the scenario, '=', and a YAML"
        " value, e.g. --set policies.lift_strike_ban.probability=0"
        " --set 'actors.RUS.resolve={uniform: [0.5, 0.7]}'.",
    ),
]
InterventionOption = Annotated[
    str | None,
    typer.Option("--intervention", "-i", metavar="NAME",
                 help="A named intervention of the scenario (without --set or --intervention the"
                 " error lists them);"
                 " --set changes apply on top of it."),
]


def _changes(loaded: Scenario, set_: list[str], intervention: str | None) -> dict[str, Any]:
    """The overlay asked for, checked against the scenario; exits 2 on any problem."""
    changes: dict[str, Any] = {}
    try:
        if intervention is not None:
            changes.update(interventions.intervention_changes(loaded, intervention))
        changes.update(interventions.parse_sets(set_))
    except interventions.InterventionError as error:
        fail(f"error: {error}")
    if not changes:
        named = ", ".join(i.id for i in loaded.interventions) or "none"
        fail(["error: nothing to compare: give --set PATH=VALUE or --intervention NAME",
               f"interventions of {loaded.name}: {named}"])
    try:
        apply_overlay(loaded, changes, what=intervention or "--set")
    except ScenarioError as error:
        fail([f"error: the change does not apply to {loaded.name}:",
               *[f"  {issue.file}: {issue.message}"
                 + (f" (expected {issue.expected})" if issue.expected else "")
                 for issue in error.issues]])
    return changes


def _points(value: float) -> str:
    """A difference of probabilities in percentage points, signed."""
    return f"{100 * value:+.2f} pp"


def _reduction(value: float) -> str:
    if math.isnan(value):
        return "-"
    return "inf" if math.isinf(value) else f"{value:.1f}"


def _difference_table(title: str, first: str, rows: list[tuple[str, str | None,
                                                               interventions.Difference]]
                      ) -> Table:
    """Rows of differences; those whose interval excludes 0 in bold and starred."""
    table = Table(title=Text(title, style="bold"), title_justify="left")
    for column in (first, "by", "baseline", "changed", "difference", "95% interval",
                   "runs +/-", "VR"):
        if column == "by" and all(by is None for _, by, _ in rows):
            continue
        table.add_column(column, justify="left" if column in (first, "by") else "right")
    for event_id, by, d in rows:
        marker = " *" if d.excludes_zero else ""
        cells = [event_id, *([by or ""] if any(b is not None for _, b, _ in rows) else []),
                 format_probability(d.baseline), format_probability(d.changed),
                 _points(d.difference) + marker,
                 f"[{_points(d.lo)}, {_points(d.hi)}]", f"+{d.runs_up}/-{d.runs_down}",
                 _reduction(d.variance_reduction)]
        table.add_row(*(Text(cell) for cell in cells),
                      style="bold" if d.excludes_zero else None)
    return table


@app.command()
def compare(
    scenario: ScenarioArgument,
    set_: SetOption = None,
    intervention: InterventionOption = None,
    runs: RunsOption = 10_000,
    seed: SeedOption = 0,
    horizon: HorizonOption = None,
    json_output: JsonOption = False,
    workers: WorkersOption = None,
    scheduler: SchedulerOption = None,
) -> None:
    """Compare the scenario with a changed copy on the same random numbers.

    Prints each outcome's and question's probability in both, and the
    difference with its 95% interval from the paired runs; differences whose
    interval excludes 0 are starred. VR is the variance-reduction factor of
    the pairing (how many times more independent runs the same precision
    would need). --json prints one object: scenario, intervention, changes,
    runs, seed, horizon, baseline and changed (each outcome's and question's
    p with its Wilson interval) and differences (outcomes and questions).
    """
    try:
        check_run_arguments(runs, seed, horizon, None)
    except ValueError as error:
        fail(f"error: {error}")
    check_executor(workers, scheduler)
    loaded, _ = load_or_fail(scenario)
    changes = _changes(loaded, set_ or [], intervention)
    with executor_for(workers, scheduler) as executor, \
            progress_bar(not json_output, f"comparing {loaded.name}") as progress:
        comparison = interventions.compare(loaded, changes, runs=runs, seed=seed,
                                           progress=progress, horizon=horizon,
                                           intervention=intervention, executor=executor)
    if json_output:
        sys.stdout.write(json.dumps(comparison.to_dict()) + "\n")
        return
    label = f"intervention {intervention}" if intervention else "changes"
    stdout.print(Text(f"{loaded.name}: {label}, {runs:,} paired runs, seed {seed}, "
                      f"{comparison.horizon} weeks", style="bold"))
    for path, value in changes.items():
        stdout.print(Text(f"  {path} = {short_value(value)}"))
    stdout.print(_difference_table(
        "Outcomes", "outcome",
        [(name, None, difference) for name, difference in comparison.outcomes.items()]))
    by_week = {q.id: q.by_week for q in comparison.baseline.scenario.questions}
    if comparison.questions:
        stdout.print(_difference_table(
            "Forecast questions", "question",
            [(qid, f"week {by_week[qid]} ({week_date(comparison.baseline, by_week[qid])})",
              difference) for qid, difference in comparison.questions.items()]))
    stdout.print(Text("* the 95% interval of the paired difference excludes 0; runs +/-: runs"
                      " where the event happens only with / only without the change; VR:"
                      " variance reduction from common random numbers."))
