"""`make bench` (benchmarks/run.py): the file it writes, and its verdict on issue 5's target."""

from __future__ import annotations

import json

from benchmarks import run as bench


def _case(runs: int, median: float, scenario: str = "kursk-2024", weeks: int = 52) -> dict:
    return {"scenario": scenario, "runs": runs, "run_weeks": runs * weeks,
            "seconds_median": median}


def test_the_target_is_judged_on_the_flagships_million_run_median():
    met = bench.judge_target([_case(10_000, 0.1), _case(1_000_000, 9.99)])
    assert met == {"runs": 1_000_000, "weeks": 52, "seconds_limit": 10.0,
                   "seconds_median": 9.99, "met": True}
    assert bench.judge_target([_case(1_000_000, 10.01)])["met"] is False


def test_no_verdict_without_the_flagships_million_runs_over_52_weeks():
    assert bench.judge_target([_case(100_000, 1.0)]) is None
    assert bench.judge_target([_case(1_000_000, 5.0, scenario="cuba-1962")]) is None
    assert bench.judge_target([_case(1_000_000, 5.0, weeks=26)]) is None


def test_a_small_run_writes_its_cases_and_machine(tmp_path, capsys):
    out = tmp_path / "bench.json"
    record = bench.main(["--sizes", "2048", "--repeat", "1", "--out", str(out)])
    written = json.loads(out.read_text())
    assert written == json.loads(json.dumps(record))
    (case,) = written["cases"]
    assert case["runs"] == 2048 and case["run_weeks"] == 2048 * 52
    assert case["seconds_min"] <= case["seconds_median"] <= case["seconds_max"]
    assert "target" not in written and "cpu_model" in written["machine"]
    assert "written to" in capsys.readouterr().out
