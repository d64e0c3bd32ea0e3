"""Parameter sweeps: the ensemble at every cell of a grid of scenario values.

A grid is a list of dotted paths, each with a list of values; the sweep runs
the scenario changed by every combination (the Cartesian product), each on
the same seed (common random numbers across cells), and yields each cell
with its result, to be stored.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable, Iterator, Mapping, Sequence
from typing import Any

from redline.engine.executors import Executor
from redline.engine.results import EnsembleResult
from redline.engine.run import simulate
from redline.scenario.errors import ScenarioError
from redline.scenario.models import Scenario
from redline.scenario.overlay import apply_overlay
from redline.scenario.yaml_source import read_yaml


class GridError(ValueError):
    """A malformed ``--grid PATH=v1,v2,...``."""


def parse_grid(text: str) -> tuple[str, list[Any]]:
    """``PATH=v1,v2,...`` into the path and its plain values (numbers, true/false, names).

    >>> parse_grid("model.talks_hazard=0.01,0.05")
    ('model.talks_hazard', [0.01, 0.05])
    """
    path, separator, values = text.partition("=")
    path = path.strip()
    if not separator or not path or not values.strip():
        raise GridError(f"expected PATH=v1,v2,... , got {text!r}")
    parsed = []
    for raw in values.split(","):
        data, _, issues = read_yaml(raw.strip() or "~", "--grid")
        if issues or data is None:
            raise GridError(f"{path}: value {raw.strip()!r} is not a plain value")
        parsed.append(data)
    return path, parsed


def grid_cells(grid: Sequence[tuple[str, list[Any]]]) -> list[dict[str, Any]]:
    """Every combination of the grid's values, as path -> value mappings."""
    paths = [path for path, _ in grid]
    return [dict(zip(paths, values, strict=True))
            for values in itertools.product(*(values for _, values in grid))]


def check_cells(scenario: Scenario, cells: Sequence[Mapping[str, Any]]) -> list[Scenario]:
    """The changed scenario of every cell, validated before anything runs."""
    changed = []
    for cell in cells:
        try:
            changed.append(apply_overlay(scenario, cell, what="--grid"))
        except ScenarioError as error:
            raise GridError(f"cell {dict(cell)}: " + "; ".join(
                issue.message for issue in error.issues)) from None
    return changed


def sweep(scenario: Scenario, grid: Sequence[tuple[str, list[Any]]], runs: int, seed: int, *,
          executor: Executor | None = None,
          progress: Callable[[int, int], None] | None = None
          ) -> Iterator[tuple[dict[str, Any], EnsembleResult]]:
    """Yield (cell, result) for every cell of the grid, in grid order."""
    cells = grid_cells(grid)
    changed = check_cells(scenario, cells)
    horizon = scenario.horizon
    total = runs * horizon * len(cells)
    for index, (cell, cell_scenario) in enumerate(zip(cells, changed, strict=True)):
        def advance(done: int, _total: int, index: int = index) -> None:
            if progress is not None:
                progress(index * runs * horizon + done, total)

        yield cell, simulate(cell_scenario, runs=runs, seed=seed, progress=advance,
                             executor=executor)
