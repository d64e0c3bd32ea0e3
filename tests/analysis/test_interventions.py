"""Interventions: paired differences on common random numbers, and `redline compare`."""

from __future__ import annotations

import itertools
import json
import math
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from typer.testing import CliRunner

import redline
from redline.analysis.interventions import (
    Comparison,
    InterventionError,
    compare,
    compare_results,
    event_indicators,
    intervention_changes,
    paired_difference,
    parse_set,
    parse_sets,
)
from redline.arrays.scenario_arrays import compile_scenario
from redline.cli import app
from redline.engine.run import simulate
from redline.mechanisms.trust import beta_bernoulli_trust
from redline.scenario.errors import ScenarioError
from redline.scenario.loader import load_text
from redline.scenario.models import OUTCOMES
from redline.scenario.overlay import apply_overlay
from redline.scenario.paths import scenario_data
from redline.scenarios import resolve

RUNS = 1024
SEED = 3


@pytest.fixture(scope="module")
def kursk() -> redline.Scenario:
    return redline.load("kursk-2024")


@pytest.fixture(scope="module")
def baseline(kursk):
    return simulate(kursk, runs=RUNS, seed=SEED, keep_runs=True)


@pytest.fixture(scope="module")
def compared(kursk, baseline):
    """Each named kursk-2024 intervention against the shared baseline."""
    results = {}
    for item in kursk.interventions:
        changed = simulate(apply_overlay(kursk, item.set, what=item.id), runs=RUNS, seed=SEED,
                           keep_runs=True)
        results[item.id] = compare_results(baseline, changed, changes=item.set,
                                           intervention=item.id)
    return results


# ------------------------------------------------------------------ parse_set


@pytest.mark.parametrize(("text", "path", "value"), [
    ("policies.lift_strike_ban.probability=0", "policies.lift_strike_ban.probability", 0),
    ("actors.RUS.resolve=0.8", "actors.RUS.resolve", 0.8),
    ("actors.RUS.resolve={uniform: [0.1, 0.2]}", "actors.RUS.resolve", {"uniform": [0.1, 0.2]}),
    ("fronts.georgia.active=false", "fronts.georgia.active", False),
    ("red_lines.rus_deep_strike.fallback=null", "red_lines.rus_deep_strike.fallback", None),
    (" horizon = 26 ", "horizon", 26),
    ("policies.x.description=a=b", "policies.x.description", "a=b"),
    ("support.7.level=0.02", "support.7.level", 0.02),
    ("support.CHN.level=0.02", "support.CHN.level", 0.02),
])
def test_parse_set_reads_yaml_values(text, path, value):
    assert parse_set(text) == (path, value)


@pytest.mark.parametrize(("text", "needle"), [
    ("horizon", "no '='"),
    ("=3", "not a dotted path"),
    ("a..b=3", "not a dotted path"),
    ("a b=3", "not a dotted path"),
    ("horizon=", "no value"),
    ("horizon=  ", "no value"),
    ("horizon={a: [1", "not valid YAML"),
    ("horizon=!!python/object:os.system x", "not valid YAML"),
    ("horizon=[a, *b]", "not valid YAML"),
])
def test_parse_set_refuses_malformed_changes(text, needle):
    with pytest.raises(InterventionError, match=needle):
        parse_set(text)


def test_parse_sets_later_path_wins():
    assert parse_sets(["horizon=10", "horizon=12"]) == {"horizon": 12}


def test_named_intervention_lookup(kursk):
    assert intervention_changes(kursk, "no_prk_deployment") == {
        "deployments.prk_kursk.exists": 0, "deployments.prk_second_echelon.exists": 0}
    with pytest.raises(InterventionError, match="no_strike_ban_lift"):
        intervention_changes(kursk, "nope")


# ----------------------------------------------------------------- statistics


def test_paired_difference_by_hand():
    """Six pairs: d = (0, -1, 0, +1, 0, -1); mean -1/6, s_d^2 = (n / (n - 1)) (3/6 - 1/36)."""
    x0 = np.array([1, 1, 0, 0, 1, 1])
    x1 = np.array([1, 0, 0, 1, 1, 0])
    d = paired_difference("e", "question", x0, x1)
    n = 6
    mean = -1 / 6
    var_d = (3 / 6 - mean**2) * n / (n - 1)
    assert d.difference == pytest.approx(mean)
    assert d.se == pytest.approx(math.sqrt(var_d / n))
    assert d.hi - d.lo == pytest.approx(2 * 1.959963984540054 * d.se)
    var0 = (4 / 6) * (2 / 6) * n / (n - 1)
    var1 = 0.5 * 0.5 * n / (n - 1)
    assert d.se_independent == pytest.approx(math.sqrt((var0 + var1) / n))
    assert (d.runs_up, d.runs_down) == (1, 2)
    assert d.variance_reduction == pytest.approx((var0 + var1) / var_d)


