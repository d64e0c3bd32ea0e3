"""``python -m redline.engine``: compile the simulation kernel before the first run.

``make install`` runs this so that the first simulation does not wait for
Numba's compiler (about 90 seconds); later runs load the kernel from Numba's
cache.
"""

from __future__ import annotations

import time

from redline.engine.run import simulate
from redline.engine.seeding import BLOCK_SIZE
from redline.scenario.loader import load_scenario
from redline.scenarios import resolve


def compile_kernel() -> float:
    """Compile the kernel (or load it from Numba's cache); returns the seconds it took."""
    started = time.perf_counter()
    simulate(load_scenario(resolve("kursk-2024")), runs=BLOCK_SIZE, seed=0, horizon=1)
    return time.perf_counter() - started


if __name__ == "__main__":  # pragma: no cover
    print(f"redline: simulation kernel ready in {compile_kernel():.1f} s")
