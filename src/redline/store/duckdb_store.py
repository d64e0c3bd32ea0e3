"""Ensemble results in a DuckDB database: one file, one transaction per run.

Every run is stored as one row of ``runs`` (what was run, how, and the JSON of
``redline run --json``) plus tidy rows in ``outcomes``, ``questions``,
``question_weeks``, ``outcome_weeks``, ``ladder_reached`` and
``trajectories``, so that runs can be compared with plain SQL. All rows of a
run are written in one transaction: a run is stored whole or not at all.
The schema is documented in ``docs/reference/database.md``.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import os
import re
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from importlib import metadata
from pathlib import Path
from typing import Any

import duckdb
import numpy as np
import pandas as pd

from redline.results import EnsembleResult

#: Version of the table layout below; stored in ``schema_info``.
SCHEMA_VERSION = 1

#: The default database file of the command line.
DEFAULT_DB = "redline.duckdb"
#: Seconds to wait for another process to release the database (``REDLINE_DB_WAIT``).
DEFAULT_LOCK_WAIT = 60.0

_TABLES = """
CREATE TABLE IF NOT EXISTS schema_info (
    version INTEGER NOT NULL
);
CREATE TABLE IF NOT EXISTS runs (
    id VARCHAR PRIMARY KEY,
    created TIMESTAMP NOT NULL,
    scenario VARCHAR NOT NULL,
    scenario_title VARCHAR,
    scenario_start DATE NOT NULL,
    scenario_sha256 VARCHAR NOT NULL,
    runs BIGINT NOT NULL CHECK (runs >= 1),
    seed BIGINT NOT NULL,
    horizon INTEGER NOT NULL CHECK (horizon >= 1),
    chunk_size BIGINT NOT NULL,
    redline_version VARCHAR NOT NULL,
    elapsed_seconds DOUBLE,
    scenario_json VARCHAR NOT NULL,
    scenario_text VARCHAR,
    result_json VARCHAR NOT NULL
);
CREATE TABLE IF NOT EXISTS outcomes (
    run_id VARCHAR NOT NULL REFERENCES runs (id),
    outcome VARCHAR NOT NULL,
    p DOUBLE NOT NULL CHECK (p BETWEEN 0 AND 1),
    lo DOUBLE NOT NULL CHECK (lo BETWEEN 0 AND 1),
    hi DOUBLE NOT NULL CHECK (hi BETWEEN 0 AND 1),
    count BIGINT NOT NULL CHECK (count >= 0),
    PRIMARY KEY (run_id, outcome)
);
CREATE TABLE IF NOT EXISTS questions (
    run_id VARCHAR NOT NULL REFERENCES runs (id),
    question VARCHAR NOT NULL,
    text VARCHAR,
    by_week INTEGER NOT NULL,
    deadline DATE NOT NULL,
    p DOUBLE NOT NULL CHECK (p BETWEEN 0 AND 1),
    lo DOUBLE NOT NULL CHECK (lo BETWEEN 0 AND 1),
    hi DOUBLE NOT NULL CHECK (hi BETWEEN 0 AND 1),
    count BIGINT NOT NULL CHECK (count >= 0),
    PRIMARY KEY (run_id, question)
);
CREATE TABLE IF NOT EXISTS question_weeks (
    run_id VARCHAR NOT NULL REFERENCES runs (id),
    question VARCHAR NOT NULL,
    week INTEGER NOT NULL,
    p DOUBLE NOT NULL CHECK (p BETWEEN 0 AND 1),
    PRIMARY KEY (run_id, question, week)
);
CREATE TABLE IF NOT EXISTS outcome_weeks (
    run_id VARCHAR NOT NULL REFERENCES runs (id),
    outcome VARCHAR NOT NULL,
    week INTEGER NOT NULL,
    p DOUBLE NOT NULL CHECK (p BETWEEN 0 AND 1),
    PRIMARY KEY (run_id, outcome, week)
);
CREATE TABLE IF NOT EXISTS ladder_reached (
    run_id VARCHAR NOT NULL REFERENCES runs (id),
    actor VARCHAR NOT NULL,
    rung VARCHAR NOT NULL,
    p DOUBLE NOT NULL CHECK (p BETWEEN 0 AND 1),
    lo DOUBLE NOT NULL CHECK (lo BETWEEN 0 AND 1),
    hi DOUBLE NOT NULL CHECK (hi BETWEEN 0 AND 1),
    count BIGINT NOT NULL CHECK (count >= 0),
    PRIMARY KEY (run_id, actor, rung)
);
CREATE TABLE IF NOT EXISTS deleted_runs (
    id VARCHAR PRIMARY KEY
);
CREATE TABLE IF NOT EXISTS sweep_cells (
    sweep_id VARCHAR NOT NULL,
    run_id VARCHAR NOT NULL REFERENCES runs (id),
    cell VARCHAR NOT NULL,
    PRIMARY KEY (sweep_id, run_id)
);
CREATE TABLE IF NOT EXISTS sweeps (
    sweep_id VARCHAR PRIMARY KEY,
    created TIMESTAMP NOT NULL,
    scenario VARCHAR NOT NULL,
    grid VARCHAR NOT NULL,
    cells INTEGER NOT NULL CHECK (cells >= 1),
    runs BIGINT NOT NULL CHECK (runs >= 1),
    seed BIGINT NOT NULL
);
CREATE TABLE IF NOT EXISTS trajectories (
    run_id VARCHAR NOT NULL REFERENCES runs (id),
    week INTEGER NOT NULL,
    date DATE NOT NULL,
    variable VARCHAR NOT NULL,
    entity VARCHAR NOT NULL,
    mean DOUBLE,
    PRIMARY KEY (run_id, variable, entity, week)
);
"""

#: Column order of the tidy tables, as inserted.
_COLUMNS: dict[str, tuple[str, ...]] = {
    "outcomes": ("run_id", "outcome", "p", "lo", "hi", "count"),
    "questions": ("run_id", "question", "text", "by_week", "deadline", "p", "lo", "hi", "count"),
    "question_weeks": ("run_id", "question", "week", "p"),
    "outcome_weeks": ("run_id", "outcome", "week", "p"),
    "ladder_reached": ("run_id", "actor", "rung", "p", "lo", "hi", "count"),
    "trajectories": ("run_id", "week", "date", "variable", "entity", "mean"),
}


#: Largest seed a ``BIGINT`` column holds.
MAX_SEED = 2**63 - 1


class StoreError(Exception):
    """The results database cannot be used (missing, newer schema, unknown run)."""


class StoreBusy(StoreError):
    """Another process held the results database for longer than ``REDLINE_DB_WAIT``."""


def redline_version() -> str:
    """Return the installed version of redline (``unknown`` if not installed)."""
    try:
        return metadata.version("redline")
    except metadata.PackageNotFoundError:
        return "unknown"


def new_run_id() -> str:
    """Return a fresh run id: 12 hexadecimal digits of a random UUID."""
    return uuid.uuid4().hex[:12]


def scenario_json(result: EnsembleResult) -> str:
    """Return the canonical JSON of the result's scenario (sorted keys, no spaces)."""
    data = result.scenario.model_dump(mode="json", by_alias=True)
    return json.dumps(data, sort_keys=True, separators=(",", ":"))


