"""Recorded resolutions of forecast questions, loaded with line-aware errors.

The file format::

    resolutions:
      - question: blockade_announced
        outcome: true          # or false
        date: 1962-10-22       # when it resolved (optional for false)

Every problem (YAML syntax, a missing key, an unknown question id, a question
resolved twice) is reported at once, each with its line, as a
:class:`~redline.scenario.errors.ScenarioError`.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from pathlib import Path

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from redline.analysis.scoring import ScoreCard, score
from redline.results import EnsembleResult
from redline.scenario.errors import Issue, ScenarioError
from redline.scenario.loader import issue_from_pydantic
from redline.scenario.models import Question, Scenario
from redline.scenario.yaml_source import MAX_BYTES, SourceMap, read_yaml


class Resolution(BaseModel):
    """What happened to one forecast question."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    question: str = Field(min_length=1, description="Question id in the scenario.")
    outcome: bool = Field(description="Whether the event happened (by the deadline).")
    date: dt.date | None = Field(default=None, description="When it resolved.")
    note: str | None = Field(default=None, max_length=2000, description="Source or comment.")


class Resolutions(BaseModel):
    """A resolutions file."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    resolutions: list[Resolution] = Field(min_length=1)


def load_resolutions(path: str | Path, scenario: Scenario) -> list[Resolution]:
    """Read the resolutions at ``path`` and check them against ``scenario``'s questions.

    Raises
    ------
    ScenarioError
        With every problem found, each at its line.
    """
    return _read(path, scenario)[0]


def resolution_warnings(path: str | Path, scenario: Scenario) -> list[Issue]:
    """Resolutions that load but are probably not what their author meant, each at its line.

    A ``true`` outcome dated after its question's deadline, or before its
    window opens, is scored as false (:func:`happened_by_deadline`), and one
    dated before the scenario's start happened before the forecast was made.
    ``redline validate`` and ``redline score`` print these. Raises
    :class:`ScenarioError` as :func:`load_resolutions` does.
    """
    resolutions, source = _read(path, scenario)
    questions = {q.id: q for q in scenario.questions}
    warnings: list[Issue] = []
    for i, resolution in enumerate(resolutions):
        if resolution.date is None:
            continue
        line, column = source.locate(("resolutions", i, "date"))
        question = questions[resolution.question]
        opens, deadline = window_dates(question, scenario)
        if resolution.outcome and resolution.date > deadline:
            warnings.append(Issue(
                str(path), line, column,
                f"warning: {resolution.question!r} resolved true on {resolution.date}, after "
                f"its deadline {deadline} (week {question.by_week}): it is scored as false",
                f"a date on or before {deadline}, or outcome false"))
        elif resolution.outcome and resolution.date < opens:
            warnings.append(Issue(
                str(path), line, column,
                f"warning: {resolution.question!r} resolved true on {resolution.date}, before "
                f"its window opens on {opens} (week {question.from_week}): it is scored as "
                "false", f"the date of the first time it happened from {opens} to {deadline}, "
                "or outcome false"))
        if resolution.date < scenario.start:
            warnings.append(Issue(
                str(path), line, column,
                f"warning: {resolution.question!r} resolved on {resolution.date}, before the "
                f"scenario's start {scenario.start}: the forecast knew it",
                f"a date on or after {scenario.start}"))
    return warnings


def _read(path: str | Path, scenario: Scenario) -> tuple[list[Resolution], SourceMap]:
    """The resolutions at ``path``, checked against ``scenario``, and their source map."""
    file = str(path)
    try:
        raw = Path(path).read_bytes()[: MAX_BYTES + 1]
        text = raw.decode("utf-8")
    except OSError as exc:
        raise ScenarioError([Issue(file, 1, 1, f"cannot read file: {exc.strerror or exc}",
                                   "a readable resolutions file")]) from None
    except UnicodeDecodeError:
        raise ScenarioError([Issue(file, 1, 1, "bytes that are not UTF-8 text",
                                   "a UTF-8 encoded YAML file")]) from None
    data, source, issues = read_yaml(text, file)
    if issues:
        raise ScenarioError(issues)
    if not isinstance(data, dict):
        raise ScenarioError([Issue(file, 1, 1, "not a mapping with a `resolutions` list",
                                   "resolutions: [{question, outcome, date}, ...]")])
    try:
        parsed = Resolutions.model_validate(data)
    except ValidationError as exc:
        raise ScenarioError([issue_from_pydantic(err, data, source, file,
                                                 "resolutions: [{question, outcome, date, note}]")
                             for err in exc.errors()]) from None
    known = {question.id for question in scenario.questions}
    problems: list[Issue] = []
    seen: set[str] = set()
    for i, resolution in enumerate(parsed.resolutions):
        line, column = source.locate(("resolutions", i, "question"))
        if resolution.question not in known:
            problems.append(Issue(file, line, column,
                                  f"unknown question {resolution.question!r}",
                                  f"a question of {scenario.name}: " + ", ".join(sorted(known))))
        elif resolution.question in seen:
            problems.append(Issue(file, line, column,
                                  f"question {resolution.question!r} resolved twice",
                                  "one resolution per question"))
        seen.add(resolution.question)
    if problems:
        raise ScenarioError(problems)
    return list(parsed.resolutions), source


def window_dates(question: Question, scenario: Scenario) -> tuple[dt.date, dt.date]:
    """The dates of the ends of the question's first and last weeks (week w: start + 7 w days)."""
    return (scenario.start + dt.timedelta(weeks=question.from_week),
            scenario.start + dt.timedelta(weeks=question.by_week))


def happened_by_deadline(resolution: Resolution, scenario: Scenario) -> bool:
    """Whether the question's event happened in its window (by its deadline week).

    A ``true`` outcome dated after the deadline, or before the window opens,
    resolves the question as false (:func:`resolution_warnings` says so); one
    without a date counts as in the window.
    """
    if not resolution.outcome:
        return False
    if resolution.date is None:
        return True
    question = next(q for q in scenario.questions if q.id == resolution.question)
    opens, deadline = window_dates(question, scenario)
    return opens <= resolution.date <= deadline


def score_result(result: EnsembleResult, resolutions: Sequence[Resolution]) -> ScoreCard:
    """Score an ensemble's question forecasts against what happened.

    Each resolution becomes an outcome by its question's deadline
    (:func:`happened_by_deadline`); the forecasts are the ensemble's question
    probabilities and the baselines use the questions' base rates
    (:func:`redline.analysis.scoring.score`). This is what ``redline score``
    and ``redline report --resolutions`` print.

    Parameters
    ----------
    result : EnsembleResult
        An ensemble of the scenario the resolutions were checked against
        (:func:`load_resolutions`).
    resolutions : sequence of Resolution
        What happened to some or all of its questions.

    Returns
    -------
    ScoreCard
        The scores of the questions that have a resolution.

    """
    scenario = result.scenario
    outcomes = {r.question: happened_by_deadline(r, scenario) for r in resolutions}
    forecasts = {qid: estimate.p for qid, estimate in result.questions.items()}
    return score(forecasts, outcomes, {q.id: q.base_rate for q in scenario.questions})
