"""Dotted paths into a scenario's data, the language of overlays.

A path walks mappings by key and lists either by position (``red_lines.0``)
or, for lists of elements with an ``id``, by that id; support entries, one
per supporting actor, by that actor (``support.CHN.level``). Every uncertain
parameter's name in a sensitivity analysis is such a path.

This module only changes plain data. Validating the changed data is the
loader's work (:func:`redline.scenario.loader.validate_data`), which checks
every intervention of a scenario through :func:`overlaid_data`;
:func:`redline.scenario.overlay.apply_overlay` does both.
"""

from __future__ import annotations

import copy
from collections.abc import Mapping
from typing import Any

from redline.scenario.errors import Issue, ScenarioError
from redline.scenario.models import Scenario


class OverlayError(ValueError):
    """An overlay path that does not lead anywhere in the scenario."""


def scenario_data(scenario: Scenario) -> dict[str, Any]:
    """The scenario as plain data, as it would be written in YAML."""
    return scenario.model_dump(mode="json", by_alias=True, exclude_unset=True)


def set_path(data: dict[str, Any], path: str, value: Any) -> None:
    """Set ``value`` at the dotted ``path`` inside ``data`` (in place)."""
    parts = path.split(".")
    if not path or any(not part for part in parts):
        raise OverlayError(f"empty step in path {path!r}")
    parent: Any = data
    for depth, part in enumerate(parts[:-1]):
        # new keys may be made inside an element (priors.USA), never new elements
        parent = _step(parent, part, ".".join(parts[: depth + 1]), create=depth >= 2)
    last = parts[-1]
    if isinstance(parent, dict):
        parent[last] = value
    elif isinstance(parent, list):
        parent[_index(parent, last, path)] = value
    else:
        raise OverlayError(f"{path!r}: cannot set a key inside a {type(parent).__name__}")


def overlaid_data(scenario: Scenario, overlay: Mapping[str, Any], *, what: str = "overlay"
                  ) -> dict[str, Any]:
    """The scenario's data with every path of ``overlay`` set (not validated).

    Raises
    ------
    ScenarioError
        With one issue, in file ``what``, per path that does not exist.

    """
    data = copy.deepcopy(scenario_data(scenario))
    issues = []
    for path, value in overlay.items():
        try:
            set_path(data, path, value)
        except OverlayError as exc:
            issues.append(Issue(what, 1, 1, str(exc), "a path into the scenario"))
    if issues:
        raise ScenarioError(issues)
    return data


def _step(node: Any, part: str, so_far: str, *, create: bool) -> Any:
    if isinstance(node, dict):
        if part not in node:
            if not create:
                raise OverlayError(f"no {so_far!r} in the scenario")
            node[part] = {}
        return node[part]
    if isinstance(node, list):
        return node[_index(node, part, so_far)]
    raise OverlayError(f"{so_far!r}: cannot go inside a {type(node).__name__}")


def _index(items: list[Any], part: str, so_far: str) -> int:
    for position, item in enumerate(items):
        if isinstance(item, dict) and item.get("id") == part:
            return position
    if so_far.split(".")[0] == "support":  # one entry per supporting actor: its name
        for position, item in enumerate(items):
            if isinstance(item, dict) and item.get("by") == part:
                return position
    if part.isdigit() and int(part) < len(items):
        return int(part)
    raise OverlayError(f"{so_far!r}: no element with id or position {part!r}")
