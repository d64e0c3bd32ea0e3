"""The scaling study (benchmarks/scaling.py) on tiny sizes: its records, not its timings.

Every point runs in a fresh process, as in the real study; the sizes here are
far below even ``--quick`` so that the test takes seconds. No assertion is
made about speed: only that each point is measured (positive run-weeks and
throughput, a peak resident set) and that the JSON, the plot and the table
are written.
"""

from __future__ import annotations

import json
import math
from pathlib import Path

import pytest

from benchmarks.scaling import (
    MEMORY_LIMIT_BYTES,
    Point,
    fit_slope,
    markdown,
    memory_check,
    plan,
    study,
    write,
)

TINY = {
    "runs": [Point("runs", "kursk-2024", 16, 4), Point("runs", "kursk-2024", 64, 4)],
    "actors": [Point("actors", "generated", 16, 4, 5), Point("actors", "generated", 16, 4, 10)],
    "horizon": [Point("horizon", "kursk-2024", 16, 2)],
}


def test_plan_matches_the_study_and_quick_divides_runs_by_100() -> None:
    full, quick = plan(), plan(quick=True)
    assert [p.runs for p in full["runs"]] == [10**k for k in range(3, 8)]
    assert {p.horizon for p in full["runs"]} == {52}
    assert [p.actors for p in full["actors"]] == [5, 10, 20, 40]
    assert [p.horizon for p in full["horizon"]] == [13, 26, 52, 104, 208]
    assert {p.runs for p in full["actors"] + full["horizon"]} == {100_000}
    for sweep in full:
        assert [p.runs * 100 for p in quick[sweep]] == [p.runs for p in full[sweep]]
    assert list(plan(sweeps=("horizon",))) == ["horizon"]


def test_fit_slope_recovers_a_power_law() -> None:
    sizes = [10.0, 100.0, 1000.0, 10000.0]
    fit = fit_slope(sizes, [3e-4 * x**0.8 for x in sizes])
    assert fit is not None
    assert fit["slope"] == pytest.approx(0.8, abs=1e-9)
    assert fit["coefficient"] == pytest.approx(3e-4, rel=1e-9)
    assert fit["slope_largest_pair"] == pytest.approx(0.8, abs=1e-9)
    overhead = fit_slope(sizes, [1.0 + 1e-3 * x for x in sizes])  # fixed cost, then linear
    assert overhead is not None
    assert overhead["slope"] < overhead["slope_largest_pair"] < 1.0
    assert fit_slope([10.0], [1.0]) is None


def test_memory_check_judges_the_largest_run_count() -> None:
    small = {"runs": 10, "peak_rss_bytes": 2 * MEMORY_LIMIT_BYTES}
    large = {"runs": 10**7, "peak_rss_bytes": MEMORY_LIMIT_BYTES - 1}
    verdict = memory_check([small, large])
    assert verdict is not None
    assert verdict["passed"] and verdict["full_size"] and verdict["runs"] == 10**7
    too_big = memory_check([{**large, "peak_rss_bytes": MEMORY_LIMIT_BYTES}])
    assert too_big is not None and not too_big["passed"]
    failed = memory_check([{"runs": 10**7, "error": "exit status -9: killed"}])
    assert failed is not None and not failed["passed"]


@pytest.mark.slow
def test_tiny_study_records_every_point(tmp_path: Path) -> None:
    record = study(TINY, seed=1, quick=True)
    assert {"created", "quick", "seed", "repeat", "machine", "git", "memory_limit_bytes",
            "sweeps", "memory_check"} <= set(record)
    assert {"hostname", "cpu_model", "cores", "python", "numpy"} <= set(record["machine"])
    assert set(record["sweeps"]) == {"runs", "actors", "horizon"}
    for sweep, body in record["sweeps"].items():
        assert len(body["points"]) == len(TINY[sweep])
        for point in body["points"]:
            assert "error" not in point, point
            assert point["run_weeks"] == point["runs"] * point["horizon"] > 0
            assert point["seconds_median"] > 0
            assert 0 < point["run_weeks_per_second"] < math.inf
            assert point["peak_rss_bytes"] > 0
    assert [p["actors"] for p in record["sweeps"]["actors"]["points"]] == [5, 10]
    assert record["sweeps"]["runs"]["fit"] is not None
    assert record["sweeps"]["horizon"]["fit"] is None  # one point: no slope
    assert record["memory_check"]["runs"] == 64
    assert not record["memory_check"]["full_size"]

    json_path, png_path = write(record, tmp_path)
    assert json_path.name.startswith("scaling-quick-") and png_path.suffix == ".png"
    assert json.loads(json_path.read_text())["sweeps"]["runs"]["points"][0]["runs"] == 16
    assert png_path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    table = markdown(record)
    rows = [line for line in table.splitlines() if line.startswith("| ")]
    assert len(rows) == 1 + sum(len(points) for points in TINY.values())
    assert ("PASS" in table) != ("FAIL" in table)
