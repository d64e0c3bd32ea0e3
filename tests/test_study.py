"""redline.Study: each step gives what the command line's function calls give, seed for seed.

Every equivalence below calls the analysis function the way the CLI command
does (src/redline/cli/*_command.py) with the same scenario, runs and seed,
and one runs the command itself. The runs are few: these check wiring and
errors, not the analyses (tested in their own modules).
"""

from __future__ import annotations

import json
import re
import subprocess
import sys

import pytest
import yaml

import redline
from redline.analysis import interventions
from redline.analysis.hinges import hinges
from redline.analysis.hypotheses import NoHypothesesError, evaluate_hypotheses
from redline.analysis.resolutions import load_resolutions, score_result
from redline.analysis.sensitivity import analyse
from redline.report.html import html_report
from redline.report.markdown import markdown_report
from redline.scenario.errors import ScenarioError
from redline.scenarios import builtin_resolutions, resolve
from redline.study import Study, StudyError
from tests.support.fake_results import SMALL_SCENARIO

RUNS = 400
SEED = 5


@pytest.fixture(scope="module")
def cuba() -> Study:
    """cuba-1962 (12 weeks, hypotheses, shipped resolutions), every cheap step run."""
    return Study("cuba-1962", runs=RUNS, seed=SEED).simulate().hypotheses().score()


@pytest.fixture(scope="module")
def cuba_loaded() -> redline.Scenario:
    return redline.load("cuba-1962")


def without_time(document: dict) -> dict:
    return {key: value for key, value in document.items() if key != "elapsed_seconds"}


# ------------------------------------------------------------ equivalences


def test_front_names():
    assert redline.Study is Study
    assert redline.StudyError is StudyError
    assert {"Study", "StudyError"} <= set(redline.__all__) <= set(dir(redline))


def test_simulate_is_redline_simulate(cuba, cuba_loaded):
    expected = redline.simulate(cuba_loaded, runs=RUNS, seed=SEED)
    assert cuba.result.to_dict() == expected.to_dict()
    assert cuba.result.seed == SEED


def test_compare_is_the_compare_command():
    study = Study("kursk-2024", runs=300, seed=SEED, horizon=20).compare("no_strike_ban_lift")
    loaded = redline.load("kursk-2024")
    changes = interventions.intervention_changes(loaded, "no_strike_ban_lift")
    expected = interventions.compare(loaded, changes, runs=300, seed=SEED, horizon=20,
                                     intervention="no_strike_ban_lift")
    assert list(study.comparisons) == ["no_strike_ban_lift"]
    assert study.comparison.to_dict() == expected.to_dict()


def test_compare_changes_as_sets_or_mapping_and_several_in_one_chain():
    study = Study("kursk-2024", runs=200, seed=SEED, horizon=10)
    study.compare(changes=["policies.lift_strike_ban.probability=1"])
    study.compare(changes={"policies.lift_strike_ban.probability": 1})
    study.compare("no_strike_ban_lift", changes=["policies.lift_strike_ban_other.probability=1"])
    assert list(study.comparisons) == [
        "policies.lift_strike_ban.probability=1",
        "no_strike_ban_lift + policies.lift_strike_ban_other.probability=1",
    ]
    first, last = study.comparisons.values()
    assert first.changes == {"policies.lift_strike_ban.probability": 1}
    assert last.changes == {"policies.lift_strike_ban.probability": 0,
                            "policies.lift_strike_ban_other.probability": 1}
    assert study.comparison is last


def test_sensitivity_is_the_sensitivity_command(cuba_loaded):
    study = Study(cuba_loaded, seed=SEED).sensitivity("morris", samples=2, replicates=2,
                                                      outcomes=["settlement"])
    expected = analyse(cuba_loaded, method="morris", samples=2, replicates=2, seed=SEED,
                       outcomes=["settlement"])
    assert without_time(study.indices.to_dict()) == without_time(expected.to_dict())


