"""Tests of the HTML report, its figures and the report command (no browser needed).

The browser checks (every figure drawn, no network request) are in
test_browser.py, which builds its page with :func:`full_report` below.
"""

from __future__ import annotations

import copy
import dataclasses
import datetime as dt
import re
import subprocess
import sys
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest
import yaml
from matplotlib.figure import Figure

import redline
from redline.analysis.scoring import score
from redline.report import figures
from redline.report.html import CAPTIONS, html_report
from redline.scenario.models import OUTCOMES, Scenario
from tests.support.fake_results import SMALL_SCENARIO, make_result

GENERATED = dt.datetime(2024, 11, 1, 12, 0, tzinfo=dt.UTC)
SCRIPT = "<script>alert(1)</script>"
IMAGE = '<img src=x onerror="alert(2)">'

#: Every figure of a report given every kind of data, in page order.
ALL_FIGURES = ["outcomes", "questions", "escalation", "ladder", "knowledge", "control", "network",
               "posterior", "ach", "tornado", "calibration"]


def hostile_scenario_data() -> dict[str, Any]:
    """The toy crisis with a third actor, support, a deployment, hypotheses, observations,
    and markup (and a dollar sign) in every free-text field a report shows."""
    data = copy.deepcopy(SMALL_SCENARIO)
    data["title"] = f"Toy crisis {IMAGE}"
    data["description"] = f"A description with {SCRIPT} and & < > \" '."
    data["actors"]["RED"]["name"] = SCRIPT
    data["actors"]["BLUE"]["name"] = "Blue $ and $$ a dollar"
    data["actors"]["GREEN"] = {"name": f"Green {IMAGE}", "capability": 0.2}
    data["support"] = [{"by": "GREEN", "to": "BLUE", "level": {"uniform": [0.1, 0.3]}}]
    data["fronts"]["border"]["forces"]["GREEN"] = 0
    data["deployments"] = [{"id": "green_volunteers", "actor": "GREEN", "front": "border",
                            "side": "BLUE", "strength": 5000, "exists": 0.7}]
    data["questions"][0]["text"] = f"Does Blue strike deep by week 4? {SCRIPT}"
    data["hypotheses"] = [
        {"id": "H_bluff", "description": f"Red is bluffing {SCRIPT}", "prior": 0.5,
         "overlay": {"red_lines.red_deep.follow_through": 0.01}},
        {"id": "H_resolved", "description": "Red means it", "prior": 0.5,
         "overlay": {"red_lines.red_deep.follow_through": 0.9}},
    ]
    data["observations"] = [
        {"id": "raid_seen", "text": f"Blue raids are reported {SCRIPT}",
         "event": {"reached": {"actor": "BLUE", "rung": "raid"}}, "by_week": 1,
         "reliability": 0.8, "source": f"a wire {IMAGE}"},
    ]
    return data


def hostile_scenario() -> Scenario:
    return Scenario.model_validate(hostile_scenario_data())


HYPOTHESES: dict[str, Any] = {
    "posterior": {"H_bluff": {"p": 0.62, "lo": 0.55, "hi": 0.69, "prior": 0.5},
                  "H_resolved": {"p": 0.38, "lo": 0.31, "hi": 0.45, "prior": 0.5}},
    "ach": {"raid_seen": {"H_bluff": {"likelihood": 0.7, "rating": "C"},
                          "H_resolved": {"likelihood": 0.45, "rating": "I"}}},
    "diagnosticity": {"raid_seen": 0.44},
    "notes": [f"a note from the analysis {SCRIPT}"],
}


def sensitivity_frame() -> pd.DataFrame:
    rows = []
    for target in ("settlement", "nuclear_use", "ongoing"):
        for k, parameter in enumerate(("actors.BLUE.capability", "fronts.border.forces.RED",
                                       f"red_lines.red_deep.threshold {SCRIPT}")):
            rows.append({"parameter": parameter, "target": target, "index": "mu_star",
                         "value": 0.05 * (k + 1), "conf": 0.01})
            rows.append({"parameter": parameter, "target": target, "index": "sigma",
                         "value": 0.02, "conf": np.nan})
    return pd.DataFrame(rows)


