"""Tests of the Markdown report, plain-language descriptions and atomic file writing."""

from __future__ import annotations

import datetime as dt
import re

import pytest

from redline.report import format_probability, markdown_report
from redline.report.describe import describe_action, describe_condition, describe_policy
from redline.scenario.models import OUTCOMES
from tests.support.fake_results import make_result, small_scenario

GENERATED = dt.datetime(2024, 11, 1, 12, 0, tzinfo=dt.UTC)


def tables(text: str) -> list[list[str]]:
    """Group consecutive Markdown table lines."""
    groups: list[list[str]] = []
    previous_was_table = False
    for line in text.splitlines():
        is_table = line.startswith("|")
        if is_table and not previous_was_table:
            groups.append([])
        if is_table:
            groups[-1].append(line)
        previous_was_table = is_table
    return groups


def cells(line: str) -> list[str]:
    """Split a table line on unescaped pipes."""
    return [c.strip() for c in re.split(r"(?<!\\)\|", line)[1:-1]]


@pytest.fixture
def report() -> str:
    return markdown_report(make_result(seed=99), run_id="abc123def456", generated=GENERATED)


def test_summary_names_what_was_run(report):
    assert report.startswith("# redline report: Toy crisis | with a pipe\n")
    summary = {cells(line)[0]: cells(line)[1] for line in tables(report)[0][2:]}
    assert summary["Scenario"] == "toy-crisis: Toy crisis \\| with a pipe"
    assert summary["Start"] == "2024-10-28"
    assert summary["Horizon"] == "8 weeks (to 2024-12-23)"
    assert summary["Runs"] == "1,000"
    assert summary["Seed"] == "99"
    assert summary["Generated"] == "2024-11-01 12:00 UTC"
    assert summary["Run id"] == "abc123def456"


def test_every_table_is_rectangular(report):
    found = tables(report)
    assert len(found) == 4  # summary, outcomes, questions, ladder
    for table in found:
        widths = {len(cells(line)) for line in table}
        assert len(widths) == 1, table


def test_outcome_table_has_every_outcome_with_p_and_interval(report):
    outcome_table = tables(report)[1]
    assert cells(outcome_table[0]) == ["Outcome", "Meaning", "P", "95% interval", "Runs"]
    rows = {cells(line)[0]: cells(line) for line in outcome_table[2:]}
    assert list(rows) == list(OUTCOMES)
    assert rows["settlement"][2:] == ["41.2%", "[38.2%, 44.3%]", "412"]
    assert rows["nuclear_use"][2] == "0.30%"
    assert rows["great_power_war"][2:] == ["0%", "[0%, 0.38%]", "0"]


def test_question_table_has_text_deadline_and_interval(report):
    rows = {cells(line)[0]: cells(line) for line in tables(report)[2][2:]}
    assert rows["deep_strike_by_w4"] == [
        "deep_strike_by_w4", "Does Blue strike deep by week 4?", "week 4 (2024-11-25)",
        "25.0%", "[22.4%, 27.8%]",
    ]
    assert rows["nuclear"][2] == "week 8 (2024-12-23)"


def test_ladder_table_is_actor_by_rung_in_ladder_order(report):
    ladder = tables(report)[3]
    assert cells(ladder[0]) == ["Actor", "raid (2)", "deep_strike (5)", "nuclear_use (10)"]
    rows = {cells(line)[0]: cells(line)[1:] for line in ladder[2:]}
    assert rows == {"RED": ["90.0%", "10.0%", "0.30%"], "BLUE": ["100%", "30.0%", "–"]}


def test_how_to_read_note_and_determinism(report):
    assert "## How to read this" in report
    assert "1,000 simulated runs" in report
    again = markdown_report(make_result(seed=99), run_id="abc123def456", generated=GENERATED)
    assert again == report


def test_scenario_without_questions():
    result = make_result(scenario=small_scenario(questions=[]), question_counts={})
    result.questions.clear()
    result.question_weeks.clear()
    text = markdown_report(result, generated=GENERATED)
    assert "The scenario asks no forecast questions." in text
    assert "Run id" not in text


@pytest.mark.parametrize(
    ("p", "text"),
    [(0.0, "0%"), (1.0, "100%"), (0.5, "50.0%"), (0.0003, "0.030%"), (0.00001, "0.0010%"),
     (0.0123, "1.2%"), (0.9996, "99.960%"), (2e-17, "0%"), (float("nan"), "n/a")],
)
def test_format_probability(p, text):
    assert format_probability(p) == text