def test_paired_difference_degenerate_cases():
    same = paired_difference("e", "outcome", np.array([1, 0, 1]), np.array([1, 0, 1]))
    assert (same.difference, same.lo, same.hi) == (0.0, 0.0, 0.0)
    assert not same.excludes_zero
    assert same.variance_reduction == math.inf
    constant = paired_difference("e", "outcome", np.zeros(5), np.zeros(5))
    assert math.isnan(constant.variance_reduction)
    assert constant.to_dict()["variance_reduction"] is None
    with pytest.raises(ValueError, match="same length"):
        paired_difference("e", "outcome", np.zeros(3), np.zeros(4))


def test_indicators_agree_with_the_result_estimates(baseline):
    indicators = event_indicators(baseline)
    for name, estimate in baseline.outcomes.items():
        assert int(indicators[("outcome", name)].sum()) == estimate.count, name
    for qid, estimate in baseline.questions.items():
        assert int(indicators[("question", qid)].sum()) == estimate.count, qid


def test_indicators_need_per_run_records(kursk):
    result = simulate(kursk, runs=8, seed=0, horizon=2)
    with pytest.raises(ValueError, match="keep_runs"):
        event_indicators(result)


# ---------------------------------------------------------- common random numbers


def test_null_change_gives_exact_zeros(kursk):
    """Setting a value to itself: every paired difference is 0 with a zero-width interval."""
    same = scenario_data(kursk)["policies"][0]["probability"]
    calls: list[tuple[int, int]] = []
    comparison = compare(kursk, {"policies.lift_strike_ban.probability": same}, runs=RUNS,
                         seed=SEED, progress=lambda done, total: calls.append((done, total)))
    assert isinstance(comparison, Comparison)
    for difference in [*comparison.outcomes.values(), *comparison.questions.values()]:
        assert difference.difference == 0.0, difference.id
        assert difference.lo == difference.hi == 0.0, difference.id
        assert difference.runs_up == difference.runs_down == 0
    assert set(comparison.outcomes) == set(OUTCOMES)
    assert set(comparison.questions) == {q.id for q in kursk.questions}
    assert calls[-1][0] == calls[-1][1] == 2 * RUNS * kursk.horizon
    assert all(b[0] >= a[0] for a, b in itertools.pairwise(calls))


def test_pairing_narrows_the_intervals(compared):
    """Common random numbers: paired intervals narrower than independent ones (VR > 1)."""
    comparison = compared["no_strike_ban_lift"]
    ongoing = comparison.outcomes["ongoing"]
    assert ongoing.se < ongoing.se_independent
    assert ongoing.variance_reduction > 1.5
    reductions = [d.variance_reduction for c in compared.values()
                  for d in [*c.outcomes.values(), *c.questions.values()]
                  if math.isfinite(d.variance_reduction)]
    assert np.median(reductions) > 1.0


def test_unpaired_results_are_refused(kursk, baseline):
    other = simulate(kursk, runs=RUNS, seed=SEED + 1, horizon=1, keep_runs=True)
    with pytest.raises(ValueError, match="not paired"):
        compare_results(baseline, other)


def test_a_bad_change_fails_before_running(kursk):
    calls: list[int] = []
    with pytest.raises(ScenarioError):
        compare(kursk, {"policies.nope.probability": 0}, runs=RUNS,
                progress=lambda done, total: calls.append(done))
    assert calls == []


# -------------------------------------------------------- the kursk-2024 examples


def test_ids_used_by_the_kursk_interventions(kursk):
    """The named support entry and commitments are the ones the interventions mean."""
    china = next(entry for entry in kursk.support if entry.by == "CHN")
    assert china.to == "RUS"
    named = {c.id: (c.by, c.to) for c in kursk.commitments if c.id is not None}
    assert named == {"nato_no_expansion": ("USA", "RUS"), "abm_withdrawal": ("USA", "RUS"),
                     "inf_withdrawal": ("USA", "RUS"), "open_skies_withdrawal": ("USA", "RUS"),
                     "inf_violation": ("RUS", "USA"), "new_start_suspension": ("RUS", "USA")}
    others = {(c.by, c.to) for c in kursk.commitments if c.id is None}
    assert not others & {("USA", "RUS"), ("RUS", "USA")}  # every US-Russian record is named


