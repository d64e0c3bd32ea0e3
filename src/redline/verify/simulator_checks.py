"""The simulator agrees with the exact games in their degenerate configurations.

Each check builds a small scenario in which the ensemble engine reduces to a
game with a closed-form answer, runs it, and compares the simulated frequency
with the exact value. The tolerance is four Monte Carlo standard errors,
``4 sqrt(p (1 - p) / runs)`` (with a floor for p = 0 or 1), so a check fails
only if the engine departs from the game, not by bad luck (false-alarm rate
about 6e-5 per check).
"""

from __future__ import annotations

import math

from redline.engine.run import simulate
from redline.games import fearon
from redline.games.deterrence import (
    RedLineEquilibrium,
    red_line_game,
    solve_red_line,
    triangular_cdf,
)
from redline.scenario.loader import load_text
from redline.verify.checks import Check, compare

RUNS = 20_000
SEED = 20240101

_BARGAINING = """
name: degenerate-bargaining
start: 2024-01-01
horizon: 1
actors:
  A: {{name: A, capability: {capability}, war_cost: 0.1, resolve: 0.0, optimism: {optimism}}}
  B: {{name: B, capability: 1.0, war_cost: 0.15, resolve: 0.0}}
sides: {{A: [A], B: [B]}}
ladder:
  - {{id: war, severity: 1, users: []}}
commitments: {commitments}
model: {{talks_hazard: 1.0, break_hazard: 0.0, power_shift: {shift}, collapse_share: 0.0,
        decisiveness: 1.0}}
"""

_RED_LINE = """
name: degenerate-red-line
start: 2024-01-01
horizon: 1
actors:
  A: {{name: Challenger, capability: 1.0, initial_posture: base}}
  B: {{name: Owner, capability: 1.0, initial_posture: base}}
sides: {{A: [A], B: [B]}}
ladder:
  - {{id: base, severity: 1, users: [A, B]}}
  - {{id: strike, severity: 5, effect: 0.1, users: [A]}}
  - {{id: nuke, severity: 10, cost: 100, harm: {harm}, users: [B], outcome: nuclear_use}}
red_lines:
  - id: line
    owner: B
    applies_to: [A]
    tolerated: base
    declared_at: strike
    threshold: {{triangular: [2, 5, 8]}}
    response: nuke
    follow_through: 0.3
model: {{rationality: 1000, switching_cost: 0.0, planning_weeks: 26, talks_hazard: 0.0,
        collapse_share: 0.0, decisiveness: 1.0}}
"""


def _tolerance(p: float, runs: int = RUNS) -> float:
    return 4.0 * math.sqrt(max(p * (1.0 - p), 1.0 / runs) / runs)


def _bargaining(optimism: str = "0.0", shift: float = 0.0, commitments: str = "[]",
                capability: float = 3.0):
    text = _BARGAINING.format(optimism=optimism, shift=shift, commitments=commitments,
                              capability=capability)
    return simulate(load_text(text, "degenerate-bargaining"), runs=RUNS, seed=SEED)


def fearon_terms() -> Check:
    """Trust 1, no optimism: a deal at once, at the midpoint of Fearon's range."""
    result = _bargaining()
    p, c_a, c_b = 0.75, 0.1, 0.15  # contest success 3 / (3 + 1); war costs
    low, high = fearon.bargaining_range(p, c_a, c_b)
    midpoint = (low + high) / 2.0
    return compare(
        "simulator.bargaining.fearon_terms",
        "Fearon 1995, the bargaining range (p - c_A, p + c_B) (redline.games.fearon)",
        [1.0, midpoint], [result.outcomes["settlement"].p, result.terms["mean"]], 1e-9,
        checkpoints={"p": p, "range": [low, high]},
        note="with no power shift and no optimism every run settles in week 1 at the range's"
        " midpoint; establishes the engine's bargaining step, not the choice of midpoint",
    )


