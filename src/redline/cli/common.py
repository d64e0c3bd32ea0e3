"""Shared pieces of the command line: consoles, the app, shared options and helpers."""

from __future__ import annotations

import datetime as dt
import sys
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Annotated, Any, NoReturn

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

from redline import destinations
from redline.engine.executors import DaskExecutor, Executor
from redline.report import format_interval, format_probability
from redline.report.markdown import redline_version
from redline.results import Estimate
from redline.scenario.distributions import describe
from redline.scenario.errors import ScenarioError
from redline.scenario.loader import load_scenario
from redline.scenario.models import Scenario
from redline.scenarios import resolve
from redline.store.duckdb_store import MAX_SEED, StoreBusy, StoreError, check_storable

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
    """Refuse an output path that can never be written, before any work is done.

    The path is followed to what it names (:func:`redline.destinations.resolve`):
    a directory, a socket, a block device, a loop of links, or a file whose
    folder this process cannot write is one line on stderr and exit 2.
    """
    if path is None:
        return
    try:
        destinations.check_writable(destinations.resolve(path))
    except OSError as error:
        _fail(f"error: {what}: {error}")


def _check_store(db: Path) -> None:
    """Refuse, before any work, a database a result could not be stored in.

    A path, file or setting the user gave that cannot work is exit 2; a
    database another process held beyond ``REDLINE_DB_WAIT`` is exit 1.
    """
    try:
        check_storable(db)
    except StoreBusy as error:
        _fail(f"error: {error}", EXIT_FAILURE)
    except StoreError as error:
        _fail(f"error: {error}")


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


WorkersOption = Annotated[
    int | None,
    typer.Option("--workers", min=1, max=1024,
                 help="Run chunks on a local Dask cluster of this many worker processes."),
]
SchedulerOption = Annotated[
    str | None,
    typer.Option("--scheduler", help="Run chunks on an existing Dask cluster "
                 "(tcp://HOST:PORT); its workers need the same redline installed."),
]


def _check_executor(workers: int | None, scheduler: str | None) -> None:
    """Refuse --workers with --scheduler, or a scheduler that is not an address."""
    if workers is not None and scheduler is not None:
        _fail("error: give --workers or --scheduler, not both")
    if scheduler is not None and not scheduler.startswith(("tcp://", "tls://", "inproc://")):
        _fail(f"error: --scheduler must be an address such as tcp://host:8786, got {scheduler!r}")


@contextmanager
def _executor(workers: int | None, scheduler: str | None) -> Iterator[Executor | None]:
    """A Dask executor for --workers / --scheduler, or None to run chunks here."""
    if workers is None and scheduler is None:
        yield None
        return
    with DaskExecutor(workers=workers, scheduler=scheduler) as executor:
        yield executor
