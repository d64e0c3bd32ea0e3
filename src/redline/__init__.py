"""redline: model, simulate and forecast international crises.

>>> import redline
>>> scenario = redline.load("kursk-2024")
>>> result = redline.simulate(scenario, runs=2_000, seed=1)
>>> abs(sum(e.p for e in result.outcomes.values()) - 1.0) < 1e-12
True
"""

from __future__ import annotations

from pathlib import Path

from redline.engine import EnsembleResult, Estimate, simulate
from redline.scenario import Scenario, ScenarioError, load_scenario
from redline.scenarios import builtin_names, resolve

__version__ = "0.1.0"
__all__ = ["EnsembleResult", "Estimate", "Scenario", "ScenarioError", "builtin_names", "load",
           "simulate"]


def load(name_or_path: str | Path) -> Scenario:
    """A validated scenario from a built-in name (``"kursk-2024"``) or a file path."""
    return load_scenario(resolve(name_or_path))
