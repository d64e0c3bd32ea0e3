"""The mapping from a crisis's coded start to a scenario reads only start-of-crisis codes."""

from __future__ import annotations

import dataclasses
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st

import redline
from redline.history.codebook import WHEN
from redline.history.forecast import forecast_type
from redline.history.icb import ICBData, load_icb
from redline.history.mapping import (
    CrisisStart,
    CrisisType,
    MappingParameters,
    build_scenario,
    crisis_start,
    crisis_type,
    scenario_for_crisis,
)
from redline.history.targets import CLASSES

#: Codes observed only during or after a crisis (and some that are not read at all).
AFTER = {"crises": ["viol", "forout", "yrterm"],
         "actors": ["viol", "outcom", "outfor", "crismg", "majres", "trgresra", "trgterra",
                    "cenvio", "sevvio"]}


#: The fields of a CrisisStart that are not ICB codes: which crisis, whose, when, with how many.
NOT_CODES = {"crisno", "actor", "name", "year", "month", "day", "co_actors"}


def test_mapping_reads_only_start_variables():
    """Every ICB code a CrisisStart holds, all the mapping reads, is known at the trigger."""
    codes = [field.name for field in dataclasses.fields(CrisisStart)
             if field.name not in NOT_CODES]
    assert codes and all(WHEN[name] == "start" for name in codes)


def _scrambled(data: ICBData, seed: int) -> ICBData:
    rng = np.random.default_rng(seed)
    crises, actors = data.crises.copy(), data.actors.copy()
    for frame, names in ((crises, AFTER["crises"]), (actors, AFTER["actors"])):
        for name in names:
            frame[name] = pd.array(rng.integers(1, 5, size=len(frame)), dtype="Int64")
    return ICBData(crises=crises, actors=actors, sources=data.sources)


def test_post_trigger_codes_do_not_change_the_scenario():
    data = load_icb()
    scrambled = _scrambled(data, 7)
    for crisno in (1, 100, 196, 300, 412):
        before = yaml.safe_dump(scenario_for_crisis(data, crisno), sort_keys=False)
        after = yaml.safe_dump(scenario_for_crisis(scrambled, crisno), sort_keys=False)
        assert before == after, crisno


def test_crisis_start_is_the_first_actor_with_same_day_partners():
    data = load_icb()
    first = crisis_start(data, 196)  # Cuban missiles: the US crisis began on 16 Oct 1962
    assert first.actor == "USA" and (first.year, first.month, first.day) == (1962, 10, 16)
    assert first.co_actors == 1
    kind = crisis_type(first)
    assert kind.nuclear and kind.democracy and kind.gravity == "high"


def test_every_crisis_scenario_validates():
    data = load_icb()
    kinds = {crisis_type(crisis_start(data, int(c))) for c in data.crises["crisno"]}
    for kind in kinds:
        build_scenario(kind, MappingParameters())


@settings(max_examples=15, deadline=None)
@given(kind=st.builds(CrisisType, trigger=st.sampled_from(["non_military", "military", "violent"]),
                      gravity=st.sampled_from(["low", "medium", "high"]),
                      balance=st.sampled_from(["weaker", "even", "stronger"])),
       escalation=st.floats(0.1, 5.0), rationality=st.floats(0.5, 100.0),
       talks=st.floats(0.001, 0.9))
def test_forecasts_are_distributions(kind, escalation, rationality, talks):
    params = MappingParameters(escalation, rationality, talks)
    forecast = forecast_type(kind, params, runs=40, seed=3)
    for target in CLASSES:
        probabilities = forecast.classes(target)
        assert len(probabilities) == CLASSES[target]
        assert np.all(probabilities >= -1e-12) and abs(probabilities.sum() - 1.0) < 1e-9
    assert 0.0 <= forecast.agreement <= 1.0
    assert forecast == dataclasses.replace(forecast)  # frozen record
    again = forecast_type(kind, params, runs=40, seed=3)
    assert np.array_equal(again.violence, forecast.violence)
    assert np.array_equal(again.outcome, forecast.outcome)
    assert np.array_equal(again.duration, forecast.duration)


def test_violent_trigger_starts_with_clashes():
    kind = CrisisType("violent", "medium", "even", False, False, False, False, True, False)
    forecast = forecast_type(kind, MappingParameters(), runs=100, seed=0)
    assert forecast.violence[0] == 0.0


@pytest.mark.slow
def test_generated_scenario_round_trips_through_the_cli(tmp_path: Path):
    done = subprocess.run([sys.executable, "-m", "redline", "crises", "scenario", "196"],
                          capture_output=True, text=True, timeout=300, check=False)
    assert done.returncode == 0, done.stderr
    path = tmp_path / "cuba.yaml"
    path.write_text(done.stdout, encoding="utf-8")
    scenario = redline.load(path)
    assert scenario.name == "icb-196" and str(scenario.start) == "1962-10-16"
    result = redline.simulate(scenario, runs=200, seed=1)
    assert abs(sum(e.p for e in result.outcomes.values()) - 1.0) < 1e-9
    checked = subprocess.run([sys.executable, "-m", "redline", "validate", str(path)],
                             capture_output=True, text=True, timeout=300, check=False)
    assert checked.returncode == 0, checked.stderr
