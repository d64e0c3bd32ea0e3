"""Valid scenarios that probably do not say what their author meant: warnings, with lines.

A scenario can pass every check of the language and still ask the engine
something its author did not intend. ``redline validate`` warns (without
failing) about each of these, at the line of the value concerned:

- a red line crossed at the start: an actor it applies to starts at or
  above its declared rung, and the line counts the start as tested (the
  default, ``tested_at_start: true``). The engine then starts the line's
  public lower bound at the postures held at the start, so the crossing that
  started the crisis is never enforced; ``tested_at_start: false`` has it
  tested in week 1;
- a self-limit (a red line that applies to its own owner) without an
  ``audience_cost``: the owner's cost of breaking its pledge is then the harm
  of the line's ``response`` rung, a number chosen for another purpose;
- a question whose deadline lies past the horizon: runs stop at the
  horizon, so the question is answered as of the horizon, not its deadline
  (the run accepts it: a longer ``--horizon`` answers it in full);
- a question whose window opens past the horizon: no run can answer it yes;
- a policy's ``adopt`` of a rung that needs a supplier's permission which no
  policy ever gives the actor: an adopt of a rung not permitted does nothing
  (docs/model.md, adopting a posture), so this one never takes effect.

The scale warnings (numbers outside their unit's usual range) are in
:mod:`redline.scenario.scales`; :func:`file_warnings` gives both.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from redline.scenario.errors import Issue
from redline.scenario.models import Adopt, Permit, Scenario
from redline.scenario.scales import scale_warnings
from redline.scenario.yaml_source import MAX_BYTES, SourceMap, read_yaml


def pitfalls(scenario: Scenario, source: SourceMap, file: str) -> list[Issue]:
    """Every pitfall of ``scenario`` (module docstring) as a warning at its line."""
    issues: list[Issue] = []

    def warn(path: tuple[str | int, ...], message: str, expected: str) -> None:
        line, column = source.locate(path)
        issues.append(Issue(file, line, column, f"warning: {message}", expected))

    severity = {rung.id: rung.severity for rung in scenario.ladder}
    for i, line in enumerate(scenario.red_lines):
        declared = severity[line.declared_at]
        for actor_id in line.applies_to:
            if actor_id == line.owner:
                continue  # its own pledge: never enforced against it
            start = scenario.actors[actor_id].initial_posture
            if start is not None and severity[start] >= declared and line.tested_at_start:
                warn(("red_lines", i, "declared_at"),
                     f"red line {line.id!r} is crossed at the start: {actor_id} starts at "
                     f"{start!r} (severity {severity[start]:g}), at or above its declared rung "
                     f"{line.declared_at!r} (severity {declared:g}); the engine counts the "
                     "start as tested, so the line is not enforced for that crossing",
                     "tested_at_start: false, for the owner to answer the crossing in week 1, "
                     "or a declared rung above every initial posture it applies to")
        if line.owner in line.applies_to and line.audience_cost is None:
            warn(("red_lines", i, "applies_to"),
                 f"red line {line.id!r} applies to its own owner {line.owner!r}: a self-limit, "
                 f"never enforced against {line.owner}; without audience_cost, breaking the "
                 f"pledge costs {line.owner} the harm of its response {line.response!r}",
                 "audience_cost: the owner's one-off cost of breaking its pledge (stakes "
                 "units), or applies_to without the owner")
    for i, question in enumerate(scenario.questions):
        if question.from_week > scenario.horizon:
            warn(("questions", i, "from_date" if question.from_date else "from_week"),
                 f"question {question.id!r} opens its window at week {question.from_week}, "
                 f"past the horizon (week {scenario.horizon}): no run can answer it yes",
                 f"a window that opens by the horizon, {scenario.horizon}")
        elif question.by_week > scenario.horizon:
            warn(("questions", i, "by_date" if question.by_date else "by_week"),
                 f"question {question.id!r} has its deadline at week {question.by_week}, past "
                 f"the horizon (week {scenario.horizon}): it is answered as of week "
                 f"{scenario.horizon}", f"a deadline at most the horizon, {scenario.horizon}")
    _adopts_never_permitted(scenario, warn)
    return issues


def _adopts_never_permitted(scenario: Scenario,
                            warn: Callable[[tuple[str | int, ...], str, str], None]) -> None:
    """Warn (with ``warn``) of each ``adopt`` of a rung whose permission no policy gives."""
    rungs = {rung.id: rung for rung in scenario.ladder}
    permits = {(action.permit.actor, action.permit.rung, action.permit.by)
               for policy in scenario.policies for action in policy.then
               if isinstance(action, Permit)}
    for i, policy in enumerate(scenario.policies):
        for j, action in enumerate(policy.then):
            if not isinstance(action, Adopt):
                continue
            actor, rung = action.adopt.actor, action.adopt.rung
            missing = [supplier for supplier in rungs[rung].needs_permission_from
                       if supplier != actor and (actor, rung, supplier) not in permits]
            if missing:
                warn(("policies", i, "then", j, "adopt", "rung"),
                     f"{actor} adopts {rung!r}, which needs the permission of "
                     f"{', '.join(missing)}, and no policy permits it: the adopt never takes "
                     "effect", f"a permit of {rung!r} for {actor} before the adopt")


def file_warnings(path: str | Path, scenario: Scenario) -> list[Issue]:
    """The scale warnings and pitfalls of a scenario file that loads as ``scenario``."""
    file = str(path)
    with open(path, "rb") as handle:
        text = handle.read(MAX_BYTES + 1).decode("utf-8")
    data, source, _ = read_yaml(text, file)
    return sorted(scale_warnings(data, source, file) + pitfalls(scenario, source, file),
                  key=lambda issue: (issue.line, issue.column, issue.message))
