"""One scale for every scenario: the units of effect, cost, harm and stakes, and their ranges.

Every scenario measures in the same units (docs/scales.md has the anchors):

- a rung's ``effect``: the share added to its user's military effectiveness
  while the rung is held (0: none; 1: doubles it);
- a rung's ``cost``: the user's cost of holding it for one week, as a share
  of the user's value of the whole dispute (the stakes);
- a rung's ``harm``: the one-off cost to the target of the rung's use as a
  red line's enforcement, in the same share of the stakes;
- an actor's ``cost_sensitivity``: the multiplier of its costs (1: face value);
  ``war_cost``: Fearon's c, the share of the stakes a war would destroy;
- the decision parameters: ``rationality`` lambda per unit of the stakes,
  ``switching_cost`` in shares of the stakes per move, ``planning_weeks`` in
  weeks.

:data:`RANGES` gives each quantity the range its anchors span, widened to
what a scenario could defend; :func:`scale_warnings` lists every number of a
scenario file outside it (for a distribution: its support, or for an
unbounded one its mean +- 3 standard deviations), each at its line and
column. A warning does not make the scenario invalid: it asks its author to
check the unit. Fixed decision parameters without a ``model.sources`` entry
are also reported: they are judgements that override the estimates.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

from redline.scenario.errors import Issue
from redline.scenario.yaml_source import SourceMap


@dataclass(frozen=True)
class Range:
    """The plausible range of a quantity, its unit, and an anchor to compare with."""

    low: float
    high: float
    unit: str
    anchor: str


#: Plausible ranges (docs/scales.md): outside them a number is probably in another unit.
RANGES: dict[str, Range] = {
    "effect": Range(-0.5, 2.0, "share added to the user's military effectiveness",
                    "the ICB mapping's war 0.25, kursk-2024's direct war 0.5, nuclear use 1.0"),
    "cost": Range(0.0, 10.0, "share of the stakes per week",
                  "a week of full-scale war 0.08 (ICB mapping), a strike campaign 0.005, "
                  "nuclear use 5"),
    "harm": Range(0.0, 10.0, "share of the stakes, once",
                  "serious clashes 0.21 (ICB mapping), direct war 1.0, nuclear use 3-5"),
    "cost_sensitivity": Range(0.0, 5.0, "multiplier of costs",
                              "1 at face value; the ICB mapping's 0.27-1.5"),
    "war_cost": Range(0.0, 1.0, "share of the stakes a war destroys",
                      "the ICB mapping's 0.3 (0.45 with nuclear weapons)"),
    "rationality": Range(0.05, 200.0, "logit precision per unit of the stakes",
                         "the ICB posterior (redline estimate)"),
    "switching_cost": Range(0.0, 20.0, "share of the stakes per move",
                            "the ICB posterior (redline estimate)"),
    "planning_weeks": Range(1.0, 260.0, "weeks", "the ICB posterior (redline estimate)"),
}
#: The decision parameters that are estimated from history (a fixed value needs a source).
DECISION_PARAMETERS = ("rationality", "switching_cost", "planning_weeks")
#: Unbounded distributions are judged by their mean +- this many standard deviations.
SPREAD = 3.0


def _extent(value: Any) -> tuple[float, float] | None:
    """Smallest and largest value a number or distribution spec can plausibly take."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int | float):
        return float(value), float(value)
    if not isinstance(value, dict) or len(value) != 1:
        return None
    (law, parameters), = value.items()
    if not isinstance(parameters, list) or not all(
            isinstance(p, int | float) and not isinstance(p, bool) for p in parameters):
        return None
    numbers = [float(p) for p in parameters]
    if law in ("uniform", "triangular") and numbers:
        return min(numbers), max(numbers)
    if law == "beta":
        return 0.0, 1.0
    if law == "normal" and len(numbers) == 2:
        return numbers[0] - SPREAD * numbers[1], numbers[0] + SPREAD * numbers[1]
    if law == "lognormal" and len(numbers) == 2 and numbers[0] > 0 and numbers[1] >= 0:
        mu, sigma = math.log(numbers[0]), numbers[1]
        return math.exp(mu - SPREAD * sigma), math.exp(mu + SPREAD * sigma)
    return None


def _check(value: Any, name: str, path: tuple[Any, ...], source: SourceMap,
           file: str) -> list[Issue]:
    extent = _extent(value)
    scale = RANGES[name]
    if extent is None or (scale.low <= extent[0] and extent[1] <= scale.high):
        return []
    line, column = source.locate(path)
    shown = extent[0] if extent[0] == extent[1] else f"{extent[0]:.4g} to {extent[1]:.4g}"
    return [Issue(file, line, column,
                  f"warning: {name} {shown} is outside the usual range "
                  f"{scale.low:g}-{scale.high:g} ({scale.unit}; compare {scale.anchor})",
                  "a number in the units of docs/scales.md")]


def scale_warnings(data: Any, source: SourceMap, file: str) -> list[Issue]:
    """Every number of scenario ``data`` outside :data:`RANGES`, and unsourced judgements."""
    if not isinstance(data, dict):
        return []
    issues: list[Issue] = []
    ladder = data.get("ladder")
    for i, rung in enumerate(ladder if isinstance(ladder, list) else []):
        if isinstance(rung, dict):
            for name in ("effect", "cost", "harm"):
                if name in rung:
                    issues += _check(rung[name], name, ("ladder", i, name), source, file)
    pressures = data.get("pressures")
    for pressure_id, pressure in (pressures.items() if isinstance(pressures, dict) else []):
        if isinstance(pressure, dict) and "cost" in pressure:
            issues += _check(pressure["cost"], "cost", ("pressures", pressure_id, "cost"),
                             source, file)
    actors = data.get("actors")
    for actor_id, actor in (actors.items() if isinstance(actors, dict) else []):
        if isinstance(actor, dict):
            for name in ("cost_sensitivity", "war_cost"):
                if name in actor:
                    issues += _check(actor[name], name, ("actors", actor_id, name), source,
                                     file)
    model = data.get("model")
    if isinstance(model, dict):
        given = model.get("sources")
        sources: dict[str, Any] = given if isinstance(given, dict) else {}
        for name in DECISION_PARAMETERS:
            if name not in model:
                continue
            issues += _check(model[name], name, ("model", name), source, file)
            if not sources.get(name):
                line, column = source.locate(("model", name))
                issues.append(Issue(
                    file, line, column,
                    f"warning: model.{name} is fixed without a source; leave it out to use "
                    "the estimate from the ICB crises, or name the source in "
                    f"model.sources.{name}", "an estimate or a sourced judgement"))
    return sorted(issues, key=lambda issue: (issue.line, issue.column, issue.message))