def scenario_sha256(canonical: str) -> str:
    """Return the SHA-256 of a scenario's canonical JSON (:func:`scenario_json`).

    Two runs share it exactly when their validated scenarios are equal, however
    the YAML was formatted or commented.
    """
    return hashlib.sha256(canonical.encode()).hexdigest()


@contextmanager
def connect(db_path: str | Path, *, read_only: bool = False) -> Iterator[duckdb.DuckDBPyConnection]:
    """Open the database, creating it and its tables unless ``read_only``.

    Parameters
    ----------
    db_path : str or Path
        The database file.
    read_only : bool, optional
        Open an existing database for reading only; a missing file is then a
        :class:`StoreError` instead of a new, empty database.

    Yields
    ------
    duckdb.DuckDBPyConnection
        The connection, closed on exit.

    Raises
    ------
    StoreError
        The file is missing (read only), or was written by a newer redline.

    """
    path = Path(db_path)
    if read_only and not path.is_file():
        raise StoreError(f"no results database at {path}")
    if not read_only:
        path.parent.mkdir(parents=True, exist_ok=True)
    connection = _open_waiting(path, read_only)
    try:
        if not read_only:
            _create_schema(connection)
        _check_version(connection, path)
        if not read_only:
            _finish_deletions(connection)  # a deletion a stopped process left half-done
        yield connection
    finally:
        connection.close()