def test_overlays_address_support_and_commitments_by_id_or_position(kursk):
    by_id = apply_overlay(kursk, {"support.CHN.level": 0.3,
                                  "commitments.abm_withdrawal.kept": True})
    by_position = apply_overlay(kursk, {"support.7.level": 0.3, "commitments.10.kept": True})
    assert by_id == by_position
    assert by_id.support[7].level == 0.3 and by_id.commitments[10].kept


def test_every_uncertain_parameter_name_is_an_overlay_path(kursk):
    """The names a sensitivity analysis reports can be pasted into --set."""
    slots = compile_scenario(kursk).slots
    for slot in slots.uncertain():
        apply_overlay(kursk, {slots.names[slot]: 0.5})  # raises if the path leads nowhere


def test_duplicate_commitment_ids_are_refused(kursk):
    with pytest.raises(ScenarioError, match="duplicate id 'abm_withdrawal'"):
        apply_overlay(kursk, {"commitments.1.id": "abm_withdrawal"})


def test_no_strike_ban_lift(compared):
    comparison = compared["no_strike_ban_lift"]
    permits = comparison.questions["us_permits_deep_strikes"]
    assert comparison.baseline.questions["us_permits_deep_strikes"].p > 0.05
    assert permits.changed == 0.0
    assert comparison.questions["deep_strike_on_russia"].changed == 0.0
    assert permits.excludes_zero and permits.hi < 0
    assert permits.runs_up == 0
    # no evidence that keeping the ban raises nuclear use (paired interval reaches 0 or below;
    # with decision parameters drawn per run one run in 1,024 can move either way)
    assert comparison.outcomes["nuclear_use"].lo <= 0.0


def test_china_support_doubles(kursk, compared):
    comparison = compared["china_support_doubles"]
    changed = comparison.changed.scenario
    assert changed.support[7].by == "CHN"
    assert changed.support[7].level.triangular == tuple(
        2 * x for x in kursk.support[7].level.triangular)
    # Russia's side is stronger: its chance to prevail is higher on average
    assert comparison.baseline.labels["win_probability"] == ["RUS"]
    before = comparison.baseline.trajectories["win_probability"][1:, 0]
    after = comparison.changed.trajectories["win_probability"][1:, 0]
    assert after.mean() > before.mean()
    # a small push: nothing moves by more than a few points
    assert all(abs(d.difference) < 0.05 for d in comparison.questions.values())


def test_trust_restored(kursk, compared):
    comparison = compared["us_russia_trust_restored"]
    compiled = compile_scenario(comparison.changed.scenario)
    rus, usa = (compiled.actor_ids.index(a) for a in ("RUS", "USA"))
    for truster, trusted in ((rus, usa), (usa, rus)):
        tau = beta_bernoulli_trust(compiled.trust_kept[truster, trusted],
                                   compiled.trust_broken[truster, trusted],
                                   kursk.model.trust_prior)
        assert float(tau) == pytest.approx(0.8)
    week0 = comparison.baseline.labels["trust"].index("RUS->UKR")
    assert (comparison.changed.trajectories["trust"][0, week0]
            > comparison.baseline.trajectories["trust"][0, week0])
    settlement = comparison.questions["settlement_w52"]
    assert settlement.difference > 0
    assert settlement.runs_up > settlement.runs_down


def test_no_prk_deployment(compared):
    comparison = compared["no_prk_deployment"]
    assert comparison.baseline.questions["prk_troops_in_combat"].p > 0.5
    assert comparison.questions["prk_troops_in_combat"].changed == 0.0
    permits = comparison.questions["us_permits_deep_strikes"]
    assert permits.hi < 0  # the ban is lifted mostly in answer to North Korean combat


def test_comparison_document_is_json(compared):
    document = json.loads(json.dumps(compared["no_prk_deployment"].to_dict(), allow_nan=False))
    assert {"baseline", "changed", "differences", "changes", "runs", "seed"} <= set(document)
    assert set(document["differences"]) == {"outcomes", "questions"}
    row = document["differences"]["questions"]["prk_troops_in_combat"]
    assert {"baseline", "changed", "difference", "lo", "hi", "excludes_zero",
            "variance_reduction"} <= set(row)


# -------------------------------------------------------------- loading checks


def _kursk_with(extra: str) -> str:
    return resolve("kursk-2024").read_text(encoding="utf-8") + extra


