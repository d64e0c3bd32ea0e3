"""Load a scenario file: safe YAML, structural validation, cross-references, interventions.

Every problem is collected and raised at once as a
:class:`~redline.scenario.errors.ScenarioError` whose issues carry the file,
line and column of the offending value and what was expected there.
"""

from __future__ import annotations

import difflib
import types
import typing
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ValidationError

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
    problems = check_references(scenario)
    problems += _intervention_problems(scenario, {message for _, message, _ in problems})
    if problems:
        raise ScenarioError([_reference_issue(path, message, expected, source, file)
                             for path, message, expected in problems])
    return scenario


def _intervention_problems(scenario: Scenario, base_messages: set[str]) -> list[Problem]:
    """Each named intervention must apply: its paths exist and the result is valid.

    Checked on a copy without interventions, so that validating the changed
    scenario does not recurse. A failure is reported at the path that fails on
    its own, else at the intervention's ``set``. A problem of the base scenario
    (``base_messages``, reported once at its own line) fails every changed
    copy too: it is not repeated for each intervention.
    """
    if not scenario.interventions:
        return []
    base = scenario.model_copy(update={"interventions": []})

    def apply(changes: dict[str, Any], what: str) -> None:
        try:
            validate_data(overlaid_data(base, changes, what=what), file=what)
        except ScenarioError as error:
            own = [issue for issue in error.issues if issue.message not in base_messages]
            if own:
                raise ScenarioError(own) from None

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
        where = _readable_path(data, path)
        if isinstance(loc[-1], int):
            return Issue(file, line, column, f"{where}: too few values",
                         f"at least {loc[-1] + 1} values in the list")
        return Issue(file, line, column, f"missing key {loc[-1]!r}", "a value for it")
    if kind == "extra_forbidden":
        line, column = source.locate(path, key=True)
        keys = _keys_at(loc[:-1])
        if keys:
            return Issue(file, line, column,
                         f"unknown key {loc[-1]!r}{_did_you_mean(str(loc[-1]), keys)}",
                         "one of " + ", ".join(keys))
        return Issue(file, line, column, f"unknown key {loc[-1]!r}", known_keys)
    line, column = source.locate(path)
    message = str(error["msg"]).removeprefix("Value error, ")
    expected = (error.get("ctx") or {}).get("expected")
    where = _readable_path(data, path)
    shown = _shown(error.get("input"))
    if kind in ("condition", "action"):
        return Issue(file, line, column, *_vocabulary_problem(kind, where, error.get("input")))
    if kind in _UNION_EXPECTED:
        return Issue(file, line, column, f"{where}: {message}: {shown}", _UNION_EXPECTED[kind])
    if kind == "list_type" and isinstance(error.get("input"), dict):
        return Issue(file, line, column, f"{where}: a mapping where a list is expected",
                     "a list: one '- ' item per entry")
    if kind.startswith(("greater", "less", "too_", "string_", "int_", "float_", "bool_",
                        "date_", "literal_", "list_", "dict_", "finite_")):
        return Issue(file, line, column, f"{where}: got {shown}", _expected_from(message))
    return Issue(file, line, column, f"{where}: {message}", str(expected) if expected else None)


def _vocabulary_problem(kind: str, where: str, value: Any) -> tuple[str, str]:
    """What is wrong with a value that is not a condition (or not an action), and what is.

    A condition or an action is a one-key mapping from a closed vocabulary:
    say whether the value is a list, a mapping of several keys, or one unknown
    key (with the closest known one), rather than list the whole vocabulary.
    """
    vocabulary = CONDITION_KEYS if kind == "condition" else ACTION_KEYS
    expected = f"one {kind}: a one-key mapping whose key is one of " + ", ".join(vocabulary)
    if isinstance(value, list):
        hint = ("; to combine conditions use all: [...] or any: [...]"
                if kind == "condition" else "")
        return f"{where}: a list where one {kind} is expected{hint}", expected
    if isinstance(value, dict) and len(value) > 1:
        keys = ", ".join(map(str, value))
        return f"{where}: one {kind} per mapping, got {len(value)} keys ({keys})", expected
    if isinstance(value, dict) and len(value) == 1:
        key = str(next(iter(value)))
        return (f"{where}: unknown {kind} {key!r}{_did_you_mean(key, vocabulary)}",
                expected)
    return f"{where}: not a {kind}: {_shown(value)}", expected


def _did_you_mean(word: str, known: Any) -> str:
    """``; did you mean 'x'?`` for the closest of ``known``, if one is close."""
    close = difflib.get_close_matches(word, list(known), n=1)
    return f"; did you mean {close[0]!r}?" if close else ""


def _keys_at(loc: tuple[Any, ...]) -> list[str]:
    """The keys the model at ``loc`` (a pydantic location in a Scenario) accepts, if known.

    Follows the annotations of :class:`Scenario` through mappings, lists and
    optional values; returns ``[]`` where the location runs into a union of
    several models (conditions, actions, numbers).
    """
    model: Any = Scenario
    for part in loc:
        if not (isinstance(model, type) and issubclass(model, BaseModel)):
            annotation = _unwrap(model)
            if typing.get_origin(annotation) in (list, dict) and typing.get_args(annotation):
                model = _unwrap(typing.get_args(annotation)[-1])
                continue
            return []
        field = model.model_fields.get(part)
        if field is None:
            return []
        model = _unwrap(field.annotation)
    if isinstance(model, type) and issubclass(model, BaseModel):
        return [field.alias or name for name, field in model.model_fields.items()]
    return []


def _unwrap(annotation: Any) -> Any:
    """``annotation`` without ``Annotated[...]`` and ``| None``."""
    while typing.get_origin(annotation) is typing.Annotated:
        annotation = typing.get_args(annotation)[0]
    if typing.get_origin(annotation) in (typing.Union, types.UnionType):
        members = [arg for arg in typing.get_args(annotation) if arg is not type(None)]
        if len(members) == 1:
            return _unwrap(members[0])
    return annotation


def _expected_from(message: str) -> str:
    text = message.removeprefix("Input should be ").removeprefix("Input should have ")
    return text[:1].lower() + text[1:]


def _shown(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."


def _readable_path(data: Any, path: tuple[str | int, ...]) -> str:
    """``path`` dotted, with a list entry named by its ``id`` where it has one.

    ``policies.permit.then.0`` rather than ``policies.0.then.0``: the form
    overlays and sensitivity analyses use for the same entry.
    """
    parts: list[str] = []
    current: Any = data
    for part in path:  # (a path from _data_path: every part is in the data)
        current = current[part]
        named = isinstance(part, int) and isinstance(current, dict) and isinstance(
            current.get("id"), str)
        parts.append(current["id"] if named else str(part))
    return ".".join(parts)


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
