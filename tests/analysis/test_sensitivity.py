"""Tests of redline.analysis.sensitivity and the `redline sensitivity` command.

The synthetic scenario has two uncertain parameters and one lever: a red line
whose threshold T ~ U(1, 9) is enforced with nuclear use (follow-through 1)
once side B's random walk up the ladder reaches a severity at or above T. B
moves at random (rationality 0) for 30 weeks, so it nearly always reaches
`strike` (5): P(nuclear_use | T) is close to 1{T <= 5}. The other parameter,
A's war cost, only enters bargaining, and talks never open (talks hazard 0):
it affects nothing. Analytic expectations: S_T(threshold) ~ 1 and S_T(dummy) = 0
up to replicate noise; mu*(threshold) ~ 2 per unit of quantile (a step from 0
to 1 at the median crossed by every move of 1/2), mu*(dummy) ~ 0.
"""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap
from pathlib import Path

import numpy as np
import pytest

import redline
from redline.analysis.sensitivity import (
    DEFAULTS,
    SensitivityResult,
    analyse,
    check_arguments,
    design_size,
    salib_problem,
    save_figure,
    target_names,
    tornado,
)
from redline.arrays.scenario_arrays import compile_scenario
from redline.scenario.loader import load_text
from redline.scenario.models import OUTCOMES

ONE_LEVER = """\
    name: one-lever
    start: 2024-01-01
    horizon: 30
    actors:
      A: {name: Alpha, war_cost: {uniform: [0.1, 0.3]}}
      B: {name: Beta}
    sides: {A: [A], B: [B]}
    ladder:
      - {id: probe, severity: 2}
      - {id: strike, severity: 5, users: [B]}
      - {id: nuke, severity: 10, users: [A], needs_permission_from: [B], outcome: nuclear_use}
    red_lines:
      - {id: rl, owner: A, applies_to: [B], declared_at: strike, threshold: {uniform: [1, 9]},
         response: nuke, follow_through: 1}
    model: {talks_hazard: 0.0, rationality: 0.0, switching_cost: 0.1, planning_weeks: 26.0}
    questions:
      - {id: b_strike, event: {reached: {actor: B, rung: strike}}, by_week: 30}
"""
LEVER = "red_lines.rl.threshold"
DUMMY = "actors.A.war_cost"


@pytest.fixture(scope="module")
def one_lever():
    return load_text(textwrap.dedent(ONE_LEVER), "one-lever.yaml")


@pytest.fixture(scope="module")
def sobol_result(one_lever) -> SensitivityResult:
    return analyse(one_lever, "sobol", samples=64, replicates=8, seed=5,
                   outcomes=["nuclear_use", "ongoing"], questions=True)


@pytest.fixture(scope="module")
def morris_result(one_lever) -> SensitivityResult:
    return analyse(one_lever, "morris", samples=16, replicates=8, seed=5,
                   outcomes=["nuclear_use"])


def index(result: SensitivityResult, target: str, parameter: str, name: str) -> float:
    return float(result.indices[target][name][result.parameters.index(parameter)])


# ------------------------------------------------------- the SALib problem


def test_problem_is_one_unit_interval_per_uncertain_slot(one_lever):
    problem = salib_problem(one_lever)
    assert problem == {"num_vars": 2, "names": [DUMMY, LEVER], "bounds": [[0.0, 1.0]] * 2}


def test_kursk_problem_has_every_uncertain_slot_and_no_draw():
    scenario = redline.load("kursk-2024")
    slots = compile_scenario(scenario).slots
    problem = salib_problem(scenario)
    assert problem["num_vars"] == len(slots.uncertain()) == len(problem["names"])
    assert problem["names"] == [slots.names[slot] for slot in slots.uncertain()]
    assert len(set(problem["names"])) == problem["num_vars"]
    assert not any(name.endswith("#draw") for name in problem["names"])
    assert problem["bounds"] == [[0.0, 1.0]] * problem["num_vars"]
    assert design_size("sobol", 64, problem["num_vars"]) == 64 * (problem["num_vars"] + 2)
    assert design_size("morris", 20, problem["num_vars"]) == 20 * (problem["num_vars"] + 1)


