"""The Mesa peer (benchmarks/peer_mesa.py) against redline: same model, same distribution.

The peer re-implements every mechanism in scalar Python, one ``mesa.Model``
per run and one agent per actor, with its own random numbers; the two can
agree only in distribution. The checks are tests of homogeneity that can
fail: a chi-square test on the outcome distribution (categories with small
expected counts merged) and two-proportion z-tests on question probabilities,
each at significance 0.001. Seeds are fixed, so the verdict is reproducible;
with four tests, a correct implementation would fail by chance with
probability about 0.004 for a fresh choice of seeds.
"""

from __future__ import annotations

import math

import numpy as np
import pytest
from scipy import stats

import redline

pytest.importorskip("mesa")
from benchmarks.peer_mesa import Blueprint, CrisisModel, run_peer
from redline.scenario.loader import load_text
from tests.mechanisms.test_policy_acts import INCIDENTS

PEER_RUNS = 400
REDLINE_RUNS = 20_000
HORIZON = 52
ALPHA = 0.001
QUESTIONS = ("us_permits_deep_strikes", "prk_troops_in_combat", "deep_strike_on_russia")


@pytest.fixture(scope="module")
def scenario() -> redline.Scenario:
    """The flagship scenario."""
    return redline.load("kursk-2024")


@pytest.fixture(scope="module")
def both(scenario):
    """The peer's and redline's ensembles on the same scenario and horizon."""
    peer = run_peer(scenario, PEER_RUNS, seed=2024, horizon=HORIZON, questions=list(QUESTIONS))
    ours = redline.simulate(scenario, runs=REDLINE_RUNS, seed=7, horizon=HORIZON)
    return peer, ours


def merged_table(peer_counts: list[int], our_counts: list[int], peer_runs: int,
                 minimum: float = 5.0) -> np.ndarray:
    """2 x k table; outcomes whose expected peer count is below ``minimum`` are pooled."""
    total = np.array(peer_counts) + np.array(our_counts)
    expected = total * peer_runs / total.sum()
    large = expected >= minimum
    columns = [np.array([peer_counts, our_counts])[:, large]]
    if (~large).any():
        columns.append(np.array([[np.array(peer_counts)[~large].sum()],
                                 [np.array(our_counts)[~large].sum()]]))
    table = np.hstack(columns)
    return table[:, table.sum(axis=0) > 0]


def two_proportion_p(count_a: int, n_a: int, count_b: int, n_b: int) -> float:
    """Two-sided p-value of the pooled two-proportion z-test."""
    pooled = (count_a + count_b) / (n_a + n_b)
    se = math.sqrt(pooled * (1.0 - pooled) * (1.0 / n_a + 1.0 / n_b))
    if se == 0.0:
        return 1.0
    z = (count_a / n_a - count_b / n_b) / se
    return float(2.0 * stats.norm.sf(abs(z)))


def test_outcome_distribution_matches(both):
    """Chi-square test of homogeneity of the seven outcomes (small categories pooled)."""
    peer, ours = both
    names = list(ours.outcomes)
    table = merged_table([peer.outcomes[n] for n in names],
                         [ours.outcomes[n].count for n in names], peer.runs)
    assert table.shape[1] >= 2
    result = stats.chi2_contingency(table, correction=False)
    assert result.pvalue > ALPHA, (table, result)


@pytest.mark.parametrize("question", QUESTIONS)


def test_question_probability_matches(both, scenario, question):
    """Two-proportion z-test of each question's probability."""
    peer, ours = both
    by_week = next(q.by_week for q in scenario.questions if q.id == question)
    p_value = two_proportion_p(peer.question_count(question, by_week), peer.runs,
                               ours.questions[question].count, ours.runs)
    assert p_value > ALPHA, (question, peer.question_count(question, by_week) / peer.runs,
                             ours.questions[question].p)


def test_the_test_can_fail():
    """The chi-square check rejects a clearly different distribution."""
    table = merged_table([300, 100, 0], [18_000, 2_000, 0], 400)
    assert stats.chi2_contingency(table, correction=False).pvalue < ALPHA


