"""The ``redline`` command line: a thin layer over the library.

Each command loads, runs or reads through the library and prints with Rich;
nothing here computes. Errors in what the user gave (a bad scenario file, an
unknown name, an out-of-range flag) are one clear message each on stderr and
exit status 2, before any work is done and without writing anything; a
missing results database is exit status 1. Flags shared by several commands
(``--runs``, ``--seed``, ``--horizon``, ``--chunk-size``, ``--db``,
``--json``) are defined once below.
"""

from __future__ import annotations

import datetime as dt
import json
import sys
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Annotated, Any, NoReturn

import duckdb
import typer
from rich.console import Console
from rich.progress import (
    BarColumn,
    Progress,
    TaskProgressColumn,
    TextColumn,
    TimeElapsedColumn,
    TimeRemainingColumn,
)
from rich.table import Table
from rich.text import Text

import redline
from redline.engine.results import EnsembleResult, Estimate
from redline.engine.run import check_run_arguments
from redline.report import format_interval, format_probability, markdown_report
from redline.report.describe import describe_condition, describe_policy
from redline.report.files import write_text_atomic
from redline.report.markdown import OUTCOME_MEANINGS, redline_version, week_date
from redline.scenario.distributions import describe
from redline.scenario.errors import ScenarioError
from redline.scenario.loader import load_scenario
from redline.scenario.models import OUTCOMES, Scenario
from redline.scenario.schema import json_schema
from redline.scenarios import builtin_names, resolve
from redline.store import DEFAULT_DB, StoreError, list_runs, save_result
from redline.store.duckdb_store import MAX_SEED
from redline.verify.registry import SUITES, run_checks

#: Exit status for input the user must fix (bad file, name or flag).
EXIT_USAGE = 2
#: Exit status for a failure that is not the input's fault (missing database, I/O).
EXIT_FAILURE = 1

#: Width of tables written to a pipe or file (a terminal sets its own).
PIPE_WIDTH = 140

stdout = Console(highlight=False, width=None if sys.stdout.isatty() else PIPE_WIDTH)
stderr = Console(stderr=True, highlight=False)

app = typer.Typer(
    name="redline",
    help="Model, simulate and forecast international crises as a Monte Carlo ensemble.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)

# ------------------------------------------------------------ shared options

ScenarioArgument = Annotated[
    str, typer.Argument(help="A built-in scenario name (see `redline list`) or a YAML file.")
]
RunsOption = Annotated[
    int, typer.Option("--runs", "-n", min=1, help="Number of Monte Carlo runs.")
]
SeedOption = Annotated[
    int,
    typer.Option(
        "--seed", "-s", min=0, max=MAX_SEED,
        help="Root seed: the same scenario, seed and runs give the same numbers.",
    ),
]
HorizonOption = Annotated[
    int | None,
    typer.Option("--horizon", min=1, help="Weeks to simulate (default: the scenario's horizon)."),
]
ChunkSizeOption = Annotated[
    int | None,
    typer.Option(
        "--chunk-size", min=1,
        help="Runs simulated together, bounding memory (default: chosen by the engine).",
    ),
]
DbOption = Annotated[
    Path, typer.Option("--db", dir_okay=False, help="Results database file (DuckDB).")
]
JsonOption = Annotated[
    bool, typer.Option("--json", help="Print one JSON document on stdout instead of tables.")
]

# ------------------------------------------------------------------- helpers


def _fail(lines: str | Sequence[str], code: int = EXIT_USAGE) -> NoReturn:
    """Print the error lines on stderr, unwrapped and unstyled, and exit."""
    for line in [lines] if isinstance(lines, str) else lines:
        typer.echo(line, err=True)
    raise typer.Exit(code)


def _load(name_or_path: str) -> tuple[Scenario, Path]:
    """Resolve and load a scenario, or exit with every issue found."""
    try:
        path = resolve(name_or_path)
        return load_scenario(path), path
    except ScenarioError as error:
        _fail(error.format().splitlines())
    except OSError as error:
        _fail(f"{name_or_path}: cannot read the scenario: {error}")


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
            _plural(len(scenario.policies), "policy", "policies"),
            _plural(len(scenario.questions), "question"),
            _plural(len(scenario.hypotheses), "hypothesis", "hypotheses"),
            _plural(len(scenario.observations), "observation"),
        ]
    )


