"""The run-by-run comparison of the two engines that the mechanism tests share."""

from __future__ import annotations

import numpy as np

from redline.engine.run import simulate
from redline.engine.seeding import BLOCK_SIZE


def assert_engines_agree(scenario, runs: int = 2 * BLOCK_SIZE + 5, seed: int = 3):
    """Both engines on ``scenario``: identical per-run records, trajectories within 1e-9.

    Returns the compiled engine's result, for further checks.
    """
    compiled = simulate(scenario, runs=runs, seed=seed, keep_runs=True)
    reference = simulate(scenario, runs=runs, seed=seed, keep_runs=True, engine="numpy")
    for name in ("outcome", "end_week", "event_week"):
        np.testing.assert_array_equal(compiled.per_run[name], reference.per_run[name])
    for name, values in compiled.trajectories.items():
        np.testing.assert_allclose(values, reference.trajectories[name], rtol=1e-9,
                                   atol=1e-12, err_msg=name)
    return compiled