def lock_wait_seconds() -> float:
    """How long to wait for another process's hold on the database (``REDLINE_DB_WAIT``)."""
    text = os.environ.get("REDLINE_DB_WAIT", str(DEFAULT_LOCK_WAIT))
    try:
        seconds = float(text)
    except ValueError:
        raise StoreError(f"REDLINE_DB_WAIT must be a number of seconds, got {text!r}") from None
    if not 0 <= seconds <= 86_400:
        raise StoreError(f"REDLINE_DB_WAIT must be between 0 and 86400 seconds, got {text!r}")
    return seconds


def _open_waiting(path: Path, read_only: bool) -> duckdb.DuckDBPyConnection:
    """Connect, waiting while another process holds the file (DuckDB lets one process in).

    Another redline process holds the database only while it stores or reads
    a run, so waiting our turn is the right answer; after
    :func:`lock_wait_seconds` without getting in, a :class:`StoreError` says who holds it.
    """
    deadline = time.monotonic() + lock_wait_seconds()
    pause = 0.05
    while True:
        try:
            return duckdb.connect(str(path), read_only=read_only)
        except duckdb.IOException as error:
            if "lock" not in str(error).lower():
                raise StoreError(f"cannot open the results database {path}: {error}") from error
            if time.monotonic() >= deadline:
                raise StoreBusy(
                    f"the results database {path} is in use by another process"
                    f" ({_lock_holder(str(error))}); waited {lock_wait_seconds():g} s"
                    " (set REDLINE_DB_WAIT to wait longer)") from error
            time.sleep(pause)
            pause = min(pause * 2, 1.0)
        except duckdb.Error as error:
            raise StoreError(f"cannot open the results database {path}: {error}") from error


#: DuckDB's lock error names the holder: "... Conflicting lock is held in PROGRAM (PID N)
#: [by user U]. See also URL"; the program's path may hold dots (python3.11).
_HOLDER = re.compile(r"Conflicting lock is held in (?P<holder>.+?)\.?(?: See also \S+)?\s*$",
                     re.DOTALL)


def _lock_holder(message: str) -> str:
    """The process named in DuckDB's lock error, whole (or "unknown" if it names none)."""
    found = _HOLDER.search(message)
    return found["holder"].strip() if found else "holder unknown"


def check_storable(db_path: str | Path) -> None:
    """Check, before any work, that a result could be stored in ``db_path``.

    Everything :func:`save_result` will need that is known now: ``REDLINE_DB_WAIT``
    parses, an existing file is a regular file this process may write and
    opens as a DuckDB database whose redline tables (if any) this version
    reads, and a missing file's directory can be created and written. A run
    then never computes for minutes only to fail at storing it.

    Parameters
    ----------
    db_path : str or Path
        The database file.

    Raises
    ------
    StoreError
        With the one problem found, in a sentence.

    """
    lock_wait_seconds()
    path = Path(db_path)
    if not path.exists():
        _check_creatable(path)
        return
    if not path.is_file():
        raise StoreError(f"{path} is not a regular file, so it cannot be a results database")
    if not os.access(path, os.R_OK | os.W_OK):
        raise StoreError(f"the results database {path} is not writable")
    connection = _open_waiting(path, read_only=True)
    try:
        tables = {row[0] for row in connection.execute("SHOW TABLES").fetchall()}
        if "schema_info" in tables:
            _check_version(connection, path)
        elif tables & {"runs", *_COLUMNS}:
            raise StoreError(f"{path} is not a redline results database")
    finally:
        connection.close()


def _check_creatable(path: Path) -> None:
    """Refuse a new database file whose nearest existing folder is not a writable folder."""
    folder = path.parent
    while not folder.exists() and folder != folder.parent:
        folder = folder.parent
    if not folder.is_dir():
        raise StoreError(f"cannot create the results database {path}: {folder} is not a folder")
    if not os.access(folder, os.W_OK | os.X_OK):
        raise StoreError(f"cannot create the results database {path}: {folder} is not writable")


