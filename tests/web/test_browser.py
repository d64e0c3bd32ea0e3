"""The dashboard in a real browser: Debian's Chromium, headless, driven by Playwright.

A live ``redline serve`` runs in a subprocess on a free loopback port with its
own database. The browser opens the dashboard, edits a scenario and sees the
error at its line, runs kursk-2024 with a few hundred runs and watches the
progress reach 100%, checks that every figure is drawn and that the numbers
shown are the API's, compares an intervention with the baseline, reopens the
run from the stored runs, and checks that the page requested nothing outside
the server and logged no error. With ``REDLINE_SCREENSHOTS=DIR`` it also saves
screenshots of the main views there (docs/images is made that way).

Chromium is Debian's package (``make test-slow`` installs it), never a browser
downloaded by Playwright; without /usr/bin/chromium these tests are skipped,
unless REDLINE_REQUIRE_BROWSER is set, where its absence is a failure.
"""

from __future__ import annotations

import json
import os
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlparse

import pytest

from tests.support.browser import RecordedPage, chromium, require_chromium
from tests.support.live_server import live_server

RUNS = 500
FIGURES = ["outcomes", "questions", "escalation", "ladder", "knowledge", "control", "network"]

require_chromium()

#: Whole workflows in a browser against a live server (measured: 93 s for the module on the
#: 2-core development machine): every test here is marked slow.
pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    folder = tmp_path_factory.mktemp("web")
    with live_server(folder, "--db", str(folder / "web.duckdb")) as url:
        yield url


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    with chromium() as launched:
        yield launched


def get_json(url: str) -> Any:
    with urllib.request.urlopen(url, timeout=60) as response:
        return json.load(response)


class Session(RecordedPage):
    """A page on the dashboard, with every request and error recorded."""

    def __init__(self, browser: Any, base: str) -> None:
        self.base = base
        # an invalid scenario is answered 422 on purpose: the browser logs that response
        super().__init__(browser, self._local, viewport={"width": 1400, "height": 1000},
                         accept_dialogs=True, console_ignored="status of 422")
        self.page.set_default_timeout(90_000)

    def _local(self, url: str) -> bool:
        parsed = urlparse(url)
        return parsed.scheme in {"data", "about", "blob"} or (
            f"{parsed.scheme}://{parsed.netloc}" == self.base)

    def shot(self, name: str, scroll_to: str | None = None) -> None:
        folder = os.environ.get("REDLINE_SCREENSHOTS")
        if folder:
            Path(folder).mkdir(parents=True, exist_ok=True)
            if scroll_to:
                self.page.locator(scroll_to).first.scroll_into_view_if_needed()
                self.page.evaluate("(y) => window.scrollBy(0, y)", -60)
            self.page.screenshot(path=str(Path(folder) / f"{name}.png"), full_page=False)


FIGURE_STATE = """
(selector) => Array.from(document.querySelectorAll(selector + ' figure')).map((figure) => {
  const svg = figure.querySelector('svg');
  const box = svg ? svg.getBoundingClientRect() : null;
  return {
    key: figure.dataset.figure,
    width: box ? box.width : 0, height: box ? box.height : 0,
    marks: svg ? svg.querySelectorAll('path, rect, use').length : 0,
    tips: svg ? svg.querySelectorAll('g > title').length : 0,
    caption: (figure.querySelector('figcaption') || {}).textContent || '',
  };
})
"""


def percent(p: float) -> str:
    """The dashboard's format of a probability."""
    if 0 < p < 0.001:
        return f"{100 * p:.3f}%"
    return f"{100 * p:.1f}%"