def test_hypotheses_is_the_hypotheses_command(cuba, cuba_loaded):
    expected = evaluate_hypotheses(cuba_loaded, runs=RUNS, seed=SEED)
    assert cuba.hypothesis_analysis.to_dict() == expected.to_dict()


@pytest.mark.slow
def test_score_is_the_score_command(cuba):
    process = subprocess.run(
        [sys.executable, "-m", "redline", "score", "cuba-1962", "--runs", str(RUNS), "--seed",
         str(SEED), "--json"], capture_output=True, text=True, timeout=300, check=True)
    document = json.loads(process.stdout)
    assert document == {"scenario": "cuba-1962", "runs": RUNS, "seed": SEED,
                        **json.loads(json.dumps(cuba.scorecard.to_dict()))}


def test_score_with_a_resolutions_file(tmp_path, cuba, cuba_loaded):
    path = tmp_path / "resolved.yaml"
    path.write_text("resolutions:\n  - question: blockade_announced\n    outcome: true\n"
                    "    date: 1962-10-22\n")
    card = Study("cuba-1962", runs=RUNS, seed=SEED).simulate().score(path).scorecard
    expected = score_result(redline.simulate(cuba_loaded, runs=RUNS, seed=SEED),
                            load_resolutions(path, cuba_loaded))
    assert card == expected
    assert [row["question"] for row in card.questions] == ["blockade_announced"]


def _stamps_removed(page: str) -> str:
    """The page without its time stamp and the simulation's wall time."""
    page = re.sub(r"\d{4}-\d{2}-\d{2} \d{2}:\d{2} UTC", "TIME", page)
    return re.sub(r"<th>Simulation time</th><td>[^<]*</td>", "", page)


@pytest.mark.slow
def test_report_is_the_report_command(tmp_path, cuba, cuba_loaded):
    path = tmp_path / "cuba.html"
    assert cuba.report(path) is cuba
    assert cuba.report_path == path
    resolutions = load_resolutions(builtin_resolutions("cuba-1962"), cuba_loaded)
    expected = html_report(
        redline.simulate(cuba_loaded, runs=RUNS, seed=SEED),
        hypotheses=evaluate_hypotheses(cuba_loaded, RUNS, SEED).to_dict(),
        score=score_result(cuba.result, resolutions),
        hinges=hinges(cuba_loaded, runs=RUNS, seed=SEED))
    assert _stamps_removed(path.read_text(encoding="utf-8")) == _stamps_removed(expected)
    assert cuba.hinges is not None


def test_report_carries_the_sensitivity_computed(tmp_path, cuba_loaded):
    study = Study(cuba_loaded, runs=50, seed=SEED).simulate().sensitivity(
        "morris", samples=2, replicates=2, outcomes=["settlement", "great_power_war"])
    page = study.report(tmp_path / "with-sensitivity.html").report_path.read_text()
    section = page[page.index('<section id="sensitivity">'):]
    section = section[:section.index("</section>")]
    assert "<svg" in section and "Not computed" not in section


def test_markdown_report(tmp_path, cuba):
    path = tmp_path / "deep" / "cuba.md"
    cuba.report(path)
    expected = markdown_report(cuba.result)
    assert _stamps_removed(path.read_text(encoding="utf-8")) == _stamps_removed(expected)


def test_a_scenario_object_a_name_and_a_path_are_the_same_study(cuba_loaded):
    path = resolve("cuba-1962")
    studies = [Study(given, runs=50, seed=1).simulate()
               for given in (cuba_loaded, "cuba-1962", path, str(path))]
    assert len({json.dumps(study.result.to_dict()) for study in studies}) == 1
    assert repr(studies[1]) == "Study('cuba-1962', runs=50, seed=1)"


# ------------------------------------------------------------------ reading


