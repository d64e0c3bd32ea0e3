"""What each forecast hinges on: a question driven by one parameter names that parameter."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest
import yaml

from redline.analysis.hinges import hinges, parameter_values
from redline.arrays.scenario_arrays import compile_scenario
from redline.scenario.loader import validate_data
from tests.support.paths import MINI


def _scenario(fixed: bool):
    data = yaml.safe_load(MINI.read_text(encoding="utf-8"))
    data["policies"][0]["probability"] = {"uniform": [0.0, 1.0]}
    data["questions"].append({"id": "permit_fired", "event": {"policy_fired": "permit"},
                              "by_week": 19})
    if fixed:
        data["model"] = {"rationality": 30.0, "switching_cost": 0.1, "planning_weeks": 26.0,
                         "sources": {name: "test" for name in
                                     ("rationality", "switching_cost", "planning_weeks")}}
    return validate_data(data, file="<test>")


def test_a_question_driven_by_a_probability_hinges_on_it():
    """P(policy fired) is the policy's probability: about 0.1 below its 20th percentile and
    about 0.9 above its 80th (the condition holds from week 3 in every run)."""
    found = hinges(_scenario(fixed=True), runs=3000, seed=3)["permit_fired"]
    first = found[0]
    assert first.parameter == "policies.permit.probability"
    assert abs(first.p_low - 0.1) < 0.04 and abs(first.p_high - 0.9) < 0.04
    assert all(not h.parameter.startswith("model.") for h in found)


def test_estimated_decision_parameters_are_parameters_like_any_other():
    scenario = _scenario(fixed=False)
    compiled = compile_scenario(scenario)
    assert compiled.decision_draw_slot >= 0
    assert compiled.slots.names[compiled.decision_draw_slot] in [
        compiled.slots.names[s] for s in compiled.slots.uncertain()]
    import numpy as np
    uniforms = np.random.default_rng(0).random((500, len(compiled.slots.numbers)))
    values = parameter_values(scenario, uniforms)
    assert {"model.rationality", "model.switching_cost", "model.planning_weeks"} <= set(values)
    fixed = parameter_values(_scenario(fixed=True), uniforms[:, :-1])
    assert not any(name.startswith("model.") for name in fixed)


@pytest.mark.slow
def test_forecast_json_names_what_each_question_hinges_on(tmp_path):
    path = tmp_path / "mini.yaml"
    data = yaml.safe_load(MINI.read_text(encoding="utf-8"))
    data["policies"][0]["probability"] = {"uniform": [0.0, 1.0]}
    path.write_text(yaml.safe_dump(data), encoding="utf-8")
    done = subprocess.run([sys.executable, "-m", "redline", "forecast", str(path), "--runs",
                           "2000", "--hinge-runs", "2000", "--json"],
                          capture_output=True, text=True, timeout=600, check=False)
    assert done.returncode == 0, done.stderr
    questions = json.loads(done.stdout)["questions"]
    hinged = questions["strike_used"]["hinges_on"]
    assert hinged and {"parameter", "p_low", "p_high", "swing", "se"} <= set(hinged[0])
    assert all(abs(h["swing"]) > 2 * h["se"] for q in questions.values()
               for h in q["hinges_on"])