def test_the_analyst_workflow_in_the_browser(browser: Any, server: str) -> None:
    session = Session(browser, server)
    page = session.page
    page.goto(server + "/#library/kursk-2024", wait_until="load")
    page.wait_for_selector("#validation.ok")
    assert "kursk-2024" in page.text_content("#validation")
    session.shot("library")

    # an error typed into the editor appears at its line, and goes away when fixed
    original = page.input_value("#yaml")
    lines = original.split("\n")
    broken_line = next(i for i, line in enumerate(lines, 1) if line.startswith("horizon:"))
    lines[broken_line - 1] = "horizon: many"
    page.fill("#yaml", "\n".join(lines))
    page.wait_for_selector("#validation.bad")
    page.wait_for_selector(f"#gutter span.error[data-line='{broken_line}']")
    error = page.locator(f"#errors li[data-line='{broken_line}']")
    assert error.count() == 1 and "horizon" in error.text_content()
    error.click()  # selects the offending line in the editor
    selected = page.evaluate("(() => { const a = document.getElementById('yaml');"
                             " return a.value.slice(a.selectionStart, a.selectionEnd); })()")
    assert selected == "horizon: many"
    session.shot("editor-error")
    page.fill("#yaml", original)
    page.wait_for_selector("#validation.ok")
    assert page.locator("#gutter span.error").count() == 0

    # run it: progress to 100%, then the results
    page.fill("#run-runs", str(RUNS))
    page.fill("#run-seed", "7")
    page.click("#run-button")
    page.wait_for_selector("#job-panel:not([hidden])")
    page.wait_for_function("() => document.getElementById('job-percent').textContent === '100%'")
    assert page.eval_on_selector("#job-progress", "p => p.value") == 1
    page.wait_for_selector("#run-results:not([hidden])")
    run_id = page.evaluate("location.hash").split("/")[1]
    page.wait_for_selector("#figures figure[data-figure='network']")
    figures = page.evaluate(FIGURE_STATE, "#figures")
    assert [figure["key"] for figure in figures] == FIGURES
    for figure in figures:
        assert figure["width"] > 200 and figure["height"] > 100, figure
        assert figure["marks"] > 5, figure
        assert len(figure["caption"]) > 40, figure
    assert sum(figure["tips"] for figure in figures) > 10  # hover values
    assert page.locator("#question-weeks svg polyline").count() >= 10
    session.shot("run")
    session.shot("figures", scroll_to="#figures")

    # the numbers shown are the API's
    stored = get_json(f"{server}/api/runs/{run_id}")
    assert stored["runs"] == RUNS and stored["seed"] == 7
    for name, estimate in stored["outcomes"].items():
        row = page.locator(f"#outcome-table tr[data-outcome='{name}']")
        cell = row.locator("td").nth(1)
        assert float(cell.get_attribute("data-p")) == estimate["p"]
        assert cell.text_content() == percent(estimate["p"])
    for qid, estimate in stored["questions"].items():
        cell = page.locator(f"#question-table tr[data-question='{qid}'] td").nth(2)
        assert float(cell.get_attribute("data-p")) == estimate["p"]
    # zoom: the wheel narrows a figure's view box, a double-click restores it
    svg = page.locator("#figures figure[data-figure='outcomes'] svg")
    before = svg.get_attribute("viewBox")
    svg.hover()
    page.mouse.wheel(0, -200)
    page.wait_for_function(
        "(b) => document.querySelector(\"#figures figure[data-figure='outcomes'] svg\")"
        ".getAttribute('viewBox') !== b", arg=before)
    svg.dblclick()
    assert svg.get_attribute("viewBox") == before

    # the report download is the self-contained report of this run
    with page.expect_download() as download:
        page.click("#report-link")
    report = Path(download.value.path()).read_text(encoding="utf-8")
    assert run_id in report and "Content-Security-Policy" in report

    # stored runs: searchable, reopenable
    page.goto(server + "/#runs")
    page.wait_for_selector(f"#runs-table tr[data-run='{run_id}']")
    page.fill("#runs-search", "no-such-scenario")
    page.wait_for_selector("#runs-empty:not([hidden])")
    page.fill("#runs-search", "kursk")
    page.wait_for_selector(f"#runs-table tr[data-run='{run_id}']")
    session.shot("runs")

    # compare an intervention against the baseline
    page.goto(server + "/#compare")
    page.select_option("#intervention-scenario", "kursk-2024")
    page.select_option("#intervention-name", "no_prk_deployment")
    page.fill("#intervention-runs", str(RUNS))
    page.click("#compare-intervention-form button[type=submit]")
    page.wait_for_selector("#compare-result:not([hidden])")
    assert page.text_content("#compare-percent") == "100%"
    rows = page.locator("#compare-outcomes tbody tr")
    assert rows.count() == 7
    shown = {rows.nth(i).get_attribute("data-event"):
             float(rows.nth(i).get_attribute("data-difference")) for i in range(rows.count())}
    assert abs(sum(shown.values())) < 1e-9  # outcomes are exclusive: differences sum to 0
    session.shot("compare")

    # reopen the stored run from a shared link
    page.goto(server + "/#library")
    page.goto(server + f"/#run/{run_id}")
    page.wait_for_selector("#figures figure[data-figure='network']")

    assert not session.outside, session.outside
    assert not session.errors, session.errors
    assert not session.dialogs
    page.close()


