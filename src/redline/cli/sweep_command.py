"""The sweep commands: the ensemble at every cell of a parameter grid, stored; the sweeps stored.

A sweep is recorded (table ``sweeps``) before its first cell runs, so that
one interrupted or killed part way is listed as incomplete by ``redline sweeps``.
"""

from __future__ import annotations

import json
import sys
import uuid
from pathlib import Path
from typing import Annotated, Any

import duckdb
import pandas as pd
import typer
from rich.text import Text

from redline.analysis.sweep import (
    GridError,
    check_cells,
    check_grid_size,
    grid_cells,
    parse_grid,
    sweep,
)
from redline.cli.common import (
    EXIT_FAILURE,
    DbOption,
    JsonOption,
    RunsOption,
    ScenarioArgument,
    SchedulerOption,
    SeedOption,
    WorkersOption,
    app,
    check_executor,
    check_output_path,
    check_store,
    executor_for,
    fail,
    load_or_fail,
    plain_table,
    progress_bar,
    stdout,
)
from redline.engine.run import check_run_arguments
from redline.report import format_probability
from redline.store import DEFAULT_DB, StoreError, begin_sweep, list_sweeps, save_result


@app.command("sweep")
def sweep_command(
    scenario: ScenarioArgument,
    grid: Annotated[list[str], typer.Option(
        "--grid", help="PATH=v1,v2,... (repeatable; every combination is run).")],
    runs: RunsOption = 10_000,
    seed: SeedOption = 0,
    db: DbOption = Path(DEFAULT_DB),
    workers: WorkersOption = None,
    scheduler: SchedulerOption = None,
    json_output: JsonOption = False,
) -> None:
    """Run the scenario at every cell of a parameter grid and store every cell in the database.

    Each cell is a stored run, tagged with the sweep id in the table ``sweep_cells``.
    """
    try:
        check_run_arguments(runs, seed, None, None)
        parsed = [parse_grid(text) for text in grid]
        cells = check_grid_size(parsed, runs)
    except (ValueError, GridError) as error:
        fail(f"error: {error}")
    check_executor(workers, scheduler)
    check_output_path(db, "the database path")
    loaded, path = load_or_fail(scenario)
    try:
        check_cells(loaded, grid_cells(parsed))
    except GridError as error:
        fail(f"error: {error}")
    check_store(db)
    sweep_id = uuid.uuid4().hex[:12]
    rows: list[dict[str, Any]] = []
    try:
        begin_sweep(db, sweep_id, loaded.name, parsed, runs, seed)
        with executor_for(workers, scheduler) as executor, \
                progress_bar(not json_output, f"sweeping {loaded.name}") as progress:
            for cell, result in sweep(loaded, parsed, runs, seed, executor=executor,
                                      progress=progress):
                run_id = save_result(result, db, path.read_text(encoding="utf-8"),
                                     sweep=(sweep_id, cell))
                rows.append({"cell": cell, "run_id": run_id,
                             "outcomes": {k: v.p for k, v in result.outcomes.items()}})
    except (StoreError, duckdb.Error, OSError) as error:
        fail([f"error: could not store the sweep in {db}: {error}",
               _incomplete(sweep_id, len(rows), cells)], EXIT_FAILURE)
    except KeyboardInterrupt:
        fail(f"interrupted: {_incomplete(sweep_id, len(rows), cells)}", 130)
    if json_output:
        sys.stdout.write(json.dumps({"sweep_id": sweep_id, "cells": rows}) + "\n")
        return
    outcomes = list(rows[0]["outcomes"]) if rows else []
    stdout.print(plain_table(
        f"Sweep {sweep_id} of {loaded.name}: {len(rows)} cells, {runs:,} runs each",
        ["cell", "run", *outcomes],
        [["; ".join(f"{k}={v}" for k, v in row["cell"].items()), row["run_id"],
          *[format_probability(row["outcomes"][name]) for name in outcomes]] for row in rows],
        right=outcomes,
    ))
    stdout.print(Text(f"stored in {db} (table sweep_cells, sweep_id = '{sweep_id}')"))


def _incomplete(sweep_id: str, stored: int, cells: int) -> str:
    """What an unfinished sweep left, in one sentence."""
    return (f"sweep {sweep_id} is incomplete: {stored} of {cells} cells stored"
            " (`redline sweeps` lists it as such)")


@app.command("sweeps")
def list_stored_sweeps(db: DbOption = Path(DEFAULT_DB), json_output: JsonOption = False) -> None:
    """List the sweeps stored in the results database, newest first, and which are incomplete.

    A sweep is complete when every cell of its grid is stored; one interrupted or
    killed part way has only its first cells.
    """
    try:
        frame = list_sweeps(db)
    except StoreError as error:
        fail(f"error: {error}", EXIT_FAILURE)
    if json_output:
        typer.echo(frame.to_json(orient="records", date_format="iso", indent=2))
        return
    if frame.empty:
        stdout.print(Text(f"no sweeps stored in {db}"))
        return
    frame = frame.astype(object).where(frame.notna(), None)  # missing: an empty cell
    stdout.print(plain_table(
        f"Sweeps in {db}",
        ["sweep", "created (UTC)", "scenario", "runs per cell", "cells stored", "status", "grid"],
        [[row.sweep_id, "" if pd.isna(row.created) else f"{row.created:%Y-%m-%d %H:%M:%S}",
          row.scenario, row.runs, _stored(row.stored, row.cells), _status(row.complete),
          row.grid]
         for row in frame.itertuples(index=False)],
        right=["runs per cell", "cells stored"],
    ))


def _stored(stored: int, cells: Any) -> str:
    return f"{stored}" if pd.isna(cells) else f"{stored} of {cells}"


def _status(complete: Any) -> str:
    """complete, INCOMPLETE, or unknown (a sweep stored before its plan was recorded)."""
    if pd.isna(complete):
        return "unknown (no plan recorded)"
    return "complete" if complete else "INCOMPLETE"
