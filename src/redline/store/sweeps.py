"""Sweeps in the results database: what was planned, and whether all of it was stored.

``redline sweep`` stores each cell of its grid as a run, in its own
transaction, as the cell finishes (table ``sweep_cells``). Before the first
cell runs it records the sweep itself (table ``sweeps``): its grid and its
number of cells. A sweep is complete exactly when every planned cell is
stored, so an interrupted or killed sweep, whose first cells are stored and
whose others are not, is shown as incomplete (:func:`list_sweeps`); nothing has
to be written at the end for that, and nothing can claim more than was stored.
"""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path
from typing import Any

import pandas as pd

from redline.store.duckdb_store import connect, has_table


def begin_sweep(db_path: str | Path, sweep_id: str, scenario: str,
                grid: list[tuple[str, list[Any]]], runs: int, seed: int) -> None:
    """Record a sweep before its first cell runs.

    Parameters
    ----------
    db_path : str or Path
        The database file, created with its tables if missing.
    sweep_id : str
        The sweep's id (``sweep_cells.sweep_id`` of its cells).
    scenario : str
        The scenario's name.
    grid : list of (str, list)
        Each path with its values; the sweep runs every combination.
    runs, seed : int
        The runs and the seed of every cell.

    """
    cells = 1
    for _, values in grid:
        cells *= len(values)
    with connect(db_path) as connection:
        connection.execute(
            "INSERT INTO sweeps VALUES (?, ?, ?, ?, ?, ?, ?)",
            [sweep_id, dt.datetime.now(dt.UTC).replace(tzinfo=None), scenario,
             json.dumps(dict(grid)), cells, int(runs), int(seed)])


def list_sweeps(db_path: str | Path) -> pd.DataFrame:
    """The sweeps of a database, newest first, with how many of their cells are stored.

    Parameters
    ----------
    db_path : str or Path
        The database file.

    Returns
    -------
    DataFrame
        One row per sweep: ``sweep_id``, ``created`` (UTC), ``scenario``,
        ``grid`` (JSON: path -> values), ``runs``, ``cells`` (planned),
        ``stored`` (cells stored) and ``complete`` (every planned cell is
        stored). A sweep stored by a redline that did not record its plan has
        ``cells`` and ``complete`` missing.

    Raises
    ------
    redline.store.StoreError
        The file is missing or not a redline database.

    """
    with connect(db_path, read_only=True) as connection:
        planned = has_table(connection, "sweeps")
        live = ("WHERE c.run_id NOT IN (SELECT id FROM deleted_runs)"
                if has_table(connection, "deleted_runs") else "")
        stored = f"SELECT sweep_id, count(*) AS stored FROM sweep_cells c {live} GROUP BY sweep_id"
        if planned:
            query = f"""
                SELECT s.sweep_id, s.created, s.scenario, s.grid, s.runs, s.cells,
                       coalesce(c.stored, 0) AS stored
                FROM sweeps s LEFT JOIN ({stored}) c USING (sweep_id)
                UNION ALL
                SELECT c.sweep_id, NULL, NULL, NULL, NULL, NULL, c.stored
                FROM ({stored}) c WHERE c.sweep_id NOT IN (SELECT sweep_id FROM sweeps)"""
        else:
            query = f"""SELECT sweep_id, NULL AS created, NULL AS scenario, NULL AS grid,
                               NULL AS runs, NULL AS cells, stored FROM ({stored})"""
        frame = connection.execute(
            f"SELECT * FROM ({query}) ORDER BY created DESC NULLS LAST, sweep_id").df()
    frame["complete"] = (frame["stored"] == frame["cells"]).where(frame["cells"].notna())
    return frame
