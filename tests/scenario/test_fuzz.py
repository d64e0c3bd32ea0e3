"""Fuzzing the scenario loader: hostile files end in a scenario or a clear error, never a crash.

Each case is a mutation of a shipped scenario (kursk-2024, cuba-1962 and the
test suite's mini scenario) or junk text. The property: loading it either
returns a valid :class:`~redline.scenario.models.Scenario` (which must then
compile and simulate a few weeks without error) or raises
:class:`~redline.scenario.errors.ScenarioError` whose every issue has a line
and column inside the file and a message; any other exception, or a case
slower than the deadline, fails the test. Mutations of the parsed data are
written back to YAML with ``yaml.safe_dump`` so that they are files a user
could write; mutations of the text (truncation, byte flips, insertions) reach
the YAML reader itself.

The suite runs about three thousand cases: ``make test`` the binary junk and
arbitrary text (750), ``make test-slow`` the mutated scenarios and mangled
texts (2,000) and the command line's reports, which are marked slow (51 s and
20 s of them on the 2-core development machine). ``make fuzz`` runs every
property with ``REDLINE_FUZZ_EXAMPLES`` raised (default there: 10,000 per
property).
"""

from __future__ import annotations

import copy
import datetime as dt
import math
import os
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from redline.engine.run import simulate
from redline.scenario.errors import ScenarioError
from redline.scenario.loader import load_scenario, load_text
from redline.scenario.models import Scenario
from redline.scenarios import resolve
from tests.support.paths import MINI

EXAMPLES = int(os.environ.get("REDLINE_FUZZ_EXAMPLES", "1000"))
FUZZ = settings(max_examples=EXAMPLES, deadline=dt.timedelta(seconds=20), derandomize=False,
                suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large,
                                       HealthCheck.filter_too_much])
SOURCES = {
    "kursk-2024": Path(resolve("kursk-2024")),
    "cuba-1962": Path(resolve("cuba-1962")),
    "mini": MINI,
}
TEXTS = {name: path.read_text(encoding="utf-8") for name, path in SOURCES.items()}
DATA = {name: yaml.safe_load(text) for name, text in TEXTS.items()}

#: Values a careless or hostile author might put anywhere.
JUNK = st.one_of(
    st.none(), st.booleans(), st.integers(-10**30, 10**30),
    st.sampled_from([0, -1, 1, 2, 1e308, -1e308, math.nan, math.inf, -math.inf, 1e-320, 0.5]),
    st.floats(allow_nan=True, allow_infinity=True),
    st.text(max_size=40), st.just("x" * 100_000), st.just("ghost"),
    st.just("<script>alert(1)</script>"),
    st.just([]), st.just({}), st.lists(st.integers(), max_size=5),
    st.dictionaries(st.text(max_size=8), st.integers(), max_size=3),
    st.just({"uniform": [1, 0]}), st.just({"beta": [-1, 2]}), st.just({"normal": [0, -1]}),
    st.just({"all": []}), st.just({"not": {"not": {"not": None}}}),
    st.just(dt.date(1, 1, 1)), st.just("2024-02-30"),
).map(copy.deepcopy)  # st.just gives the same object every time: later mutations must not edit it