def mutual_optimism() -> Check:
    """War iff A's optimism exceeds the width of the range c_A + c_B."""
    # equal capabilities: p = 0.5, so p + optimism stays below 1 (no clipping)
    result = _bargaining(optimism="{uniform: [0.0, 0.3]}", capability=1.0)
    exact = (0.1 + 0.15) / 0.3
    ours = result.outcomes["settlement"].p
    return compare(
        "simulator.bargaining.mutual_optimism",
        "Fearon 1995 (mutual optimism); Blainey 1973: no deal iff optimism > c_A + c_B",
        exact, ours, _tolerance(exact),
        checkpoints={"runs": RUNS},
        note="A's optimism ~ U(0, 0.3): P(deal) = 0.25 / 0.3; establishes that biased"
        " estimates of p shrink the range as the closed form says",
    )


def commitment_problem() -> Check:
    """Distrust tau = 1/3 each way: a deal iff 2 d (1 - tau) / tau <= c_A + c_B."""
    broken = "[{by: A, to: B, what: a broken promise, kept: false}, " \
             "{by: B, to: A, what: a broken promise, kept: false}]"
    below = _bargaining(shift=0.05, commitments=broken).outcomes["settlement"].p
    above = _bargaining(shift=0.08, commitments=broken).outcomes["settlement"].p
    return compare(
        "simulator.bargaining.commitment_problem",
        "Powell 2006; Fearon 1995: a deal needs d (1 - tau) / tau <= (c_A + c_B) / 2 each side",
        [1.0, 0.0], [below, above], 1e-9,
        checkpoints={"trust": 1 / 3, "threshold_shift": 0.25 / 4},
        note="trust from one broken promise each way (Beta(1,1) prior): 1/3; power shift"
        " 0.05 leaves a range, 0.08 empties it; establishes the commitment-problem term",
    )


def _red_line_game(harm: float) -> RedLineEquilibrium:
    """The exact one-shot game of the degenerate red-line scenario.

    The challenger's gain from the strike is its weekly gain in the chance of
    prevailing (contest success, m = 1: 1.1 / 2.1 against 1 / 2) over the
    planning horizon (26 weeks), as in the decision mechanism; the threshold is
    triangular(2, 5, 8); follow-through 0.3.
    """
    gain = 26 * (1.1 / 2.1 - 0.5)
    game = red_line_game([1.0, 5.0], [0.0, gain],
                         lambda s: float(triangular_cdf(s, 2.0, 5.0, 8.0)), 0.3, harm)
    return solve_red_line(game)


def red_line_enforcement() -> Check:
    """A challenger whose gain outweighs the risk crosses; enforcement with P = rho F(s)."""
    exact = _red_line_game(harm=0.01)
    result = simulate(load_text(_RED_LINE.format(harm=0.01), "degenerate-red-line"),
                      runs=RUNS, seed=SEED)
    ours = result.outcomes["nuclear_use"].p
    published = exact.declared_response_probability
    return compare(
        "simulator.red_line.enforcement",
        "one-shot red-line game (redline.games.deterrence.solve_red_line; Schelling 1966;"
        " Dixit & Skeath ch. 14): P(declared response) = rho F_T(s*)",
        published, ours, _tolerance(published),
        checkpoints={"s*": exact.severity, "F_T(s*)": exact.enforcement_probability,
                     "crossed": result.ladder_reached["A"]["strike"].p},
        note="one step, lambda large: the simulator's challenger picks the game's s* and the"
        " owner enforces as often as the exact game says; establishes the threshold draw and"
        " the follow-through of the red-line mechanism",
    )


def red_line_deterrence() -> Check:
    """With a large harm the game's best response is to hold: no crossing, no enforcement."""
    exact = _red_line_game(harm=10.0)
    result = simulate(load_text(_RED_LINE.format(harm=10.0), "degenerate-red-line"),
                      runs=RUNS, seed=SEED)
    crossed = result.ladder_reached["A"]["strike"].p
    return compare(
        "simulator.red_line.deterrence",
        "one-shot red-line game (redline.games.deterrence.solve_red_line): deterred iff"
        " F(s) rho H > gain",
        [float(exact.index), exact.declared_response_probability],
        [crossed, result.outcomes["nuclear_use"].p], 1e-9,
        checkpoints={"expected_utilities": list(exact.expected_utilities)},
        note="the exact game's best response (index 0: hold) and the simulator agree",
    )


def checks() -> list[Check]:
    """Every simulator-versus-game check."""
    return [fearon_terms(), mutual_optimism(), commitment_problem(), red_line_enforcement(),
            red_line_deterrence()]