def test_summary_names_every_step(cuba, tmp_path):
    cuba.report(tmp_path / "summary.html")
    text = cuba.summary()
    assert text.startswith(f"Study of cuba-1962: {RUNS} runs, seed {SEED}, 12 weeks")
    for step in ("simulate", "hypotheses", "score", "report"):
        assert re.search(rf"^  {step} +\S", text, flags=re.MULTILINE), step
    assert re.search(r"^  compare +not run$", text, flags=re.MULTILINE)
    assert re.search(r"^  sensitivity +not run$", text, flags=re.MULTILINE)
    assert "Brier" in text and "H1" in text and "settlement" in text
    assert max(len(line) for line in text.splitlines()) <= 110
    assert str(cuba) == text


def test_to_dict_is_json(cuba):
    document = json.loads(json.dumps(cuba.to_dict()))
    assert document["scenario"] == "cuba-1962"
    assert document["result"]["runs"] == RUNS
    assert document["hypotheses"]["seed"] == SEED
    assert document["comparisons"] == {} and document["sensitivity"] is None


def test_ipython_display_is_the_summary(cuba):
    class Printer:
        text_written = ""

        def text(self, value: str) -> None:
            self.text_written += value

    printer = Printer()
    cuba._repr_pretty_(printer, cycle=False)
    assert printer.text_written == cuba.summary()


# ------------------------------------------------------------------ errors


def test_unknown_scenario():
    with pytest.raises(ScenarioError, match="no such scenario file or built-in name") as error:
        Study("kursk-2025")
    assert "kursk-2024" in error.value.format()


@pytest.mark.parametrize("arguments", [{"runs": 0}, {"seed": -1}, {"horizon": 0}])
def test_out_of_range_arguments(arguments):
    with pytest.raises(ValueError, match="must be"):
        Study("cuba-1962", **arguments)


@pytest.mark.parametrize("step", ["score", "report"])
def test_a_step_before_simulate(step, tmp_path):
    study = Study("cuba-1962", runs=10)
    arguments = [tmp_path / "out.html"] if step == "report" else []
    with pytest.raises(StudyError, match=rf"^{step}\(\) uses the ensemble of simulate\(\): "
                                         "call simulate\\(\\) first"):
        getattr(study, step)(*arguments)
    assert not (tmp_path / "out.html").exists()


def test_nothing_to_compare_lists_the_interventions():
    with pytest.raises(interventions.InterventionError,
                       match=r"nothing to compare.*no_strike_ban_lift"):
        Study("kursk-2024", runs=10).compare()


def test_unknown_intervention_and_bad_change():
    study = Study("kursk-2024", runs=10)
    with pytest.raises(interventions.InterventionError, match="has no intervention 'nope'"):
        study.compare("nope")
    with pytest.raises(interventions.InterventionError, match="no '='"):
        study.compare(changes=["policies.lift_strike_ban.probability"])
    with pytest.raises(ScenarioError):
        study.compare(changes={"policies.no_such_policy.probability": 0})
    assert study.comparisons == {}


def test_no_hypotheses_and_no_resolutions(tmp_path):
    path = tmp_path / "toy.yaml"
    path.write_text(yaml.safe_dump(SMALL_SCENARIO, sort_keys=False))
    study = Study(path, runs=10)
    with pytest.raises(NoHypothesesError, match="has no hypotheses"):
        study.hypotheses()
    with pytest.raises(StudyError, match=r"toy\.yaml ships no resolutions"):
        study.simulate().score()
    with pytest.raises(StudyError, match="kursk-2024 ships no resolutions"):
        Study("kursk-2024", runs=10, horizon=2).simulate().score()


def test_bad_sensitivity_method():
    with pytest.raises(ValueError, match="unknown method 'sobel'"):
        Study("cuba-1962").sensitivity("sobel")


def test_bad_report_paths(tmp_path):
    study = Study("cuba-1962", runs=10).simulate()
    with pytest.raises(StudyError, match=r"must end in \.html, \.htm, \.md"):
        study.report(tmp_path / "out.pdf")
    folder = tmp_path / "folder.html"
    folder.mkdir()
    with pytest.raises(OSError):
        study.report(folder)
    assert study.report_path is None and study.hinges is None