def _table(title: str | None, columns: Sequence[str], rows: Sequence[Sequence[Any]],
           right: Sequence[str] = ()) -> Table:
    """Build a Rich table whose cells are plain text (never read as Rich markup)."""
    table = Table(title=Text(title, style="bold") if title else None, title_justify="left")
    for column in columns:
        table.add_column(column, justify="right" if column in right else "left",
                         overflow="fold")
    for row in rows:
        table.add_row(*(Text("" if cell is None else str(cell)) for cell in row))
    return table


def _yes(flag: bool) -> str:
    return "yes" if flag else "no"


def _mapping(values: dict[str, Any]) -> str:
    return ", ".join(f"{key}: {describe(value)}" for key, value in values.items())


def _check_output_path(path: Path | None, what: str) -> None:
    """Refuse an output path that can never be written, before any work is done."""
    if path is not None and path.is_dir():
        _fail(f"error: {what} {path} is a directory; give a file name")


def _version(value: bool) -> None:
    if value:
        typer.echo(f"redline {redline_version()}")
        raise typer.Exit()


@app.callback()
def _main(
    version: Annotated[
        bool,
        typer.Option("--version", callback=_version, is_eager=True,
                     help="Print the version and exit."),
    ] = False,
) -> None:
    """Model, simulate and forecast international crises as a Monte Carlo ensemble."""


# ------------------------------------------------------------------ commands


@app.command()
def validate(
    files: Annotated[
        list[str], typer.Argument(help="Scenario files (or built-in names) to check.")
    ],
) -> None:
    """Check scenario files; print every problem with its file, line and column."""
    failed = False
    for name in files:
        try:
            scenario = load_scenario(resolve(name))
        except ScenarioError as error:
            failed = True
            for line in error.format().splitlines():
                typer.echo(line, err=True)
            continue
        typer.echo(f"ok: {name} (scenario {scenario.name}: {_inventory(scenario)})")
    if failed:
        raise typer.Exit(EXIT_USAGE)


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
        _table("Built-in scenarios",
               ["name", "title", "start", "horizon (weeks)", "actors", "questions"], rows,
               right=["horizon (weeks)", "actors", "questions"])
    )
    if broken:
        _fail(broken, EXIT_FAILURE)