def _create_schema(connection: duckdb.DuckDBPyConnection) -> None:
    connection.execute("BEGIN TRANSACTION")
    try:
        connection.execute(_TABLES)
        (count,) = connection.execute("SELECT count(*) FROM schema_info").fetchone() or (0,)
        if count == 0:
            connection.execute("INSERT INTO schema_info VALUES (?)", [SCHEMA_VERSION])
        connection.execute("COMMIT")
    except BaseException:
        _rollback(connection)
        raise


def _rollback(connection: duckdb.DuckDBPyConnection) -> None:
    """Roll back the open transaction, keeping the error that caused it."""
    with suppress(duckdb.Error):
        connection.execute("ROLLBACK")


def _check_version(connection: duckdb.DuckDBPyConnection, path: Path) -> None:
    tables = {row[0] for row in connection.execute("SHOW TABLES").fetchall()}
    if "schema_info" not in tables or "runs" not in tables:
        raise StoreError(f"{path} is not a redline results database")
    row = connection.execute("SELECT max(version) FROM schema_info").fetchone()
    version = row[0] if row else None
    if version is None or version > SCHEMA_VERSION:
        raise StoreError(
            f"{path} has results schema version {version}; this redline reads"
            f" version {SCHEMA_VERSION} (upgrade redline)"
        )


def _estimate_rows(run_id: str, key: str, estimates: dict[str, Any]) -> list[dict[str, Any]]:
    return [
        {"run_id": run_id, key: name, "p": e.p, "lo": e.lo, "hi": e.hi, "count": e.count}
        for name, e in estimates.items()
    ]


def _curve_rows(run_id: str, key: str, curves: dict[str, np.ndarray]) -> list[dict[str, Any]]:
    return [
        {"run_id": run_id, key: name, "week": week, "p": float(p)}
        for name, curve in curves.items()
        for week, p in enumerate(np.asarray(curve, dtype=np.float64))
    ]


def result_rows(result: EnsembleResult, run_id: str) -> dict[str, pd.DataFrame]:
    """Turn a result into the rows of each tidy table (all but ``runs``).

    Parameters
    ----------
    result : EnsembleResult
        The result to store.
    run_id : str
        Its run id.

    Returns
    -------
    dict of str to DataFrame
        Table name -> rows, with the table's columns in order.

    """
    start = result.scenario.start
    by_id = {question.id: question for question in result.scenario.questions}
    questions = []
    for row in _estimate_rows(run_id, "question", result.questions):
        question = by_id[row["question"]]
        row |= {
            "text": question.text,
            "by_week": question.by_week,
            "deadline": start + dt.timedelta(weeks=question.by_week),
        }
        questions.append(row)
    ladder = [
        {"run_id": run_id, "actor": actor, "rung": rung, "p": e.p, "lo": e.lo, "hi": e.hi,
         "count": e.count}
        for actor, rungs in result.ladder_reached.items()
        for rung, e in rungs.items()
    ]
    frame = result.to_frame()
    # Question curves have their own table; keep the state trajectories here.
    frame = frame[frame["variable"] != "question"]
    trajectories = pd.DataFrame(
        {
            "run_id": run_id,
            "week": frame["week"].astype("int64").to_numpy(),
            "date": pd.to_datetime(frame["date"]).dt.date.to_numpy(),
            "variable": frame["variable"].astype(str).to_numpy(),
            "entity": frame["entity"].astype(str).to_numpy(),
            "mean": frame["mean"].astype("float64").to_numpy(),
        }
    )
    tables = {
        "outcomes": pd.DataFrame(_estimate_rows(run_id, "outcome", result.outcomes)),
        "questions": pd.DataFrame(questions),
        "question_weeks": pd.DataFrame(_curve_rows(run_id, "question", result.question_weeks)),
        "outcome_weeks": pd.DataFrame(_curve_rows(run_id, "outcome", result.outcome_weeks)),
        "ladder_reached": pd.DataFrame(ladder),
        "trajectories": trajectories,
    }
    return {
        name: table.reindex(columns=list(_COLUMNS[name])) for name, table in tables.items()
    }


