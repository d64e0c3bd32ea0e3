"""Checks of the expected utility model against the replication's published example.

Scholz, Calbert and Smith [Scholz2011]_ replicate Bueno de Mesquita's
expected utility model on his 10-actor European Community example
[BuenoDeMesquita1994]_ (``redline/data/bdm-example-actors.csv``) and report
the starting mean and median and the moves of the first round. Each check
below reproduces one published number with the replication's conventions
(:class:`redline.games.negotiation.Conventions` defaults); the tolerance is
half a unit of the last published digit.
"""

from __future__ import annotations

import dataclasses
from typing import Any

from redline.games.negotiation import NegotiationResult, example_actors, simulate_negotiation
from redline.verify.checks import Check, compare

SOURCE = ("Scholz, Calbert & Smith (2011), J. Theor. Politics 23(4):510-531, results for the "
          "EC emission-standards example (input data from Bueno de Mesquita 1994)")
FIVE_DECIMALS = 5e-6
ONE_DECIMAL = 0.05
INTEGER = 0.5


def _trajectory(result: NegotiationResult) -> dict[str, Any]:
    return {f"mean_round_{r}": round(float(result.mean[r]), 6) for r in (1, 5, 10)} | {
        f"median_round_{r}": round(float(result.median[r]), 6) for r in (1, 5, 10)}


def _move_check(result: NegotiationResult, actor: str, kind: str, published: float,
                tolerance: float, note: str) -> Check:
    """The position ``actor`` moves to in round 1, required to be of ``kind``."""
    index = result.names.index(actor)
    moves = {move.mover: move for move in result.interactions[0]}
    move = moves.get(actor)
    check = compare(
        f"negotiation.bdm_example.round1_{actor.lower()}", SOURCE + ", round 1",
        published, float(result.positions[1, index]), tolerance,
        checkpoints={
            "kind": move.kind if move else "none",
            "proposer": move.proposer if move else "none",
            "position_round_5": round(float(result.positions[5, index]), 6),
            "position_round_10": round(float(result.positions[10, index]), 6),
        },
        note=note)
    if move is None or move.kind != kind:
        return dataclasses.replace(check, passed=False)
    return check


def checks() -> list[Check]:
    """Reproduce the published numbers of the 10-actor example.

    Returns
    -------
    list of Check
        Initial mean and median, the round-1 moves of Belgium, Luxembourg and
        Ireland, and the mean after round 1 (with the mean and median after
        rounds 1, 5 and 10 as checkpoints).
    """
    result = simulate_negotiation(example_actors(), rounds=10)
    trajectory = _trajectory(result)
    return [
        compare("negotiation.bdm_example.initial_mean", SOURCE + ", starting positions",
                7.38996, float(result.mean[0]), FIVE_DECIMALS,
                note="capability x salience weighted mean of the input table: the data "
                     "and the weighting are those of the paper (no model dynamics)"),
        compare("negotiation.bdm_example.initial_median", SOURCE + ", starting positions",
                7.0, float(result.median[0]), ONE_DECIMAL,
                note="weighted median voter (Condorcet winner) of the input table"),
        _move_check(result, "Belgium", "compromise", 8.41593, FIVE_DECIMALS,
                    note="Belgium compromises with France: probabilities (all-contests "
                         "denominator, risk-adjusted votes), risk exponents, receiver's "
                         "expected utilities and the compromise fraction |E(U_ij)/E(U_ji)| "
                         "all enter this number"),
        _move_check(result, "Luxembourg", "conflict", 7.0, INTEGER,
                    note="Luxembourg loses a confrontation and moves to 7: the kind-first "
                         "choice of offers (least move among lost conflicts)"),
        _move_check(result, "Ireland", "conflict", 4.0, INTEGER,
                    note="Ireland loses a confrontation and moves to 4: the kind-first "
                         "choice of offers"),
        compare("negotiation.bdm_example.mean_round1", SOURCE + ", end of round 1",
                7.46131, float(result.mean[1]), FIVE_DECIMALS, checkpoints=trajectory,
                note="weighted mean after round 1: matches only if the other seven actors "
                     "stay put; later rounds are not published to this precision "
                     "(checkpoints are ours)"),
    ]