@app.command()
def show(scenario: ScenarioArgument) -> None:
    """Summarise a scenario: actors, ladder, red lines, fronts, policies, questions, evidence."""
    loaded, path = _load(scenario)
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
    yield _table(
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
    yield _table("Sides", ["leader", "members"],
                 [[leader, ", ".join(members)] for leader, members in s.sides.items()])
    if s.support:
        yield _table("Support", ["by", "to", "level"],
                     [[x.by, x.to, describe(x.level)] for x in s.support])
    yield _table(
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
        yield _table(
            "Red lines",
            ["id", "owner", "applies to", "declared at", "tolerated", "true threshold",
             "response", "follow-through", "observers' priors"],
            [
                [x.id, x.owner, ", ".join(x.applies_to), x.declared_at, x.tolerated or "-",
                 describe(x.threshold),
                 x.response + (f" (else {x.fallback})" if x.fallback else ""),
                 describe(x.follow_through), _mapping(x.priors) or "-"]
                for x in s.red_lines
            ],
        )
    if s.fronts:
        yield _table(
            "Fronts",
            ["id", "attacker", "defender", "forces", "control", "open", "diverts"],
            [
                [fid, f.attacker, f.defender, _mapping(f.forces), describe(f.control),
                 _yes(f.active), _mapping(f.diverts) or "-"]
                for fid, f in s.fronts.items()
            ],
        )
    if s.deployments:
        yield _table(
            "Deployments",
            ["id", "actor", "front", "side", "strength", "exists", "under way",
             "weeks to combat"],
            [
                [d.id, d.actor, d.front, d.side, describe(d.strength), describe(d.exists),
                 _yes(d.active), describe(d.combat_delay_weeks)]
                for d in s.deployments
            ],
        )
    if s.policies:
        yield _table(
            "Policies",
            ["id", "actor", "rule", "description"],
            [[p.id, p.actor or "-", describe_policy(p), p.description or ""]
             for p in s.policies],
        )
    if s.commitments:
        yield _table(
            "Commitments (history behind trust)",
            ["by", "to", "what", "year", "kept"],
            [[c.by, c.to, c.what, c.year or "", _yes(c.kept)] for c in s.commitments],
        )
    if s.questions:
        yield _table(
            "Forecast questions",
            ["id", "text", "event", "deadline"],
            [
                [q.id, q.text or "", describe_condition(q.event),
                 f"week {q.by_week} ({_date_after(s, q.by_week)})"]
                for q in s.questions
            ],
        )
    if s.hypotheses:
        yield _table(
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
        yield _table(
            "Observations (evidence)",
            ["id", "event", "by week", "observed", "reliability", "source"],
            [
                [o.id, describe_condition(o.event), o.by_week, _yes(o.observed),
                 f"{o.reliability:g}", o.source or ""]
                for o in s.observations
            ],
        )


@contextmanager
def _progress(enabled: bool, label: str) -> Iterator[Callable[[int, int], None] | None]:
    """Yield a ``progress(done, total)`` callback drawing a bar on stderr, or None."""
    if not enabled:
        yield None
        return
    with Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        TaskProgressColumn(),
        TextColumn("{task.fields[run_weeks]}"),
        TimeElapsedColumn(),
        TimeRemainingColumn(),
        console=stderr,
    ) as progress:
        task = progress.add_task(label, total=None, run_weeks="")

        def advance(done: int, total: int) -> None:
            progress.update(
                task, completed=done, total=total, run_weeks=f"{done:,}/{total:,} run-weeks"
            )

        yield advance


def _p_cells(estimate: Estimate) -> list[str]:
    return [format_probability(estimate.p), format_interval(estimate)]


def _print_result(result: EnsembleResult) -> None:
    """Print the outcome, question and ladder tables of a result."""
    s = result.scenario
    stdout.print(
        Text(
            f"{s.name}: {result.runs:,} runs, seed {result.seed}, {result.horizon} weeks"
            f" from {s.start.isoformat()} ({result.elapsed_seconds:.1f} s)",
            style="bold",
        )
    )
    stdout.print(
        _table(
            "Outcomes",
            ["outcome", "P", "95% interval", "meaning"],
            [[name, *_p_cells(result.outcomes[name]), OUTCOME_MEANINGS.get(name, "")]
             for name in OUTCOMES],
            right=["P", "95% interval"],
        )
    )
    if result.questions:
        by_week = {q.id: q.by_week for q in s.questions}
        stdout.print(
            _table(
                "Forecast questions",
                ["question", "by", "P", "95% interval"],
                [
                    [qid, f"week {by_week[qid]} ({week_date(result, by_week[qid])})",
                     *_p_cells(estimate)]
                    for qid, estimate in result.questions.items()
                ],
                right=["P", "95% interval"],
            )
        )
    if any(result.ladder_reached.values()):
        rungs = [r.id for r in s.ladder
                 if any(r.id in reached for reached in result.ladder_reached.values())]
        stdout.print(
            _table(
                "Escalation ladder: P(reached)",
                ["actor", *rungs],
                [
                    [actor] + [format_probability(reached[r].p) if r in reached else "-"
                               for r in rungs]
                    for actor, reached in result.ladder_reached.items()
                    if reached
                ],
                right=rungs,
            )
        )


@app.command()
def run(
    scenario: ScenarioArgument,
    runs: RunsOption = 10_000,
    seed: SeedOption = 0,
    horizon: HorizonOption = None,
    chunk_size: ChunkSizeOption = None,
    db: DbOption = Path(DEFAULT_DB),
    no_db: Annotated[
        bool, typer.Option("--no-db", help="Do not store the run in the database.")
    ] = False,
    json_output: JsonOption = False,
    markdown: Annotated[
        Path | None,
        typer.Option("--markdown", dir_okay=False, help="Also write a Markdown report here."),
    ] = None,
) -> None:
    """Simulate a scenario, print outcome and question probabilities, store the run."""
    try:
        check_run_arguments(runs, seed, horizon, chunk_size)
    except ValueError as error:
        _fail(f"error: {error}")
    _check_output_path(markdown, "the report path")
    if not no_db:
        _check_output_path(db, "the database path")
    loaded, path = _load(scenario)
    try:
        scenario_text: str | None = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError):
        scenario_text = None
    try:
        with _progress(not json_output, f"simulating {loaded.name}") as progress:
            result = redline.simulate(
                loaded, runs=runs, seed=seed, horizon=horizon, chunk_size=chunk_size,
                progress=progress,
            )
    except ValueError as error:
        _fail(f"error: {error}")
    except KeyboardInterrupt:
        _fail("interrupted: nothing was stored", 130)

    run_id = None
    if not no_db:
        try:
            run_id = save_result(result, db, scenario_text)
        except (StoreError, duckdb.Error, OSError) as error:
            _fail(f"error: could not store the run in {db}: {error}", EXIT_FAILURE)
    if markdown is not None:
        try:
            write_text_atomic(markdown, markdown_report(result, run_id=run_id))
        except OSError as error:
            _fail(f"error: could not write the report {markdown}: {error}", EXIT_FAILURE)

    if json_output:
        sys.stdout.write(json.dumps(result.to_dict() | {"run_id": run_id}) + "\n")
        return
    _print_result(result)
    if run_id is not None:
        stdout.print(Text(f"stored run {run_id} in {db}"))
    if markdown is not None:
        stdout.print(Text(f"report written to {markdown}"))


@app.command("runs")
def list_stored_runs(db: DbOption = Path(DEFAULT_DB), json_output: JsonOption = False) -> None:
    """List the runs stored in the results database, newest first."""
    try:
        frame = list_runs(db)
    except StoreError as error:
        _fail(f"error: {error} (store a run with `redline run SCENARIO --db {db}`)",
              EXIT_FAILURE)
    if json_output:
        typer.echo(frame.to_json(orient="records", date_format="iso", indent=2))
        return
    if frame.empty:
        stdout.print(Text(f"no runs stored in {db}"))
        return
    stdout.print(
        _table(
            f"Runs in {db}",
            ["id", "created (UTC)", "scenario", "runs", "seed", "horizon", "settlement",
             "great-power war", "nuclear use", "seconds"],
            [
                [row.id, f"{row.created:%Y-%m-%d %H:%M:%S}", row.scenario, f"{row.runs:,}",
                 row.seed, row.horizon, format_probability(row.settlement),
                 format_probability(row.great_power_war), format_probability(row.nuclear_use),
                 f"{row.elapsed_seconds:.1f}"]
                for row in frame.itertuples(index=False)
            ],
            right=["runs", "seed", "horizon", "settlement", "great-power war", "nuclear use",
                   "seconds"],
        )
    )


@app.command()
def verify(
    suite: Annotated[
        list[str] | None,
        typer.Option("--suite", help="Run only this suite (repeatable): "
                     + ", ".join(SUITES) + "."),
    ] = None,
    json_output: JsonOption = False,
) -> None:
    """Reproduce every published result and closed form the mechanisms rest on.

    Prints name, source, published value, ours, tolerance and pass for each
    check; exits 1 if any fails.
    """
    try:
        with stderr.status("verifying") as status:
            checks = run_checks(suite, progress=lambda name: status.update(
                f"verifying: {name}") if not json_output else None)
    except KeyError as error:
        _fail(f"error: {error.args[0]}")
    failed = [check for check in checks if not check.passed]
    if json_output:
        typer.echo(json.dumps({"checks": [check.to_dict() for check in checks],
                               "passed": len(checks) - len(failed), "failed": len(failed)},
                              indent=2, default=_json_default))
    else:
        stdout.print(_table(
            "Verification: published results and closed forms",
            ["check", "source", "published", "ours", "tolerance", "pass"],
            [[check.name, check.source, _short(check.published), _short(check.ours),
              f"{check.tolerance:g}" + (" (relative)" if check.relative else ""),
              "yes" if check.passed else "NO"] for check in checks],
        ))
        stdout.print(Text(f"{len(checks) - len(failed)} of {len(checks)} checks pass"))
    if failed:
        raise typer.Exit(EXIT_FAILURE)


def _short(value: Any) -> str:
    if isinstance(value, list | tuple):
        return "[" + ", ".join(_short(item) for item in value) + "]"
    if isinstance(value, float):
        return f"{value:.6g}"
    return str(value)


def _json_default(value: Any) -> Any:
    if hasattr(value, "tolist"):
        return value.tolist()
    raise TypeError(f"not JSON serialisable: {type(value).__name__}")


def main() -> None:
    """Run the command line (the ``redline`` console script)."""
    app(prog_name="redline")


if __name__ == "__main__":
    main()