def test_a_bad_intervention_is_reported_at_its_path():
    text = _kursk_with("  - id: broken\n    set:\n      horizon: 26\n"
                       "      policies.nope.probability: 0\n")
    with pytest.raises(ScenarioError) as caught:
        load_text(text, "k.yaml")
    (issue,) = caught.value.issues
    assert issue.line == text.count("\n")
    assert "intervention 'broken'" in issue.message
    assert "nope" in issue.message


def test_an_invalid_intervention_value_is_reported():
    text = _kursk_with("  - id: broken\n    set:\n      policies.lift_strike_ban.probability: 2\n")
    with pytest.raises(ScenarioError) as caught:
        load_text(text, "k.yaml")
    (issue,) = caught.value.issues
    assert issue.line == text.count("\n")
    assert "[0, 1]" in issue.message


def test_an_error_in_the_base_scenario_is_reported_once_not_once_per_intervention():
    """kursk-2024 has several interventions; each changed copy inherits the base's broken
    reference, which must still be reported once, at its own line."""
    text = _kursk_with("").replace("owner: RUS", "owner: RUSS", 1)
    assert "RUSS" in text and text.count("- id:") > 3
    with pytest.raises(ScenarioError) as caught:
        load_text(text, "k.yaml")
    (issue,) = caught.value.issues
    assert "unknown actor 'RUSS'" in issue.message
    assert issue.line == text.splitlines().index(next(
        line for line in text.splitlines() if "RUSS" in line)) + 1


def test_an_intervention_error_is_still_reported_beside_a_base_error():
    text = _kursk_with("  - id: broken\n    set:\n      policies.nope.probability: 0\n"
                       ).replace("owner: RUS", "owner: RUSS", 1)
    with pytest.raises(ScenarioError) as caught:
        load_text(text, "k.yaml")
    messages = [issue.message for issue in caught.value.issues]
    assert len(messages) == 2
    assert sum("RUSS" in message for message in messages) == 1
    assert any("intervention 'broken'" in message and "nope" in message
               for message in messages)


def test_duplicate_intervention_ids_are_refused():
    text = _kursk_with("  - id: no_prk_deployment\n    set: {horizon: 26}\n")
    with pytest.raises(ScenarioError, match="duplicate id"):
        load_text(text, "k.yaml")


# ------------------------------------------------------------------------ CLI
# One run through a subprocess, as a user runs it; the rest in process (the same
# code path, without the start-up cost of a process each).


def redline_cli(*args: str | Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "redline", *map(str, args)],
                          capture_output=True, text=True, timeout=300, check=False)


@pytest.mark.slow
def test_cli_json_document():
    process = redline_cli("compare", "kursk-2024", "--intervention", "no_prk_deployment",
                          "--set", "policies.lift_strike_ban_other.probability=0",
                          "--runs", str(RUNS), "--horizon", "8", "--json")
    assert process.returncode == 0, process.stderr
    document = json.loads(process.stdout)
    assert {"scenario", "intervention", "changes", "runs", "seed", "baseline", "changed",
            "differences"} <= set(document)
    assert document["intervention"] == "no_prk_deployment"
    assert document["changes"]["policies.lift_strike_ban_other.probability"] == 0
    permits = document["differences"]["questions"]["us_permits_deep_strikes"]
    assert permits["changed"] == 0.0
    assert process.stderr == ""  # no progress bar with --json


def test_cli_table():
    result = CliRunner().invoke(app, ["compare", "kursk-2024", "--set",
                                      "policies.lift_strike_ban.probability=0",
                                      "--runs", str(RUNS), "--horizon", "8"])
    assert result.exit_code == 0, result.output
    for text in ("Outcomes", "Forecast questions", "us_permits_deep_strikes", "95% interval",
                 "policies.lift_strike_ban.probability = 0", " *"):
        assert text in result.stdout, text


@pytest.mark.parametrize(("args", "needle"), [
    (["--set", "horizon"], "no '='"),
    (["--set", "policies.nope.probability=0"], "no element with id or position 'nope'"),
    (["--set", "policies.lift_strike_ban.probability=2"], "[0, 1]"),
    (["--set", "horizon={a: [1"], "not valid YAML"),
    (["--intervention", "nope"], "no intervention 'nope'"),
    ([], "nothing to compare"),
])
def test_cli_errors_exit_2_before_running(args, needle):
    result = CliRunner().invoke(app, ["compare", "kursk-2024", *args, "--runs", "100000"])
    assert result.exit_code == 2, result.output
    assert not isinstance(result.exception, Exception) or isinstance(result.exception,
                                                                      SystemExit)
    assert needle in result.stderr
    assert result.stdout == ""
    assert "run-weeks" not in result.stderr
