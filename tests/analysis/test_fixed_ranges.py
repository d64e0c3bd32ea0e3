"""Nothing hidden from the sensitivity analysis: fixed numbers get ranges of their own."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest
import yaml

from redline.analysis.fixed_ranges import fixed_range, with_fixed_ranges
from redline.arrays.scenario_arrays import compile_scenario
from redline.scenario import distributions as dist
from redline.scenario.loader import load_scenario, validate_data
from tests.support.paths import MINI


@pytest.mark.parametrize(("value", "expected"), [
    (2.0, (1.0, 3.0)), (0.8, (0.4, 1.0)), (0.5, (0.25, 0.75)), (-4.0, (-6.0, -2.0)),
    (1000.0, (500.0, 1500.0))])
def test_ranges_are_half_the_value_either_way_clipped_inside_zero_one(value, expected):
    assert fixed_range(value) == pytest.approx(expected)


def test_every_nonzero_fixed_number_becomes_uncertain():
    data = yaml.safe_load(MINI.read_text(encoding="utf-8"))
    data["model"] = {"rationality": 20.0, "sources": {"rationality": "test"}}
    scenario = validate_data(data, file="<mini>")
    widened = with_fixed_ranges(scenario)
    slots = compile_scenario(widened).slots
    for number, name in zip(slots.numbers, slots.names, strict=True):
        assert dist.is_distribution(number) or float(number) == 0.0, name
    # the capability of A (1.0) ranges over 0.5-1.0; the fixed rationality is released
    actor = widened.actors["A"].capability
    assert dist.is_distribution(actor) and actor.support() == pytest.approx((0.5, 1.0))
    assert widened.model.rationality is None and "rationality" not in widened.model.sources
    # distributions are kept as they are
    assert widened.actors["B"].capability == scenario.actors["B"].capability


@pytest.mark.slow
def test_sensitivity_include_fixed_through_the_cli(tmp_path):
    done = subprocess.run(
        [sys.executable, "-m", "redline", "sensitivity", str(MINI), "--method", "morris",
         "--samples", "4", "--replicates", "20", "--include-fixed", "--json"],
        capture_output=True, text=True, timeout=900, check=False)
    assert done.returncode == 0, done.stderr
    parameters = set(json.loads(done.stdout)["parameters"])
    assert "actors.A.capability" in parameters and "model.rationality" in parameters
    plain = load_scenario(MINI)
    assert "actors.A.capability" not in {compile_scenario(plain).slots.names[s]
                                         for s in compile_scenario(plain).slots.uncertain()}
