"""A small scenario and hand-built ensemble results, for tests of the layers after the engine.

The store, the report and the command line only read an ``EnsembleResult``;
building one by hand keeps their tests independent of the engine's numbers.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from redline.results import EnsembleResult, Estimate
from redline.scenario.models import OUTCOMES, Scenario

#: A two-actor crisis with every part the report and the store read.
SMALL_SCENARIO: dict[str, Any] = {
    "name": "toy-crisis",
    "title": "Toy crisis | with a pipe",
    "start": "2024-10-28",
    "horizon": 8,
    "actors": {
        "RED": {"name": "Red", "capability": 1.0, "nuclear": True},
        "BLUE": {"name": "Blue", "capability": {"uniform": [0.3, 0.4]}},
    },
    "sides": {"RED": ["RED"], "BLUE": ["BLUE"]},
    "ladder": [
        {"id": "raid", "severity": 2, "effect": 0.02, "cost": 0.01},
        {"id": "deep_strike", "severity": 5, "effect": 0.05, "cost": 0.03},
        {"id": "nuclear_use", "severity": 10, "users": ["RED"], "outcome": "nuclear_use"},
    ],
    "red_lines": [
        {
            "id": "red_deep",
            "owner": "RED",
            "applies_to": ["BLUE"],
            "declared_at": "deep_strike",
            "threshold": {"triangular": [3, 5, 8]},
            "response": "nuclear_use",
            "follow_through": {"beta": [1, 9]},
        }
    ],
    "fronts": {
        "border": {"attacker": "BLUE", "defender": "RED",
                   "forces": {"BLUE": 30000, "RED": 50000}, "control": 0.15}
    },
    "policies": [
        {
            "id": "talks",
            "when": {"all": [{"week_at_least": 2}, {"not": {"reached": {"actor": "BLUE",
                                                                        "rung": "deep_strike"}}}]},
            "then": [{"offer_talks": {"hazard": 0.1}}],
            "probability": 0.5,
        }
    ],
    "questions": [
        {"id": "deep_strike_by_w4", "text": "Does Blue strike deep by week 4?",
         "event": {"reached": {"actor": "BLUE", "rung": "deep_strike"}}, "by_week": 4},
        {"id": "nuclear", "event": {"outcome": "nuclear_use"}, "by_week": 8},
    ],
}

#: Outcome counts out of 1000 runs (they sum to 1000).
OUTCOME_COUNTS: dict[str, int] = {
    "settlement": 412,
    "settlement_broken": 38,
    "ongoing": 500,
    "military_collapse": 20,
    "great_power_war": 0,
    "nuclear_use": 3,
    "regime_crisis": 27,
}


def small_scenario(**changes: Any) -> Scenario:
    """Return the toy scenario, validated, with top-level keys replaced."""
    return Scenario.model_validate(SMALL_SCENARIO | changes)


def make_result(
    runs: int = 1000,
    seed: int = 7,
    scenario: Scenario | None = None,
    question_counts: dict[str, int] | None = None,
) -> EnsembleResult:
    """Build an ensemble result by hand: known counts, curves and trajectories."""
    scenario = scenario or small_scenario()
    horizon = scenario.horizon
    weeks = np.arange(horizon + 1, dtype=np.float64)
    question_counts = question_counts or {"deep_strike_by_w4": 250, "nuclear": 3}
    return EnsembleResult(
        scenario=scenario,
        runs=runs,
        seed=seed,
        horizon=horizon,
        chunk_size=500,
        outcomes={name: Estimate.from_count(OUTCOME_COUNTS[name], runs) for name in OUTCOMES},
        questions={qid: Estimate.from_count(c, runs) for qid, c in question_counts.items()},
        question_weeks={
            qid: np.minimum(1.0, weeks / horizon * c / runs * 2)
            for qid, c in question_counts.items()
        },
        outcome_weeks={
            name: weeks / horizon * OUTCOME_COUNTS[name] / runs for name in OUTCOMES
        },
        ladder_reached={
            "RED": {"raid": Estimate.from_count(900, runs),
                    "deep_strike": Estimate.from_count(100, runs),
                    "nuclear_use": Estimate.from_count(3, runs)},
            "BLUE": {"raid": Estimate.from_count(1000, runs),
                     "deep_strike": Estimate.from_count(300, runs)},
        },
        trajectories={
            "control": (0.15 + 0.01 * weeks)[:, None],
            "stability": np.column_stack([1.0 - 0.01 * weeks, 1.0 - 0.02 * weeks]),
        },
        labels={"control": ["border"], "stability": ["RED", "BLUE"]},
        elapsed_seconds=1.25,
    )
