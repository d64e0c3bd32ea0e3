"""The historical scenario cuba-1962 and its recorded resolutions: a worked scoring example."""

from __future__ import annotations

import datetime as dt

import redline
from redline.analysis.resolutions import happened_by_deadline, load_resolutions
from redline.analysis.scoring import score
from redline.scenarios import builtin_resolutions


def test_cuba_is_built_in_with_resolutions_for_every_question():
    assert "cuba-1962" in redline.builtin_names()
    scenario = redline.load("cuba-1962")
    assert scenario.start == dt.date(1962, 10, 16)
    path = builtin_resolutions("cuba-1962")
    assert path is not None
    resolutions = load_resolutions(path, scenario)
    assert {r.question for r in resolutions} == {q.id for q in scenario.questions}
    # the blockade (quarantine) was announced on 22 October 1962, in week 1
    blockade = [r for r in resolutions if r.date == dt.date(1962, 10, 22)]
    assert blockade and all(happened_by_deadline(r, scenario) for r in blockade)
    nuclear = [r for r in resolutions if r.question == "nuclear_use"]
    assert nuclear and not nuclear[0].outcome


def test_cuba_scores():
    scenario = redline.load("cuba-1962")
    resolutions = load_resolutions(builtin_resolutions("cuba-1962"), scenario)
    result = redline.simulate(scenario, runs=2048, seed=0)
    card = score({qid: e.p for qid, e in result.questions.items()},
                 {r.question: happened_by_deadline(r, scenario) for r in resolutions},
                 {q.id: q.base_rate for q in scenario.questions})
    assert 0.0 <= card.brier <= 1.0
    assert card.baselines["always_0.5"]["brier"] == 0.25
    assert "base_rate" in card.baselines
