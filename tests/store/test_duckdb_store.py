"""Tests of the DuckDB results store: round trips, one transaction per run, schema checks."""

from __future__ import annotations

import dataclasses
import json

import duckdb
import numpy as np
import pandas as pd
import pytest

from redline.results import Estimate
from redline.scenario.models import OUTCOMES
from redline.store import SCHEMA_VERSION, StoreError, duckdb_store, list_runs, load_run, save_result
from tests.support.fake_results import OUTCOME_COUNTS, make_result, small_scenario

TABLES = ("runs", "outcomes", "questions", "question_weeks", "outcome_weeks", "ladder_reached",
          "trajectories")


def row_counts(db) -> dict[str, int]:
    with duckdb.connect(str(db), read_only=True) as connection:
        return {t: connection.execute(f"SELECT count(*) FROM {t}").fetchone()[0] for t in TABLES}


def query(db, sql: str, *params):
    with duckdb.connect(str(db), read_only=True) as connection:
        return connection.execute(sql, list(params)).fetchall()


def test_round_trip_of_the_json_and_metadata(tmp_path):
    db = tmp_path / "results.duckdb"
    result = make_result(seed=42)
    run_id = save_result(result, db, scenario_text="name: toy-crisis\n")
    stored = load_run(db, run_id)

    assert len(run_id) == 12
    expected = json.loads(json.dumps(result.to_dict()))
    assert {key: stored[key] for key in expected} == expected
    assert stored["run_id"] == run_id
    assert stored["seed"] == 42
    assert stored["chunk_size"] == 500
    assert stored["elapsed_seconds"] == pytest.approx(1.25)
    assert stored["scenario_text"] == "name: toy-crisis\n"
    assert stored["scenario_json"]["name"] == "toy-crisis"
    assert len(stored["scenario_sha256"]) == 64
    assert stored["created"][:4].isdigit()


def test_tidy_tables_hold_the_estimates(tmp_path):
    db = tmp_path / "results.duckdb"
    result = make_result()
    run_id = save_result(result, db)

    outcomes = dict(
        (name, (p, lo, hi, count))
        for name, p, lo, hi, count in query(
            db, "SELECT outcome, p, lo, hi, count FROM outcomes WHERE run_id = ?", run_id
        )
    )
    assert set(outcomes) == set(OUTCOMES)
    for name in OUTCOMES:
        estimate = result.outcomes[name]
        assert outcomes[name] == pytest.approx((estimate.p, estimate.lo, estimate.hi,
                                                OUTCOME_COUNTS[name]))

    questions = query(db, "SELECT question, by_week, deadline, p, count, text FROM questions"
                          " ORDER BY question")
    assert [q[0] for q in questions] == ["deep_strike_by_w4", "nuclear"]
    assert questions[0][1:5] == (4, pd.Timestamp("2024-11-25").date(), 0.25, 250)
    assert questions[0][5] == "Does Blue strike deep by week 4?"

    curve = [p for (p,) in query(db, "SELECT p FROM question_weeks WHERE question = 'nuclear'"
                                     " ORDER BY week")]
    np.testing.assert_allclose(curve, result.question_weeks["nuclear"])

    ladder = query(db, "SELECT p, count FROM ladder_reached WHERE actor = 'BLUE'"
                       " AND rung = 'deep_strike'")
    assert ladder == [(0.3, 300)]


def test_trajectories_match_to_frame(tmp_path):
    db = tmp_path / "results.duckdb"
    result = make_result()
    run_id = save_result(result, db)
    frame = result.to_frame()
    frame = frame[frame["variable"] != "question"]

    with duckdb.connect(str(db), read_only=True) as connection:
        stored = connection.execute(
            "SELECT week, variable, entity, mean FROM trajectories WHERE run_id = ?"
            " ORDER BY variable, entity, week", [run_id]
        ).df()
    expected = frame.sort_values(["variable", "entity", "week"])[
        ["week", "variable", "entity", "mean"]
    ].reset_index(drop=True)
    assert len(stored) == len(expected) == 9 * 3
    np.testing.assert_array_equal(stored["week"], expected["week"])
    assert list(stored["entity"]) == list(expected["entity"])
    np.testing.assert_allclose(stored["mean"], expected["mean"])