def test_targets(one_lever):
    assert target_names(one_lever) == list(OUTCOMES)
    assert target_names(one_lever, ["nuclear_use"], questions=True) == [
        "nuclear_use", "question:b_strike"]
    assert target_names(one_lever, ["question:b_strike", "ongoing"]) == [
        "question:b_strike", "ongoing"]
    with pytest.raises(ValueError, match="unknown outcome 'nope'"):
        target_names(one_lever, ["nope"])
    with pytest.raises(ValueError, match="unknown question"):
        target_names(one_lever, ["question:nope"])


@pytest.mark.parametrize(("method", "samples", "replicates", "message"), [
    ("fast", 64, 8, "unknown method"),
    ("sobol", 48, 8, "power of 2"),
    ("morris", 1, 8, "at least 2 trajectories"),
    ("sobol", 64, 0, "replicates"),
])
def test_bad_arguments_are_refused(method, samples, replicates, message):
    with pytest.raises(ValueError, match=message):
        check_arguments(method, samples, replicates, 0)


def test_scenario_without_uncertainty_is_refused(one_lever):
    certain = load_text(textwrap.dedent(ONE_LEVER).replace("{uniform: [0.1, 0.3]}", "0.2")
                        .replace("{uniform: [1, 9]}", "4"), "certain.yaml")
    with pytest.raises(ValueError, match="no uncertain parameter"):
        analyse(certain, "morris", samples=2, replicates=2)


# ------------------------------------------------------ analytic expectations


def test_sobol_finds_the_one_lever(sobol_result):
    result = sobol_result
    assert result.points == 64 * 4 and result.runs == 64 * 4 * 8
    for target in ("nuclear_use", "ongoing"):
        assert index(result, target, LEVER, "ST") > 0.8
        assert index(result, target, LEVER, "S1") > 0.6
        dummy = index(result, target, DUMMY, "ST")
        conf = index(result, target, DUMMY, "ST_conf")
        assert abs(dummy) <= max(conf, result.noise_floor(target)) + 0.02
        assert result.ranking(target) == [LEVER, DUMMY]
    assert 0.35 < result.mean["nuclear_use"] < 0.65
    assert result.events["nuclear_use"] + result.events["ongoing"] == result.runs
    assert result.resolved("nuclear_use")


def test_morris_finds_the_one_lever(morris_result):
    result = morris_result
    assert result.points == 16 * 3
    lever = index(result, "nuclear_use", LEVER, "mu_star")
    assert 1.5 < lever < 2.2  # a 0-to-1 step at the median, per unit of quantile
    assert index(result, "nuclear_use", LEVER, "mu") < 0  # a higher threshold, less use
    dummy = index(result, "nuclear_use", DUMMY, "mu_star")
    assert dummy <= index(result, "nuclear_use", DUMMY, "mu_star_conf") + \
        result.noise_floor("nuclear_use") + 0.05


def test_constant_target_has_undefined_sobol_indices(one_lever):
    result = analyse(one_lever, "sobol", samples=8, replicates=2, seed=1,
                     outcomes=["settlement", "nuclear_use"])
    assert result.constant("settlement") and not result.constant("nuclear_use")
    assert result.events["settlement"] == 0 and not result.resolved("settlement")
    assert np.all(np.isnan(result.indices["settlement"]["ST"]))
    assert result.to_dict()["targets"]["settlement"]["indices"][LEVER]["ST"] is None
    with pytest.raises(ValueError, match="undefined"):
        tornado(result, "settlement")


# ------------------------------------------------------ determinism, output


def test_same_seed_same_indices(one_lever, morris_result):
    again = analyse(one_lever, "morris", samples=16, replicates=8, seed=5,
                    outcomes=["nuclear_use"])
    assert again.to_frame().equals(morris_result.to_frame())



def test_another_seed_other_estimates(one_lever, sobol_result):
    """A different seed draws another design and bootstrap (Morris on this scenario can
    hit the same exact elementary effects for any seed, so Sobol is compared)."""
    other = analyse(one_lever, "sobol", samples=64, replicates=8, seed=6,
                    outcomes=["nuclear_use", "ongoing"], questions=True)
    assert not other.to_frame().equals(sobol_result.to_frame())


