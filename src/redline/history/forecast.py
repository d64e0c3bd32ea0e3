"""Reading ICB's forecast targets off the simulated runs of a generated scenario.

Per run (``simulate(..., keep_runs=True)``), with ``CA`` the crisis actor:

- violence: the highest ICB class whose rung either actor reached by the
  horizon: none (below ``clashes``), minor clashes, serious clashes,
  full-scale war (``war``, or nuclear use);
- agreement: the run ends in ``settlement`` (a deal holds at the horizon);
- the crisis actor's outcome: a run that settles is a compromise (an
  agreed outcome: ICB's modal content for crises that end in agreement); a
  run that does not settle is a victory for ``CA`` if it retook the
  contested ground (question ``ca_gains``) or the adversary backed down below
  the rung it started on (``adv_backs_down``) without taking ground, a
  defeat if the adversary took 40% of the ground or more (``adv_gains``; the
  later of the ground events when both happen) and otherwise a stalemate.

The frequencies are returned raw; :func:`smooth` mixes them with the
training base rates (the calibrated model-error weight), so that no class
has probability zero and a weight of one says the mechanisms add nothing to
the base rates.
"""

from __future__ import annotations

from dataclasses import dataclass

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
    backed = happened[:, ids.index("adv_backs_down")]
    won_ground = happened[:, gains] & (~happened[:, losses]
                                       | (weeks[:, gains] > weeks[:, losses]))
    lost = happened[:, losses] & ~won_ground
    won = won_ground | (backed & ~lost)
    open_runs = ~settled
    victory = (open_runs & won).mean()
    defeat = (open_runs & lost).mean()
    compromise = agreement
    stalemate = (open_runs & ~won & ~lost).mean()
    outcome = np.array([victory, compromise, stalemate, defeat], dtype=np.float64)
    return TypeForecast(violence=violence, outcome=outcome / outcome.sum(), agreement=agreement)


def smooth(frequencies: NDArray[np.float64], weight: float,
           base_rates: NDArray[np.float64]) -> NDArray[np.float64]:
    """Mix simulated class frequencies with the base rates: (1 - w) f + w b."""
    frequencies = np.asarray(frequencies, dtype=np.float64)
    return (1.0 - weight) * frequencies + weight * np.asarray(base_rates, dtype=np.float64)
