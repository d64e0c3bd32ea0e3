"""redline sweep: every cell of a grid, stored with its sweep id."""

from __future__ import annotations

import contextlib
import json
import os
import signal
import subprocess
import sys
from pathlib import Path

import duckdb
import pandas as pd
import pytest
import yaml

from redline.analysis.sweep import MAX_CELLS, GridError, check_grid_size, grid_cells, parse_grid
from redline.engine.run import MAX_RUNS
from redline.store import begin_sweep, list_sweeps, save_result
from tests.support.fake_results import SMALL_SCENARIO, make_result


def test_parse_grid_and_cells():
    assert parse_grid("a.b=1,2.5,true") == ("a.b", [1, 2.5, True])
    cells = grid_cells([("x", [1, 2]), ("y", [True, False])])
    assert cells == [{"x": 1, "y": True}, {"x": 1, "y": False},
                     {"x": 2, "y": True}, {"x": 2, "y": False}]
    for bad in ("no-equals", "=1,2", "a.b="):
        with pytest.raises(GridError):
            parse_grid(bad)


@pytest.mark.slow
def test_sweep_stores_every_cell(tmp_path):
    db = tmp_path / "s.duckdb"
    out = subprocess.run(
        [sys.executable, "-m", "redline", "sweep", "kursk-2024", "--grid",
         "deployments.prk_kursk.exists=0,1", "--runs", "1024", "--db", str(db), "--json"],
        capture_output=True, text=True, check=False)
    assert out.returncode == 0, out.stderr
    document = json.loads(out.stdout)
    assert len(document["cells"]) == 2
    with duckdb.connect(str(db), read_only=True) as connection:
        stored = connection.execute(
            "SELECT cell, q.p FROM sweep_cells s JOIN questions q ON q.run_id = s.run_id "
            "WHERE q.question = 'prk_troops_in_combat' AND s.sweep_id = ? ORDER BY cell",
            [document["sweep_id"]]).fetchall()
    assert [json.loads(cell) for cell, _ in stored] == [
        {"deployments.prk_kursk.exists": 0}, {"deployments.prk_kursk.exists": 1}]
    assert stored[0][1] == 0.0 and stored[1][1] > 0.5


def test_a_bad_grid_runs_nothing(tmp_path):
    db = tmp_path / "s.duckdb"
    out = subprocess.run([sys.executable, "-m", "redline", "sweep", "kursk-2024", "--grid",
                          "actors.RUS.resolve=2", "--db", str(db)],
                         capture_output=True, text=True, check=False)
    assert out.returncode == 2 and "Traceback" not in out.stderr
    assert not db.exists()


def redline(*args: str | Path) -> subprocess.CompletedProcess[str]:
    # the timeout only ends a sweep that, without its limits, would run for hours
    return subprocess.run([sys.executable, "-m", "redline", *map(str, args)],
                          capture_output=True, text=True, timeout=600, check=False)


