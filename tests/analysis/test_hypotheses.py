"""Tests of competing hypotheses: Bayes with unreliable sources, intervals, the ACH matrix.

Analytic truths (exact up to rounding, or within Monte Carlo error with the
tolerance stated) are kept apart from the command-line tests.
"""

from __future__ import annotations

import json
import math
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st

from redline import load as redline_load
from redline.analysis.hypotheses import (
    NON_DIAGNOSTIC,
    NoHypothesesError,
    ach_rating,
    diagnosticity,
    evaluate_hypotheses,
    posterior,
    posterior_interval,
    report_likelihood,
)
from redline.engine.run import simulate
from redline.scenario.errors import ScenarioError
from redline.scenario.loader import validate_data
from redline.scenario.models import Scenario
from redline.scenario.overlay import apply_overlay

#: Two hypotheses that differ only in whether a deployment is real (exists 0.2 or 0.8).
SYNTHETIC = """
name: two-worlds
start: 2024-10-28
horizon: 4
actors:
  RED: {name: Red}
  BLUE: {name: Blue, capability: 0.5}
sides: {RED: [RED], BLUE: [BLUE]}
ladder:
  - {id: raid, severity: 2, effect: 0.02, cost: 0.01}
  - {id: deep_strike, severity: 5, effect: 0.05, cost: 0.03}
fronts:
  border:
    attacker: BLUE
    defender: RED
    forces: {BLUE: 30000, RED: 50000}
deployments:
  - {id: brigade, actor: RED, front: border, side: RED, strength: 5000, exists: 0.5}
  - {id: militia, actor: BLUE, front: border, side: BLUE, strength: 1000, exists: 0.3}
hypotheses:
  - id: sparse
    prior: 0.5
    overlay: {deployments.brigade.exists: 0.2}
  - id: dense
    prior: 0.5
    overlay: {deployments.brigade.exists: 0.8}
observations:
  - id: brigade_seen
    event: {deployment_exists: brigade}
    by_week: 0
    observed: true
    reliability: 0.9
  - id: militia_seen
    event: {deployment_exists: militia}
    by_week: 0
    observed: true
    reliability: 0.9
"""


def synthetic(**changes: object) -> Scenario:
    data = yaml.safe_load(SYNTHETIC)
    data.update(changes)
    return validate_data(data, file="two-worlds")


def redline(*args: str | Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "redline", *map(str, args)],
                          capture_output=True, text=True, timeout=300, check=False)


# ------------------------------------------------------------ pure Bayes


@st.composite
def bayes_problems(draw: st.DrawFn) -> tuple[np.ndarray, np.ndarray]:
    m = draw(st.integers(1, 6))
    n = draw(st.integers(0, 5))
    unit = st.floats(1e-3, 1.0, allow_nan=False, allow_subnormal=False)
    priors = np.array(draw(st.lists(unit, min_size=m, max_size=m)))
    likelihoods = np.array(draw(st.lists(unit, min_size=m * n, max_size=m * n))).reshape(m, n)
    return priors, likelihoods


@settings(max_examples=200, deadline=None)
@given(bayes_problems())
def test_posterior_is_a_distribution(problem):
    priors, likelihoods = problem
    result = posterior(priors, likelihoods)
    assert result.shape == priors.shape
    assert np.all(result >= 0.0)
    assert math.isclose(result.sum(), 1.0, rel_tol=1e-12)


@settings(max_examples=100, deadline=None)
@given(bayes_problems(), st.floats(0.0, 1.0), st.booleans())
def test_source_of_reliability_one_half_is_uninformative(problem, p_event, observed):
    priors, _ = problem
    likelihood = report_likelihood(np.full((priors.size, 1), p_event), 0.5, observed)
    np.testing.assert_allclose(posterior(priors, likelihood), priors / priors.sum(),
                               rtol=1e-12, atol=1e-15)


def test_perfect_source_and_impossible_event_rule_the_hypothesis_out():
    # P(E | H0) = 0, reliability 1, report "E happened": H0 is impossible
    likelihood = report_likelihood(np.array([[0.0], [0.7], [0.2]]), 1.0, True)
    result = posterior([0.6, 0.2, 0.2], likelihood)
    assert result[0] == 0.0
    np.testing.assert_allclose(result[1:], [0.7 / 0.9, 0.2 / 0.9], rtol=1e-12)


def test_report_likelihood_by_hand():
    # r q + (1 - r)(1 - q) and r (1 - q) + (1 - r) q
    assert report_likelihood(0.3, 0.8, True) == pytest.approx(0.8 * 0.3 + 0.2 * 0.7)
    assert report_likelihood(0.3, 0.8, False) == pytest.approx(0.8 * 0.7 + 0.2 * 0.3)


def test_evidence_impossible_under_every_hypothesis_has_no_posterior():
    assert np.isnan(posterior([0.5, 0.5], [[0.0], [0.0]])).all()