def save_result(
    result: EnsembleResult,
    db_path: str | Path = DEFAULT_DB,
    scenario_text: str | None = None,
    *,
    run_id: str | None = None,
    sweep: tuple[str, dict[str, Any]] | None = None,
) -> str:
    """Store a result, all of it in one transaction, and return its run id.

    Parameters
    ----------
    result : EnsembleResult
        What :func:`redline.simulate` returned.
    db_path : str or Path, optional
        The database file, created with its tables if missing.
    scenario_text : str, optional
        The scenario's source text (YAML), kept for provenance.
    run_id : str, optional
        The id to store under (default: a new random id).
    sweep : (str, dict), optional
        The sweep id and the cell's parameter values (path -> value), stored in
        ``sweep_cells`` in the same transaction.

    Returns
    -------
    str
        The run id.

    Raises
    ------
    StoreError
        The database cannot be opened or was written by a newer redline.
    ValueError
        The seed does not fit the database (above 2**63 - 1).
    duckdb.Error
        The database refused a row; nothing of the run is then stored.

    """
    if not 0 <= result.seed <= MAX_SEED:
        raise ValueError(f"seed must be an integer in [0, {MAX_SEED}] to be stored")
    run_id = run_id or new_run_id()
    rows = result_rows(result, run_id)
    scenario = result.scenario
    canonical = scenario_json(result)
    run_row = [
        run_id,
        dt.datetime.now(dt.UTC).replace(tzinfo=None),
        scenario.name,
        scenario.title,
        scenario.start,
        scenario_sha256(canonical),
        int(result.runs),
        int(result.seed),
        int(result.horizon),
        int(result.chunk_size),
        redline_version(),
        float(result.elapsed_seconds),
        canonical,
        scenario_text,
        json.dumps(result.to_dict()),
    ]
    with connect(db_path) as connection:
        connection.execute("BEGIN TRANSACTION")
        try:
            connection.execute(
                f"INSERT INTO runs VALUES ({', '.join('?' * len(run_row))})", run_row
            )
            for table, frame in rows.items():
                if frame.empty:
                    continue
                # A view of the frame for this connection only; gone when it closes.
                connection.register(f"incoming_{table}", frame)
                columns = ", ".join(_COLUMNS[table])
                connection.execute(
                    f"INSERT INTO {table} ({columns}) SELECT {columns} FROM incoming_{table}"
                )
            if sweep is not None:
                connection.execute("INSERT INTO sweep_cells VALUES (?, ?, ?)",
                                   [sweep[0], run_id, json.dumps(sweep[1], sort_keys=True)])
            connection.execute("COMMIT")
        except BaseException:
            _rollback(connection)
            raise
    return run_id


def list_runs(db_path: str | Path = DEFAULT_DB) -> pd.DataFrame:
    """List the stored runs, newest first.

    Parameters
    ----------
    db_path : str or Path, optional
        The database file.

    Returns
    -------
    DataFrame
        One row per run: id, created (UTC), scenario, runs, seed, horizon,
        chunk_size, elapsed_seconds, redline_version, scenario_sha256, and the
        probabilities of settlement, great-power war and nuclear use.

    Raises
    ------
    StoreError
        The file is missing or not a redline database.

    """
    query = """
        SELECT r.id, r.created, r.scenario, r.runs, r.seed, r.horizon, r.chunk_size,
               r.elapsed_seconds, r.redline_version, r.scenario_sha256,
               max(o.p) FILTER (WHERE o.outcome = 'settlement') AS settlement,
               max(o.p) FILTER (WHERE o.outcome = 'great_power_war') AS great_power_war,
               max(o.p) FILTER (WHERE o.outcome = 'nuclear_use') AS nuclear_use
        FROM runs AS r LEFT JOIN outcomes AS o ON o.run_id = r.id
        {live}
        GROUP BY ALL
        ORDER BY r.created DESC, r.id
    """
    with connect(db_path, read_only=True) as connection:
        live = ("WHERE r.id NOT IN (SELECT id FROM deleted_runs)"
                if _has_tombstones(connection) else "")
        return connection.execute(query.format(live=live)).df()


