"""Commands about scenarios: validate, schema, list, show."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.table import Table
from rich.text import Text

from redline.analysis.resolutions import load_resolutions, resolution_warnings
from redline.cli.common import (
    EXIT_FAILURE,
    EXIT_USAGE,
    ScenarioArgument,
    app,
    fail,
    load_or_fail,
    plain_table,
    stdout,
)
from redline.report.describe import describe_condition, describe_policy
from redline.scenario.distributions import describe
from redline.scenario.errors import Issue, ScenarioError
from redline.scenario.loader import load_scenario
from redline.scenario.models import RedLine, Scenario
from redline.scenario.pitfalls import file_warnings
from redline.scenario.schema import json_schema
from redline.scenarios import RESOLUTIONS_SUFFIX, builtin_names, builtin_resolutions, resolve

# ------------------------------------------------------------------ commands


@app.command()
def validate(
    files: Annotated[
        list[str], typer.Argument(help="Scenario files (or built-in names) to check; a file "
                                  "NAME.resolutions.yaml is checked against NAME.yaml beside it.")
    ],
) -> None:
    """Check scenario files; print every problem with its file, line and column.

    Also warns (without failing) about numbers outside the documented ranges of
    their units (docs/scales.md), decision parameters fixed without a source,
    red lines crossed at the start or applied to their owner, and deadlines past
    the horizon. A resolutions file (``NAME.resolutions.yaml``, or the one a
    built-in scenario ships) is checked against its scenario, with a warning
    for an outcome dated after its deadline.
    """
    failed = False
    for name in files:
        try:
            _validate_one(name)
        except ScenarioError as error:
            failed = True
            for line in error.format().splitlines():
                typer.echo(line, err=True)
    if failed:
        raise typer.Exit(EXIT_USAGE)


def _validate_one(name: str) -> None:
    """Check one scenario or resolutions file and print what it holds; raise on errors."""
    path = resolve(name)
    if path.name.endswith(RESOLUTIONS_SUFFIX):
        scenario_path = path.with_name(path.name.removesuffix(RESOLUTIONS_SUFFIX) + ".yaml")
        if not scenario_path.is_file():
            raise ScenarioError([Issue(str(path), 1, 1, "no scenario beside this resolutions "
                                       "file", f"its scenario at {scenario_path}")])
        _check_resolutions(path, load_scenario(scenario_path), name)
        return
    scenario = load_scenario(path)
    for warning in file_warnings(path, scenario):
        typer.echo(warning.format(), err=True)
    typer.echo(f"ok: {name} (scenario {scenario.name}: {_inventory(scenario)})")
    shipped = builtin_resolutions(name)
    if shipped is not None:
        _check_resolutions(shipped, scenario, f"{name} resolutions")


def _check_resolutions(path: Path, scenario: Scenario, name: str) -> None:
    """Check a resolutions file against ``scenario``; print its warnings and a summary."""
    for warning in resolution_warnings(path, scenario):
        typer.echo(warning.format(), err=True)
    count = len(load_resolutions(path, scenario))
    typer.echo(f"ok: {name} ({count} resolutions of scenario {scenario.name}'s "
               f"{len(scenario.questions)} questions)")


@app.command()
def schema() -> None:
    """Print the JSON Schema of the scenario language."""
    typer.echo(json.dumps(json_schema(), indent=2))


@app.command("list")
def list_scenarios() -> None:
    """List the built-in scenarios."""
    rows: list[list[object]] = []
    broken: list[str] = []
    for name in builtin_names():
        try:
            scenario = load_scenario(resolve(name))
        except ScenarioError as error:
            broken.append(error.format())
            rows.append([name, "(invalid: see the errors below)", "", "", "", ""])
            continue
        rows.append(
            [name, scenario.title or "", scenario.start.isoformat(), scenario.horizon,
             len(scenario.actors), len(scenario.questions)]
        )
    stdout.print(
        plain_table("Built-in scenarios",
               ["name", "title", "start", "horizon (weeks)", "actors", "questions"], rows,
               right=["horizon (weeks)", "actors", "questions"])
    )
    if broken:
        fail(broken, EXIT_FAILURE)


@app.command()
def show(scenario: ScenarioArgument) -> None:
    """Summarise a scenario: actors, ladder, red lines, fronts, policies, questions, evidence."""
    loaded, path = load_or_fail(scenario)
    for part in _describe_scenario(loaded, path):
        stdout.print(part)
        stdout.print()


def _describe_scenario(s: Scenario, path: Path) -> Iterator[Table | Text]:
    """Yield the printable parts of ``redline show``."""
    header = Text(f"{s.name}", style="bold")
    if s.title:
        header.append(f": {s.title}")
    header.append(
        f"\nstart {s.start.isoformat()}, horizon {s.horizon} weeks"
        f" (to {_date_after(s, s.horizon)}), file {path}"
    )
    if s.description:
        header.append("\n\n" + s.description.strip())
    yield header
    yield plain_table(
        "Actors",
        ["id", "name", "capability", "nuclear", "great power", "resolve", "war cost",
         "optimism", "stability", "initial posture"],
        [
            [aid, a.name, describe(a.capability), _yes(a.nuclear), _yes(a.great_power),
             describe(a.resolve), describe(a.war_cost), describe(a.optimism),
             describe(a.stability), a.initial_posture or "-"]
            for aid, a in s.actors.items()
        ],
    )
    motives = [(aid, a.reprisal) for aid, a in s.actors.items() if a.reprisal is not None]
    if motives:
        yield plain_table("Reprisal motives", ["actor", "bonus", "weeks", "provoked at start"],
                          [[aid, describe(x.bonus), str(x.weeks), _yes(x.at_start)]
                           for aid, x in motives])
    yield plain_table("Sides", ["leader", "members"],
                 [[leader, ", ".join(members)] for leader, members in s.sides.items()])
    if s.support:
        yield plain_table("Support", ["by", "to", "level"],
                     [[x.by, x.to, describe(x.level)] for x in s.support])
    yield plain_table(
        "Escalation ladder",
        ["rung", "label", "severity", "effect", "cost", "harm", "users", "needs permission",
         "ends run"],
        [
            [r.id, r.label or "", f"{r.severity:g}", describe(r.effect), describe(r.cost),
             describe(r.harm), ", ".join(r.users) if r.users else "all",
             ", ".join(r.needs_permission_from) or "-", r.outcome or "-"]
            for r in s.ladder
        ],
    )
    if s.red_lines:
        yield plain_table(
            "Red lines",
            ["id", "owner", "applies to", "declared at", "tolerated", "true threshold",
             "response", "follow-through", "observers' priors"],
            [
                [x.id, x.owner, ", ".join(x.applies_to), x.declared_at, x.tolerated or "-",
                 describe(x.threshold),
                 _responses(x), describe(x.follow_through), _mapping(x.priors) or "-"]
                for x in s.red_lines
            ],
        )
    if s.fronts:
        yield plain_table(
            "Fronts",
            ["id", "attacker", "defender", "forces", "control", "open", "diverts"],
            [
                [fid, f.attacker, f.defender, _mapping(f.forces), describe(f.control),
                 _yes(f.active), _mapping(f.diverts) or "-"]
                for fid, f in s.fronts.items()
            ],
        )
    if s.deployments:
        yield plain_table(
            "Deployments",
            ["id", "actor", "front", "side", "strength", "exists", "under way",
             "weeks to combat"],
            [
                [d.id, d.actor, d.front, d.side, describe(d.strength), describe(d.exists),
                 _yes(d.active), describe(d.combat_delay_weeks)]
                for d in s.deployments
            ],
        )
    if s.pressures:
        yield plain_table(
            "Economic pressure",
            ["id", "by", "target", "weekly cost", "in force at the start"],
            [[qid, ", ".join(q.by), q.target, describe(q.cost), _yes(q.active)]
             for qid, q in s.pressures.items()],
        )
    if s.policies:
        yield plain_table(
            "Policies",
            ["id", "actor", "rule", "description"],
            [[p.id, p.actor or "-", describe_policy(p), p.description or ""]
             for p in s.policies],
        )
    if s.commitments:
        yield plain_table(
            "Commitments (history behind trust)",
            ["by", "to", "what", "year", "kept"],
            [[c.by, c.to, c.what, c.year or "", _yes(c.kept)] for c in s.commitments],
        )
    if s.questions:
        yield plain_table(
            "Forecast questions",
            ["id", "text", "event", "deadline"],
            [
                [q.id, q.text or "", describe_condition(q.event),
                 (f"weeks {q.from_week}-{q.by_week} ({_date_after(s, q.from_week)} to "
                  f"{_date_after(s, q.by_week)})") if q.from_week
                 else f"week {q.by_week} ({_date_after(s, q.by_week)})"]
                for q in s.questions
            ],
        )
    if s.hypotheses:
        yield plain_table(
            "Hypotheses",
            ["id", "prior", "description", "overlay"],
            [
                [h.id, f"{h.prior:g}", h.description or "",
                 "; ".join(f"{key} = {json.dumps(value, default=str)}"
                           for key, value in h.overlay.items())]
                for h in s.hypotheses
            ],
        )
    if s.observations:
        yield plain_table(
            "Observations (evidence)",
            ["id", "event", "by week", "observed", "reliability", "source"],
            [
                [o.id, describe_condition(o.event), o.by_week, _yes(o.observed),
                 f"{o.reliability:g}", o.source or ""]
                for o in s.observations
            ],
        )
    if s.interventions:
        yield plain_table(
            "Interventions (redline compare SCENARIO -i ID)",
            ["id", "description", "changes"],
            [
                [i.id, i.description or "",
                 "; ".join(f"{key} = {json.dumps(value, default=str)}"
                           for key, value in i.set.items())]
                for i in s.interventions
            ],
        )


# ------------------------------------------------------------------- helpers


def _date_after(scenario: Scenario, week: int) -> str:
    """Return the ISO date ``week`` weeks after the scenario's start."""
    return (scenario.start + dt.timedelta(weeks=week)).isoformat()


