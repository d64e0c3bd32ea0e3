"""Would a SIMD kernel pay? One decision step, scalar against vectorised across runs.

Usage::

    python -m benchmarks.simd_probe [--runs 512] [--weeks 20000]

The compiled kernel (:mod:`redline.engine.kernel`) simulates one run at a
time; docs/performance.md names SIMD across runs (several runs in the lanes of
one vector register) as the lever left for issue 5's 10-second target. Before
rewriting the kernel, this probe measures what that form gains on the hottest
step, an actor's logit choice between holding and moving up (contest success
with one division per option, the utilities, two logit weights, the draw):

- **scalar**: runs one after another, ``math.exp`` (the C library), as the
  kernel does now;
- **vectorised**: the same arithmetic over a block of runs in one loop over
  1-D arrays, which LLVM vectorises, with an ``exp`` it can vectorise too
  (:func:`exp_nonpositive`: Cody-Waite reduction, a degree-11 polynomial, and
  2^k built from its bits by a bit-cast, because a table look-up, a gather,
  kept LLVM from vectorising the loop).

It prints cycles per decision for each form (at the clock rate given by
``--ghz``), whether the vectorised loop really holds packed divisions
(``vdivpd``), and the largest relative error of the polynomial ``exp``. The
results are written to ``benchmarks/results/simd-<date>-<host>.json``.
"""

from __future__ import annotations

import argparse
import math
import time
from typing import Any

import numpy as np
from numba import njit
from numpy.typing import NDArray

from redline.mechanisms.decisions import float_from_bits  # 2^k from its exponent bits

INVERSE_LN2 = 1.4426950408889634
LN2_HIGH = 6.93147180369123816490e-01  # ln 2 split in two (Cody and Waite 1980)
LN2_LOW = 1.90821492927058770002e-10
PLANNING, RATIONALITY, SWITCHING = 26.0, 50.0, 0.1  # kursk-2024's model settings


@njit(inline="always", error_model="numpy")
def exp_nonpositive(x: float) -> float:  # pragma: no cover
    """exp(x) for -708 <= x <= 0, in operations LLVM can vectorise.

    x = k ln 2 + r with |r| <= ln 2 / 2 (ln 2 in two parts, so r is exact to
    about 2^-60), exp(r) by its Taylor polynomial of degree 11 in Horner form,
    and 2^k from its exponent bits.
    """
    k = math.floor(x * INVERSE_LN2 + 0.5)
    r = (x - k * LN2_HIGH) - k * LN2_LOW
    p = 1.0 / 39916800.0
    for coefficient in (1.0 / 3628800.0, 1.0 / 362880.0, 1.0 / 40320.0, 1.0 / 5040.0,
                        1.0 / 720.0, 1.0 / 120.0, 1.0 / 24.0, 1.0 / 6.0, 0.5, 1.0, 1.0):
        p = p * r + coefficient
    return p * float_from_bits((np.int64(k) + 1023) << 52)


@njit(inline="always", error_model="numpy")
def utility_of_moving(own: float, other: float, delta: float, price: float,
                      risk: float) -> float:  # pragma: no cover
    """U(up) - U(hold) of the kernel's decisions: planning x (gain - price) - switching - risk."""
    gain = (own + delta) / (own + delta + other) - own / (own + other)
    return PLANNING * (gain - price) - SWITCHING - risk


@njit(error_model="numpy")
def decide_scalar(own, other, delta, price, risk, uniforms, picks, weeks):  # pragma: no cover
    """The decision step run by run, with the C library's exp (the kernel's form)."""
    for _ in range(weeks):
        for n in range(own.shape[0]):
            u_up = utility_of_moving(own[n], other[n], delta[n], price[n], risk[n])
            top = max(u_up, 0.0)
            x_up = RATIONALITY * u_up - RATIONALITY * top
            x_hold = -RATIONALITY * top
            w_up = math.exp(x_up) if x_up != 0.0 else 1.0
            w_hold = math.exp(x_hold) if x_hold != 0.0 else 1.0
            picks[n] = 1 if uniforms[n] * (w_hold + w_up) >= w_hold else 0


