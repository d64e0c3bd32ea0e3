"""Nothing lost, nothing half-written: killed runs, interrupted runs, two writers.

A run is stored in one transaction at its end; these tests check that a
process killed outright (SIGKILL) at any moment, or interrupted (SIGINT),
leaves the database as it was or with the whole new run, and that two
processes writing to the same file take turns instead of failing or
corrupting it.
"""

from __future__ import annotations

import os
import random
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import duckdb
import pytest
import yaml

from redline.scenario.models import OUTCOMES
from redline.store import StoreBusy, StoreError, check_storable, list_runs, save_result
from tests.support.fake_results import SMALL_SCENARIO, make_result

CHILD_TABLES = ("outcomes", "questions", "question_weeks", "outcome_weeks", "ladder_reached",
                "trajectories")


def redline_process(*args: str | Path, env: dict[str, str] | None = None) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, "-m", "redline", *map(str, args)],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            env={**os.environ, **(env or {})})


@pytest.fixture
def toy(tmp_path: Path) -> Path:
    path = tmp_path / "toy.yaml"
    path.write_text(yaml.safe_dump(SMALL_SCENARIO, sort_keys=False))
    return path


def assert_whole_runs(db: Path) -> set[str]:
    """Every stored run has all its rows, and no row belongs to a run that is not stored."""
    with duckdb.connect(str(db), read_only=True) as connection:
        runs = {row[0] for row in connection.execute("SELECT id FROM runs").fetchall()}
        for run_id in runs:
            (outcomes,) = connection.execute(
                "SELECT count(*) FROM outcomes WHERE run_id = ?", [run_id]).fetchone()
            assert outcomes == len(OUTCOMES), run_id
            for table in ("questions", "outcome_weeks", "ladder_reached", "trajectories"):
                (rows,) = connection.execute(
                    f"SELECT count(*) FROM {table} WHERE run_id = ?", [run_id]).fetchone()
                assert rows > 0, (table, run_id)
        for table in CHILD_TABLES:
            orphans = connection.execute(
                f"SELECT count(*) FROM {table} WHERE run_id NOT IN (SELECT id FROM runs)"
            ).fetchone()[0]
            assert orphans == 0, table
    return runs


@pytest.mark.slow
def test_a_run_killed_at_random_moments_never_leaves_a_partial_run(toy, tmp_path):
    db = tmp_path / "results.duckdb"
    first = redline_process("run", toy, "--runs", "3000", "--seed", "1", "--db", db)
    assert first.wait(timeout=300) == 0, first.stderr.read() if first.stderr else ""
    before = assert_whole_runs(db)
    assert len(before) == 1
    started = time.perf_counter()
    timed = redline_process("run", toy, "--runs", "3000", "--seed", "2", "--db", db)
    assert timed.wait(timeout=300) == 0
    full = time.perf_counter() - started
    stored = assert_whole_runs(db)
    assert len(stored) == 2
    delays = random.Random(20241028)
    for _ in range(6):  # kills spread over the whole life of the process, storing included
        process = redline_process("run", toy, "--runs", "3000", "--seed", "3", "--db", db)
        time.sleep(delays.uniform(0.2, 1.1) * full)
        process.send_signal(signal.SIGKILL)
        process.wait(timeout=60)
        now = assert_whole_runs(db)
        assert stored <= now and len(now) - len(stored) <= 1
        stored = now


@pytest.mark.slow
def test_ctrl_c_stores_nothing_and_says_so(toy, tmp_path):
    db = tmp_path / "results.duckdb"
    process = redline_process("run", toy, "--runs", "20000000", "--seed", "4", "--db", db)
    time.sleep(12)  # imports, the kernel loaded from its cache, the first chunks
    process.send_signal(signal.SIGINT)
    _, err = process.communicate(timeout=120)
    assert process.returncode == 130, err
    assert "nothing was stored" in err
    assert "Traceback" not in err
    assert not db.exists() or assert_whole_runs(db) == set()


HOLDER = textwrap.dedent("""
    import sys, time, duckdb
    connection = duckdb.connect(sys.argv[1])
    print("holding", flush=True)
    time.sleep(float(sys.argv[2]))
    connection.close()
""")


def hold(db: Path, seconds: float) -> subprocess.Popen:
    """Another process with the database open for ``seconds``."""
    holder = subprocess.Popen([sys.executable, "-c", HOLDER, str(db), str(seconds)],
                              stdout=subprocess.PIPE, text=True)
    assert holder.stdout is not None and holder.stdout.readline().strip() == "holding"
    return holder


@pytest.mark.slow
def test_a_second_writer_waits_its_turn(tmp_path, monkeypatch):
    db = tmp_path / "results.duckdb"
    save_result(make_result(), db)
    holder = hold(db, 2.0)
    monkeypatch.setenv("REDLINE_DB_WAIT", "60")
    started = time.perf_counter()
    save_result(make_result(), db)
    assert time.perf_counter() - started > 0.5  # it waited for the holder
    holder.wait(timeout=30)
    assert len(list_runs(db)) == 2
    assert len(assert_whole_runs(db)) == 2


