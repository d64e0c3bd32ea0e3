"""Scoring forecasts: closed forms, propriety, calibration, the resolutions file, the CLI."""

from __future__ import annotations

import itertools
import json
import subprocess
import sys

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import redline
from redline.analysis.resolutions import happened_by_deadline, load_resolutions
from redline.analysis.scoring import brier_score, calibration_table, log_score, score
from redline.scenario.errors import ScenarioError


def test_brier_and_log_closed_forms():
    """Brier (1950): mean (p - o)^2; Good (1952): mean log p(outcome)."""
    assert brier_score([1.0, 0.0], [True, False]) == 0.0
    assert brier_score([0.5] * 4, [True, False, True, True]) == 0.25
    assert log_score([0.8, 0.3], [True, False]) == pytest.approx((np.log(0.8) + np.log(0.7)) / 2)
    assert log_score([0.0], [True]) == pytest.approx(np.log(1e-4))  # clipped, finite


@settings(max_examples=60, deadline=None)
@given(truth=st.floats(0.0, 1.0), stated=st.floats(0.0, 1.0))
def test_both_scores_are_proper(truth, stated):
    """Expected score under the true probability is best when the forecast states it."""
    def expected_brier(p):
        return truth * (1 - p) ** 2 + (1 - truth) * p ** 2

    def expected_log(p):
        p = min(max(p, 1e-4), 1 - 1e-4)
        return truth * np.log(p) + (1 - truth) * np.log(1 - p)

    assert expected_brier(truth) <= expected_brier(stated) + 1e-12
    if 1e-4 <= truth <= 1 - 1e-4:
        assert expected_log(truth) >= expected_log(stated) - 1e-12


def test_calibration_table_groups_forecasts():
    table = calibration_table([0.05, 0.07, 0.55, 0.95], [False, True, True, True])
    assert [(b.low, b.count) for b in table] == [(0.0, 2), (0.5, 1), (0.9, 1)]
    assert table[0].mean_forecast == pytest.approx(0.06)
    assert table[0].observed_frequency == 0.5


def test_score_with_baselines():
    card = score({"a": 0.9, "b": 0.2, "c": 0.5}, {"a": True, "b": False, "c": True},
                 {"a": 0.5, "b": None, "c": None})
    assert card.brier == pytest.approx((0.01 + 0.04 + 0.25) / 3)
    assert card.baselines["always_0.5"]["brier"] == 0.25
    assert card.baselines["base_rate"]["n"] == 1
    assert card.baselines["base_rate"]["model_brier_same_questions"] == pytest.approx(0.01)


@pytest.fixture(scope="module")
def kursk():
    return redline.load("kursk-2024")


def test_resolutions_errors_with_lines(tmp_path, kursk):
    path = tmp_path / "r.yaml"
    path.write_text("resolutions:\n  - question: nuclear_use\n    outcome: maybe\n"
                    "  - question: nuclear_use\n    outcome: false\n    colour: red\n")
    with pytest.raises(ScenarioError) as caught:
        load_resolutions(path, kursk)
    assert [issue.line for issue in caught.value.issues] == [3, 6]


def test_unknown_and_repeated_questions(tmp_path, kursk):
    path = tmp_path / "r.yaml"
    path.write_text("resolutions:\n  - question: no_such\n    outcome: true\n"
                    "  - question: nuclear_use\n    outcome: false\n"
                    "  - question: nuclear_use\n    outcome: false\n")
    with pytest.raises(ScenarioError) as caught:
        load_resolutions(path, kursk)
    messages = [(issue.line, issue.message) for issue in caught.value.issues]
    assert messages == [(2, "unknown question 'no_such'"),
                        (6, "question 'nuclear_use' resolved twice")]


def test_true_after_the_deadline_counts_as_false(tmp_path, kursk):
    path = tmp_path / "r.yaml"
    path.write_text("resolutions:\n  - question: us_permits_deep_strikes\n    outcome: true\n"
                    "    date: 2025-03-01\n")
    (resolution,) = load_resolutions(path, kursk)
    assert not happened_by_deadline(resolution, kursk)  # deadline: week 4, 2024-11-25


@pytest.mark.slow
def test_score_cli(tmp_path):
    path = tmp_path / "r.yaml"
    path.write_text("resolutions:\n  - question: nuclear_use\n    outcome: false\n")
    out = subprocess.run([sys.executable, "-m", "redline", "score", "kursk-2024", str(path),
                          "--runs", "1024", "--json"], capture_output=True, text=True, check=False)
    assert out.returncode == 0, out.stderr
    document = json.loads(out.stdout)
    assert 0.0 <= document["brier"] <= 1.0
    assert document["baselines"]["always_0.5"]["brier"] == 0.25
    path.write_text("resolutions:\n  - question: no_such_question\n    outcome: true\n")
    out = subprocess.run([sys.executable, "-m", "redline", "score", "kursk-2024", str(path)],
                         capture_output=True, text=True, check=False)
    assert out.returncode == 2
    assert "unknown question 'no_such_question'" in out.stderr
    assert "Traceback" not in out.stderr


@pytest.mark.slow
def test_forecast_cli_json_has_cumulative_curves():
    out = subprocess.run([sys.executable, "-m", "redline", "forecast", "kursk-2024", "--runs",
                          "1024", "--json"], capture_output=True, text=True, check=False)
    assert out.returncode == 0, out.stderr
    questions = json.loads(out.stdout)["questions"]
    curve = questions["settlement_w52"]["cumulative"]
    assert len(curve) == 53 and all(b >= a for a, b in itertools.pairwise(curve))
    assert {"p", "lo", "hi", "by_week"} <= set(questions["nuclear_use"])


@pytest.mark.slow
def test_score_uses_the_resolutions_shipped_with_a_built_in_scenario():
    out = subprocess.run([sys.executable, "-m", "redline", "score", "cuba-1962", "--runs", "1024",
                          "--json"], capture_output=True, text=True, check=False)
    assert out.returncode == 0, out.stderr
    document = json.loads(out.stdout)
    assert document["n"] >= 10 and "base_rate" in document["baselines"]
    out = subprocess.run([sys.executable, "-m", "redline", "score", "kursk-2024"],
                         capture_output=True, text=True, check=False)
    assert out.returncode == 2 and "ships no resolutions" in out.stderr