def test_hypotheses_and_sensitivity_views(browser: Any, server: str) -> None:
    session = Session(browser, server)
    page = session.page
    page.goto(server + "/#analysis", wait_until="load")
    page.wait_for_selector("#analysis-scenario option[value='kursk-2024']", state="attached")
    page.select_option("#analysis-scenario", "kursk-2024")
    page.fill("#analysis-runs", "300")
    page.click("#hypotheses-button")
    page.wait_for_selector("#hypotheses-result:not([hidden])")
    assert page.locator("#posterior-table tbody tr").count() >= 2
    keys = [figure["key"] for figure in page.evaluate(FIGURE_STATE, "#hypotheses-figures")]
    assert keys == ["posterior", "ach"]
    page.fill("#sensitivity-samples", "2")
    page.fill("#sensitivity-replicates", "2")
    page.click("#sensitivity-button")
    page.wait_for_selector("#sensitivity-result:not([hidden])")
    keys = [figure["key"] for figure in page.evaluate(FIGURE_STATE, "#sensitivity-figures")]
    assert keys == ["tornado"]
    session.shot("analysis")
    page.select_option("#sensitivity-method", "rsa")  # Monte Carlo filtering, 2,000 runs
    page.fill("#sensitivity-samples", "2000")
    page.evaluate("document.getElementById('sensitivity-result').hidden = true")
    page.click("#sensitivity-button")
    page.wait_for_selector("#sensitivity-result:not([hidden])")
    svg = page.inner_html("#sensitivity-figures")
    assert "Kolmogorov-Smirnov" in svg
    assert not session.outside
    assert not session.errors, session.errors
    page.close()


def test_scenario_text_is_shown_as_text(browser: Any, server: str) -> None:
    """Markup typed into the editor is never run or parsed by the page."""
    session = Session(browser, server)
    page = session.page
    page.goto(server + "/#library/kursk-2024", wait_until="load")
    page.wait_for_selector("#validation.ok")
    original = page.input_value("#yaml")
    page.fill("#yaml", "name: <img src=x onerror=alert(1)>\nactors: [<script>alert(2)</script>\n")
    page.wait_for_selector("#validation.bad")
    page.wait_for_timeout(300)
    assert page.locator("#errors img, #errors script").count() == 0
    # a valid scenario whose title is markup: run it, and its title is shown as text
    markup = "<img src=x onerror=alert(3)><b>bold</b>"
    lines = [f"title: '{markup}'" if line.startswith("title:") else line
             for line in original.split("\n")]
    page.fill("#yaml", "\n".join(lines))
    page.wait_for_selector("#validation.ok")
    page.fill("#run-runs", "100")
    page.click("#run-button")
    page.wait_for_selector("#run-results:not([hidden])")
    assert markup in page.text_content("#run-title")
    assert page.locator("#view-run img, #view-run b, #view-run script").count() == 0
    page.wait_for_selector("#figures figure[data-figure='network']")
    assert not session.dialogs
    assert not session.outside
    page.close()


def test_the_api_reference_is_drawn_offline(browser: Any, server: str) -> None:
    """/docs is Swagger UI from the package's own copy: it draws every operation."""
    session = Session(browser, server)
    page = session.page
    page.goto(server + "/docs", wait_until="load")
    page.wait_for_selector(".opblock")
    paths = page.eval_on_selector_all(".opblock-summary-path",
                                      "(nodes) => nodes.map((n) => n.textContent.trim())")
    for path in ("/api/validate", "/api/runs", "/api/jobs/{job_id}/events", "/api/compare"):
        assert path in [p.replace("\u200b", "") for p in paths], paths
    session.shot("api")
    page.goto(server + "/docs/reference", wait_until="load")
    assert "/api/runs/{run_id}" in page.text_content("table")
    assert not session.outside, session.outside
    assert not session.errors, session.errors
    page.close()


def test_cancel_a_run_in_the_browser(browser: Any, server: str) -> None:
    session = Session(browser, server)
    page = session.page
    page.goto(server + "/#library/kursk-2024", wait_until="load")
    page.wait_for_selector("#validation.ok")
    page.fill("#run-runs", "1000000")
    page.click("#run-button")
    page.wait_for_function("() => document.getElementById('job-status').textContent"
                           " === 'running'")
    run_id = page.evaluate("location.hash").split("/")[1]
    page.click("#job-cancel")
    page.wait_for_function("() => document.getElementById('job-status').textContent"
                           ".startsWith('cancelled')")
    assert page.locator("#run-results").is_hidden()
    assert get_json(f"{server}/api/jobs/{run_id}")["status"] == "cancelled"
    try:
        get_json(f"{server}/api/runs/{run_id}")
    except urllib.error.HTTPError as error:
        assert error.code == 404  # nothing was stored
    else:
        raise AssertionError("a cancelled run was stored")
    assert not session.outside
    assert not session.errors, session.errors
    page.close()
