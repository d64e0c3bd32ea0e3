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
from numba import njit
from numpy.typing import NDArray

from redline.arrays.scenario_arrays import ScenarioArrays
from redline.arrays.state import TERMINAL_CODES, State
from redline.mechanisms import changes as ch
from redline.mechanisms.mechanism import FloatArray, Mechanism, Week
from redline.scenario.models import OUTCOMES

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


# ------------------------------------------------------------------ the compiled step

#: The terminal codes in order of precedence, and the two that no rung ends a run with.
_PRECEDENCE_CODES = np.array([TERMINAL_CODES[name] for name in _PRECEDENCE], dtype=np.int64)
_REGIME_CRISIS = TERMINAL_CODES["regime_crisis"]
_MILITARY_COLLAPSE = TERMINAL_CODES["military_collapse"]


def rung_precedence(compiled: ScenarioArrays) -> NDArray[np.int64]:
    """The rank, in the order of precedence, of the outcome each rung's use ends a run with.

    A rung that ends no run ranks past the end. For :func:`check_termination_kernel`.
    """
    ranks = np.full(compiled.n_rungs, len(_PRECEDENCE), dtype=np.int64)
    for rung, name in compiled.terminal:
        if name not in ("regime_crisis", "military_collapse"):
            ranks[rung] = min(ranks[rung], _PRECEDENCE.index(name))
    return ranks


@njit(inline="always")
def check_termination_kernel(model, st, work, n, run, week, key):  # pragma: no cover
    """:func:`check_termination` for run ``n``: the first outcome reached, in order of precedence.

    Each rung's outcome is looked up once per scenario (``model.rung_precedence``),
    and the outcomes ranked before the first one a posture reaches are checked only
    if they can end a run without a rung (a regime's fall, a military collapse).
    """
    posture, stability, win_probability = st.posture, st.stability, st.win_probability
    stability_floor = model.stability_floor
    n_actors = posture.shape[1]
    fallen = -1
    for a in range(n_actors):
        if stability_floor[a] > 0 and stability[n, a] < stability_floor[a]:
            fallen = a
            break
    share = model.collapse_share
    collapse = win_probability[n] < share or win_probability[n] > 1.0 - share
    first_reached = _PRECEDENCE_CODES.shape[0]  # rank of the first outcome reached
    for a in range(n_actors):
        first_reached = min(first_reached, model.rung_precedence[posture[n, a]])
    for rank in range(first_reached):
        code = _PRECEDENCE_CODES[rank]
        if ((code == _REGIME_CRISIS and fallen >= 0)
                or (code == _MILITARY_COLLAPSE and collapse)):
            first_reached = rank
            break
    if first_reached < _PRECEDENCE_CODES.shape[0]:
        code = _PRECEDENCE_CODES[first_reached]
        ch.note(work.marks, ch.OUTCOME)
        st.terminal[n] = code
        st.end_week[n] = week
        if code == _REGIME_CRISIS:
            st.regime_actor[n] = fallen


def reference_step(week: Week, state: State, uniforms: FloatArray) -> None:
    """The reference engine's week: :func:`check_termination`."""
    check_termination(week.compiled, state)


#: The mechanism's declaration (:class:`redline.mechanisms.mechanism.Mechanism`).
MECHANISM = Mechanism(
    key="termination",
    name="termination",
    summary="a run ends with the first terminal outcome reached, in order of precedence",
    reads=("posture", "stability", "win_probability", "settled", "settled_ever", "broken_ever"),
    writes=("terminal", "end_week", "regime_actor"),
    draws="none",
    reference=reference_step,
    kernel=check_termination_kernel,
    sources=(),
    constants={
        "rung_precedence": rung_precedence,
        "stability_floor": lambda compiled: np.ascontiguousarray(
            compiled.stability_floor, dtype=np.float64),
        "collapse_share": lambda compiled: float(compiled.scenario.model.collapse_share),
    },
)
