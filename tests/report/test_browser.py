"""The HTML report in a real browser: Debian's Chromium, headless, driven by Playwright.

Checks that every figure is drawn (an SVG with a non-empty box and drawn
marks, a caption, a title), that the page makes no network request, runs no
script from the scenario's text and logs no error (a blocked fetch would be a
Content-Security-Policy error in the console).

Chromium is Debian's package (``apt-get install chromium``, done by
``make test``), never a browser downloaded by ``playwright install``. Without
/usr/bin/chromium these tests are skipped, unless REDLINE_REQUIRE_BROWSER is
set (as ``make test`` and CI do), where its absence is a failure.
"""

from __future__ import annotations

import importlib.util
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlparse

import pytest

from tests.report.test_html import ALL_FIGURES, full_report
from tests.support.browser import RecordedPage, chromium, require_chromium

LOCAL_HOSTS = {"localhost", "127.0.0.1", "::1", "[::1]"}

require_chromium()


def is_local(url: str) -> bool:
    """A request the report may make: its own file, inline data, or this machine."""
    parsed = urlparse(url)
    if parsed.scheme in {"file", "data", "about", "blob"}:
        return True
    return parsed.scheme in {"http", "https", "ws", "wss"} and parsed.hostname in LOCAL_HOSTS


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    with chromium() as launched:
        yield launched


class Visit(RecordedPage):
    """One page load of a report file, with everything it did recorded."""

    def __init__(self, browser: Any, path: Path) -> None:
        super().__init__(browser, is_local, viewport={"width": 1200, "height": 900},
                         accept_dialogs=False)
        self.page.goto(path.resolve().as_uri(), wait_until="load")
        self.page.wait_for_timeout(200)  # late fetches (fonts, lazy images) would come now


FIGURE_STATE = """
() => Array.from(document.querySelectorAll('figure')).map((figure) => {
  const svg = figure.querySelector('svg');
  const img = figure.querySelector('img');
  const box = (svg || img) ? (svg || img).getBoundingClientRect() : null;
  const caption = figure.querySelector('figcaption');
  const heading = caption ? caption.querySelector('.figure-title') : null;
  const svgTitle = svg ? svg.querySelector(':scope > title') : null;
  return {
    key: figure.dataset.figure,
    kind: svg ? 'svg' : (img ? 'img' : null),
    width: box ? box.width : 0,
    height: box ? box.height : 0,
    naturalWidth: img ? img.naturalWidth : null,
    marks: svg ? svg.querySelectorAll('path, rect, use, image').length : 0,
    texts: svg ? Array.from(svg.querySelectorAll('text')).filter(
      (t) => t.getBBox().width > 0).length : 0,
    caption: caption ? caption.innerText.trim() : '',
    title: heading ? heading.innerText.trim() : '',
    svgTitle: svgTitle ? svgTitle.textContent.trim() : '',
    visible: box ? box.width > 0 && box.height > 0 &&
      getComputedStyle(svg || img).visibility !== 'hidden' : false,
  };
})
"""


def check_figures(visit: Visit, expected: list[str]) -> list[dict[str, Any]]:
    state = visit.page.evaluate(FIGURE_STATE)
    assert [figure["key"] for figure in state] == expected
    for figure in state:
        key = figure["key"]
        assert figure["kind"] in {"svg", "img"}, f"{key}: no svg or img"
        assert figure["visible"], f"{key}: not drawn"
        assert figure["width"] > 200 and figure["height"] > 100, f"{key}: {figure}"
        if figure["kind"] == "img":
            assert figure["naturalWidth"] > 0, f"{key}: image not decoded"
        else:
            assert figure["marks"] > 5, f"{key}: nothing drawn in the svg"
            assert figure["texts"] > 3, f"{key}: no text laid out in the svg"
            assert figure["svgTitle"], f"{key}: the svg has no title"
        assert figure["title"].startswith("Figure "), f"{key}: no title"
        assert len(figure["caption"]) > len(figure["title"]) + 20, f"{key}: no caption"
    return state


def test_every_figure_is_drawn_and_nothing_is_fetched(browser, tmp_path):
    path = tmp_path / "report.html"
    path.write_text(full_report(), encoding="utf-8")
    visit = Visit(browser, path)
    check_figures(visit, ALL_FIGURES)
    assert visit.requests == [path.resolve().as_uri()]
    assert not visit.outside
    assert not visit.dialogs, "a script from the scenario's text ran"
    assert visit.page.evaluate("document.scripts.length") == 0
    assert not visit.errors
    title = visit.page.title()
    assert title.startswith("redline report: Toy crisis <img")  # shown as text, not markup
    visit.page.screenshot(path=str(tmp_path / "report.png"), full_page=True)
    assert (tmp_path / "report.png").stat().st_size > 50_000
    visit.page.close()


@pytest.mark.slow
def test_the_flagship_report_from_the_command_line(browser, tmp_path):
    output = tmp_path / "kursk-2024.html"
    process = subprocess.run(
        [sys.executable, "-m", "redline", "report", "kursk-2024", "--runs", "1000",
         "--seed", "1", "-o", str(output)],
        capture_output=True, text=True, timeout=300, check=False)
    assert process.returncode == 0, process.stderr
    expected = ["outcomes", "questions", "escalation", "ladder", "knowledge", "control",
                "network"]
    if importlib.util.find_spec("redline.analysis.hypotheses") is not None:
        expected += ["posterior", "ach"]  # on by default: the scenario has hypotheses
    visit = Visit(browser, output)
    state = check_figures(visit, expected)
    network = next(figure for figure in state if figure["key"] == "network")
    assert network["texts"] >= 12  # one label per actor at least
    assert not visit.outside
    assert not visit.errors
    visit.page.close()


def test_the_recorder_catches_a_remote_fetch(browser, tmp_path):
    """The check above would see a fetch: a page with a remote image is caught (and aborted)."""
    path = tmp_path / "leaky.html"
    path.write_text('<!DOCTYPE html><html><body><figure><img src="http://192.0.2.1/x.png">'
                    "<figcaption>leaky</figcaption></figure></body></html>")
    visit = Visit(browser, path)
    assert visit.outside == ["http://192.0.2.1/x.png"]
    visit.page.close()