def test_the_grid_size_is_bounded_by_cells_and_by_runs_in_all():
    assert check_grid_size([("a", list(range(100))), ("b", list(range(100)))], 10_000) == 10_000
    with pytest.raises(GridError, match=f"at most {MAX_CELLS:,}"):
        check_grid_size([("a", list(range(101))), ("b", list(range(100)))], 1)
    with pytest.raises(GridError, match=f"at most {MAX_RUNS:,} in all"):
        check_grid_size([("a", [1, 2, 3])], MAX_RUNS // 2)


@pytest.mark.parametrize(("grid", "runs", "needle"), [
    (["model.talks_hazard=0.01,0.02,0.03", "model.break_hazard=0.1,0.2"], "20000000",
     "120,000,000 runs"),
    ([f"model.talks_hazard={','.join(str(i / 1000) for i in range(1, 201))}",
      f"model.break_hazard={','.join(str(i / 1000) for i in range(1, 101))}"], "10",
     "20,000 cells"),
])
def test_a_sweep_beyond_its_limits_is_refused_before_any_work(tmp_path, grid, runs, needle):
    """Issue 18: a sweep had no cap on its total runs (each cell was capped alone)."""
    db = tmp_path / "s.duckdb"
    process = redline("sweep", "kursk-2024", *[f"--grid={g}" for g in grid], "--runs", runs,
                      "--db", db)
    assert process.returncode == 2, process.stderr
    (line,) = process.stderr.splitlines()
    assert line.startswith("error: ") and needle in line, line
    assert not db.exists()


@pytest.mark.slow
def test_sweeps_lists_planned_and_stored_cells(tmp_path):
    db = tmp_path / "s.duckdb"
    begin_sweep(db, "half", "toy-crisis", [("a", [1, 2])], 100, 0)
    save_result(make_result(), db, sweep=("half", {"a": 1}))
    begin_sweep(db, "whole", "toy-crisis", [("a", [1])], 100, 0)
    save_result(make_result(), db, sweep=("whole", {"a": 1}))
    save_result(make_result(), db, sweep=("older", {"a": 1}))  # before plans were recorded
    frame = list_sweeps(db).set_index("sweep_id")
    assert frame.loc["half", ["cells", "stored", "complete"]].tolist() == [2, 1, False]
    assert frame.loc["whole", ["cells", "stored", "complete"]].tolist() == [1, 1, True]
    assert frame.loc["older", "stored"] == 1 and pd.isna(frame.loc["older", "complete"])
    table = redline("sweeps", "--db", db)
    assert table.returncode == 0, table.stderr
    lines = {line.split()[1]: line for line in table.stdout.splitlines() if "│" in line}
    assert "1 of 2" in lines["half"] and "INCOMPLETE" in lines["half"]
    assert "1 of 1" in lines["whole"] and "complete" in lines["whole"]
    assert "unknown" in lines["older"]


def stored_cells(db: Path) -> int:
    """Cells stored so far (0 while the sweep's process holds the file)."""
    try:
        with duckdb.connect(str(db), read_only=True) as connection:
            return connection.execute("SELECT count(*) FROM sweep_cells").fetchone()[0]
    except duckdb.Error:
        return 0


@pytest.mark.slow
@pytest.mark.parametrize("stop", [signal.SIGINT, signal.SIGKILL])
def test_a_sweep_stopped_part_way_is_listed_as_incomplete(tmp_path, stop):
    """Issue 18: an interrupted sweep left some cells stored and nothing said it was not whole.
    The first cell (8 weeks) is stored quickly; the sweep is stopped in the second (1040)."""
    scenario = tmp_path / "toy.yaml"
    scenario.write_text(yaml.safe_dump(SMALL_SCENARIO, sort_keys=False))
    db = tmp_path / "s.duckdb"
    process = subprocess.Popen(
        [sys.executable, "-m", "redline", "sweep", str(scenario), "--grid", "horizon=8,1040",
         "--runs", "3000000", "--db", str(db), "--json"],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
        env={**os.environ, "REDLINE_DB_WAIT": "600"})
    while stored_cells(db) < 1:
        assert process.poll() is None, process.communicate()
        with contextlib.suppress(subprocess.TimeoutExpired):
            process.wait(timeout=0.2)
    process.send_signal(stop)
    out, err = process.communicate(timeout=120)
    assert out == ""
    if stop == signal.SIGINT:
        assert process.returncode == 130, err
        assert "is incomplete: 1 of 2 cells stored" in err and "Traceback" not in err
    listing = redline("sweeps", "--db", db, "--json")
    assert listing.returncode == 0, listing.stderr
    (sweep,) = json.loads(listing.stdout)
    assert (sweep["cells"], sweep["stored"], sweep["complete"]) == (2, 1, False)
    assert json.loads(sweep["grid"]) == {"horizon": [8, 1040]}