def test_model_is_one_mesa_model_per_run(scenario):
    """One agent per actor; a seeded run is reproducible."""
    blueprint = Blueprint.of(scenario)
    first = CrisisModel(blueprint, rng=5)
    assert len(first.agents) == len(scenario.actors)
    for _ in range(20):
        first.step()
    second = CrisisModel(blueprint, rng=5)
    for _ in range(20):
        second.step()
    assert first.outcome == second.outcome
    assert [a.posture for a in first.agents] == [a.posture for a in second.agents]
    assert first.fronts["donbas"].control == second.fronts["donbas"].control


def test_the_peer_keeps_standoffs_and_carries_out_closures():
    """The rules of tests/mechanisms/test_front_policies.py, one seeded peer run: a front whose
    fighting rung nobody can reach keeps its control; a withdrawal hands the ground over."""
    import yaml

    from redline.scenario.loader import validate_data
    from tests.mechanisms.test_front_policies import BASE

    data = yaml.safe_load(BASE)
    data["ladder"][2]["users"] = ["C"]
    data["fronts"]["plateau"]["fights_at"] = "war"
    data["policies"] = [{"id": "leave", "when": {"week_at_least": 4},
                         "then": [{"withdraw": {"front": "coast", "actor": "A"}}]}]
    model = CrisisModel(Blueprint.of(validate_data(data, file="standoff.yaml")), rng=3)
    for week in range(1, 9):
        model.step()
        assert model.fronts["plateau"].control == 0.4
        assert model.fronts["coast"].open == (week < 4)
    assert model.fronts["coast"].control == 1.0


def test_the_peer_makes_deals_only_once_a_trade_opens_the_range():
    """tests/mechanisms/test_concessions.py's scenario: the range is empty until A's concession
    in week 3, then open; over 40 seeded peer runs none settles before week 3, most after."""
    from redline.scenario.loader import validate_data
    from tests.mechanisms.test_concessions import scenario_data

    blueprint = Blueprint.of(validate_data(scenario_data(), file="trade.yaml"))
    settled_late = 0
    for seed in range(40):
        model = CrisisModel(blueprint, rng=seed)
        for week in range(1, 13):
            model.step()
            assert not (week < 3 and model.settled_ever)
        settled_late += model.settled_ever
    assert settled_late >= 30  # expected 40 x (1 - 0.7^10) = 38.9


def test_the_peer_has_the_memories_and_windows_of_the_engines():
    """On the coin of tests/mechanisms/test_conditions.py (an actor on its only rung with
    probability 1/2 a week): posture_is, ever, held_for and windows, in distribution."""
    from redline.scenario.loader import validate_data
    from tests.mechanisms.test_conditions import coin_data

    coin = validate_data(coin_data(), file="coin.yaml")
    peer = run_peer(coin, PEER_RUNS, seed=2024)
    ours = redline.simulate(coin, runs=4096, seed=7)
    for question in coin.questions:
        p_value = two_proportion_p(peer.question_count(question.id, question.by_week),
                                   peer.runs, ours.questions[question.id].count, ours.runs)
        assert p_value > ALPHA, (question.id, peer.question_count(question.id, question.by_week),
                                 ours.questions[question.id].p)


def test_the_peer_carries_out_adopt_record_and_hazard_as_redline_does():
    """Issue 20's acts in the peer: an incident with a weekly hazard (a killing while
    rockets fly) makes Israel strike once, crossing a red line. The peer's share of runs
    crossed by each week is tested against redline's (two-proportion z-test) and both
    against the closed form 1 - (1 - h)^w."""
    scenario = load_text(INCIDENTS, "incidents.yaml")
    peer = run_peer(scenario, PEER_RUNS, seed=2024, questions=["crossed", "killed"])
    ours = redline.simulate(scenario, runs=REDLINE_RUNS, seed=7)
    assert peer.question_weeks["crossed"] == peer.question_weeks["killed"]
    for week in (1, 4, 12):
        count = peer.question_count("crossed", week)
        ours_count = round(ours.question_weeks["crossed"][week] * ours.runs)
        assert two_proportion_p(count, peer.runs, ours_count, ours.runs) > ALPHA
        expected = 1.0 - 0.8**week
        assert abs(count / peer.runs - expected) <= 5 * math.sqrt(
            expected * (1 - expected) / peer.runs)
