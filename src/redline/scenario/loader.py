"""Load a scenario file: safe YAML, structural validation, cross-references, interventions.

Every problem is collected and raised at once as a
:class:`~redline.scenario.errors.ScenarioError` whose issues carry the file,
line and column of the offending value and what was expected there.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from pydantic import ValidationError

from redline.scenario.distributions import NUMBER_EXPECTED
from redline.scenario.errors import Issue, ScenarioError
from redline.scenario.models import ACTION_KEYS, CONDITION_KEYS, Scenario
from redline.scenario.paths import overlaid_data
from redline.scenario.references import Problem, check_references, partial_scenario
from redline.scenario.yaml_source import MAX_BYTES, SourceMap, read_yaml


def load_scenario(path: str | Path) -> Scenario:
    """Read and validate the scenario file at ``path``.

    Raises
    ------
    ScenarioError
        With every problem found, each at its line and column.

    """
    file = str(path)
    try:
        with open(path, "rb") as handle:
            raw = handle.read(MAX_BYTES + 1)
    except OSError as exc:
        raise ScenarioError([Issue(file, 1, 1, f"cannot read file: {exc.strerror or exc}",
                                   "a readable scenario file")]) from None
    if len(raw) > MAX_BYTES:
        raise ScenarioError([Issue(file, 1, 1, f"file is larger than {MAX_BYTES} bytes",
                                   "a smaller scenario")])
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = raw[: exc.start].count(b"\n") + 1
        column = exc.start - (raw.rfind(b"\n", 0, exc.start) + 1) + 1
        raise ScenarioError([Issue(file, line, column, "bytes that are not UTF-8 text",
                                   "a UTF-8 encoded YAML file")]) from None
    return load_text(text, file)


def load_text(text: str, file: str = "<scenario>") -> Scenario:
    """Validate scenario YAML given as text; ``file`` names it in errors."""
    if "\x00" in text:
        line = text[: text.index("\x00")].count("\n") + 1
        raise ScenarioError([Issue(file, line, 1, "binary content (NUL byte)", "YAML text")])
    data, source, issues = read_yaml(text, file)
    if issues:
        raise ScenarioError(issues)
    return validate_data(data, source, file)


def validate_data(data: Any, source: SourceMap | None = None, file: str = "<scenario>") -> Scenario:
    """Validate already-parsed scenario data (positions from ``source`` when known)."""
    source = source or SourceMap()
    if data is None:
        raise ScenarioError([Issue(file, 1, 1, "empty document", "a scenario mapping")])
    if not isinstance(data, dict):
        raise ScenarioError([Issue(file, 1, 1, f"the document is a {type(data).__name__}",
                                   "a mapping with name, start, actors, sides, ladder, ...")])
    try:
        scenario = Scenario.model_validate(data)
    except ValidationError as exc:
        errors = exc.errors()
        issues = [issue_from_pydantic(err, data, source, file) for err in errors]
        # the valid parts are still checked for broken references, so that every
        # problem is reported at once; those inside an invalid element are not repeated
        broken = [_data_path(data, tuple(err["loc"])) for err in errors]
        parts, known = partial_scenario(data)
        issues += [_reference_issue(path, message, expected, source, file)
                   for path, message, expected in check_references(parts, known)
                   if not any(path[: len(bad)] == bad for bad in broken)]
        raise ScenarioError(issues) from None
    problems = check_references(scenario) + _intervention_problems(scenario)
    if problems:
        raise ScenarioError([_reference_issue(path, message, expected, source, file)
                             for path, message, expected in problems])
    return scenario


def _intervention_problems(scenario: Scenario) -> list[Problem]:
    """Each named intervention must apply: its paths exist and the result is valid.

    Checked on a copy without interventions, so that validating the changed
    scenario does not recurse. A failure is reported at the path that fails on
    its own, else at the intervention's ``set``.
    """
    if not scenario.interventions:
        return []
    base = scenario.model_copy(update={"interventions": []})

    def apply(changes: dict[str, Any], what: str) -> None:
        validate_data(overlaid_data(base, changes, what=what), file=what)

    problems: list[Problem] = []
    for i, intervention in enumerate(scenario.interventions):
        what = f"intervention {intervention.id!r}"
        try:
            apply(intervention.set, what)
            continue
        except ScenarioError as error:
            together = error
        failures: list[Problem] = []
        for key, value in intervention.set.items():
            try:
                apply({key: value}, what)
            except ScenarioError as error:
                failures += [(("interventions", i, "set", key), f"{what}: {issue.message}",
                              issue.expected or "a path into the scenario")
                             for issue in error.issues]
        problems += failures or [
            (("interventions", i, "set"), f"{what}: {issue.message}",
             issue.expected or "changes that are valid together")
            for issue in together.issues]
    return problems


def _reference_issue(path: tuple[str | int, ...], message: str, expected: str,
                     source: SourceMap, file: str) -> Issue:
    """A cross-reference problem at its place (a whole collection: at its key)."""
    line, column = source.locate(path, key=len(path) == 1)
    return Issue(file, line, column, message, expected)


#: What each tagged union of the language expects, by its error type.
_UNION_EXPECTED = {
    "number": NUMBER_EXPECTED,
    "condition": "a one-key mapping: " + ", ".join(CONDITION_KEYS),
    "action": "a one-key mapping: " + ", ".join(ACTION_KEYS),
}


def issue_from_pydantic(error: Any, data: Any, source: SourceMap, file: str,
                        known_keys: str = "only the keys documented in `redline schema`"
                        ) -> Issue:
    """One pydantic validation error as an Issue at its line and column."""
    loc = tuple(error["loc"])
    path = _data_path(data, loc)
    kind = error["type"]
    if kind == "missing":
        line, column = source.locate(path)
        where = ".".join(str(part) for part in path)
        if isinstance(loc[-1], int):
            return Issue(file, line, column, f"{where}: too few values",
                         f"at least {loc[-1] + 1} values in the list")
        return Issue(file, line, column, f"missing key {loc[-1]!r}", "a value for it")
    if kind == "extra_forbidden":
        line, column = source.locate(path, key=True)
        return Issue(file, line, column, f"unknown key {loc[-1]!r}", known_keys)
    line, column = source.locate(path)
    message = str(error["msg"]).removeprefix("Value error, ")
    expected = (error.get("ctx") or {}).get("expected")
    where = ".".join(str(part) for part in path)
    shown = _shown(error.get("input"))
    if kind in _UNION_EXPECTED:
        return Issue(file, line, column, f"{where}: {message}: {shown}", _UNION_EXPECTED[kind])
    if kind.startswith(("greater", "less", "too_", "string_", "int_", "float_", "bool_",
                        "date_", "literal_", "list_", "dict_", "finite_")):
        return Issue(file, line, column, f"{where}: got {shown}", _expected_from(message))
    return Issue(file, line, column, f"{where}: {message}", str(expected) if expected else None)


def _expected_from(message: str) -> str:
    text = message.removeprefix("Input should be ").removeprefix("Input should have ")
    return text[:1].lower() + text[1:]


def _shown(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."


def _data_path(data: Any, loc: tuple[Any, ...]) -> tuple[str | int, ...]:
    """Follow a pydantic error location through the data, skipping union tags."""
    path: list[str | int] = []
    current = data
    for part in loc:
        if isinstance(current, dict) and part in current:
            path.append(part)
            current = current[part]
        elif isinstance(current, list) and isinstance(part, int) and 0 <= part < len(current):
            path.append(part)
            current = current[part]
    return tuple(path)
