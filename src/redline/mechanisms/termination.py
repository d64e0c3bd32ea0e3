"""Termination and records: terminal outcomes, the final outcome of each run.

A run ends at once when an actor employs a rung whose use is a terminal
outcome (``nuclear_use``; ``great_power_war``, i.e. a great power joins as a
belligerent against another), when a regime's stability falls below its floor
(``regime_crisis``), or when a side's chance of prevailing falls below the
collapse share (``military_collapse``). Checked in that order of precedence
within a week. At the horizon a run that has not ended is ``settlement`` if a
deal holds, ``settlement_broken`` if a deal was struck and broken and none
holds, else ``ongoing``: the outcomes are exclusive and exhaustive, so their
probabilities sum to one (the tests check it).
"""

from __future__ import annotations

import numpy as np
from numpy.typing import NDArray

from redline.arrays.scenario_arrays import ScenarioArrays
from redline.arrays.state import TERMINAL_CODES, State
from redline.scenario.models import OUTCOMES

NAME = "termination and records"
STOCHASTIC = False
READS = ("posture", "stability", "win_probability", "settled", "settled_ever", "broken_ever")
WRITES = ("terminal", "end_week", "regime_actor")
SOURCE = "DESIGN section 2.8"

_PRECEDENCE = ("nuclear_use", "great_power_war", "regime_crisis", "military_collapse")


def check_termination(compiled: ScenarioArrays, state: State) -> None:
    """Mark runs that reach a terminal outcome this week."""
    alive = state.alive
    reached: dict[str, NDArray[np.bool_]] = {name: np.zeros(state.runs, dtype=bool)
                                             for name in _PRECEDENCE}
    for rung, outcome in compiled.terminal:
        reached[outcome] |= (state.posture == rung).any(axis=1)
    floors = compiled.stability_floor
    below = (state.stability < floors[None, :]) & (floors[None, :] > 0)
    reached["regime_crisis"] = np.asarray(below.any(axis=1))
    share = compiled.scenario.model.collapse_share
    reached["military_collapse"] = np.asarray((state.win_probability < share) | (
        state.win_probability > 1.0 - share))
    for name in _PRECEDENCE:
        new = alive & reached[name] & (state.terminal == 0)
        state.terminal[new] = TERMINAL_CODES[name]
        state.end_week[new] = state.week
        if name == "regime_crisis":
            state.regime_actor[new] = np.argmax(below[new], axis=1)


def final_outcomes(state: State) -> NDArray[np.int64]:
    """(N,) index into :data:`redline.scenario.models.OUTCOMES` of each run's outcome."""
    index = {name: i for i, name in enumerate(OUTCOMES)}
    result = np.full(state.runs, index["ongoing"], dtype=np.int64)
    result[state.broken_ever & ~state.settled] = index["settlement_broken"]
    result[state.settled] = index["settlement"]
    for name, code in TERMINAL_CODES.items():
        result[state.terminal == code] = index[name]
    return result
