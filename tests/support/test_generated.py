"""Synthetic scenarios for the tests and the scaling study (tests/support/generated.py).

Each generated scenario must pass the project's own loader, keep kursk-2024's
structure at every size, be a pure function of (actors, seed), and simulate
to outcome probabilities that sum to one.
"""

from __future__ import annotations

import pytest
import yaml

import redline
from redline.scenario import load_text
from redline.scenario.distributions import is_distribution
from tests.support.generated import cast, generated_data, generated_scenario

SIZES = [5, 10, 20, 40]


@pytest.mark.parametrize("actors", SIZES)
def test_generated_scenario_loads_with_kursk_structure(actors: int) -> None:
    scenario = generated_scenario(actors)
    assert len(scenario.actors) == actors
    assert len(scenario.sides) == 2
    assert all(len(members) >= 2 for members in scenario.sides.values())
    supporters = set(scenario.actors) - {a for leader, members in scenario.sides.items()
                                         for a in (leader, *members)}
    assert supporters  # outsiders supporting a side
    assert {s.by for s in scenario.support} >= supporters
    assert 8 <= len(scenario.ladder) <= 10
    assert {r.outcome for r in scenario.ladder} >= {"great_power_war", "nuclear_use"}
    assert any(r.needs_permission_from for r in scenario.ladder)
    assert 2 <= len(scenario.red_lines) <= 2 + actors // 10
    assert len(scenario.fronts) == max(1, round(actors / 5))
    assert 1 <= len(scenario.deployments) <= 2
    assert len(scenario.policies) == actors
    assert scenario.questions and scenario.commitments
    kinds = {type(r.threshold).__name__ for r in scenario.red_lines}
    kinds |= {type(a.resolve).__name__ for a in scenario.actors.values()
              if is_distribution(a.resolve)}
    kinds |= {type(r.follow_through).__name__ for r in scenario.red_lines}
    kinds |= {type(s.level).__name__ for s in scenario.support if is_distribution(s.level)}
    assert {"Uniform", "Triangular", "Beta"} <= kinds


@pytest.mark.parametrize("actors", [5, 17, 40])
def test_generated_data_is_plain_yaml_the_loader_accepts(actors: int) -> None:
    text = yaml.safe_dump(generated_data(actors, seed=3), sort_keys=False)
    assert load_text(text) == generated_scenario(actors, seed=3)


def test_generated_scenario_is_deterministic() -> None:
    assert generated_data(20, seed=7) == generated_data(20, seed=7)
    assert generated_data(20, seed=7) != generated_data(20, seed=8)
    assert generated_scenario(20, seed=7) == generated_scenario(20, seed=7)


def test_every_size_validates_and_casts_every_actor() -> None:
    for actors in range(5, 41):
        who = cast(actors)
        assert len(who.everyone) == len(set(who.everyone)) == actors
        assert len(generated_scenario(actors, horizon=13, seed=actors).actors) == actors


@pytest.mark.parametrize("actors", [4, 41])
def test_sizes_outside_the_study_are_refused(actors: int) -> None:
    with pytest.raises(ValueError, match="actors must be from 5 to 40"):
        generated_scenario(actors)


def test_horizon_sets_the_scenario_and_deadlines() -> None:
    scenario = generated_scenario(10, horizon=13)
    assert scenario.horizon == 13
    assert max(q.by_week for q in scenario.questions) == 13


@pytest.mark.parametrize("actors", SIZES)
def test_generated_scenario_simulates(actors: int) -> None:
    result = redline.simulate(generated_scenario(actors), runs=300, seed=1)
    assert sum(e.p for e in result.outcomes.values()) == pytest.approx(1.0, abs=1e-12)
    assert sum(e.count for e in result.outcomes.values()) == 300
    assert result.outcomes["ongoing"].p < 1.0  # the crisis moves in some runs
