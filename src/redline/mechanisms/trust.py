"""Trust between actors and the stability of their regimes.

Trust is Beta-Bernoulli (the conjugate model of a promise-keeping rate):
with a Beta(alpha0, beta0) prior and commitments by j to i kept k times and
broken b times (weighted), i's trust that j keeps its word is the posterior
mean::

    tau_ij = (alpha0 + k) / (alpha0 + beta0 + k + b)

Deals broken during a run count as further broken commitments. A side
leader's trust in the other side is the capability-weighted mean of its trust
in that side's members, so a broken promise by a patron (NATO enlargement)
weighs on trust in the client's deals (Kydd 2005 on trust and mistrust;
Powell 2006 on why deals must be self-enforcing).

Regime stability falls by ``stability_sensitivity`` per unit of weekly cost
(posture costs, losses, harm from enforcement); below its floor a regime is
in crisis, a terminal outcome (a reduced form of the audience- and
selectorate-cost arguments in Fearon 1994; Bueno de Mesquita et al. 2003).
"""

from __future__ import annotations

import numpy as np
from numba import njit
from numpy.typing import NDArray

from redline.arrays.scenario_arrays import ScenarioArrays
from redline.arrays.state import State
from redline.mechanisms import changes as ch
from redline.mechanisms.mechanism import Mechanism, Week

FloatArray = NDArray[np.float64]


def beta_bernoulli_trust(kept: FloatArray | float, broken: FloatArray | float,
                         prior: tuple[float, float] = (1.0, 1.0)) -> FloatArray:
    """Posterior mean of the promise-keeping rate: (a0 + k) / (a0 + b0 + k + b).

    >>> float(beta_bernoulli_trust(0, 2))
    0.25
    """
    alpha, beta = prior
    return np.asarray((alpha + np.asarray(kept)) / (alpha + beta + np.asarray(kept)
                                                     + np.asarray(broken)))


def leader_trust(compiled: ScenarioArrays, state: State) -> FloatArray:
    """(N, 2): trust of each side's leader in the other side to keep a deal."""
    prior = compiled.scenario.model.trust_prior
    trust = np.zeros((state.runs, 2))
    weight = state.capability * state.support
    for side in (0, 1):
        leader = compiled.leaders[side]
        others = compiled.side_of == 1 - side
        kept = compiled.trust_kept[leader, others]
        broken = compiled.trust_broken[leader, others][None, :] + np.where(
            np.arange(compiled.n_actors)[others] == compiled.leaders[1 - side],
            state.deals_broken[:, [1 - side]], 0.0)
        tau = beta_bernoulli_trust(kept[None, :], broken, prior)
        w = weight[:, others]
        total = w.sum(axis=1)
        trust[:, side] = np.where(total > 0, (tau * w).sum(axis=1) / np.maximum(total, 1e-12),
                                  tau.mean(axis=1) if tau.shape[1] else 1.0)
    return trust


def update_stability(compiled: ScenarioArrays, state: State) -> None:
    """Accumulate this week's costs and lower stability by them."""
    alive = state.alive[:, None]
    state.costs += np.where(alive, state.weekly_cost, 0.0)
    state.stability = np.where(
        alive, np.clip(state.stability - state.stability_sensitivity * state.weekly_cost, 0, 1),
        state.stability)


# ------------------------------------------------------------------ the compiled step

#: The caches of the compiled step (bits of ``changes.STALE``): what each keeps for the run
#: being simulated, and the changes that make it stale (:mod:`redline.mechanisms.changes`).
TRUST_CACHE = 1 << 7
KERNEL_CACHES = {
    # each side's leader's trust in the other side
    "leaders' trust": (TRUST_CACHE, ch.SUPPORT | ch.DEALS_BROKEN),
}


@njit(inline="always")
def leader_trust_at(model, st, n, side):  # pragma: no cover
    """:func:`leader_trust` of side ``side``'s leader in run ``n`` (capability-weighted mean)."""
    leaders, side_of = model.leaders, model.side_of
    alpha, beta = model.trust_alpha, model.trust_beta
    leader = leaders[side]
    weighted = 0.0
    total = 0.0
    plain = 0.0
    count = 0
    for j in range(side_of.shape[0]):
        if side_of[j] != 1 - side:
            continue
        kept = model.trust_kept[leader, j]
        broken = model.trust_broken[leader, j]
        if j == leaders[1 - side]:
            broken += st.deals_broken[n, 1 - side]
        tau = (alpha + kept) / (alpha + beta + kept + broken)
        w = st.capability[n, j] * st.support[n, j]
        weighted += tau * w
        total += w
        plain += tau
        count += 1
    value = 1.0
    if total > 0:
        value = weighted / max(total, 1e-12)
    elif count:
        value = plain / count
    return value


@njit(inline="always")
def leaders_trust(model, st, work, n):  # pragma: no cover
    """The two leaders' trust in run ``n``, from the cache (``work.trust``) unless stale."""
    if ch.is_stale(work.marks, TRUST_CACHE):
        work.trust[0] = leader_trust_at(model, st, n, 0)
        work.trust[1] = leader_trust_at(model, st, n, 1)
        ch.refreshed(work.marks, TRUST_CACHE)
    return work.trust[0], work.trust[1]


@njit(inline="always")
def update_stability_kernel(model, st, work, n, run, week, key):  # pragma: no cover
    """:func:`update_stability` for run ``n``: the week's costs accumulate, stability falls."""
    costs, weekly_cost, stability = st.costs, st.weekly_cost, st.stability
    for a in range(costs.shape[1]):
        costs[n, a] += weekly_cost[n, a]
        stability[n, a] = min(max(
            stability[n, a] - st.stability_sensitivity[n, a] * weekly_cost[n, a], 0.0), 1.0)


def reference_step(week: Week, state: State, uniforms: FloatArray) -> None:
    """The reference engine's week: :func:`update_stability`."""
    update_stability(week.compiled, state)


#: The mechanism's declaration (:class:`redline.mechanisms.mechanism.Mechanism`).
MECHANISM = Mechanism(
    key="trust",
    name="trust and stability",
    summary=("the week's costs accumulate and lower each regime's stability (trust follows "
             "broken deals)"),
    reads=("deals_broken", "capability", "support", "weekly_cost", "stability_sensitivity"),
    writes=("costs", "stability"),
    draws="none",
    reference=reference_step,
    kernel=update_stability_kernel,
    sources=("Kydd2005", "Powell2006", "Fearon1994", "BuenoDeMesquita2003"),
    caches=KERNEL_CACHES,
    constants={
        "trust_kept": lambda compiled: np.ascontiguousarray(compiled.trust_kept, dtype=np.float64),
        "trust_broken": lambda compiled: np.ascontiguousarray(compiled.trust_broken,
                                                              dtype=np.float64),
        "trust_alpha": lambda compiled: float(compiled.scenario.model.trust_prior[0]),
        "trust_beta": lambda compiled: float(compiled.scenario.model.trust_prior[1]),
    },
)
