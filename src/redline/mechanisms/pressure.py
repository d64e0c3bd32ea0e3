"""Economic pressure: sanctions cost their target each week, until lifted.

A pressure ``q`` (``pressures:`` in a scenario) has senders, a target ``a_q``
and a weekly cost ``c_q`` drawn once per run (a share of the target's stakes,
the unit of a rung's cost). It is in force in week ``t`` when it was in force
at the start or a policy that applies it has fired, and no policy that lifts
it has fired::

    on_q(t) = (active_q or any fired_p(t), p applies q) and not any fired_p(t), p lifts q

A lifted pressure stays lifted. While it is in force, and the run goes on
(under a settlement too: sanctions outlive ceasefires unless a policy lifts
them), the target's cost of the week grows by ``c_q``::

    weekly_cost_a(t) += sum over q in force with a_q = a of c_q

The trust-and-stability step then lowers the target's regime stability by
``stability_sensitivity x weekly_cost`` and adds the week's cost to its
accumulated costs, which raise its perceived cost of fighting on in the
bargaining step (war weariness): sanctions lower both the regime's stability
and its valuation of continuing, and act on a war only through them.

The reduced form follows the sanctions literature: sanctions impose an
economic cost on the target, which succeeds only when that cost outweighs the
value of the disputed issue, rarely (a third of 204 episodes 1914-2000 by
Hufbauer, Schott, Elliott and Oegg 2007; fewer still by Pape 1997's stricter
count), and they raise the chance that the target's leader falls (Marinov
2005), which the stability channel carries. The cost to the senders is left
out. A policy puts a pressure in force or lifts it with the actions
``apply_pressure`` and ``lift_pressure``, which the policies' step records
(``policy_fired``) and this step reads (``RecordedAction``).
"""

from __future__ import annotations

import numpy as np
from numba import njit
from numpy.typing import NDArray

from redline.arrays.scenario_arrays import ScenarioArrays
from redline.arrays.state import State
from redline.mechanisms.mechanism import FloatArray, Mechanism, Week
from redline.scenario import models as m

BoolArray = NDArray[np.bool_]


def pressure_policies(compiled: ScenarioArrays) -> tuple[BoolArray, BoolArray]:
    """(Q, P) each: which policies apply and which lift each pressure."""
    shape = (len(compiled.pressure_ids), len(compiled.policy_ids))
    applies = np.zeros(shape, dtype=bool)
    lifts = np.zeros(shape, dtype=bool)
    for p, policy in enumerate(compiled.scenario.policies):
        for action in policy.then:
            if isinstance(action, m.ApplyPressure):
                applies[compiled.pressure_index[action.apply_pressure], p] = True
            elif isinstance(action, m.LiftPressure):
                lifts[compiled.pressure_index[action.lift_pressure], p] = True
    return applies, lifts


def active_at_start(compiled: ScenarioArrays) -> BoolArray:
    """(Q,) whether each pressure is in force at the start."""
    return np.array([pressure.active for pressure in compiled.scenario.pressures.values()],
                    dtype=bool)


def in_force(compiled: ScenarioArrays, state: State,
             tables: tuple[BoolArray, BoolArray] | None = None) -> BoolArray:
    """(N, Q) whether each pressure is in force this week (module docstring).

    ``tables``: :func:`pressure_policies` of ``compiled``, if already at hand.
    """
    applies, lifts = tables if tables is not None else pressure_policies(compiled)
    fired = state.policy_fired.astype(np.int64)
    applied = (fired @ applies.T.astype(np.int64)) > 0
    lifted = (fired @ lifts.T.astype(np.int64)) > 0
    return (active_at_start(compiled)[None, :] | applied) & ~lifted


def apply_pressure(compiled: ScenarioArrays, state: State,
                   tables: tuple[BoolArray, BoolArray] | None = None) -> None:
    """Add each pressure in force to its target's cost of the week (runs still going)."""
    on = in_force(compiled, state, tables)
    cost = np.where(on & state.alive[:, None], state.pressure_cost, 0.0)
    for q, target in enumerate(compiled.pressure_target):
        state.weekly_cost[:, target] += cost[:, q]


# ------------------------------------------------------------------ the compiled step


@njit(inline="always")
def apply_pressure_kernel(model, st, work, n, run, week, key):  # pragma: no cover
    """:func:`apply_pressure` for run ``n`` (which is still going: the kernel's week)."""
    applies, lifts = model.pressure_applies, model.pressure_lifts
    for q in range(applies.shape[0]):
        on = model.pressure_active[q]
        for p in range(applies.shape[1]):
            if st.policy_fired[n, p]:
                if lifts[q, p]:
                    on = False
                    break
                if applies[q, p]:
                    on = True
        if on:
            st.weekly_cost[n, model.pressure_target[q]] += st.pressure_cost[n, q]


def reference_step(week: Week, state: State, uniforms: FloatArray) -> None:
    """The reference engine's week: :func:`apply_pressure`, its policy tables kept for the chunk."""
    if "pressure" not in week.kept:
        week.kept["pressure"] = pressure_policies(week.compiled)
    apply_pressure(week.compiled, state, week.kept["pressure"])


#: The mechanism's declaration (:class:`redline.mechanisms.mechanism.Mechanism`).
MECHANISM = Mechanism(
    key="pressure",
    name="economic pressure",
    summary=("sanctions in force add their weekly cost to their target's, which lowers its "
             "stability and its valuation of continuing"),
    reads=("policy_fired", "pressure_cost"),
    writes=("weekly_cost",),
    draws="none",
    reference=reference_step,
    kernel=apply_pressure_kernel,
    sources=("Hufbauer2007", "Pape1997", "Marinov2005"),
    constants={
        "pressure_target": lambda compiled: np.ascontiguousarray(compiled.pressure_target,
                                                                 dtype=np.int64),
        "pressure_active": active_at_start,
        "pressure_applies": lambda compiled: pressure_policies(compiled)[0],
        "pressure_lifts": lambda compiled: pressure_policies(compiled)[1],
    },
)