def _plural(count: int, word: str, plural: str | None = None) -> str:
    return f"{count} {word if count == 1 else plural or word + 's'}"


def _inventory(scenario: Scenario) -> str:
    """Count the parts of a scenario in one phrase."""
    return ", ".join(
        [
            _plural(len(scenario.actors), "actor"),
            _plural(len(scenario.ladder), "rung"),
            _plural(len(scenario.red_lines), "red line"),
            _plural(len(scenario.fronts), "front"),
            *([_plural(len(scenario.pressures), "economic pressure")] if scenario.pressures
              else []),
            _plural(len(scenario.policies), "policy", "policies"),
            _plural(len(scenario.questions), "question"),
            _plural(len(scenario.hypotheses), "hypothesis", "hypotheses"),
            _plural(len(scenario.observations), "observation"),
        ]
    )


def _yes(flag: bool) -> str:
    return "yes" if flag else "no"


def _mapping(values: dict[str, Any]) -> str:
    return ", ".join(f"{key}: {describe(value)}" for key, value in values.items())


def _responses(line: RedLine) -> str:
    """A red line's response and fallback, its graded schedule, and a self-limit's cost."""
    def answer(response: str, fallback: str | None) -> str:
        return response + (f" (else {fallback})" if fallback else "")

    text = "; ".join([answer(line.response, line.fallback),
                      *(f"from {entry.at}: {answer(entry.response, entry.fallback)}"
                        for entry in line.responses)])
    if line.owner in line.applies_to:
        cost = (describe(line.audience_cost) if line.audience_cost is not None
                else f"harm of {line.response}")
        text += f"; own pledge, audience cost {cost}"
    return text
