"""Red lines with private thresholds, salami tactics and probabilistic enforcement.

Model (Schelling 1960, 1966; Dixit & Skeath 2015, *Games of Strategy*, ch. 14):
each red line has a true threshold T, private to its owner and drawn per run.
The public knows an interval [L, U) that contains T. Each week, let s be the
highest severity employed by the actors the line applies to. When s exceeds the
highest severity tested so far:

* if s >= T the owner enforces: with probability rho (follow-through, the
  threat that leaves something to chance) it answers with the declared
  response, otherwise with its fallback; everyone learns U = min(U, s);
* if s < T nothing happens and everyone learns L = s (a salami slice).

Observer i, with prior CDF F_i over T, believes a new test at severity s is
met with enforcement with probability::

    P_i(T <= s | L < T <= U) = (F_i(min(s, U)) - F_i(L)) / (F_i(U) - F_i(L))

which is 0 at or below L and 1 at or above U. Severities are compared through
the extended ladder table ``[-inf, rung severities..., +inf]``, so F_i is
tabulated once per scenario.

Graded responses: a line's ``responses`` schedule maps the severity s of the
crossing to its answer, the entry with the highest ``at`` at or below s (the
line's own response and fallback below the first entry), as in graduated
deterrence (Kahn 1965): the answer grows with the step that provoked it.

Self-limits: a line that applies to its owner is the owner's public pledge
not to go to its declared rung or beyond. It is never enforced against the
owner (the owner is left out of s); the first week the owner's posture
reaches the declared rung the pledge is broken: the line is crossed and the
owner pays its audience cost C once, as a cost of that week (Fearon 1994:
a leader who backs away from a public commitment is punished by domestic
audiences; Tomz 2007 measures the disapproval).
"""

from __future__ import annotations

import numpy as np
from numba import njit
from numpy.typing import NDArray

from redline.arrays.scenario_arrays import ScenarioArrays
from redline.arrays.state import State
from redline.arrays.streams import uniform_at
from redline.mechanisms import changes as ch
from redline.mechanisms.mechanism import FloatArray, Mechanism, Week


def enforcement_belief(
    cdf: NDArray[np.float64],
    low: NDArray[np.int64],
    high: NDArray[np.int64],
    tested: NDArray[np.int64],
    level: int | NDArray[np.int64],
) -> NDArray[np.float64]:
    """An observer's probability that a test at extended severity index ``level`` is enforced.

    Parameters
    ----------
    cdf : the observer's prior CDF at each extended severity, shape (E,).
    low, high : public bounds L and U as extended indices, shape (N,).
    tested : highest severity tested so far; a level at or below it is no new
        test and carries no risk.
    level : extended severity index of the rung considered (scalar or (N,)).

    """
    f_low = cdf[low]
    f_high = cdf[high]
    f_level = cdf[np.minimum(level, high)]
    mass = f_high - f_low
    belief = np.where(mass > 1e-12, (f_level - f_low) / np.where(mass > 1e-12, mass, 1.0),
                      (np.asarray(level) >= high).astype(np.float64))
    belief = np.where(np.asarray(level) <= low, 0.0, belief)
    belief = np.where(np.asarray(level) <= tested, 0.0, belief)
    return np.clip(belief, 0.0, 1.0)


def apply_red_lines(compiled: ScenarioArrays, state: State, uniforms: NDArray[np.float64]) -> None:
    """Test every red line against this week's postures; enforce where T is reached.

    ``uniforms`` has one row per red line (the follow-through draw).
    """
    fighting = state.fighting
    for line in range(len(compiled.red_line_ids)):
        if compiled.red_line_pledged[line]:
            keep_pledge(compiled, state, line, fighting)
        applies = compiled.red_line_applies[line]
        if not applies.any():
            continue
        level = state.posture[:, applies].max(axis=1) + 1  # extended index
        new_test = fighting & (level > state.tested[:, line])
        if not new_test.any():
            continue
        tested_severity = compiled.extended_severity[level]
        enforce = new_test & (tested_severity >= state.threshold[:, line])
        tolerated = new_test & ~enforce
        declared = compiled.rung_index[compiled.scenario.red_lines[line].declared_at] + 1
        state.crossed[:, line] |= new_test & (level >= declared)
        state.tested[:, line] = np.where(new_test, level, state.tested[:, line])
        state.low[:, line] = np.where(tolerated, np.maximum(state.low[:, line], level),
                                      state.low[:, line])
        state.high[:, line] = np.where(enforce, np.minimum(state.high[:, line], level),
                                       state.high[:, line])
        if not enforce.any():
            continue
        state.enforced[:, line] |= enforce
        declared_response = uniforms[line] < state.follow_through[:, line]
        response = np.where(declared_response, compiled.red_line_response_at[line, level],
                            compiled.red_line_fallback_at[line, level])
        owner = compiled.red_line_owner[line]
        acts = enforce & (response >= 0)
        state.posture[:, owner] = np.where(acts, np.maximum(state.posture[:, owner], response),
                                           state.posture[:, owner])
        state.max_posture[:, owner] = np.maximum(state.max_posture[:, owner],
                                                 state.posture[:, owner])
        harm = np.where(acts, state.harm[np.arange(state.runs), np.maximum(response, 0)], 0.0)
        targets = applies & (compiled.side_of == compiled.side_of[owner] ^ 1)
        state.weekly_cost[:, targets] += harm[:, None]