def _paths(data: Any, prefix: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    """Every path to a value inside ``data`` (mapping keys and list indices)."""
    found = [prefix]
    if isinstance(data, dict):
        for key, value in data.items():
            found += _paths(value, (*prefix, key))
    elif isinstance(data, list):
        for i, value in enumerate(data):
            found += _paths(value, (*prefix, i))
    return found


def _parent(data: Any, path: tuple[Any, ...]) -> Any:
    for step in path[:-1]:
        data = data[step]
    return data


@st.composite
def mutated_documents(draw: st.DrawFn) -> str:
    """A shipped scenario with a few structural mutations, as YAML text."""
    data = copy.deepcopy(DATA[draw(st.sampled_from(sorted(DATA)))])
    for _ in range(draw(st.integers(1, 4))):
        paths = [p for p in _paths(data) if p]
        if not paths:
            break
        path = draw(st.sampled_from(paths))
        parent, last = _parent(data, path), path[-1]
        kind = draw(st.sampled_from(["replace", "delete", "unknown_key", "duplicate",
                                     "swap", "nest", "wrong_reference", "scale"]))
        if kind == "replace":
            parent[last] = draw(JUNK)
        elif kind == "delete":
            del parent[last]
        elif kind == "unknown_key" and isinstance(parent, dict):
            parent[draw(st.text(min_size=1, max_size=12))] = draw(JUNK)
        elif kind == "duplicate" and isinstance(parent, list):
            parent.append(copy.deepcopy(parent[last]))  # duplicate ids, repeated entries
        elif kind == "swap":
            other = draw(st.sampled_from(paths))
            try:
                other_parent = _parent(data, other)
                parent[last], other_parent[other[-1]] = other_parent[other[-1]], parent[last]
            except (KeyError, IndexError, TypeError):
                pass  # the swap made one path disappear: leave the document as it is
        elif kind == "nest":
            parent[last] = [[[[parent[last]]]]]
        elif kind == "wrong_reference" and isinstance(parent[last], str):
            parent[last] = parent[last] + "_missing"
        elif kind == "scale" and isinstance(parent[last], int | float) and not isinstance(
                parent[last], bool):
            parent[last] = parent[last] * draw(st.sampled_from([-1, 0, 1e6, 1e-9, 10**12]))
    return yaml.safe_dump(data, sort_keys=False, allow_unicode=True)


@st.composite
def mangled_texts(draw: st.DrawFn) -> str:
    """A shipped scenario's text, cut, with characters flipped or inserted."""
    text = TEXTS[draw(st.sampled_from(sorted(TEXTS)))]
    for _ in range(draw(st.integers(1, 3))):
        position = draw(st.integers(0, len(text)))
        kind = draw(st.sampled_from(["truncate", "insert", "delete", "indent"]))
        if kind == "truncate":
            text = text[:position]
        elif kind == "insert":
            text = text[:position] + draw(st.sampled_from([
                ":", "- ", "{", "[", "]", "&a ", "*a", "!!python/object:os.system ", "<<: ",
                "\t", "'", '"', "\n", "? ", "%YAML 1.1\n", "---\n", "!!binary ", "\x00",
                "\ufeff", "...\n"])) + text[position:]
        elif kind == "delete":
            text = text[:position] + text[position + draw(st.integers(1, 50)):]
        else:
            text = text[:position] + "   " + text[position:]
    return text


def _check(text: str, name: str = "fuzzed.yaml") -> Scenario | None:
    """Load ``text``; the scenario if valid, None if refused with located issues."""
    try:
        scenario = load_text(text, name)
    except ScenarioError as error:
        lines = text.count("\n") + 1
        assert error.issues, "a ScenarioError without issues"
        for issue in error.issues:
            assert issue.file == name
            assert 1 <= issue.line <= lines, issue
            assert issue.column >= 1, issue
            assert issue.message.strip(), issue
        return None
    assert isinstance(scenario, Scenario)
    return scenario


def _simulates(scenario: Scenario) -> None:
    """A valid scenario compiles and runs a few weeks in both engines without error."""
    horizon = min(scenario.horizon, 3)
    for engine in ("compiled", "numpy"):
        result = simulate(scenario, runs=16, seed=1, horizon=horizon, engine=engine)
        assert math.isclose(sum(e.p for e in result.outcomes.values()), 1.0, rel_tol=1e-9)


@pytest.mark.slow
@FUZZ
@given(mutated_documents())
def test_mutated_scenarios_load_or_fail_cleanly(text):
    scenario = _check(text)
    if scenario is not None:
        _simulates(scenario)


@pytest.mark.slow
@FUZZ
@given(mangled_texts())
def test_mangled_texts_load_or_fail_cleanly(text):
    scenario = _check(text)
    if scenario is not None:
        _simulates(scenario)


@settings(FUZZ, max_examples=max(EXAMPLES // 2, 10))
@given(st.binary(max_size=4096))
def test_binary_junk_is_refused_with_a_line(tmp_path_factory, raw):
    path = tmp_path_factory.mktemp("fuzz") / "junk.yaml"
    path.write_bytes(raw)
    try:
        load_scenario(path)
    except ScenarioError as error:
        assert all(issue.line >= 1 and issue.column >= 1 for issue in error.issues)
    else:  # pragma: no cover - binary that happens to be a valid scenario
        pytest.fail("binary junk loaded as a scenario")


@settings(FUZZ, max_examples=max(EXAMPLES // 4, 10))
@given(st.text(max_size=2000))
def test_arbitrary_text_is_refused_or_valid(text):
    _check(text)


@pytest.mark.parametrize("depth", [100, 1000, 20_000])
def test_deep_flow_nesting_is_refused(depth):
    assert _check("name: x\nactors: " + "[" * depth + "]" * depth + "\n") is None


def test_long_strings_are_refused_or_kept_without_blowing_up():
    text = TEXTS["mini"].replace("name: ", "name: " + "n" * 1_500_000 + "_", 1)
    assert _check(text) is None  # the file is then over the 2 MB limit... or an invalid name


def test_billion_laughs_is_refused():
    lines = ["a0: &a0 [lol, lol, lol, lol, lol, lol, lol, lol, lol, lol]"]
    lines += [f"a{i}: &a{i} [" + ", ".join([f"*a{i - 1}"] * 10) + "]" for i in range(1, 10)]
    with pytest.raises(ScenarioError) as refused:
        load_text("\n".join(lines) + "\n")
    assert any("alias" in issue.message for issue in refused.value.issues)


def test_policy_cycles_do_not_hang():
    """Two policies each waiting for the other to fire: a valid scenario in which neither fires."""
    data = copy.deepcopy(DATA["mini"])
    if not data.get("policies"):
        pytest.skip("mini has no policies")
    first = copy.deepcopy(data["policies"][0])
    second = copy.deepcopy(first)
    first["id"], second["id"] = "loop_a", "loop_b"
    first["when"] = {"policy_fired": "loop_b"}
    second["when"] = {"policy_fired": "loop_a"}
    data["policies"] += [first, second]
    scenario = _check(yaml.safe_dump(data, sort_keys=False))
    assert scenario is not None
    _simulates(scenario)


def test_syntax_error_at_the_end_points_at_the_last_line():
    """Found by the fuzzer: PyYAML reports an error at end of input one line past the file."""
    with pytest.raises(ScenarioError) as refused:
        load_text("name: mini\ns", "f.yaml")
    assert (refused.value.issues[0].line, refused.value.issues[0].column) == (2, 2)


@pytest.mark.slow
@settings(FUZZ, max_examples=2)
@given(st.lists(st.one_of(mutated_documents(), mangled_texts()), min_size=30, max_size=30))
def test_the_command_line_reports_fuzzed_files_with_exit_2(tmp_path_factory, texts):
    """``redline validate`` on thirty fuzzed files: each refused one is reported at its line."""
    folder = tmp_path_factory.mktemp("cli-fuzz")
    paths = []
    for i, text in enumerate(texts):
        paths.append(folder / f"case{i}.yaml")
        paths[-1].write_text(text, encoding="utf-8")
    refused = [path for path, text in zip(paths, texts, strict=True)
               if _check(text, str(path)) is None]
    process = subprocess.run([sys.executable, "-m", "redline", "validate", *map(str, paths)],
                             capture_output=True, text=True, timeout=600, check=False)
    assert "Traceback" not in process.stdout + process.stderr
    assert process.returncode == (2 if refused else 0), process.stderr
    for path in refused:
        assert re.search(rf"^{re.escape(str(path))}:\d+:\d+: .+", process.stderr, re.M), path
