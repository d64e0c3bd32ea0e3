"""The tutorial's scenario is valid and its commands work as the tutorial says."""

from __future__ import annotations

import re

import pytest

import redline
from redline.scenario.errors import ScenarioError
from redline.scenario.loader import load_text
from tests.support.paths import ROOT


def tutorial_blocks(language: str) -> list[str]:
    text = (ROOT / "docs" / "tutorial.md").read_text(encoding="utf-8")
    return re.findall(rf"```{language}\n(.*?)```", text, flags=re.DOTALL)


def test_tutorial_scenario_runs_and_escalates_sometimes():
    scenario = load_text(tutorial_blocks("yaml")[0], "standoff.yaml")
    result = redline.simulate(scenario, runs=2048, seed=7)
    assert 0.05 < result.questions["strike_used"].p < 0.95
    assert abs(sum(e.p for e in result.outcomes.values()) - 1) < 1e-12


def test_tutorial_error_example_is_reported_as_written():
    text = tutorial_blocks("yaml")[0].replace("owner: A,", "owner: Z,")
    try:
        load_text(text, "standoff.yaml")
    except ScenarioError as error:
        (issue,) = error.issues
        assert issue.message == "unknown actor 'Z'"
        assert issue.expected == "one of A, B, C"
    else:
        raise AssertionError("the tutorial's mistake was not reported")


@pytest.mark.slow
def test_tutorial_notebook_section_runs_as_written(tmp_path, monkeypatch):
    """Section 7, in a folder holding the tutorial's own scenario and resolutions files."""
    monkeypatch.chdir(tmp_path)
    scenario, resolutions = tutorial_blocks("yaml")[:2]
    (tmp_path / "standoff.yaml").write_text(scenario)
    (tmp_path / "resolutions.yaml").write_text(resolutions)
    (block,) = [block for block in tutorial_blocks("python") if "redline.Study(" in block]
    namespace: dict = {}
    exec(compile(block, "docs/tutorial.md", "exec"), namespace)
    study, mine = namespace["study"], namespace["mine"]
    assert (tmp_path / "kursk-2024.html").is_file()
    assert "no_strike_ban_lift" in study.summary()
    assert [row["question"] for row in mine.scorecard.questions] == ["strike_used", "nuclear"]
