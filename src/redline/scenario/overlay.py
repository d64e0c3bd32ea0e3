"""Parameter overlays: a hypothesis or an intervention as changes to a scenario.

An overlay maps dotted paths (:mod:`redline.scenario.paths`) to new values, e.g.::

    actors.RUS.resolve: {beta: [6, 2]}
    red_lines.rus_deep_strike.priors.USA: {triangular: [6, 8, 10]}
    policies.lift_strike_ban.probability: 0.9

The changed scenario is validated again as a whole, so an overlay can never
produce an invalid one.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from redline.scenario.loader import validate_data
from redline.scenario.models import Scenario
from redline.scenario.paths import overlaid_data


def apply_overlay(scenario: Scenario, overlay: Mapping[str, Any], *, what: str = "overlay"
                  ) -> Scenario:
    """A new scenario with every path of ``overlay`` set; validated as a whole.

    Raises
    ------
    ScenarioError
        If a path does not exist or the result is not a valid scenario.

    """
    return validate_data(overlaid_data(scenario, overlay, what=what), file=what)