def test_diagnosticity():
    assert diagnosticity([[0.3, 0.5], [0.3, 0.5], [0.3, 0.5]]).tolist() == [0.0, 0.0]
    assert diagnosticity([[0.2], [0.8]])[0] == pytest.approx(math.log(4.0))
    assert diagnosticity([[0.0], [0.8]])[0] == math.inf


def test_ach_thresholds():
    assert [ach_rating(p) for p in (0.6, 0.6 * 1.0 + 0.4 * 0.0, 0.59, 0.41, 0.4)] == [
        "C", "C", "N", "N", "I"]


def test_interval_shrinks_with_runs():
    rng = np.random.default_rng(3)
    widths = []
    for runs in (100, 10_000):
        lo, hi = posterior_interval([0.5, 0.5], [[runs // 5], [4 * runs // 5]], runs, [0.9],
                                    [True], rng)
        assert np.all(lo <= hi)
        widths.append(hi[1] - lo[1])
    assert widths[1] < widths[0] / 5


# ----------------------------------------------------- simulated likelihoods


def test_synthetic_posterior_matches_exists_probabilities():
    analysis = evaluate_hypotheses(synthetic(), runs=4096, seed=11)
    # by hand: L(sparse) = 0.9 * 0.2 + 0.1 * 0.8 = 0.26, L(dense) = 0.9 * 0.8 + 0.1 * 0.2 = 0.74;
    # the militia report has the same likelihood under both. Monte Carlo standard error of
    # the posterior at 4096 runs is about 0.005; tolerance 0.03.
    dense = analysis.hypotheses.index("dense")
    assert analysis.posterior[dense] == pytest.approx(0.74, abs=0.03)
    assert analysis.lo[dense] <= 0.74 <= analysis.hi[dense]
    assert analysis.posterior.sum() == pytest.approx(1.0)
    assert np.all(analysis.lo <= analysis.posterior)
    assert np.all(analysis.posterior <= analysis.hi)
    # common random numbers: the militia event is untouched by the overlays, so its
    # likelihoods are equal and it is flagged as non-diagnostic
    militia = analysis.observations.index("militia_seen")
    assert analysis.diagnosticity[militia] == 0.0
    assert analysis.non_diagnostic == ["militia_seen"]
    assert analysis.rating("brigade_seen", "dense") == "C"
    assert analysis.rating("brigade_seen", "sparse") == "I"
    assert analysis.separates["brigade_seen"] == ("dense", "sparse")


def test_perfect_source_rules_out_an_impossible_world():
    data = yaml.safe_load(SYNTHETIC)
    data["hypotheses"][0]["overlay"] = {"deployments.brigade.exists": 0.0}
    data["observations"][0]["reliability"] = 1.0
    analysis = evaluate_hypotheses(validate_data(data, file="two-worlds"), runs=1024, seed=2)
    assert analysis.posterior[0] == 0.0
    assert analysis.diagnosticity[0] == math.inf
    assert analysis.to_dict()["diagnosticity"]["brigade_seen"] is None


def test_to_dict_shape_and_reproducibility():
    first = evaluate_hypotheses(synthetic(), runs=1024, seed=5).to_dict()
    again = evaluate_hypotheses(synthetic(), runs=1024, seed=5).to_dict()
    assert first == again
    json.dumps(first, allow_nan=False)
    assert set(first["posterior"]["dense"]) == {"p", "lo", "hi", "prior"}
    assert set(first["likelihoods"]) == {"sparse", "dense"}
    assert set(first["ach"]["brigade_seen"]["dense"]) == {"likelihood", "rating"}
    assert set(first["diagnosticity"]) == {"brigade_seen", "militia_seen"}
    assert (first["runs"], first["seed"]) == (1024, 5)


def test_only_the_observed_weeks_are_simulated_and_that_changes_nothing():
    data = yaml.safe_load(SYNTHETIC)
    data["observations"].append({"id": "blue_raids", "by_week": 2,
                                 "event": {"reached": {"actor": "BLUE", "rung": "raid"}}})
    scenario = validate_data(data, file="two-worlds")
    analysis = evaluate_hypotheses(scenario, runs=1024, seed=8)
    assert analysis.weeks == 2
    for hypothesis in scenario.hypotheses:
        full = simulate(apply_overlay(scenario, hypothesis.overlay), runs=1024, seed=8)
        assert {obs: est.count for obs, est in full.observations.items()} == {
            obs: est.count for obs, est in analysis.events[hypothesis.id].items()}


def test_no_observations_posterior_is_prior():
    data = yaml.safe_load(SYNTHETIC)
    data["observations"] = []
    data["hypotheses"][0]["prior"] = 0.25
    data["hypotheses"][1]["prior"] = 0.75
    analysis = evaluate_hypotheses(validate_data(data, file="two-worlds"), runs=16)
    np.testing.assert_allclose(analysis.posterior, [0.25, 0.75])
    np.testing.assert_allclose(analysis.lo, analysis.posterior)
    np.testing.assert_allclose(analysis.hi, analysis.posterior)
    assert any("no observations" in note for note in analysis.notes)


def test_no_hypotheses_is_a_clear_error():
    with pytest.raises(NoHypothesesError, match="no hypotheses"):
        evaluate_hypotheses(synthetic(hypotheses=[]), runs=16)


# --------------------------------------------------------------- command line


@pytest.mark.slow
def test_cli_kursk_json():
    process = redline("hypotheses", "kursk-2024", "--runs", "1024", "--json")
    assert process.returncode == 0, process.stderr
    document = json.loads(process.stdout)
    assert "posterior" in document
    assert sum(entry["p"] for entry in document["posterior"].values()) == pytest.approx(1.0)
    assert process.stderr == ""


@pytest.mark.slow
def test_cli_tables(tmp_path: Path):
    path = tmp_path / "two-worlds.yaml"
    path.write_text(SYNTHETIC)
    process = redline("hypotheses", path, "--runs", "1024")
    assert process.returncode == 0, process.stderr
    for text in ("Posterior", "ACH matrix", "brigade_seen", "non-diagnostic", "dense"):
        assert text in process.stdout


def test_cli_without_hypotheses_exits_2(tmp_path: Path):
    data = yaml.safe_load(SYNTHETIC)
    del data["hypotheses"]
    path = tmp_path / "plain.yaml"
    path.write_text(yaml.safe_dump(data))
    process = redline("hypotheses", path, "--runs", "64")
    assert process.returncode == 2
    assert "no hypotheses" in process.stderr
    assert "Traceback" not in process.stderr + process.stdout


@pytest.mark.slow
def test_cli_bad_overlay_exits_2(tmp_path: Path):
    data = yaml.safe_load(SYNTHETIC)
    data["hypotheses"][0]["overlay"] = {"deployments.nowhere.exists": 0.1}
    path = tmp_path / "bad.yaml"
    path.write_text(yaml.safe_dump(data))
    process = redline("hypotheses", path, "--runs", "64")
    assert process.returncode == 2
    assert "hypothesis sparse" in process.stderr
    assert "Traceback" not in process.stderr + process.stdout


def test_noninformative_constant():
    assert math.exp(NON_DIAGNOSTIC) == pytest.approx(1.05)


# ------------------------------------------------------------ shared sources


def _relayed(reliabilities, group="agency"):
    data = yaml.safe_load(SYNTHETIC)
    base = data["observations"][0]
    data["observations"] = [
        base | {"id": f"relay_{i}", "reliability": r, "source_group": group}
        for i, r in enumerate(reliabilities)]
    return validate_data(data, file="relayed")


def test_reports_relaying_one_source_count_once_at_the_best_reliability():
    grouped = evaluate_hypotheses(_relayed([0.6, 0.9, 0.7]), runs=4000, seed=3, draws=200)
    single = evaluate_hypotheses(_relayed([0.9]), runs=4000, seed=3, draws=200)
    assert grouped.counted == ["relay_1"]
    np.testing.assert_allclose(grouped.posterior, single.posterior, rtol=1e-12)
    np.testing.assert_allclose([grouped.lo, grouped.hi], [single.lo, single.hi], rtol=1e-12)
    assert any("relay one source" in note and "relay_1" in note for note in grouped.notes)
    # the ACH matrix still shows every report
    assert grouped.observations == ["relay_0", "relay_1", "relay_2"]
    document = grouped.to_dict()
    assert document["counted"] == ["relay_1"]
    assert document["observations"]["relay_0"]["source_group"] == "agency"


def test_independent_reports_move_the_posterior_further_than_one_relayed_source():
    independent = evaluate_hypotheses(_relayed([0.9, 0.9], group=None), runs=4000, seed=3,
                                      draws=200)
    relayed = evaluate_hypotheses(_relayed([0.9, 0.9]), runs=4000, seed=3, draws=200)
    dense = independent.hypotheses.index("dense")
    assert independent.posterior[dense] > relayed.posterior[dense] > 0.5


def test_a_source_group_whose_reports_disagree_is_refused():
    data = yaml.safe_load(SYNTHETIC)
    for observation in data["observations"]:
        observation["source_group"] = "agency"  # brigade_seen and militia_seen: other events
    with pytest.raises(ScenarioError, match="does not report what 'brigade_seen' reports"):
        validate_data(data, file="bad")


def test_kursk_observations_share_their_source():
    kursk = redline_load("kursk-2024")
    groups = {o.id: o.source_group for o in kursk.observations}
    assert set(groups.values()) == {"south_korean_intelligence"}
