"""The API reference (docs/api, built by `make docs`): what it covers and how it reads docstrings.

The build itself, with every warning an error, is `make docs` (a step of
`make test`); these are the checks that need no Sphinx.
"""

from __future__ import annotations

import importlib.util
import re
from types import ModuleType

from tests.support.paths import ROOT

API = ROOT / "docs" / "api"
SOURCE = ROOT / "src" / "redline"


def api_conf() -> ModuleType:
    spec = importlib.util.spec_from_file_location("api_conf", API / "conf.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def documented_modules() -> set[str]:
    return {match for page in API.glob("*.rst")
            for match in re.findall(r"^\.\. automodule:: (\S+)", page.read_text(), re.MULTILINE)}


def test_the_public_modules_are_documented():
    """The front, the study, the engine's entry, results, scenario loading, and every module
    of analysis and history: a module added there must be added to a page."""
    expected = {"redline", "redline.study", "redline.engine.run", "redline.results",
                "redline.results.ensemble", "redline.scenario.loader", "redline.scenarios"}
    for package in ("analysis", "history", "report"):
        expected |= {f"redline.{package}.{path.stem}" for path in (SOURCE / package).glob("*.py")
                     if path.stem != "__init__"}
    assert expected - documented_modules() == set()


def test_every_page_is_in_the_table_of_contents():
    index = (API / "index.rst").read_text()
    pages = {path.stem for path in API.glob("*.rst")} - {"index"}
    assert {page for page in pages if f"   {page}\n" not in index} == set()


def test_every_cited_key_is_in_the_bibliography():
    """A docstring's [Key]_ must have an entry in docs/bibliography.md (Sphinx fails on it too,
    but only for the modules the reference documents)."""
    keys = set(re.findall(r"^- \*\*(\w+)\*\*:", (ROOT / "docs" / "bibliography.md").read_text(),
                          re.MULTILINE))
    cited = {key for path in SOURCE.rglob("*.py")
             for key in re.findall(r"\[([A-Za-z]+\d{4}[a-z]?)\]_", path.read_text())}
    assert cited - keys == set()


def test_bibliography_entries_become_citations():
    conf = api_conf()
    text = conf.bibliography_rst("# Bibliography\n\n- **Key2020**: A. Author, *Title*, "
                                 "`code`, 2020.\nnot an entry\n")
    assert text == ".. [Key2020] A. Author, *Title*, ``code``, 2020.\n"


def test_compact_entries_become_descriptions_and_types_stay():
    conf = api_conf()
    lines = ["Summary.", "", "Parameters", "----------", "scenario : a validated scenario.",
             "runs, seed : int", "    How it is run.", "keep_runs : also return per-run",
             "    records.", "outcomes : outcome name -> Estimate", "executor : Executor, optional",
             "", "Returns", "-------", "result : the ensemble."]
    assert conf.compact_entries(lines) == [
        "Summary.", "", "Parameters", "----------", "scenario", "    a validated scenario.",
        "runs, seed : int", "    How it is run.", "keep_runs : also return per-run",
        "    records.", "outcomes", "    outcome name -> Estimate",
        "executor : Executor, optional", "", "Returns", "-------", "result : the ensemble."]
