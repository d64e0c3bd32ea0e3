"""The docs that are generated from code must match the code."""

from pathlib import Path

from redline.scenario.language_docs import reference_markdown

ROOT = Path(__file__).resolve().parents[1]


def test_scenario_reference_is_up_to_date():
    committed = (ROOT / "docs" / "reference" / "scenario.md").read_text(encoding="utf-8")
    assert committed == reference_markdown(), (
        "docs/reference/scenario.md is stale: run "
        "`python -m redline.scenario.language_docs > docs/reference/scenario.md`"
    )


def test_every_condition_and_action_is_documented():
    text = (ROOT / "docs" / "reference" / "scenario.md").read_text(encoding="utf-8")
    from redline.scenario.models import ACTION_KEYS, CONDITION_KEYS

    for key in (*CONDITION_KEYS, *ACTION_KEYS):
        assert f"| `{key}` |" in text, key
