"""redline: model, simulate and forecast international crises.

>>> import redline
>>> scenario = redline.load("kursk-2024")
>>> result = redline.simulate(scenario, runs=2_000, seed=1)
>>> abs(sum(e.p for e in result.outcomes.values()) - 1.0) < 1e-12
True

:class:`redline.Study` chains the analyses on one scenario, runs and seed
(``redline.Study("kursk-2024", runs=20_000).simulate().compare("no_strike_ban_lift")``).

Importing ``redline`` is cheap: the library (the engine, NumPy, Numba) is
imported when one of its names is first used, so that the command line can
answer Ctrl-C while it loads (``redline.cli.main``). It leaves the process's
memory allocator as it was: the allocator settings the command line makes
for large ensembles are its own (``redline.allocation``).
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

from redline.caches import ensure_writable_cache, ensure_writable_config

ensure_writable_cache()  # before anything imports Numba or Matplotlib: see redline.caches
ensure_writable_config()

if TYPE_CHECKING:
    from pathlib import Path

    from redline.engine import simulate
    from redline.results import EnsembleResult, Estimate
    from redline.scenario import Scenario, ScenarioError
    from redline.scenario import load_scenario as load_scenario
    from redline.scenarios import builtin_names
    from redline.scenarios import resolve as resolve
    from redline.study import Study, StudyError

__version__ = "0.1.0"
__all__ = ["EnsembleResult", "Estimate", "Scenario", "ScenarioError", "Study", "StudyError",
           "builtin_names", "load", "simulate"]

#: The library's names, by the module each is imported from when first used.
_HOMES = {
    "EnsembleResult": "redline.results", "Estimate": "redline.results",
    "simulate": "redline.engine",
    "Scenario": "redline.scenario", "ScenarioError": "redline.scenario",
    "load_scenario": "redline.scenario",
    "builtin_names": "redline.scenarios", "resolve": "redline.scenarios",
    "Study": "redline.study", "StudyError": "redline.study",
}


def __getattr__(name: str) -> Any:
    """Import one of the library's names on first use (PEP 562)."""
    if name not in _HOMES:
        raise AttributeError(f"module 'redline' has no attribute {name!r}")
    value = getattr(importlib.import_module(_HOMES[name]), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted({*globals(), *_HOMES})


def load(name_or_path: str | Path) -> Scenario:
    """A validated scenario from a built-in name (``"kursk-2024"``) or a file path."""
    from redline.scenario import load_scenario
    from redline.scenarios import resolve

    return load_scenario(resolve(name_or_path))