def keep_pledge(compiled: ScenarioArrays, state: State, line: int,
                fighting: NDArray[np.bool_]) -> None:
    """A self-limit's owner at or above its declared rung breaks its pledge: it pays C once.

    The breach also counts as the line's crossing (``red_line_crossed``).
    """
    owner = compiled.red_line_owner[line]
    declared = compiled.rung_index[compiled.scenario.red_lines[line].declared_at]
    breaks = fighting & ~state.pledge_broken[:, line] & (state.posture[:, owner] >= declared)
    state.pledge_broken[:, line] |= breaks
    state.crossed[:, line] |= breaks
    state.weekly_cost[:, owner] += np.where(breaks, state.audience_cost[:, line], 0.0)


# ------------------------------------------------------------------ the compiled step


@njit(cache=True, error_model="numpy")
def belief_at(f_low, f_high, f_level, low, high, tested, level):  # pragma: no cover
    """:func:`enforcement_belief` of one run, from the observer's CDF at L, U and min(s, U)."""
    if level <= low or level <= tested:
        return 0.0
    mass = f_high - f_low
    if mass > 1e-12:
        belief = (f_level - f_low) / mass
    else:
        belief = 1.0 if level >= high else 0.0
    return min(max(belief, 0.0), 1.0)


@njit(inline="always")
def apply_red_lines_kernel(model, st, work, n, run, week, key):  # pragma: no cover
    """:func:`apply_red_lines` for run ``n``: each line tested by a new highest severity.

    A new test moves the line's known interval and may make its owner escalate,
    so it notes both changes (:mod:`redline.mechanisms.changes`).
    """
    if st.settled[n]:
        return
    posture, max_posture = st.posture, st.max_posture
    applies, side_of = model.applies, model.side_of
    tested, low, high = st.tested, st.low, st.high
    n_actors = posture.shape[1]
    for line in range(applies.shape[0]):
        if model.pledged[line]:  # a self-limit: :func:`keep_pledge`
            owner = model.owner[line]
            if not st.pledge_broken[n, line] and posture[n, owner] + 1 >= model.declared[line]:
                ch.note(work.marks, ch.RED_LINES)
                st.pledge_broken[n, line] = True
                st.crossed[n, line] = True
                st.weekly_cost[n, owner] += st.audience_cost[n, line]
        level = -1
        for a in range(n_actors):
            if applies[line, a]:
                level = max(level, posture[n, a] + 1)
        if level < 0 or level <= tested[n, line]:
            continue
        ch.note(work.marks, ch.RED_LINES | ch.POSTURE)
        if level >= model.declared[line]:
            st.crossed[n, line] = True
        tested[n, line] = level
        if model.extended_severity[level] < st.threshold[n, line]:
            low[n, line] = max(low[n, line], level)  # a salami slice
            continue
        high[n, line] = min(high[n, line], level)
        st.enforced[n, line] = True
        answer = (model.response_at[line, level]
                  if uniform_at(key, run, week, model.row_red_lines + line)
                  < st.follow_through[n, line] else model.fallback_at[line, level])
        enforcer = model.owner[line]
        if answer >= 0:
            posture[n, enforcer] = max(posture[n, enforcer], answer)
            target_side = side_of[enforcer] ^ 1
            for a in range(n_actors):
                if applies[line, a] and side_of[a] == target_side:
                    st.weekly_cost[n, a] += st.harm[n, answer]
        max_posture[n, enforcer] = max(max_posture[n, enforcer], posture[n, enforcer])


def reference_step(week: Week, state: State, uniforms: FloatArray) -> None:
    """The reference engine's week: :func:`apply_red_lines`."""
    apply_red_lines(week.compiled, state, uniforms)


#: The mechanism's declaration (:class:`redline.mechanisms.mechanism.Mechanism`).
MECHANISM = Mechanism(
    key="red_lines",
    name="red lines",
    summary=("a new highest severity tests each red line; its owner enforces at or above the "
             "private threshold"),
    reads=("posture", "threshold", "follow_through", "tested", "low", "high", "harm",
           "audience_cost", "pledge_broken"),
    writes=("posture", "max_posture", "tested", "low", "high", "crossed", "enforced",
            "weekly_cost", "pledge_broken"),
    draws="one per red line",
    reference=reference_step,
    kernel=apply_red_lines_kernel,
    sources=("Schelling1960", "Schelling1966", "DixitSkeath2015", "Kahn1965", "Fearon1994",
             "Tomz2007"),
    constants={
        "extended_severity": lambda compiled: np.ascontiguousarray(
            compiled.extended_severity, dtype=np.float64),
        "owner": lambda compiled: np.ascontiguousarray(compiled.red_line_owner, dtype=np.int64),
        "pledged": lambda compiled: np.ascontiguousarray(compiled.red_line_pledged,
                                                         dtype=np.bool_),
        "response_at": lambda compiled: np.ascontiguousarray(compiled.red_line_response_at,
                                                             dtype=np.int64),
        "fallback_at": lambda compiled: np.ascontiguousarray(compiled.red_line_fallback_at,
                                                             dtype=np.int64),
        "declared": lambda compiled: np.array(
            [compiled.rung_index[line.declared_at] + 1 for line in compiled.scenario.red_lines],
            dtype=np.int64),
    },
)
