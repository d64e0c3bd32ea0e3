"""Shared pieces of the command line: consoles, the app, shared options and helpers.

Every name here is public, for the command modules to import; a helper that
only one command uses lives, private, in that command's module.
"""

from __future__ import annotations

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
from redline.history.icb import ICBData, ICBDataError, load_icb
from redline.report import format_interval, format_probability
from redline.report.markdown import redline_version
from redline.results import Estimate
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
#: The ICB files of the backtest and the estimate (default: the shipped ones).
Icb1Option = Annotated[Path | None, typer.Option(
    "--icb1", dir_okay=False, help="System-level ICB CSV (default: the shipped v15).")]
Icb2Option = Annotated[Path | None, typer.Option(
    "--icb2", dir_okay=False, help="Actor-level ICB CSV (default: the shipped v15).")]

# ------------------------------------------------------------------- helpers


def fail(lines: str | Sequence[str], code: int = EXIT_USAGE) -> NoReturn:
    """Print the error lines on stderr, unwrapped and unstyled, and exit."""
    for line in [lines] if isinstance(lines, str) else lines:
        typer.echo(line, err=True)
    raise typer.Exit(code)


def load_or_fail(name_or_path: str) -> tuple[Scenario, Path]:
    """Resolve and load a scenario, or exit with every issue found."""
    try:
        path = resolve(name_or_path)
        return load_scenario(path), path
    except ScenarioError as error:
        fail(error.format().splitlines())
    except OSError as error:
        fail(f"{name_or_path}: cannot read the scenario: {error}")


def plain_table(title: str | None, columns: Sequence[str], rows: Sequence[Sequence[Any]],
                right: Sequence[str] = ()) -> Table:
    """Build a Rich table whose cells are plain text (never read as Rich markup)."""
    table = Table(title=Text(title, style="bold") if title else None, title_justify="left")
    for column in columns:
        table.add_column(column, justify="right" if column in right else "left",
                         overflow="fold")
    for row in rows:
        table.add_row(*(Text("" if cell is None else str(cell)) for cell in row))
    return table


def icb_data(icb1: Path | None = None, icb2: Path | None = None) -> ICBData:
    """The ICB crises (the shipped v15, or the files given), or exit 2 with what is wrong."""
    try:
        return load_icb(icb1, icb2)
    except ICBDataError as error:
        fail(f"error: {error}")


def check_output_path(path: Path | None, what: str) -> None:
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
        fail(f"error: {what}: {error}")


def check_store(db: Path) -> None:
    """Refuse, before any work, a database a result could not be stored in.

    A path, file or setting the user gave that cannot work is exit 2; a
    database another process held beyond ``REDLINE_DB_WAIT`` is exit 1.
    """
    try:
        check_storable(db)
    except StoreBusy as error:
        fail(f"error: {error}", EXIT_FAILURE)
    except StoreError as error:
        fail(f"error: {error}")


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
def progress_bar(enabled: bool, label: str) -> Iterator[Callable[[int, int], None] | None]:
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


def probability_cells(estimate: Estimate) -> list[str]:
    """A probability and its 95% interval, as two table cells."""
    return [format_probability(estimate.p), format_interval(estimate)]


def short_value(value: Any) -> str:
    """A value on one short line: floats to six significant digits, lists in brackets."""
    if isinstance(value, list | tuple):
        return "[" + ", ".join(short_value(item) for item in value) + "]"
    if isinstance(value, float):
        return f"{value:.6g}"
    return str(value)


def json_default(value: Any) -> Any:
    """``json.dumps``'s ``default``: NumPy arrays and scalars as lists and numbers."""
    if hasattr(value, "tolist"):
        return value.tolist()
    raise TypeError(f"not JSON serialisable: {type(value).__name__}")


def check_executor(workers: int | None, scheduler: str | None) -> None:
    """Refuse --workers with --scheduler, or a scheduler that is not an address."""
    if workers is not None and scheduler is not None:
        fail("error: give --workers or --scheduler, not both")
    if scheduler is not None and not scheduler.startswith(("tcp://", "tls://", "inproc://")):
        fail(f"error: --scheduler must be an address such as tcp://host:8786, got {scheduler!r}")


@contextmanager
def executor_for(workers: int | None, scheduler: str | None) -> Iterator[Executor | None]:
    """A Dask executor for --workers / --scheduler, or None to run chunks here."""
    if workers is None and scheduler is None:
        yield None
        return
    with DaskExecutor(workers=workers, scheduler=scheduler) as executor:
        yield executor
