"""What each forecast hinges on: the parameters whose range moves a question's probability most.

One ensemble of ``runs`` runs draws every uncertain number of the scenario
(its distributions, and the decision parameters drawn from the ICB
estimates) from known uniforms (``simulate(..., parameter_uniforms=...)``),
so each run's parameter values are known. For each question (its event by
its deadline) and each parameter, the runs are split at the parameter's 20th
and 80th percentiles, and the swing is the question's frequency among the
runs above the 80th minus that among the runs below the 20th: how far the
probability moves across the parameter's range, the others varying as they
do in the forecast (a regional sensitivity analysis [Saltelli2004]). A swing
is reported when it exceeds twice its Monte Carlo standard error; the
largest three per question are the parameters it hinges on.

The rationality, switching cost and planning weeks drawn from the estimates
are correlated (one table row per run): each is reported on its own, but a
swing along one also carries the others' correlated moves.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass

import numpy as np
from numpy.typing import NDArray

from redline.arrays.scenario_arrays import compile_scenario
from redline.engine.run import simulate
from redline.scenario import distributions as dist
from redline.scenario.estimates import DECISION_PARAMETERS
from redline.scenario.models import Scenario

#: The share of runs at each end of a parameter's range.
TAIL = 0.2
#: Parameters reported per question.
TOP = 3
#: Runs of the analysis in the forecast and the report, by default.
HINGE_RUNS = 4000
#: Spawn key of the uniforms (under the forecast's seed).
HINGE_KEY = 41


@dataclass(frozen=True)
class Hinge:
    """How far one parameter's range moves one question's probability."""

    parameter: str
    low_value: float   # the parameter's 20th percentile
    high_value: float  # its 80th percentile
    p_low: float       # the question's frequency among runs below the 20th percentile
    p_high: float      # ... above the 80th
    se: float          # standard error of p_high - p_low

    @property
    def swing(self) -> float:
        """p_high - p_low."""
        return self.p_high - self.p_low

    def to_dict(self) -> dict[str, float | str]:
        """JSON-ready form, with the swing."""
        return {**asdict(self), "swing": self.swing}


def parameter_values(scenario: Scenario, uniforms: NDArray[np.float64]
                     ) -> dict[str, NDArray[np.float64]]:
    """Each uncertain parameter's per-run value for the given (runs, slots) uniforms."""
    compiled = compile_scenario(scenario)
    slots = compiled.slots
    values: dict[str, NDArray[np.float64]] = {}
    for slot in slots.uncertain():
        number = slots.numbers[slot]
        if dist.is_distribution(number) and slot != compiled.decision_draw_slot:
            values[slots.names[slot]] = dist.sample(number, uniforms[:, slot])
    if compiled.decision_draw_slot >= 0:
        table = compiled.decision_table
        rows = np.minimum((uniforms[:, compiled.decision_draw_slot] * len(table)).astype(
            np.int64), len(table) - 1)
        for column, name in enumerate(DECISION_PARAMETERS):
            if np.ptp(table[:, column]) > 0:
                values[f"model.{name}"] = table[rows, column]
    return values


def hinges(scenario: Scenario, runs: int = HINGE_RUNS, seed: int = 0,
           top: int = TOP) -> dict[str, list[Hinge]]:
    """Per question: the ``top`` parameters with the largest significant swings."""
    compiled = compile_scenario(scenario)
    rng = np.random.default_rng(np.random.SeedSequence([int(seed), HINGE_KEY]))
    uniforms = rng.random((runs, len(compiled.slots.numbers)))
    values = parameter_values(scenario, uniforms)
    result = simulate(scenario, runs=runs, seed=seed, keep_runs=True,
                      parameter_uniforms=uniforms)
    found: dict[str, list[Hinge]] = {}
    for q, question in enumerate(scenario.questions):
        deadline = min(question.by_week, result.horizon)
        happened = result.per_run["event_week"][:, q] <= deadline
        candidates = []
        for name, value in values.items():
            low_value, high_value = np.quantile(value, [TAIL, 1.0 - TAIL])
            low, high = value <= low_value, value >= high_value
            if low_value == high_value or not low.any() or not high.any():
                continue
            p_low, p_high = float(happened[low].mean()), float(happened[high].mean())
            se = float(np.sqrt(p_low * (1 - p_low) / low.sum()
                               + p_high * (1 - p_high) / high.sum()))
            if abs(p_high - p_low) > 2.0 * se and p_high != p_low:
                candidates.append(Hinge(name, float(low_value), float(high_value),
                                        p_low, p_high, se))
        candidates.sort(key=lambda hinge: -abs(hinge.swing))
        found[question.id] = candidates[:top]
    return found