def test_a_target_does_not_depend_on_the_others_asked_for(one_lever, sobol_result):
    alone = analyse(one_lever, "sobol", samples=64, replicates=8, seed=5,
                    outcomes=["nuclear_use"])
    for name, values in alone.indices["nuclear_use"].items():
        np.testing.assert_array_equal(values, sobol_result.indices["nuclear_use"][name])


def test_no_global_random_state(monkeypatch, one_lever):
    """SPEC 7: neither SALib nor we touch numpy's global random state."""

    def refuse(*args, **kwargs):
        raise AssertionError("global random state used")

    for name in ("random", "rand", "randint", "random_sample", "seed", "uniform", "choice",
                 "shuffle", "permutation", "normal"):
        monkeypatch.setattr(np.random, name, refuse)
    for method in ("sobol", "morris"):
        analyse(one_lever, method, samples=4, replicates=2, seed=0, outcomes=["nuclear_use"])


def test_to_frame_is_tidy(sobol_result):
    frame = sobol_result.to_frame()
    assert list(frame.columns) == ["parameter", "target", "index", "value", "conf"]
    assert len(frame) == 2 * len(sobol_result.targets) * 2  # parameters x targets x (ST, S1)
    assert set(frame["index"]) == {"ST", "S1"}
    document = json.loads(json.dumps(sobol_result.to_dict()))
    assert document["targets"]["nuclear_use"]["ranking"][0] == LEVER
    assert document["main_index"] == "ST"


def test_progress_counts_run_weeks(one_lever):
    seen: list[tuple[int, int]] = []
    result = analyse(one_lever, "morris", samples=2, replicates=4, seed=0,
                     outcomes=["nuclear_use"], progress=lambda done, total: seen.append(
                         (done, total)))
    assert seen[-1] == (result.runs * 30, result.runs * 30)


@pytest.mark.parametrize("suffix", [".svg", ".png"])
def test_tornado_is_written_atomically(tmp_path, sobol_result, morris_result, suffix):
    for result in (sobol_result, morris_result):
        figure = tornado(result, "nuclear_use", top=5)
        assert figure.axes[0].get_title().startswith("one-lever: what drives P(nuclear_use)")
        assert figure.axes[0].get_xlabel()
        assert any("How to read" in text.get_text() for text in figure.texts)
        path = save_figure(figure, tmp_path / "charts" / f"{result.method}{suffix}")
        head = path.read_bytes()[:64]
        if suffix == ".svg":
            assert head.lstrip().startswith((b"<?xml", b"<svg"))
        else:
            assert head.startswith(b"\x89PNG\r\n\x1a\n")
    assert sorted(p.name for p in (tmp_path / "charts").iterdir()) == [
        f"morris{suffix}", f"sobol{suffix}"]  # no temporary file left behind


def test_save_figure_refuses_other_formats(tmp_path, morris_result):
    with pytest.raises(ValueError, match=r"\.svg or \.png"):
        save_figure(tornado(morris_result, "nuclear_use"), tmp_path / "chart.pdf")


def test_default_sobol_samples_are_a_power_of_2():
    assert DEFAULTS["sobol"][0] & (DEFAULTS["sobol"][0] - 1) == 0


# ------------------------------------------------------------------- the CLI


def redline_cli(*args: str | Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "redline", *map(str, args)],
                          capture_output=True, text=True, timeout=120, check=False)


@pytest.fixture
def tiny(tmp_path: Path) -> Path:
    path = tmp_path / "tiny.yaml"
    path.write_text(textwrap.dedent(ONE_LEVER))
    return path


@pytest.mark.slow
def test_cli_json(tiny, tmp_path):
    chart = tmp_path / "chart.svg"
    process = redline_cli("sensitivity", tiny, "--method", "morris", "--samples", "4",
                          "--replicates", "8", "--json", "--plot", chart)
    assert process.returncode == 0, process.stderr
    document = json.loads(process.stdout)
    assert document["method"] == "morris" and document["runs"] == 4 * 3 * 8
    assert document["plot_target"] == "ongoing"  # the first outcome that varies
    assert document["targets"]["nuclear_use"]["ranking"][0] == LEVER
    assert chart.read_text().lstrip().startswith(("<?xml", "<svg"))
    assert "run-weeks" not in process.stderr  # no progress bar with --json