@njit(error_model="numpy")
def decide_vectorised(own, other, delta, price, risk, uniforms, picks,
                      weeks):  # pragma: no cover
    """The same step as one branch-free loop over the block's runs."""
    for _ in range(weeks):
        for n in range(own.shape[0]):
            u_up = utility_of_moving(own[n], other[n], delta[n], price[n], risk[n])
            top = max(u_up, 0.0)
            w_up = exp_nonpositive(max(RATIONALITY * u_up - RATIONALITY * top, -708.0))
            w_hold = exp_nonpositive(max(-RATIONALITY * top, -708.0))
            picks[n] = 1 if uniforms[n] * (w_hold + w_up) >= w_hold else 0


def inputs(runs: int, seed: int = 0) -> list[NDArray[np.float64]]:
    """Powers, option effects, prices, red-line risks and draws of the size kursk-2024 has."""
    rng = np.random.default_rng(seed)
    return [rng.uniform(1.0, 2.0, runs), rng.uniform(1.0, 2.0, runs),
            rng.uniform(0.0, 0.1, runs), rng.uniform(0.0, 0.01, runs),
            rng.uniform(0.0, 0.3, runs), rng.random(runs)]


def largest_exp_error(points: int = 20001) -> float:
    """Largest relative error of :func:`exp_nonpositive` against numpy on [-708, 0]."""
    x = np.linspace(-708.0, 0.0, points)
    approx = np.array([exp_nonpositive(float(v)) for v in x])
    return float(np.max(np.abs(approx / np.exp(x) - 1.0)))


def probe(runs: int, weeks: int, ghz: float) -> dict[str, Any]:
    """Cycles per decision of both forms, and what the vectorised loop compiled to."""
    data = inputs(runs)
    results: dict[str, Any] = {"runs": runs, "weeks": weeks, "ghz": ghz}
    picks = {}
    for name, function in (("scalar", decide_scalar), ("vectorised", decide_vectorised)):
        out = np.zeros(runs, dtype=np.int64)
        function(*data, out, 1)  # compile
        started = time.perf_counter()
        function(*data, out, weeks)
        seconds = time.perf_counter() - started
        results[f"{name}_cycles_per_decision"] = seconds * ghz * 1e9 / (runs * weeks)
        picks[name] = out
    assembly = decide_vectorised.inspect_asm(decide_vectorised.signatures[0])
    results["packed_divisions"] = assembly.count("vdivpd")
    results["same_picks"] = bool(np.array_equal(picks["scalar"], picks["vectorised"]))
    results["exp_largest_relative_error"] = largest_exp_error()
    results["speed_up"] = (results["scalar_cycles_per_decision"]
                           / results["vectorised_cycles_per_decision"])
    return results


def main(argv: list[str] | None = None) -> dict[str, Any]:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=512)
    parser.add_argument("--weeks", type=int, default=20000)
    parser.add_argument("--ghz", type=float, default=2.3, help="the CPU's clock rate")
    args = parser.parse_args(argv)
    from benchmarks.run import machine, write_result

    report = probe(args.runs, args.weeks, args.ghz)
    report["machine"] = machine()
    print(f"scalar:     {report['scalar_cycles_per_decision']:5.1f} cycles per decision")
    print(f"vectorised: {report['vectorised_cycles_per_decision']:5.1f} cycles per decision"
          f" ({report['packed_divisions']} packed divisions in the loop)")
    print(f"speed-up {report['speed_up']:.2f}x; same picks: {report['same_picks']};"
          f" polynomial exp within {report['exp_largest_relative_error']:.1e}")
    print(f"written: {write_result(report, 'simd')}")
    return report


if __name__ == "__main__":
    main()