def load_run(db_path: str | Path, run_id: str) -> dict[str, Any]:
    """Load one stored run: the JSON of ``redline run --json`` plus its metadata.

    Parameters
    ----------
    db_path : str or Path
        The database file.
    run_id : str
        The run id returned by :func:`save_result`.

    Returns
    -------
    dict
        The stored ``EnsembleResult.to_dict()`` with ``run_id``, ``created``
        (ISO 8601, UTC), ``scenario_title``, ``scenario_sha256``,
        ``chunk_size``, ``elapsed_seconds``, ``redline_version``,
        ``scenario_json`` (parsed) and ``scenario_text`` added.

    Raises
    ------
    StoreError
        The database is missing or holds no run with that id.

    """
    with connect(db_path, read_only=True) as connection:
        row = connection.execute(
            """SELECT id, created, scenario_title, scenario_sha256, chunk_size,
                      elapsed_seconds, redline_version, scenario_json, scenario_text,
                      result_json
               FROM runs WHERE id = ?""",
            [run_id],
        ).fetchone()
        if row is not None and _has_tombstones(connection) and _count(connection.execute(
                "SELECT count(*) FROM deleted_runs WHERE id = ?", [run_id]).fetchone()):
            row = None  # being deleted
    if row is None:
        raise StoreError(f"no run {run_id!r} in {db_path}")
    (identifier, created, title, sha256, chunk_size, elapsed, version, canonical, text,
     result_json) = row
    return json.loads(result_json) | {
        "run_id": identifier,
        "created": created.isoformat(),
        "scenario_title": title,
        "scenario_sha256": sha256,
        "chunk_size": chunk_size,
        "elapsed_seconds": elapsed,
        "redline_version": version,
        "scenario_json": json.loads(canonical),
        "scenario_text": text,
    }


def delete_run(db_path: str | Path, run_id: str) -> None:
    """Delete one stored run and all its rows; a reader never sees part of a run.

    DuckDB checks a foreign key against the state before the transaction, so
    a run's own row cannot go in the transaction that deletes the rows that
    reference it. The first transaction therefore records the id in
    ``deleted_runs`` (from then on the run is neither listed nor loaded) and
    deletes the referencing rows; the second deletes the run's row and the
    record. If the process stops between the two, the next connection that
    may write finishes the deletion.

    Parameters
    ----------
    db_path : str or Path
        The database file.
    run_id : str
        The run id.

    Raises
    ------
    StoreError
        The database is missing or holds no run with that id.

    """
    if not Path(db_path).is_file():
        raise StoreError(f"no results database at {db_path}")
    with connect(db_path) as connection:
        found = connection.execute("SELECT count(*) FROM runs WHERE id = ?", [run_id]).fetchone()
        if not found or not found[0]:
            raise StoreError(f"no run {run_id!r} in {db_path}")
        _in_transaction(connection, [
            ("INSERT INTO deleted_runs VALUES (?) ON CONFLICT DO NOTHING", run_id),
            *((f"DELETE FROM {table} WHERE run_id = ?", run_id)
              for table in (*_COLUMNS, "sweep_cells"))])
        _finish_deletions(connection)


def _in_transaction(connection: duckdb.DuckDBPyConnection,
                    statements: list[tuple[str, str]]) -> None:
    connection.execute("BEGIN TRANSACTION")
    try:
        for statement, argument in statements:
            connection.execute(statement, [argument])
        connection.execute("COMMIT")
    except BaseException:
        _rollback(connection)
        raise


def _finish_deletions(connection: duckdb.DuckDBPyConnection) -> None:
    """Delete the rows of runs whose referencing rows are gone (see :func:`delete_run`)."""
    for (run_id,) in connection.execute("SELECT id FROM deleted_runs").fetchall():
        _in_transaction(connection, [("DELETE FROM runs WHERE id = ?", run_id),
                                     ("DELETE FROM deleted_runs WHERE id = ?", run_id)])


def _has_tombstones(connection: duckdb.DuckDBPyConnection) -> bool:
    """Whether the database has the ``deleted_runs`` table (older files may not)."""
    return has_table(connection, "deleted_runs")


def has_table(connection: duckdb.DuckDBPyConnection, name: str) -> bool:
    """Whether the database has the table ``name`` (a file of an older redline may not)."""
    return bool(_count(connection.execute(
        "SELECT count(*) FROM duckdb_tables() WHERE table_name = ?", [name]).fetchone()))


def _count(row: tuple[Any, ...] | None) -> int:
    """The number a ``SELECT count(*)`` returned."""
    return int(row[0]) if row else 0
