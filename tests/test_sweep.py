"""redline sweep: every cell of a grid, stored with its sweep id."""

from __future__ import annotations

import json
import subprocess
import sys

import duckdb
import pytest

from redline.analysis.sweep import GridError, grid_cells, parse_grid


def test_parse_grid_and_cells():
    assert parse_grid("a.b=1,2.5,true") == ("a.b", [1, 2.5, True])
    cells = grid_cells([("x", [1, 2]), ("y", [True, False])])
    assert cells == [{"x": 1, "y": True}, {"x": 1, "y": False},
                     {"x": 2, "y": True}, {"x": 2, "y": False}]
    for bad in ("no-equals", "=1,2", "a.b="):
        with pytest.raises(GridError):
            parse_grid(bad)


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