def test_a_writer_that_cannot_get_in_says_who_holds_the_file(tmp_path, monkeypatch):
    db = tmp_path / "results.duckdb"
    save_result(make_result(), db)
    holder = hold(db, 20.0)
    try:
        monkeypatch.setenv("REDLINE_DB_WAIT", "0.5")
        with pytest.raises(StoreBusy, match="in use by another process") as caught:
            save_result(make_result(), db)
    finally:
        holder.kill()
        holder.wait(timeout=30)
    assert len(assert_whole_runs(db)) == 1
    # issue 18: the holder was cut at the first dot of its path ("/root/" of /root/.pyenv/...)
    program = os.path.realpath(sys.executable)
    assert "." in program
    assert f"({program} (PID {holder.pid}))" in str(caught.value)


@pytest.mark.parametrize("value", ["soon", "-1", "1e9"])
def test_a_bad_wait_setting_is_a_clear_error(tmp_path, monkeypatch, value):
    monkeypatch.setenv("REDLINE_DB_WAIT", value)
    with pytest.raises(StoreError, match="REDLINE_DB_WAIT"):
        save_result(make_result(), tmp_path / "results.duckdb")


@pytest.mark.slow
def test_a_database_that_cannot_be_used_is_refused_before_the_run(toy, tmp_path):
    """Issue 18: a --db that is not a database, /dev/zero, or REDLINE_DB_WAIT=abc let the
    whole run compute, then fail to store it (exit 1): the results were lost."""
    text = tmp_path / "notes.txt"
    text.write_text("not a database\n")
    plain = tmp_path / "plain.duckdb"
    with duckdb.connect(str(plain)) as connection:
        connection.execute("CREATE TABLE runs (x INTEGER)")  # redline's name, not its table
    cases = [(text, {}, "not a valid DuckDB database"), (Path("/dev/zero"), {}, "regular file"),
             (plain, {}, "not a redline results database"),
             (text / "sub" / "new.duckdb", {}, "not a folder"),
             (tmp_path / "new.duckdb", {"REDLINE_DB_WAIT": "abc"}, "REDLINE_DB_WAIT")]
    for db, env, needle in cases:
        process = redline_process("run", toy, "--runs", "200", "--db", db, env=env)
        out, err = process.communicate(timeout=300)
        assert process.returncode == 2, err
        assert out == "" and "simulating" not in err  # nothing was computed
        (line,) = err.splitlines()
        assert line.startswith("error: ") and needle in line, line
    assert not (tmp_path / "new.duckdb").exists()
    assert text.read_text() == "not a database\n"


def test_check_storable_accepts_what_save_result_can_store(tmp_path):
    check_storable(tmp_path / "new" / "results.duckdb")  # created by the first run
    assert not (tmp_path / "new").exists()  # the check writes nothing
    db = tmp_path / "results.duckdb"
    save_result(make_result(), db)
    check_storable(db)
    other = tmp_path / "other.duckdb"
    with duckdb.connect(str(other)) as connection:
        connection.execute("CREATE TABLE mine (x INTEGER)")  # redline adds its tables beside
    check_storable(other)
    save_result(make_result(), other)


@pytest.mark.slow
def test_two_processes_storing_at_once_both_succeed(toy, tmp_path):
    db = tmp_path / "results.duckdb"
    processes = [redline_process("run", toy, "--runs", "2000", "--seed", str(seed), "--db", db)
                 for seed in (11, 12)]
    for process in processes:
        _, err = process.communicate(timeout=300)
        assert process.returncode == 0, err
    assert len(assert_whole_runs(db)) == 2


def test_a_deletion_stopped_half_way_is_invisible_and_finished_later(tmp_path, monkeypatch):
    """delete_run takes two transactions; between them the run is neither listed nor loaded."""
    from redline.store import delete_run, duckdb_store, load_run

    db = tmp_path / "results.duckdb"
    keep, gone = save_result(make_result(), db), save_result(make_result(), db)
    monkeypatch.setattr(duckdb_store, "_finish_deletions", lambda connection: None)
    delete_run(db, gone)  # stops after the first transaction, as a killed process would
    assert set(list_runs(db)["id"]) == {keep}
    with pytest.raises(StoreError, match="no run"):
        load_run(db, gone)
    with duckdb.connect(str(db), read_only=True) as connection:
        assert connection.execute("SELECT count(*) FROM runs").fetchone()[0] == 2
    monkeypatch.undo()
    save_result(make_result(), db)  # any connection that may write finishes the deletion
    with duckdb.connect(str(db), read_only=True) as connection:
        ids = {row[0] for row in connection.execute("SELECT id FROM runs").fetchall()}
        assert gone not in ids and keep in ids
        assert connection.execute("SELECT count(*) FROM deleted_runs").fetchone()[0] == 0
    assert_whole_runs(db)
