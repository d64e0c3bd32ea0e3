"""The flagship scenario kursk-2024: what the issue requires of it, and that it runs."""

from __future__ import annotations

import datetime as dt
import re

import pytest

import redline
from redline.scenario.overlay import apply_overlay
from tests.support.paths import ROOT

REQUIRED_QUESTIONS = {
    "us_permits_deep_strikes": 4, "deep_strike_on_russia": 6,
    "russia_strategic_conventional_response": 8, "russia_nuclear_signal": 8,
    "prk_troops_in_combat": 8, "kursk_foothold_lost": 30, "georgia_unrest": 8,
    "settlement_w26": 26, "settlement_w52": 52, "great_power_war": 52, "nuclear_use": 52,
    "russia_regime_crisis": 52,
}


@pytest.fixture(scope="module")
def kursk() -> redline.Scenario:
    return redline.load("kursk-2024")


def test_shipped_in_the_package_and_listed():
    assert "kursk-2024" in redline.builtin_names()


def test_frame(kursk):
    assert kursk.start == dt.date(2024, 10, 28)
    assert kursk.step == "week"
    assert kursk.horizon == 52
    assert {"RUS", "UKR", "USA", "PRK", "FRA", "GBR", "CHN", "IRN", "GEO"} <= set(kursk.actors)
    assert "NATO" in kursk.actors or {"DEU", "POL"} <= set(kursk.actors)


def test_required_questions_with_their_deadlines(kursk):
    deadlines = {q.id: q.by_week for q in kursk.questions}
    for qid, week in REQUIRED_QUESTIONS.items():
        assert deadlines.get(qid) == week, qid


def test_article_mechanisms_are_present(kursk):
    """The table of DESIGN.md section 1, element by element."""
    prk = next(d for d in kursk.deployments if d.actor == "PRK" and d.front == "kursk")
    assert redline.scenario.distributions.support_of(prk.strength) == (10_000.0, 12_000.0)
    deep = next(r for r in kursk.ladder if r.id == "deep_strike")
    assert "USA" in deep.needs_permission_from
    red_line = next(r for r in kursk.red_lines if r.owner == "RUS")
    assert red_line.response == "nuclear_use"
    assert red_line.tolerated == "drone_incursion" and red_line.declared_at == "deep_strike"
    assert "USA" in red_line.priors                    # "Putin is all bluster"
    assert kursk.actors["RUS"].stability_floor > 0     # regime crisis possible
    assert any(not c.kept for c in kursk.commitments if c.by == "USA" and c.to == "RUS")
    assert not kursk.fronts["georgia"].active          # a second theatre, opened by policy
    ids = {h.id for h in kursk.hypotheses}
    assert {"H0", "H1", "H2"} <= ids  # the article's two theories and "the report is false"
    assert kursk.observations


def test_every_hypothesis_overlay_applies(kursk):
    for hypothesis in kursk.hypotheses:
        changed = apply_overlay(kursk, hypothesis.overlay, what=hypothesis.id)
        assert changed != kursk, hypothesis.id


def test_runs_and_outcomes_sum_to_one(kursk):
    result = redline.simulate(kursk, runs=2048, seed=7)
    assert sum(e.count for e in result.outcomes.values()) == 2048
    assert set(REQUIRED_QUESTIONS) <= set(result.questions)
    # the PRK deployment is real in most runs and reaches combat within weeks
    assert result.questions["prk_troops_in_combat"].p > 0.5


def test_documented_parameter_by_parameter():
    """Every top-level section of the scenario appears in its documentation page."""
    text = (ROOT / "docs" / "scenarios" / "kursk-2024.md").read_text(encoding="utf-8")
    for needed in ("rus_deep_strike", "lift_strike_ban", "prk_kursk", "georgia", "H0", "H1",
                   "H2", *REQUIRED_QUESTIONS):
        assert needed in text, needed
    # every sentence of the article is mapped: the table numbers them
    article = (ROOT.parent / "shared" / "seed" / "000_5cbaa17706d8b98d.txt")
    if article.exists():
        sentences = [s for s in re.split(r"(?<=[.!?])\s+", article.read_text()) if s.strip()]
        numbered = re.findall(r"^\| (\d+) \|", text, flags=re.MULTILINE)
        assert len(numbered) >= len(sentences) - 2
