"""Parameter sweeps: the ensemble at every cell of a grid of scenario values.

A grid is a list of dotted paths, each with a list of values; the sweep runs
the scenario changed by every combination (the Cartesian product), each on
the same seed (common random numbers across cells), and yields each cell
with its result, to be stored.

A sweep is bounded before anything runs (:func:`check_grid_size`): at most
``MAX_CELLS`` cells (each is validated up front and stored as a run), and at
most ``engine.run.MAX_RUNS`` runs in all, the limit of one ensemble.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Callable, Iterator, Mapping, Sequence
from typing import Any

from redline.engine.executors import Executor
from redline.engine.run import MAX_RUNS, simulate
from redline.results import EnsembleResult
from redline.scenario.errors import ScenarioError
from redline.scenario.models import Scenario
from redline.scenario.overlay import apply_overlay
from redline.scenario.yaml_source import read_yaml

#: The most cells a sweep may have: each is validated before any runs (about 20 ms for
#: kursk-2024, measured) and stored as a run of its own.
MAX_CELLS = 10_000


class GridError(ValueError):
    """A malformed ``--grid PATH=v1,v2,...``, or a sweep beyond its limits."""


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


def check_grid_size(grid: Sequence[tuple[str, list[Any]]], runs: int) -> int:
    """Refuse a sweep of more than ``MAX_CELLS`` cells or ``MAX_RUNS`` runs in all.

    Counted from the number of values of each path, before any cell is made.

    Returns
    -------
    int
        The number of cells.

    >>> check_grid_size([("a", [1, 2]), ("b", [3, 4, 5])], runs=1000)
    6
    """
    cells = math.prod(len(values) for _, values in grid)
    if cells > MAX_CELLS:
        raise GridError(f"the grid has {cells:,} cells; a sweep may have at most {MAX_CELLS:,}"
                        " (give fewer values)")
    if cells * runs > MAX_RUNS:
        raise GridError(f"{cells:,} cells of {runs:,} runs are {cells * runs:,} runs; a sweep"
                        f" may run at most {MAX_RUNS:,} in all, as one run may (give fewer"
                        " values or a smaller --runs)")
    return cells


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
    check_grid_size(grid, runs)
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