def score_card(result: redline.EnsembleResult) -> Any:
    forecasts = {qid: estimate.p for qid, estimate in result.questions.items()}
    outcomes = {"deep_strike_by_w4": True, "nuclear": False}
    return score(forecasts, outcomes, {"deep_strike_by_w4": 0.3, "nuclear": None})


def full_report(runs: int = 400) -> str:
    """A report of the hostile scenario with every section filled."""
    result = redline.simulate(hostile_scenario(), runs=runs, seed=3)
    return html_report(result, hypotheses=HYPOTHESES, sensitivity=sensitivity_frame(),
                       score=score_card(result), run_id="run-42", generated=GENERATED)


@pytest.fixture(scope="module")
def result() -> redline.EnsembleResult:
    return redline.simulate(hostile_scenario(), runs=400, seed=3)


@pytest.fixture(scope="module")
def page(result: redline.EnsembleResult) -> str:
    return html_report(result, hypotheses=HYPOTHESES, sensitivity=sensitivity_frame(),
                       score=score_card(result), run_id="run-42", generated=GENERATED)


class _Elements(HTMLParser):
    """Collects start tags with their attributes, and the ids, of a page."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.tags: list[tuple[str, dict[str, str | None]]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, dict(attrs)))


def elements(text: str) -> list[tuple[str, dict[str, str | None]]]:
    parser = _Elements()
    parser.feed(text)
    return parser.tags


def figure_blocks(text: str) -> dict[str, str]:
    return {match.group(1): match.group(0)
            for match in re.finditer(r'<figure id="figure-[^"]*" data-figure="([^"]+)".*?</figure>',
                                     text, flags=re.S)}


# ---------------------------------------------------------------- the page


def test_page_is_one_document_with_every_figure(page):
    assert page.startswith("<!DOCTYPE html>")
    assert page.rstrip().endswith("</html>")
    assert list(figure_blocks(page)) == ALL_FIGURES
    for number, (key, block) in enumerate(figure_blocks(page).items(), start=1):
        assert block.count("<svg") == 1, key
        assert re.search(r'<svg [^>]*role="img"[^>]*><title id="[^"]+">[^<]+</title>', block), key
        caption = re.search(r"<figcaption><strong class=\"figure-title\">Figure (\d+)\. "
                            r"([^<]+)\.</strong> ([^<]+)</figcaption>", block)
        assert caption, key
        assert int(caption.group(1)) == number
        assert caption.group(3).strip()
        assert "<text" in block, f"{key}: text should be SVG text, not glyph paths"


def test_page_fetches_nothing(page):
    assert 'http-equiv="Content-Security-Policy"' in page
    assert "default-src 'none'" in page
    for tag, attributes in elements(page):
        for name in ("src", "href", "xlink:href", "action", "poster", "data"):
            value = attributes.get(name)
            if value is not None:
                assert value.startswith(("#", "data:")), f"<{tag} {name}={value!r}>"
    assert not re.search(r"url\((?!#)", page), "a CSS url() to something other than a fragment"
    assert "@import" not in page
    assert "<link" not in page
    assert "<script" not in page.lower()


def test_scenario_text_is_escaped(page):
    tags = {tag for tag, _ in elements(page)}
    assert "script" not in tags
    assert "img" not in tags
    assert SCRIPT not in page
    assert IMAGE not in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page
    # in the HTML text and in the SVG text of the figures alike
    network = figure_blocks(page)["network"]
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in network


def test_dollar_signs_are_drawn_literally(page):
    network = figure_blocks(page)["network"]
    assert "Blue $ and $$ a dollar" in network


def test_ids_are_unique(page):
    ids = [attributes["id"] for _, attributes in elements(page) if attributes.get("id")]
    duplicates = {name for name in ids if ids.count(name) > 1}
    assert not duplicates
    referenced = set(re.findall(r'(?:href="#|url\(#)([^")]+)', page))
    assert referenced <= set(ids)


def test_tooltips_carry_exact_values(page, result):
    block = figure_blocks(page)["outcomes"]
    ongoing = result.outcomes["ongoing"]
    assert re.search(rf"<title>ongoing: [^<]*{ongoing.count:,} of 400 runs</title>", block)
    assert "<title>H_bluff: posterior" in figure_blocks(page)["posterior"]


def test_network_tooltips_name_every_actor_link_and_front(page):
    tips = re.findall(r"<title>([^<]*)</title>", figure_blocks(page)["network"])
    # 3 actors, 1 support, 1 deployment, 1 front (the svg's own title has an id)
    assert len(tips) == 3 + 1 + 1 + 1
    assert any(tip.startswith("GREEN supports BLUE: level uniform(0.1, 0.3)") for tip in tips)
    assert any(tip.startswith("deployment green_volunteers: GREEN sends 5000 to border")
               for tip in tips)


def test_tables_and_summary(page, result):
    assert "<h1>redline report: Toy crisis &lt;img src=x onerror=&quot;alert(2)&quot;&gt;</h1>" \
        in page
    assert "run-42" in page
    assert "2024-11-01 12:00 UTC" in page
    for name in OUTCOMES:
        assert f"<td>{name}</td>" in page
    assert "a note from the analysis &lt;script&gt;" in page
    assert "Brier (lower is better)" in page


def test_same_inputs_give_the_same_page(result, page):
    again = html_report(result, hypotheses=HYPOTHESES, sensitivity=sensitivity_frame(),
                        score=score_card(result), run_id="run-42", generated=GENERATED)
    assert again == page


def test_missing_analyses_are_notes_not_figures():
    result = redline.simulate(hostile_scenario(), runs=100, seed=1)
    page = html_report(result, generated=GENERATED)
    assert list(figure_blocks(page)) == ["outcomes", "questions", "escalation", "ladder",
                                         "knowledge", "control", "network"]
    assert "run `redline report` with --hypotheses" in page
    assert "with --sensitivity" in page
    assert "--resolutions FILE" in page


def test_a_scenario_without_hypotheses_says_so():
    page = html_report(make_result(), generated=GENERATED)
    assert "The scenario defines no hypotheses." in page
    # the hand-built result has no posture or knowledge trajectories: notes instead
    assert "no record of postures over time" in page
    assert "no record of the public knowledge" in page
    assert "data-figure=\"control\"" in page


def test_analysis_objects_are_accepted():
    class Analysis:
        def to_dict(self) -> dict[str, Any]:
            return HYPOTHESES

    class Indices:
        def to_frame(self) -> pd.DataFrame:
            return sensitivity_frame()

    result = redline.simulate(hostile_scenario(), runs=100, seed=1)
    page = html_report(result, hypotheses=Analysis(), sensitivity=Indices(),
                       score=score_card(result).to_dict(), generated=GENERATED)
    assert {"posterior", "ach", "tornado", "calibration"} <= set(figure_blocks(page))


def test_missing_numbers_do_not_break_the_hypotheses_figures():
    analysis = {"posterior": {"A": {"p": None, "lo": None, "hi": None, "prior": 0.5},
                              "B": {"p": 1.0, "lo": 0.9, "hi": 1.0, "prior": 0.5}},
                "ach": {"seen": {"A": {"likelihood": 0.0, "rating": "I"},
                                 "B": {"likelihood": 0.9, "rating": "C"}}},
                "diagnosticity": {"seen": None}}
    assert figures.posterior_figure(analysis) is not None
    figure = figures.ach_figure(analysis)
    assert figure is not None
    assert "diagnosticity infinite" in figures.figure_to_svg(figure, "t")


# ------------------------------------------------------------- the figures


def data_axes(figure: Figure) -> list[Any]:
    """Axes that plot data (not colour bars, not switched off)."""
    return [ax for ax in figure.axes if ax.axison and ax.get_label() != "<colorbar>"]


def test_every_figure_has_a_title_and_labelled_axes(result):
    built = {
        "outcomes": figures.outcome_figure(result),
        "questions": figures.question_figure(result),
        "escalation": figures.escalation_figure(result),
        "ladder": figures.ladder_figure(result),
        "knowledge": figures.knowledge_figure(result),
        "control": figures.control_figure(result),
        "posterior": figures.posterior_figure(HYPOTHESES),
        "ach": figures.ach_figure(HYPOTHESES),
        "tornado": figures.tornado_figure(sensitivity_frame()),
        "calibration": figures.calibration_figure(score_card(result).to_dict()),
    }
    for key, figure in built.items():
        assert isinstance(figure, Figure), key
        assert figures.figure_title(figure), key
        assert key in CAPTIONS
        for ax in data_axes(figure):
            shared_x = ax.get_shared_x_axes().get_siblings(ax)
            xlabels = [a.get_xlabel() for a in shared_x]
            assert any(xlabels), f"{key}: an axes without an x label"
            assert ax.get_ylabel(), f"{key}: an axes without a y label"
    network = figures.network_figure(result.scenario)
    assert figures.figure_title(network)
    assert not data_axes(network)  # a diagram: no data axes, a legend instead
    assert network.axes[0].get_legend() is not None


def test_units_are_in_the_labels(result):
    outcome = figures.outcome_figure(result)
    assert "(%)" in outcome.axes[0].get_xlabel()
    escalation = figures.escalation_figure(result)
    assert escalation is not None
    assert "ladder units" in escalation.axes[0].get_ylabel()
    assert "date" in escalation.axes[0].get_xlabel()


def test_figures_without_data_are_none():
    assert figures.question_figure(dataclasses.replace(make_result(), questions={})) is None
    assert figures.posterior_figure({}) is None
    assert figures.ach_figure({"posterior": {}}) is None
    assert figures.tornado_figure(pd.DataFrame(columns=["parameter", "target", "index",
                                                        "value", "conf"])) is None
    assert figures.calibration_figure({"calibration": [], "questions": []}) is None
    zero = sensitivity_frame().assign(value=0.0)
    assert figures.tornado_figure(zero) is None  # nothing moves any target


def test_escalation_fans_are_drawn_for_actors_that_move(result):
    """One panel per actor whose distribution of highest rungs changes over time."""
    figure = figures.escalation_figure(result)
    assert figure is not None
    panels = {ax.get_title().split(" ")[0] for ax in figure.axes}
    distribution = result.distributions["max_posture"]
    moving = {actor for a, actor in enumerate(result.labels["max_posture"])
              if not np.allclose(distribution[:, a], distribution[0, a])}
    assert panels == (moving or set(result.scenario.sides))


def test_rung_quantiles_match_a_hand_computed_distribution():
    distribution = np.array([[1.0, 0.0, 0.0], [0.2, 0.5, 0.3]])
    severities = np.array([0.0, 2.0, 5.0])
    q = figures.rung_quantiles(distribution, severities, [0.05, 0.5, 0.95])
    assert q[:, 0].tolist() == [0.0, 0.0, 0.0]
    assert q[:, 1].tolist() == [0.0, 2.0, 5.0]


def test_tornado_prefers_settlement_and_ranks_by_magnitude():
    figure = figures.tornado_figure(sensitivity_frame(), top=2)
    assert figure is not None
    titles = [ax.get_title(loc="left") for ax in figure.axes]
    assert titles[:2] == ["P(settlement)", "P(nuclear_use)"]
    labels = [tick.get_text() for tick in figure.axes[0].get_yticklabels()]  # bottom to top
    assert labels == ["fronts.border.forces.RED", f"red_lines.red_deep.threshold {SCRIPT}"][::-1]


def test_svg_is_inline_ready(result):
    svg = figures.figure_to_svg(figures.outcome_figure(result), "fig9")
    assert svg.startswith("<svg ")
    assert "<?xml" not in svg
    assert "<!DOCTYPE" not in svg
    assert "<dc:date>" not in svg
    ids = re.findall(r'\bid="([^"]+)"', svg)
    assert ids
    assert all(name.startswith("fig9-") for name in ids)


# ----------------------------------------------------------------- the CLI


def redline_cli(*args: str | Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "redline", *map(str, args)],
                          capture_output=True, text=True, timeout=300, check=False)


@pytest.fixture
def scenario_file(tmp_path: Path) -> Path:
    path = tmp_path / "hostile.yaml"
    path.write_text(yaml.safe_dump(hostile_scenario_data(), sort_keys=False))
    return path


@pytest.mark.slow
def test_report_command_writes_the_page(tmp_path, scenario_file):
    resolutions = tmp_path / "resolutions.yaml"
    resolutions.write_text("resolutions:\n  - question: nuclear\n    outcome: false\n"
                           "  - question: deep_strike_by_w4\n    outcome: true\n")
    output = tmp_path / "out" / "report.html"
    process = redline_cli("report", scenario_file, "-o", output, "--runs", "300",
                          "--no-hypotheses", "--resolutions", resolutions)
    assert process.returncode == 0, process.stderr
    assert f"report written to {output}" in process.stdout
    page = output.read_text(encoding="utf-8")
    assert "data-figure=\"calibration\"" in page
    assert "data-figure=\"posterior\"" not in page
    assert not list(output.parent.glob(".*.part"))


@pytest.mark.slow
@pytest.mark.parametrize(
    ("arguments", "message"),
    [
        (["-o", "{tmp}/report.txt"], "must end in .html"),
        (["-o", "{tmp}/report.html", "--resolutions", "{tmp}/missing.yaml"], "missing.yaml"),
        (["-o", "{tmp}/report.html", "--resolutions", "{tmp}/unknown.yaml"], "no_such_question"),
    ],
)
def test_report_command_refuses_bad_input_and_writes_nothing(tmp_path, scenario_file,
                                                             arguments, message):
    (tmp_path / "unknown.yaml").write_text("resolutions:\n  - question: no_such_question\n"
                                           "    outcome: true\n")
    process = redline_cli("report", scenario_file,
                          *[a.format(tmp=tmp_path) for a in arguments])
    assert process.returncode == 2, process.stderr
    assert "Traceback" not in process.stderr
    assert message in process.stderr
    assert not (tmp_path / "report.html").exists()
    assert not (tmp_path / "report.txt").exists()


def test_report_command_refuses_hypotheses_the_scenario_lacks(tmp_path):
    data = hostile_scenario_data()
    del data["hypotheses"]
    path = tmp_path / "plain.yaml"
    path.write_text(yaml.safe_dump(data, sort_keys=False))
    output = tmp_path / "report.html"
    output.write_text("the old report")
    process = redline_cli("report", path, "-o", output, "--hypotheses")
    assert process.returncode == 2
    assert "defines no hypotheses" in process.stderr
    assert output.read_text() == "the old report"


@pytest.mark.slow
def test_report_command_refuses_a_bad_scenario(tmp_path):
    path = tmp_path / "bad.yaml"
    path.write_text("name: bad\nhorizon: -1\n")
    process = redline_cli("report", path, "-o", tmp_path / "r.html")
    assert process.returncode == 2
    assert "Traceback" not in process.stderr
    assert not (tmp_path / "r.html").exists()


def test_report_names_what_each_question_hinges_on():
    from redline.analysis.hinges import Hinge
    result = make_result()
    qid = next(iter(result.questions))
    page = html_report(result, hinges={qid: [Hinge("actors.X.resolve", 0.2, 0.8, 0.1, 0.6,
                                                   0.02)]})
    assert "What each forecast hinges on" in page
    assert "actors.X.resolve 0.2..0.8" in page and "→" in page
    assert "What each forecast hinges on" not in html_report(result)
