"""Nothing hidden from the sensitivity analysis: fixed numbers given ranges of their own.

A sensitivity analysis varies a scenario's uncertain numbers (its
distributions). :func:`with_fixed_ranges` makes every other number uncertain
too, so that ``redline sensitivity --include-fixed`` shows how much each
fixed value, judgement or not, matters:

- every fixed number of the scenario (every parameter slot holding a
  constant other than 0) becomes uniform on ``[v (1 - share), v (1 + share)]``
  (``share`` 0.5 by default: the documented default range, ±50%), clipped to
  [0, 1] when v lies in [0, 1] (shares, probabilities and most weights; a
  capability of 0.8 then ranges over 0.4-1.0);
- fixed decision parameters (rationality, switching cost, planning weeks) are
  released to the estimates from history: each run draws them from the
  posterior (its interval), as a scenario that leaves them out does.

Zeros stay zero (a relative range of 0 is 0: a rung without cost, a front
without weight is a structural choice, not a magnitude).
"""

from __future__ import annotations

import copy

from redline.arrays.scenario_arrays import compile_scenario
from redline.scenario import distributions as dist
from redline.scenario.estimates import DECISION_PARAMETERS
from redline.scenario.loader import validate_data
from redline.scenario.models import Scenario
from redline.scenario.paths import OverlayError, scenario_data, set_path

#: The default relative half-width of a fixed number's range.
DEFAULT_SHARE = 0.5


def fixed_range(value: float, share: float = DEFAULT_SHARE) -> tuple[float, float]:
    """The range given to a fixed ``value``: ±``share`` of it, clipped to [0, 1] inside it."""
    low, high = sorted((value * (1.0 - share), value * (1.0 + share)))
    if 0.0 <= value <= 1.0:
        low, high = max(low, 0.0), min(high, 1.0)
    return low, high


def with_fixed_ranges(scenario: Scenario, share: float = DEFAULT_SHARE) -> Scenario:
    """The scenario with every fixed number made uncertain (module docstring)."""
    if not 0.0 < share < 1.0:
        raise ValueError(f"the share of a fixed number's range must be in (0, 1), got {share}")
    compiled = compile_scenario(scenario)
    slots = compiled.slots
    data = copy.deepcopy(scenario_data(scenario))
    for slot, (number, name) in enumerate(zip(slots.numbers, slots.names, strict=True)):
        if (dist.is_distribution(number) or name.endswith("#draw")
                or slot == compiled.decision_draw_slot):
            continue
        value = float(number)  # type: ignore[arg-type]
        if value == 0.0:
            continue
        low, high = fixed_range(value, share)
        if low == high:
            continue
        try:
            set_path(data, name, {"uniform": [low, high]})
        except OverlayError:  # a number the overlay language cannot address
            continue
    model = data.get("model")
    if isinstance(model, dict):
        for name in DECISION_PARAMETERS:
            model.pop(name, None)
        sources = model.get("sources")
        if isinstance(sources, dict):
            for name in DECISION_PARAMETERS:
                sources.pop(name, None)
    return validate_data(data, file=f"{scenario.name} with fixed ranges")