# ------------------------------------------------------------------ describe


def test_describe_nested_conditions_and_policy():
    scenario = small_scenario()
    policy = scenario.policies[0]
    assert describe_condition(policy.when) == "week >= 2 and not BLUE has reached deep_strike"
    assert describe_action(policy.then[0]) == "talks offered (weekly hazard 0.1)"
    assert describe_policy(policy) == (
        "when week >= 2 and not BLUE has reached deep_strike then talks offered"
        " (weekly hazard 0.1) (probability 0.5, delay 0 weeks)"
    )


def test_describe_parenthesises_mixed_nesting():
    scenario = small_scenario(
        policies=[{
            "id": "p",
            "when": {"any": [{"all": [{"week_at_least": 1}, {"front_active": "border"}]},
                             {"control_below": {"front": "border", "value": 0.1}}]},
            "then": [{"permit": {"actor": "BLUE", "rung": "deep_strike", "by": "RED"}},
                     {"support": {"by": "RED", "to": "RED", "level": {"uniform": [0.1, 0.2]}}}],
        }]
    )
    policy = scenario.policies[0]
    assert describe_condition(policy.when) == (
        "(week >= 1 and front border open) or attacker's control of border below 0.1"
    )
    assert [describe_action(a) for a in policy.then] == [
        "RED permits BLUE to use deep_strike",
        "RED support to RED becomes uniform(0.1, 0.2)",
    ]


def test_ladder_table_omits_actors_who_may_use_no_rung():
    result = make_result()
    result.ladder_reached["BLUE"] = {}
    text = markdown_report(result, generated=GENERATED)
    rows = [cells(line)[0] for line in tables(text)[3][2:]]
    assert rows == ["RED"]
    result.ladder_reached["RED"] = {}
    assert "No ladder reach was recorded." in markdown_report(result, generated=GENERATED)


def _example(annotation):
    """A value for a field of the given annotation, built without validation."""
    import types
    import typing

    from pydantic import BaseModel

    origin = typing.get_origin(annotation)
    if origin is typing.Annotated:
        return _example(typing.get_args(annotation)[0])
    if origin in (typing.Union, types.UnionType):
        return _example(typing.get_args(annotation)[0])
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return annotation.model_construct(**{
            name: _example(field.annotation) for name, field in annotation.model_fields.items()})
    if origin is list:
        from redline.scenario.models import WeekAtLeast
        return [WeekAtLeast(week_at_least=1)]
    if origin is typing.Literal:
        return typing.get_args(annotation)[0]
    if annotation in (int,):
        return 1
    if annotation in (float,):
        return 0.5
    if annotation is bool:
        return True
    return "x"


def test_every_condition_and_action_has_a_description():
    """A new condition or action in the language must be describable by `show` and reports."""
    import typing

    from redline.report.describe import describe_action, describe_condition
    from redline.scenario import models

    def members(union):
        for arg in typing.get_args(typing.get_args(union)[0]):
            yield typing.get_args(arg)[0]

    for cls in members(models.Condition):
        if cls is models.NotOf:
            instance = models.NotOf.model_construct(not_=models.WeekAtLeast(week_at_least=1))
        else:
            instance = _example(cls)
        assert isinstance(describe_condition(instance), str), cls
    for cls in members(models.Action):
        assert isinstance(describe_action(_example(cls)), str), cls


def test_scenario_markup_is_escaped_in_the_markdown_report():
    """A viewer that renders HTML inside Markdown must show a hostile title, not run it."""
    hostile = "<script>alert(1)</script>"
    base = small_scenario()
    questions = [base.questions[0].model_copy(update={"text": f"Will {hostile} happen?"}),
                 *base.questions[1:]]
    scenario = small_scenario(title=f"Crisis {hostile}",
                              questions=[q.model_dump() for q in questions])
    text = markdown_report(make_result(scenario=scenario), generated=GENERATED)
    assert hostile not in text
    assert "<script" not in text.lower()
    assert "# redline report: Crisis &lt;script&gt;alert(1)&lt;/script&gt;" in text
    assert "Will &lt;script&gt;alert(1)&lt;/script&gt; happen?" in text
