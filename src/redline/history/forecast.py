"""Reading ICB's forecast targets off the simulated runs of a generated scenario.

Per run (``simulate(..., keep_runs=True)``), with ``CA`` the crisis actor:

- violence: the highest ICB class whose rung either actor reached by the
  horizon: none (below ``clashes``), minor clashes, serious clashes,
  full-scale war (``war``, or nuclear use);
- agreement: the run ends in ``settlement`` (a deal holds at the horizon);
- the crisis actor's outcome: a run that settles is a compromise, or a
  victory or defeat for ``CA`` when its terms are lopsided (side 0's share
  above 0.6 or below 0.4; terms are recorded as their mean and spread over
  the settled runs, so the split assumes they are normal); a run that does
  not settle is a victory for ``CA`` if it retook the contested ground
  (question ``ca_gains``), a defeat if the adversary took most of it
  (``adv_gains``; the later of the two when both happen) and otherwise a
  stalemate.

The frequencies are returned raw; :func:`smooth` mixes them with the
training base rates (the calibrated model-error weight), so that no class
has probability zero and a weight of one says the mechanisms add nothing to
the base rates.
"""

from __future__ import annotations

from dataclasses import dataclass
from statistics import NormalDist

import numpy as np
from numpy.typing import NDArray

from redline.engine.run import simulate
from redline.engine.state import NEVER
from redline.history.mapping import VIOLENCE_RUNGS, CrisisType, MappingParameters, build_scenario
from redline.scenario.models import OUTCOMES

#: ICB violence classes (VIOL 1-4), in order.
VIOLENCE = ("none", "minor clashes", "serious clashes", "full-scale war")
#: ICB actor outcomes (OUTCOM 1-4), in order.
OUTCOME = ("victory", "compromise", "stalemate", "defeat")
#: Terms (side 0's share) above which a deal is the crisis actor's victory (below 1 - this: defeat).
LOPSIDED = 0.6


@dataclass(frozen=True)
class TypeForecast:
    """Simulated frequencies for one crisis type: violence (4), outcome (4), agreement."""

    violence: NDArray[np.float64]
    outcome: NDArray[np.float64]
    agreement: float


def forecast_type(kind: CrisisType, params: MappingParameters, runs: int,
                  seed: int) -> TypeForecast:
    """Simulate the generated scenario of ``kind`` and read the targets off its runs."""
    scenario = build_scenario(kind, params)
    result = simulate(scenario, runs=runs, seed=seed, keep_runs=True)
    ids = [question.id for question in scenario.questions]
    weeks = result.per_run["event_week"]
    happened = weeks != NEVER
    level = np.zeros(runs, dtype=np.int64)
    for k, rung in enumerate(VIOLENCE_RUNGS, start=1):
        level[happened[:, ids.index(f"violence_{rung}")]] = k
    violence = np.bincount(level, minlength=4) / runs
    outcome_index = result.per_run["outcome"]
    settled = outcome_index == OUTCOMES.index("settlement")
    agreement = float(settled.mean())
    gains, losses = ids.index("ca_gains"), ids.index("adv_gains")
    won = happened[:, gains] & (~happened[:, losses] | (weeks[:, gains] > weeks[:, losses]))
    lost = happened[:, losses] & ~won
    open_runs = ~settled
    share_won = share_lost = 0.0
    if settled.any():
        mean, sd = result.terms.get("mean", 0.5), result.terms.get("sd", 0.0)
        if np.isfinite(mean) and np.isfinite(sd) and sd > 1e-9:
            law = NormalDist(mean, sd)
            share_won, share_lost = 1.0 - law.cdf(LOPSIDED), law.cdf(1.0 - LOPSIDED)
        elif np.isfinite(mean):
            share_won = float(mean > LOPSIDED)
            share_lost = float(mean < 1.0 - LOPSIDED)
    victory = (open_runs & won).mean() + agreement * share_won
    defeat = (open_runs & lost).mean() + agreement * share_lost
    compromise = agreement * (1.0 - share_won - share_lost)
    stalemate = (open_runs & ~won & ~lost).mean()
    outcome = np.array([victory, compromise, stalemate, defeat], dtype=np.float64)
    return TypeForecast(violence=violence, outcome=outcome / outcome.sum(), agreement=agreement)


def smooth(frequencies: NDArray[np.float64], weight: float,
           base_rates: NDArray[np.float64]) -> NDArray[np.float64]:
    """Mix simulated class frequencies with the base rates: (1 - w) f + w b."""
    frequencies = np.asarray(frequencies, dtype=np.float64)
    return (1.0 - weight) * frequencies + weight * np.asarray(base_rates, dtype=np.float64)