def test_list_runs_newest_first_with_outcome_columns(tmp_path):
    db = tmp_path / "results.duckdb"
    first = save_result(make_result(seed=1), db)
    second = save_result(make_result(seed=2), db)

    runs = list_runs(db)
    assert list(runs["id"]) == [second, first]
    assert list(runs["seed"]) == [2, 1]
    assert runs["settlement"].tolist() == pytest.approx([0.412, 0.412])
    assert runs["nuclear_use"].tolist() == pytest.approx([0.003, 0.003])
    assert {"created", "scenario", "runs", "horizon", "scenario_sha256"} <= set(runs.columns)


def test_equal_scenarios_share_a_hash_and_different_ones_do_not(tmp_path):
    db = tmp_path / "results.duckdb"
    save_result(make_result(seed=1), db)
    save_result(make_result(seed=2), db)
    save_result(make_result(scenario=small_scenario(horizon=9)), db)
    hashes = [h for (h,) in query(db, "SELECT scenario_sha256 FROM runs ORDER BY seed, horizon")]
    assert len(set(hashes)) == 2


def test_a_refused_row_rolls_back_the_whole_run(tmp_path):
    db = tmp_path / "results.duckdb"
    kept = save_result(make_result(seed=1), db)
    before = row_counts(db)
    bad = make_result(seed=2)
    bad.questions["nuclear"] = Estimate(p=1.5, lo=0.0, hi=1.0, count=3, runs=1000)

    with pytest.raises(duckdb.ConstraintException):
        save_result(bad, db)

    assert row_counts(db) == before
    assert list(list_runs(db)["id"]) == [kept]


def test_a_failure_in_the_last_table_leaves_no_partial_run(tmp_path, monkeypatch):
    db = tmp_path / "results.duckdb"
    real_rows = duckdb_store.result_rows

    def rows_with_a_null_week(result, run_id):
        rows = real_rows(result, run_id)
        assert list(rows)[-1] == "trajectories"
        rows["trajectories"]["week"] = pd.array([None] * len(rows["trajectories"]), dtype="Int64")
        return rows

    monkeypatch.setattr(duckdb_store, "result_rows", rows_with_a_null_week)
    with pytest.raises(duckdb.ConstraintException):
        save_result(make_result(), db)

    assert row_counts(db) == dict.fromkeys(TABLES, 0)


def test_reading_a_missing_database_is_an_error_and_creates_nothing(tmp_path):
    db = tmp_path / "missing.duckdb"
    with pytest.raises(StoreError, match="no results database"):
        list_runs(db)
    with pytest.raises(StoreError):
        load_run(db, "abc")
    assert not db.exists()


def test_unknown_run_id(tmp_path):
    db = tmp_path / "results.duckdb"
    save_result(make_result(), db)
    with pytest.raises(StoreError, match="no run 'nope'"):
        load_run(db, "nope")


def test_a_seed_too_large_for_the_database_is_refused_before_writing(tmp_path):
    db = tmp_path / "results.duckdb"
    result = dataclasses.replace(make_result(), seed=2**64)
    with pytest.raises(ValueError, match="seed"):
        save_result(result, db)
    assert not db.exists()


def test_schema_version_is_stored_and_a_newer_one_refused(tmp_path):
    db = tmp_path / "results.duckdb"
    save_result(make_result(), db)
    assert query(db, "SELECT version FROM schema_info") == [(SCHEMA_VERSION,)]
    with duckdb.connect(str(db)) as connection:
        connection.execute("UPDATE schema_info SET version = ?", [SCHEMA_VERSION + 1])
    with pytest.raises(StoreError, match="schema version"):
        list_runs(db)
    with pytest.raises(StoreError, match="schema version"):
        save_result(make_result(), db)


def test_a_foreign_duckdb_file_is_not_taken_for_a_results_database(tmp_path):
    db = tmp_path / "other.duckdb"
    with duckdb.connect(str(db)) as connection:
        connection.execute("CREATE TABLE prices (item VARCHAR, price DOUBLE)")
    with pytest.raises(StoreError, match="not a redline results database"):
        list_runs(db)


def test_documented_query_probability_of_settlement_across_runs(tmp_path):
    db = tmp_path / "results.duckdb"
    save_result(make_result(seed=1), db)
    save_result(make_result(seed=2), db)
    rows = query(
        db,
        """
        SELECT r.scenario, count(*) AS stored_runs, sum(o.count) / sum(r.runs) AS p_settlement
        FROM runs AS r JOIN outcomes AS o ON o.run_id = r.id
        WHERE o.outcome = 'settlement'
        GROUP BY r.scenario
        """,
    )
    assert rows == [("toy-crisis", 2, pytest.approx(0.412))]