@pytest.mark.slow
def test_cli_table(tiny):
    process = redline_cli("sensitivity", tiny, "--samples", "8", "--replicates", "4",
                          "--outcome", "nuclear_use", "--outcome", "question:b_strike")
    assert process.returncode == 0, process.stderr
    assert "nuclear_use: mean P" in process.stdout
    assert "question:b_strike: mean P" in process.stdout
    assert LEVER in process.stdout and "S_T" in process.stdout


@pytest.mark.slow
@pytest.mark.parametrize(("args", "message"), [
    (["--method", "fast"], "unknown method 'fast'"),
    (["--outcome", "armageddon"], "unknown outcome 'armageddon'"),
    (["--plot", "chart.pdf"], ".svg or .png"),
])
def test_cli_refuses_bad_input(tiny, args, message):
    process = redline_cli("sensitivity", tiny, *args)
    assert process.returncode == 2
    assert message in process.stderr
    assert "Traceback" not in process.stderr


# ------------------------------------------------ Monte Carlo filtering (rsa)


def test_filtering_distance_matches_its_closed_form():
    """P(event | u) = u: F(u | B) = u^2, F(u | not B) = 2u - u^2, so D = max 2u(1 - u) = 1/2."""
    from redline.analysis.sensitivity import _filtering

    rng = np.random.default_rng(3)
    quantiles = rng.random((200_000, 2))
    happened = (rng.random(200_000) < quantiles[:, 0]).astype(np.float64)
    found = _filtering(quantiles, happened)
    assert found["ks"][0] == pytest.approx(0.5, abs=0.01)
    assert found["ks"][1] < 0.01  # the second column has no effect
    assert found["p_value"][0] < 1e-100 and found["p_value"][1] > 1e-3


def test_filtering_without_events_is_undefined():
    from redline.analysis.sensitivity import _filtering

    found = _filtering(np.random.default_rng(0).random((500, 3)), np.zeros(500))
    assert np.isnan(found["ks"]).all() and np.isnan(found["p_value"]).all()


def test_ks_critical_distance():
    from redline.analysis.sensitivity import ks_critical_distance

    # c(0.05) = sqrt(-ln(0.025) / 2) = 1.3581 (Smirnov's asymptotic table)
    assert ks_critical_distance(100, 100, 1) == pytest.approx(1.3581 * np.sqrt(0.02), rel=1e-4)
    assert ks_critical_distance(100, 100, 10) > ks_critical_distance(100, 100, 1)  # Bonferroni
    assert np.isnan(ks_critical_distance(0, 100, 1))


def test_filtering_finds_the_lever_of_a_rare_outcome(one_lever):
    result = analyse(one_lever, "rsa", samples=4000, replicates=1, seed=2,
                     outcomes=["nuclear_use"])
    assert result.points == result.runs == 4000
    assert result.main_index == "ks"
    lever = index(result, "nuclear_use", LEVER, "ks")
    dummy = index(result, "nuclear_use", DUMMY, "ks")
    floor = result.noise_floor("nuclear_use")
    assert lever > 0.8  # nuclear use iff the threshold's quantile is below about 1/2
    assert dummy < floor < lever
    assert result.resolved("nuclear_use")
    assert result.ranking("nuclear_use") == [LEVER, DUMMY]
    same = analyse(one_lever, "rsa", samples=4000, replicates=1, seed=2,
                   outcomes=["nuclear_use"])
    assert same.to_dict()["targets"] == result.to_dict()["targets"]


@pytest.mark.parametrize(("samples", "replicates", "message"), [
    (50, 1, "at least 100 runs"), (1000, 4, "replicates must be 1")])
def test_filtering_arguments(samples, replicates, message):
    with pytest.raises(ValueError, match=message):
        check_arguments("rsa", samples, replicates, 0)


def test_filtering_tornado_draws_the_critical_distance(one_lever, tmp_path):
    result = analyse(one_lever, "rsa", samples=2000, replicates=1, seed=4,
                     outcomes=["nuclear_use"])
    path = save_figure(tornado(result, "nuclear_use"), tmp_path / "rsa.svg")
    text = path.read_text()
    assert "critical distance" in text and "Monte Carlo filtering" in text
