"""redline: model, simulate and forecast international crises.

>>> import redline
>>> scenario = redline.load("kursk-2024")
>>> result = redline.simulate(scenario, runs=2_000, seed=1)
>>> abs(sum(e.p for e in result.outcomes.values()) - 1.0) < 1e-12
True
"""

from __future__ import annotations

from redline.allocation import one_arena

one_arena()  # before anything starts a thread: see redline.allocation

from pathlib import Path  # noqa: E402

from redline.engine import EnsembleResult, Estimate, simulate  # noqa: E402
from redline.scenario import Scenario, ScenarioError, load_scenario  # noqa: E402
from redline.scenarios import builtin_names, resolve  # noqa: E402

__version__ = "0.1.0"
__all__ = ["EnsembleResult", "Estimate", "Scenario", "ScenarioError", "builtin_names", "load",
           "simulate"]


def load(name_or_path: str | Path) -> Scenario:
    """A validated scenario from a built-in name (``"kursk-2024"``) or a file path."""
    return load_scenario(resolve(name_or_path))
