"""Questions: deadlines and windows in weeks or dates, and how resolutions are scored (issue 20).

Dates become weeks by the documented rounding (a deadline counts the last week
that ends on or before it, an opening the first week that ends on or after
it), a dated question runs as its weeks do, dumps of it validate again, bad
dates and windows are reported at their line, and a resolution dated outside
its window is scored false with a warning that says so.
"""

from __future__ import annotations

import datetime as dt

import numpy as np
import pytest
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st
from typer.testing import CliRunner

from redline import cli
from redline.analysis.resolutions import (
    happened_by_deadline,
    load_resolutions,
    resolution_warnings,
)
from redline.engine.run import simulate
from redline.scenario.errors import ScenarioError
from redline.scenario.loader import load_text, validate_data
from redline.scenario.models import week_of_deadline, week_of_opening
from redline.scenario.overlay import apply_overlay
from redline.scenario.paths import scenario_data
from redline.scenario.pitfalls import file_warnings
from tests.support.paths import MINI

START = dt.date(2024, 1, 1)  # the mini scenario's start


def mini(**question: object) -> dict:
    data = yaml.safe_load(MINI.read_text(encoding="utf-8"))
    first = {key: value for key, value in data["questions"][0].items() if key != "by_week"}
    data["questions"][0] = {**first, **question}
    return data


@settings(max_examples=200, deadline=None)
@given(days=st.integers(0, 7 * 1040))
def test_dates_round_to_the_weeks_whose_ends_bound_them(days):
    """A deadline's week ends on or before it, the next one after it; an opening's week ends
    on or after it, the one before it before it."""
    date = START + dt.timedelta(days=days)
    deadline, opening = week_of_deadline(START, date), week_of_opening(START, date)
    assert START + dt.timedelta(weeks=deadline) <= date < START + dt.timedelta(weeks=deadline + 1)
    assert START + dt.timedelta(weeks=opening - 1) < date <= START + dt.timedelta(weeks=opening)
    assert opening - deadline == (0 if days % 7 == 0 else 1)


def test_a_dated_question_runs_as_the_same_question_in_weeks():
    dated = validate_data(mini(by_date="2024-03-13", from_date="2024-01-20"), file="mini.yaml")
    (question, *_) = dated.questions
    assert (question.from_week, question.by_week) == (3, 10)  # Jan 22 (week 3), Mar 11 (10)
    in_weeks = validate_data(mini(by_week=10, from_week=3), file="mini.yaml")
    results = [simulate(scenario, runs=256, seed=6, keep_runs=True, engine="numpy")
               for scenario in (dated, in_weeks)]
    np.testing.assert_array_equal(results[0].per_run["event_week"],
                                  results[1].per_run["event_week"])
    assert results[0].questions["strike_used"].count == results[1].questions["strike_used"].count


def test_a_dated_question_dumps_as_dated_and_survives_an_overlay():
    scenario = validate_data(mini(by_date="2024-03-13"), file="mini.yaml")
    dumped = scenario_data(scenario)["questions"][0]
    assert dumped["by_date"] == "2024-03-13" and "by_week" not in dumped
    longer = apply_overlay(scenario, {"horizon": 30})
    assert longer.questions[0].by_week == 10
    later = apply_overlay(scenario, {"start": "2024-02-05"})  # the date stays, its week moves
    assert later.questions[0].by_week == 5


def _issues(data: dict) -> list:
    text = yaml.safe_dump(data, sort_keys=False)
    with pytest.raises(ScenarioError) as caught:
        load_text(text, "mini.yaml")
    return caught.value.issues


@pytest.mark.parametrize(("question", "message"), [
    ({}, "no deadline"),
    ({"by_week": 10, "by_date": "2024-03-11"}, "both by_week and by_date"),
    ({"by_week": 10, "from_week": 2, "from_date": "2024-01-15"}, "both from_week and from_date"),
    ({"by_date": "2024-01-05"}, "by_date 2024-01-05 falls in week 0"),
    ({"by_date": "2023-12-01"}, "falls in week -5"),
    ({"by_week": 10, "from_week": 11}, "the window opens at week 11, after the deadline"),
    ({"by_date": "2024-02-01", "from_date": "2024-02-02"},
     "the window opens at week 5, after the deadline (week 4)"),
])
def test_bad_deadlines_and_windows_are_reported_at_the_question(question, message):
    (issue,) = _issues(mini(**question))
    assert message in issue.message
    assert issue.line > 1 and issue.expected


def test_a_window_past_the_horizon_is_a_warning_not_an_error(tmp_path):
    path = tmp_path / "late.yaml"
    text = MINI.read_text(encoding="utf-8").replace(
        "event: {outcome: nuclear_use}, by_week: 20",
        "event: {outcome: nuclear_use}, by_date: 2024-12-30, from_date: 2024-09-01")
    path.write_text(text, encoding="utf-8")
    from redline.scenario.loader import load_scenario

    (warning,) = file_warnings(path, load_scenario(path))
    assert "opens its window at week 35, past the horizon (week 20)" in warning.message
    assert warning.line == next(i for i, line in enumerate(text.splitlines(), 1)
                                if "from_date" in line)


# ------------------------------------------------------------- resolutions


def _resolutions(tmp_path, text: str):
    path = tmp_path / "mini.resolutions.yaml"
    path.write_text("resolutions:\n" + text, encoding="utf-8")
    return path


def test_a_true_resolution_outside_the_window_is_scored_false_and_said_so(tmp_path):
    scenario = validate_data(mini(by_week=10, from_week=3), file="mini.yaml")
    path = _resolutions(tmp_path, "  - {question: strike_used, outcome: true, date: 2024-01-10}\n"
                                  "  - {question: nuclear, outcome: true, date: 2024-03-01}\n")
    early, in_time = load_resolutions(path, scenario)
    assert not happened_by_deadline(early, scenario) and happened_by_deadline(in_time, scenario)
    (warning,) = resolution_warnings(path, scenario)
    assert warning.line == 2
    assert ("'strike_used' resolved true on 2024-01-10, before its window opens on 2024-01-22 "
            "(week 3): it is scored as false") in warning.message


def test_score_prints_a_warning_naming_a_question_scored_false(tmp_path):
    scenario_path = tmp_path / "mini.yaml"
    scenario_path.write_text(MINI.read_text(encoding="utf-8"), encoding="utf-8")
    path = _resolutions(tmp_path, "  - {question: strike_used, outcome: true, date: 2024-04-01}\n")
    done = CliRunner().invoke(cli.app, ["score", str(scenario_path), str(path), "--runs", "64",
                                        "--json"])
    assert done.exit_code == 0, done.output
    warning = next(line for line in done.stderr.splitlines() if "warning" in line)
    assert warning.startswith(f"{path}:2:")
    assert "'strike_used' resolved true on 2024-04-01, after its deadline" in warning
    assert "scored as false" in warning


def test_the_json_schema_asks_for_one_deadline():
    from redline.scenario.schema import json_schema

    question = json_schema()["$defs"]["Question"]
    assert question["oneOf"] == [{"required": ["by_week"]}, {"required": ["by_date"]}]
    assert "default" not in question["properties"]["by_week"]
    for example in question["examples"]:  # each example is a valid question
        validate_data(mini(**{key: value for key, value in example.items()
                              if key not in ("id", "event")}), file="mini.yaml")
